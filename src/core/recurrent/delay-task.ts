// Long-term-dependency tasks (seeds 001/002): a net must carry what it saw on the first step across a delay the user
// sets. Each row is T = delay + 1 steps of two input channels, read at the last step only (many-to-one):
// - 'adding' (Hochreiter & Schmidhuber 1997, with the first marker fixed on step 0): channel 0 a value drawn uniformly
//   from [0, 1) at every step, channel 1 a marker on step 0 and on one later step drawn uniformly; the target is the sum
//   of the two marked values (MSE head). A row is solved when |error| < 0.04 (their criterion); always answering 1
//   solves 1 − 0.96² = 7.84 % of rows with an MSE of 1/6.
// - 'first-bit': channel 0 a random bit (±1) at every step, channel 1 a marker on step 0; the target is step 0's bit
//   (two-class softmax head). Chance is 50 %. A bit can be latched in a saturated attractor, so a tanh RNN often learns
//   it at long delays all the same (while its gradients vanish: a latch forgets small perturbations, Bengio et al. 1994).
// A vanilla RNN's gradient through the steps shrinks geometrically (002: W_hh = 0.5 over 50 steps gives
// 0.5⁵⁰ ≈ 8.88e−16); the LSTM's cell state and the GRU's update gate can carry it further.
// gradientProfile makes the vanishing visible: ‖∂ℓ/∂h_t‖ for every step t of a row's loss ℓ at the last step.
import type { Rng } from '../rng'
import { backward, forward, type SequenceBatch } from './network'
import type { CellKind, RecurrentNet, RecurrentSpec } from './spec'
import { meanSquaredError, softmaxCrossEntropy, type LossResult } from './training'

export type DelayTask = 'adding' | 'first-bit'

/** Input channels: the value or bit, and the marker. */
export const DELAY_INPUTS = 2
/** Adding: a row is solved when its |error| is below this (Hochreiter & Schmidhuber 1997). */
export const ADDING_TOLERANCE = 0.04

/** What answering without memory scores: the share of rows solved and the loss (always 1 for adding; chance for a bit). */
export const DELAY_BASELINE: Record<DelayTask, { accuracy: number; loss: number }> = {
  adding: { accuracy: 1 - (1 - ADDING_TOLERANCE) ** 2, loss: 1 / 6 },
  'first-bit': { accuracy: 0.5, loss: Math.LN2 }
}

export interface DelayBatch extends SequenceBatch {
  task: DelayTask
  /** [T, B, 2] */
  input: Float64Array
  /** first-bit: [B], 1 when the first bit is +1, else 0. */
  classes?: Int32Array
  /** adding: [B, 1], the sum of the two marked values. */
  values?: Float64Array
}

/** B rows of the task at this delay (T = delay + 1), drawn from rng row by row, each row's steps in time order. */
export function delayBatch(task: DelayTask, delay: number, batch: number, rng: Rng): DelayBatch {
  if (task !== 'adding' && task !== 'first-bit') throw new RangeError(`task must be 'adding' or 'first-bit', got ${String(task)}`)
  if (!Number.isSafeInteger(delay) || delay < 1) throw new RangeError(`delay must be a positive integer, got ${delay}`)
  if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`)
  const T = delay + 1
  const input = new Float64Array(T * batch * DELAY_INPUTS)
  const at = (t: number, b: number) => (t * batch + b) * DELAY_INPUTS
  if (task === 'first-bit') {
    const classes = new Int32Array(batch)
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < T; t++) {
        const bit = rng.next() < 0.5 ? -1 : 1
        input[at(t, b)] = bit
        input[at(t, b) + 1] = t === 0 ? 1 : 0
        if (t === 0) classes[b] = bit > 0 ? 1 : 0
      }
    }
    return { task, steps: T, batch, input, classes }
  }
  const values = new Float64Array(batch)
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < T; t++) input[at(t, b)] = rng.next()
    const second = 1 + rng.int(delay)
    input[at(0, b) + 1] = 1
    input[at(second, b) + 1] = 1
    values[b] = input[at(0, b)]! + input[at(second, b)]!
  }
  return { task, steps: T, batch, input, values }
}

/** The net for the task: one recurrent layer of `hiddenSize` units, a head on the last step (two classes or one value). */
export function delayNetSpec(task: DelayTask, cell: CellKind, hiddenSize: number): RecurrentSpec {
  const head = task === 'adding' ? ({ outputSize: 1, loss: 'mse', on: 'last' } as const) : ({ outputSize: 2, loss: 'softmax-ce', on: 'last' } as const)
  return { cell, inputSize: DELAY_INPUTS, hiddenSize, numLayers: 1, bidirectional: false, dropout: 0, head }
}

export interface DelayEvaluation {
  /** Mean cross-entropy (nats; first-bit) or mean squared error (adding) at the last step. */
  loss: number
  /** Share of rows solved: the right bit, or a sum within ADDING_TOLERANCE. */
  accuracy: number
}

function headLoss(data: DelayBatch, logits: Float64Array): LossResult {
  return data.task === 'adding' ? meanSquaredError(logits, data.values!) : softmaxCrossEntropy(logits, data.classes!, 2)
}

export function evaluateDelay(net: RecurrentNet, data: DelayBatch): DelayEvaluation {
  const logits = forward(net, data).logits!
  let right = 0
  for (let b = 0; b < data.batch; b++) {
    if (data.task === 'adding') right += Math.abs(logits[b]! - data.values![b]!) < ADDING_TOLERANCE ? 1 : 0
    else right += (logits[b * 2 + 1]! > logits[b * 2]! ? 1 : 0) === data.classes![b] ? 1 : 0
  }
  return { loss: headLoss(data, logits).loss, accuracy: right / data.batch }
}

/**
 * ‖∂ℓ_b/∂h_t‖ averaged over the rows b, for t = 0 (the initial state) … T, where ℓ_b is row b's own loss (cross-entropy or squared error) at
 * the last step (not divided by the batch). Exact float64 BPTT (core backward), one pass for all steps.
 */
export function gradientProfile(net: RecurrentNet, data: DelayBatch): Float64Array {
  const f = forward(net, data)
  const { dLogits } = headLoss(data, f.logits!)
  const B = data.batch
  const T = data.steps
  const H = net.spec.hiddenSize
  // The losses return the gradient of the batch mean (one output per row for adding): ×B gives each row's own.
  const g = backward(net, f, { dLogits: dLogits.map((v) => v * B), hiddenGrads: true })
  const out = new Float64Array(T + 1)
  const rowNorm = (a: Float64Array, o: number): number => {
    let s = 0
    for (let j = 0; j < H; j++) s += a[o + j]! * a[o + j]!
    return Math.sqrt(s)
  }
  for (let b = 0; b < B; b++) out[0]! += rowNorm(g.h0, b * H) / B
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out[t + 1]! += rowNorm(g.hidden!, (t * B + b) * H) / B
  return out
}

export interface GradientFlow {
  /** ‖∂h_T/∂h_t‖ (Frobenius) for t = 0 … T: how much of a change at step t is left at the end. */
  norms: Float64Array
  /** ∂h_T/∂h_0 [H, H], row i = ∂h_T[i]/∂h_0. */
  jacobian: Float64Array
}

/**
 * The Jacobians ∂h_T/∂h_t of a one-layer RNN with recurrent weights W [H, H] run for T steps from h0 with no input
 * (002's "W_hh = 0.5 over 50 steps": a tanh unit at rest passes exactly 0.5 per step back, 0.5⁵⁰ in all). One exact
 * float64 BPTT pass per unit of h_T (core backward, seeded with ∂/∂h_T = e_i).
 */
export function gradientFlow(W: Float64Array, H: number, T: number, opts: { nonlinearity?: 'tanh' | 'relu'; h0?: Float64Array } = {}): GradientFlow {
  if (W.length !== H * H) throw new RangeError(`W must have H·H = ${H * H} values, got ${W.length}`)
  if (!Number.isSafeInteger(T) || T < 1) throw new RangeError(`T must be a positive integer, got ${T}`)
  if (opts.h0 && opts.h0.length !== H) throw new RangeError(`h0 must have ${H} values, got ${opts.h0.length}`)
  const net: RecurrentNet = {
    spec: { cell: 'rnn', nonlinearity: opts.nonlinearity ?? 'tanh', inputSize: 1, hiddenSize: H, numLayers: 1, bidirectional: false, dropout: 0 },
    params: { weight_ih_l0: new Float64Array(H), weight_hh_l0: Float64Array.from(W), bias_ih_l0: new Float64Array(H), bias_hh_l0: new Float64Array(H) }
  }
  const f = forward(net, { steps: T, batch: 1, input: new Float64Array(T), ...(opts.h0 ? { h0: Float64Array.from(opts.h0) } : {}) })
  const sq = new Float64Array(T + 1)
  const jacobian = new Float64Array(H * H)
  for (let i = 0; i < H; i++) {
    const seed = new Float64Array(H)
    seed[i] = 1
    const g = backward(net, f, { dHn: seed, hiddenGrads: true })
    jacobian.set(g.h0, i * H)
    for (let j = 0; j < H; j++) sq[0]! += g.h0[j]! * g.h0[j]!
    // hidden[t] is ∂h_T/∂h_{t+1} (the state after step t); the seed itself sits at t = T − 1.
    for (let t = 0; t < T; t++) for (let j = 0; j < H; j++) sq[t + 1]! += g.hidden![t * H + j]! ** 2
  }
  return { norms: sq.map(Math.sqrt), jacobian }
}
