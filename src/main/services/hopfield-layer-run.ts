// Hopfield layer training from a spec file (`engram run`): the spec's cross-field checks (errors name the spec field,
// before any training), the app's job (engine, core fallback), a self-contained result (curve, accuracies, weights);
// export such a result as ONNX or safetensors.
import { tensorToJson } from '../../core/tensor-json'
import { RNG_ALGORITHM } from '../../core/rng'
import type { HopfieldLayerParams } from '../../core/hopfield-layer'
import type { NamedTensor } from '../../core/safetensors'
import type { ExportFormat } from '../../shared/family'
import { hopfieldLayerSpecProblem } from '../../shared/families/hopfield-layer'
import type { HopfieldLayerRunResult, HopfieldLayerRunSpec } from '../../shared/hopfield-layer-run'
import { SPEC_VERSION } from '../../shared/spec'
import { ENGRAM_VERSION } from '../version'
import type { ComputeHooks } from './hooks'
import { hopfieldLayerExportBytes, hopfieldLayerModelName, hopfieldLayerParams, trainHopfieldLayerJob } from './hopfield-layer'
import { hopfieldPoolingExportBytes, hopfieldPoolingParams, trainHopfieldPoolingJob } from './hopfield-pooling'
import { resultTensor, SpecError } from './spec-file'

/** Trains the spec's layer; cancel (hooks.shouldCancel) keeps the epochs done as a partial model. */
export async function runHopfieldLayerSpec(spec: HopfieldLayerRunSpec, hooks: ComputeHooks = {}): Promise<HopfieldLayerRunResult> {
  const problem = hopfieldLayerSpecProblem(spec.model, 'spec.model')
  if (problem) throw new SpecError(problem.message)
  const started = performance.now()
  const input = { modelId: spec.name, name: hopfieldLayerModelName(spec.model), spec: spec.model, seed: spec.seed, provider: spec.engine.provider, threads: spec.engine.threads }
  const { info, tensors } = spec.model.mode === 'pooling' ? await trainHopfieldPoolingJob(input, hooks) : await trainHopfieldLayerJob(input, hooks)
  const seconds = (performance.now() - started) / 1000
  const last = info.history.at(-1)!
  const engine = /^engine \((.+)\)$/.exec(info.provider)
  const { kind: _kind, spec: _spec, ...kept } = info
  return {
    kind: 'engram.hopfield-layer-result',
    version: SPEC_VERSION,
    spec,
    createdAt: info.createdAt,
    engram: ENGRAM_VERSION,
    rng: RNG_ALGORITHM,
    compute: engine ? { path: 'engine', provider: engine[1]! } : { path: 'core', provider: 'core', ...(info.fallbackReason ? { fallbackReason: info.fallbackReason } : {}) },
    metrics: { epochs: info.epochsDone, seconds, loss: last.loss, trainAccuracy: info.trainAccuracy, testAccuracy: info.testAccuracy, baselineTestAccuracy: info.baseline.testAccuracy },
    layer: kept,
    model: {
      kind: 'hopfield-layer',
      stateDict: Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, tensorToJson(t)])),
      metadata: { 'engram.version': ENGRAM_VERSION, kind: 'hopfield-layer', beta: String(info.beta), training: JSON.stringify({ ...spec.model, seed: spec.seed }) }
    }
  }
}

function resultTensorOf(result: HopfieldLayerRunResult, source: string): (name: string) => NamedTensor {
  const dict = result.model.stateDict
  return (name) => {
    const t = dict[name]
    if (!t) throw new SpecError(`${source}: model.stateDict: tensor '${name}' is missing`)
    return resultTensor(source, `model.stateDict.${name}`, t)
  }
}

/** The trained layer of a result file (float32 weights as stored; lookup mode). */
export function hopfieldLayerParamsFromResult(result: HopfieldLayerRunResult, source = 'result'): HopfieldLayerParams {
  return hopfieldLayerParams(resultTensorOf(result, source))
}

/** ONNX (lookup: inputs → logits, attention; pooling: bags, mask → logits, attention; weights embedded) or safetensors bytes of a result's layer. */
export function exportHopfieldLayerResult(result: HopfieldLayerRunResult, format: ExportFormat, source = 'result'): Uint8Array {
  const info = { spec: result.spec.model, seed: result.spec.seed, beta: result.layer.beta }
  if (result.spec.model.mode === 'pooling') return hopfieldPoolingExportBytes(info, hopfieldPoolingParams(resultTensorOf(result, source)), format, '--format')
  return hopfieldLayerExportBytes(info, hopfieldLayerParamsFromResult(result, source), format, '--format')
}
