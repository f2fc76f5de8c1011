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
import { resolve } from 'node:path'
import type { NamedTensor } from '../../core/safetensors'
import { ApiError } from '../../shared/api'
import { readAnyResultFile, resultTensor } from './spec-file'
import type { ComputeHooks } from './hooks'
import type { DatasetCatalog } from './datasets'
import { checkRbmLabels, exportRbmOnnx, rbmFromStateDict, rbmResume, rbmStateDict, scalingMetadata, trainRbmJob, type RbmData, type RbmResume } from './rbm'

/**
 * The state a spec's run continues from (spec.model.continueFrom: an earlier result file, relative to `specDir`),
 * checked as the app checks a session's model (rbmResume); errors name the spec field.
 */
function resumeFromResult(spec: RbmRunSpec, data: RbmData, specDir: string): RbmResume {
  const field = 'spec.model.continueFrom'
  const path = resolve(specDir, spec.model.continueFrom!)
  let read: ReturnType<typeof readAnyResultFile>
  try {
    read = readAnyResultFile(path)
  } catch (error) {
    throw new ApiError({ code: 'bad-request', field, message: `${field}: ${error instanceof Error ? error.message : String(error)}` })
  }
  if (read.kind !== 'rbm') throw new ApiError({ code: 'bad-request', field, message: `${field}: ${path} is a ${read.kind} result, not an RBM's` })
  const { result } = read
  const tensors = new Map<string, NamedTensor>()
  const tensor = (name: string): NamedTensor | undefined => {
    const json = result.model.stateDict[name]
    if (json && !tensors.has(name)) tensors.set(name, resultTensor(path, `model.stateDict.${name}`, json))
    return tensors.get(name)
  }
  return rbmResume({ ...result.rbm, kind: 'rbm' }, tensor, { spec: spec.model, seed: spec.seed, dataset: spec.dataset, data }, 'spec')
}

/**
 * Trains the spec's RBM (continuing an earlier result when model.continueFrom names one, relative to `specDir`);
 * dataset and label errors name the spec field (spec.dataset…, spec.model.labels).
 */
export async function runRbmSpec(spec: RbmRunSpec, catalog: DatasetCatalog, hooks: ComputeHooks = {}, specDir = '.'): Promise<RbmRunResult> {
  const data = catalog.greyRows(spec.dataset, 'spec.dataset')
  checkRbmLabels(spec.model, data, spec.dataset.builtin, 'spec.model.labels')
  const summary = catalog.summary(spec.dataset.builtin, 'spec.dataset.builtin')
  const resume = spec.model.continueFrom !== undefined ? resumeFromResult(spec, data, specDir) : undefined
  const { info, tensors } = await trainRbmJob(
    {
      modelId: spec.name,
      name: `RBM ${data.visible}→${spec.model.hidden} · ${summary.name} · ${data.rows} rows${resume ? ` · continued to ${spec.model.epochs} epochs` : ''}`,
      dataset: spec.dataset,
      spec: spec.model,
      seed: spec.seed,
      data,
      engine: { provider: spec.engine.provider, threads: spec.engine.threads },
      ...(resume ? { resume } : {})
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
