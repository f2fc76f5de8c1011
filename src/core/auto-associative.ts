// Auto-associative net (Hebb and modified Hebb W − P·I) and the recurrent auto-associator with 003's stop rules.
// Reference: seeds/003 (auto-associative memory, modified Hebbian rule, recurrent auto-associative net,
// Example 1 storing (1, 1, 1, −1) and its five test inputs).
// Legend: N units; P patterns s(p) (N); W N×N row-major Float32Array; x the current vector (N, may hold 0 for a
// missing component); x_in = xW (x_in_i = Σ_j x_j w_ji); θ thresholds (N, zero by default).

import type { Encoding, HopfieldNet } from './hopfield'
import { gridDenominator, margin, matchStored } from './hopfield'

export interface AutoHebbOptions {
  /** 003 modified rule W = Σ s sᵀ − P·I (for bipolar patterns: a zero diagonal). Default true. */
  modified?: boolean
  encoding?: Encoding
}

/** W = Σ_p s(p) s(p)ᵀ (− P·I), on the values as given: the literal 003 formulas. */
export function autoHebb(patterns: ArrayLike<number>[], opts: AutoHebbOptions = {}): HopfieldNet {
  if (patterns.length === 0) throw new Error('autoHebb: at least one pattern is needed')
  const n = patterns[0]!.length
  const acc = new Float64Array(n * n)
  patterns.forEach((s, p) => {
    if (s.length !== n) throw new Error(`pattern ${p} has length ${s.length}, expected ${n}`)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) acc[i * n + j]! += s[i]! * s[j]!
  })
  if (opts.modified ?? true) for (let i = 0; i < n; i++) acc[i * n + i]! -= patterns.length
  return { units: n, weights: Float32Array.from(acc), thresholds: new Float32Array(n), encoding: opts.encoding ?? 'bipolar' }
}

/**
 * How a unit maps its net input, both offered because 003 disagrees with itself:
 * - 'sign0': x_i = sign(x_in_i − θ_i) with sign(0) = 0. This is the rule that produces the printed worked
 *   example: (1, 0, 0, 0)·W = (0, 1, 1, −1) is taken as the next vector, then (3, 2, 2, −2) → (1, 1, 1, −1).
 * - 'keep': Step 4 as stated: a tie x_in_i = θ_i keeps x_i. From (1, 0, 0, 0) it gives (1, 1, 1, −1) in one
 *   step, so the printed intermediate vectors do not appear.
 */
export type RecurrentActivation = 'sign0' | 'keep'

export interface RecurrentStep {
  netInput: Float64Array
  output: Int8Array
}

export interface RecurrentResult {
  steps: RecurrentStep[]
  final: Int8Array
  /** 003 Step 5: the vector matches a stored one, repeats an earlier vector (the cue counts), or the limit hit. */
  outcome: 'stored-match' | 'repeat' | 'max-iterations'
  /** Stored pattern matched, −1 otherwise. */
  storedIndex: number
  /** For 'repeat': which earlier vector it equals, 0 = the cue, k = output of step k. −1 otherwise. */
  repeatOf: number
}

export function recallRecurrent(
  net: HopfieldNet,
  cue: ArrayLike<number>,
  opts: { stored: ArrayLike<number>[]; maxIterations: number; activation?: RecurrentActivation }
): RecurrentResult {
  const n = net.units
  if (cue.length !== n) throw new Error(`cue has length ${cue.length}, expected ${n}`)
  if (!Number.isInteger(opts.maxIterations) || opts.maxIterations < 1) throw new Error(`maxIterations must be a positive integer, got ${opts.maxIterations}`)
  const activation = opts.activation ?? 'sign0'
  const w = net.weights
  // A net on a grid (a normalised Hebb model from the lab) decides its ties exactly, as every other recall path.
  const grid = gridDenominator(net)
  const history: Int8Array[] = [Int8Array.from(cue)]
  const steps: RecurrentStep[] = []
  let x = history[0]!
  for (let it = 0; it < opts.maxIterations; it++) {
    const netInput = new Float64Array(n)
    const output = new Int8Array(n)
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let j = 0; j < n; j++) s += x[j]! * w[j * n + i]!
      netInput[i] = s
      const d = margin(s, 0, net.thresholds[i]!, grid)
      output[i] = d > 0 ? 1 : d < 0 ? (net.encoding === 'binary' ? 0 : -1) : activation === 'keep' ? x[i]! : 0
    }
    steps.push({ netInput, output })
    const storedIndex = matchStored(output, opts.stored)
    if (storedIndex >= 0) return { steps, final: output, outcome: 'stored-match', storedIndex, repeatOf: -1 }
    const repeatOf = history.findIndex((h) => h.every((v, i) => v === output[i]))
    if (repeatOf >= 0) return { steps, final: output, outcome: 'repeat', storedIndex: -1, repeatOf }
    history.push(output)
    x = output
  }
  return { steps, final: x, outcome: 'max-iterations', storedIndex: -1, repeatOf: -1 }
}
