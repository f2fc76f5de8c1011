// Hopfield pooling over bags of instances (Ramsauer et al. 2020's HopfieldPooling, seeds/004; ml-jku/hopfield-layers'
// HopfieldPooling): one learned state (query) pattern q attends over a bag's instances Y, keys K = Y W_K and values
// K W_V, giving one pooled vector per bag, then the class read-out. Float64 forward, masked softmax over the bag's real
// instances (padding scores −∞, so a padded bag gives exactly the unpadded bag's numbers), mean cross-entropy, analytic
// gradients; the multiple-instance task it is trained on and the mean-pooling baseline's input.
// Legend: B bags in a batch, N instances per bag after padding, d instance size, k key size, C classes.
// X [B, N, d] the bags (padded rows zero); mask [B, N] 1 for a real instance, 0 for padding; q [1, k] the learned query;
// W_K [d, k]; W_V [k, C]; bias [C]. K = X W_K [B, N, k]; s = β K qᵀ [B, N] (−∞ where masked); A = softmax_rows(s);
// pooled = Σ_i A_i K_i [B, k] (the retrieved pattern); logits = pooled W_V + bias [B, C].
// The hopfield-layers module learns its query as r W_Q with r [1, d]; r W_Q is one free vector of the key space, so q is
// learned directly here (the same set of functions, no redundant factor).
import { crossEntropy, gemm } from './hopfield-layer'
import type { Rng } from './rng'

export const HOPFIELD_POOLING_PARAMS = ['query', 'w_k', 'w_v', 'bias'] as const
export type HopfieldPoolingParamName = (typeof HOPFIELD_POOLING_PARAMS)[number]
export type HopfieldPoolingParams = Record<HopfieldPoolingParamName, Float64Array>

export interface HopfieldPoolingShape {
  /** d */
  inputSize: number
  /** k */
  keySize: number
  /** C */
  classes: number
}

export function hopfieldPoolingParamShapes(s: HopfieldPoolingShape): Record<HopfieldPoolingParamName, number[]> {
  return { query: [1, s.keySize], w_k: [s.inputSize, s.keySize], w_v: [s.keySize, s.classes], bias: [s.classes] }
}

/** A batch of bags padded to N instances: x [B, N, d], mask [B, N] (1 real, 0 padding). */
export interface BagBatch {
  x: Float64Array
  mask: Uint8Array
  bags: number
  /** N, the padded bag length. */
  length: number
}

export interface HopfieldPoolingForward {
  /** K [B·N, k]. */
  k: Float64Array
  /** A [B, N]: exactly 0 on padding. */
  attention: Float64Array
  /** [B, k]. */
  pooled: Float64Array
  /** [B, C]. */
  logits: Float64Array
}

export function hopfieldPoolingForward(s: HopfieldPoolingShape, p: HopfieldPoolingParams, beta: number, batch: BagBatch): HopfieldPoolingForward {
  const { inputSize: d, keySize: k, classes: C } = s
  const { bags: B, length: N, x, mask } = batch
  if (x.length !== B * N * d) throw new RangeError(`bags: ${x.length} values, expected ${B}·${N}·${d}`)
  if (mask.length !== B * N) throw new RangeError(`mask: ${mask.length} values, expected ${B}·${N}`)
  const kk = gemm(x, B * N, d, false, p.w_k, d, k, false)
  const attention = new Float64Array(B * N)
  const pooled = new Float64Array(B * k)
  for (let b = 0; b < B; b++) {
    let max = -Infinity
    for (let i = 0; i < N; i++) {
      let dot = 0
      for (let j = 0; j < k; j++) dot += kk[(b * N + i) * k + j]! * p.query[j]!
      const score = mask[b * N + i] ? beta * dot : -Infinity
      attention[b * N + i] = score
      max = Math.max(max, score)
    }
    if (max === -Infinity) throw new RangeError(`bag ${b} has no instance (its mask is all 0)`)
    let sum = 0
    for (let i = 0; i < N; i++) sum += attention[b * N + i] = Math.exp(attention[b * N + i]! - max)
    for (let i = 0; i < N; i++) {
      const a = (attention[b * N + i]! /= sum)
      for (let j = 0; j < k; j++) pooled[b * k + j]! += a * kk[(b * N + i) * k + j]!
    }
  }
  const logits = gemm(pooled, B, k, false, p.w_v, k, C, false)
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) logits[b * C + c]! += p.bias[c]!
  return { k: kk, attention, pooled, logits }
}

export interface HopfieldPoolingGradients {
  loss: number
  grads: HopfieldPoolingParams
  forward: HopfieldPoolingForward
}

/** The mean cross-entropy on a batch of bags and its gradient with respect to every parameter. */
export function hopfieldPoolingGradients(s: HopfieldPoolingShape, p: HopfieldPoolingParams, beta: number, batch: BagBatch, labels: ArrayLike<number>): HopfieldPoolingGradients {
  const { inputSize: d, keySize: k, classes: C } = s
  const { bags: B, length: N } = batch
  const f = hopfieldPoolingForward(s, p, beta, batch)
  const { loss, dLogits } = crossEntropy(f.logits, labels, B, C)
  const bias = new Float64Array(C)
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) bias[c]! += dLogits[b * C + c]!
  const dPooled = gemm(dLogits, B, C, false, p.w_v, k, C, true)
  const dK = new Float64Array(B * N * k)
  const query = new Float64Array(k)
  for (let b = 0; b < B; b++) {
    // dA_i = dpooled·K_i; the softmax backward dS = A ⊙ (dA − Σ_i A_i dA_i) is 0 on padding (A = 0 there).
    const dA = new Float64Array(N)
    let dot = 0
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < k; j++) dA[i]! += dPooled[b * k + j]! * f.k[(b * N + i) * k + j]!
      dot += dA[i]! * f.attention[b * N + i]!
    }
    for (let i = 0; i < N; i++) {
      const a = f.attention[b * N + i]!
      const dS = beta * a * (dA[i]! - dot)
      for (let j = 0; j < k; j++) {
        // K_i feeds the pooled vector (weight A_i) and its score (β K_i·q).
        dK[(b * N + i) * k + j] = a * dPooled[b * k + j]! + dS * p.query[j]!
        query[j]! += dS * f.k[(b * N + i) * k + j]!
      }
    }
  }
  return {
    loss,
    forward: f,
    grads: { query, w_k: gemm(batch.x, B * N, d, true, dK, B * N, k, false), w_v: gemm(f.pooled, B, k, true, dLogits, B, C, false), bias }
  }
}

/**
 * The initial parameters: the query small (0.02·N(0, 1), hopfield-layers' init of its pooling weights), so the attention
 * starts nearly uniform, i.e. as mean pooling; W_K the d×k identity; W_V ~ N(0, 1/k); bias 0.
 */
export function initHopfieldPooling(s: HopfieldPoolingShape, rng: Rng): HopfieldPoolingParams {
  const { inputSize: d, keySize: k, classes: C } = s
  const eye = new Float64Array(d * k)
  for (let i = 0; i < Math.min(d, k); i++) eye[i * k + i] = 1
  return {
    query: Float64Array.from({ length: k }, () => 0.02 * rng.normal()),
    w_k: eye,
    w_v: Float64Array.from({ length: k * C }, () => rng.normal() / Math.sqrt(k)),
    bias: new Float64Array(C)
  }
}

/** The mean of each bag's real instances [B, d]: the mean-pooling baseline's input. */
export function bagMeans(batch: BagBatch, d: number): Float64Array {
  const { bags: B, length: N, x, mask } = batch
  const out = new Float64Array(B * d)
  for (let b = 0; b < B; b++) {
    let n = 0
    for (let i = 0; i < N; i++) {
      if (!mask[b * N + i]) continue
      n++
      for (let j = 0; j < d; j++) out[b * d + j]! += x[(b * N + i) * d + j]!
    }
    for (let j = 0; j < d; j++) out[b * d + j]! /= n
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// The task: multiple-instance learning with a key instance (a bag is positive iff it holds the key, Dietterich et al.'s
// MIL setting). Instances are d-dimensional: clutter ~ N(0, I); the key instance is p + σ·N(0, I) for a fixed random ±1
// pattern p. A negative bag holds instead two decoys, the key's halves p⊙m + τ·N(0, I) and p⊙(1−m) + τ·N(0, I) (m a fixed
// random mask over half the coordinates), with τ² = (σ² + 1)/2. Given the bag size n, the sum of a bag's instances is then
// p + N(0, (n − 1 + σ²) I) in both classes, so the bag mean carries no information about the label: mean pooling followed
// by any read-out is at chance, while a query that matches the whole key (score d against d/2 for a decoy) separates them.

export interface BagTaskSpec {
  /** d */
  size: number
  minBag: number
  maxBag: number
  /** σ, the key instance's noise. */
  noise: number
  train: number
  test: number
}

export const BAG_ROLE = { padding: -1, clutter: 0, key: 1, decoy: 2 } as const

export interface BagSet extends BagBatch {
  /** Class per bag (1: holds the key). */
  y: Int32Array
  /** Real instances per bag. */
  size: Int32Array
  /** [B, N]: BAG_ROLE of each slot. */
  role: Int8Array
}

export interface BagTask {
  /** p [d], ±1. */
  key: Float64Array
  /** m [d]: 1 on the coordinates of the first decoy. */
  half: Uint8Array
  train: BagSet
  test: BagSet
}

function drawBags(spec: BagTaskSpec, key: Float64Array, half: Uint8Array, n: number, rng: Rng): BagSet {
  const d = spec.size
  const N = spec.maxBag
  const tau = Math.sqrt((spec.noise * spec.noise + 1) / 2)
  const x = new Float64Array(n * N * d)
  const mask = new Uint8Array(n * N)
  const role = new Int8Array(n * N).fill(BAG_ROLE.padding)
  const y = new Int32Array(n)
  const size = new Int32Array(n)
  for (let b = 0; b < n; b++) {
    const count = spec.minBag + rng.int(spec.maxBag - spec.minBag + 1)
    const positive = rng.next() < 0.5
    y[b] = positive ? 1 : 0
    size[b] = count
    // Where the key (or the two decoys) sit among the bag's slots.
    const slots = rng.permutation(count)
    for (let i = 0; i < count; i++) {
      mask[b * N + i] = 1
      role[b * N + i] = BAG_ROLE.clutter
    }
    if (positive) role[b * N + slots[0]!] = BAG_ROLE.key
    else role[b * N + slots[0]!] = role[b * N + slots[1]!] = BAG_ROLE.decoy
    let decoy = 0
    for (let i = 0; i < count; i++) {
      const at = (b * N + i) * d
      const r = role[b * N + i]
      const which = r === BAG_ROLE.decoy ? decoy++ : -1
      for (let j = 0; j < d; j++) {
        const z = rng.normal()
        if (r === BAG_ROLE.key) x[at + j] = key[j]! + spec.noise * z
        else if (r === BAG_ROLE.decoy) x[at + j] = (half[j] === (which === 0 ? 1 : 0) ? key[j]! : 0) + tau * z
        else x[at + j] = z
      }
    }
  }
  return { x, mask, bags: n, length: N, y, size, role }
}

/** The key, the decoys' split and the train and test bags, each from its own stream (the test set does not move with `train`). */
export function bagTask(spec: BagTaskSpec, streams: { key: Rng; train: Rng; test: Rng }): BagTask {
  const d = spec.size
  const key = Float64Array.from({ length: d }, () => (streams.key.next() < 0.5 ? -1 : 1))
  const half = new Uint8Array(d)
  for (const j of streams.key.permutation(d).subarray(0, Math.floor(d / 2))) half[j] = 1
  return { key, half, train: drawBags(spec, key, half, spec.train, streams.train), test: drawBags(spec, key, half, spec.test, streams.test) }
}

/** Bags `idx` of a set as one padded batch (the set's padding length), with their labels. */
export function gatherBags(set: BagSet, d: number, idx: ArrayLike<number>): BagBatch & { y: Int32Array } {
  const N = set.length
  const x = new Float64Array(idx.length * N * d)
  const mask = new Uint8Array(idx.length * N)
  const y = new Int32Array(idx.length)
  for (let r = 0; r < idx.length; r++) {
    const b = idx[r]!
    x.set(set.x.subarray(b * N * d, (b + 1) * N * d), r * N * d)
    mask.set(set.mask.subarray(b * N, (b + 1) * N), r * N)
    y[r] = set.y[b]!
  }
  return { x, mask, bags: idx.length, length: N, y }
}

/** Over the held-out positive bags: the mean attention the key instance gets (1 when the query retrieves only the key). */
export function keyAttention(set: BagSet, attention: Float64Array): number {
  let sum = 0
  let count = 0
  for (let i = 0; i < set.role.length; i++) {
    if (set.role[i] !== BAG_ROLE.key) continue
    sum += attention[i]!
    count++
  }
  return count ? sum / count : 0
}
