// ONNX program: LSTM training without unrolling (BPTT as a forward Loop and a reverse Loop), graph size independent of T.
//
// Reference: core/recurrent/network.ts (the exact float64 reference these graphs are tested against); seeds/003 (LSTM
// backward pass: δc, δi, δf, δo, δz, δW = Σ_t δz^t (I^t)ᵀ); ENGINE-NOTES.md "Recurrent nets on the engine" (split the
// work by shape: big MatMuls outside the loops, only the step-to-step recurrence inside).
// Legend: T steps, B batch, I input size, H hidden, L layers, O head outputs; PyTorch layout and gate order i,f,g,o:
// weight_ih [4H, I], weight_hh [4H, H], bias_ih, bias_hh [4H]; x [T, B, I], h0/c0 [L, B, H], y [T, B, H].
// Forward: XW = x·W_ihᵀ + b_ih + b_hh as one [T·B, I]×[I, 4H] Gemm; a Loop over t carrying (h, c) does only
// h·W_hhᵀ and the gate element-wise ops, and emits y_t, c_t and the activated gates (i, f, g, o) as scan outputs.
// Backward: a reverse Loop carrying (dh, dc) emits dZ_t (pre-activation gradients) and does only dh_{t−1} = dZ_t·W_hh;
// after it, dW_ih = dZᵀ·x, dW_hh = dZᵀ·h_prev, db = Σ dZ and dx = dZ·W_ih are single large MatMuls over all T·B rows.

import { softmaxCrossEntropy } from '../autodiff/losses'
import type { FloatType, Tape } from '../autodiff/tape'
import { tensor, type GraphBuilder } from '../onnx/builder'
import type { OptimiserConfig } from '../optim/optimiser'
import { buildTrainStep, type TrainStepProgram } from './train-step'

export interface LstmLayerDims {
  T: number
  B: number
  I: number
  H: number
}

export interface LstmLayerOutputs {
  /** [T, B, H] */
  y: string
  /** [B, H] */
  hn: string
  /** [B, H] */
  cn: string
}

function floatConst(g: GraphBuilder, dtype: FloatType, v: number, hint: string): string {
  return g.constant(dtype === 'float64' ? tensor.float64([v], []) : tensor.float32([v], []), hint)
}

/**
 * One LSTM layer as a tape op with a hand-written VJP (forward Loop + reverse Loop). `name` must be unique in the graph
 * (it prefixes the loop bodies' value names). Inputs: x [T,B,I], weight_ih [4H,I], weight_hh [4H,H], bias_ih, bias_hh
 * [4H], h0 [B,H], c0 [B,H].
 */
export function lstmLayer(
  t: Tape,
  name: string,
  x: string,
  w: { weightIh: string; weightHh: string; biasIh: string; biasHh: string },
  h0: string,
  c0: string,
  dims: LstmLayerDims
): LstmLayerOutputs {
  const { T, B, I, H } = dims
  const dtype = t.dtype
  // Values the VJP reads from the forward pass (not tape outputs: nothing differentiates through them).
  let ys = ''
  let cs = ''
  let gates = ''
  let x2d = ''
  const [y, hn, cn] = t.custom(
    [x, w.weightIh, w.weightHh, w.biasIh, w.biasHh, h0, c0],
    (g) => {
      x2d = g.node('Reshape', [x, t.ints([T * B, I])])
      const bias = g.node('Add', [w.biasIh, w.biasHh])
      const xw = g.node('Reshape', [g.node('Gemm', [x2d, w.weightIh, bias], { transB: 1 }), t.ints([T, B, 4 * H])])
      const body = g.subgraph(`${name}_fwd`)
      const iter = body.input(`${name}_fwd_iter`, 'int64', [])
      const cond = body.input(`${name}_fwd_cond`, 'bool', [])
      const hIn = body.input(`${name}_fwd_h`, dtype, [B, H])
      const cIn = body.input(`${name}_fwd_c`, dtype, [B, H])
      const z = body.node('Gemm', [hIn, w.weightHh, body.node('Gather', [xw, iter], { axis: 0 })], { transB: 1 })
      const [zi, zf, zg, zo] = body.node('Split', [z, body.constInt64([H, H, H, H], `${name}_sizes`)], { axis: 1 }, 4)
      const i = body.node('Sigmoid', [zi!])
      const f = body.node('Sigmoid', [zf!])
      const gg = body.node('Tanh', [zg!])
      const o = body.node('Sigmoid', [zo!])
      const c = body.node('Add', [body.node('Mul', [f, cIn]), body.node('Mul', [i, gg])])
      const h = body.node('Mul', [o, body.node('Tanh', [c])])
      body.output(`${name}_fwd_cond_out`, 'bool', [], { from: cond })
      body.output(`${name}_fwd_h_out`, dtype, [B, H], { from: h })
      body.output(`${name}_fwd_c_out`, dtype, [B, H], { from: c })
      body.output(`${name}_fwd_h_scan`, dtype, [B, H], { from: h })
      body.output(`${name}_fwd_c_scan`, dtype, [B, H], { from: c })
      body.output(`${name}_fwd_gates_scan`, dtype, [B, 4 * H], { from: body.node('Concat', [i, f, gg, o], { axis: 1 }) })
      const outs = g.node('Loop', [g.constant(tensor.int64([T], []), `${name}_trip`), g.constBool(true), h0, c0], { body }, 5)
      ys = outs[2]!
      cs = outs[3]!
      gates = outs[4]!
      return [
        { name: ys, shape: [T, B, H] },
        { name: outs[0]!, shape: [B, H] },
        { name: outs[1]!, shape: [B, H] }
      ]
    },
    ([dY, dHn, dCn], { g, needs }) => {
      const prev = (first: string, all: string) =>
        g.node('Concat', [g.node('Unsqueeze', [first, t.ints([0])]), g.node('Slice', [all, t.ints([0]), t.ints([T - 1]), t.ints([0])])], { axis: 0 })
      const cPrevAll = prev(c0, cs)
      const hPrevAll = prev(h0, ys)
      const body = g.subgraph(`${name}_bwd`)
      const k = body.input(`${name}_bwd_iter`, 'int64', [])
      const cond = body.input(`${name}_bwd_cond`, 'bool', [])
      const dhIn = body.input(`${name}_bwd_dh`, dtype, [B, H])
      const dcIn = body.input(`${name}_bwd_dc`, dtype, [B, H])
      const step = body.node('Sub', [body.constant(tensor.int64([T - 1], []), `${name}_last`), k])
      const at = (v: string) => body.node('Gather', [v, step], { axis: 0 })
      const one = floatConst(body, dtype, 1, `${name}_one`)
      const [i, f, gg, o] = body.node('Split', [at(gates), body.constInt64([H, H, H, H], `${name}_bsizes`)], { axis: 1 }, 4)
      const c = at(cs)
      const cPrev = at(cPrevAll)
      const dh = body.node('Add', [dhIn, at(dY!)])
      const tc = body.node('Tanh', [c])
      const dsig = (v: string) => body.node('Mul', [v, body.node('Sub', [one, v])])
      const dtanh = (v: string) => body.node('Sub', [one, body.node('Mul', [v, v])])
      const dc = body.node('Add', [dcIn, body.node('Mul', [body.node('Mul', [dh, o!]), dtanh(tc)])])
      const dzi = body.node('Mul', [body.node('Mul', [dc, gg!]), dsig(i!)])
      const dzf = body.node('Mul', [body.node('Mul', [dc, cPrev]), dsig(f!)])
      const dzg = body.node('Mul', [body.node('Mul', [dc, i!]), dtanh(gg!)])
      const dzo = body.node('Mul', [body.node('Mul', [dh, tc]), dsig(o!)])
      const dz = body.node('Concat', [dzi, dzf, dzg, dzo], { axis: 1 })
      body.output(`${name}_bwd_cond_out`, 'bool', [], { from: cond })
      body.output(`${name}_bwd_dh_out`, dtype, [B, H], { from: body.node('MatMul', [dz, w.weightHh]) })
      body.output(`${name}_bwd_dc_out`, dtype, [B, H], { from: body.node('Mul', [dc, f!]) })
      body.output(`${name}_bwd_dz_scan`, dtype, [B, 4 * H], { from: dz })
      const [dh0, dc0, dzRev] = g.node('Loop', [g.constant(tensor.int64([T], []), `${name}_btrip`), g.constBool(true), dHn!, dCn!], { body }, 3)
      // Scan outputs come in iteration order (t = T−1 … 0): reverse, then one row per (t, b).
      const dz2d = g.node('Reshape', [g.node('Slice', [dzRev!, t.ints([-1]), t.ints([-T - 1]), t.ints([0]), t.ints([-1])]), t.ints([T * B, 4 * H])])
      const dWih = needs[1] ? g.node('Gemm', [dz2d, x2d], { transA: 1 }) : null
      const dWhh = needs[2] ? g.node('Gemm', [dz2d, g.node('Reshape', [hPrevAll, t.ints([T * B, H])])], { transA: 1 }) : null
      const db = needs[3] || needs[4] ? g.node('ReduceSum', [dz2d, t.ints([0])], { keepdims: 0 }) : null
      const dx = needs[0] ? g.node('Reshape', [g.node('MatMul', [dz2d, w.weightIh]), t.ints([T, B, I])]) : null
      return [dx, dWih, dWhh, db, db, needs[5] ? dh0! : null, needs[6] ? dc0! : null]
    }
  )
  return { y: y!, hn: hn!, cn: cn! }
}

export interface LstmTrainSpec {
  /** T, B, I, H as in the legend; O classes of the softmax head on every step. */
  steps: number
  batch: number
  inputSize: number
  hiddenSize: number
  numLayers: number
  outputSize: number
  optimiser: OptimiserConfig
  /** K minibatch steps per run in one Loop (optional). */
  stepsPerRun?: number
  dtype?: FloatType
}

/** Parameter names in the program: PyTorch's, with `head_weight` / `head_bias` for the core's head.weight / head.bias. */
export function lstmProgramParamName(coreName: string): string {
  return coreName.replace('.', '_')
}

/**
 * A train-step program for a stacked LSTM with a softmax cross-entropy head on every step (a char model on one-hot or
 * feature input): batch inputs x [T,B,I], h0 and c0 [L,B,H], targets int64 [T·B] (row t·B + b).
 */
export function buildLstmTrainStep(spec: LstmTrainSpec): TrainStepProgram {
  const { steps: T, batch: B, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O } = spec
  for (const [k, v] of Object.entries({ steps: T, batch: B, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O })) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`LSTM train step: ${k} must be a positive integer, got ${v}`)
  }
  const params = []
  for (let k = 0; k < L; k++) {
    const In = k === 0 ? I : H
    params.push(
      { name: `weight_ih_l${k}`, shape: [4 * H, In] },
      { name: `weight_hh_l${k}`, shape: [4 * H, H] },
      { name: `bias_ih_l${k}`, shape: [4 * H], decay: false },
      { name: `bias_hh_l${k}`, shape: [4 * H], decay: false }
    )
  }
  params.push({ name: 'head_weight', shape: [O, H] }, { name: 'head_bias', shape: [O], decay: false })
  return buildTrainStep({
    name: 'lstm_train_step',
    params,
    batch: [
      { name: 'x', shape: [T, B, I] },
      { name: 'h0', shape: [L, B, H] },
      { name: 'c0', shape: [L, B, H] },
      { name: 'targets', shape: [T * B], type: 'int64' }
    ],
    optimiser: spec.optimiser,
    ...(spec.stepsPerRun !== undefined ? { steps: spec.stepsPerRun } : {}),
    dtype: spec.dtype ?? 'float32',
    metadata: { kind: 'recurrent', cell: 'lstm', layers: String(L) },
    forward: (t, p, b) => {
      let x = b.x!
      for (let k = 0; k < L; k++) {
        const row = (v: string) => t.squeeze(t.slice(v, { starts: [k], ends: [k + 1], axes: [0] }), [0])
        const r = lstmLayer(
          t,
          `lstm_l${k}`,
          x,
          { weightIh: p[`weight_ih_l${k}`]!, weightHh: p[`weight_hh_l${k}`]!, biasIh: p[`bias_ih_l${k}`]!, biasHh: p[`bias_hh_l${k}`]! },
          row(b.h0!),
          row(b.c0!),
          { T, B, I: k === 0 ? I : H, H }
        )
        x = r.y
      }
      const logits = t.gemm(t.reshape(x, [T * B, H]), p.head_weight!, p.head_bias!, { transB: true })
      return softmaxCrossEntropy(t, logits, b.targets!)
    }
  })
}
