// ONNX program: recurrent-net training without unrolling (BPTT as a forward Loop and a reverse Loop), graph size
// independent of T. Cells: LSTM (with peepholes, coupled gates), GRU (PyTorch's and the original form), RNN tanh/relu; stacked, bidirectional, token embedding, softmax
// cross-entropy or MSE head on every step or the last; dropout between layers from a fed mask; in-graph optimiser and
// clipping through train-step.ts.
//
// Reference: core/recurrent/network.ts (the exact float64 reference these graphs are tested against); seeds/003 (LSTM
// backward pass: δc, δi, δf, δo, δz, δW = Σ_t δz^t (I^t)ᵀ); ENGINE-NOTES.md "Recurrent nets on the engine" (split the
// work by shape: big MatMuls outside the loops, only the step-to-step recurrence inside).
// Legend: T steps, B batch, I input size, H hidden, G gates (LSTM 4 = i,f,g,o; GRU 3 = r,z,n; RNN 1), L layers,
// D directions, O head outputs, V vocabulary. PyTorch layout: weight_ih [G·H, I], weight_hh [G·H, H], bias_ih, bias_hh
// [G·H]; x [T, B, I], h0/c0 [L·D, B, H] (row k·D + d), y [T, B, D·H].
// Forward: A = x·W_ihᵀ + b_ih (+ b_hh where it is a plain sum) as one [T·B, I]×[I, G·H] Gemm; a Loop over t carrying
// h (and c) does only h·W_hhᵀ and the element-wise gate ops, and emits h_t (c_t) and the gate values as scan outputs.
// Backward: a reverse Loop carrying (dh, dc) does only dh_{t−1} = dU_t·W_hh (+ the direct terms) and emits dA_t, dU_t
// (gradients of A and of U = h·W_hhᵀ + b_hh; equal for LSTM and RNN); after it, dW_ih = dAᵀ·x, dW_hh = dUᵀ·h_prev,
// db_ih = Σ dA, db_hh = Σ dU and dx = dA·W_ih are single large MatMuls over all T·B rows.
// A reverse direction runs the same loops on the time-reversed sequence (Slice with step −1 outside the loops).

import { meanSquaredError, softmaxCrossEntropy } from '../autodiff/losses'
import type { FloatType, Tape } from '../autodiff/tape'
import { tensor, type GraphBuilder } from '../onnx/builder'
import type { OptimiserConfig } from '../optim/optimiser'
import { buildTrainStep, type ParamSpec, type TrainStepProgram } from './train-step'

export type EngineCell = 'lstm' | 'gru' | 'gru-original' | 'rnn-tanh' | 'rnn-relu'

/** LSTM variants (core/recurrent/spec.ts): peepholes (a [P·H] vector, i,f,o or i,o when coupled) and f = 1 − i. */
export interface LstmVariant {
  /** Tape value of the peephole vector, or undefined for none. */
  peephole?: string
  coupled?: boolean
}

export interface RecurrentLayerDims {
  T: number
  B: number
  I: number
  H: number
}

export interface RecurrentLayerWeights {
  weightIh: string
  weightHh: string
  biasIh: string
  biasHh: string
}

export interface RecurrentLayerOutputs {
  /** [T, B, H] in time order. */
  y: string
  /** [B, H] */
  hn: string
  /** [B, H] (LSTM), else null. */
  cn: string | null
}

export function cellGates(cell: EngineCell, coupled = false): number {
  return cell === 'lstm' ? (coupled ? 3 : 4) : cell === 'rnn-tanh' || cell === 'rnn-relu' ? 1 : 3
}

function floatConst(g: GraphBuilder, dtype: FloatType, v: number, hint: string): string {
  return g.constant(dtype === 'float64' ? tensor.float64([v], []) : tensor.float32([v], []), hint)
}

/** Time reversal of a [T, …] value (a raw node outside any loop). */
function reverseTime(g: GraphBuilder, t: Tape, v: string, T: number): string {
  return g.node('Slice', [v, t.ints([-1]), t.ints([-T - 1]), t.ints([0]), t.ints([-1])])
}

/** Rows [from, to) of a [rows, …] value. */
function rowsOf(g: GraphBuilder, t: Tape, v: string, from: number, to: number, axis = 0): string {
  return g.node('Slice', [v, t.ints([from]), t.ints([to]), t.ints([axis])])
}

/**
 * One recurrent layer (one direction) as a tape op with a hand-written VJP (forward Loop + reverse Loop). `name` must be
 * unique in the graph (it prefixes the loop bodies' value names). Inputs: x [T,B,I], the layer's weights, h0 [B,H] and
 * c0 [B,H] (LSTM; null otherwise). `reverse` runs it over the time-reversed sequence (y still in time order).
 */
export function recurrentLayer(
  t: Tape,
  name: string,
  cell: EngineCell,
  x: string,
  w: RecurrentLayerWeights,
  h0: string,
  c0: string | null,
  dims: RecurrentLayerDims,
  reverse = false,
  variant: LstmVariant = {}
): RecurrentLayerOutputs {
  const { T, B, I, H } = dims
  const lstm = cell === 'lstm'
  const gru = cell === 'gru' || cell === 'gru-original'
  const original = cell === 'gru-original'
  const coupled = lstm && !!variant.coupled
  const peep = lstm ? (variant.peephole ?? null) : null
  const G = cellGates(cell, coupled)
  const dtype = t.dtype
  if (lstm !== (c0 !== null)) throw new RangeError(`recurrent layer ${name}: c0 is for LSTM layers only, and LSTM layers need it`)
  if (!lstm && (variant.peephole || variant.coupled)) throw new RangeError(`recurrent layer ${name}: peepholes and coupled gates are LSTM variants`)
  // Gate block positions in weight rows (LSTM i,f,g,o or coupled i,g,o) and in the peephole vector (i,f,o or i,o).
  const [bi, bf, bg, bo] = coupled ? [0, -1, 1, 2] : [0, 1, 2, 3]
  const [pi, pf, po] = coupled ? [0, -1, 1] : [0, 1, 2]
  // Forward values the VJP reads (not tape outputs: nothing differentiates through them).
  let x2d = ''
  let hsProc = ''
  let csProc = ''
  let saved = ''
  let whhRz = ''
  let whhN = ''
  const inputs = [x, w.weightIh, w.weightHh, w.biasIh, w.biasHh, h0, ...(c0 ? [c0] : []), ...(peep ? [peep] : [])]
  const outs = t.custom(
    inputs,
    (g) => {
      const xp = reverse ? reverseTime(g, t, x, T) : x
      x2d = g.node('Reshape', [xp, t.ints([T * B, I])])
      // GRU keeps b_hh inside U (its n block is multiplied by r); elsewhere both biases fold into A.
      const biasA = gru ? w.biasIh : g.node('Add', [w.biasIh, w.biasHh])
      const A = g.node('Reshape', [g.node('Gemm', [x2d, w.weightIh, biasA], { transB: 1 }), t.ints([T, B, G * H])])
      let bhhRz = ''
      let bhhN = ''
      if (original) {
        whhRz = rowsOf(g, t, w.weightHh, 0, 2 * H)
        whhN = rowsOf(g, t, w.weightHh, 2 * H, 3 * H)
        bhhRz = rowsOf(g, t, w.biasHh, 0, 2 * H)
        bhhN = rowsOf(g, t, w.biasHh, 2 * H, 3 * H)
      }
      const body = g.subgraph(`${name}_fwd`)
      const iter = body.input(`${name}_fwd_iter`, 'int64', [])
      const cond = body.input(`${name}_fwd_cond`, 'bool', [])
      const h = body.input(`${name}_fwd_h`, dtype, [B, H])
      const c = lstm ? body.input(`${name}_fwd_c`, dtype, [B, H]) : null
      const a = body.node('Gather', [A, iter], { axis: 0 })
      const sig = (v: string) => body.node('Sigmoid', [v])
      const add = (p: string, q: string) => body.node('Add', [p, q])
      const mul = (p: string, q: string) => body.node('Mul', [p, q])
      let hNew: string
      let cNew: string | null = null
      let keep: string | null = null
      if (lstm) {
        const z = body.node('Split', [add(a, body.node('Gemm', [h, w.weightHh], { transB: 1 })), body.constInt64(new Array<number>(G).fill(H), `${name}_sizes`)], { axis: 1 }, G)
        const pv = peep ? body.node('Split', [peep, body.constInt64(new Array<number>(coupled ? 2 : 3).fill(H), `${name}_psizes`)], { axis: 0 }, coupled ? 2 : 3) : null
        const withPeep = (zv: string, k: number, cv: string) => (pv ? add(zv, mul(pv[k]!, cv)) : zv)
        const i = sig(withPeep(z[bi]!, pi, c!))
        const f = coupled ? body.node('Sub', [floatConst(body, dtype, 1, `${name}_one`), i]) : sig(withPeep(z[bf]!, pf, c!))
        const gg = body.node('Tanh', [z[bg]!])
        cNew = add(mul(f, c!), mul(i, gg))
        const o = sig(withPeep(z[bo]!, po, cNew))
        hNew = mul(o, body.node('Tanh', [cNew]))
        keep = body.node('Concat', [i, f, gg, o], { axis: 1 })
      } else if (gru) {
        const sizes = body.constInt64([H, H, H], `${name}_sizes`)
        const [ar, az, an] = body.node('Split', [a, sizes], { axis: 1 }, 3)
        let r: string
        let zg: string
        let un: string
        if (original) {
          const [ur, uz] = body.node('Split', [body.node('Gemm', [h, whhRz, bhhRz], { transB: 1 }), body.constInt64([H, H], `${name}_rz`)], { axis: 1 }, 2)
          r = sig(add(ar!, ur!))
          zg = sig(add(az!, uz!))
          // Saved for symmetry with the PyTorch form (its backward reads u_n; this one does not).
          un = body.node('Gemm', [mul(r, h), whhN, bhhN], { transB: 1 })
        } else {
          const [ur, uz, u3] = body.node('Split', [body.node('Gemm', [h, w.weightHh, w.biasHh], { transB: 1 }), sizes], { axis: 1 }, 3)
          r = sig(add(ar!, ur!))
          zg = sig(add(az!, uz!))
          un = u3!
        }
        const n = body.node('Tanh', [add(an!, original ? un : mul(r, un))])
        // h' = (1 − z)·n + z·h = n + z·(h − n)
        hNew = add(n, mul(zg, body.node('Sub', [h, n])))
        keep = body.node('Concat', [r, zg, n, un], { axis: 1 })
      } else {
        hNew = body.node(cell === 'rnn-relu' ? 'Relu' : 'Tanh', [add(a, body.node('Gemm', [h, w.weightHh], { transB: 1 }))])
      }
      body.output(`${name}_fwd_cond_out`, 'bool', [], { from: cond })
      body.output(`${name}_fwd_h_out`, dtype, [B, H], { from: hNew })
      if (lstm) body.output(`${name}_fwd_c_out`, dtype, [B, H], { from: cNew! })
      body.output(`${name}_fwd_h_scan`, dtype, [B, H], { from: hNew })
      if (lstm) body.output(`${name}_fwd_c_scan`, dtype, [B, H], { from: cNew! })
      if (keep) body.output(`${name}_fwd_saved_scan`, dtype, [B, 4 * H], { from: keep })
      const carried = lstm ? [h0, c0!] : [h0]
      const n = carried.length * 2 + (keep ? 1 : 0)
      const lo = g.node('Loop', [g.constant(tensor.int64([T], []), `${name}_trip`), g.constBool(true), ...carried], { body }, n)
      hsProc = lo[carried.length]!
      if (lstm) csProc = lo[3]!
      if (keep) saved = lo[n - 1]!
      const y = reverse ? reverseTime(g, t, hsProc, T) : hsProc
      return [
        { name: y, shape: [T, B, H] },
        { name: lo[0]!, shape: [B, H] },
        ...(lstm ? [{ name: lo[1]!, shape: [B, H] }] : [])
      ]
    },
    (gy, { g, needs }) => {
      const [dY, dHn, dCn] = gy
      const dYp = reverse ? reverseTime(g, t, dY!, T) : dY!
      const prev = (first: string, all: string) => g.node('Concat', [g.node('Unsqueeze', [first, t.ints([0])]), rowsOf(g, t, all, 0, T - 1)], { axis: 0 })
      const hPrevAll = prev(h0, hsProc)
      const cPrevAll = lstm ? prev(c0!, csProc) : ''
      const body = g.subgraph(`${name}_bwd`)
      const k = body.input(`${name}_bwd_iter`, 'int64', [])
      const cond = body.input(`${name}_bwd_cond`, 'bool', [])
      const dhIn = body.input(`${name}_bwd_dh`, dtype, [B, H])
      const dcIn = lstm ? body.input(`${name}_bwd_dc`, dtype, [B, H]) : null
      const s = body.node('Sub', [body.constant(tensor.int64([T - 1], []), `${name}_last`), k])
      const at = (v: string) => body.node('Gather', [v, s], { axis: 0 })
      const one = floatConst(body, dtype, 1, `${name}_one`)
      const add = (p: string, q: string) => body.node('Add', [p, q])
      const dsig = (v: string) => body.node('Mul', [v, body.node('Sub', [one, v])])
      const dtanh = (v: string) => body.node('Sub', [one, body.node('Mul', [v, v])])
      const mul = (...vs: string[]) => vs.reduce((acc, v) => body.node('Mul', [acc, v]))
      const dh = add(dhIn, at(dYp))
      let dA: string
      let dU: string
      let dhPrev: string
      let dcOut: string | null = null
      if (lstm) {
        const [i, f, gg, o] = body.node('Split', [at(saved), body.constInt64([H, H, H, H], `${name}_bsizes`)], { axis: 1 }, 4)
        const pv = peep ? body.node('Split', [peep, body.constInt64(new Array<number>(coupled ? 2 : 3).fill(H), `${name}_bpsizes`)], { axis: 0 }, coupled ? 2 : 3) : null
        const cPrev = at(cPrevAll)
        const tc = body.node('Tanh', [at(csProc)])
        const dso = mul(dh, tc, dsig(o!))
        let dc = add(dcIn!, mul(dh, o!, dtanh(tc)))
        if (pv) dc = add(dc, mul(dso, pv[po]!))
        const df = mul(dc, cPrev)
        let di = mul(dc, gg!)
        if (coupled) di = body.node('Sub', [di, df])
        const dsi = mul(di, dsig(i!))
        const dsg = mul(dc, i!, dtanh(gg!))
        let dcPrev = mul(dc, f!)
        if (pv) dcPrev = add(dcPrev, mul(dsi, pv[pi]!))
        const blocks = [dsi]
        if (!coupled) {
          const dsf = mul(df, dsig(f!))
          blocks.push(dsf)
          if (pv) dcPrev = add(dcPrev, mul(dsf, pv[pf]!))
        }
        blocks.push(dsg, dso)
        dA = body.node('Concat', blocks, { axis: 1 })
        dU = dA
        dcOut = dcPrev
        dhPrev = body.node('MatMul', [dU, w.weightHh])
      } else if (gru) {
        const [r, z, n, un] = body.node('Split', [at(saved), body.constInt64([H, H, H, H], `${name}_bsizes`)], { axis: 1 }, 4)
        const hp = at(hPrevAll)
        const dz = mul(dh, body.node('Sub', [hp, n!]), dsig(z!))
        const dn = mul(dh, body.node('Sub', [one, z!]), dtanh(n!))
        const direct = mul(dh, z!)
        if (original) {
          // u_n = (r⊙h)·U_nᵀ + b_hn: its input gradient q = dn·U_n splits into r⊙q (to h) and h⊙q (to r).
          const q = body.node('MatMul', [dn, whhN])
          const dr = mul(q, hp, dsig(r!))
          dA = body.node('Concat', [dr, dz, dn], { axis: 1 })
          dU = dA
          dhPrev = add(add(direct, mul(r!, q)), body.node('MatMul', [body.node('Concat', [dr, dz], { axis: 1 }), whhRz]))
        } else {
          const dr = mul(dn, un!, dsig(r!))
          dA = body.node('Concat', [dr, dz, dn], { axis: 1 })
          dU = body.node('Concat', [dr, dz, body.node('Mul', [dn, r!])], { axis: 1 })
          dhPrev = add(direct, body.node('MatMul', [dU, w.weightHh]))
        }
      } else {
        const h = at(hsProc)
        dA = body.node('Mul', [dh, cell === 'rnn-relu' ? body.node('Cast', [body.node('Greater', [h, floatConst(body, dtype, 0, `${name}_zero`)])], { to: dtype === 'float64' ? 11 : 1 }) : dtanh(h)])
        dU = dA
        dhPrev = body.node('MatMul', [dU, w.weightHh])
      }
      body.output(`${name}_bwd_cond_out`, 'bool', [], { from: cond })
      body.output(`${name}_bwd_dh_out`, dtype, [B, H], { from: dhPrev })
      if (lstm) body.output(`${name}_bwd_dc_out`, dtype, [B, H], { from: dcOut! })
      body.output(`${name}_bwd_da_scan`, dtype, [B, G * H], { from: dA })
      if (dU !== dA) body.output(`${name}_bwd_du_scan`, dtype, [B, G * H], { from: dU })
      const carried = lstm ? [dHn!, dCn!] : [dHn!]
      const n = carried.length + (dU !== dA ? 2 : 1)
      const lo = g.node('Loop', [g.constant(tensor.int64([T], []), `${name}_btrip`), g.constBool(true), ...carried], { body }, n)
      // Scan outputs come in iteration order (processing step T−1 … 0): reverse them to processing order.
      const dA3 = reverseTime(g, t, lo[carried.length]!, T)
      const rows = (v: string) => g.node('Reshape', [v, t.ints([T * B, G * H])])
      const dA2 = rows(dA3)
      const dU2 = dU !== dA ? rows(reverseTime(g, t, lo[carried.length + 1]!, T)) : dA2
      const sumRows = (v: string) => g.node('ReduceSum', [v, t.ints([0])], { keepdims: 0 })
      const flat = (v: string) => g.node('Reshape', [v, t.ints([T * B, H])])
      let dx: string | null = null
      if (needs[0]) {
        const dxp = g.node('Reshape', [g.node('MatMul', [dA2, w.weightIh]), t.ints([T, B, I])])
        dx = reverse ? reverseTime(g, t, dxp, T) : dxp
      }
      let dWhh: string | null = null
      if (needs[2]) {
        if (original) {
          // The n block's input is r⊙h_prev (r from the saved gates, processing order).
          const rh = g.node('Mul', [rowsOf(g, t, saved, 0, H, 2), hPrevAll])
          dWhh = g.node('Concat', [g.node('Gemm', [rowsOf(g, t, dU2, 0, 2 * H, 1), flat(hPrevAll)], { transA: 1 }), g.node('Gemm', [rowsOf(g, t, dU2, 2 * H, 3 * H, 1), flat(rh)], { transA: 1 })], { axis: 0 })
        } else dWhh = g.node('Gemm', [dU2, flat(hPrevAll)], { transA: 1 })
      }
      let dPeep: string | null = null
      if (peep && needs[7]) {
        // dp = Σ_{t,b} dz_gate ⊙ (c_{t−1} for i and f, c_t for o), in the vector's order (i, f, o or i, o).
        const block = (b: number) => rowsOf(g, t, dA3, b * H, (b + 1) * H, 2)
        const red = (v: string, c: string) => g.node('ReduceSum', [g.node('Mul', [v, c]), t.ints([0, 1])], { keepdims: 0 })
        const parts = [red(block(bi), cPrevAll)]
        if (!coupled) parts.push(red(block(bf), cPrevAll))
        parts.push(red(block(bo), csProc))
        dPeep = g.node('Concat', parts, { axis: 0 })
      }
      return [
        dx,
        needs[1] ? g.node('Gemm', [dA2, x2d], { transA: 1 }) : null,
        dWhh,
        needs[3] ? sumRows(dA2) : null,
        needs[4] ? sumRows(dU2) : null,
        needs[5] ? lo[0]! : null,
        ...(lstm ? [needs[6] ? lo[1]! : null] : []),
        ...(peep ? [dPeep] : [])
      ]
    }
  )
  return { y: outs[0]!, hn: outs[1]!, cn: lstm ? outs[2]! : null }
}

export interface RecurrentTrainSpec {
  cell: EngineCell
  /** LSTM only: peephole vectors `weight_peephole_l{k}[_reverse]` [P·H] (i, f, o; i, o when coupled). */
  peephole?: boolean
  /** LSTM only: f = 1 − i (weights hold the i, g, o blocks). */
  coupled?: boolean
  /** T, B, I, H, L as in the legend; O classes of the softmax head on every step. */
  steps: number
  batch: number
  inputSize: number
  hiddenSize: number
  numLayers: number
  bidirectional: boolean
  outputSize: number
  /** Head loss (default 'softmax-ce', targets int64 [rows]; 'mse': targets [rows, O]). */
  headLoss?: 'softmax-ce' | 'mse'
  /** Head on every step ('all', rows = T·B, row t·B + b; default) or on the last step only ('last', rows = B). */
  headOn?: 'all' | 'last'
  /**
   * Dropout between layers (training only): a batch input `dropout_mask` [L−1, T, B, D·H] of 0 and 1/(1 − p), drawn by
   * the caller (core/recurrent forward's dropoutMasks layout), so runs are exact and reproducible.
   */
  dropoutMask?: boolean
  /** Token input through an embedding [V, I] (batch input `tokens` int64 [T, B] instead of `x`). */
  vocabSize?: number
  /**
   * Stateful truncated BPTT (unidirectional only): h0 (c0) are carried values (train-step `carry`), fed once per run
   * and replaced after every step by that step's final states hn (cn), output as `h0_out` (`c0_out`) after the run; the
   * gradient stops at the window boundary. A batch input `state_keep` [B, 1] (0 or 1) multiplies the carried state
   * at the start of each step: 0 starts that row's stream afresh (a new pass over the data).
   */
  stateful?: boolean
  optimiser: OptimiserConfig
  /** K minibatch steps per run in one Loop (optional). */
  stepsPerRun?: number
  dtype?: FloatType
}

/** Parameter names in the program: PyTorch's, with `_` for the core's dots (head.weight → head_weight). */
export function programParamName(coreName: string): string {
  return coreName.replace('.', '_')
}

/**
 * A train-step program for a stacked (bidirectional) recurrent net with a dense head: batch inputs x [T,B,I] (or tokens
 * int64 [T,B]), h0 (and c0) [L·D,B,H], dropout_mask (optional), targets (see headLoss / headOn).
 */
export function buildRecurrentTrainStep(spec: RecurrentTrainSpec): TrainStepProgram {
  const { cell, steps: T, batch: B, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O } = spec
  if (spec.headLoss !== undefined && spec.headLoss !== 'softmax-ce' && spec.headLoss !== 'mse') throw new RangeError(`recurrent train step: headLoss must be softmax-ce or mse, got ${String(spec.headLoss)}`)
  if (spec.headOn !== undefined && spec.headOn !== 'all' && spec.headOn !== 'last') throw new RangeError(`recurrent train step: headOn must be all or last, got ${String(spec.headOn)}`)
  const sizes: Record<string, number | undefined> = { steps: T, batch: B, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O, vocabSize: spec.vocabSize }
  for (const [k, v] of Object.entries(sizes)) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) throw new RangeError(`recurrent train step: ${k} must be a positive integer, got ${v}`)
  }
  if (!['lstm', 'gru', 'gru-original', 'rnn-tanh', 'rnn-relu'].includes(cell)) {
    throw new RangeError(`recurrent train step: cell must be lstm, gru, gru-original, rnn-tanh or rnn-relu, got ${String(cell)}`)
  }
  if ((spec.peephole || spec.coupled) && cell !== 'lstm') throw new RangeError(`recurrent train step: peephole and coupled apply to cell lstm only, not ${cell}`)
  if (spec.stateful && spec.bidirectional) throw new RangeError('recurrent train step: stateful training carries the state forward in time; a bidirectional net has no single final state to carry')
  const D = spec.bidirectional ? 2 : 1
  const G = cellGates(cell, !!spec.coupled)
  const P = spec.peephole ? (spec.coupled ? 2 : 3) : 0
  const params: ParamSpec[] = []
  if (spec.vocabSize !== undefined) params.push({ name: 'embedding_weight', shape: [spec.vocabSize, I], decay: false })
  for (let k = 0; k < L; k++) {
    for (let d = 0; d < D; d++) {
      const sfx = `_l${k}${d === 1 ? '_reverse' : ''}`
      params.push(
        { name: `weight_ih${sfx}`, shape: [G * H, k === 0 ? I : D * H] },
        { name: `weight_hh${sfx}`, shape: [G * H, H] },
        { name: `bias_ih${sfx}`, shape: [G * H], decay: false },
        { name: `bias_hh${sfx}`, shape: [G * H], decay: false }
      )
      if (P) params.push({ name: `weight_peephole${sfx}`, shape: [P * H] })
    }
  }
  params.push({ name: 'head_weight', shape: [O, D * H] }, { name: 'head_bias', shape: [O], decay: false })
  const lstm = cell === 'lstm'
  const mse = spec.headLoss === 'mse'
  const last = spec.headOn === 'last'
  const rows = last ? B : T * B
  const useMask = !!spec.dropoutMask && L > 1
  const stateful = !!spec.stateful
  const states = [{ name: 'h0', shape: [L * D, B, H] }, ...(lstm ? [{ name: 'c0', shape: [L * D, B, H] }] : [])]
  return buildTrainStep({
    name: 'recurrent_train_step',
    params,
    ...(stateful ? { carry: states } : {}),
    batch: [
      spec.vocabSize !== undefined ? { name: 'tokens', shape: [T, B], type: 'int64' } : { name: 'x', shape: [T, B, I] },
      ...(stateful ? [{ name: 'state_keep', shape: [B, 1] }] : states),
      ...(useMask ? [{ name: 'dropout_mask', shape: [L - 1, T, B, D * H] }] : []),
      mse ? { name: 'targets', shape: [rows, O] } : { name: 'targets', shape: [rows], type: 'int64' as const }
    ],
    optimiser: spec.optimiser,
    ...(spec.stepsPerRun !== undefined ? { steps: spec.stepsPerRun } : {}),
    dtype: spec.dtype ?? 'float32',
    metadata: { kind: 'recurrent', cell, layers: String(L), directions: String(D) },
    forward: (t, p, b) => {
      let x = spec.vocabSize !== undefined ? t.gather(p.embedding_weight!, b.tokens!, 0) : b.x!
      const h0 = stateful ? t.mul(b.h0!, b.state_keep!) : b.h0!
      const c0 = lstm ? (stateful ? t.mul(b.c0!, b.state_keep!) : b.c0!) : ''
      const hn: string[] = []
      const cn: string[] = []
      for (let k = 0; k < L; k++) {
        const ys: string[] = []
        for (let d = 0; d < D; d++) {
          const sfx = `_l${k}${d === 1 ? '_reverse' : ''}`
          const row = (v: string) => t.squeeze(t.slice(v, { starts: [k * D + d], ends: [k * D + d + 1], axes: [0] }), [0])
          const r = recurrentLayer(
            t,
            `rnn${sfx}`,
            cell,
            x,
            { weightIh: p[`weight_ih${sfx}`]!, weightHh: p[`weight_hh${sfx}`]!, biasIh: p[`bias_ih${sfx}`]!, biasHh: p[`bias_hh${sfx}`]! },
            row(h0),
            lstm ? row(c0) : null,
            { T, B, I: k === 0 ? I : D * H, H },
            d === 1,
            lstm ? { ...(P ? { peephole: p[`weight_peephole${sfx}`]! } : {}), coupled: !!spec.coupled } : {}
          )
          ys.push(r.y)
          if (stateful) hn.push(t.unsqueeze(r.hn, [0]))
          if (stateful && r.cn) cn.push(t.unsqueeze(r.cn, [0]))
        }
        x = D === 1 ? ys[0]! : t.concat(ys, 2)
        if (useMask && k < L - 1) x = t.mul(x, t.squeeze(t.slice(b.dropout_mask!, { starts: [k], ends: [k + 1], axes: [0] }), [0]))
      }
      const features = last ? t.squeeze(t.slice(x, { starts: [T - 1], ends: [T], axes: [0] }), [0]) : t.reshape(x, [T * B, D * H])
      const logits = t.gemm(features, p.head_weight!, p.head_bias!, { transB: true })
      // Class targets < 0 (padded steps) are ignored: the mean is over the other rows, as torch's ignore_index.
      const loss = mse ? meanSquaredError(t, logits, b.targets!) : softmaxCrossEntropy(t, logits, b.targets!, { ignoreNegative: true })
      const stack = (vs: string[]) => (vs.length === 1 ? vs[0]! : t.concat(vs, 0))
      return stateful ? { loss, carry: { h0: stack(hn), ...(lstm ? { c0: stack(cn) } : {}) } } : loss
    }
  })
}
