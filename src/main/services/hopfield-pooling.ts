// The Hopfield layer's pooling mode (HopfieldPooling): training on the key-instance bags task (engine, one run of K
// minibatch steps per epoch on bags padded to maxBag, float32; the float64 core when the engine cannot run), the
// mean-pooling baseline on the same minibatches, live loss / held-out accuracy / key attention per epoch, cancel keeping
// the last finished epoch; one held-out bag's attention; the exports.
// Legend: d instance size, k key size, C = 2 classes, B bags per batch, N = maxBag, K steps per epoch (⌊train / B⌋).
import type { NamedTensor } from '../../core/safetensors'
import { accuracy, epochBatches, gemm, linearLogits, predictClasses } from '../../core/hopfield-layer'
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
import { poolingBags, resolvedHopfieldLayerSizes, type HopfieldLayerBagResult, type HopfieldLayerBags, type HopfieldLayerInfo, type HopfieldLayerModelSpec, type HopfieldLayerPoint } from '../../shared/families/hopfield-layer'
import type { ExportFormat } from '../../shared/family'
import { ENGRAM_VERSION } from '../version'
import type { ComputeHooks } from './hooks'
import { copyParams, float32StateDict, layerExportBytes, paramsFromStateDict, trainHopfieldLayerEpochs, type HopfieldLayerTrainInput } from './hopfield-layer'

/** The key, the decoy split and the train and test bags, from the seed's named streams. */
export function hopfieldPoolingData(bags: HopfieldLayerBags, seed: number): BagTask {
  const root = new Rng(seed)
  return bagTask(bags, { key: root.fork(STREAMS.key), train: root.fork(STREAMS.train), test: root.fork(STREAMS.test) })
}

export function hopfieldPoolingShape(spec: HopfieldLayerModelSpec): HopfieldPoolingShape {
  const { inputSize, keySize } = resolvedHopfieldLayerSizes(spec)
  return { inputSize, keySize, classes: 2 }
}

/**
 * Trains the pooling layer and the mean-pooling baseline (a linear classifier on each bag's mean instance); the loop,
 * cancel and NaN/Inf handling are trainHopfieldLayerEpochs'. Same input → same numbers.
 */
export async function trainHopfieldPoolingJob(input: HopfieldLayerTrainInput, hooks: ComputeHooks): Promise<{ info: HopfieldLayerInfo; tensors: Record<string, NamedTensor> }> {
  const { spec } = input
  const bags = poolingBags(spec)
  const { beta } = resolvedHopfieldLayerSizes(spec)
  const shape = hopfieldPoolingShape(spec)
  const { inputSize: d, classes: C } = shape
  const data = hopfieldPoolingData(bags, input.seed)
  const root = new Rng(input.seed)
  const params0 = copyParams<HopfieldPoolingParams>(HOPFIELD_POOLING_PARAMS, initHopfieldPooling(shape, root.fork(STREAMS.init)), Math.fround)
  const order = root.fork(STREAMS.batches)
  const B = spec.batch
  const N = bags.maxBag
  const K = Math.floor(bags.train / B)
  const test = gatherBags(data.test, d, Array.from({ length: bags.test }, (_, i) => i))
  const testMeans = bagMeans(test, d)
  const { info, params } = await trainHopfieldLayerEpochs(
    input,
    {
      shape,
      beta,
      names: HOPFIELD_POOLING_PARAMS,
      params: params0,
      program: () => buildHopfieldPoolingTrainStep({ shape, beta, batch: B, bagLength: N, steps: K }),
      batches: () => epochBatches(bags.train, B, order).map((idx) => gatherBags(data.train, d, idx)),
      feeds: (batches) => {
        const x = new Float32Array(K * B * N * d)
        const mask = new Float32Array(K * B * N)
        const y = new BigInt64Array(K * B)
        batches.forEach((b, s) => {
          x.set(b.x, s * B * N * d)
          mask.set(b.mask, s * B * N)
          b.y.forEach((c, r) => (y[s * B + r] = BigInt(c)))
        })
        return { [IO.bags]: x, [IO.mask]: mask, [IO.labels]: y }
      },
      gradients: (p, b) => hopfieldPoolingGradients(shape, p, beta, b, b.y),
      baselineInput: (b) => bagMeans(b, d),
      evaluate: (epoch, loss, p, linear) => {
        const f = hopfieldPoolingForward(shape, p, beta, test)
        const point: HopfieldLayerPoint = {
          epoch,
          loss,
          testAccuracy: accuracy(f.logits, test.y, bags.test, C),
          baselineTestAccuracy: accuracy(linearLogits(linear, testMeans, bags.test, d, C), test.y, bags.test, C),
          keyAttention: keyAttention(data.test, f.attention)
        }
        const message = `epoch ${epoch}/${spec.epochs} · loss ${loss.toFixed(4)} · held-out accuracy ${(point.testAccuracy * 100).toFixed(1)}% (mean pooling ${(point.baselineTestAccuracy * 100).toFixed(1)}%) · key attention ${point.keyAttention!.toFixed(2)}`
        return { point, message }
      },
      summary: (p, linear) => {
        const train = gatherBags(data.train, d, Array.from({ length: bags.train }, (_, i) => i))
        return {
          trainAccuracy: accuracy(hopfieldPoolingForward(shape, p, beta, train).logits, train.y, bags.train, C),
          baselineTrainAccuracy: accuracy(linearLogits(linear, bagMeans(train, d), bags.train, d, C), train.y, bags.train, C),
          storedClasses: []
        }
      }
    },
    hooks
  )
  return { info, tensors: hopfieldPoolingStateDict(shape, params) }
}

/** The state dict a session keeps and safetensors exports: float32 under the pooling layer's parameter names. */
export function hopfieldPoolingStateDict(shape: HopfieldPoolingShape, params: HopfieldPoolingParams): Record<string, NamedTensor> {
  return float32StateDict(HOPFIELD_POOLING_PARAMS, hopfieldPoolingParamShapes(shape), params)
}

export function hopfieldPoolingParams(tensor: (name: string) => NamedTensor): HopfieldPoolingParams {
  return paramsFromStateDict(HOPFIELD_POOLING_PARAMS, tensor)
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
  return layerExportBytes(format, field, metadata, () => exportHopfieldPoolingOnnx(shape, info.beta, params, metadata), () => hopfieldPoolingStateDict(shape, params))
}
