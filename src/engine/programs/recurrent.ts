// ONNX program: recurrent-net training without unrolling (BPTT as a forward Loop and a reverse Loop), graph size
// independent of T. Cells: LSTM, GRU (PyTorch's form), RNN tanh/relu; stacked, bidirectional, token embedding, softmax
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

export type EngineCell = 'lstm' | 'gru' | 'rnn-tanh' | 'rnn-relu'

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

export function cellGates(cell: EngineCell): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1
}

function floatConst(g: GraphBuilder, dtype: FloatType, v: number, hint: string): string {
  return g.constant(dtype === 'float64' ? tensor.float64([v], []) : tensor.float32([v], []), hint)
}

/** Time reversal of a [T, …] value (a raw node outside any loop). */
function reverseTime(g: GraphBuilder, t: Tape, v: string, T: number): string {
  return g.node('Slice', [v, t.ints([-1]), t.ints([-T - 1]), t.ints([0]), t.ints([-1])])
}

/** Forward step of one cell inside the loop body: new h (and c) and the values the backward step reads. */
function cellForward(body: GraphBuilder, cell: EngineCell, name: string, a: string, u: string, h: string, c: string | null, H: number) {
  if (cell === 'lstm') {
    const [zi, zf, zg, zo] = body.node('Split', [body.node('Add', [a, u]), body.constInt64([H, H, H, H], `${name}_sizes`)], { axis: 1 }, 4)
    const i = body.node('Sigmoid', [zi!])
    const f = body.node('Sigmoid', [zf!])
    const gg = body.node('Tanh', [zg!])
    const o = body.node('Sigmoid', [zo!])
    const cNew = body.node('Add', [body.node('Mul', [f, c!]), body.node('Mul', [i, gg])])
    return { h: body.node('Mul', [o, body.node('Tanh', [cNew])]), c: cNew, saved: body.node('Concat', [i, f, gg, o], { axis: 1 }), savedWidth: 4 * H }
  }
  if (cell === 'gru') {
    const sizes = body.constInt64([H, H, H], `${name}_sizes`)
    const [ar, az, an] = body.node('Split', [a, sizes], { axis: 1 }, 3)
    const [ur, uz, un] = body.node('Split', [u, sizes], { axis: 1 }, 3)
    const r = body.node('Sigmoid', [body.node('Add', [ar!, ur!])])
    const z = body.node('Sigmoid', [body.node('Add', [az!, uz!])])
    const n = body.node('Tanh', [body.node('Add', [an!, body.node('Mul', [r, un!])])])
    // h' = (1 − z)·n + z·h = n + z·(h − n)
    const hNew = body.node('Add', [n, body.node('Mul', [z, body.node('Sub', [h, n])])])
    return { h: hNew, c: null, saved: body.node('Concat', [r, z, n, un!], { axis: 1 }), savedWidth: 4 * H }
  }
  const s = body.node('Add', [a, u])
  return { h: body.node(cell === 'rnn-relu' ? 'Relu' : 'Tanh', [s]), c: null, saved: null, savedWidth: 0 }
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
  reverse = false
): RecurrentLayerOutputs {
  const { T, B, I, H } = dims
  const G = cellGates(cell)
  const dtype = t.dtype
  const lstm = cell === 'lstm'
  if (lstm !== (c0 !== null)) throw new RangeError(`recurrent layer ${name}: c0 is for LSTM layers only, and LSTM layers need it`)
  // Forward values the VJP reads (not tape outputs: nothing differentiates through them).
  let x2d = ''
  let hsProc = ''
  let csProc = ''
  let saved = ''
  const inputs = [x, w.weightIh, w.weightHh, w.biasIh, w.biasHh, h0, ...(c0 ? [c0] : [])]
  const outs = t.custom(
    inputs,
    (g) => {
      const xp = reverse ? reverseTime(g, t, x, T) : x
      x2d = g.node('Reshape', [xp, t.ints([T * B, I])])
      // GRU keeps b_hh inside U (its n block is multiplied by r); elsewhere both biases fold into A.
      const biasA = cell === 'gru' ? w.biasIh : g.node('Add', [w.biasIh, w.biasHh])
      const A = g.node('Reshape', [g.node('Gemm', [x2d, w.weightIh, biasA], { transB: 1 }), t.ints([T, B, G * H])])
      const body = g.subgraph(`${name}_fwd`)
      const iter = body.input(`${name}_fwd_iter`, 'int64', [])
      const cond = body.input(`${name}_fwd_cond`, 'bool', [])
      const hIn = body.input(`${name}_fwd_h`, dtype, [B, H])
      const cIn = lstm ? body.input(`${name}_fwd_c`, dtype, [B, H]) : null
      const u = cell === 'gru' ? body.node('Gemm', [hIn, w.weightHh, w.biasHh], { transB: 1 }) : body.node('Gemm', [hIn, w.weightHh], { transB: 1 })
      const step = cellForward(body, cell, name, body.node('Gather', [A, iter], { axis: 0 }), u, hIn, cIn, H)
      body.output(`${name}_fwd_cond_out`, 'bool', [], { from: cond })
      body.output(`${name}_fwd_h_out`, dtype, [B, H], { from: step.h })
      if (lstm) body.output(`${name}_fwd_c_out`, dtype, [B, H], { from: step.c! })
      body.output(`${name}_fwd_h_scan`, dtype, [B, H], { from: step.h })
      if (lstm) body.output(`${name}_fwd_c_scan`, dtype, [B, H], { from: step.c! })
      if (step.saved) body.output(`${name}_fwd_saved_scan`, dtype, [B, step.savedWidth], { from: step.saved })
      const carried = lstm ? [h0, c0!] : [h0]
      const n = carried.length * 2 + (step.saved ? 1 : 0)
      const lo = g.node('Loop', [g.constant(tensor.int64([T], []), `${name}_trip`), g.constBool(true), ...carried], { body }, n)
      hsProc = lo[carried.length]!
      if (lstm) csProc = lo[3]!
      if (step.saved) saved = lo[n - 1]!
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
      const prev = (first: string, all: string) =>
        g.node('Concat', [g.node('Unsqueeze', [first, t.ints([0])]), g.node('Slice', [all, t.ints([0]), t.ints([T - 1]), t.ints([0])])], { axis: 0 })
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
      const dsig = (v: string) => body.node('Mul', [v, body.node('Sub', [one, v])])
      const dtanh = (v: string) => body.node('Sub', [one, body.node('Mul', [v, v])])
      const mul = (...vs: string[]) => vs.reduce((acc, v) => body.node('Mul', [acc, v]))
      const dh = body.node('Add', [dhIn, at(dYp)])
      let dA: string
      let dU: string
      let direct: string | null = null
      let dcOut: string | null = null
      if (lstm) {
        const [i, f, gg, o] = body.node('Split', [at(saved), body.constInt64([H, H, H, H], `${name}_bsizes`)], { axis: 1 }, 4)
        const tc = body.node('Tanh', [at(csProc)])
        const dc = body.node('Add', [dcIn!, mul(dh, o!, dtanh(tc))])
        dA = body.node('Concat', [mul(dc, gg!, dsig(i!)), mul(dc, at(cPrevAll), dsig(f!)), mul(dc, i!, dtanh(gg!)), mul(dh, tc, dsig(o!))], { axis: 1 })
        dU = dA
        dcOut = body.node('Mul', [dc, f!])
      } else if (cell === 'gru') {
        const [r, z, n, un] = body.node('Split', [at(saved), body.constInt64([H, H, H, H], `${name}_bsizes`)], { axis: 1 }, 4)
        const dz = mul(dh, body.node('Sub', [at(hPrevAll), n!]), dsig(z!))
        const dn = mul(dh, body.node('Sub', [one, z!]), dtanh(n!))
        const dr = mul(dn, un!, dsig(r!))
        dA = body.node('Concat', [dr, dz, dn], { axis: 1 })
        dU = body.node('Concat', [dr, dz, body.node('Mul', [dn, r!])], { axis: 1 })
        direct = body.node('Mul', [dh, z!])
      } else {
        const h = at(hsProc)
        dA = body.node('Mul', [dh, cell === 'rnn-relu' ? body.node('Cast', [body.node('Greater', [h, floatConst(body, dtype, 0, `${name}_zero`)])], { to: dtype === 'float64' ? 11 : 1 }) : dtanh(h)])
        dU = dA
      }
      const dhPrev = body.node('MatMul', [dU, w.weightHh])
      body.output(`${name}_bwd_cond_out`, 'bool', [], { from: cond })
      body.output(`${name}_bwd_dh_out`, dtype, [B, H], { from: direct ? body.node('Add', [dhPrev, direct]) : dhPrev })
      if (lstm) body.output(`${name}_bwd_dc_out`, dtype, [B, H], { from: dcOut! })
      body.output(`${name}_bwd_da_scan`, dtype, [B, G * H], { from: dA })
      if (dU !== dA) body.output(`${name}_bwd_du_scan`, dtype, [B, G * H], { from: dU })
      const carried = lstm ? [dHn!, dCn!] : [dHn!]
      const n = carried.length + (dU !== dA ? 2 : 1)
      const lo = g.node('Loop', [g.constant(tensor.int64([T], []), `${name}_btrip`), g.constBool(true), ...carried], { body }, n)
      // Scan outputs come in iteration order (processing step T−1 … 0): reverse, then one row per (step, b).
      const rows = (v: string) => g.node('Reshape', [reverseTime(g, t, v, T), t.ints([T * B, G * H])])
      const dA2 = rows(lo[carried.length]!)
      const dU2 = dU !== dA ? rows(lo[carried.length + 1]!) : dA2
      const sumRows = (v: string) => g.node('ReduceSum', [v, t.ints([0])], { keepdims: 0 })
      let dx: string | null = null
      if (needs[0]) {
        const dxp = g.node('Reshape', [g.node('MatMul', [dA2, w.weightIh]), t.ints([T, B, I])])
        dx = reverse ? reverseTime(g, t, dxp, T) : dxp
      }
      return [
        dx,
        needs[1] ? g.node('Gemm', [dA2, x2d], { transA: 1 }) : null,
        needs[2] ? g.node('Gemm', [dU2, g.node('Reshape', [hPrevAll, t.ints([T * B, H])])], { transA: 1 }) : null,
        needs[3] ? sumRows(dA2) : null,
        needs[4] ? sumRows(dU2) : null,
        needs[5] ? lo[0]! : null,
        ...(lstm ? [needs[6] ? lo[1]! : null] : [])
      ]
    }
  )
  return { y: outs[0]!, hn: outs[1]!, cn: lstm ? outs[2]! : null }
}

export interface RecurrentTrainSpec {
  cell: EngineCell
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
  if (!['lstm', 'gru', 'rnn-tanh', 'rnn-relu'].includes(cell)) throw new RangeError(`recurrent train step: cell must be lstm, gru, rnn-tanh or rnn-relu, got ${String(cell)}`)
  const D = spec.bidirectional ? 2 : 1
  const G = cellGates(cell)
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
    }
  }
  params.push({ name: 'head_weight', shape: [O, D * H] }, { name: 'head_bias', shape: [O], decay: false })
  const lstm = cell === 'lstm'
  const mse = spec.headLoss === 'mse'
  const last = spec.headOn === 'last'
  const rows = last ? B : T * B
  const useMask = !!spec.dropoutMask && L > 1
  return buildTrainStep({
    name: 'recurrent_train_step',
    params,
    batch: [
      spec.vocabSize !== undefined ? { name: 'tokens', shape: [T, B], type: 'int64' } : { name: 'x', shape: [T, B, I] },
      { name: 'h0', shape: [L * D, B, H] },
      ...(lstm ? [{ name: 'c0', shape: [L * D, B, H] }] : []),
      ...(useMask ? [{ name: 'dropout_mask', shape: [L - 1, T, B, D * H] }] : []),
      mse ? { name: 'targets', shape: [rows, O] } : { name: 'targets', shape: [rows], type: 'int64' as const }
    ],
    optimiser: spec.optimiser,
    ...(spec.stepsPerRun !== undefined ? { steps: spec.stepsPerRun } : {}),
    dtype: spec.dtype ?? 'float32',
    metadata: { kind: 'recurrent', cell, layers: String(L), directions: String(D) },
    forward: (t, p, b) => {
      let x = spec.vocabSize !== undefined ? t.gather(p.embedding_weight!, b.tokens!, 0) : b.x!
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
            row(b.h0!),
            lstm ? row(b.c0!) : null,
            { T, B, I: k === 0 ? I : D * H, H },
            d === 1
          )
          ys.push(r.y)
        }
        x = D === 1 ? ys[0]! : t.concat(ys, 2)
        if (useMask && k < L - 1) x = t.mul(x, t.squeeze(t.slice(b.dropout_mask!, { starts: [k], ends: [k + 1], axes: [0] }), [0]))
      }
      const features = last ? t.squeeze(t.slice(x, { starts: [T - 1], ends: [T], axes: [0] }), [0]) : t.reshape(x, [T * B, D * H])
      const logits = t.gemm(features, p.head_weight!, p.head_bias!, { transB: true })
      return mse ? meanSquaredError(t, logits, b.targets!) : softmaxCrossEntropy(t, logits, b.targets!)
    }
  })
}
