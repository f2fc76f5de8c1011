// Dense associative memory on ±1 states: energy −Σ_μ F(ξ^μ·σ), asynchronous updates by energy difference, capacity.
// Reference: Krotov & Hopfield (2016), "Dense Associative Memory for Pattern Recognition" (F(x) = xⁿ and the rectified
// polynomial; capacity M ≈ N^(n−1) / (2 (2n−3)!! ln N)); Demircigil et al. (2017), "On a model of associative memory
// with huge storage capacity" (F(x) = exp(x)).
// Legend: N units; K stored patterns ξ^μ ∈ {−1,1}^N (patterns [K][N]); σ state (Int8Array, N); m_μ = ξ^μ·σ the
// overlaps; a_μ = m_μ − ξ^μ_i σ_i the overlap without unit i; the update of unit i compares the two energies:
//   d_i = E(σ_i = −1) − E(σ_i = +1) = Σ_μ [F(a_μ + ξ^μ_i) − F(a_μ − ξ^μ_i)],  σ_i ← +1 if d_i > 0, −1 if d_i < 0,
// unchanged if d_i = 0, so the energy never rises. For F = exp, d_i = 2 sinh(1) Σ_μ ξ^μ_i exp(a_μ): its sign is taken
// from Σ_μ ξ^μ_i exp(a_μ − max_ν a_ν), which cannot overflow whatever N; polynomial differences are exact integers
// while |a| + 1 stays below 2^(53/n).

import { checkCancel, type Hooks } from './dynamics'
import { logSumExp } from './modern-hopfield'
import type { Rng } from './rng'

export type Interaction =
  | { kind: 'polynomial'; degree: number }
  | { kind: 'rectified-polynomial'; degree: number }
  | { kind: 'exp' }

export interface DenseAssociativeMemory {
  units: number
  count: number
  /** [K, N] row-major, ±1. */
  patterns: Int8Array
  interaction: Interaction
}

function checkInteraction(f: Interaction): void {
  if (f.kind === 'polynomial' || f.kind === 'rectified-polynomial') {
    if (!Number.isInteger(f.degree) || f.degree < 2) throw new RangeError(`interaction.degree (n) must be an integer ≥ 2, got ${f.degree}`)
  } else if (f.kind !== 'exp') {
    throw new RangeError(`interaction.kind must be 'polynomial', 'rectified-polynomial' or 'exp', got ${String((f as { kind: unknown }).kind)}`)
  }
}

function checkBipolar(v: ArrayLike<number>, n: number, what: string): void {
  if (v.length !== n) throw new RangeError(`${what} has length ${v.length}, expected ${n}`)
  for (let i = 0; i < n; i++) if (v[i] !== 1 && v[i] !== -1) throw new RangeError(`${what}, unit ${i}: value ${v[i]} is not −1 or 1`)
}

export function denseAM(patterns: ArrayLike<number>[], interaction: Interaction): DenseAssociativeMemory {
  checkInteraction(interaction)
  if (patterns.length === 0) throw new RangeError('patterns: at least one pattern is needed')
  const n = patterns[0]!.length
  if (n < 1) throw new RangeError('patterns must have at least one unit')
  const flat = new Int8Array(patterns.length * n)
  patterns.forEach((p, k) => {
    checkBipolar(p, n, `pattern ${k}`)
    flat.set(p, k * n)
  })
  return { units: n, count: patterns.length, patterns: flat, interaction }
}

/** F(x) for the polynomial kinds. */
function poly(f: Interaction, x: number): number {
  if (f.kind === 'exp') throw new Error('internal: poly on exp')
  return f.kind === 'rectified-polynomial' && x <= 0 ? 0 : x ** f.degree
}

export function overlaps(mem: DenseAssociativeMemory, state: ArrayLike<number>): Float64Array {
  const { units: n, count: k, patterns } = mem
  const m = new Float64Array(k)
  for (let mu = 0; mu < k; mu++) {
    let s = 0
    for (let i = 0; i < n; i++) s += patterns[mu * n + i]! * state[i]!
    m[mu] = s
  }
  return m
}

/**
 * E(σ) = −Σ_μ F(ξ^μ·σ). For F = exp it is −exp(lse(m)), which overflows to −∞ past m ≈ 709 (N > 709): use
 * energyLog there.
 */
export function energy(mem: DenseAssociativeMemory, state: ArrayLike<number>): number {
  checkBipolar(state, mem.units, 'state')
  return energyOf(mem, overlaps(mem, state))
}

/** For F = exp, ln(−E) = lse(m) (finite for any N); for the polynomials, E itself. Non-increasing E ⇔ non-decreasing lse. */
export function energyLog(mem: DenseAssociativeMemory, state: ArrayLike<number>): number {
  checkBipolar(state, mem.units, 'state')
  const m = overlaps(mem, state)
  return mem.interaction.kind === 'exp' ? logSumExp(m) : energyOf(mem, m)
}

function energyOf(mem: DenseAssociativeMemory, m: Float64Array): number {
  if (mem.interaction.kind === 'exp') return -Math.exp(logSumExp(m))
  let e = 0
  for (const v of m) e -= poly(mem.interaction, v)
  return e
}

/**
 * d_i = E(σ_i = −1) − E(σ_i = +1) from the current overlaps m (of state σ). For F = exp it is returned divided by
 * 2 sinh(1)·exp(max a): same sign, no overflow.
 */
export function energyDifference(mem: DenseAssociativeMemory, state: ArrayLike<number>, i: number, m: ArrayLike<number>): number {
  const { units: n, count: k, patterns, interaction: f } = mem
  const si = state[i]!
  if (f.kind === 'exp') {
    let amax = -Infinity
    for (let mu = 0; mu < k; mu++) amax = Math.max(amax, m[mu]! - patterns[mu * n + i]! * si)
    let s = 0
    for (let mu = 0; mu < k; mu++) {
      const x = patterns[mu * n + i]!
      s += x * Math.exp(m[mu]! - x * si - amax)
    }
    return s
  }
  let d = 0
  for (let mu = 0; mu < k; mu++) {
    const x = patterns[mu * n + i]!
    const a = m[mu]! - x * si
    d += poly(f, a + x) - poly(f, a - x)
  }
  return d
}

export interface DenseRecallOptions extends Hooks {
  /** Draws each sweep's update order (a fresh permutation per sweep). */
  rng: Rng
  /** At most this many sweeps of N unit visits (integer ≥ 1); default 50. */
  maxSweeps?: number
  /** Record the energy after every unit visit (default false; costs O(K) per visit). */
  trace?: boolean
}

export interface DenseTraceEntry {
  sweep: number
  unit: number
  flipped: boolean
  /** The energy after this visit (energyLog's value for F = exp: ln(−E), non-decreasing). */
  energy: number
}

export interface DenseRecallResult {
  state: Int8Array
  /** Sweeps run, the last one (when converged) flipping nothing. */
  sweeps: number
  converged: boolean
  flips: number
  /** energies at the cue and after every visit, when traced. */
  initialEnergy: number
  trace: DenseTraceEntry[]
}

/** Asynchronous recall in a seeded random order until a sweep changes nothing or maxSweeps sweeps are done. */
export function recallAsync(mem: DenseAssociativeMemory, cue: ArrayLike<number>, opts: DenseRecallOptions): DenseRecallResult {
  checkBipolar(cue, mem.units, 'cue')
  const maxSweeps = opts.maxSweeps ?? 50
  if (!Number.isInteger(maxSweeps) || maxSweeps < 1) throw new RangeError(`maxSweeps must be an integer ≥ 1, got ${maxSweeps}`)
  const { units: n, count: k, patterns } = mem
  const state = Int8Array.from(cue)
  const m = overlaps(mem, state)
  const isExp = mem.interaction.kind === 'exp'
  const level = (): number => (isExp ? logSumExp(m) : energyOf(mem, m))
  const trace: DenseTraceEntry[] = []
  const initialEnergy = level()
  let sweeps = 0
  let flips = 0
  let converged = false
  while (sweeps < maxSweeps) {
    checkCancel(opts)
    sweeps++
    let changed = 0
    for (const i of opts.rng.permutation(n)) {
      const d = energyDifference(mem, state, i, m)
      const next = d > 0 ? 1 : d < 0 ? -1 : state[i]!
      const flipped = next !== state[i]
      if (flipped) {
        state[i] = next
        for (let mu = 0; mu < k; mu++) m[mu]! += 2 * next * patterns[mu * n + i]!
        changed++
      }
      if (opts.trace) trace.push({ sweep: sweeps, unit: i, flipped, energy: level() })
    }
    flips += changed
    opts.onProgress?.(sweeps / maxSweeps)
    if (changed === 0) {
      converged = true
      break
    }
  }
  return { state, sweeps, converged, flips, initialEnergy, trace }
}

/** (2n − 3)!! = 1·3·5···(2n − 3). */
export function doubleFactorialOdd(n: number): number {
  let r = 1
  for (let k = 2 * n - 3; k > 1; k -= 2) r *= k
  return r
}

/**
 * Krotov & Hopfield's capacity for F(x) = xⁿ (errorless retrieval of a pattern with probability → 1):
 * M ≈ N^(n−1) / (2 (2n−3)!! ln N); n = 2 gives the classical N / (2 ln N).
 */
export function krotovHopfieldCapacity(units: number, degree: number): number {
  if (!Number.isInteger(units) || units < 2) throw new RangeError(`units (N) must be an integer ≥ 2, got ${units}`)
  if (!Number.isInteger(degree) || degree < 2) throw new RangeError(`degree (n) must be an integer ≥ 2, got ${degree}`)
  return units ** (degree - 1) / (2 * doubleFactorialOdd(degree) * Math.log(units))
}

export interface CapacityTrialOptions extends Hooks {
  units: number
  count: number
  interaction: Interaction
  /** Fraction of units flipped in each cue, in [0, 1]; default 0.1. */
  noise?: number
  rng: Rng
  maxSweeps?: number
  /** Recall from noisy cues (default true); false counts only the patterns that are fixed points. */
  recall?: boolean
  /**
   * Only the first `checked` patterns are tested (stable and recall); default all. An unbiased subsample: every
   * pattern is drawn alike, and a large memory's stable fraction needs only a few hundred of them.
   */
  checked?: number
}

export interface CapacityTrial {
  /** Patterns recalled exactly from their noisy cue (0 when recall is false). */
  recalled: number
  count: number
  /** Patterns tested: count, or `checked` when fewer. */
  checked: number
  /** Patterns that are fixed points themselves. */
  stable: number
  patterns: Int8Array[]
}

/** Stores `count` random ±1 patterns of `units` units, cues each with round(noise·N) flipped units, counts exact recalls. */
export function capacityTrial(opts: CapacityTrialOptions): CapacityTrial {
  const noise = opts.noise ?? 0.1
  if (!(noise >= 0 && noise <= 1)) throw new RangeError(`noise must be in [0, 1], got ${noise}`)
  if (!Number.isInteger(opts.units) || opts.units < 1) throw new RangeError(`units must be a positive integer, got ${opts.units}`)
  if (!Number.isInteger(opts.count) || opts.count < 1) throw new RangeError(`count must be a positive integer, got ${opts.count}`)
  const n = opts.units
  const patterns = Array.from({ length: opts.count }, () => Int8Array.from({ length: n }, () => (opts.rng.int(2) === 1 ? 1 : -1)))
  const mem = denseAM(patterns, opts.interaction)
  const flipCount = Math.round(noise * n)
  const checked = opts.checked ?? opts.count
  if (!Number.isInteger(checked) || checked < 1) throw new RangeError(`checked must be a positive integer, got ${checked}`)
  let recalled = 0
  let stable = 0
  patterns.slice(0, checked).forEach((p, mu) => {
    checkCancel(opts)
    const m = overlaps(mem, p)
    let fixed = true
    for (let i = 0; i < n && fixed; i++) {
      const d = energyDifference(mem, p, i, m)
      if (d !== 0 && Math.sign(d) !== p[i]) fixed = false
    }
    if (fixed) stable++
    if (opts.recall === false) return
    const cue = Int8Array.from(p)
    for (const i of opts.rng.permutation(n).subarray(0, flipCount)) cue[i] = -cue[i]!
    const r = recallAsync(mem, cue, { rng: opts.rng, maxSweeps: opts.maxSweeps ?? 50 })
    if (r.state.every((v, i) => v === p[i])) recalled++
    opts.onProgress?.((mu + 1) / Math.min(checked, opts.count))
  })
  return { recalled, count: opts.count, checked: Math.min(checked, opts.count), stable, patterns }
}
