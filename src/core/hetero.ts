// One-layer hetero-associative net x → y with Hebbian weights, its sufficient conditions and disturbance bound.
// Reference: seeds/003 (hetero-associative memory: Hebb algorithm, sufficient conditions 1 and 2,
// input/output disturbance bounds, Example (1)).
// Legend: n inputs, m outputs; P pairs s(p) ∈ R^n → t(p) ∈ R^m (bipolar {−1,1} or binary {0,1});
// W n×m row-major Float32Array (w_ij = weights[i*m+j]); y = f(xᵀW); δ̄ = min_p ‖s(p)‖² / ‖Σ_p |s(p)|‖.

import type { Encoding } from './hopfield'

export interface HeteroNet {
  inputs: number
  outputs: number
  weights: Float32Array
  encoding: Encoding
}

export interface HeteroHebbOptions {
  encoding?: Encoding
  /**
   * 'raw' (default): W = Σ s(p) t(p)ᵀ on the values given, as 003's Hebb algorithm and Example (1) do.
   * 'bipolar-images': w_ij = Σ (2s_i − 1)(2t_j − 1), 003's BAM/Hopfield form for binary vectors.
   */
  storeAs?: 'raw' | 'bipolar-images'
}

function checkVector(v: ArrayLike<number>, len: number, what: string, allowZero: boolean): void {
  if (v.length !== len) throw new Error(`${what} has length ${v.length}, expected ${len}`)
  for (let i = 0; i < len; i++) {
    const x = v[i]!
    if (!Number.isFinite(x)) throw new Error(`${what}, unit ${i}: value ${x} is not a finite number`)
    if (!allowZero && x === 0) throw new Error(`${what}, unit ${i}: 0 is not allowed here`)
  }
}

export function heteroHebb(inputs: ArrayLike<number>[], targets: ArrayLike<number>[], opts: HeteroHebbOptions = {}): HeteroNet {
  const encoding = opts.encoding ?? 'bipolar'
  const storeAs = opts.storeAs ?? 'raw'
  if (inputs.length === 0) throw new Error('heteroHebb: at least one pair is needed')
  if (inputs.length !== targets.length) throw new Error(`heteroHebb: ${inputs.length} inputs but ${targets.length} targets`)
  const n = inputs[0]!.length
  const m = targets[0]!.length
  inputs.forEach((s, p) => checkVector(s, n, `input ${p}`, true))
  targets.forEach((t, p) => checkVector(t, m, `target ${p}`, true))
  const map = (v: number): number => (storeAs === 'bipolar-images' ? 2 * v - 1 : v)
  const acc = new Float64Array(n * m)
  for (let p = 0; p < inputs.length; p++) {
    const s = inputs[p]!
    const t = targets[p]!
    for (let i = 0; i < n; i++) {
      const si = map(s[i]!)
      if (si === 0) continue
      for (let j = 0; j < m; j++) acc[i * m + j]! += si * map(t[j]!)
    }
  }
  return { inputs: n, outputs: m, weights: Float32Array.from(acc), encoding }
}

/** y_in = xᵀW in float64. */
export function heteroNetInput(net: HeteroNet, x: ArrayLike<number>): Float64Array {
  const { inputs: n, outputs: m, weights: w } = net
  if (x.length !== n) throw new Error(`input has length ${x.length}, expected ${n}`)
  const y = new Float64Array(m)
  for (let i = 0; i < n; i++) {
    const xi = x[i]!
    if (xi === 0) continue
    for (let j = 0; j < m; j++) y[j]! += xi * w[i * m + j]!
  }
  return y
}

/**
 * y = f(xᵀW). Bipolar: f = sign with sign(0) = 0, as 003 prints for the two-mistake input ("Not Ok").
 * Binary: f = step, 1 if y_in > θ else 0 (003 Example (1): f([2, 0]) = [1, 0]).
 */
export function heteroRecall(net: HeteroNet, x: ArrayLike<number>, theta = 0): { netInput: Float64Array; output: Int8Array } {
  const netInput = heteroNetInput(net, x)
  const output = new Int8Array(net.outputs)
  for (let j = 0; j < net.outputs; j++) {
    const h = netInput[j]! - theta
    output[j] = net.encoding === 'binary' ? (h > 0 ? 1 : 0) : h > 0 ? 1 : h < 0 ? -1 : 0
  }
  return { netInput, output }
}

export interface HeteroConditions {
  /** Sufficient condition 1: every pair of inputs is orthogonal. */
  allOrthogonal: boolean
  /** Sufficient condition 2: different targets ⇒ orthogonal inputs; equal targets ⇒ s(p₁)ᵀs(p₂) ≥ 0. */
  condition2: boolean
  /** Pairs [p₁, p₂, s(p₁)ᵀs(p₂)] that break condition 2 (and, when allOrthogonal is false, those non-orthogonal). */
  violations: { p1: number; p2: number; dot: number; sameTarget: boolean }[]
  /** min_p ‖s(p)‖². */
  minNormSquared: number
  /** δ̄ = min_p ‖s(p)‖² / ‖Σ_p |s(p)|‖ (input disturbance bound). */
  disturbanceBound: number
  /** The bound's derivation needs s(p)ᵀW = ‖s(p)‖² t(p) (orthogonal inputs) and |t_j| = 1 (bipolar targets). */
  boundApplies: boolean
}

/** Checks 003's sufficient conditions for Hebbian association and computes the disturbance bound δ̄. */
export function heteroConditions(inputs: ArrayLike<number>[], targets: ArrayLike<number>[]): HeteroConditions {
  if (inputs.length === 0 || inputs.length !== targets.length) throw new Error('heteroConditions: need as many targets as inputs (at least one)')
  const n = inputs[0]!.length
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let s = 0
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
    return s
  }
  const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((v, i) => v === b[i])
  let allOrthogonal = true
  let condition2 = true
  const violations: HeteroConditions['violations'] = []
  for (let a = 0; a < inputs.length; a++) {
    for (let b = a + 1; b < inputs.length; b++) {
      const d = dot(inputs[a]!, inputs[b]!)
      const sameTarget = same(targets[a]!, targets[b]!)
      const breaks2 = sameTarget ? d < 0 : d !== 0
      if (d !== 0) allOrthogonal = false
      if (breaks2) condition2 = false
      if (d !== 0 || breaks2) violations.push({ p1: a, p2: b, dot: d, sameTarget })
    }
  }
  let minNormSquared = Infinity
  const absSum = new Float64Array(n)
  for (const s of inputs) {
    minNormSquared = Math.min(minNormSquared, dot(s, s))
    for (let i = 0; i < n; i++) absSum[i]! += Math.abs(s[i]!)
  }
  const denom = Math.sqrt(dot(absSum, absSum))
  const bipolarTargets = targets.every((t) => Array.from(t).every((v) => v === 1 || v === -1))
  return { allOrthogonal, condition2, violations, minNormSquared, disturbanceBound: minNormSquared / denom, boundApplies: allOrthogonal && bipolarTargets }
}
