// Discrete Hopfield dynamics with every variant switchable: async (random / given order) or sync, tie rule,
// thresholds θ, external input x, both encodings; fixed-point and 2-cycle detection; energy per update.
// Reference: seeds/003 (discrete Hopfield net, step 4/5, energy proof), seeds/004 (evolution, energy).
// Legend: N units; W N×N row-major (w_ij = weights[i*N+j], the weight from unit i to unit j); θ thresholds (N); x
// external input (N); y state Int8Array (N) in {−1,1} (bipolar) or {0,1} (binary); h_i = x_i + Σ_j y_j w_ji the net
// input (003 step 4; the same convention as hopfield.ts netInput and the engine's s·W, so asymmetric W agree too);
// E(y) = −½ yᵀWy − xᵀy + θᵀy; for sync, the pair Lyapunov function
// L(y, y′) = −y′ᵀWy − (x − θ)ᵀ(y + y′), non-increasing along synchronous steps of a symmetric net (y′ the previous
// state). Units decide through hopfield.ts `margin`: exactly, ties included, for a net on its weights' grid.

import { energy, gridDenominator, margin, matchStored, netInputs, recurrentInputs, type Encoding, type HopfieldNet } from './hopfield'
import type { Rng } from './rng'
import { CancelledError } from '../shared/errors'

/** What a unit does when h_i = θ_i: keep its value (003), go high, or go low. */
export type TieRule = 'keep' | 'high' | 'low'

export interface Hooks {
  onProgress?(fraction: number): void
  shouldCancel?(): boolean
}

/** Throws CancelledError when the caller asked to stop; called between units of work. */
export function checkCancel(hooks: Hooks | undefined): void {
  if (hooks?.shouldCancel?.()) throw new CancelledError()
}

export function lowValue(encoding: Encoding): number {
  return encoding === 'bipolar' ? -1 : 0
}

export function activateTie(h: number, theta: number, current: number, tie: TieRule, encoding: Encoding): number {
  return activateMargin(h - theta, current, tie, encoding)
}

/** The same rule from the margin h − θ (hopfield.ts `margin`, exact on a grid): 0 is the tie. */
export function activateMargin(m: number, current: number, tie: TieRule, encoding: Encoding): number {
  if (m > 0) return 1
  if (m < 0) return lowValue(encoding)
  return tie === 'keep' ? current : tie === 'high' ? 1 : lowValue(encoding)
}

/** L(y, y′) = −Σ_i y_i Σ_j y′_j w_ji − (x − θ)ᵀ(y + y′): the synchronous Lyapunov function (Bruck 1990). */
export function pairEnergy(net: HopfieldNet, y: ArrayLike<number>, yPrev: ArrayLike<number>, external?: ArrayLike<number>): number {
  const n = net.units
  const h = netInputs(net, yPrev)
  let quad = 0
  let lin = 0
  for (let i = 0; i < n; i++) {
    quad += y[i]! * h[i]!
    lin += ((external ? external[i]! : 0) - net.thresholds[i]!) * (y[i]! + yPrev[i]!)
  }
  return -quad - lin
}

export interface RunOptions {
  mode: 'async' | 'sync'
  /** Async only. Default 'random' (needs rng). */
  order?: 'random' | 'sequential' | number[]
  rng?: Rng
  tie?: TieRule
  external?: ArrayLike<number>
  /** Sweeps (async) or synchronous steps (sync). */
  maxSteps: number
  stored?: ArrayLike<number>[]
}

export interface HopfieldRun {
  /** The cue, then the state after each sweep (async) or step (sync). */
  states: Int8Array[]
  /** E before anything, then after each unit update (async) or each step (sync). */
  energy: number[]
  /** Sync only: L(y_t, y_{t−1}) for t ≥ 1. */
  pairEnergy: number[]
  final: Int8Array
  steps: number
  outcome: 'fixed-point' | 'cycle' | 'max-iterations'
  /** For 'cycle': the two states the net alternates between. */
  cycle: [Int8Array, Int8Array] | null
  /** Index of the stored pattern equal to the final state, −1 if none (or none given). */
  match: number
}

function validateOrder(order: number[], n: number): Int32Array {
  if (order.length !== n || new Set(order).size !== n || order.some((u) => !Number.isInteger(u) || u < 0 || u >= n)) {
    throw new Error(`order must be a permutation of 0..${n - 1}`)
  }
  return Int32Array.from(order)
}

function checkState(state: ArrayLike<number>, encoding: Encoding, n: number, what: string): void {
  if (state.length !== n) throw new Error(`${what} has length ${state.length}, expected ${n}`)
  for (let i = 0; i < n; i++) {
    const v = state[i]!
    const ok = encoding === 'bipolar' ? v === 1 || v === -1 : v === 0 || v === 1
    if (!ok) throw new Error(`${what}, unit ${i}: value ${v} is not a ${encoding} state`)
  }
}

/** Step-by-step run for the UI and the exact reference: every variant, with traces. */
export function runHopfield(net: HopfieldNet, cue: ArrayLike<number>, opts: RunOptions): HopfieldRun {
  const n = net.units
  const enc = net.encoding
  checkState(cue, enc, n, 'cue')
  if (opts.external && opts.external.length !== n) throw new Error(`external input has length ${opts.external.length}, expected ${n}`)
  if (!Number.isInteger(opts.maxSteps) || opts.maxSteps < 1) throw new Error(`maxSteps must be a positive integer, got ${opts.maxSteps}`)
  const tie = opts.tie ?? 'keep'
  const ext = opts.external
  const w = net.weights
  const theta = net.thresholds
  const d = gridDenominator(net)
  const states: Int8Array[] = [Int8Array.from(cue)]
  const energies: number[] = [energy(net, cue, ext)]
  const pairs: number[] = []
  let y = Int8Array.from(cue)
  let outcome: HopfieldRun['outcome'] = 'max-iterations'
  let cycle: HopfieldRun['cycle'] = null
  let steps = 0

  if (opts.mode === 'async') {
    const order = opts.order ?? 'random'
    let fixed: Int32Array | null = null
    if (order === 'sequential') fixed = Int32Array.from({ length: n }, (_, i) => i)
    else if (Array.isArray(order)) fixed = validateOrder(order, n)
    else if (!opts.rng) throw new Error("order 'random' needs an rng")
    let e = energies[0]!
    while (steps < opts.maxSteps) {
      const visit = fixed ?? opts.rng!.permutation(n)
      let changed = false
      for (let k = 0; k < n; k++) {
        const i = visit[k]!
        let sum = 0
        for (let j = 0; j < n; j++) sum += y[j]! * w[j * n + i]!
        const x = ext ? ext[i]! : 0
        const h = sum + x
        const old = y[i]!
        const v = activateMargin(margin(sum, x, theta[i]!, d), old, tie, enc)
        if (v !== old) {
          const dy = v - old
          // ΔE = −(h − θ)Δy − ½ w_ii Δy², h including the unit's own old value.
          e += -(h - theta[i]!) * dy - 0.5 * w[i * n + i]! * dy * dy
          y[i] = v
          changed = true
        }
        energies.push(e)
      }
      steps++
      states.push(Int8Array.from(y))
      if (!changed) {
        outcome = 'fixed-point'
        break
      }
    }
  } else {
    let prev2: Int8Array | null = null
    while (steps < opts.maxSteps) {
      const next = new Int8Array(n)
      let changed = false
      const sums = recurrentInputs(net, y)
      for (let i = 0; i < n; i++) {
        next[i] = activateMargin(margin(sums[i]!, ext ? ext[i]! : 0, theta[i]!, d), y[i]!, tie, enc)
        if (next[i] !== y[i]) changed = true
      }
      if (!changed) {
        outcome = 'fixed-point'
        break
      }
      steps++
      pairs.push(pairEnergy(net, next, y, ext))
      energies.push(energy(net, next, ext))
      states.push(next)
      if (prev2 && prev2.every((v, i) => v === next[i])) {
        outcome = 'cycle'
        cycle = [Int8Array.from(y), Int8Array.from(next)]
        prev2 = y
        y = next
        break
      }
      prev2 = y
      y = next
    }
    if (outcome === 'max-iterations' && isFixed(net, y, tie, ext)) outcome = 'fixed-point'
  }
  return { states, energy: energies, pairEnergy: pairs, final: y, steps, outcome, cycle, match: opts.stored ? matchStored(y, opts.stored) : -1 }
}

function isFixed(net: HopfieldNet, y: ArrayLike<number>, tie: TieRule, ext?: ArrayLike<number>): boolean {
  const sums = recurrentInputs(net, y)
  const d = gridDenominator(net)
  for (let i = 0; i < net.units; i++) {
    if (activateMargin(margin(sums[i]!, ext ? ext[i]! : 0, net.thresholds[i]!, d), y[i]!, tie, net.encoding) !== y[i]) return false
  }
  return true
}

export interface SettleOptions {
  mode: 'async' | 'sync'
  /** Async: 'random' needs rng. Default 'random'. */
  order?: 'random' | 'sequential'
  rng?: Rng
  maxSweeps: number
  tie?: TieRule
}

export interface SettleResult {
  sweeps: number
  outcome: 'fixed-point' | 'cycle' | 'max-iterations'
}

/**
 * Fast in-place recall for sweeps, census and training: async keeps the local fields and updates them in
 * O(N) per flip. Bipolar states may hold 0 (an unknown unit of a partial cue); it contributes nothing to
 * the fields and, under the 'keep' tie rule, stays 0 only while its own net input is exactly θ.
 */
export function settle(net: HopfieldNet, y: Int8Array, opts: SettleOptions): SettleResult {
  const n = net.units
  const w = net.weights
  const theta = net.thresholds
  const enc = net.encoding
  const tie = opts.tie ?? 'keep'
  const d = gridDenominator(net)
  if (y.length !== n) throw new Error(`state has length ${y.length}, expected ${n}`)
  if (opts.mode === 'async') {
    const order = opts.order ?? 'random'
    if (order === 'random' && !opts.rng) throw new Error("order 'random' needs an rng")
    // Kept up to date flip by flip; on a grid each stays within 1/4 of K·y/D (the weights' float32 rounding, see
    // hopfield.ts), so `margin` still recovers the exact integer.
    const h = recurrentInputs(net, y)
    const seq = order === 'sequential' ? Uint32Array.from({ length: n }, (_, i) => i) : null
    for (let sweep = 1; sweep <= opts.maxSweeps; sweep++) {
      const visit = seq ?? opts.rng!.permutation(n)
      let changed = false
      for (let k = 0; k < n; k++) {
        const i = visit[k]!
        const old = y[i]!
        const v = activateMargin(margin(h[i]!, 0, theta[i]!, d), old, tie, enc)
        if (v !== old) {
          const dy = v - old
          y[i] = v
          changed = true
          // h_j = Σ_k y_k w_kj: unit i's change moves every h_j by w_ij·Δy (row i, contiguous).
          const row = i * n
          for (let j = 0; j < n; j++) h[j] = h[j]! + w[row + j]! * dy
        }
      }
      if (!changed) return { sweeps: sweep, outcome: 'fixed-point' }
    }
    return { sweeps: opts.maxSweeps, outcome: 'max-iterations' }
  }
  let prev2: Int8Array | null = null
  let cur = Int8Array.from(y)
  for (let step = 1; step <= opts.maxSweeps; step++) {
    const next = new Int8Array(n)
    let changed = false
    const sums = recurrentInputs(net, cur)
    for (let i = 0; i < n; i++) {
      next[i] = activateMargin(margin(sums[i]!, 0, theta[i]!, d), cur[i]!, tie, enc)
      if (next[i] !== cur[i]) changed = true
    }
    if (!changed) {
      y.set(cur)
      return { sweeps: step, outcome: 'fixed-point' }
    }
    if (prev2 && prev2.every((v, i) => v === next[i])) {
      y.set(next)
      return { sweeps: step, outcome: 'cycle' }
    }
    prev2 = cur
    cur = next
  }
  y.set(cur)
  return { sweeps: opts.maxSweeps, outcome: 'max-iterations' }
}
