// The Hopfield layer's pooling mode (HopfieldPooling): training on the key-instance bags task (engine, one run of K
// minibatch steps per epoch on bags padded to maxBag, float32; the float64 core when the engine cannot run), the
// mean-pooling baseline on the same minibatches, live loss / held-out accuracy / key attention per epoch, cancel keeping
// the last finished epoch; one held-out bag's attention; the exports.
// Legend: d instance size, k key size, C = 2 classes, B bags per batch, N = maxBag, K steps per epoch (⌊train / B⌋).
import type { NamedTensor } from '../../core/safetensors'
import { encodeStateDict } from '../../core/npy'
import { accuracy, adamInit, adamStep, epochBatches, gemm, linearLogits, linearStep, predictClasses } from '../../core/hopfield-layer'
import {
  BAG_ROLE,
  bagMeans,
  bagTask,
  gatherBags,
  HOPFIELD_POOLING_PARAMS,
  hopfieldPoolingForward,
  hopfieldPoolingGradients,
  hopfieldPoolingParamShapes,
  initHopfieldPooling,
  keyAttention,
  type BagTask,
  type HopfieldPoolingParams,
  type HopfieldPoolingShape
} from '../../core/hopfield-pooling'
import { Rng } from '../../core/rng'
import { HOPFIELD_POOLING_STREAMS as STREAMS } from '../../core/rng-streams'
import { buildHopfieldPoolingTrainStep, exportHopfieldPoolingOnnx, HOPFIELD_POOLING_IO as IO } from '../../engine/programs/hopfield-pooling'
import { ApiError } from '../../shared/api'
import { CancelledError } from '../../shared/errors'
import { poolingBags, resolvedHopfieldLayerSizes, type HopfieldLayerBagResult, type HopfieldLayerBags, type HopfieldLayerInfo, type HopfieldLayerModelSpec, type HopfieldLayerPoint } from '../../shared/families/hopfield-layer'
import type { ExportFormat } from '../../shared/family'
import { ENGRAM_VERSION } from '../version'
import type { ComputeHooks } from './hooks'
import { engineRunner, nonFinite, type HopfieldLayerTrainInput } from './hopfield-layer'

/** The key, the decoy split and the train and test bags, from the seed's named streams. */
export function hopfieldPoolingData(bags: HopfieldLayerBags, seed: number): BagTask {
  const root = new Rng(seed)
  return bagTask(bags, { key: root.fork(STREAMS.key), train: root.fork(STREAMS.train), test: root.fork(STREAMS.test) })
}

export function hopfieldPoolingShape(spec: HopfieldLayerModelSpec): HopfieldPoolingShape {
  const { inputSize, keySize } = resolvedHopfieldLayerSizes(spec)
  return { inputSize, keySize, classes: 2 }
}

const copy = (p: HopfieldPoolingParams, f: (v: number) => number = (v) => v): HopfieldPoolingParams =>
  Object.fromEntries(HOPFIELD_POOLING_PARAMS.map((k) => [k, Float64Array.from(p[k], f)])) as HopfieldPoolingParams

/**
 * Trains the pooling layer and the mean-pooling baseline (a linear classifier on each bag's mean instance). Same input →
 * same numbers. Cancel (checked between epochs) keeps the last finished epoch; a NaN/Inf stops training the same way.
 */
export async function trainHopfieldPoolingJob(input: HopfieldLayerTrainInput, hooks: ComputeHooks): Promise<{ info: HopfieldLayerInfo; tensors: Record<string, NamedTensor> }> {
  const { spec } = input
  const bags = poolingBags(spec)
  const { beta } = resolvedHopfieldLayerSizes(spec)
  const shape = hopfieldPoolingShape(spec)
  const { inputSize: d, classes: C } = shape
  const data = hopfieldPoolingData(bags, input.seed)
  const root = new Rng(input.seed)
  let params = copy(initHopfieldPooling(shape, root.fork(STREAMS.init)), Math.fround)
  const order = root.fork(STREAMS.batches)
  const B = spec.batch
  const N = bags.maxBag
  const K = Math.floor(bags.train / B)
  const test = gatherBags(data.test, d, Array.from({ length: bags.test }, (_, i) => i))
  const testMeans = bagMeans(test, d)

  const { runner, fallbackReason } = await engineRunner(() => buildHopfieldPoolingTrainStep({ shape, beta, batch: B, bagLength: N, steps: K }), params, input)
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
      const batches = epochBatches(bags.train, B, order).map((idx) => gatherBags(data.train, d, idx))
      let losses: number[]
      let next: HopfieldPoolingParams
      if (runner) {
        const x = new Float32Array(K * B * N * d)
        const mask = new Float32Array(K * B * N)
        const y = new BigInt64Array(K * B)
        batches.forEach((b, s) => {
          x.set(b.x, s * B * N * d)
          mask.set(b.mask, s * B * N)
          b.y.forEach((c, r) => (y[s * B + r] = BigInt(c)))
        })
        losses = (await runner.run({ [IO.bags]: x, [IO.mask]: mask, [IO.labels]: y }, spec.learningRate)).loss
        const got = runner.getParams()
        next = Object.fromEntries(HOPFIELD_POOLING_PARAMS.map((k) => [k, Float64Array.from(got[k]!)])) as HopfieldPoolingParams
      } else {
        next = copy(params)
        losses = batches.map((b) => {
          const g = hopfieldPoolingGradients(shape, next, beta, b, b.y)
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
      for (const b of batches) linearStep(linear, linearAdam, bagMeans(b, d), b.y, B, d, C, spec.learningRate)
      const f = hopfieldPoolingForward(shape, params, beta, test)
      const loss = losses.reduce((a, v) => a + v, 0) / losses.length
      const point: HopfieldLayerPoint = {
        epoch,
        loss,
        testAccuracy: accuracy(f.logits, test.y, bags.test, C),
        baselineTestAccuracy: accuracy(linearLogits(linear, testMeans, bags.test, d, C), test.y, bags.test, C),
        keyAttention: keyAttention(data.test, f.attention)
      }
      history.push(point)
      hooks.onProgress?.(
        epoch / spec.epochs,
        epoch,
        spec.epochs,
        `epoch ${epoch}/${spec.epochs} · loss ${loss.toFixed(4)} · held-out accuracy ${(point.testAccuracy * 100).toFixed(1)}% (mean pooling ${(point.baselineTestAccuracy * 100).toFixed(1)}%) · key attention ${point.keyAttention!.toFixed(2)}`,
        { ...point }
      )
    }
  } finally {
    await runner?.release()
  }
  if (history.length === 0) throw stopReason ? new Error(`hopfield-layer.train: ${stopReason}`) : new CancelledError()
  const last = history.at(-1)!
  const train = gatherBags(data.train, d, Array.from({ length: bags.train }, (_, i) => i))
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
    trainAccuracy: accuracy(hopfieldPoolingForward(shape, params, beta, train).logits, train.y, bags.train, C),
    testAccuracy: last.testAccuracy,
    baseline: { trainAccuracy: accuracy(linearLogits(linear, bagMeans(train, d), bags.train, d, C), train.y, bags.train, C), testAccuracy: last.baselineTestAccuracy },
    storedClasses: [],
    provider: runner ? `engine (${runner.provider})` : 'core',
    fallbackReason,
    partial,
    stopReason,
    createdAt: new Date().toISOString()
  }
  return { info, tensors: hopfieldPoolingStateDict(shape, params) }
}

/** The state dict a session keeps and safetensors exports: float32 under the pooling layer's parameter names. */
export function hopfieldPoolingStateDict(shape: HopfieldPoolingShape, params: HopfieldPoolingParams): Record<string, NamedTensor> {
  const shapes = hopfieldPoolingParamShapes(shape)
  return Object.fromEntries(HOPFIELD_POOLING_PARAMS.map((k) => [k, { dtype: 'float32' as const, shape: [...shapes[k]], data: Float32Array.from(params[k]) }]))
}

export function hopfieldPoolingParams(tensor: (name: string) => NamedTensor): HopfieldPoolingParams {
  return Object.fromEntries(HOPFIELD_POOLING_PARAMS.map((k) => [k, Float64Array.from(tensor(k).data as ArrayLike<number>)])) as HopfieldPoolingParams
}

const ROLE_NAMES = { [BAG_ROLE.key]: 'key', [BAG_ROLE.decoy]: 'decoy', [BAG_ROLE.clutter]: 'clutter' } as const

/** One held-out bag: its instances and their roles, the query's attention over them, the logits and the prediction. */
export function hopfieldPoolingBag(info: HopfieldLayerInfo, params: HopfieldPoolingParams, index: number, field: string): HopfieldLayerBagResult {
  const bags = poolingBags(info.spec)
  if (index >= bags.test) throw new ApiError({ code: 'bad-request', field, message: `${field}: ${index} is out of range (the task holds ${bags.test} held-out bags)` })
  const shape = hopfieldPoolingShape(info.spec)
  const { inputSize: d, keySize: k } = shape
  const data = hopfieldPoolingData(bags, info.seed)
  const n = data.test.size[index]!
  const N = data.test.length
  const instances = data.test.x.slice(index * N * d, index * N * d + n * d)
  const f = hopfieldPoolingForward(shape, params, info.beta, { x: instances, mask: new Uint8Array(n).fill(1), bags: 1, length: n })
  return {
    modelId: info.id,
    index,
    size: n,
    inputSize: d,
    instances: Array.from(instances),
    roles: Array.from(data.test.role.subarray(index * N, index * N + n), (r) => ROLE_NAMES[r as 0 | 1 | 2]),
    label: data.test.y[index]!,
    predicted: predictClasses(f.logits, 1, 2)[0]!,
    attention: Array.from(f.attention),
    logits: Array.from(f.logits),
    key: Array.from(data.key),
    matchedQuery: Array.from(gemm(params.w_k, d, k, false, params.query, 1, k, true))
  }
}

/** The pooling layer as ONNX (bags + mask → logits, attention; dynamic batch and bag size) or safetensors. */
export function hopfieldPoolingExportBytes(info: Pick<HopfieldLayerInfo, 'spec' | 'seed' | 'beta'>, params: HopfieldPoolingParams, format: ExportFormat, field: string): Uint8Array {
  const shape = hopfieldPoolingShape(info.spec)
  const metadata = { 'engram.version': ENGRAM_VERSION, kind: 'hopfield-layer', mode: 'pooling', beta: String(info.beta), training: JSON.stringify({ ...info.spec, seed: info.seed }) }
  if (format === 'onnx') return exportHopfieldPoolingOnnx(shape, info.beta, params, metadata)
  if (format === 'safetensors') return encodeStateDict('safetensors', hopfieldPoolingStateDict(shape, params), metadata)
  throw new ApiError({ code: 'bad-request', field, message: `${field}: a Hopfield layer exports as onnx or safetensors, not ${format}` })
}
