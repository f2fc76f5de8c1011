// A trainable Hopfield layer with learned stored patterns (Ramsauer et al. 2020's "HopfieldLayer" / lookup layer,
// seeds/004): the input is the state (query) pattern, the stored patterns are parameters, and the class is read out
// from what the layer retrieves. Forward, mean cross-entropy, analytic gradients, Adam, the synthetic task it is
// trained on and a linear baseline, all in float64 (the reference the engine's float32 training is checked against).
// Reference: Ramsauer et al. (2020), "Hopfield Networks is All You Need", eq. (10): Z = softmax(β R W_Q W_Kᵀ Yᵀ) Y W_K W_V.
// Legend: B batch, d input size (width·height pixels), P stored patterns, k associative (key) size, C classes.
// X [B, d] the inputs (state patterns R); Y [P, d] the learned stored patterns; W_Q, W_K [d, k]; W_V [k, C].
// Q = X W_Q [B, k]; K = Y W_K [P, k]; S = β Q Kᵀ [B, P]; A = softmax_rows(S) [B, P] the attention over the stored
// patterns; V = K W_V [P, C] each stored pattern's class vote; logits = A V [B, C]; loss = mean_b −log softmax(logits)_y.
// All matrices row-major Float64Array.
import type { Rng } from './rng'

/** State-dict names of the layer's parameters (PyTorch-style; the engine program uses the same names). */
export const HOPFIELD_LAYER_PARAMS = ['stored_patterns', 'w_q', 'w_k', 'w_v'] as const
export type HopfieldLayerParamName = (typeof HOPFIELD_LAYER_PARAMS)[number]
export type HopfieldLayerParams = Record<HopfieldLayerParamName, Float64Array>

export interface HopfieldLayerShape {
  /** d */
  inputSize: number
  /** P */
  storedPatterns: number
  /** k */
  keySize: number
  /** C */
  classes: number
}

export function hopfieldLayerParamShapes(s: HopfieldLayerShape): Record<HopfieldLayerParamName, [number, number]> {
  return { stored_patterns: [s.storedPatterns, s.inputSize], w_q: [s.inputSize, s.keySize], w_k: [s.inputSize, s.keySize], w_v: [s.keySize, s.classes] }
}

/**
 * C = op(A)·op(B) for row-major A and B: `ta` reads A as its transpose, `tb` B. [m, n] with n the inner size.
 * (One loop for the six products of the forward and backward pass.)
 */
export function gemm(a: Float64Array, ar: number, ac: number, ta: boolean, b: Float64Array, br: number, bc: number, tb: boolean): Float64Array {
  const m = ta ? ac : ar
  const inner = ta ? ar : ac
  const n = tb ? br : bc
  if ((tb ? bc : br) !== inner) throw new RangeError(`gemm: inner sizes differ (${inner} and ${tb ? bc : br})`)
  const out = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < inner; p++) {
      const av = ta ? a[p * ac + i]! : a[i * ac + p]!
      if (av === 0) continue
      for (let j = 0; j < n; j++) out[i * n + j]! += av * (tb ? b[j * bc + p]! : b[p * bc + j]!)
    }
  }
  return out
}

/** Row-wise softmax of an [r, c] matrix, each row shifted by its maximum. */
function softmaxRows(s: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(s.length)
  for (let i = 0; i < r; i++) {
    let max = -Infinity
    for (let j = 0; j < c; j++) max = Math.max(max, s[i * c + j]!)
    let sum = 0
    for (let j = 0; j < c; j++) sum += out[i * c + j] = Math.exp(s[i * c + j]! - max)
    for (let j = 0; j < c; j++) out[i * c + j]! /= sum
  }
  return out
}

export interface HopfieldLayerForward {
  q: Float64Array
  k: Float64Array
  v: Float64Array
  /** A [B, P]. */
  attention: Float64Array
  /** [B, C]. */
  logits: Float64Array
}

/** The layer on a batch X [B, d]. */
export function hopfieldLayerForward(s: HopfieldLayerShape, p: HopfieldLayerParams, beta: number, x: Float64Array, batch: number): HopfieldLayerForward {
  const { inputSize: d, storedPatterns: P, keySize: k, classes: C } = s
  if (x.length !== batch * d) throw new RangeError(`inputs: ${x.length} values, expected ${batch}·${d}`)
  const q = gemm(x, batch, d, false, p.w_q, d, k, false)
  const kk = gemm(p.stored_patterns, P, d, false, p.w_k, d, k, false)
  const scores = gemm(q, batch, k, false, kk, P, k, true)
  for (let i = 0; i < scores.length; i++) scores[i]! *= beta
  const attention = softmaxRows(scores, batch, P)
  const v = gemm(kk, P, k, false, p.w_v, k, C, false)
  return { q, k: kk, v, attention, logits: gemm(attention, batch, P, false, v, P, C, false) }
}

/**
 * What each stored pattern is matched against in input space: the score of input x and stored pattern j is
 * β x·(W_Q (W_Kᵀ y_j)), so row j of Y W_K W_Qᵀ [P, d] is the pixel pattern that pattern j responds to most.
 */
export function matchedPatterns(s: HopfieldLayerShape, p: HopfieldLayerParams): Float64Array {
  const { inputSize: d, storedPatterns: P, keySize: k } = s
  return gemm(gemm(p.stored_patterns, P, d, false, p.w_k, d, k, false), P, k, false, p.w_q, d, k, true)
}

/** The cosine similarity of every row of `patterns` [P, d] with every row of `modes` [M, d]: [P, M]. */
export function cosines(patterns: Float64Array, modes: Float64Array, count: number, modeCount: number, d: number): Float64Array {
  const norms = (a: Float64Array, n: number) => Float64Array.from({ length: n }, (_, r) => Math.sqrt(a.subarray(r * d, (r + 1) * d).reduce((s, v) => s + v * v, 0)))
  const np = norms(patterns, count)
  const nm = norms(modes, modeCount)
  const dots = gemm(patterns, count, d, false, modes, modeCount, d, true)
  for (let j = 0; j < count; j++) for (let m = 0; m < modeCount; m++) dots[j * modeCount + m] = np[j]! > 0 && nm[m]! > 0 ? dots[j * modeCount + m]! / (np[j]! * nm[m]!) : 0
  return dots
}

/** Per pattern (row of a [P, M] cosine matrix): the mode it is most similar to, and that cosine. */
export function nearestPrototypes(corr: Float64Array, count: number, modeCount: number): { mode: number; cosine: number }[] {
  return Array.from({ length: count }, (_, j) => {
    let best = 0
    for (let m = 1; m < modeCount; m++) if (corr[j * modeCount + m]! > corr[j * modeCount + best]!) best = m
    return { mode: best, cosine: corr[j * modeCount + best]! }
  })
}

/** How well the patterns cover the prototypes: the mean over prototypes of the best cosine any pattern has with it. */
export function prototypeCoverage(corr: Float64Array, count: number, modeCount: number): number {
  let sum = 0
  for (let m = 0; m < modeCount; m++) {
    let best = -1
    for (let j = 0; j < count; j++) best = Math.max(best, corr[j * modeCount + m]!)
    sum += best
  }
  return sum / modeCount
}

/**
 * Mean softmax cross-entropy of logits [B, C] against class indices, and its gradient wrt the logits. The loss is
 * lse(logits) − logit_y per row, so a confident wrong answer gives a large finite loss, never log(0).
 */
export function crossEntropy(logits: Float64Array, labels: ArrayLike<number>, batch: number, classes: number): { loss: number; dLogits: Float64Array } {
  const probs = softmaxRows(logits, batch, classes)
  let loss = 0
  for (let b = 0; b < batch; b++) {
    const y = labels[b]!
    let max = -Infinity
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[b * classes + c]!)
    let sum = 0
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[b * classes + c]! - max)
    loss += max + Math.log(sum) - logits[b * classes + y]!
    probs[b * classes + y]! -= 1
  }
  for (let i = 0; i < probs.length; i++) probs[i]! /= batch
  return { loss: loss / batch, dLogits: probs }
}

export interface HopfieldLayerGradients {
  loss: number
  grads: HopfieldLayerParams
  forward: HopfieldLayerForward
}

/** The loss on a batch and its gradient with respect to every parameter (backpropagation through the layer). */
export function hopfieldLayerGradients(s: HopfieldLayerShape, p: HopfieldLayerParams, beta: number, x: Float64Array, labels: ArrayLike<number>, batch: number): HopfieldLayerGradients {
  const { inputSize: d, storedPatterns: P, keySize: k, classes: C } = s
  const f = hopfieldLayerForward(s, p, beta, x, batch)
  const { loss, dLogits } = crossEntropy(f.logits, labels, batch, C)
  const dA = gemm(dLogits, batch, C, false, f.v, P, C, true)
  const dV = gemm(f.attention, batch, P, true, dLogits, batch, C, false)
  // Softmax backward per row: dS = A ⊙ (dA − Σ_j dA_j A_j), then the β of S = β Q Kᵀ.
  const dS = new Float64Array(batch * P)
  for (let b = 0; b < batch; b++) {
    let dot = 0
    for (let j = 0; j < P; j++) dot += dA[b * P + j]! * f.attention[b * P + j]!
    for (let j = 0; j < P; j++) dS[b * P + j] = beta * f.attention[b * P + j]! * (dA[b * P + j]! - dot)
  }
  const dQ = gemm(dS, batch, P, false, f.k, P, k, false)
  // K feeds the scores and the values V = K W_V.
  const dK = gemm(dS, batch, P, true, f.q, batch, k, false)
  const dKv = gemm(dV, P, C, false, p.w_v, k, C, true)
  for (let i = 0; i < dK.length; i++) dK[i]! += dKv[i]!
  return {
    loss,
    forward: f,
    grads: {
      stored_patterns: gemm(dK, P, k, false, p.w_k, d, k, true),
      w_q: gemm(x, batch, d, true, dQ, batch, k, false),
      w_k: gemm(p.stored_patterns, P, d, true, dK, P, k, false),
      w_v: gemm(f.k, P, k, true, dV, P, C, false)
    }
  }
}

/**
 * The initial parameters: stored patterns small and random (0.1·N(0, 1)), so they start as no class's prototype and
 * training visibly draws them out; W_Q = W_K = the d×k identity (the layer starts comparing raw pixels, Ramsauer's
 * classical retrieval when k = d); W_V ~ N(0, 1/k).
 */
export function initHopfieldLayer(s: HopfieldLayerShape, rng: Rng): HopfieldLayerParams {
  const { inputSize: d, storedPatterns: P, keySize: k, classes: C } = s
  const eye = new Float64Array(d * k)
  for (let i = 0; i < Math.min(d, k); i++) eye[i * k + i] = 1
  const stored = Float64Array.from({ length: P * d }, () => 0.1 * rng.normal())
  const wV = Float64Array.from({ length: k * C }, () => rng.normal() / Math.sqrt(k))
  return { stored_patterns: stored, w_q: Float64Array.from(eye), w_k: eye, w_v: wV }
}

/** Argmax of each row of [B, C] logits. */
export function predictClasses(logits: Float64Array, batch: number, classes: number): Int32Array {
  const out = new Int32Array(batch)
  for (let b = 0; b < batch; b++) {
    let best = 0
    for (let c = 1; c < classes; c++) if (logits[b * classes + c]! > logits[b * classes + best]!) best = c
    out[b] = best
  }
  return out
}

/** Fraction of rows whose argmax is the label. */
export function accuracy(logits: Float64Array, labels: ArrayLike<number>, batch: number, classes: number): number {
  const pred = predictClasses(logits, batch, classes)
  let right = 0
  for (let b = 0; b < batch; b++) if (pred[b] === labels[b]) right++
  return right / batch
}

// ---------------------------------------------------------------------------------------------------------------
// The task: classes made of sign-symmetric modes (a pattern and its negative), so no linear read-out of the pixels can
// separate them (w·x + c takes values with the same mean on p and −p), while a layer that retrieves the nearest stored
// prototype can.

export interface PrototypeTaskSpec {
  classes: number
  /** Pairs (p, −p) of random ±1 modes per class. */
  pairs: number
  width: number
  height: number
  /** Each pixel of a sample is flipped with this probability. */
  flip: number
  train: number
  test: number
}

export interface LabelledSet {
  /** [n, d] ±1. */
  x: Float64Array
  /** Class per row. */
  y: Int32Array
  /** The mode each row was drawn from. */
  mode: Int32Array
  n: number
}

export interface PrototypeTask {
  /** [M, d] the modes (M = classes · 2 · pairs), ±1; mode 2j+1 is −(mode 2j). */
  modes: Float64Array
  modeClass: Int32Array
  train: LabelledSet
  test: LabelledSet
}

function drawSet(modes: Float64Array, modeClass: Int32Array, d: number, n: number, flip: number, rng: Rng): LabelledSet {
  const x = new Float64Array(n * d)
  const y = new Int32Array(n)
  const mode = new Int32Array(n)
  for (let r = 0; r < n; r++) {
    const m = rng.int(modeClass.length)
    mode[r] = m
    y[r] = modeClass[m]!
    for (let i = 0; i < d; i++) x[r * d + i] = rng.next() < flip ? -modes[m * d + i]! : modes[m * d + i]!
  }
  return { x, y, mode, n }
}

/** The task's modes and its train and test sets, each from its own stream (so the test set does not move with `train`). */
export function prototypeTask(spec: PrototypeTaskSpec, streams: { modes: Rng; train: Rng; test: Rng }): PrototypeTask {
  const d = spec.width * spec.height
  const M = spec.classes * 2 * spec.pairs
  const modes = new Float64Array(M * d)
  const modeClass = new Int32Array(M)
  for (let j = 0; j < M / 2; j++) {
    modeClass[2 * j] = modeClass[2 * j + 1] = Math.floor(j / spec.pairs)
    for (let i = 0; i < d; i++) {
      const v = streams.modes.next() < 0.5 ? -1 : 1
      modes[2 * j * d + i] = v
      modes[(2 * j + 1) * d + i] = -v
    }
  }
  return { modes, modeClass, train: drawSet(modes, modeClass, d, spec.train, spec.flip, streams.train), test: drawSet(modes, modeClass, d, spec.test, spec.flip, streams.test) }
}

/** Rows `idx` of an [n, d] set as one batch. */
export function gatherRows(set: LabelledSet, d: number, idx: ArrayLike<number>): { x: Float64Array; y: Int32Array } {
  const x = new Float64Array(idx.length * d)
  const y = new Int32Array(idx.length)
  for (let r = 0; r < idx.length; r++) {
    x.set(set.x.subarray(idx[r]! * d, (idx[r]! + 1) * d), r * d)
    y[r] = set.y[idx[r]!]!
  }
  return { x, y }
}

/** One epoch's minibatches: a fresh permutation of the training rows cut into ⌊n / B⌋ batches (the rest waits for the next epoch). */
export function epochBatches(n: number, batch: number, rng: Rng): Uint32Array[] {
  const perm = rng.permutation(n)
  return Array.from({ length: Math.floor(n / batch) }, (_, b) => perm.subarray(b * batch, (b + 1) * batch))
}

// ---------------------------------------------------------------------------------------------------------------
// Adam (Kingma & Ba 2015, torch.optim.Adam's defaults) over named float64 tensors.

export interface AdamState {
  step: number
  m: Record<string, Float64Array>
  v: Record<string, Float64Array>
}

export function adamInit(params: Record<string, Float64Array>): AdamState {
  const zeros = (): Record<string, Float64Array> => Object.fromEntries(Object.entries(params).map(([k, a]) => [k, new Float64Array(a.length)]))
  return { step: 0, m: zeros(), v: zeros() }
}

/** One Adam step in place (β1 0.9, β2 0.999, ε 1e−8). */
export function adamStep(params: Record<string, Float64Array>, grads: Record<string, Float64Array>, state: AdamState, lr: number): void {
  const t = ++state.step
  const c1 = 1 - 0.9 ** t
  const c2 = 1 - 0.999 ** t
  for (const [name, w] of Object.entries(params)) {
    const g = grads[name]!
    const m = state.m[name]!
    const v = state.v[name]!
    for (let i = 0; i < w.length; i++) {
      m[i] = 0.9 * m[i]! + 0.1 * g[i]!
      v[i] = 0.999 * v[i]! + 0.001 * g[i]! * g[i]!
      w[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + 1e-8)
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The baseline without the layer: a linear softmax classifier on the pixels (logits = X W + b), trained on the same
// minibatches with the same optimiser.

export interface LinearClassifier {
  w: Float64Array
  b: Float64Array
}

export function linearLogits(model: LinearClassifier, x: Float64Array, batch: number, d: number, classes: number): Float64Array {
  const out = gemm(x, batch, d, false, model.w, d, classes, false)
  for (let r = 0; r < batch; r++) for (let c = 0; c < classes; c++) out[r * classes + c]! += model.b[c]!
  return out
}

/** One Adam step of the linear classifier on a batch; returns the batch loss before the step. */
export function linearStep(model: LinearClassifier, state: AdamState, x: Float64Array, y: Int32Array, batch: number, d: number, classes: number, lr: number): number {
  const { loss, dLogits } = crossEntropy(linearLogits(model, x, batch, d, classes), y, batch, classes)
  const db = new Float64Array(classes)
  for (let r = 0; r < batch; r++) for (let c = 0; c < classes; c++) db[c]! += dLogits[r * classes + c]!
  adamStep(model as unknown as Record<string, Float64Array>, { w: gemm(x, batch, d, true, dLogits, batch, classes, false), b: db }, state, lr)
  return loss
}
