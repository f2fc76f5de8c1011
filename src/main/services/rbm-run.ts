// RBM training from a spec file (`engram run`): resolve the dataset, train on the engine (trainRbmJob, the app's job),
// and write a self-contained result (history with accuracy for classification RBMs, AIS, the weights); export the
// weights from such a result as ONNX or safetensors.
import { encodeStateDict, type WeightsFormat } from '../../core/npy'
import { tensorToJson } from '../../core/tensor-json'
import type { Rbm } from '../../core/rbm'
import { RNG_ALGORITHM } from '../../core/rng'
import { SPEC_VERSION } from '../../shared/spec'
import type { RbmRunResult, RbmRunSpec } from '../../shared/rbm-run'
import { ENGRAM_VERSION } from '../version'
import { resultTensor } from './spec-file'
import type { ComputeHooks } from './hooks'
import type { DatasetCatalog } from './datasets'
import { checkRbmLabels, exportRbmOnnx, rbmFromStateDict, rbmStateDict, scalingMetadata, trainRbmJob } from './rbm'

/** Trains the spec's RBM; dataset and label errors name the spec field (spec.dataset…, spec.model.labels). */
export async function runRbmSpec(spec: RbmRunSpec, catalog: DatasetCatalog, hooks: ComputeHooks = {}): Promise<RbmRunResult> {
  const data = catalog.greyRows(spec.dataset, 'spec.dataset')
  checkRbmLabels(spec.model, data, spec.dataset.builtin, 'spec.model.labels')
  const summary = catalog.summary(spec.dataset.builtin, 'spec.dataset.builtin')
  const { info, tensors } = await trainRbmJob(
    {
      modelId: spec.name,
      name: `RBM ${data.visible}→${spec.model.hidden} · ${summary.name} · ${data.rows} rows`,
      dataset: spec.dataset,
      spec: spec.model,
      seed: spec.seed,
      data,
      engine: { provider: spec.engine.provider, threads: spec.engine.threads }
    },
    hooks
  )
  const last = info.history[info.history.length - 1]
  if (!last) throw new Error('RBM training was cancelled before the first epoch finished')
  const metadata = rbmMetadata(spec, info.width, info.height, info.labelUnits ?? 0, info.classification?.classes)
  return {
    kind: 'engram.rbm-result',
    version: SPEC_VERSION,
    spec,
    createdAt: info.createdAt,
    engram: ENGRAM_VERSION,
    rng: RNG_ALGORITHM,
    compute: { path: 'engine', provider: info.provider },
    metrics: {
      epochs: info.history.length,
      steps: last.steps,
      seconds: last.seconds,
      reconstructionError: last.reconstructionError,
      pseudoLikelihood: last.pseudoLikelihood,
      freeEnergyTrain: last.freeEnergyTrain,
      freeEnergyHeldOut: last.freeEnergyHeldOut,
      ...(last.accuracyTrain !== undefined ? { accuracyTrain: last.accuracyTrain, accuracyHeldOut: last.accuracyHeldOut ?? null } : {}),
      ...(info.likelihood ? { logLikelihoodTrain: info.likelihood.train, logLikelihoodHeldOut: info.likelihood.heldOut } : {})
    },
    rbm: info,
    model: { kind: 'rbm', stateDict: Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, tensorToJson(t)])), metadata }
  }
}

function rbmMetadata(spec: RbmRunSpec, width: number, height: number, labelUnits: number, classes?: string[]): Record<string, string> {
  return {
    'engram.version': ENGRAM_VERSION,
    kind: 'rbm',
    visible_units: spec.model.visibleUnits,
    dataset: spec.dataset.builtin,
    width: String(width),
    height: String(height),
    training: JSON.stringify({ ...spec.model, seed: spec.seed }),
    ...(labelUnits ? { label_units: String(labelUnits), classes: JSON.stringify(classes ?? []) } : {})
  }
}

/** The trained RBM of a result file. */
export function rbmFromResult(result: RbmRunResult, source = 'result'): Rbm {
  const dict = Object.fromEntries(Object.entries(result.model.stateDict).map(([k, t]) => [k, resultTensor(source, `model.stateDict.${k}`, t)]))
  return rbmFromStateDict(dict, result.spec.model.visibleUnits, result.rbm.labelUnits ?? 0)
}

/** ONNX (visible -> hidden probabilities, reconstruction, class probabilities when labelled) or safetensors bytes. */
export function exportRbmResult(result: RbmRunResult, format: 'onnx' | WeightsFormat, source = 'result'): { bytes: Uint8Array; rbm: Rbm } {
  const rbm = rbmFromResult(result, source)
  const metadata = { ...result.model.metadata, 'engram.source': 'result file' }
  const bytes = format === 'onnx' ? exportRbmOnnx(rbm, metadata) : encodeStateDict(format, rbmStateDict(rbm), { ...metadata, ...scalingMetadata(rbm) })
  return { bytes, rbm }
}
