// Recurrent network specification: cell kinds and variants, validation, PyTorch parameter names and shapes, seeded init.
// Reference: seeds/000 and seeds/002 (LSTM, GRU), seeds/003 (peephole, coupled gates, GRU variants); PyTorch nn.RNN /
// nn.LSTM / nn.GRU (parameter names, gate order, U(−1/√H, 1/√H) init); Gers & Schmidhuber 2000 (peepholes);
// Cho et al. 2014 (original GRU: reset applied before the recurrent product).
// Legend: I input size (embedding size for token input), H hidden size, L layers, D directions (1 or 2), G gates per cell
// (RNN 1; LSTM 4 = i,f,g,o; coupled LSTM 3 = i,g,o; GRU 3 = r,z,n), V vocabulary, O head outputs, T steps, B batch.
// Tensors are row-major. Parameter names are PyTorch's: weight_ih_l{k}[_reverse] [G·H, I_k], weight_hh_l{k} [G·H, H],
// bias_ih_l{k} [G·H], bias_hh_l{k} [G·H]; Engram's extras: weight_peephole_l{k} [P·H] (P = 3 gates i,f,o; 2 = i,o when
// coupled), embedding.weight [V, I], head.weight [O, D·H], head.bias [O].

import type { Rng } from '../rng'

export type CellKind = 'rnn' | 'lstm' | 'gru'
export type RnnNonlinearity = 'tanh' | 'relu'
/**
 * 'pytorch': n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn)) (ONNX linear_before_reset = 1); 'original': n = tanh(W_n x + b_in +
 * U_n (r ⊙ h) + b_hn). Both: h' = (1 − z) ⊙ n + z ⊙ h (Cho et al., PyTorch, ONNX: z ≈ 1 keeps the past; seeds/002 words
 * it the other way round, i.e. its z is 1 − z here).
 */
export type GruForm = 'pytorch' | 'original'
export type HeadLoss = 'softmax-ce' | 'mse'

export interface HeadSpec {
  /** O: classes (softmax-ce) or regression targets (mse). */
  outputSize: number
  loss: HeadLoss
  /** 'all': one output per time step (many-to-many); 'last': the last step's output only (many-to-one). */
  on: 'all' | 'last'
}

export interface RecurrentSpec {
  cell: CellKind
  /** RNN only; default 'tanh'. */
  nonlinearity?: RnnNonlinearity
  /** LSTM only: gates see the cell state (i, f on c_{t−1}; o on c_t). */
  peephole?: boolean
  /** LSTM only: f = 1 − i (one gate decides both what to forget and what to write). */
  coupled?: boolean
  /** GRU only; default 'pytorch'. */
  gruForm?: GruForm
  /** I: input features, or the embedding size when vocabSize is set. */
  inputSize: number
  hiddenSize: number
  numLayers: number
  bidirectional: boolean
  /** Dropout probability on the outputs of every layer but the last (training only), as in PyTorch. */
  dropout: number
  /** Token input: an embedding table [V, I] maps token ids to inputs. */
  vocabSize?: number
  head?: HeadSpec
}

export class RecurrentSpecError extends Error {
  constructor(
    readonly field: string,
    message: string
  ) {
    super(`recurrent spec: ${field} ${message}`)
    this.name = 'RecurrentSpecError'
  }
}

function positiveInt(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new RecurrentSpecError(field, `must be a positive integer, got ${String(v)}`)
}

function oneOf(field: string, v: unknown, allowed: readonly unknown[]): void {
  if (!allowed.includes(v)) throw new RecurrentSpecError(field, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`)
}

/** Throws RecurrentSpecError naming the first bad field. */
export function validateSpec(spec: RecurrentSpec): void {
  if (typeof spec !== 'object' || spec === null) throw new RecurrentSpecError('spec', 'must be an object')
  oneOf('cell', spec.cell, ['rnn', 'lstm', 'gru'])
  if (spec.nonlinearity !== undefined) {
    if (spec.cell !== 'rnn') throw new RecurrentSpecError('nonlinearity', `applies to cell "rnn" only, not "${spec.cell}"`)
    oneOf('nonlinearity', spec.nonlinearity, ['tanh', 'relu'])
  }
  for (const f of ['peephole', 'coupled'] as const) {
    if (spec[f] !== undefined) {
      if (typeof spec[f] !== 'boolean') throw new RecurrentSpecError(f, `must be a boolean, got ${String(spec[f])}`)
      if (spec[f] && spec.cell !== 'lstm') throw new RecurrentSpecError(f, `applies to cell "lstm" only, not "${spec.cell}"`)
    }
  }
  if (spec.gruForm !== undefined) {
    if (spec.cell !== 'gru') throw new RecurrentSpecError('gruForm', `applies to cell "gru" only, not "${spec.cell}"`)
    oneOf('gruForm', spec.gruForm, ['pytorch', 'original'])
  }
  positiveInt('inputSize', spec.inputSize)
  positiveInt('hiddenSize', spec.hiddenSize)
  positiveInt('numLayers', spec.numLayers)
  if (typeof spec.bidirectional !== 'boolean') throw new RecurrentSpecError('bidirectional', `must be a boolean, got ${String(spec.bidirectional)}`)
  if (typeof spec.dropout !== 'number' || !(spec.dropout >= 0 && spec.dropout < 1)) {
    throw new RecurrentSpecError('dropout', `must be a number in [0, 1), got ${String(spec.dropout)}`)
  }
  if (spec.vocabSize !== undefined) positiveInt('vocabSize', spec.vocabSize)
  if (spec.head !== undefined) {
    positiveInt('head.outputSize', spec.head.outputSize)
    oneOf('head.loss', spec.head.loss, ['softmax-ce', 'mse'])
    oneOf('head.on', spec.head.on, ['all', 'last'])
  }
}

export function directions(spec: RecurrentSpec): 1 | 2 {
  return spec.bidirectional ? 2 : 1
}

/** G: gate blocks in weight_ih / weight_hh. */
export function gateCount(spec: RecurrentSpec): number {
  if (spec.cell === 'rnn') return 1
  if (spec.cell === 'gru') return 3
  return spec.coupled ? 3 : 4
}

/** P: peephole vectors (i, f, o; i, o when coupled), 0 without peepholes. */
export function peepholeCount(spec: RecurrentSpec): number {
  if (spec.cell !== 'lstm' || !spec.peephole) return 0
  return spec.coupled ? 2 : 3
}

/** Input size of layer k: I for the first, D·H above. */
export function layerInputSize(spec: RecurrentSpec, layer: number): number {
  return layer === 0 ? spec.inputSize : directions(spec) * spec.hiddenSize
}

export interface LayerParamNames {
  weightIh: string
  weightHh: string
  biasIh: string
  biasHh: string
  peephole: string | null
}

export function layerParamNames(spec: RecurrentSpec, layer: number, direction: number): LayerParamNames {
  const sfx = `_l${layer}${direction === 1 ? '_reverse' : ''}`
  return {
    weightIh: `weight_ih${sfx}`,
    weightHh: `weight_hh${sfx}`,
    biasIh: `bias_ih${sfx}`,
    biasHh: `bias_hh${sfx}`,
    peephole: peepholeCount(spec) > 0 ? `weight_peephole${sfx}` : null
  }
}

/** Every parameter's shape, in a fixed order (PyTorch's for the recurrent ones). */
export function paramShapes(spec: RecurrentSpec): Map<string, number[]> {
  const shapes = new Map<string, number[]>()
  const H = spec.hiddenSize
  const GH = gateCount(spec) * H
  if (spec.vocabSize !== undefined) shapes.set('embedding.weight', [spec.vocabSize, spec.inputSize])
  for (let k = 0; k < spec.numLayers; k++) {
    for (let d = 0; d < directions(spec); d++) {
      const n = layerParamNames(spec, k, d)
      shapes.set(n.weightIh, [GH, layerInputSize(spec, k)])
      shapes.set(n.weightHh, [GH, H])
      shapes.set(n.biasIh, [GH])
      shapes.set(n.biasHh, [GH])
      if (n.peephole) shapes.set(n.peephole, [peepholeCount(spec) * H])
    }
  }
  if (spec.head) {
    shapes.set('head.weight', [spec.head.outputSize, directions(spec) * H])
    shapes.set('head.bias', [spec.head.outputSize])
  }
  return shapes
}

export type Params = Record<string, Float64Array>

export interface RecurrentNet {
  spec: RecurrentSpec
  params: Params
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

/**
 * PyTorch's initialisation, from `rng`: recurrent weights, biases and peepholes U(−1/√H, 1/√H); embedding N(0, 1);
 * head U(−1/√fan_in, 1/√fan_in). (The draws are Engram's, not torch's: the same seed gives the same net in Engram.)
 */
export function initRecurrentNet(spec: RecurrentSpec, rng: Rng): RecurrentNet {
  validateSpec(spec)
  const params: Params = {}
  const k = 1 / Math.sqrt(spec.hiddenSize)
  for (const [name, shape] of paramShapes(spec)) {
    const a = new Float64Array(size(shape))
    if (name === 'embedding.weight') for (let i = 0; i < a.length; i++) a[i] = rng.normal()
    else {
      const bound = name.startsWith('head.') ? 1 / Math.sqrt(directions(spec) * spec.hiddenSize) : k
      for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound
    }
    params[name] = a
  }
  return { spec, params }
}

/** Checks that `params` has exactly the spec's tensors with the right sizes and finite values; throws naming the tensor. */
export function checkParams(spec: RecurrentSpec, params: Params): void {
  validateSpec(spec)
  const shapes = paramShapes(spec)
  for (const name of Object.keys(params)) if (!shapes.has(name)) throw new RecurrentSpecError(`params.${name}`, 'is not a parameter of this spec')
  for (const [name, shape] of shapes) {
    const a = params[name]
    if (!(a instanceof Float64Array)) throw new RecurrentSpecError(`params.${name}`, 'is missing or not a Float64Array')
    if (a.length !== size(shape)) throw new RecurrentSpecError(`params.${name}`, `has ${a.length} values, shape [${shape.join(', ')}] needs ${size(shape)}`)
  }
}

export function cloneParams(params: Params): Params {
  const out: Params = {}
  for (const [k, v] of Object.entries(params)) out[k] = Float64Array.from(v)
  return out
}

export function zerosLike(params: Params): Params {
  const out: Params = {}
  for (const [k, v] of Object.entries(params)) out[k] = new Float64Array(v.length)
  return out
}
