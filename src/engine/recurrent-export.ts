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

/** Initializer names of a net's weights embedded in a graph (ONNX layout, float32). */
export interface EmbeddedRecurrentWeights {
  embedding: string | null
  layers: { W: string; R: string; B: string; P: string }[]
  /** head.weightᵀ [D·H, O] and head.bias [O], when the spec has a head. */
  head: { weightT: string; bias: string } | null
}

/** A float32 weight in ONNX layout. */
export interface OnnxWeight {
  data: Float32Array
  dims: number[]
}

/**
 * Every weight in ONNX's gate order, float32, by its graph name (layer k: W_l{k}, R_l{k}, B_l{k}, P_l{k};
 * `embedding.weight`, `head.weight_t`, `head.bias`): the initializers embedRecurrentWeights makes, or the feeds of a graph
 * built with `mode` 'inputs'.
 */
export function recurrentOnnxWeights(net: RecurrentNet): Map<string, OnnxWeight> {
  const { spec, params } = net
  checkParams(spec, params)
  const H = spec.hiddenSize
  const D = directions(spec)
  const G = spec.cell === 'lstm' ? 4 : gateCount(spec)
  const blocks = onnxGateBlocks(spec)
  const out = new Map<string, OnnxWeight>()
  if (spec.vocabSize !== undefined) out.set('embedding.weight', { data: Float32Array.from(params['embedding.weight']!), dims: [spec.vocabSize, spec.inputSize] })
  for (let k = 0; k < spec.numLayers; k++) {
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
    out.set(`W_l${k}`, { data: W, dims: [D, G * H, I] })
    out.set(`R_l${k}`, { data: R, dims: [D, G * H, H] })
    out.set(`B_l${k}`, { data: Bias, dims: [D, 2 * G * H] })
    if (P) out.set(`P_l${k}`, { data: P, dims: [D, 3 * H] })
  }
  if (spec.head) {
    const O = spec.head.outputSize
    const DH = D * H
    const Wt = new Float32Array(DH * O)
    const hw = params['head.weight']!
    for (let o = 0; o < O; o++) for (let c = 0; c < DH; c++) Wt[c * O + o] = hw[o * DH + c]!
    out.set('head.weight_t', { data: Wt, dims: [DH, O] })
    out.set('head.bias', { data: Float32Array.from(params['head.bias']!), dims: [O] })
  }
  return out
}

/**
 * Every weight in ONNX's gate order (recurrentOnnxWeights): as float32 initializers, or with `mode` 'inputs' as graph
 * inputs of the same names (one session then serves every version of the weights: feed recurrentOnnxWeights(net)).
 */
export function embedRecurrentWeights(g: GraphBuilder, net: RecurrentNet, mode: 'initializers' | 'inputs' = 'initializers'): EmbeddedRecurrentWeights {
  const { spec } = net
  const put = (name: string, w: OnnxWeight) => (mode === 'inputs' ? g.input(name, 'float32', w.dims) : g.initializer(name, tensor.float32(w.data, w.dims)))
  const all = recurrentOnnxWeights(net)
  const at = (name: string) => put(name, all.get(name)!)
  return {
    embedding: spec.vocabSize !== undefined ? at('embedding.weight') : null,
    layers: Array.from({ length: spec.numLayers }, (_, k) => ({ W: at(`W_l${k}`), R: at(`R_l${k}`), B: at(`B_l${k}`), P: spec.peephole ? at(`P_l${k}`) : '' })),
    head: spec.head ? { weightT: at('head.weight_t'), bias: at('head.bias') } : null
  }
}

/**
 * The stacked layers as standard LSTM/GRU/RNN nodes in `g` (the main graph or a Loop body reading the embedded weights
 * from the outer scope): x [seq, batch, I], h0 (c0) [L·D, batch, H] → y [seq, batch, D·H], hn (cn) [L·D, batch, H].
 */
export function emitRecurrentLayers(
  g: GraphBuilder,
  spec: RecurrentSpec,
  w: EmbeddedRecurrentWeights,
  x: string,
  h0: string,
  c0: string | null
): { y: string; hn: string; cn: string | null } {
  const H = spec.hiddenSize
  const D = directions(spec)
  const L = spec.numLayers
  const axis0 = g.constInt64([0], 'axis0')
  const hns: string[] = []
  const cns: string[] = []
  let y = x
  for (let k = 0; k < L; k++) {
    const { W, R, B, P } = w.layers[k]!
    const starts = g.constInt64([k * D], `start_l${k}`)
    const ends = g.constInt64([(k + 1) * D], `end_l${k}`)
    const hInit = g.node('Slice', [h0, starts, ends, axis0])
    const attrs: Record<string, number | string | string[]> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward' }
    let outs: string[]
    if (spec.cell === 'lstm') {
      const cInit = g.node('Slice', [c0!, starts, ends, axis0])
      if (spec.coupled) attrs.input_forget = 1
      outs = g.node('LSTM', [y, W, R, B, '', hInit, cInit, P], attrs, 3)
      cns.push(outs[2]!)
    } else if (spec.cell === 'gru') {
      attrs.linear_before_reset = spec.gruForm === 'original' ? 0 : 1
      outs = g.node('GRU', [y, W, R, B, '', hInit], attrs, 2)
    } else {
      attrs.activations = Array.from({ length: D }, () => (spec.nonlinearity === 'relu' ? 'Relu' : 'Tanh'))
      outs = g.node('RNN', [y, W, R, B, '', hInit], attrs, 2)
    }
    hns.push(outs[1]!)
    // Y [seq, D, batch, H] → [seq, batch, D·H] (PyTorch's output layout: forward half, then reverse).
    const yt = g.node('Transpose', [outs[0]!], { perm: [0, 2, 1, 3] })
    y = g.node('Reshape', [yt, g.constInt64([0, 0, -1], `flat_l${k}`)])
  }
  const cat = (vs: string[]) => (vs.length > 1 ? g.node('Concat', vs, { axis: 0 }) : vs[0]!)
  return { y, hn: cat(hns), cn: spec.cell === 'lstm' ? cat(cns) : null }
}

export interface RecurrentExportOptions {
  /** Added to metadata_props (the spec and the layout notes are always set). */
  metadata?: Record<string, string>
  /** 'inputs': the weights are graph inputs (feed recurrentOnnxWeights(net)) instead of initializers (default 'embedded'). */
  weights?: 'embedded' | 'inputs'
}

const weightMode = (opts: RecurrentExportOptions) => (opts.weights === 'inputs' ? 'inputs' : 'initializers')

function recurrentMetadata(spec: RecurrentSpec, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    kind: 'recurrent',
    engram_recurrent_spec: JSON.stringify(spec),
    layout: 'input [seq, batch, I] (tokens [seq, batch]); h0/c0/hn/cn [layers·directions, batch, hidden]; output [seq, batch, directions·hidden]',
    gate_order: spec.cell === 'lstm' ? 'ONNX iofc (PyTorch state dict: ifgo)' : spec.cell === 'gru' ? 'ONNX zrh (PyTorch state dict: rzn)' : 'single gate'
  }
}

/** A standalone ONNX model (opset 17, IR 8) of the net's inference pass, equal to core forward() in float32. */
export function exportRecurrentOnnx(net: RecurrentNet, opts: RecurrentExportOptions = {}): Uint8Array {
  const { spec } = net
  const g = new GraphBuilder('engram_recurrent')
  const H = spec.hiddenSize
  const D = directions(spec)
  const S = spec.numLayers * D
  const IO = RECURRENT_ONNX_IO
  const w = embedRecurrentWeights(g, net, weightMode(opts))
  const x =
    spec.vocabSize !== undefined
      ? g.node('Gather', [w.embedding!, g.input(IO.tokens, 'int64', ['seq', 'batch'], 'token ids')], { axis: 0 })
      : g.input(IO.input, 'float32', ['seq', 'batch', spec.inputSize])
  const h0 = g.input(IO.h0, 'float32', [S, 'batch', H], 'initial hidden state, row k·D + d for layer k, direction d')
  const c0 = spec.cell === 'lstm' ? g.input(IO.c0, 'float32', [S, 'batch', H], 'initial cell state') : null
  const r = emitRecurrentLayers(g, spec, w, x, h0, c0)
  g.output(IO.output, 'float32', ['seq', 'batch', D * H], { from: r.y })
  g.output(IO.hn, 'float32', [S, 'batch', H], { from: r.hn })
  if (r.cn) g.output(IO.cn, 'float32', [S, 'batch', H], { from: r.cn })
  if (spec.head && w.head) {
    const O = spec.head.outputSize
    let feat = r.y
    if (spec.head.on === 'last') {
      const axis0 = g.constInt64([0], 'head_axis0')
      const last = g.node('Slice', [r.y, g.constInt64([-1], 'last_start'), g.constInt64([Number.MAX_SAFE_INTEGER], 'last_end'), axis0])
      feat = g.node('Squeeze', [last, axis0])
    }
    const logits = g.node('Add', [g.node('MatMul', [feat, w.head.weightT]), w.head.bias])
    g.output(IO.logits, 'float32', spec.head.on === 'all' ? ['seq', 'batch', O] : ['batch', O], { from: logits })
  }
  return buildModel({ graph: g, metadata: recurrentMetadata(spec, opts.metadata) })
}

export const RECURRENT_SAMPLER_IO = {
  token: 'token',
  h0: 'h0',
  c0: 'c0',
  uniforms: 'uniforms',
  temperature: 'temperature',
  topK: 'top_k',
  tokens: 'tokens',
  argmax: 'argmax',
  hn: 'hn',
  cn: 'cn',
  prompt: 'prompt'
} as const

export interface RecurrentSamplerOptions extends RecurrentExportOptions {
  /**
   * An input `prompt` int64 [P, batch] (P ≥ 0): tokens run from h0 (c0) before `token`, so the whole prompt and the
   * sample take one run() (feed the prompt but its last token, and that token as `token`).
   */
  prompt?: boolean
}

/**
 * In-graph generation for a token net (core/recurrent/sampling.ts semantics), one run() for a whole sample: a Loop that
 * feeds `token` [batch] (int64) from state `h0` (`c0`) [L, batch, H], and per step takes the logits, their argmax, and a
 * draw from softmax(logits / temperature) restricted to the `top_k` largest (inverse CDF with the fed `uniforms`
 * [N, batch], one per draw; temperature 0 gives the argmax), then feeds the drawn token back. Outputs `tokens` and
 * `argmax` [N, batch], `hn` (`cn`). Feed the state after the prompt but its last token, and that token.
 */
export function buildRecurrentSampler(net: RecurrentNet, opts: RecurrentSamplerOptions = {}): Uint8Array {
  const { spec } = net
  if (spec.vocabSize === undefined || spec.head?.loss !== 'softmax-ce' || spec.head.on !== 'all' || spec.head.outputSize !== spec.vocabSize || spec.bidirectional) {
    throw new RangeError('sampler: needs a unidirectional token net with a softmax-ce head on every step over its vocabulary')
  }
  const V = spec.vocabSize
  const H = spec.hiddenSize
  const L = spec.numLayers
  const lstm = spec.cell === 'lstm'
  const IO = RECURRENT_SAMPLER_IO
  const g = new GraphBuilder('engram_recurrent_sampler')
  const w = embedRecurrentWeights(g, net, weightMode(opts))
  const token = g.input(IO.token, 'int64', ['batch'], 'the token fed first (the prompt’s last)')
  let h0 = g.input(IO.h0, 'float32', [L, 'batch', H])
  let c0 = lstm ? g.input(IO.c0, 'float32', [L, 'batch', H]) : null
  if (opts.prompt) {
    // The prompt as a Loop of single steps (a Loop of zero trips passes the state through; an LSTM op over an empty
    // sequence does not run).
    const prompt = g.input(IO.prompt, 'int64', ['prompt', 'batch'], 'tokens run before `token` (P may be 0)')
    const pb = g.subgraph('prompt_body')
    const pIter = pb.input('prompt_iter', 'int64', [])
    const pCond = pb.input('prompt_cond', 'bool', [])
    const ph = pb.input('prompt_h', 'float32', [L, 'batch', H])
    const pc = lstm ? pb.input('prompt_c', 'float32', [L, 'batch', H]) : null
    const px = pb.node('Unsqueeze', [pb.node('Gather', [w.embedding!, pb.node('Gather', [prompt, pIter], { axis: 0 })], { axis: 0 }), pb.constInt64([0], 'prompt_seq_axis')])
    const pr = emitRecurrentLayers(pb, spec, w, px, ph, pc)
    pb.output('prompt_cond_out', 'bool', [], { from: pCond })
    pb.output('prompt_h_out', 'float32', [L, 'batch', H], { from: pr.hn })
    if (lstm) pb.output('prompt_c_out', 'float32', [L, 'batch', H], { from: pr.cn! })
    const pTrip = g.node('Gather', [g.node('Shape', [prompt]), g.constInt64(0, 'prompt_dim0')], { axis: 0 })
    const po = g.node('Loop', [pTrip, g.constBool(true), h0, ...(lstm ? [c0!] : [])], { body: pb }, lstm ? 2 : 1)
    h0 = po[0]!
    c0 = lstm ? po[1]! : null
  }
  const uniforms = g.input(IO.uniforms, 'float32', ['length', 'batch'], 'uniform [0, 1) per draw')
  const temperature = g.input(IO.temperature, 'float32', [], '0: argmax')
  const topK = g.input(IO.topK, 'int64', [1], 'keep the k most likely tokens (the vocabulary size for all)')
  const trip = g.node('Gather', [g.node('Shape', [uniforms]), g.constInt64(0, 'dim0')], { axis: 0 })
  const range = g.constant(tensor.float32(Array.from({ length: V }, (_, i) => i), [V]), 'vocab_range')
  const body = g.subgraph('sampler_body')
  const iter = body.input('sampler_iter', 'int64', [])
  const cond = body.input('sampler_cond', 'bool', [])
  const tok = body.input('sampler_token', 'int64', ['batch'])
  const h = body.input('sampler_h', 'float32', [L, 'batch', H])
  const c = lstm ? body.input('sampler_c', 'float32', [L, 'batch', H]) : null
  const x = body.node('Unsqueeze', [body.node('Gather', [w.embedding!, tok], { axis: 0 }), body.constInt64([0], 'seq_axis')])
  const r = emitRecurrentLayers(body, spec, w, x, h, c)
  const logits = body.node('Add', [body.node('MatMul', [body.node('Squeeze', [r.y, body.constInt64([0], 'seq_axis_sq')]), w.head!.weightT]), w.head!.bias])
  const best = body.node('ArgMax', [logits], { axis: 1, keepdims: 0 })
  const scaled = body.node('Div', [logits, body.node('Max', [temperature, body.constFloat(1e-30, 'tiny')])])
  const kth = body.node('ReduceMin', [body.node('TopK', [scaled, topK], { axis: 1 }, 2)[0]!], { axes: [1], keepdims: 1 })
  const keep = body.node('GreaterOrEqual', [scaled, kth])
  const p = body.node('Softmax', [body.node('Where', [keep, scaled, body.constFloat(-Infinity, 'minus_inf')])], { axis: 1 })
  const cdf = body.node('CumSum', [p, body.constInt64(1, 'cum_axis')])
  const u = body.node('Unsqueeze', [body.node('Gather', [uniforms, iter], { axis: 0 }), body.constInt64([1], 'u_axis')])
  // The first index whose CDF exceeds u; past the end (rounding), the last token with p > 0.
  const drawn = body.node('ReduceSum', [body.node('Cast', [body.node('LessOrEqual', [cdf, u])], { to: 7 }), body.constInt64([1], 'sum_axis')], { keepdims: 0 })
  const lastNonZero = body.node('Cast', [body.node('ReduceMax', [body.node('Where', [body.node('Greater', [p, body.constFloat(0, 'zero')]), range, body.constFloat(0, 'zero_f')])], { axes: [1], keepdims: 0 })], { to: 7 })
  const sampled = body.node('Min', [drawn, lastNonZero])
  const next = body.node('Where', [body.node('Greater', [temperature, body.constFloat(0, 'zero_t')]), sampled, best])
  body.output('sampler_cond_out', 'bool', [], { from: cond })
  body.output('sampler_token_out', 'int64', ['batch'], { from: next })
  body.output('sampler_h_out', 'float32', [L, 'batch', H], { from: r.hn })
  if (lstm) body.output('sampler_c_out', 'float32', [L, 'batch', H], { from: r.cn! })
  body.output('sampler_tokens_scan', 'int64', ['batch'], { from: next })
  body.output('sampler_argmax_scan', 'int64', ['batch'], { from: best })
  const carried = lstm ? [token, h0, c0!] : [token, h0]
  const outs = g.node('Loop', [trip, g.constBool(true), ...carried], { body }, carried.length + 2)
  g.output(IO.tokens, 'int64', ['length', 'batch'], { from: outs[carried.length]! })
  g.output(IO.argmax, 'int64', ['length', 'batch'], { from: outs[carried.length + 1]! })
  g.output(IO.hn, 'float32', [L, 'batch', H], { from: outs[1]! })
  if (lstm) g.output(IO.cn, 'float32', [L, 'batch', H], { from: outs[2]! })
  return buildModel({ graph: g, metadata: { ...recurrentMetadata(spec, opts.metadata), program: 'sample' } })
}
