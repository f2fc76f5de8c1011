// Restricted Boltzmann machine (exact float64 reference): CD-k, PCD, momentum, weight decay, sparsity, Gaussian and label units.
// Reference: seeds/004 (RBM conditionals, CD gradient ⟨v_i h_j⟩⁰ − ⟨v_i h_j⟩^k, classification with one-hot class units,
// continuous-valued RBMs) and seeds/001 (energy-based learning, contrastive divergence); Hinton, "A practical guide to
// training RBMs" (UTML TR 2010-003: momentum, weight decay, sparsity target, mean-field reconstructions); Tieleman 2008
// (PCD); Cho, Raiko & Ilin 2011 (Gaussian–Bernoulli energy with v/σ², learned log σ²).
// Legend: V visible units (features then labels), H hidden units, C label units (the last C visible units, one softmax
// group; 0 = none), B batch rows, k Gibbs steps. W [V,H] row-major (w_ij = weights[i*H+j], visible i – hidden j),
// b visibleBias [V], c hiddenBias [H], z logVariance [V] (z_i = log σ_i², Gaussian feature units only).
// Energy, Bernoulli visible: E(v,h) = −bᵀv − cᵀh − vᵀWh.
// Energy, Gaussian visible: E(v,h) = Σ_i (v_i − b_i)²/(2σ_i²) − cᵀh − Σ_ij (v_i/σ_i²) w_ij h_j.
// x = "scaled visible": x_i = v_i/σ_i² for Gaussian feature units, v_i otherwise; p(h_j=1|v) = sigm(c_j + (xW)_j).
// Noise: every stochastic choice reads a supplied number: u ∈ [0,1) uniform (24-bit, exact in float32) for Bernoulli
// and label units, n ~ N(0,1) (float32) for Gaussian units, so the engine fed the same arrays gives the same samples.

import type { Rng } from './rng'

export type FloatArray = Float64Array | Float32Array
export type VisibleUnits = 'bernoulli' | 'gaussian'

export interface Rbm {
  /** V: all visible units, label units included. */
  visible: number
  hidden: number
  visibleUnits: VisibleUnits
  /** C: the last C visible units are one softmax (one-hot) group; 0 for none. */
  labelUnits: number
  /** W [V,H] row-major. */
  weights: FloatArray
  /** b [V]. For Gaussian feature units: the mean of p(v|h=0). */
  visibleBias: FloatArray
  /** c [H]. */
  hiddenBias: FloatArray
  /** z [V] = log σ² for Gaussian feature units (entries of label units unused); null for Bernoulli visible units. */
  logVariance: FloatArray | null
  /**
   * Gaussian units: the standardisation of the training split, raw feature x -> v = (x − mean)/std [F]. The maths in
   * this file works on standardised rows; whoever feeds raw data applies it (standardiseWith) so that held-out rows,
   * views, sampling and exports see the scale training saw. Absent for Bernoulli units.
   */
  featureScaling?: FeatureScaling
}

/** Per-feature mean and standard deviation [F] (standardise: std floored, see MIN_FEATURE_STD). */
export interface FeatureScaling {
  mean: FloatArray
  std: FloatArray
}

/**
 * A column whose standard deviation is below this (a pixel that is constant on the training rows) keeps std = 1: it is
 * centred but not scaled. Training rows then hold 0 there, as with any floor, and a new row that differs in that pixel
 * moves by its raw difference instead of by difference / 1e-6 (which would swamp every other input). Never NaN.
 */
export const MIN_FEATURE_STD = 1e-6

export interface InitRbmOptions {
  visible: number
  hidden: number
  visibleUnits?: VisibleUnits
  labelUnits?: number
  /** Standard deviation of the initial weights; default 0.01 (Hinton's guide §8). */
  weightScale?: number
  /** Gaussian units: the initial σ (all units); default 1, which suits standardised data. */
  sigma?: number
  /**
   * Training rows [rows, V]: visible biases start at log(p/(1−p)) of each unit's mean (Bernoulli, p clamped to
   * [0.01, 0.99]) or at the unit's mean (Gaussian); label biases at the log class frequencies.
   */
  data?: { values: FloatArray | Uint8Array | Int8Array; rows: number }
}

/** Divergence guard: thrown when a parameter stops being finite, with the likely causes in the message. */
export class RbmDivergedError extends Error {
  constructor(
    readonly parameter: string,
    readonly step: number
  ) {
    super(
      `RBM training diverged: ${parameter} is no longer finite at step ${step}. ` +
        'Lower the learning rate; for Gaussian visible units standardise the data (standardise()), keep σ fixed or raise minSigma.'
    )
    this.name = 'RbmDivergedError'
  }
}

function checkSize(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`)
}

/** Throws when the parameter arrays do not fit the declared sizes. */
export function checkRbm(rbm: Rbm): void {
  checkSize('visible', rbm.visible)
  checkSize('hidden', rbm.hidden)
  const { visible: V, hidden: H, labelUnits: C } = rbm
  if (!Number.isInteger(C) || C < 0 || C === 1 || C >= V) {
    throw new RangeError(`labelUnits must be 0 or an integer in 2..${V - 1}, got ${C}`)
  }
  if (rbm.weights.length !== V * H) throw new RangeError(`weights have ${rbm.weights.length} entries, expected ${V}×${H}`)
  if (rbm.visibleBias.length !== V) throw new RangeError(`visibleBias has ${rbm.visibleBias.length} entries, expected ${V}`)
  if (rbm.hiddenBias.length !== H) throw new RangeError(`hiddenBias has ${rbm.hiddenBias.length} entries, expected ${H}`)
  if (rbm.visibleUnits === 'gaussian') {
    if (!rbm.logVariance || rbm.logVariance.length !== V) throw new RangeError(`logVariance must have ${V} entries for Gaussian visible units`)
  } else if (rbm.visibleUnits !== 'bernoulli') {
    throw new RangeError(`visibleUnits must be 'bernoulli' or 'gaussian', got ${String(rbm.visibleUnits)}`)
  }
}

/** Features: the visible units before the label group. */
export function featureUnits(rbm: Rbm): number {
  return rbm.visible - rbm.labelUnits
}

export function initRbm(opts: InitRbmOptions, rng: Rng): Rbm {
  const { visible: V, hidden: H } = opts
  checkSize('visible', V)
  checkSize('hidden', H)
  const visibleUnits = opts.visibleUnits ?? 'bernoulli'
  const C = opts.labelUnits ?? 0
  const scale = opts.weightScale ?? 0.01
  const weights = new Float64Array(V * H)
  for (let i = 0; i < weights.length; i++) weights[i] = scale * rng.normal()
  const visibleBias = new Float64Array(V)
  let logVariance: Float64Array | null = null
  if (visibleUnits === 'gaussian') {
    const sigma = opts.sigma ?? 1
    if (!(sigma > 0)) throw new RangeError(`sigma must be positive, got ${sigma}`)
    logVariance = new Float64Array(V).fill(2 * Math.log(sigma))
    for (let i = V - C; i < V; i++) logVariance[i] = 0
  }
  const rbm: Rbm = { visible: V, hidden: H, visibleUnits, labelUnits: C, weights, visibleBias, hiddenBias: new Float64Array(H), logVariance }
  checkRbm(rbm)
  if (opts.data) {
    const { values, rows } = opts.data
    if (values.length !== rows * V || rows < 1) throw new RangeError(`data has ${values.length} values, expected ${rows}×${V}`)
    const mean = new Float64Array(V)
    for (let r = 0; r < rows; r++) for (let i = 0; i < V; i++) mean[i]! += values[r * V + i]!
    for (let i = 0; i < V; i++) mean[i]! /= rows
    const F = V - C
    for (let i = 0; i < F; i++) {
      if (visibleUnits === 'gaussian') visibleBias[i] = mean[i]!
      else {
        const p = Math.min(0.99, Math.max(0.01, mean[i]!))
        visibleBias[i] = Math.log(p / (1 - p))
      }
    }
    for (let i = F; i < V; i++) visibleBias[i] = Math.log(Math.max(mean[i]!, 1e-3))
  }
  return rbm
}

/** A deep copy (same array types). */
export function cloneRbm(rbm: Rbm): Rbm {
  return {
    ...rbm,
    weights: rbm.weights.slice(),
    visibleBias: rbm.visibleBias.slice(),
    hiddenBias: rbm.hiddenBias.slice(),
    logVariance: rbm.logVariance ? rbm.logVariance.slice() : null
  }
}

/** Standardises each column to mean 0, standard deviation 1 (the safe input for Gaussian visible units). */
export function standardise(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  minStd = MIN_FEATURE_STD
): { data: Float64Array; mean: Float64Array; std: Float64Array } {
  if (values.length !== rows * cols || rows < 1) throw new RangeError(`standardise: ${values.length} values do not fit ${rows}×${cols}`)
  const mean = new Float64Array(cols)
  const std = new Float64Array(cols)
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) mean[i]! += values[r * cols + i]!
  for (let i = 0; i < cols; i++) mean[i]! /= rows
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const d = values[r * cols + i]! - mean[i]!
      std[i]! += d * d
    }
  }
  // A (near-)constant column is centred only (MIN_FEATURE_STD says why): 0 on these rows, never NaN.
  for (let i = 0; i < cols; i++) {
    const sd = Math.sqrt(std[i]! / rows)
    std[i] = sd < minStd ? 1 : sd
  }
  return { data: standardiseWith(values, rows, cols, { mean, std }), mean, std }
}

/** Rows [rows, cols] standardised with given statistics (another split's, or saved ones): (x − mean) / std. */
export function standardiseWith(values: ArrayLike<number>, rows: number, cols: number, scaling: FeatureScaling): Float64Array {
  const { mean, std } = scaling
  if (values.length !== rows * cols) throw new RangeError(`standardiseWith: ${values.length} values do not fit ${rows}×${cols}`)
  if (mean.length !== cols || std.length !== cols) throw new RangeError(`standardiseWith: statistics for ${mean.length}/${std.length} columns, the rows have ${cols}`)
  const data = new Float64Array(rows * cols)
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) data[r * cols + i] = (values[r * cols + i]! - mean[i]!) / std[i]!
  return data
}

/** The inverse of standardiseWith: mean + std · v, back on the raw scale. */
export function destandardise(values: ArrayLike<number>, rows: number, cols: number, scaling: FeatureScaling): Float64Array {
  const { mean, std } = scaling
  if (values.length !== rows * cols) throw new RangeError(`destandardise: ${values.length} values do not fit ${rows}×${cols}`)
  const data = new Float64Array(rows * cols)
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) data[r * cols + i] = mean[i]! + std[i]! * values[r * cols + i]!
  return data
}

// ---------------------------------------------------------------------------------------------
// Conditionals

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))
}

/** log(1 + eˣ) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))
}

/** x = v/σ² on Gaussian feature units, v elsewhere: what the hidden layer and the W gradient see. */
export function scaledVisible(rbm: Rbm, v: ArrayLike<number>, batch: number): Float64Array {
  const V = rbm.visible
  const x = Float64Array.from({ length: batch * V }, (_, k) => v[k]!)
  if (rbm.visibleUnits === 'gaussian') {
    const F = featureUnits(rbm)
    const z = rbm.logVariance!
    for (let r = 0; r < batch; r++) for (let i = 0; i < F; i++) x[r * V + i]! *= Math.exp(-z[i]!)
  }
  return x
}

/** Hidden pre-activations a = c + xW [B,H]. */
export function hiddenPreactivation(rbm: Rbm, v: ArrayLike<number>, batch: number): Float64Array {
  const { visible: V, hidden: H, weights: W, hiddenBias: c } = rbm
  const x = scaledVisible(rbm, v, batch)
  const a = new Float64Array(batch * H)
  for (let r = 0; r < batch; r++) {
    const row = r * H
    for (let j = 0; j < H; j++) a[row + j] = c[j]!
    for (let i = 0; i < V; i++) {
      const xi = x[r * V + i]!
      if (xi === 0) continue
      const wi = i * H
      for (let j = 0; j < H; j++) a[row + j]! += xi * W[wi + j]!
    }
  }
  return a
}

/** p(h_j = 1 | v) [B,H]. */
export function hiddenProbabilities(rbm: Rbm, v: ArrayLike<number>, batch: number): Float64Array {
  return hiddenPreactivation(rbm, v, batch).map(sigmoid)
}

/** Visible pre-activations μ = b + Whᵀ [B,V] (for Gaussian units, the mean of p(v|h)). */
export function visiblePreactivation(rbm: Rbm, h: ArrayLike<number>, batch: number): Float64Array {
  const { visible: V, hidden: H, weights: W, visibleBias: b } = rbm
  const mu = new Float64Array(batch * V)
  for (let r = 0; r < batch; r++) {
    for (let i = 0; i < V; i++) {
      let s = b[i]!
      const wi = i * H
      const hr = r * H
      for (let j = 0; j < H; j++) s += W[wi + j]! * h[hr + j]!
      mu[r * V + i] = s
    }
  }
  return mu
}

/** E[v | h] from pre-activations, in place: sigmoid (Bernoulli), identity (Gaussian), softmax (label group). */
export function visibleMeanFromPreactivation(rbm: Rbm, mu: Float64Array, batch: number): Float64Array {
  const V = rbm.visible
  const F = featureUnits(rbm)
  for (let r = 0; r < batch; r++) {
    if (rbm.visibleUnits === 'bernoulli') for (let i = 0; i < F; i++) mu[r * V + i] = sigmoid(mu[r * V + i]!)
    if (rbm.labelUnits > 0) {
      let m = -Infinity
      for (let i = F; i < V; i++) m = Math.max(m, mu[r * V + i]!)
      let s = 0
      for (let i = F; i < V; i++) s += Math.exp(mu[r * V + i]! - m)
      for (let i = F; i < V; i++) mu[r * V + i] = Math.exp(mu[r * V + i]! - m) / s
    }
  }
  return mu
}

/** E[v | h] [B,V]. */
export function visibleMean(rbm: Rbm, h: ArrayLike<number>, batch: number): Float64Array {
  return visibleMeanFromPreactivation(rbm, visiblePreactivation(rbm, h, batch), batch)
}

/** Bernoulli samples s = [u < p] (the engine's Less(u, p)). */
export function sampleBernoulli(p: ArrayLike<number>, u: ArrayLike<number>, offset = 0): Float64Array {
  const s = new Float64Array(p.length)
  for (let k = 0; k < p.length; k++) s[k] = u[offset + k]! < p[k]! ? 1 : 0
  return s
}

/**
 * Samples v from its mean m = E[v|h] (visibleMean) with noise row-major [B,V] at `offset`: Bernoulli [u < m],
 * Gaussian m + σ·n, label group one-hot at the first j with u < Σ_{l≤j} m_l (u read at the group's first column;
 * the last label takes what rounding leaves).
 */
export function sampleVisible(rbm: Rbm, mean: Float64Array, batch: number, noise: ArrayLike<number>, offset = 0): Float64Array {
  const V = rbm.visible
  const F = featureUnits(rbm)
  const s = new Float64Array(batch * V)
  for (let r = 0; r < batch; r++) {
    const row = r * V
    if (rbm.visibleUnits === 'bernoulli') {
      for (let i = 0; i < F; i++) s[row + i] = noise[offset + row + i]! < mean[row + i]! ? 1 : 0
    } else {
      const z = rbm.logVariance!
      for (let i = 0; i < F; i++) s[row + i] = mean[row + i]! + Math.exp(0.5 * z[i]!) * noise[offset + row + i]!
    }
    if (rbm.labelUnits > 0) {
      const u = noise[offset + row + F]!
      let cum = 0
      let chosen = V - 1
      for (let i = F; i < V - 1; i++) {
        cum += mean[row + i]!
        if (u < cum) {
          chosen = i
          break
        }
      }
      s[row + chosen] = 1
    }
  }
  return s
}

// ---------------------------------------------------------------------------------------------
// Noise

const TWO_POW_M24 = 1 / 16777216

/** Uniform in [0,1) with 24 random bits: exactly representable in float32, so core and engine see one number. */
export function uniform24(rng: Rng): number {
  return (rng.nextU32() >>> 8) * TWO_POW_M24
}

/**
 * Fills `out` with uniform24 draws from a sub-stream: four words of `rng` seed a local xoshiro128** (the Rng's own
 * algorithm) run on local variables, 2–3× faster than calling rng per value; this matters at 50k draws per
 * RBM step. Consumes exactly four words of `rng` whatever the length.
 */
export function fillUniform(rng: Rng, out: Float32Array): Float32Array {
  let s0 = rng.nextU32() | 0
  let s1 = rng.nextU32() | 0
  let s2 = rng.nextU32() | 0
  let s3 = rng.nextU32() | 0
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1
  const n = out.length
  for (let k = 0; k < n; k++) {
    const m = Math.imul(s1, 5)
    const r = Math.imul((m << 7) | (m >>> 25), 9)
    const t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 11) | (s3 >>> 21)
    out[k] = (r >>> 8) * TWO_POW_M24
  }
  return out
}

/** Visible-layer noise [steps,B,V]: N(0,1) rounded to float32 on Gaussian feature columns, uniform24 elsewhere. */
export function fillVisibleNoise(rbm: Rbm, rng: Rng, out: Float32Array): Float32Array {
  if (rbm.visibleUnits === 'bernoulli') return fillUniform(rng, out)
  const V = rbm.visible
  const F = featureUnits(rbm)
  for (let k = 0; k < out.length; k++) out[k] = k % V < F ? Math.fround(rng.normal()) : uniform24(rng)
  return out
}

/** Noise for one CD/PCD step: hidden [k,Bn,H] then (when needed) visible [k,Bn,V], drawn in that order. */
export interface CdNoise {
  k: number
  /** Bn: rows of the negative chain (the batch for CD, the number of persistent chains for PCD). */
  rows: number
  hidden: Float32Array
  visible: Float32Array | null
}

// ---------------------------------------------------------------------------------------------
// Training

export interface SparsityOptions {
  /** p: desired mean activation of each hidden unit (e.g. 0.05). */
  target: number
  /** Weight of the penalty on the hidden biases (Lee, Ekanadham & Ng 2008; Hinton's guide §11). */
  cost: number
  /** λ of the running estimate q ← λq + (1−λ)·mean(p(h|v⁰)); default 0.9. */
  decay?: number
}

export interface SigmaOptions {
  /** Learn log σ² (Cho et al. 2011). Default false: σ stays fixed, the safe choice. */
  learn?: boolean
  /** The log σ² step is scaled by this; default 0.1. */
  learningRateScale?: number
  /** σ is clamped to [minSigma, maxSigma] after each update; defaults 0.05 and 10. */
  minSigma?: number
  maxSigma?: number
}

export interface CdOptions {
  /** Gibbs steps k; default 1. */
  k?: number
  /** PCD (Tieleman 2008): the negative chain persists across updates (state.chains). Default false (CD-k). */
  persistent?: boolean
  learningRate: number
  /** μ of the velocity Δ ← μΔ + η·grad; default 0. */
  momentum?: number
  /** L2 weight decay on W (not on biases); default 0. */
  weightDecay?: number
  sparsity?: SparsityOptions
  /**
   * CD: sample the reconstructed visible units (default false: use their mean, Hinton's guide §3.2).
   * PCD always samples them so the chains stay valid states.
   */
  sampleVisible?: boolean
  sigma?: SigmaOptions
}

/** What persists between updates besides the parameters. */
export interface RbmTrainState {
  /** Momentum velocities, shaped like the parameters. */
  velocity: { weights: FloatArray; visibleBias: FloatArray; hiddenBias: FloatArray; logVariance: FloatArray | null }
  /** q [H]: running mean hidden activation (sparsity). */
  hiddenActivity: FloatArray
  /** Persistent chains [Bn,V] for PCD; null for CD. */
  chains: FloatArray | null
  /** Updates applied so far. */
  step: number
}

/**
 * A fresh state. `persistentChains` rows of PCD chains start from random states drawn from `rng`
 * (Bernoulli(½), N(b, σ²) for Gaussian units, a uniform label), or from `initialChains` when given.
 */
export function createTrainState(
  rbm: Rbm,
  opts: { persistentChains?: number; initialChains?: ArrayLike<number>; sparsityTarget?: number } = {},
  rng?: Rng
): RbmTrainState {
  checkRbm(rbm)
  const { visible: V, hidden: H } = rbm
  let chains: Float64Array | null = null
  const n = opts.persistentChains ?? 0
  if (n > 0) {
    checkSize('persistentChains', n)
    if (opts.initialChains) {
      if (opts.initialChains.length !== n * V) throw new RangeError(`initialChains has ${opts.initialChains.length} values, expected ${n}×${V}`)
      chains = Float64Array.from(opts.initialChains)
    } else {
      if (!rng) throw new Error('createTrainState: random persistent chains need an rng')
      const F = featureUnits(rbm)
      chains = new Float64Array(n * V)
      for (let r = 0; r < n; r++) {
        for (let i = 0; i < F; i++) {
          chains[r * V + i] =
            rbm.visibleUnits === 'gaussian' ? rbm.visibleBias[i]! + Math.exp(0.5 * rbm.logVariance![i]!) * rng.normal() : uniform24(rng) < 0.5 ? 1 : 0
        }
        if (rbm.labelUnits > 0) chains[r * V + F + rng.int(rbm.labelUnits)] = 1
      }
    }
  }
  return {
    velocity: {
      weights: new Float64Array(V * H),
      visibleBias: new Float64Array(V),
      hiddenBias: new Float64Array(H),
      logVariance: rbm.visibleUnits === 'gaussian' ? new Float64Array(V) : null
    },
    hiddenActivity: new Float64Array(H).fill(opts.sparsityTarget ?? 0),
    chains,
    step: 0
  }
}

/** True when the step needs visible noise (sampled reconstructions or persistent chains). */
export function needsVisibleNoise(opts: Pick<CdOptions, 'persistent' | 'sampleVisible'>): boolean {
  return opts.persistent === true || opts.sampleVisible === true
}

/** Draws a step's noise from `rng`: hidden [k,rows,H] first, then visible [k,rows,V] if the options need it. */
export function drawCdNoise(rbm: Rbm, rows: number, opts: Pick<CdOptions, 'k' | 'persistent' | 'sampleVisible'>, rng: Rng): CdNoise {
  const k = opts.k ?? 1
  checkSize('k', k)
  checkSize('rows', rows)
  const hidden = new Float32Array(k * rows * rbm.hidden)
  const visible = needsVisibleNoise(opts) ? new Float32Array(k * rows * rbm.visible) : null
  fillCdNoise(rbm, rng, hidden, visible)
  return { k, rows, hidden, visible }
}

/** drawCdNoise into caller-owned arrays (hidden [k,rows,H], visible [k,rows,V] or null): the same draws, same order. */
export function fillCdNoise(rbm: Rbm, rng: Rng, hidden: Float32Array, visible: Float32Array | null): void {
  fillUniform(rng, hidden)
  if (visible) fillVisibleNoise(rbm, rng, visible)
}

/** Everything one update looked at: for step-by-step views and for tests. */
export interface CdStepView {
  /** p(h|v⁰) [B,H]. */
  positiveHidden: Float64Array
  /** The first hidden sample h⁰ [Bn,H] (from the data for CD, from the chains for PCD). */
  hiddenSample: Float64Array
  /** v^k [Bn,V]: the negative visible state. */
  negativeVisible: FloatArray
  /** p(h|v^k) [Bn,H]. */
  negativeHidden: Float64Array
  /** CD: mean over B×V of (v⁰ − E[v¹|h⁰])²; PCD: null (see rbm-metrics reconstructionError). */
  reconstructionError: number | null
}

function assertFinite(name: string, a: ArrayLike<number>, step: number): void {
  for (let k = 0; k < a.length; k++) if (!Number.isFinite(a[k]!)) throw new RbmDivergedError(name, step)
}

/**
 * One CD-k or PCD-k update on the batch v⁰ [B,V], in place on `rbm` and `state`, with the given noise.
 *
 * CD-k: h⁰ ~ p(h|v⁰) (u = noise.hidden[0]); for t = 1..k: v^t = E[v|h^{t−1}] (or a sample with noise.visible[t−1]),
 * and h^t ~ p(h|v^t) with noise.hidden[t] for t < k. PCD-k: from the chains v, k times h ~ p(h|v) (noise.hidden[t]),
 * v ~ p(v|h) (noise.visible[t]); the chains become v^k.
 * grad_W = x⁰ᵀp(h|v⁰)/B − x^kᵀp(h|v^k)/Bn − λ_wd·W; grad_b = mean(x⁰) − mean(x^k); grad_c = mean(p(h|v⁰)) − mean(p(h|v^k))
 * − cost·(q − p); each parameter θ: Δ ← μΔ + η·grad; θ ← θ + Δ (log σ²: η scaled, then clamped).
 */
export function cdStep(rbm: Rbm, state: RbmTrainState, v0: ArrayLike<number>, batch: number, opts: CdOptions, noise: CdNoise): CdStepView {
  checkRbm(rbm)
  const { visible: V, hidden: H } = rbm
  const F = featureUnits(rbm)
  const k = opts.k ?? 1
  const persistent = opts.persistent === true
  const sampleVis = persistent || opts.sampleVisible === true
  checkSize('batch', batch)
  if (v0.length !== batch * V) throw new RangeError(`batch has ${v0.length} values, expected ${batch}×${V}`)
  if (noise.k !== k) throw new RangeError(`noise was drawn for k=${noise.k}, the step uses k=${k}`)
  const Bn = persistent ? (state.chains ? state.chains.length / V : 0) : batch
  if (persistent && !state.chains) throw new Error('PCD needs persistent chains: createTrainState(rbm, { persistentChains })')
  if (noise.rows !== Bn) throw new RangeError(`noise has ${noise.rows} rows, the negative chain has ${Bn}`)
  if (noise.hidden.length !== k * Bn * H) throw new RangeError(`hidden noise has ${noise.hidden.length} values, expected ${k}×${Bn}×${H}`)
  if (sampleVis && (!noise.visible || noise.visible.length !== k * Bn * V)) {
    throw new RangeError(`visible noise must have ${k}×${Bn}×${V} values`)
  }
  const lr = opts.learningRate
  const mom = opts.momentum ?? 0
  const wd = opts.weightDecay ?? 0
  if (!Number.isFinite(lr) || !Number.isFinite(mom) || !Number.isFinite(wd)) throw new RangeError('learningRate, momentum and weightDecay must be finite')

  const ph0 = hiddenProbabilities(rbm, v0, batch)
  let hiddenSample: Float64Array
  let vk: FloatArray
  let phk: Float64Array
  let reconstructionError: number | null = null
  if (persistent) {
    vk = state.chains!
    let h: Float64Array = new Float64Array(0)
    hiddenSample = h
    phk = hiddenProbabilities(rbm, vk, Bn)
    for (let t = 0; t < k; t++) {
      h = sampleBernoulli(phk, noise.hidden, t * Bn * H)
      if (t === 0) hiddenSample = h
      vk = sampleVisible(rbm, visibleMean(rbm, h, Bn), Bn, noise.visible!, t * Bn * V)
      phk = hiddenProbabilities(rbm, vk, Bn)
    }
    state.chains = vk
  } else {
    let h = sampleBernoulli(ph0, noise.hidden, 0)
    hiddenSample = h
    vk = new Float64Array(0)
    phk = ph0
    for (let t = 1; t <= k; t++) {
      const mean = visibleMean(rbm, h, batch)
      if (t === 1) {
        let e = 0
        for (let q = 0; q < mean.length; q++) e += (v0[q]! - mean[q]!) ** 2
        reconstructionError = e / mean.length
      }
      vk = sampleVis ? sampleVisible(rbm, mean, batch, noise.visible!, (t - 1) * batch * V) : mean
      phk = hiddenProbabilities(rbm, vk, batch)
      if (t < k) h = sampleBernoulli(phk, noise.hidden, t * batch * H)
    }
  }

  const x0 = scaledVisible(rbm, v0, batch)
  const xk = scaledVisible(rbm, vk, Bn)
  const W = rbm.weights
  const vel = state.velocity

  // Gradients first (they read the old parameters), then the updates.
  const gW = new Float64Array(V * H)
  for (let r = 0; r < batch; r++) {
    for (let i = 0; i < V; i++) {
      const xi = x0[r * V + i]! / batch
      if (xi === 0) continue
      for (let j = 0; j < H; j++) gW[i * H + j]! += xi * ph0[r * H + j]!
    }
  }
  for (let r = 0; r < Bn; r++) {
    for (let i = 0; i < V; i++) {
      const xi = xk[r * V + i]! / Bn
      if (xi === 0) continue
      for (let j = 0; j < H; j++) gW[i * H + j]! -= xi * phk[r * H + j]!
    }
  }
  const gb = new Float64Array(V)
  for (let r = 0; r < batch; r++) for (let i = 0; i < V; i++) gb[i]! += x0[r * V + i]! / batch
  for (let r = 0; r < Bn; r++) for (let i = 0; i < V; i++) gb[i]! -= xk[r * V + i]! / Bn
  const gc = new Float64Array(H)
  const mean0 = new Float64Array(H)
  for (let r = 0; r < batch; r++) for (let j = 0; j < H; j++) mean0[j]! += ph0[r * H + j]! / batch
  for (let j = 0; j < H; j++) gc[j] = mean0[j]!
  for (let r = 0; r < Bn; r++) for (let j = 0; j < H; j++) gc[j]! -= phk[r * H + j]! / Bn
  if (opts.sparsity) {
    const { target, cost } = opts.sparsity
    const decay = opts.sparsity.decay ?? 0.9
    const q = state.hiddenActivity
    for (let j = 0; j < H; j++) {
      q[j] = decay * q[j]! + (1 - decay) * mean0[j]!
      gc[j]! -= cost * (q[j]! - target)
    }
  }
  let gz: Float64Array | null = null
  const sigma = opts.sigma ?? {}
  if (rbm.visibleUnits === 'gaussian' && sigma.learn === true) {
    // ∂(−E)/∂z_i = e^{−z_i}(½(v_i − b_i)² − v_i (W h)_i), with h → p(h|v) (Rao–Blackwellised).
    const z = rbm.logVariance!
    const b = rbm.visibleBias
    gz = new Float64Array(V)
    const accumulate = (v: ArrayLike<number>, ph: Float64Array, rows: number, sign: number): void => {
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < F; i++) {
          let wh = 0
          for (let j = 0; j < H; j++) wh += W[i * H + j]! * ph[r * H + j]!
          const vi = v[r * V + i]!
          gz![i]! += (sign * Math.exp(-z[i]!) * (0.5 * (vi - b[i]!) ** 2 - vi * wh)) / rows
        }
      }
    }
    accumulate(v0, ph0, batch, 1)
    accumulate(vk, phk, Bn, -1)
  }

  for (let q = 0; q < V * H; q++) {
    vel.weights[q] = mom * vel.weights[q]! + lr * (gW[q]! - wd * W[q]!)
    W[q]! += vel.weights[q]!
  }
  for (let i = 0; i < V; i++) {
    vel.visibleBias[i] = mom * vel.visibleBias[i]! + lr * gb[i]!
    rbm.visibleBias[i]! += vel.visibleBias[i]!
  }
  for (let j = 0; j < H; j++) {
    vel.hiddenBias[j] = mom * vel.hiddenBias[j]! + lr * gc[j]!
    rbm.hiddenBias[j]! += vel.hiddenBias[j]!
  }
  if (gz) {
    const z = rbm.logVariance!
    const vz = vel.logVariance!
    const zScale = sigma.learningRateScale ?? 0.1
    const zMin = 2 * Math.log(sigma.minSigma ?? 0.05)
    const zMax = 2 * Math.log(sigma.maxSigma ?? 10)
    for (let i = 0; i < F; i++) {
      vz[i] = mom * vz[i]! + lr * zScale * gz[i]!
      z[i] = Math.min(zMax, Math.max(zMin, z[i]! + vz[i]!))
    }
  }
  state.step++
  assertFinite('weights', W, state.step)
  assertFinite('visibleBias', rbm.visibleBias, state.step)
  assertFinite('hiddenBias', rbm.hiddenBias, state.step)
  if (rbm.logVariance) assertFinite('logVariance', rbm.logVariance, state.step)
  return { positiveHidden: ph0, hiddenSample, negativeVisible: vk, negativeHidden: phk, reconstructionError }
}

export interface TrainEpochOptions extends CdOptions {
  batchSize: number
  /** Shuffle the rows with rng.permutation before batching; default true. */
  shuffle?: boolean
  /** Called after each update (step-by-step views). */
  onStep?: (view: CdStepView, stepInEpoch: number) => void
  /** Gaussian units: refuse data far off the units' scale (see checkGaussianScale); default true. */
  checkScale?: boolean
}

/**
 * Gaussian visible units diverge or learn nothing on data whose scale is far from σ (the usual user report):
 * throws when a feature column's standard deviation exceeds 10σ_i or its mean lies more than 10σ_i from b_i.
 */
export function checkGaussianScale(rbm: Rbm, data: ArrayLike<number>, rows: number): void {
  if (rbm.visibleUnits !== 'gaussian') return
  const V = rbm.visible
  const F = featureUnits(rbm)
  for (let i = 0; i < F; i++) {
    let m = 0
    for (let r = 0; r < rows; r++) m += data[r * V + i]! / rows
    let s2 = 0
    for (let r = 0; r < rows; r++) s2 += (data[r * V + i]! - m) ** 2 / rows
    const sigma = Math.exp(0.5 * rbm.logVariance![i]!)
    const std = Math.sqrt(s2)
    if (std > 10 * sigma || Math.abs(m - rbm.visibleBias[i]!) > 10 * sigma) {
      throw new RangeError(
        `Gaussian visible unit ${i}: the data has mean ${m.toPrecision(3)} and std ${std.toPrecision(3)}, but σ = ${sigma.toPrecision(3)} ` +
          `and b = ${rbm.visibleBias[i]!.toPrecision(3)}; standardise the data (standardise()) or pass checkScale: false`
      )
    }
  }
}

/**
 * One pass over `data` [rows,V] in minibatches (the last one may be smaller), drawing from `rng` in a fixed order:
 * the permutation first (when shuffling), then each step's noise (drawCdNoise). The engine runner draws the same.
 * Returns the per-step reconstruction errors (NaN for PCD steps).
 */
export function trainEpoch(rbm: Rbm, state: RbmTrainState, data: ArrayLike<number>, rows: number, opts: TrainEpochOptions, rng: Rng): Float64Array {
  const V = rbm.visible
  if (data.length !== rows * V) throw new RangeError(`data has ${data.length} values, expected ${rows}×${V}`)
  checkSize('batchSize', opts.batchSize)
  if (opts.checkScale !== false) checkGaussianScale(rbm, data, rows)
  const order = epochOrder(rows, opts.shuffle ?? true, rng)
  const steps = Math.ceil(rows / opts.batchSize)
  const errors = new Float64Array(steps)
  for (let s = 0; s < steps; s++) {
    const start = s * opts.batchSize
    const B = Math.min(opts.batchSize, rows - start)
    const v0 = gatherRows(data, V, order, start, B, new Float64Array(B * V))
    const Bn = opts.persistent ? state.chains!.length / V : B
    const view = cdStep(rbm, state, v0, B, opts, drawCdNoise(rbm, Bn, opts, rng))
    errors[s] = view.reconstructionError ?? Number.NaN
    opts.onStep?.(view, s)
  }
  return errors
}

/** The row order of one epoch: rng.permutation(rows) when shuffling, else 0..rows−1. */
export function epochOrder(rows: number, shuffle: boolean, rng: Rng): Uint32Array {
  if (shuffle) return rng.permutation(rows)
  return Uint32Array.from({ length: rows }, (_, i) => i)
}

type TypedRows = Float64Array | Float32Array | Uint8Array | Int8Array

function isTypedRows(a: ArrayLike<number>): a is TypedRows {
  return a instanceof Float64Array || a instanceof Float32Array || a instanceof Uint8Array || a instanceof Int8Array
}

/** Copies rows order[start..start+count) of data [*,V] into out [count,V]. */
export function gatherRows<T extends FloatArray>(data: ArrayLike<number>, V: number, order: ArrayLike<number>, start: number, count: number, out: T): T {
  if (isTypedRows(data)) {
    // TypedArray.set converts element types natively: several times faster than an element loop.
    for (let r = 0; r < count; r++) {
      const src = order[start + r]! * V
      out.set(data.subarray(src, src + V), r * V)
    }
    return out
  }
  for (let r = 0; r < count; r++) {
    const src = order[start + r]! * V
    for (let i = 0; i < V; i++) out[r * V + i] = data[src + i]!
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Sampling and classification

/** Noise for `steps` Gibbs sweeps: hidden [steps,B,H] then visible [steps,B,V]. */
export interface GibbsNoise {
  steps: number
  rows: number
  hidden: Float32Array
  visible: Float32Array
}

export function drawGibbsNoise(rbm: Rbm, rows: number, steps: number, rng: Rng): GibbsNoise {
  checkSize('rows', rows)
  checkSize('steps', steps)
  return {
    steps,
    rows,
    hidden: fillUniform(rng, new Float32Array(steps * rows * rbm.hidden)),
    visible: fillVisibleNoise(rbm, rng, new Float32Array(steps * rows * rbm.visible))
  }
}

export interface GibbsResult {
  /** v after the last sweep (a sample) [B,V]. */
  visible: Float64Array
  /** E[v|h] of the last sweep [B,V]: the smooth picture for display. */
  visibleMean: Float64Array
  /** h of the last sweep [B,H]. */
  hidden: Float64Array
}

/**
 * Block Gibbs sampling from v⁰ [B,V]: per sweep t, h ~ p(h|v) (noise.hidden[t]), v ~ p(v|h) (noise.visible[t]).
 * `clamp` [B,V] (1 = keep v⁰'s value) anchors known units: pattern completion and label-conditioned generation.
 * To generate from noise, start from random states (e.g. drawn with the same rng).
 */
export function gibbsChain(rbm: Rbm, v0: ArrayLike<number>, batch: number, noise: GibbsNoise, clamp?: ArrayLike<number>): GibbsResult {
  checkRbm(rbm)
  const { visible: V, hidden: H } = rbm
  if (v0.length !== batch * V) throw new RangeError(`v0 has ${v0.length} values, expected ${batch}×${V}`)
  if (noise.rows !== batch) throw new RangeError(`noise has ${noise.rows} rows, expected ${batch}`)
  if (clamp && clamp.length !== batch * V) throw new RangeError(`clamp has ${clamp.length} values, expected ${batch}×${V}`)
  let v: Float64Array = Float64Array.from(v0)
  let mean: Float64Array = v.slice()
  let h: Float64Array = new Float64Array(batch * H)
  for (let t = 0; t < noise.steps; t++) {
    h = sampleBernoulli(hiddenProbabilities(rbm, v, batch), noise.hidden, t * batch * H)
    mean = visibleMean(rbm, h, batch)
    v = sampleVisible(rbm, mean, batch, noise.visible, t * batch * V)
    if (clamp) {
      for (let q = 0; q < v.length; q++) {
        if (clamp[q]! !== 0) {
          v[q] = v0[q]!
          mean[q] = v0[q]!
        }
      }
    }
  }
  return { visible: v, visibleMean: mean, hidden: h }
}

/**
 * p(y | features) [B,C] for a classification RBM, exactly: log p(y|x) = b_y + Σ_j softplus(a_j(x) + w_yj) − log Σ_y'(…),
 * with a(x) = c + x_featᵀW_feat (the Gaussian quadratic term does not depend on y and cancels).
 */
export function classProbabilities(rbm: Rbm, features: ArrayLike<number>, batch: number): Float64Array {
  checkRbm(rbm)
  const C = rbm.labelUnits
  if (C === 0) throw new Error('classProbabilities: the RBM has no label units')
  const { visible: V, hidden: H, weights: W, visibleBias: b } = rbm
  const F = V - C
  if (features.length !== batch * F) throw new RangeError(`features have ${features.length} values, expected ${batch}×${F}`)
  const v = new Float64Array(batch * V)
  for (let r = 0; r < batch; r++) for (let i = 0; i < F; i++) v[r * V + i] = features[r * F + i]!
  const a = hiddenPreactivation(rbm, v, batch) // label units are 0 here
  const out = new Float64Array(batch * C)
  for (let r = 0; r < batch; r++) {
    let m = -Infinity
    for (let y = 0; y < C; y++) {
      let s = b[F + y]!
      for (let j = 0; j < H; j++) s += softplus(a[r * H + j]! + W[(F + y) * H + j]!)
      out[r * C + y] = s
      m = Math.max(m, s)
    }
    let z = 0
    for (let y = 0; y < C; y++) z += Math.exp(out[r * C + y]! - m)
    for (let y = 0; y < C; y++) out[r * C + y] = Math.exp(out[r * C + y]! - m) / z
  }
  return out
}

/** argmax_y p(y | features) per row. */
export function classify(rbm: Rbm, features: ArrayLike<number>, batch: number): Int32Array {
  const p = classProbabilities(rbm, features, batch)
  const C = rbm.labelUnits
  const out = new Int32Array(batch)
  for (let r = 0; r < batch; r++) {
    let best = 0
    for (let y = 1; y < C; y++) if (p[r * C + y]! > p[r * C + best]!) best = y
    out[r] = best
  }
  return out
}

/** Rows [B,F] of features and labels 0..C−1 → visible rows [B,F+C] with the one-hot label group appended. */
export function withOneHotLabels(features: ArrayLike<number>, labels: ArrayLike<number>, batch: number, classes: number): Float64Array {
  if (batch < 1 || features.length % batch !== 0) throw new RangeError(`features (${features.length}) do not split into ${batch} rows`)
  if (labels.length !== batch) throw new RangeError(`labels have ${labels.length} entries, expected ${batch}`)
  const F = features.length / batch
  const V = F + classes
  const out = new Float64Array(batch * V)
  for (let r = 0; r < batch; r++) {
    const y = labels[r]!
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new RangeError(`label ${r} is ${y}, expected an integer in 0..${classes - 1}`)
    for (let i = 0; i < F; i++) out[r * V + i] = features[r * F + i]!
    out[r * V + F + y] = 1
  }
  return out
}
