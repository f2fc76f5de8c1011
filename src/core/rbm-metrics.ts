// RBM metrics: free energy and its train/held-out gap, reconstruction error, pseudo-likelihood, exact log Z, AIS.
// Reference: seeds/004 and seeds/001 (p(v) = Σ_h e^{−E(v,h)}/Z, log-likelihood = mean log p(v)); Hinton's practical guide
// §5–6 (reconstruction error, free-energy gap for overfitting); Besag 1975 and scikit-learn BernoulliRBM.score_samples
// (stochastic pseudo-likelihood with one flipped unit per row); Salakhutdinov & Murray 2008 (AIS for RBMs, base-rate model).
// Legend: as in rbm.ts: V visible, H hidden, C label units, F = V − C feature units, B rows, W [V,H], b [V], c [H],
// z = log σ² [V]. Free energy F(v) = −log Σ_h e^{−E(v,h)}:
//   Bernoulli: F(v) = −bᵀv − Σ_j softplus(c_j + (vW)_j); Gaussian features add Σ_{i<F} (v_i − b_i)²/(2σ_i²) in place of
//   −b_i v_i and use x = v/σ² in the softplus. Label units always contribute −b_i v_i.
// β: AIS inverse temperatures 0 = β_0 < … < β_K = 1; b_A: base-rate visible biases; M AIS runs.

import { checkRbm, featureUnits, hiddenPreactivation, hiddenProbabilities, sigmoid, softplus, visibleMean, type Rbm } from './rbm'
import type { Rng } from './rng'

function checkRows(rbm: Rbm, v: ArrayLike<number>, batch: number, what = 'data'): void {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${what}: rows must be a positive integer, got ${batch}`)
  if (v.length !== batch * rbm.visible) throw new RangeError(`${what} has ${v.length} values, expected ${batch}×${rbm.visible}`)
}

function logSumExp(a: ArrayLike<number>): number {
  let m = -Infinity
  for (let k = 0; k < a.length; k++) m = Math.max(m, a[k]!)
  if (m === -Infinity) return m
  let s = 0
  for (let k = 0; k < a.length; k++) s += Math.exp(a[k]! - m)
  return m + Math.log(s)
}

/** The visible-only part of F(v) for row r (everything but the softplus sum). */
function visibleTerm(rbm: Rbm, v: ArrayLike<number>, r: number): number {
  const V = rbm.visible
  const F = featureUnits(rbm)
  const b = rbm.visibleBias
  let s = 0
  if (rbm.visibleUnits === 'gaussian') {
    const z = rbm.logVariance!
    for (let i = 0; i < F; i++) s += (v[r * V + i]! - b[i]!) ** 2 * 0.5 * Math.exp(-z[i]!)
  } else {
    for (let i = 0; i < F; i++) s -= b[i]! * v[r * V + i]!
  }
  for (let i = F; i < V; i++) s -= b[i]! * v[r * V + i]!
  return s
}

/** F(v) per row [B]. */
export function freeEnergy(rbm: Rbm, v: ArrayLike<number>, batch: number): Float64Array {
  checkRbm(rbm)
  checkRows(rbm, v, batch)
  const H = rbm.hidden
  const a = hiddenPreactivation(rbm, v, batch)
  const out = new Float64Array(batch)
  for (let r = 0; r < batch; r++) {
    let s = visibleTerm(rbm, v, r)
    for (let j = 0; j < H; j++) s -= softplus(a[r * H + j]!)
    out[r] = s
  }
  return out
}

export function meanFreeEnergy(rbm: Rbm, v: ArrayLike<number>, batch: number): number {
  const f = freeEnergy(rbm, v, batch)
  let s = 0
  for (const x of f) s += x
  return s / batch
}

/**
 * Mean free energy of training rows and of held-out rows, and gap = held-out − train. A growing gap means
 * the model assigns the training rows relatively more probability: overfitting (Hinton's guide §6).
 */
export function freeEnergyGap(
  rbm: Rbm,
  train: ArrayLike<number>,
  trainRows: number,
  heldOut: ArrayLike<number>,
  heldOutRows: number
): { train: number; heldOut: number; gap: number } {
  const t = meanFreeEnergy(rbm, train, trainRows)
  const h = meanFreeEnergy(rbm, heldOut, heldOutRows)
  return { train: t, heldOut: h, gap: h - t }
}

/** Mean over B×V of (v − E[v | p(h|v)])²: the deterministic (mean-field) one-step reconstruction. */
export function reconstructionError(rbm: Rbm, v: ArrayLike<number>, batch: number): number {
  checkRbm(rbm)
  checkRows(rbm, v, batch)
  const recon = visibleMean(rbm, hiddenProbabilities(rbm, v, batch), batch)
  let e = 0
  for (let q = 0; q < recon.length; q++) e += (v[q]! - recon[q]!) ** 2
  return e / recon.length
}

function checkBinaryFeatures(rbm: Rbm, v: ArrayLike<number>, batch: number, what: string): void {
  if (rbm.visibleUnits !== 'bernoulli') throw new Error(`${what}: needs Bernoulli visible units`)
  const V = rbm.visible
  const F = featureUnits(rbm)
  for (let r = 0; r < batch; r++) {
    for (let i = 0; i < F; i++) {
      const x = v[r * V + i]!
      if (x !== 0 && x !== 1) throw new RangeError(`${what}: row ${r}, unit ${i} is ${x}; binary (0/1) data expected`)
    }
  }
}

/**
 * log p(v_i | v_−i) = −softplus(−(F(ṽ) − F(v))) where ṽ is v with unit i flipped; with the hidden pre-activations a of v,
 * flipping costs O(H): a' = a ± W_i·.
 */
function flipLogConditional(rbm: Rbm, v: ArrayLike<number>, r: number, a: Float64Array, i: number, fv: number): number {
  const H = rbm.hidden
  const W = rbm.weights
  const V = rbm.visible
  const vi = v[r * V + i]!
  const d = 1 - 2 * vi // +1 when switching on, −1 when switching off
  let ff = fv + rbm.visibleBias[i]! * vi - rbm.visibleBias[i]! * (1 - vi)
  // Replace Σ softplus(a) with Σ softplus(a + d·W_i).
  for (let j = 0; j < H; j++) ff += softplus(a[r * H + j]!) - softplus(a[r * H + j]! + d * W[i * H + j]!)
  return -softplus(-(ff - fv))
}

/**
 * Stochastic pseudo-likelihood per row, as scikit-learn's BernoulliRBM.score_samples: one feature unit i per row
 * drawn with rng.int(F), PL ≈ F · log p(v_i | v_−i). Its mean over draws is exactPseudoLikelihood.
 * Bernoulli visible units and binary data only; label units are never flipped.
 */
export function pseudoLikelihood(rbm: Rbm, v: ArrayLike<number>, batch: number, rng: Rng): Float64Array {
  checkRbm(rbm)
  checkRows(rbm, v, batch)
  checkBinaryFeatures(rbm, v, batch, 'pseudoLikelihood')
  const F = featureUnits(rbm)
  const a = hiddenPreactivation(rbm, v, batch)
  const fv = freeEnergy(rbm, v, batch)
  const out = new Float64Array(batch)
  for (let r = 0; r < batch; r++) out[r] = F * flipLogConditional(rbm, v, r, a, rng.int(F), fv[r]!)
  return out
}

/** Mean of pseudoLikelihood over the rows. */
export function meanPseudoLikelihood(rbm: Rbm, v: ArrayLike<number>, batch: number, rng: Rng): number {
  const pl = pseudoLikelihood(rbm, v, batch, rng)
  let s = 0
  for (const x of pl) s += x
  return s / batch
}

/** Σ_{i<F} log p(v_i | v_−i) per row: the exact pseudo-log-likelihood (O(F·H) per row). */
export function exactPseudoLikelihood(rbm: Rbm, v: ArrayLike<number>, batch: number): Float64Array {
  checkRbm(rbm)
  checkRows(rbm, v, batch)
  checkBinaryFeatures(rbm, v, batch, 'exactPseudoLikelihood')
  const F = featureUnits(rbm)
  const a = hiddenPreactivation(rbm, v, batch)
  const fv = freeEnergy(rbm, v, batch)
  const out = new Float64Array(batch)
  for (let r = 0; r < batch; r++) {
    let s = 0
    for (let i = 0; i < F; i++) s += flipLogConditional(rbm, v, r, a, i, fv[r]!)
    out[r] = s
  }
  return out
}

export interface ExactLogZOptions {
  /** Refuse to enumerate more than 2^maxBits configurations; default 24. */
  maxBits?: number
}

/**
 * log Z, exactly, by enumerating the cheaper side:
 * - over h ∈ {0,1}^H: log Z = logsumexp_h [cᵀh + Σ_i φ_i(μ)], μ = b + Wh, with φ_i = softplus(μ_i) (Bernoulli),
 *   ½ log(2πσ_i²) + (μ_i² − b_i²)/(2σ_i²) (Gaussian, from completing the square), and one logsumexp over the label group;
 * - over v (Bernoulli features: 2^F × C configurations): log Z = logsumexp_v −F(v).
 */
export function exactLogZ(rbm: Rbm, opts: ExactLogZOptions = {}): number {
  checkRbm(rbm)
  const maxBits = opts.maxBits ?? 24
  const { visible: V, hidden: H, labelUnits: C, weights: W, visibleBias: b, hiddenBias: c } = rbm
  const F = V - C
  const visibleBits = rbm.visibleUnits === 'bernoulli' ? F + (C > 0 ? Math.log2(C) : 0) : Infinity
  if (Math.min(H, visibleBits) > maxBits) {
    throw new RangeError(`exactLogZ: 2^${Math.min(H, visibleBits).toFixed(1)} configurations exceed 2^${maxBits}; use aisLogZ`)
  }
  if (H <= visibleBits) {
    const terms = new Float64Array(2 ** H)
    const mu = new Float64Array(V)
    const label = new Float64Array(C)
    for (let code = 0; code < terms.length; code++) {
      let s = 0
      mu.set(b)
      for (let j = 0; j < H; j++) {
        if ((code >>> j) & 1) {
          s += c[j]!
          for (let i = 0; i < V; i++) mu[i]! += W[i * H + j]!
        }
      }
      for (let i = 0; i < F; i++) {
        if (rbm.visibleUnits === 'bernoulli') s += softplus(mu[i]!)
        else {
          const z = rbm.logVariance![i]!
          s += 0.5 * (Math.log(2 * Math.PI) + z) + (mu[i]! ** 2 - b[i]! ** 2) * 0.5 * Math.exp(-z)
        }
      }
      if (C > 0) {
        for (let y = 0; y < C; y++) label[y] = mu[F + y]!
        s += logSumExp(label)
      }
      terms[code] = s
    }
    return logSumExp(terms)
  }
  const labelChoices = Math.max(C, 1)
  const count = 2 ** F
  const terms = new Float64Array(count * labelChoices)
  const v = new Float64Array(V)
  for (let code = 0; code < count; code++) {
    for (let i = 0; i < F; i++) v[i] = (code >>> i) & 1
    for (let y = 0; y < labelChoices; y++) {
      if (C > 0) {
        for (let l = 0; l < C; l++) v[F + l] = l === y ? 1 : 0
      }
      terms[code * labelChoices + y] = -freeEnergy(rbm, v, 1)[0]!
    }
  }
  return logSumExp(terms)
}

/** Mean log p(v) = mean(−F(v)) − log Z. */
export function logLikelihood(rbm: Rbm, v: ArrayLike<number>, batch: number, logZ: number): number {
  return -meanFreeEnergy(rbm, v, batch) - logZ
}

export interface AisOptions {
  /** M: independent annealing runs; default 100. */
  runs?: number
  /** β schedule from 0 to 1 (inclusive); default aisSchedule(). */
  betas?: ArrayLike<number>
  /** b_A: base-rate visible biases [V] (e.g. log-odds of the data means); default all zero. */
  baseVisibleBias?: ArrayLike<number>
}

export interface AisResult {
  /** log Ẑ = log Z_A + log mean(w). */
  logZ: number
  /** log(mean(w) ∓ 3·std(w)/√M) + log Z_A: the usual ±3σ bracket (logZLow is −∞ when the bracket reaches 0). */
  logZLow: number
  logZHigh: number
  /** log w per run [M]. */
  logWeights: Float64Array
  /** Effective sample size (Σw)²/Σw² out of M. */
  effectiveSampleSize: number
}

/** S&M's default shape, scaled to `steps` intermediate β: 5% of them in [0, 0.5), 40% in [0.5, 0.9), 55% in [0.9, 1]. */
export function aisSchedule(steps = 2000): Float64Array {
  if (!Number.isInteger(steps) || steps < 10) throw new RangeError(`aisSchedule: steps must be an integer ≥ 10, got ${steps}`)
  const n1 = Math.max(1, Math.round(steps * 0.05))
  const n2 = Math.max(1, Math.round(steps * 0.4))
  const n3 = steps - n1 - n2
  const out = new Float64Array(steps + 1)
  let k = 0
  for (let t = 0; t < n1; t++) out[k++] = (0.5 * t) / n1
  for (let t = 0; t < n2; t++) out[k++] = 0.5 + (0.4 * t) / n2
  for (let t = 0; t <= n3; t++) out[k++] = 0.9 + (0.1 * t) / n3
  return out
}

/**
 * Annealed importance sampling estimate of log Z for a Bernoulli RBM (no label units), Salakhutdinov & Murray 2008:
 * p*_β(v) = exp((1−β) b_Aᵀv + β bᵀv) Π_j (1 + exp(β a_j(v))), Z_A = 2^H Π_i (1 + e^{b_A,i}); each run starts from
 * v ~ p_A, adds log p*_{β_k}(v) − log p*_{β_{k−1}}(v), then moves v by one Gibbs sweep at β_k.
 */
export function aisLogZ(rbm: Rbm, rng: Rng, opts: AisOptions = {}): AisResult {
  checkRbm(rbm)
  if (rbm.visibleUnits !== 'bernoulli' || rbm.labelUnits > 0) {
    throw new Error('aisLogZ supports Bernoulli visible units without label units; use exactLogZ for small models')
  }
  const { visible: V, hidden: H, weights: W, visibleBias: b, hiddenBias: c } = rbm
  const M = opts.runs ?? 100
  if (!Number.isInteger(M) || M < 1) throw new RangeError(`runs must be a positive integer, got ${M}`)
  const betas = opts.betas ?? aisSchedule()
  if (betas.length < 2 || betas[0] !== 0 || betas[betas.length - 1] !== 1) throw new RangeError('betas must run from 0 to 1')
  for (let k = 1; k < betas.length; k++) if (!(betas[k]! >= betas[k - 1]!)) throw new RangeError('betas must be non-decreasing')
  const bA = Float64Array.from(opts.baseVisibleBias ?? new Float64Array(V))
  if (bA.length !== V) throw new RangeError(`baseVisibleBias has ${bA.length} entries, expected ${V}`)

  let logZA = H * Math.LN2
  for (let i = 0; i < V; i++) logZA += softplus(bA[i]!)

  const v = new Float64Array(M * V)
  for (let q = 0; q < M * V; q++) v[q] = rng.next() < sigmoid(bA[q % V]!) ? 1 : 0
  const logW = new Float64Array(M)
  const a = new Float64Array(H)
  const h = new Float64Array(H)
  // log p*_β(v) given a = c + vW for the row.
  const logPStar = (row: number, beta: number): number => {
    let s = 0
    for (let i = 0; i < V; i++) s += ((1 - beta) * bA[i]! + beta * b[i]!) * v[row * V + i]!
    for (let j = 0; j < H; j++) s += softplus(beta * a[j]!)
    return s
  }
  const computeA = (row: number): void => {
    for (let j = 0; j < H; j++) a[j] = c[j]!
    for (let i = 0; i < V; i++) {
      if (v[row * V + i] === 0) continue
      for (let j = 0; j < H; j++) a[j]! += W[i * H + j]!
    }
  }
  for (let m = 0; m < M; m++) {
    computeA(m)
    for (let k = 1; k < betas.length; k++) {
      const bk = betas[k]!
      logW[m]! += logPStar(m, bk) - logPStar(m, betas[k - 1]!)
      // One Gibbs sweep leaving p_{β_k} invariant.
      for (let j = 0; j < H; j++) h[j] = rng.next() < sigmoid(bk * a[j]!) ? 1 : 0
      for (let i = 0; i < V; i++) {
        let mu = 0
        for (let j = 0; j < H; j++) mu += W[i * H + j]! * h[j]!
        v[m * V + i] = rng.next() < sigmoid((1 - bk) * bA[i]! + bk * (b[i]! + mu)) ? 1 : 0
      }
      computeA(m)
    }
  }
  const lse = logSumExp(logW)
  const logMeanW = lse - Math.log(M)
  let mean = 0
  let sq = 0
  let maxLw = -Infinity
  for (const lw of logW) maxLw = Math.max(maxLw, lw)
  for (const lw of logW) {
    const w = Math.exp(lw - maxLw)
    mean += w / M
    sq += (w * w) / M
  }
  const std = Math.sqrt(Math.max(0, sq - mean * mean))
  const se = (3 * std) / Math.sqrt(M)
  const ess = (mean * M) ** 2 / (sq * M)
  return {
    logZ: logZA + logMeanW,
    logZLow: mean - se > 0 ? logZA + maxLw + Math.log(mean - se) : -Infinity,
    logZHigh: logZA + maxLw + Math.log(mean + se),
    logWeights: logW,
    effectiveSampleSize: ess
  }
}
