// Stochastic Hopfield / Boltzmann dynamics: Gibbs sweeps at temperature T, and the exact Boltzmann distribution.
// Reference: seeds/004 ("Redefining the network", "Including a temperature term", "The overall probability":
// P(s_i = 1 | s_j≠i) = σ(z_i / T), stationary P(y) = exp(−E(y)/T)/Z), seeds/001 (Boltzmann machines, Gibbs sampling).
// Legend: N units; W N×N row-major, symmetric (w_ij = weights[i*N+j]); θ thresholds (N; a bias is b = −θ);
// x external input (N, optional); s state Int8Array (N) in {0,1} (binary) or {−1,1} (bipolar);
// E(s) = −½ sᵀWs − xᵀs + θᵀs (the energy of hopfield.ts, diagonal included);
// Δ_i = E(s with s_i low) − E(s with s_i high), the energy gap of unit i; T ≥ 0 temperature;
// u uniforms in [0,1): one per unit per sweep, laid out [sweep][unit] (sweeps×N) when passed as a noise array.
//
// Convention: P(s_i = high | rest) = σ(Δ_i / T). For binary units Δ_i = Σ_j≠i w_ij s_j + x_i − θ_i (+ ½w_ii),
// which is the seed's z_i, so this is exactly its σ(z_i/T). For bipolar units the flip −1 → +1 changes s_i by 2,
// so Δ_i = 2 z_i and P(s_i = +1) = σ(2 z_i / T). The seed writes σ(z_i) for ±1 units too, but its own
// derivation (log P(S) − log P(S′) = E(S′) − E(S)) gives the factor 2 for ±1 states; using the true energy
// gap makes the stationary distribution exactly exp(−E/T)/Z for both encodings. (σ(z_i/T) on ±1 units is
// this rule at temperature 2T.) At T = 0 the update is deterministic Hopfield descent; a tie keeps its value.

import type { Encoding } from './hopfield'
import type { Rng } from './rng'

/** A stochastic Hopfield net or the unrolled (visible+hidden) Boltzmann machine; HopfieldNet fits. */
export interface StochasticNet {
  units: number
  weights: Float32Array | Float64Array
  thresholds: Float32Array | Float64Array
  encoding: Encoding
}

/** Visit order within a sweep: fresh random permutation each sweep (needs an rng), 0..N−1, or a fixed permutation. */
export type SweepOrder = 'random' | 'sequential' | ArrayLike<number>

/** Numerically stable logistic σ(x) = 1 / (1 + e^(−x)). */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x))
  const e = Math.exp(x)
  return e / (1 + e)
}

export function lowOf(encoding: Encoding): number {
  return encoding === 'bipolar' ? -1 : 0
}

/** Δ_i = E(s_i low) − E(s_i high), every other unit as in `state`. Accumulated in float64. */
export function energyGap(net: StochasticNet, state: ArrayLike<number>, i: number, external?: ArrayLike<number>): number {
  const n = net.units
  const w = net.weights
  let z = (external ? external[i]! : 0) - net.thresholds[i]!
  const row = i * n
  for (let j = 0; j < n; j++) if (j !== i) z += w[row + j]! * state[j]!
  // Binary: the diagonal adds ½w_ii·(1² − 0²); bipolar: w_ii s_i² is the same for both values.
  return net.encoding === 'bipolar' ? 2 * z : z + 0.5 * w[row + i]!
}

/** P(s_i = high | rest) = σ(Δ_i / T); at T = 0 the step function (0.5 on a tie). */
export function unitProbability(net: StochasticNet, state: ArrayLike<number>, i: number, temperature: number, external?: ArrayLike<number>): number {
  checkTemperature(temperature, 'temperature')
  const gap = energyGap(net, state, i, external)
  if (temperature === 0) return gap > 0 ? 1 : gap < 0 ? 0 : 0.5
  return sigmoid(gap / temperature)
}

/** E(s) = −½ sᵀWs − xᵀs + θᵀs, the same quadratic form as hopfield.energy, for either weight precision. */
export function stateEnergy(net: StochasticNet, state: ArrayLike<number>, external?: ArrayLike<number>): number {
  const n = net.units
  const w = net.weights
  let quad = 0
  let lin = 0
  for (let i = 0; i < n; i++) {
    const si = state[i]!
    if (si === 0) continue
    let row = 0
    for (let j = 0; j < n; j++) row += w[i * n + j]! * state[j]!
    quad += si * row
    lin += (net.thresholds[i]! - (external ? external[i]! : 0)) * si
  }
  return -0.5 * quad + lin
}

export function checkTemperature(t: number, what: string): void {
  if (!(Number.isFinite(t) && t >= 0)) throw new Error(`${what} must be a finite number ≥ 0, got ${t}`)
}

export function checkNet(net: StochasticNet): void {
  const n = net.units
  if (!Number.isInteger(n) || n < 1) throw new Error(`units must be a positive integer, got ${n}`)
  if (net.weights.length !== n * n) throw new Error(`weights have ${net.weights.length} entries, expected ${n}×${n}`)
  if (net.thresholds.length !== n) throw new Error(`thresholds have ${net.thresholds.length} entries, expected ${n}`)
}

export function checkStateValues(state: ArrayLike<number>, encoding: Encoding, n: number, what: string): void {
  if (state.length !== n) throw new Error(`${what} has length ${state.length}, expected ${n}`)
  const lo = lowOf(encoding)
  for (let i = 0; i < n; i++) {
    const v = state[i]!
    if (v !== 1 && v !== lo) throw new Error(`${what}, unit ${i}: value ${v} is not a ${encoding} state (${lo} or 1)`)
  }
}

/** Validated visit order: null means 'random' (draw a permutation per sweep). */
export function resolveOrder(order: SweepOrder | undefined, n: number, rng: Rng | undefined, hasNoise: boolean): Int32Array | null {
  const o = order ?? 'random'
  if (o === 'sequential') return Int32Array.from({ length: n }, (_, i) => i)
  if (o === 'random') {
    if (hasNoise) throw new Error("order 'random' cannot be reproduced from a noise array: use 'sequential' or a fixed permutation")
    if (!rng) throw new Error("order 'random' needs an rng")
    return null
  }
  const arr = Array.from(o)
  if (arr.length !== n || new Set(arr).size !== n || arr.some((u) => !Number.isInteger(u) || u < 0 || u >= n)) {
    throw new Error(`order must be a permutation of 0..${n - 1}`)
  }
  return Int32Array.from(arr)
}

/** Clamp mask as bytes (1 = held fixed), or null when nothing is clamped. */
export function resolveClamped(clamped: ArrayLike<boolean | number> | undefined, n: number): Uint8Array | null {
  if (!clamped) return null
  if (clamped.length !== n) throw new Error(`clamped mask has length ${clamped.length}, expected ${n}`)
  const m = new Uint8Array(n)
  let any = false
  for (let i = 0; i < n; i++) {
    m[i] = clamped[i] ? 1 : 0
    if (m[i]) any = true
  }
  return any ? m : null
}

/** Throws unless `noise` holds `count` numbers in [0, 1). */
export function checkNoise(noise: ArrayLike<number>, count: number, what: string): void {
  if (noise.length < count) throw new Error(`${what} has ${noise.length} uniforms, needs ${count}`)
  for (let k = 0; k < count; k++) {
    const u = noise[k]!
    if (!(u >= 0 && u < 1)) throw new Error(`${what}[${k}] = ${u} is not in [0, 1)`)
  }
}

/**
 * logit(u) = ln(u / (1 − u)) of a uniform u in [0, 1) (−∞ at 0): the kernel's acceptance threshold. The engine's
 * Gibbs program (src/engine/programs/gibbs.ts) is fed these very values, computed by this function.
 */
export function uniformLogit(u: number): number {
  return Math.log(u / (1 - u))
}

/**
 * Pre-validated sweep kernel shared by gibbsSweep, anneal and the Boltzmann samplers. Draw order (mirrored by
 * engine programs): with an rng, a 'random' order first draws the permutation, then N uniforms u_0..u_{N−1}
 * indexed by unit (clamped units too, so clamping does not shift the stream); with a noise array the N
 * uniforms start at `offset`. Unit i becomes high iff logit(u_i) < Δ_i/T — the same event as u_i < σ(Δ_i/T) in
 * exact arithmetic, written so that the engine can make the identical decision: it gets logit(u_i) from
 * uniformLogit as an input and does one IEEE division and one comparison, where an in-graph σ would round
 * differently from Math.exp at the last ulp. Returns the energy change.
 */
export class SweepKernel {
  readonly u: Float64Array
  constructor(
    readonly net: StochasticNet,
    readonly order: Int32Array | null,
    readonly clamped: Uint8Array | null,
    readonly external: ArrayLike<number> | undefined
  ) {
    this.u = new Float64Array(net.units)
  }

  sweep(state: Int8Array, temperature: number, rng: Rng | undefined, noise: ArrayLike<number> | undefined, offset: number): { dE: number; flips: number } {
    const net = this.net
    const n = net.units
    const visit = this.order ?? rng!.permutation(n)
    const u = this.u
    if (noise) for (let i = 0; i < n; i++) u[i] = noise[offset + i]!
    else for (let i = 0; i < n; i++) u[i] = rng!.next()
    const lo = lowOf(net.encoding)
    const clamped = this.clamped
    let dE = 0
    let flips = 0
    for (let k = 0; k < n; k++) {
      const i = visit[k]!
      if (clamped && clamped[i]) continue
      const gap = energyGap(net, state, i, this.external)
      const old = state[i]!
      let v: number
      if (temperature === 0) v = gap > 0 ? 1 : gap < 0 ? lo : old
      else v = uniformLogit(u[i]!) < gap / temperature ? 1 : lo
      if (v !== old) {
        // low → high lowers E by Δ_i; high → low raises it by Δ_i.
        dE += v === 1 ? -gap : gap
        state[i] = v
        flips++
      }
    }
    return { dE, flips }
  }
}

export interface GibbsSweepOptions {
  temperature: number
  /** Default 'random' (needs rng). */
  order?: SweepOrder
  rng?: Rng
  /** N uniforms in [0,1) replacing the rng's draws (unit i uses noise[i]); makes the sweep reproducible elsewhere. */
  noise?: ArrayLike<number>
  /** Units held at their current value (seeds/004 pattern completion: the "seen" bits). */
  clamped?: ArrayLike<boolean | number>
  external?: ArrayLike<number>
}

export interface SweepResult {
  /** Units that changed value. */
  flips: number
  /** E after − E before. */
  energyChange: number
}

/** One Gibbs sweep in place: every unclamped unit resampled once from P(s_i = high | rest) = σ(Δ_i/T). */
export function gibbsSweep(net: StochasticNet, state: Int8Array, opts: GibbsSweepOptions): SweepResult {
  checkNet(net)
  const n = net.units
  checkStateValues(state, net.encoding, n, 'state')
  checkTemperature(opts.temperature, 'temperature')
  if (opts.external && opts.external.length !== n) throw new Error(`external input has length ${opts.external.length}, expected ${n}`)
  if (opts.noise) checkNoise(opts.noise, n, 'noise')
  else if (!opts.rng) throw new Error('gibbsSweep needs an rng or a noise array')
  const order = resolveOrder(opts.order, n, opts.rng, !!opts.noise)
  const kernel = new SweepKernel(net, order, resolveClamped(opts.clamped, n), opts.external)
  const r = kernel.sweep(state, opts.temperature, opts.rng, opts.noise, 0)
  return { flips: r.flips, energyChange: r.dE }
}

/** Index of a state: bit i set ⇔ unit i high (unit 0 is the least significant bit). */
export function stateIndex(state: ArrayLike<number>): number {
  let k = 0
  for (let i = 0; i < state.length; i++) if (state[i] === 1) k += 2 ** i
  return k
}

export function stateFromIndex(index: number, units: number, encoding: Encoding): Int8Array {
  const s = new Int8Array(units)
  const lo = lowOf(encoding)
  for (let i = 0; i < units; i++) s[i] = Math.floor(index / 2 ** i) % 2 === 1 ? 1 : lo
  return s
}

export function logSumExp(values: ArrayLike<number>): number {
  let m = -Infinity
  for (let k = 0; k < values.length; k++) if (values[k]! > m) m = values[k]!
  if (m === -Infinity) return -Infinity
  let s = 0
  for (let k = 0; k < values.length; k++) s += Math.exp(values[k]! - m)
  return m + Math.log(s)
}

export interface ExactDistribution {
  temperature: number
  /** E of state k (index convention of stateIndex), 2^N entries. */
  energies: Float64Array
  /** exp(−E_k/T)/Z. */
  probabilities: Float64Array
  logZ: number
}

/** Largest N enumerated by default (2^20 states). */
export const MAX_EXACT_UNITS = 20

/** The stationary distribution of Gibbs sampling at T > 0, by enumerating all 2^N states. */
export function boltzmannDistribution(net: StochasticNet, opts: { temperature: number; external?: ArrayLike<number>; maxUnits?: number }): ExactDistribution {
  checkNet(net)
  const n = net.units
  const t = opts.temperature
  if (!(Number.isFinite(t) && t > 0)) throw new Error(`temperature must be a finite number > 0, got ${t}`)
  const maxUnits = opts.maxUnits ?? MAX_EXACT_UNITS
  if (n > maxUnits) throw new Error(`exact enumeration of ${n} units (2^${n} states) exceeds maxUnits = ${maxUnits}`)
  const count = 2 ** n
  const energies = new Float64Array(count)
  const logits = new Float64Array(count)
  for (let k = 0; k < count; k++) {
    const e = stateEnergy(net, stateFromIndex(k, n, net.encoding), opts.external)
    energies[k] = e
    logits[k] = -e / t
  }
  const logZ = logSumExp(logits)
  const probabilities = new Float64Array(count)
  for (let k = 0; k < count; k++) probabilities[k] = Math.exp(logits[k]! - logZ)
  return { temperature: t, energies, probabilities, logZ }
}

/** Lowest energy over all 2^N states and every state that attains it (within `tolerance`). */
export function groundStates(net: StochasticNet, opts: { external?: ArrayLike<number>; maxUnits?: number; tolerance?: number } = {}): { energy: number; states: Int8Array[] } {
  checkNet(net)
  const n = net.units
  const maxUnits = opts.maxUnits ?? MAX_EXACT_UNITS
  if (n > maxUnits) throw new Error(`exact enumeration of ${n} units (2^${n} states) exceeds maxUnits = ${maxUnits}`)
  const tol = opts.tolerance ?? 1e-9
  let best = Infinity
  let states: Int8Array[] = []
  for (let k = 0; k < 2 ** n; k++) {
    const s = stateFromIndex(k, n, net.encoding)
    const e = stateEnergy(net, s, opts.external)
    if (e < best - tol) {
      best = e
      states = [s]
    } else if (Math.abs(e - best) <= tol) states.push(s)
  }
  return { energy: best, states }
}
