// Trainable Hopfield layer jobs: the task drawn from the seed, Adam on the engine (one run of K minibatch steps per
// epoch, float32; the float64 core when the engine cannot run, with the reason kept), the linear baseline on the same
// minibatches, live loss / held-out accuracy / stored patterns per epoch, cancel keeping the last finished epoch; the
// attention view and the exports. The epoch loop, state dict and export helpers serve the pooling mode too.
// Legend: d input size, P stored patterns, k key size, C classes, B batch, K steps per epoch (⌊train / B⌋).
import type { NamedTensor } from '../../core/safetensors'
import { encodeStateDict } from '../../core/npy'
import {
  accuracy,
  adamInit,
  adamStep,
  epochBatches,
  gatherRows,
  HOPFIELD_LAYER_PARAMS,
  hopfieldLayerForward,
  hopfieldLayerGradients,
  hopfieldLayerParamShapes,
  initHopfieldLayer,
  linearLogits,
  linearStep,
  type LinearClassifier,
  matchedPatterns,
  nearestPrototypes,
  prototypeCoverage,
  cosines,
  predictClasses,
  prototypeTask,
  type HopfieldLayerParams,
  type HopfieldLayerShape,
  type PrototypeTask
} from '../../core/hopfield-layer'
import { Rng } from '../../core/rng'
import { HOPFIELD_LAYER_STREAMS as STREAMS } from '../../core/rng-streams'
import { buildHopfieldLayerTrainStep, exportHopfieldLayerOnnx, HOPFIELD_LAYER_IO as IO } from '../../engine/programs/hopfield-layer'
import { TrainStepRunner, type BatchArray, type TrainStepProgram } from '../../engine/programs/train-step'
import { ApiError } from '../../shared/api'
import { CancelledError } from '../../shared/errors'
import {
  encodeStoredSnapshot,
  poolingBags,
  resolvedHopfieldLayerSizes,
  type HopfieldLayerAttendResult,
  type HopfieldLayerInfo,
  type HopfieldLayerModelSpec,
  type HopfieldLayerPoint,
  type HopfieldLayerTask
} from '../../shared/families/hopfield-layer'
import type { ExportFormat } from '../../shared/family'
import { ENGRAM_VERSION } from '../version'
import type { ComputeHooks } from './hooks'

/** The task's prototypes, training and test sets, from the seed's named streams. */
export function hopfieldLayerData(task: HopfieldLayerTask, seed: number): PrototypeTask {
  const root = new Rng(seed)
  return prototypeTask(task, { modes: root.fork(STREAMS.modes), train: root.fork(STREAMS.train), test: root.fork(STREAMS.test) })
}

export function hopfieldLayerShape(spec: HopfieldLayerModelSpec): HopfieldLayerShape {
  const { inputSize, keySize } = resolvedHopfieldLayerSizes(spec)
  return { inputSize, storedPatterns: spec.storedPatterns, keySize, classes: spec.task.classes }
}

export interface HopfieldLayerTrainInput {
  modelId: string
  name: string
  spec: HopfieldLayerModelSpec
  seed: number
  provider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml'
  /** Engine intra-op threads (a spec file's engine.threads); 0 or absent: the engine's default. */
  threads?: number
  /** Train on the float64 core without trying the engine (the core–engine agreement test). */
  coreOnly?: boolean
}

/** A copy of named weights, each value mapped by `f` (Math.fround: the float32 values the engine holds). */
export const copyParams = <P extends Record<string, Float64Array>>(names: readonly (keyof P & string)[], p: Readonly<Record<string, ArrayLike<number>>>, f: (v: number) => number = (v) => v): P =>
  Object.fromEntries(names.map((k) => [k, Float64Array.from(p[k]!, f)])) as P

/** The first non-finite value of an epoch: 'loss (NaN) at step s' or 'w_k[i] (Infinity)', else null. */
export function nonFinite(losses: readonly number[], params: Readonly<Record<string, Float64Array>>): string | null {
  const s = losses.findIndex((l) => !Number.isFinite(l))
  if (s >= 0) return `loss (${losses[s]}) at step ${s + 1}`
  for (const [k, w] of Object.entries(params)) {
    const i = w.findIndex((v) => !Number.isFinite(v))
    if (i >= 0) return `${k}[${i}] (${w[i]})`
  }
  return null
}

/** The engine's training session for a program, or null with the reason (core requested, or the engine failed to start). */
export async function engineRunner(program: () => TrainStepProgram, params: Readonly<Record<string, Float64Array>>, input: HopfieldLayerTrainInput): Promise<{ runner: TrainStepRunner | null; fallbackReason: string | null }> {
  if (input.coreOnly) return { runner: null, fallbackReason: 'core requested' }
  try {
    return { runner: await TrainStepRunner.create(program(), { params }, { provider: input.provider, ...(input.threads ? { threads: input.threads } : {}) }), fallbackReason: null }
  } catch (error) {
    return { runner: null, fallbackReason: `engine unavailable: ${error instanceof Error ? error.message : String(error)}` }
  }
}

/** What a mode of the layer (lookup, pooling) gives the training loop both modes share. */
export interface HopfieldLayerTraining<P extends Record<string, Float64Array>, Batch extends { y: Int32Array }> {
  shape: { inputSize: number; keySize: number; classes: number }
  beta: number
  names: readonly (keyof P & string)[]
  /** The initial weights, float32-rounded. */
  params: P
  /** The engine's program: K minibatch steps in one run. */
  program: () => TrainStepProgram
  /** The epoch's minibatches, in the order drawn from the seed. */
  batches: () => Batch[]
  /** The engine's inputs for one run over the epoch's minibatches. */
  feeds: (batches: readonly Batch[]) => Record<string, BatchArray>
  /** The float64 core's loss and gradients on one minibatch. */
  gradients: (params: P, batch: Batch) => { loss: number; grads: Record<string, Float64Array> }
  /** What the linear baseline sees of a minibatch. */
  baselineInput: (batch: Batch) => Float64Array
  /** A finished epoch: its held-out figures, the progress line and any text to show. */
  evaluate: (epoch: number, loss: number, params: P, linear: LinearClassifier) => { point: HopfieldLayerPoint; message: string; text?: string }
  /** The trained layer's and baseline's train accuracies and the stored patterns' classes. */
  summary: (params: P, linear: LinearClassifier) => { trainAccuracy: number; baselineTrainAccuracy: number; storedClasses: number[] }
}

/**
 * Trains the layer and the linear baseline. Same input → same numbers: the task, the init and the minibatch order come
 * from the seed. Cancel (checked between epochs) keeps the weights of the last finished epoch; a NaN/Inf loss or weight
 * stops training, keeps the last good epoch's weights and says where in stopReason.
 */
export async function trainHopfieldLayerEpochs<P extends Record<string, Float64Array>, Batch extends { y: Int32Array }>(
  input: HopfieldLayerTrainInput,
  t: HopfieldLayerTraining<P, Batch>,
  hooks: ComputeHooks
): Promise<{ info: HopfieldLayerInfo; params: P }> {
  const { spec } = input
  const { shape, beta, names } = t
  const { inputSize: d, classes: C } = shape
  const B = spec.batch
  let params = t.params
  const { runner, fallbackReason } = await engineRunner(t.program, params, input)
  const coreAdam = runner ? null : adamInit(params)
  const linear = { w: new Float64Array(d * C), b: new Float64Array(C) }
  const linearAdam = adamInit(linear as unknown as Record<string, Float64Array>)
  const history: HopfieldLayerPoint[] = []
  let partial = false
  let stopReason: string | null = null
  try {
    for (let epoch = 1; epoch <= spec.epochs; epoch++) {
      if (hooks.shouldCancel?.()) {
        partial = true
        break
      }
      const batches = t.batches()
      let losses: number[]
      let next: P
      if (runner) {
        losses = (await runner.run(t.feeds(batches), spec.learningRate)).loss
        next = copyParams<P>(names, runner.getParams())
      } else {
        // The core steps a copy, so a non-finite epoch leaves the last good weights.
        next = copyParams<P>(names, params)
        losses = batches.map((b) => {
          const g = t.gradients(next, b)
          adamStep(next, g.grads, coreAdam!, spec.learningRate)
          return g.loss
        })
      }
      const bad = nonFinite(losses, next)
      if (bad) {
        stopReason = `non-finite ${bad} in epoch ${epoch}; weights kept from epoch ${epoch - 1}`
        partial = true
        break
      }
      params = next
      for (const b of batches) linearStep(linear, linearAdam, t.baselineInput(b), b.y, B, d, C, spec.learningRate)
      const loss = losses.reduce((a, v) => a + v, 0) / losses.length
      const { point, message, text } = t.evaluate(epoch, loss, params, linear)
      history.push(point)
      hooks.onProgress?.(epoch / spec.epochs, epoch, spec.epochs, message, { ...point }, ...(text === undefined ? ([] as const) : ([text] as const)))
    }
  } finally {
    await runner?.release()
  }
  if (history.length === 0) throw stopReason ? new Error(`hopfield-layer.train: ${stopReason}`) : new CancelledError()
  const last = history.at(-1)!
  const summary = t.summary(params, linear)
  const info: HopfieldLayerInfo = {
    kind: 'hopfield-layer',
    id: input.modelId,
    name: input.name,
    spec,
    seed: input.seed,
    inputSize: d,
    keySize: shape.keySize,
    beta,
    epochsDone: history.length,
    history,
    trainAccuracy: summary.trainAccuracy,
    testAccuracy: last.testAccuracy,
    baseline: { trainAccuracy: summary.baselineTrainAccuracy, testAccuracy: last.baselineTestAccuracy },
    storedClasses: summary.storedClasses,
    provider: runner ? `engine (${runner.provider})` : 'core',
    fallbackReason,
    partial,
    stopReason,
    createdAt: new Date().toISOString()
  }
  return { info, params }
}

/** Each stored pattern's class vote: argmax of its value row V = Y W_K W_V. */
export function storedClasses(shape: HopfieldLayerShape, params: HopfieldLayerParams): number[] {
  const { v } = hopfieldLayerForward(shape, params, 1, new Float64Array(shape.inputSize), 1)
  return Array.from(predictClasses(v, shape.storedPatterns, shape.classes))
}

export function hopfieldLayerModelName(spec: HopfieldLayerModelSpec): string {
  if (spec.mode === 'pooling') return `Hopfield pooling · bags of ${poolingBags(spec).minBag}–${poolingBags(spec).maxBag} · d ${poolingBags(spec).size}`
  return `Hopfield layer · ${spec.storedPatterns} stored patterns · ${spec.task.classes} classes`
}

/** Trains the lookup layer (its stored patterns learned) and the linear baseline on the pixels; see trainHopfieldLayerEpochs. */
export async function trainHopfieldLayerJob(input: HopfieldLayerTrainInput, hooks: ComputeHooks): Promise<{ info: HopfieldLayerInfo; params: HopfieldLayerParams; tensors: Record<string, NamedTensor> }> {
  const { spec } = input
  if (spec.mode !== 'lookup') throw new RangeError(`trainHopfieldLayerJob: mode '${spec.mode}' is trained by trainHopfieldPoolingJob`)
  const { beta } = resolvedHopfieldLayerSizes(spec)
  const shape = hopfieldLayerShape(spec)
  const { inputSize: d, storedPatterns: P, classes: C } = shape
  const data = hopfieldLayerData(spec.task, input.seed)
  const root = new Rng(input.seed)
  const params0 = copyParams<HopfieldLayerParams>(HOPFIELD_LAYER_PARAMS, initHopfieldLayer(shape, root.fork(STREAMS.init)), Math.fround)
  const order = root.fork(STREAMS.batches)
  const B = spec.batch
  const K = Math.floor(data.train.n / B)
  const M = data.modeClass.length
  const { info, params } = await trainHopfieldLayerEpochs(
    input,
    {
      shape,
      beta,
      names: HOPFIELD_LAYER_PARAMS,
      params: params0,
      program: () => buildHopfieldLayerTrainStep({ shape, beta, batch: B, steps: K }),
      batches: () => epochBatches(data.train.n, B, order).map((idx) => gatherRows(data.train, d, idx)),
      feeds: (batches) => {
        const x = new Float32Array(K * B * d)
        const y = new BigInt64Array(K * B)
        batches.forEach((b, s) => {
          x.set(b.x, s * B * d)
          b.y.forEach((c, r) => (y[s * B + r] = BigInt(c)))
        })
        return { [IO.inputs]: x, [IO.labels]: y }
      },
      gradients: (p, b) => hopfieldLayerGradients(shape, p, beta, b.x, b.y, B),
      baselineInput: (b) => b.x,
      evaluate: (epoch, loss, p, linear) => {
        const matched = matchedPatterns(shape, p)
        const point: HopfieldLayerPoint = {
          epoch,
          loss,
          testAccuracy: accuracy(hopfieldLayerForward(shape, p, beta, data.test.x, data.test.n).logits, data.test.y, data.test.n, C),
          baselineTestAccuracy: accuracy(linearLogits(linear, data.test.x, data.test.n, d, C), data.test.y, data.test.n, C),
          prototypeMatch: prototypeCoverage(cosines(matched, data.modes, P, M, d), P, M)
        }
        const message = `epoch ${epoch}/${spec.epochs} · loss ${loss.toFixed(4)} · held-out accuracy ${(point.testAccuracy * 100).toFixed(1)}% (linear ${(point.baselineTestAccuracy * 100).toFixed(1)}%)`
        return { point, message, text: encodeStoredSnapshot(epoch, p.stored_patterns, matched, P, d) }
      },
      summary: (p, linear) => ({
        trainAccuracy: accuracy(hopfieldLayerForward(shape, p, beta, data.train.x, data.train.n).logits, data.train.y, data.train.n, C),
        baselineTrainAccuracy: accuracy(linearLogits(linear, data.train.x, data.train.n, d, C), data.train.y, data.train.n, C),
        storedClasses: storedClasses(shape, p)
      })
    },
    hooks
  )
  return { info, params, tensors: hopfieldLayerStateDict(shape, params) }
}

/** A state dict as a session keeps it and safetensors exports it: the named weights as float32. */
export function float32StateDict<N extends string>(names: readonly N[], shapes: Readonly<Record<N, readonly number[]>>, params: Readonly<Record<N, Float64Array>>): Record<string, NamedTensor> {
  return Object.fromEntries(names.map((k) => [k, { dtype: 'float32' as const, shape: [...shapes[k]], data: Float32Array.from(params[k]) }]))
}

/** The state dict a session keeps and safetensors exports: float32 under the layer's parameter names. */
export function hopfieldLayerStateDict(shape: HopfieldLayerShape, params: HopfieldLayerParams): Record<string, NamedTensor> {
  return float32StateDict(HOPFIELD_LAYER_PARAMS, hopfieldLayerParamShapes(shape), params)
}

/** One held-out input's attention over the stored patterns, its logits and prediction, with the patterns to draw. */
export function hopfieldLayerAttend(info: HopfieldLayerInfo, params: HopfieldLayerParams, index: number, field: string): HopfieldLayerAttendResult {
  const { spec } = info
  if (spec.mode !== 'lookup') throw new ApiError({ code: 'bad-request', field, message: `${field}: a pooling layer has no stored patterns to attend over; use the hopfield-layer.bag view` })
  if (index >= spec.task.test) {
    throw new ApiError({ code: 'bad-request', field, message: `${field}: ${index} is out of range (the task holds ${spec.task.test} held-out samples)` })
  }
  const shape = hopfieldLayerShape(spec)
  const data = hopfieldLayerData(spec.task, info.seed)
  const d = shape.inputSize
  const x = data.test.x.slice(index * d, (index + 1) * d)
  const f = hopfieldLayerForward(shape, params, info.beta, x, 1)
  const matched = matchedPatterns(shape, params)
  return {
    modelId: info.id,
    index,
    input: Array.from(x),
    label: data.test.y[index]!,
    mode: data.test.mode[index]!,
    predicted: predictClasses(f.logits, 1, shape.classes)[0]!,
    attention: Array.from(f.attention),
    logits: Array.from(f.logits),
    storedPatterns: Array.from(params.stored_patterns),
    matchedPatterns: Array.from(matched),
    modes: Array.from(data.modes),
    modeClasses: Array.from(data.modeClass),
    nearest: nearestPrototypes(cosines(matched, data.modes, shape.storedPatterns, data.modeClass.length, d), shape.storedPatterns, data.modeClass.length)
  }
}

/** The trained layer's weights from a state dict (session tensors, a result file's). */
export function hopfieldLayerParams(tensor: (name: string) => NamedTensor): HopfieldLayerParams {
  return paramsFromStateDict(HOPFIELD_LAYER_PARAMS, tensor)
}

/** Named weights as float64 from a state dict. */
export const paramsFromStateDict = <P extends Record<string, Float64Array>>(names: readonly (keyof P & string)[], tensor: (name: string) => NamedTensor): P =>
  Object.fromEntries(names.map((k) => [k, Float64Array.from(tensor(k).data as ArrayLike<number>)])) as P

/** The layer as ONNX (MatMul–Softmax–MatMul, weights embedded, dynamic batch) or safetensors; other formats refused naming `field`. */
export function hopfieldLayerExportBytes(info: Pick<HopfieldLayerInfo, 'spec' | 'seed' | 'beta'>, params: HopfieldLayerParams, format: ExportFormat, field: string): Uint8Array {
  const shape = hopfieldLayerShape(info.spec)
  const metadata = { 'engram.version': ENGRAM_VERSION, kind: 'hopfield-layer', beta: String(info.beta), training: JSON.stringify({ ...info.spec, seed: info.seed }) }
  return layerExportBytes(format, field, metadata, () => exportHopfieldLayerOnnx(shape, info.beta, params, metadata), () => hopfieldLayerStateDict(shape, params))
}

/** Either mode of the layer as ONNX or safetensors with `metadata`; other formats refused naming `field`. */
export function layerExportBytes(
  format: ExportFormat,
  field: string,
  metadata: Record<string, string>,
  onnx: () => Uint8Array,
  stateDict: () => Record<string, NamedTensor>
): Uint8Array {
  if (format === 'onnx') return onnx()
  if (format === 'safetensors') return encodeStateDict('safetensors', stateDict(), metadata)
  throw new ApiError({ code: 'bad-request', field, message: `${field}: a Hopfield layer exports as onnx or safetensors, not ${format}` })
}
