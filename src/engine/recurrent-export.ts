// Recurrent net export to ONNX with the standard RNN / LSTM / GRU operators (inference), weights embedded as float32.
// Reference: ONNX operator specs (opset 14+ LSTM, GRU, RNN): LSTM gate order i,o,f,c (PyTorch i,f,g,o), peepholes P in
// order i,o,f with the output peephole on the new cell state, input_forget couples f = 1 − i; GRU gate order z,r,h
// (PyTorch r,z,n), linear_before_reset = 1 is PyTorch's form and 0 the original (Cho et al.); direction
// 'bidirectional' stacks forward and reverse on axis 1 of Y. ENGINE-NOTES.md: h0/c0 are graph inputs (never sized from
// an example batch), dynamic batch and sequence length.
// Legend (core/recurrent/spec.ts): inputs `input` float32 [seq, batch, I] (or `tokens` int64 [seq, batch] with an
// embedding), `h0` (and `c0` for LSTM) float32 [L·D, batch, H]; outputs `output` [seq, batch, D·H], `hn` (`cn`)
// [L·D, batch, H], `logits` [seq, batch, O] (head.on 'all') or [batch, O] ('last').

import { checkParams, directions, gateCount, layerInputSize, layerParamNames, type RecurrentNet, type RecurrentSpec } from '../core/recurrent/spec'
import { buildModel, GraphBuilder, tensor } from './onnx/builder'

export const RECURRENT_ONNX_IO = {
  input: 'input',
  tokens: 'tokens',
  h0: 'h0',
  c0: 'c0',
  output: 'output',
  hn: 'hn',
  cn: 'cn',
  logits: 'logits'
} as const

/**
 * For each ONNX gate block, the core's block index (or −1 for a block of zeros): LSTM i,o,f,c from i,f,g,o (coupled:
 * i,g,o; its f block is unused by input_forget and exported as zeros), GRU z,r,h from r,z,n, RNN as is.
 */
export function onnxGateBlocks(spec: RecurrentSpec): number[] {
  if (spec.cell === 'lstm') return spec.coupled ? [0, 2, -1, 1] : [0, 3, 1, 2]
  if (spec.cell === 'gru') return [1, 0, 2]
  return [0]
}

/** Peephole order i,o,f from the core's i,f,o (coupled: i,o). */
function onnxPeepholeBlocks(spec: RecurrentSpec): number[] {
  return spec.coupled ? [0, 1, -1] : [0, 2, 1]
}

/** Rows of `a` ([blocks·H, cols]) regrouped by `order` (−1: zeros). */
function reorderBlocks(a: Float64Array, H: number, cols: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(order.length * H * cols)
  order.forEach((src, k) => {
    if (src >= 0) out.set(a.subarray(src * H * cols, (src + 1) * H * cols), k * H * cols)
  })
  return out
}

export interface RecurrentExportOptions {
  /** Added to metadata_props (the spec and the layout notes are always set). */
  metadata?: Record<string, string>
}

/** A standalone ONNX model (opset 17, IR 8) of the net's inference pass, equal to core forward() in float32. */
export function exportRecurrentOnnx(net: RecurrentNet, opts: RecurrentExportOptions = {}): Uint8Array {
  const { spec, params } = net
  checkParams(spec, params)
  const g = new GraphBuilder('engram_recurrent')
  const H = spec.hiddenSize
  const D = directions(spec)
  const L = spec.numLayers
  const G = spec.cell === 'lstm' ? 4 : gateCount(spec)
  const S = L * D
  const IO = RECURRENT_ONNX_IO
  let x: string
  if (spec.vocabSize !== undefined) {
    const tokens = g.input(IO.tokens, 'int64', ['seq', 'batch'], 'token ids')
    const E = g.initializer('embedding.weight', tensor.float32(Float32Array.from(params['embedding.weight']!), [spec.vocabSize, spec.inputSize]))
    x = g.node('Gather', [E, tokens], { axis: 0 })
  } else {
    x = g.input(IO.input, 'float32', ['seq', 'batch', spec.inputSize])
  }
  const h0 = g.input(IO.h0, 'float32', [S, 'batch', H], 'initial hidden state, row k·D + d for layer k, direction d')
  const c0 = spec.cell === 'lstm' ? g.input(IO.c0, 'float32', [S, 'batch', H], 'initial cell state') : null
  const axis0 = g.constInt64([0], 'axis0')
  const hns: string[] = []
  const cns: string[] = []
  const blocks = onnxGateBlocks(spec)
  for (let k = 0; k < L; k++) {
    const I = layerInputSize(spec, k)
    const W = new Float32Array(D * G * H * I)
    const R = new Float32Array(D * G * H * H)
    const Bias = new Float32Array(D * 2 * G * H)
    const P = spec.peephole ? new Float32Array(D * 3 * H) : null
    for (let d = 0; d < D; d++) {
      const n = layerParamNames(spec, k, d)
      W.set(reorderBlocks(params[n.weightIh]!, H, I, blocks), d * G * H * I)
      R.set(reorderBlocks(params[n.weightHh]!, H, H, blocks), d * G * H * H)
      Bias.set(reorderBlocks(params[n.biasIh]!, H, 1, blocks), d * 2 * G * H)
      Bias.set(reorderBlocks(params[n.biasHh]!, H, 1, blocks), d * 2 * G * H + G * H)
      if (P) P.set(reorderBlocks(params[n.peephole!]!, H, 1, onnxPeepholeBlocks(spec)), d * 3 * H)
    }
    const w = g.initializer(`W_l${k}`, tensor.float32(W, [D, G * H, I]))
    const r = g.initializer(`R_l${k}`, tensor.float32(R, [D, G * H, H]))
    const b = g.initializer(`B_l${k}`, tensor.float32(Bias, [D, 2 * G * H]))
    const starts = g.constInt64([k * D], `start_l${k}`)
    const ends = g.constInt64([(k + 1) * D], `end_l${k}`)
    const hInit = g.node('Slice', [h0, starts, ends, axis0])
    const attrs: Record<string, number | string | string[]> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward' }
    let outs: string[]
    if (spec.cell === 'lstm') {
      const cInit = g.node('Slice', [c0!, starts, ends, axis0])
      const p = P ? g.initializer(`P_l${k}`, tensor.float32(P, [D, 3 * H])) : ''
      if (spec.coupled) attrs.input_forget = 1
      outs = g.node('LSTM', [x, w, r, b, '', hInit, cInit, p], attrs, 3)
      cns.push(outs[2]!)
    } else if (spec.cell === 'gru') {
      attrs.linear_before_reset = spec.gruForm === 'original' ? 0 : 1
      outs = g.node('GRU', [x, w, r, b, '', hInit], attrs, 2)
    } else {
      attrs.activations = Array.from({ length: D }, () => (spec.nonlinearity === 'relu' ? 'Relu' : 'Tanh'))
      outs = g.node('RNN', [x, w, r, b, '', hInit], attrs, 2)
    }
    hns.push(outs[1]!)
    // Y [seq, D, batch, H] → [seq, batch, D·H] (PyTorch's output layout: forward half, then reverse).
    const yt = g.node('Transpose', [outs[0]!], { perm: [0, 2, 1, 3] })
    x = g.node('Reshape', [yt, g.constInt64([0, 0, -1], `flat_l${k}`)])
  }
  g.output(IO.output, 'float32', ['seq', 'batch', D * H], { from: x })
  g.output(IO.hn, 'float32', [S, 'batch', H], { from: L > 1 ? g.node('Concat', hns, { axis: 0 }) : hns[0]! })
  if (spec.cell === 'lstm') g.output(IO.cn, 'float32', [S, 'batch', H], { from: L > 1 ? g.node('Concat', cns, { axis: 0 }) : cns[0]! })
  if (spec.head) {
    const O = spec.head.outputSize
    const DH = D * H
    const Wt = new Float32Array(DH * O)
    const hw = params['head.weight']!
    for (let o = 0; o < O; o++) for (let c = 0; c < DH; c++) Wt[c * O + o] = hw[o * DH + c]!
    const wt = g.initializer('head.weight_t', tensor.float32(Wt, [DH, O]))
    const hb = g.initializer('head.bias', tensor.float32(Float32Array.from(params['head.bias']!), [O]))
    let feat = x
    if (spec.head.on === 'last') {
      const last = g.node('Slice', [x, g.constInt64([-1], 'last_start'), g.constInt64([Number.MAX_SAFE_INTEGER], 'last_end'), axis0])
      feat = g.node('Squeeze', [last, axis0])
    }
    const logits = g.node('Add', [g.node('MatMul', [feat, wt]), hb])
    g.output(IO.logits, 'float32', spec.head.on === 'all' ? ['seq', 'batch', O] : ['batch', O], { from: logits })
  }
  return buildModel({
    graph: g,
    metadata: {
      ...opts.metadata,
      kind: 'recurrent',
      engram_recurrent_spec: JSON.stringify(spec),
      layout: 'input [seq, batch, I] (tokens [seq, batch]); h0/c0/hn/cn [layers·directions, batch, hidden]; output [seq, batch, directions·hidden]',
      gate_order: spec.cell === 'lstm' ? 'ONNX iofc (PyTorch state dict: ifgo)' : spec.cell === 'gru' ? 'ONNX zrh (PyTorch state dict: rzn)' : 'single gate'
    }
  })
}
