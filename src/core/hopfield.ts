// Discrete Hopfield network: Hebbian storage, asynchronous and synchronous recall, energy.
// Reference: seeds/003 (auto-associative nets, discrete Hopfield net, energy proof) and seeds/000 (1/M Hebb, 9-neuron example).
// Legend: N units; P stored patterns s(p) ∈ {−1,1}^N (bipolar) or {0,1}^N (binary); W N×N row-major, symmetric
// (w_ij = weights[i*N+j]); θ thresholds (N); x external input (N, optional, zero if absent); y / state current
// activations (Int8Array, N); B batch rows for the batched reference; D the grid denominator (scale c = 1/D) and
// K = D·W the integer weights of a net on a grid.
//
// Exact decisions. A net made by a learning rule lies on a grid: every weight is fl32(K_ij/D) for an integer K_ij,
// with Σ_j |K_ij| ≤ 2^22 and D ≤ 2^22 (GRID_LIMIT). Its unit i then compares the exact integer K·s (+ D·x_i) with
// D·θ_i, so a tie (net input exactly θ_i: keep the state) is a tie in every path, whatever the summation order:
// the core recovers K·s as round(D·Σ_j s_j w_ji) (the float32 rounding of the weights moves that sum by at most
// Σ_j|K_ij|·2^-24 ≤ 1/4), the ONNX programs get K itself (engine/recall.ts, engine/export.ts) and sum integers
// below 2^23, exact in float32 in any order. A net without a grid (made by hand, or saved before grids) is
// compared in float64 as given, with no cross-path guarantee.

import type { Rng } from './rng'

export type Encoding = 'bipolar' | 'binary'

export interface HopfieldNet {
  units: number
  /** The model's weights, in its own units (energies and net inputs are reported in these). */
  weights: Float32Array
  thresholds: Float32Array
  encoding: Encoding
  /**
   * The grid: c = 1/D for a positive integer D, every weight being fl32(K_ij/D) with K integer (see the header).
   * Set by the learning rules; absent on nets made by hand or saved before grids. Whoever changes the weights
   * must drop it or keep them on the grid.
   */
  scale?: number
}

export interface HebbOptions {
  normalisation?: 'none' | '1/N' | '1/P'
  /** 003 "modified Hebb": w_ii = 0. Default true. */
  zeroDiagonal?: boolean
  encoding?: Encoding
}

/** Throws an Error naming the pattern index and unit when a value is outside the encoding's alphabet. */
export function checkPattern(pattern: ArrayLike<number>, encoding: Encoding, n: number, what: string): void {
  if (pattern.length !== n) throw new Error(`${what} has length ${pattern.length}, expected ${n}`)
  for (let i = 0; i < n; i++) {
    const v = pattern[i]!
    const ok = encoding === 'bipolar' ? v === 1 || v === -1 : v === 0 || v === 1
    if (!ok) throw new Error(`${what}, unit ${i}: value ${v} is not ${encoding === 'bipolar' ? '−1 or 1 (bipolar)' : '0 or 1 (binary)'}`)
  }
}

export function hebb(patterns: ArrayLike<number>[], opts: HebbOptions = {}): HopfieldNet {
  const encoding = opts.encoding ?? 'bipolar'
  const normalisation = opts.normalisation ?? 'none'
  const zeroDiagonal = opts.zeroDiagonal ?? true
  if (patterns.length === 0) throw new Error('hebb: at least one pattern is needed')
  const n = patterns[0]!.length
  if (n === 0) throw new Error('hebb: patterns must have at least one unit')
  patterns.forEach((p, k) => checkPattern(p, encoding, n, `pattern ${k}`))

  const acc = new Float64Array(n * n)
  const s = new Float64Array(n)
  for (const p of patterns) {
    // 003: binary patterns are stored through their bipolar images (2s − 1).
    for (let i = 0; i < n; i++) s[i] = encoding === 'binary' ? 2 * p[i]! - 1 : p[i]!
    for (let i = 0; i < n; i++) {
      const si = s[i]!
      const row = i * n
      for (let j = 0; j < n; j++) acc[row + j]! += si * s[j]!
    }
  }
  // W = K/D with K = Σ s sᵀ: the division of two float32-exact integers, rounded once to float32 (the same values
  // as the earlier fl32(K·(1/D))), and D kept so that every path can compare K·s exactly.
  const d = normalisation === '1/N' ? n : normalisation === '1/P' ? patterns.length : 1
  if (zeroDiagonal) for (let i = 0; i < n; i++) acc[i * n + i] = 0
  const weights = new Float32Array(n * n)
  for (let k = 0; k < n * n; k++) weights[k] = acc[k]! / d
  const net: HopfieldNet = { units: n, weights, thresholds: new Float32Array(n), encoding }
  if (d <= GRID_LIMIT && maxRowL1(acc, n) <= GRID_LIMIT) net.scale = 1 / d
  return net
}

/** Bound on Σ_j |K_ij| and on D for a net on a grid: K·s + D·x stays an integer below 2^23 for |x| ≤ 1. */
export const GRID_LIMIT = 2 ** 22

/** max_i Σ_j |m_ij| of an N×N row-major matrix. */
export function maxRowL1(m: ArrayLike<number>, n: number): number {
  let max = 0
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let j = 0; j < n; j++) s += Math.abs(m[i * n + j]!)
    if (s > max) max = s
  }
  return max
}

/**
 * W rounded onto the finest grid 1/D, D = base·2^m (m ≥ 0), that keeps D·Σ_j|w_ij| and D within GRID_LIMIT (see the
 * header), for rules whose weights are not integers (Storkey, pseudo-inverse, energy training): every recall path
 * then sums them exactly. The change per weight is at most 1/(2D), about 2^-23 of a row's Σ|w|. Rounding is
 * symmetric in sign, so a symmetric W stays symmetric. Returns the weights without a grid (as float32) when even
 * D = base does not fit.
 */
export function onGrid(w: ArrayLike<number>, n: number, base = 1): { weights: Float32Array; scale?: number } {
  const rho = maxRowL1(w, n)
  // Rounding adds at most ½ per entry to a row's Σ|K|.
  const fits = (d: number): boolean => d <= GRID_LIMIT && rho * d + n / 2 <= GRID_LIMIT
  if (!Number.isInteger(base) || base < 1 || !fits(base)) return { weights: Float32Array.from(w) }
  let d = base
  while (fits(2 * d)) d *= 2
  const weights = new Float32Array(n * n)
  for (let k = 0; k < n * n; k++) {
    const v = w[k]!
    weights[k] = (Math.sign(v) * Math.round(Math.abs(v) * d)) / d
  }
  return { weights, scale: 1 / d }
}

/** D of a net on a grid, 0 for a net without one. Throws naming `scale` when it is not 1/D for an integer D. */
export function gridDenominator(net: HopfieldNet): number {
  const c = net.scale
  if (c === undefined) return 0
  const d = Math.round(1 / c)
  if (!(Number.isFinite(c) && c > 0) || d < 1 || d > GRID_LIMIT || Math.abs(d * c - 1) > 1e-12) {
    throw new Error(`scale must be 1/D for an integer D from 1 to 2^22, got ${c}`)
  }
  return d
}

/**
 * A threshold in grid units for comparisons with integers: t = D·θ exactly (θ float32, D ≤ 2^22), kept when it is
 * an integer, else floor(t) + ½, which no integer equals and which orders every integer as t does; beyond the reach
 * 2^23 of K·s + D·x, ±(2^23 + 1). Every value is exact in float32.
 */
export function gridThreshold(theta: number, d: number): number {
  const t = theta * d
  if (Math.abs(t) > 2 ** 23) return Math.sign(t) * (2 ** 23 + 1)
  return Number.isInteger(t) ? t : Math.floor(t) + 0.5
}

/** The net as the ONNX programs take it when its grid is not a power of two (then float32 cannot hold W exactly). */
export interface GridForm {
  /** D, the grid's denominator (scale = 1/D). */
  denominator: number
  /** K = D·W: integers, |row sums| ≤ 2^22, exact in float32. */
  weights: Float32Array
  /** gridThreshold(θ_i, D). */
  thresholds: Float32Array
}

/**
 * K and the thresholds in grid units for a net on a grid, null for a net without one. Sign decisions on
 * (K, D·x, gridThreshold(θ)) are exactly those of `margin`. Throws naming `weights` when a weight is not on the grid
 * the net's scale declares.
 */
export function gridForm(net: HopfieldNet): GridForm | null {
  const d = gridDenominator(net)
  if (d === 0) return null
  const n = net.units
  const w = net.weights
  const k = new Float32Array(n * n)
  // h_i sums column i (Σ_j s_j K_ji): those sums are the ones bounded.
  const columnSums = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const v = w[j * n + i]!
      const kji = Math.round(v * d)
      if (Math.fround(kji / d) !== v) throw new Error(`weights (${j}, ${i}) = ${v} is not on the grid 1/${d} of the net's scale`)
      k[j * n + i] = kji
      columnSums[i] = columnSums[i]! + Math.abs(kji)
    }
  }
  for (let i = 0; i < n; i++) {
    if (columnSums[i]! > GRID_LIMIT) throw new Error(`weights: unit ${i} has Σ_j |K_ji| = ${columnSums[i]} on the grid 1/${d}, beyond 2^22`)
  }
  return { denominator: d, weights: k, thresholds: Float32Array.from(net.thresholds, (t) => gridThreshold(t, d)) }
}

/**
 * For a net saved before grids (no scale): the smallest denominator D among `candidates` such that every weight is
 * exactly fl32(K_ij/D) for an integer K_ij within the grid's bounds, set as the net's scale; the net is left as it is
 * (and 0 returned) when none fits. A Hebb net saved with 1/N or 1/P is found again this way: weights that are exactly
 * those of K/D are read as K/D, the model they were made from.
 */
export function adoptGrid(net: HopfieldNet, candidates: number[]): number {
  if (net.scale !== undefined) return gridDenominator(net)
  const n = net.units
  // Smallest first: K/6 is also 5K/30, and the coarsest grid that holds the weights is the one they were made on.
  for (const d of [...candidates].sort((a, b) => a - b)) {
    if (!Number.isInteger(d) || d < 1 || d > GRID_LIMIT) continue
    const k = new Float64Array(n * n)
    let ok = true
    for (let q = 0; q < n * n && ok; q++) {
      const v = net.weights[q]!
      k[q] = Math.round(v * d)
      ok = Math.fround(k[q]! / d) === v
    }
    if (ok && maxRowL1(k, n) <= GRID_LIMIT && maxRowL1(transpose(k, n), n) <= GRID_LIMIT) {
      net.scale = 1 / d
      return d
    }
  }
  return 0
}

function transpose(m: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = m[i * n + j]!
  return t
}

/** Whether the ONNX programs need the grid form: D not a power of two (for D = 2^k float32 holds W and sums exactly). */
export function needsGridForm(net: HopfieldNet): boolean {
  const d = gridDenominator(net)
  return d > 0 && (d & (d - 1)) !== 0
}

/**
 * h_i − θ_i for unit i, from sum = Σ_j y_j w_ji (float64 over the float32 weights), its external input x and θ.
 * Only its sign and zero matter. With d > 0 (a grid) it is exact: round(d·sum) is the integer K·y, and
 * (K·y + d·x) − d·θ is exact in sign for integer x and float32 θ; with d = 0, plain float64.
 */
export function margin(sum: number, x: number, theta: number, d: number): number {
  if (d === 0) return sum + x - theta
  return Math.round(sum * d) + x * d - theta * d
}

/** A bipolar pattern in the given encoding: binary maps +1 → 1 and −1 (or 0, unknown) → 0; bipolar is copied. */
export function toEncoding(pattern: ArrayLike<number>, encoding: Encoding): Int8Array {
  const out = Int8Array.from(pattern)
  if (encoding === 'binary') for (let i = 0; i < out.length; i++) out[i] = out[i]! > 0 ? 1 : 0
  return out
}

/** One-shot associator of 003: y = f(xW) with sign(0) = 0. W is rows×cols row-major, x has `rows` entries. */
export function associate(weights: Float32Array, rows: number, cols: number, x: ArrayLike<number>): Int8Array {
  if (weights.length !== rows * cols) throw new Error(`associate: weights have ${weights.length} entries, expected ${rows}×${cols}`)
  if (x.length !== rows) throw new Error(`associate: input has length ${x.length}, expected ${rows}`)
  const y = new Int8Array(cols)
  for (let j = 0; j < cols; j++) {
    let sum = 0
    for (let i = 0; i < rows; i++) sum += x[i]! * weights[i * cols + j]!
    y[j] = sum > 0 ? 1 : sum < 0 ? -1 : 0
  }
  return y
}

/** Σ_j y_j w_ji over the float32 weights, in float64: the recurrent part of unit i's net input. */
function recurrentInput(net: HopfieldNet, state: ArrayLike<number>, i: number): number {
  const n = net.units
  const w = net.weights
  let sum = 0
  for (let j = 0; j < n; j++) sum += state[j]! * w[j * n + i]!
  return sum
}

/** 003 step 4: y_in_i = x_i + Σ_j y_j w_ji, accumulated in float64 (the model's units; decisions use `margin`). */
export function netInput(net: HopfieldNet, state: ArrayLike<number>, i: number, external?: ArrayLike<number>): number {
  return recurrentInput(net, state, i) + (external ? external[i]! : 0)
}

/**
 * Every unit's net input at once, h_i = x_i + Σ_j y_j w_ji (003 step 4, as netInput), summed over j in order by
 * adding rows of W: contiguous reads, and units at 0 skipped. For a symmetric W the same sums as Σ_j w_ij y_j.
 */
export function netInputs(net: HopfieldNet, state: ArrayLike<number>, external?: ArrayLike<number>, out?: Float64Array): Float64Array {
  const h = recurrentInputs(net, state, out)
  if (external) for (let i = 0; i < net.units; i++) h[i] = h[i]! + external[i]!
  return h
}

/** Every unit's Σ_j y_j w_ji (netInputs without x), the sums `margin` takes. */
export function recurrentInputs(net: HopfieldNet, state: ArrayLike<number>, out?: Float64Array): Float64Array {
  const n = net.units
  const w = net.weights
  const h = out ?? new Float64Array(n)
  h.fill(0)
  for (let j = 0; j < n; j++) {
    const yj = state[j]!
    if (yj === 0) continue
    const row = j * n
    for (let i = 0; i < n; i++) h[i] = h[i]! + w[row + i]! * yj
  }
  return h
}

/** E = −½ yᵀWy − xᵀy + θᵀy (003). The full quadratic form, so a nonzero diagonal counts too. */
export function energy(net: HopfieldNet, state: ArrayLike<number>, external?: ArrayLike<number>): number {
  const n = net.units
  const w = net.weights
  let quad = 0
  let lin = 0
  for (let i = 0; i < n; i++) {
    const yi = state[i]!
    if (yi === 0) continue
    let row = 0
    for (let j = 0; j < n; j++) row += w[i * n + j]! * state[j]!
    quad += yi * row
    lin += (net.thresholds[i]! - (external ? external[i]! : 0)) * yi
  }
  return -0.5 * quad + lin
}

function low(encoding: Encoding): number {
  return encoding === 'bipolar' ? -1 : 0
}

/** The value a unit takes given its margin h − θ; a tie (margin 0) keeps the current value (003 step 5). */
function activate(m: number, current: number, lowValue: number): number {
  return m > 0 ? 1 : m < 0 ? lowValue : current
}

/** Asynchronous update of unit i in place. Returns whether its value changed. */
export function updateUnit(net: HopfieldNet, state: Int8Array, i: number, external?: ArrayLike<number>): boolean {
  const m = margin(recurrentInput(net, state, i), external ? external[i]! : 0, net.thresholds[i]!, gridDenominator(net))
  const v = activate(m, state[i]!, low(net.encoding))
  if (v === state[i]) return false
  state[i] = v
  return true
}

export interface AsyncTrace {
  initial: Int8Array
  /** Unit visited by each update. */
  units: Int32Array
  /** Value of that unit after each update. */
  values: Int8Array
  /** Net input y_in of the visited unit at each update (before it changes). */
  netInputs: Float64Array
  /** Length updates+1: before the first update, then after each. */
  energy: Float64Array
  /** Overlap with each `stored` pattern at the start and after each sweep; [] if none given. */
  overlaps: number[][]
  final: Int8Array
  sweeps: number
  outcome: 'fixed-point' | 'max-iterations'
}

export interface RecallAsyncOptions {
  rng?: Rng
  order?: 'random' | 'sequential' | number[]
  maxSweeps: number
  external?: ArrayLike<number>
  stored?: ArrayLike<number>[]
}

export function recallAsync(net: HopfieldNet, cue: ArrayLike<number>, opts: RecallAsyncOptions): AsyncTrace {
  const n = net.units
  checkPattern(cue, net.encoding, n, 'cue')
  if (opts.external && opts.external.length !== n) throw new Error(`external input has length ${opts.external.length}, expected ${n}`)
  if (!Number.isInteger(opts.maxSweeps) || opts.maxSweeps < 1) throw new Error(`maxSweeps must be a positive integer, got ${opts.maxSweeps}`)
  const order = opts.order ?? 'random'
  let fixedOrder: Int32Array | null = null
  if (order === 'sequential') {
    fixedOrder = new Int32Array(n)
    for (let i = 0; i < n; i++) fixedOrder[i] = i
  } else if (Array.isArray(order)) {
    if (order.length !== n || new Set(order).size !== n || order.some((u) => !Number.isInteger(u) || u < 0 || u >= n)) {
      throw new Error(`order must be a permutation of 0..${n - 1}`)
    }
    fixedOrder = Int32Array.from(order)
  } else if (!opts.rng) {
    throw new Error("order 'random' needs an rng")
  }
  const stored = opts.stored ?? []
  stored.forEach((p, k) => {
    if (p.length !== n) throw new Error(`stored pattern ${k} has length ${p.length}, expected ${n}`)
  })

  const state = Int8Array.from(cue)
  const initial = Int8Array.from(cue)
  const maxUpdates = opts.maxSweeps * n
  const units = new Int32Array(maxUpdates)
  const values = new Int8Array(maxUpdates)
  const netInputs = new Float64Array(maxUpdates)
  const energies = new Float64Array(maxUpdates + 1)
  const overlaps: number[][] = []
  const recordOverlaps = (): void => {
    if (stored.length > 0) overlaps.push(stored.map((p) => overlap(state, p, net.encoding)))
  }
  recordOverlaps()
  let e = energy(net, state, opts.external)
  energies[0] = e
  const lowValue = low(net.encoding)
  const w = net.weights
  const d = gridDenominator(net)
  const ext = opts.external
  let updates = 0
  let sweeps = 0
  let outcome: AsyncTrace['outcome'] = 'max-iterations'
  while (sweeps < opts.maxSweeps) {
    const visit = fixedOrder ?? opts.rng!.permutation(n)
    let changed = false
    for (let k = 0; k < n; k++) {
      const i = visit[k]!
      const sum = recurrentInput(net, state, i)
      const x = ext ? ext[i]! : 0
      const h = sum + x
      const theta = net.thresholds[i]!
      const old = state[i]!
      const v = activate(margin(sum, x, theta, d), old, lowValue)
      if (v !== old) {
        // ΔE = −(h − θ)Δy − ½ w_ii Δy² (003 proof, plus the diagonal term): O(1) instead of O(N²).
        const dy = v - old
        e += -(h - theta) * dy - 0.5 * w[i * n + i]! * dy * dy
        state[i] = v
        changed = true
      }
      units[updates] = i
      values[updates] = v
      netInputs[updates] = h
      updates++
      energies[updates] = e
    }
    sweeps++
    recordOverlaps()
    if (!changed) {
      outcome = 'fixed-point'
      break
    }
  }
  return {
    initial,
    units: units.slice(0, updates),
    values: values.slice(0, updates),
    netInputs: netInputs.slice(0, updates),
    energy: energies.slice(0, updates + 1),
    overlaps,
    final: state,
    sweeps,
    outcome
  }
}

/** One synchronous step: every unit from the same previous state, tie keeps. */
function syncStep(net: HopfieldNet, prev: Int8Array, next: Int8Array, external?: ArrayLike<number>): boolean {
  const n = net.units
  const lowValue = low(net.encoding)
  const d = gridDenominator(net)
  const sums = recurrentInputs(net, prev)
  let changed = false
  for (let i = 0; i < n; i++) {
    const v = activate(margin(sums[i]!, external ? external[i]! : 0, net.thresholds[i]!, d), prev[i]!, lowValue)
    next[i] = v
    if (v !== prev[i]) changed = true
  }
  return changed
}

function equalState(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export interface SyncResult {
  final: Int8Array
  /** Synchronous updates that changed something (0 if the cue is already a fixed point). */
  iterations: number
  outcome: 'fixed-point' | 'cycle' | 'max-iterations'
}

/**
 * All units at once (003 recurrent auto-associator). Stops on a fixed point, on a 2-cycle (the state
 * equals the one two steps back; synchronous symmetric nets have no longer cycles) or after maxIterations
 * changing updates; in the last case one extra check still reports 'fixed-point' if the final state is one.
 */
export function recallSync(net: HopfieldNet, cue: ArrayLike<number>, opts: { maxIterations: number; external?: ArrayLike<number> }): SyncResult {
  const n = net.units
  checkPattern(cue, net.encoding, n, 'cue')
  if (opts.external && opts.external.length !== n) throw new Error(`external input has length ${opts.external.length}, expected ${n}`)
  if (!Number.isInteger(opts.maxIterations) || opts.maxIterations < 0) throw new Error(`maxIterations must be a non-negative integer, got ${opts.maxIterations}`)
  let twoBack: Int8Array | null = null
  let prev: Int8Array = Int8Array.from(cue)
  let next: Int8Array = new Int8Array(n)
  let iterations = 0
  while (iterations < opts.maxIterations) {
    if (!syncStep(net, prev, next, opts.external)) return { final: prev, iterations, outcome: 'fixed-point' }
    iterations++
    if (twoBack && equalState(next, twoBack)) return { final: next, iterations, outcome: 'cycle' }
    const spare: Int8Array = twoBack ?? new Int8Array(n)
    twoBack = prev
    prev = next
    next = spare
  }
  const fixed = !syncStep(net, prev, next, opts.external)
  return { final: prev, iterations, outcome: fixed ? 'fixed-point' : 'max-iterations' }
}

/**
 * Batched synchronous recall, the reference the ONNX engine is checked against: per row b,
 * s ← tie-sign(W s + x − θ) until the row stops changing or maxIterations updates; x (per row) optional.
 */
export function recallSyncBatch(
  net: HopfieldNet,
  cues: Int8Array,
  batch: number,
  maxIterations: number,
  external?: ArrayLike<number>
): { final: Int8Array; iterations: Int32Array } {
  const n = net.units
  if (cues.length !== batch * n) throw new Error(`cues have ${cues.length} entries, expected ${batch}×${n}`)
  if (external && external.length !== batch * n) throw new Error(`external has ${external.length} entries, expected ${batch}×${n}`)
  const final = new Int8Array(batch * n)
  const iterations = new Int32Array(batch)
  let prev: Int8Array = new Int8Array(n)
  let next: Int8Array = new Int8Array(n)
  for (let b = 0; b < batch; b++) {
    prev.set(cues.subarray(b * n, (b + 1) * n))
    let it = 0
    const x = external ? Array.prototype.slice.call(external, b * n, (b + 1) * n) : undefined
    while (it < maxIterations && syncStep(net, prev, next, x)) {
      it++
      const t = prev
      prev = next
      next = t
    }
    final.set(prev, b * n)
    iterations[b] = it
  }
  return { final, iterations }
}

export function isFixedPoint(net: HopfieldNet, state: ArrayLike<number>, external?: ArrayLike<number>): boolean {
  const lowValue = low(net.encoding)
  const d = gridDenominator(net)
  const sums = recurrentInputs(net, state)
  for (let i = 0; i < net.units; i++) {
    if (activate(margin(sums[i]!, external ? external[i]! : 0, net.thresholds[i]!, d), state[i]!, lowValue) !== state[i]) return false
  }
  return true
}

/** m = (1/N) Σ a_i b_i on bipolar images; binary states are mapped through 2s − 1 first. */
export function overlap(a: ArrayLike<number>, b: ArrayLike<number>, encoding: Encoding = 'bipolar'): number {
  if (a.length !== b.length) throw new Error(`overlap: lengths differ (${a.length} vs ${b.length})`)
  const n = a.length
  if (n === 0) return 0
  let sum = 0
  if (encoding === 'binary') for (let i = 0; i < n; i++) sum += (2 * a[i]! - 1) * (2 * b[i]! - 1)
  else for (let i = 0; i < n; i++) sum += a[i]! * b[i]!
  return sum / n
}

export function hamming(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`hamming: lengths differ (${a.length} vs ${b.length})`)
  let d = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++
  return d
}

/** Index of the stored pattern equal to `state`, else −1. */
export function matchStored(state: ArrayLike<number>, stored: ArrayLike<number>[]): number {
  for (let k = 0; k < stored.length; k++) if (equalState(state, stored[k]!)) return k
  return -1
}
