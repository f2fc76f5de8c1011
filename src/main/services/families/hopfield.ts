// Hopfield networks on the services side: training (every rule, in a worker), the recall lab's traced recall,
// batch recall on the engine, and export (ONNX recall Loop, safetensors, .npz).
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../../shared/api'
import type { ModelInfo } from '../../../shared/session'
import type { DatasetRef, HopfieldModelSpec } from '../../../shared/spec'
import { adoptGrid, toEncoding, type Encoding, type HopfieldNet } from '../../../core/hopfield'
import type { NamedTensor } from '../../../core/safetensors'
import { encodeStateDict, type WeightsFormat } from '../../../core/npy'
import { exportHopfieldOnnx } from '../../../engine/export'
import { countStoredFixedPoints, modelMetadata, trainHopfield } from '../hopfield'
import { runAsyncRecall, runBatchRecall, type AsyncRecallInput, type BatchRecallInput } from '../recall'
import type { ComputeHooks } from '../hooks'
import { hopfieldFamily as family } from '../../../shared/families/hopfield'
import type { ServiceFamily, SessionData } from './types'

export interface HopfieldTrainInput {
  modelId: string
  name: string
  dataset: DatasetRef
  patterns: Int8Array[]
  indices: number[]
  width: number
  height: number
  spec: HopfieldModelSpec
  seed: number
}

/** The net of a saved model; `stored` in the net's encoding (the session keeps the dataset's bipolar patterns). */
export function netFromTensors(tensors: Map<string, NamedTensor>, modelId: string, encoding: Encoding = 'bipolar'): { net: HopfieldNet; stored: Int8Array[] } {
  const weights = tensors.get(`models/${modelId}/weights`)
  const thresholds = tensors.get(`models/${modelId}/thresholds`)
  const patterns = tensors.get(`models/${modelId}/patterns`)
  if (!weights || !thresholds || !patterns) throw new Error(`model ${modelId}: tensors missing from the session`)
  const units = thresholds.shape[0]!
  const count = patterns.shape[0]!
  const data = patterns.data as Int8Array
  const stored = Array.from({ length: count }, (_, p) => toEncoding(data.subarray(p * units, (p + 1) * units), encoding))
  const net: HopfieldNet = { units, weights: weights.data as Float32Array, thresholds: thresholds.data as Float32Array, encoding }
  // The weights' grid (core/hopfield.ts). Sessions saved before grids have none: a Hebb net (1, 1/N or 1/P) is
  // recognised from its weights; anything else recalls as before.
  const scale = tensors.get(`models/${modelId}/scale`)?.data[0]
  if (scale !== undefined) net.scale = scale
  else adoptGrid(net, [1, units, count])
  return { net, stored }
}

/** A Hopfield net as an ONNX recall model, or its weights and thresholds as safetensors or .npz. */
export function hopfieldExportBytes(net: HopfieldNet, metadata: Record<string, string>, format: 'onnx' | WeightsFormat): Uint8Array {
  if (format === 'onnx') return exportHopfieldOnnx(net, metadata)
  const tensors: Record<string, NamedTensor> = {
    weights: { dtype: 'float32', shape: [net.units, net.units], data: net.weights },
    thresholds: { dtype: 'float32', shape: [net.units], data: net.thresholds }
  }
  return encodeStateDict(format, tensors, metadata)
}

function badRequest(field: string, message: string): ApiError {
  return new ApiError({ code: 'bad-request', field, message: `${field}: ${message}` })
}

/** What training would refuse, checked before the job starts. */
function checkSpec(spec: HopfieldModelSpec, units: number, patterns: number, field: string): void {
  if (Array.isArray(spec.threshold) && spec.threshold.length !== units) {
    throw badRequest(`${field}.threshold`, `${spec.threshold.length} values for ${units} units (give one number, or one per unit)`)
  }
  if (spec.rule === 'energy') {
    if (spec.zeroDiagonal === false) throw badRequest(`${field}.zeroDiagonal`, 'energy training keeps a zero diagonal; leave it unset or true')
    const importance = spec.energy?.importance
    if (importance && importance.length !== patterns) throw badRequest(`${field}.energy.importance`, `${importance.length} values for ${patterns} patterns`)
  }
}

function trainJob(input: HopfieldTrainInput, hooks: ComputeHooks): ReturnType<ServiceFamily['jobs'][string]> {
  const { net, history } = trainHopfield(input.patterns, input.spec, input.seed, hooks)
  const units = net.units
  const packed = new Int8Array(input.patterns.length * units)
  input.patterns.forEach((x, i) => packed.set(x, i * units))
  const model: ModelInfo = {
    kind: 'hopfield',
    id: input.modelId,
    name: input.name,
    spec: input.spec,
    dataset: input.dataset,
    units,
    patterns: input.patterns.length,
    patternIndices: input.indices,
    width: input.width,
    height: input.height,
    storedFixedPoints: countStoredFixedPoints(net, input.patterns),
    seed: input.seed,
    ...(history ? { training: { history } } : {}),
    createdAt: new Date().toISOString()
  }
  return {
    result: { kind: 'hopfield.train', model },
    tensors: {
      weights: { dtype: 'float32', shape: [units, units], data: net.weights },
      thresholds: { dtype: 'float32', shape: [units], data: net.thresholds },
      patterns: { dtype: 'int8', shape: [input.patterns.length, units], data: packed },
      // The grid the weights lie on (1/D), so every recall path decides ties exactly (core/hopfield.ts).
      ...(net.scale !== undefined ? { scale: { dtype: 'float64' as const, shape: [1], data: Float64Array.of(net.scale) } } : {})
    }
  }
}

function modelNet(session: SessionData, model: ModelInfo): ReturnType<typeof netFromTensors> {
  return netFromTensors(session.tensors, model.id, model.spec.encoding)
}

export const hopfieldService: ServiceFamily<typeof family> = {
  family,
  trainTask(ctx, request, field) {
    const data = ctx.datasets.resolve(request.dataset, `${field}.dataset`)
    const units = data.patterns[0]?.length ?? 0
    checkSpec(request.model, units, data.patterns.length, `${field}.model`)
    const input: HopfieldTrainInput = {
      modelId: randomUUID(),
      name: `Hopfield (${request.model.rule}) · ${data.summary.name} · ${data.patterns.length} patterns`,
      dataset: request.dataset,
      patterns: data.patterns,
      indices: data.indices,
      width: data.summary.width,
      height: data.summary.height,
      spec: request.model,
      seed: request.seed
    }
    return { kind: 'hopfield.train', input }
  },
  runTask(ctx, session, model, run, field) {
    const { net, stored } = modelNet(session, model)
    if (run.kind === 'recall.async') {
      if (run.cue.length !== model.units) throw badRequest(`${field}.cue`, `${run.cue.length} values, the model has ${model.units} units`)
      // Binary nets take {0, 1}; bipolar ones ±1, and 0 (a missing component, 003) only in the recurrent associator.
      const binary = net.encoding === 'binary'
      const allowed = binary ? [0, 1] : run.mode === 'recurrent' ? [-1, 0, 1] : [-1, 1]
      const bad = run.cue.findIndex((v) => !allowed.includes(v))
      if (bad >= 0) {
        throw badRequest(
          `${field}.cue.${bad}`,
          `value ${run.cue[bad]} is not ${binary ? '0 or 1 (this model has binary states)' : run.mode === 'recurrent' ? '−1, 0 or 1' : '−1 or 1 (this model has bipolar states)'}`
        )
      }
      if (Array.isArray(run.order)) {
        const order = run.order
        const seen = new Set(order)
        if (order.length !== model.units || seen.size !== order.length || order.some((u) => u >= model.units)) {
          throw badRequest(`${field}.order`, `expected a permutation of 0..${model.units - 1} (each unit once), got [${order.join(', ')}]`)
        }
      }
      if (run.mode === 'recurrent' && run.external === 'cue') {
        throw badRequest(`${field}.external`, "the recurrent auto-associator (003) has no external input; use 'none'")
      }
      const input: AsyncRecallInput = {
        modelId: model.id,
        net,
        stored,
        cue: run.cue,
        seed: run.seed,
        order: run.order,
        maxSweeps: run.maxSweeps,
        mode: run.mode,
        external: run.external,
        activation: run.activation
      }
      return { kind: 'recall.async', input }
    }
    if ((run.corruption.type === 'mask' || run.corruption.type === 'maskFraction') && run.corruption.fill === 0 && net.encoding === 'bipolar') {
      throw badRequest(`${field}.corruption.fill`, '0 is not a bipolar state; use −1 or 1')
    }
    const input: BatchRecallInput = {
      modelId: model.id,
      net,
      stored,
      width: model.width,
      height: model.height,
      corruption: run.corruption,
      cuesPerPattern: run.cuesPerPattern,
      seed: run.seed,
      maxIterations: run.maxIterations,
      provider: ctx.provider,
      model: model.spec,
      external: run.external
    }
    return { kind: 'recall.batch', input }
  },
  jobs: {
    'hopfield.train': (input: HopfieldTrainInput, hooks) => trainJob(input, hooks),
    'recall.async': (input: AsyncRecallInput, hooks) => ({ result: { kind: 'recall.async', result: runAsyncRecall(input, hooks) } }),
    'recall.batch': async (input: BatchRecallInput, hooks) => ({ result: { kind: 'recall.batch', result: (await runBatchRecall(input, hooks)).result } })
  },
  onTrained(state, model) {
    // The new net becomes the recall lab's model: its dataset on screen, no cue or recall of an older net.
    state.dataset = model.dataset
    state.activeModelId = model.id
    state.cue = null
    delete state.results['recall.async']
    delete state.results['recall.batch']
  },
  export(_ctx, session, model, format) {
    const { net } = modelNet(session, model)
    const meta = modelMetadata(model.spec, net, {
      dataset: model.dataset.builtin,
      patterns: String(model.patterns),
      width: String(model.width),
      height: String(model.height),
      session: session.state.name
    })
    return { suffix: `hopfield-${model.id.slice(0, 8)}.${format}`, bytes: hopfieldExportBytes(net, meta, format) }
  }
}
