// Bidirectional associative memory (discrete BAM): Hebbian storage, X→Y→X ping-pong, energy, spurious states.
// Reference: seeds/003 (BAM: setting the weights, activation functions, algorithm steps 0–6,
// Examples 3.23/3.24 with the 5×3 letters A and C, Lyapunov function L = −xWyᵀ).
// Legend: n X-units, m Y-units; P pairs s(p) (n) ↔ t(p) (m), bipolar {−1,1} or binary {0,1}; W n×m row-major
// Float32Array (w_ij = weights[i*m+j]); y_in = xW (m), x_in = yWᵀ (n); θx (n), θy (m) thresholds;
// a given cue may hold 0 in a bipolar layer for an unknown component (003: "either may be the zero vector").

import type { Encoding } from './hopfield'

export interface BamNet {
  xUnits: number
  yUnits: number
  weights: Float32Array
  encoding: Encoding
  thresholdsX: Float32Array
  thresholdsY: Float32Array
}

/**
 * 003: bipolar w_ij = Σ s_i t_j; binary w_ij = Σ (2s_i − 1)(2t_j − 1). Integers with no normalisation, so every net
 * input is an exact integer in float64 and a tie with θ is a true tie (the Hopfield nets need their grid for that).
 */
export function bamHebb(inputs: ArrayLike<number>[], targets: ArrayLike<number>[], encoding: Encoding = 'bipolar'): BamNet {
  if (inputs.length === 0) throw new Error('bamHebb: at least one pair is needed')
  if (inputs.length !== targets.length) throw new Error(`bamHebb: ${inputs.length} X patterns but ${targets.length} Y patterns`)
  const n = inputs[0]!.length
  const m = targets[0]!.length
  const ok = (v: number): boolean => (encoding === 'bipolar' ? v === 1 || v === -1 : v === 0 || v === 1)
  const acc = new Float64Array(n * m)
  for (let p = 0; p < inputs.length; p++) {
    const s = inputs[p]!
    const t = targets[p]!
    if (s.length !== n) throw new Error(`X pattern ${p} has length ${s.length}, expected ${n}`)
    if (t.length !== m) throw new Error(`Y pattern ${p} has length ${t.length}, expected ${m}`)
    for (let i = 0; i < n; i++) if (!ok(s[i]!)) throw new Error(`X pattern ${p}, unit ${i}: value ${s[i]} is not ${encoding}`)
    for (let j = 0; j < m; j++) if (!ok(t[j]!)) throw new Error(`Y pattern ${p}, unit ${j}: value ${t[j]} is not ${encoding}`)
    for (let i = 0; i < n; i++) {
      const si = encoding === 'binary' ? 2 * s[i]! - 1 : s[i]!
      for (let j = 0; j < m; j++) acc[i * m + j]! += si * (encoding === 'binary' ? 2 * t[j]! - 1 : t[j]!)
    }
  }
  return { xUnits: n, yUnits: m, weights: Float32Array.from(acc), encoding, thresholdsX: new Float32Array(n), thresholdsY: new Float32Array(m) }
}

/** L = −xWyᵀ (003); bounded below by −Σ|w_ij| for step activations. */
export function bamEnergy(net: BamNet, x: ArrayLike<number>, y: ArrayLike<number>): number {
  const { xUnits: n, yUnits: m, weights: w } = net
  let s = 0
  for (let i = 0; i < n; i++) {
    if (x[i] === 0) continue
    for (let j = 0; j < m; j++) s += x[i]! * w[i * m + j]! * y[j]!
  }
  return -s
}

export function bamForward(net: BamNet, x: ArrayLike<number>): Float64Array {
  const { xUnits: n, yUnits: m, weights: w } = net
  const out = new Float64Array(m)
  for (let i = 0; i < n; i++) {
    const xi = x[i]!
    if (xi !== 0) for (let j = 0; j < m; j++) out[j]! += xi * w[i * m + j]!
  }
  return out
}

export function bamBackward(net: BamNet, y: ArrayLike<number>): Float64Array {
  const { xUnits: n, yUnits: m, weights: w } = net
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let j = 0; j < m; j++) s += w[i * m + j]! * y[j]!
    out[i] = s
  }
  return out
}

/** 003 step function: a net input equal to θ keeps the unit's value (which may be an unknown 0). */
function applyLayer(netInput: Float64Array, theta: Float32Array, current: Int8Array, encoding: Encoding): boolean {
  let changed = false
  const lowV = encoding === 'bipolar' ? -1 : 0
  for (let k = 0; k < current.length; k++) {
    const d = netInput[k]! - theta[k]!
    const v = d > 0 ? 1 : d < 0 ? lowV : current[k]!
    if (v !== current[k]) {
      current[k] = v
      changed = true
    }
  }
  return changed
}

export interface BamStep {
  layer: 'x' | 'y'
  netInput: Float64Array
  state: Int8Array
  /** L = −xWyᵀ after this half-step. */
  energy: number
}

export interface BamResult {
  x: Int8Array
  y: Int8Array
  steps: BamStep[]
  /** Half-steps performed. */
  halfSteps: number
  outcome: 'stable' | 'max-iterations'
  /** Stored pair equal to (x, y), −1 if none. */
  match: number
  /** Stored pair whose negatives equal (x, y) (bipolar only), −1 if none. */
  negativeMatch: number
  /** Stable but neither a stored pair nor its negative: 003's "spurious stable state". */
  spurious: boolean
}

export interface BamRecallOptions {
  /** Which layer is updated first. Default: 'y' (003 step 4) when x is given, else 'x'. */
  first?: 'x' | 'y'
  /** Full X→Y→X rounds at most. Default 100. */
  maxIterations?: number
  stored?: { inputs: ArrayLike<number>[]; targets: ArrayLike<number>[] }
}

/**
 * 003 algorithm: present x and/or y (missing → zero vector), then alternate layer updates until neither layer
 * changes during a full round (one update of each layer).
 */
export function bamRecall(net: BamNet, cue: { x?: ArrayLike<number>; y?: ArrayLike<number> }, opts: BamRecallOptions = {}): BamResult {
  const { xUnits: n, yUnits: m } = net
  const allowed = (v: number): boolean => v === 0 || v === 1 || (net.encoding === 'bipolar' && v === -1)
  const x = cue.x ? Int8Array.from(cue.x) : new Int8Array(n)
  const y = cue.y ? Int8Array.from(cue.y) : new Int8Array(m)
  if (x.length !== n) throw new Error(`x cue has length ${x.length}, expected ${n}`)
  if (y.length !== m) throw new Error(`y cue has length ${y.length}, expected ${m}`)
  x.forEach((v, i) => {
    if (!allowed(v)) throw new Error(`x cue, unit ${i}: value ${v} is not allowed`)
  })
  y.forEach((v, j) => {
    if (!allowed(v)) throw new Error(`y cue, unit ${j}: value ${v} is not allowed`)
  })
  const xGiven = cue.x !== undefined && x.some((v) => v !== 0)
  let layer: 'x' | 'y' = opts.first ?? (xGiven ? 'y' : 'x')
  const maxIterations = opts.maxIterations ?? 100
  const steps: BamStep[] = []
  let quiet = 0
  let halfSteps = 0
  let outcome: BamResult['outcome'] = 'max-iterations'
  while (halfSteps < 2 * maxIterations) {
    const netInput = layer === 'y' ? bamForward(net, x) : bamBackward(net, y)
    const changed = layer === 'y' ? applyLayer(netInput, net.thresholdsY, y, net.encoding) : applyLayer(netInput, net.thresholdsX, x, net.encoding)
    halfSteps++
    steps.push({ layer, netInput, state: Int8Array.from(layer === 'y' ? y : x), energy: bamEnergy(net, x, y) })
    quiet = changed ? 0 : quiet + 1
    if (quiet >= 2) {
      outcome = 'stable'
      break
    }
    layer = layer === 'y' ? 'x' : 'y'
  }
  const eq = (a: Int8Array, b: ArrayLike<number>, sign: number): boolean => a.every((v, i) => v === sign * b[i]!)
  let match = -1
  let negativeMatch = -1
  if (opts.stored) {
    const { inputs, targets } = opts.stored
    for (let p = 0; p < inputs.length; p++) {
      if (match < 0 && eq(x, inputs[p]!, 1) && eq(y, targets[p]!, 1)) match = p
      if (net.encoding === 'bipolar' && negativeMatch < 0 && eq(x, inputs[p]!, -1) && eq(y, targets[p]!, -1)) negativeMatch = p
    }
  }
  return { x, y, steps, halfSteps, outcome, match, negativeMatch, spurious: outcome === 'stable' && opts.stored !== undefined && match < 0 && negativeMatch < 0 }
}
