// Recurrent network forward pass and full backpropagation through time (exact float64 reference).
// Reference: seeds/002 (RNN forward/backward, bidirectional RNN, embeddings, LSTM, GRU), seeds/003 (LSTM forward and
// backward pass: δc, δi, δf, δo, δz, δW = Σ_t δz^t (I^t)ᵀ), seeds/000 (LSTM equations); PyTorch's nn.RNN/LSTM/GRU
// semantics (stacking, dropout between layers, bidirectional output [forward | reverse]); ONNX LSTM (peepholes: i, f
// on c_{t−1}, o on c_t; input_forget: f = 1 − i).
// Legend (spec.ts): T steps, B batch, I_k layer input size, H hidden, G gates, D directions, L layers, O head outputs.
// Layouts: input [T, B, I], tokens [T, B], output [T, B, D·H] (forward half first), h0/hn/c0/cn [L·D, B, H] with row
// k·D + d, logits [T, B, O] (head.on 'all') or [B, O] ('last'). Pre-activations: a = W_ih x + b_ih, u = W_hh h + b_hh.
// RNN: h' = φ(a + u). LSTM: i = σ(a_i + u_i + p_i⊙c), f = σ(a_f + u_f + p_f⊙c) (coupled: 1 − i), g = tanh(a_g + u_g),
// c' = f⊙c + i⊙g, o = σ(a_o + u_o + p_o⊙c'), h' = o⊙tanh(c'). GRU: r = σ(a_r + u_r), z = σ(a_z + u_z),
// n = tanh(a_n + r⊙u_n) (pytorch) or tanh(a_n + U_n(r⊙h) + b_hn) (original), h' = (1 − z)⊙n + z⊙h.

import type { Rng } from '../rng'
import {
  checkParams,
  directions,
  gateCount,
  layerInputSize,
  layerParamNames,
  zerosLike,
  type Params,
  type RecurrentNet,
  type RecurrentSpec
} from './spec'

export type Precision = 'float64' | 'float32'

/** A non-finite value in the forward pass, the backward pass or training: `where` names the step and the tensor. */
export class NonFiniteError extends Error {
  constructor(
    readonly where: { tensor: string; step?: number; time?: number; index: number; value: number },
    context = ''
  ) {
    const at = [where.step !== undefined ? `training step ${where.step}` : '', where.time !== undefined ? `time step ${where.time}` : '']
      .filter(Boolean)
      .join(', ')
    super(`non-finite value ${where.value} in ${where.tensor}[${where.index}]${at ? ` at ${at}` : ''}${context ? ` (${context})` : ''}`)
    this.name = 'NonFiniteError'
  }
}

/** Index of the first NaN/±Inf in `a`, or −1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i
  return -1
}

export interface SequenceBatch {
  /** T */
  steps: number
  /** B */
  batch: number
  /** [T, B, I] features (nets without an embedding). */
  input?: Float64Array
  /** [T, B] token ids (nets with an embedding). */
  tokens?: Int32Array
  /** [L·D, B, H]; zeros when absent. */
  h0?: Float64Array
  /** [L·D, B, H] (LSTM); zeros when absent. */
  c0?: Float64Array
}

export interface ForwardOptions {
  /** Training mode: dropout between layers is applied. */
  train?: boolean
  /** Draws the dropout masks in training mode (required when spec.dropout > 0 and train). */
  rng?: Rng
  /** Explicit dropout masks for layers 0..L−2, [T, B, D·H] of 0 or 1/(1 − p) (tests, replays). */
  dropoutMasks?: Float64Array[]
  /** 'float32' rounds every stored value (weights, inputs, states, gates) to float32. */
  precision?: Precision
}

interface DirectionCache {
  /** [(T+1), B, H] in processing order: row 0 is the initial state. */
  hs: Float64Array
  cs: Float64Array | null
  /** [T, B, S] per-step values the backward pass needs (LSTM: gates + tanh c'; GRU: r, z, n, u_n). */
  saved: Float64Array
}

interface LayerCache {
  input: Float64Array
  dirs: DirectionCache[]
  /** [T, B, D·H] before dropout. */
  output: Float64Array
  mask: Float64Array | null
}

export interface ForwardResult {
  /** Last layer's output [T, B, D·H]. */
  output: Float64Array
  hn: Float64Array
  cn: Float64Array | null
  logits: Float64Array | null
  /** Internal: what backward() needs. */
  cache: { layers: LayerCache[]; batch: SequenceBatch; precision: Precision; params: Params }
}

type Round = (x: number) => number
const identity: Round = (x) => x

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))
}

function savedSize(spec: RecurrentSpec): number {
  const H = spec.hiddenSize
  if (spec.cell === 'lstm') return gateCount(spec) * H + H
  if (spec.cell === 'gru') return 4 * H
  return 0
}

function roundedParams(params: Params, round: Round): Params {
  if (round === identity) return params
  const out: Params = {}
  for (const [k, v] of Object.entries(params)) out[k] = v.map(round)
  return out
}

function checkBatch(spec: RecurrentSpec, b: SequenceBatch): void {
  const { steps: T, batch: B } = b
  if (!Number.isSafeInteger(T) || T < 1) throw new RangeError(`batch.steps must be a positive integer, got ${T}`)
  if (!Number.isSafeInteger(B) || B < 1) throw new RangeError(`batch.batch must be a positive integer, got ${B}`)
  if (spec.vocabSize !== undefined) {
    if (!(b.tokens instanceof Int32Array) || b.tokens.length !== T * B) throw new RangeError(`batch.tokens must be an Int32Array of T·B = ${T * B} token ids`)
    for (let i = 0; i < b.tokens.length; i++) {
      const v = b.tokens[i]!
      if (v < 0 || v >= spec.vocabSize) throw new RangeError(`batch.tokens[${i}] = ${v} is outside the vocabulary 0..${spec.vocabSize - 1}`)
    }
  } else if (!(b.input instanceof Float64Array) || b.input.length !== T * B * spec.inputSize) {
    throw new RangeError(`batch.input must be a Float64Array of T·B·I = ${T * B * spec.inputSize} values`)
  }
  const n = spec.numLayers * directions(spec) * B * spec.hiddenSize
  if (b.h0 !== undefined && b.h0.length !== n) throw new RangeError(`batch.h0 must have L·D·B·H = ${n} values, got ${b.h0.length}`)
  if (b.c0 !== undefined) {
    if (spec.cell !== 'lstm') throw new RangeError('batch.c0 applies to LSTM nets only')
    if (b.c0.length !== n) throw new RangeError(`batch.c0 must have L·D·B·H = ${n} values, got ${b.c0.length}`)
  }
}

function throwIfNonFinite(a: Float64Array, tensor: string, time: number | undefined, context: string): void {
  const i = firstNonFinite(a)
  if (i >= 0) throw new NonFiniteError(time === undefined ? { tensor, index: i, value: a[i]! } : { tensor, time, index: i, value: a[i]! }, context)
}

/** Layer input [T, B, I]: the batch's features, or embedding rows for its tokens. */
function firstLayerInput(spec: RecurrentSpec, p: Params, b: SequenceBatch, round: Round): Float64Array {
  if (spec.vocabSize === undefined) return round === identity ? b.input! : b.input!.map(round)
  const I = spec.inputSize
  const E = p['embedding.weight']!
  const x = new Float64Array(b.steps * b.batch * I)
  for (let n = 0; n < b.steps * b.batch; n++) x.set(E.subarray(b.tokens![n]! * I, (b.tokens![n]! + 1) * I), n * I)
  return x
}

/** One direction of one layer over the whole sequence. Writes h into `output` columns d·H..(d+1)·H. */
function runDirection(
  spec: RecurrentSpec,
  p: Params,
  layer: number,
  d: number,
  x: Float64Array,
  T: number,
  B: number,
  h0: Float64Array,
  c0: Float64Array | null,
  output: Float64Array,
  round: Round
): DirectionCache {
  const H = spec.hiddenSize
  const I = layerInputSize(spec, layer)
  const D = directions(spec)
  const G = gateCount(spec)
  const GH = G * H
  const S = savedSize(spec)
  const names = layerParamNames(spec, layer, d)
  const Wih = p[names.weightIh]!
  const Whh = p[names.weightHh]!
  const bih = p[names.biasIh]!
  const bhh = p[names.biasHh]!
  const peep = names.peephole ? p[names.peephole]! : null
  const hs = new Float64Array((T + 1) * B * H)
  const cs = spec.cell === 'lstm' ? new Float64Array((T + 1) * B * H) : null
  const saved = new Float64Array(T * B * S)
  hs.set(h0)
  if (cs && c0) cs.set(c0)
  const a = new Float64Array(GH)
  const u = new Float64Array(GH)
  const coupled = spec.cell === 'lstm' && !!spec.coupled
  const relu = spec.nonlinearity === 'relu'
  const original = spec.gruForm === 'original'
  const label = `layer ${layer}${d === 1 ? ' reverse' : ''}`
  for (let s = 0; s < T; s++) {
    const t = d === 0 ? s : T - 1 - s
    for (let b = 0; b < B; b++) {
      const xo = (t * B + b) * I
      const hp = (s * B + b) * H
      const hn = ((s + 1) * B + b) * H
      for (let r = 0; r < GH; r++) {
        let acc = bih[r]!
        const wo = r * I
        for (let c = 0; c < I; c++) acc += Wih[wo + c]! * x[xo + c]!
        a[r] = acc
        let accH = bhh[r]!
        const uo = r * H
        // The original GRU multiplies the reset gate in before U_n: its n block is filled below.
        if (!(original && r >= 2 * H)) for (let c = 0; c < H; c++) accH += Whh[uo + c]! * hs[hp + c]!
        u[r] = accH
      }
      const sv = (s * B + b) * S
      if (spec.cell === 'rnn') {
        for (let j = 0; j < H; j++) {
          const z = a[j]! + u[j]!
          hs[hn + j] = round(relu ? Math.max(0, z) : Math.tanh(z))
        }
      } else if (spec.cell === 'lstm') {
        const cp = cs!
        const [bi, bf, bg, bo] = coupled ? [0, -1, 1, 2] : [0, 1, 2, 3]
        const [pi, pf, po] = coupled ? [0, -1, 1] : [0, 1, 2]
        for (let j = 0; j < H; j++) {
          const c = cp[hp + j]!
          const iv = round(sigmoid(a[bi * H + j]! + u[bi * H + j]! + (peep ? peep[pi * H + j]! * c : 0)))
          const fv = coupled ? round(1 - iv) : round(sigmoid(a[bf * H + j]! + u[bf * H + j]! + (peep ? peep[pf * H + j]! * c : 0)))
          const gv = round(Math.tanh(a[bg * H + j]! + u[bg * H + j]!))
          const cNew = round(fv * c + iv * gv)
          const ov = round(sigmoid(a[bo * H + j]! + u[bo * H + j]! + (peep ? peep[po * H + j]! * cNew : 0)))
          const tc = round(Math.tanh(cNew))
          cp[hn + j] = cNew
          hs[hn + j] = round(ov * tc)
          saved[sv + bi * H + j] = iv
          if (!coupled) saved[sv + bf * H + j] = fv
          saved[sv + bg * H + j] = gv
          saved[sv + bo * H + j] = ov
          saved[sv + GH + j] = tc
        }
      } else {
        const rv = new Float64Array(H)
        for (let j = 0; j < H; j++) {
          rv[j] = round(sigmoid(a[j]! + u[j]!))
          saved[sv + j] = rv[j]!
          saved[sv + H + j] = round(sigmoid(a[H + j]! + u[H + j]!))
        }
        if (original) {
          for (let j = 0; j < H; j++) {
            let acc = bhh[2 * H + j]!
            const uo = (2 * H + j) * H
            for (let c = 0; c < H; c++) acc += Whh[uo + c]! * rv[c]! * hs[hp + c]!
            u[2 * H + j] = acc
          }
        }
        for (let j = 0; j < H; j++) {
          const un = round(u[2 * H + j]!)
          const nv = round(Math.tanh(a[2 * H + j]! + (original ? un : rv[j]! * un)))
          const zv = saved[sv + H + j]!
          saved[sv + 2 * H + j] = nv
          saved[sv + 3 * H + j] = un
          hs[hn + j] = round((1 - zv) * nv + zv * hs[hp + j]!)
        }
      }
      output.set(hs.subarray(hn, hn + H), (t * B + b) * D * H + d * H)
    }
    throwIfNonFinite(hs.subarray((s + 1) * B * H, (s + 2) * B * H), `h (${label})`, t, 'forward')
    if (cs) throwIfNonFinite(cs.subarray((s + 1) * B * H, (s + 2) * B * H), `c (${label})`, t, 'forward')
  }
  return { hs, cs, saved }
}

function dropoutMask(spec: RecurrentSpec, n: number, rng: Rng): Float64Array {
  const m = new Float64Array(n)
  const keep = 1 / (1 - spec.dropout)
  for (let i = 0; i < n; i++) m[i] = rng.next() < spec.dropout ? 0 : keep
  return m
}

/** Forward pass over a sequence batch (and the head, when the spec has one). Throws NonFiniteError naming the time step. */
export function forward(net: RecurrentNet, batch: SequenceBatch, opts: ForwardOptions = {}): ForwardResult {
  const { spec } = net
  checkParams(spec, net.params)
  checkBatch(spec, batch)
  const precision = opts.precision ?? 'float64'
  const round: Round = precision === 'float32' ? Math.fround : identity
  const p = roundedParams(net.params, round)
  const { steps: T, batch: B } = batch
  const H = spec.hiddenSize
  const D = directions(spec)
  const L = spec.numLayers
  const hn = new Float64Array(L * D * B * H)
  const cn = spec.cell === 'lstm' ? new Float64Array(L * D * B * H) : null
  const layers: LayerCache[] = []
  let x = firstLayerInput(spec, p, batch, round)
  const useDropout = !!opts.train && spec.dropout > 0 && L > 1
  if (useDropout && !opts.dropoutMasks && !opts.rng) throw new RangeError('forward: training with dropout needs opts.rng (or opts.dropoutMasks)')
  for (let k = 0; k < L; k++) {
    const output = new Float64Array(T * B * D * H)
    const dirs: DirectionCache[] = []
    for (let d = 0; d < D; d++) {
      const row = (k * D + d) * B * H
      const h0 = batch.h0 ? batch.h0.subarray(row, row + B * H).map(round) : new Float64Array(B * H)
      const c0 = spec.cell === 'lstm' ? (batch.c0 ? batch.c0.subarray(row, row + B * H).map(round) : new Float64Array(B * H)) : null
      const dc = runDirection(spec, p, k, d, x, T, B, h0, c0, output, round)
      dirs.push(dc)
      hn.set(dc.hs.subarray(T * B * H), row)
      if (cn) cn.set(dc.cs!.subarray(T * B * H), row)
    }
    let mask: Float64Array | null = null
    let next = output
    if (useDropout && k < L - 1) {
      mask = opts.dropoutMasks?.[k] ?? dropoutMask(spec, output.length, opts.rng!)
      if (mask.length !== output.length) throw new RangeError(`dropoutMasks[${k}] must have T·B·D·H = ${output.length} values`)
      next = output.map((v, i) => round(v * mask![i]!))
    }
    layers.push({ input: x, dirs, output, mask })
    x = next
  }
  const output = layers[L - 1]!.output
  const logits = spec.head ? headForward(spec, p, output, T, B, round) : null
  if (logits) throwIfNonFinite(logits, 'logits', undefined, 'forward')
  return { output, hn, cn, logits, cache: { layers, batch, precision, params: p } }
}

function headForward(spec: RecurrentSpec, p: Params, output: Float64Array, T: number, B: number, round: Round): Float64Array {
  const head = spec.head!
  const O = head.outputSize
  const DH = directions(spec) * spec.hiddenSize
  const W = p['head.weight']!
  const bias = p['head.bias']!
  const rows = head.on === 'all' ? T * B : B
  const offset = head.on === 'all' ? 0 : (T - 1) * B * DH
  const logits = new Float64Array(rows * O)
  for (let n = 0; n < rows; n++) {
    const yo = offset + n * DH
    for (let o = 0; o < O; o++) {
      let acc = bias[o]!
      for (let c = 0; c < DH; c++) acc += W[o * DH + c]! * output[yo + c]!
      logits[n * O + o] = round(acc)
    }
  }
  return logits
}

export interface BackwardSeeds {
  /** ∂loss/∂logits (nets with a head). */
  dLogits?: Float64Array
  /** ∂loss/∂output [T, B, D·H] (added to what the head sends back). */
  dOutput?: Float64Array
  /** ∂loss/∂hn [L·D, B, H]. */
  dHn?: Float64Array
  /** ∂loss/∂cn [L·D, B, H] (LSTM). */
  dCn?: Float64Array
  /** Also return ∂loss/∂h_t for every step (Gradients.hidden): how strongly the loss responds to each step's state. */
  hiddenGrads?: boolean
}

export interface Gradients {
  params: Params
  /** ∂loss/∂input [T, B, I] (nets without an embedding). */
  input: Float64Array | null
  h0: Float64Array
  c0: Float64Array | null
  /**
   * With seeds.hiddenGrads: ∂loss/∂h_t [L·D, T, B, H] in time order, the total over every path from h_t (its output
   * and the later steps); null otherwise.
   */
  hidden: Float64Array | null
}

/** Full BPTT: gradients of every parameter, the input and the initial states, from the seeds given. */
export function backward(net: RecurrentNet, fwd: ForwardResult, seeds: BackwardSeeds): Gradients {
  const { spec } = net
  const { layers, batch, params: p } = fwd.cache
  const { steps: T, batch: B } = batch
  const H = spec.hiddenSize
  const D = directions(spec)
  const L = spec.numLayers
  const DH = D * H
  const grads = zerosLike(net.params)
  const dh0 = new Float64Array(L * D * B * H)
  const dc0 = spec.cell === 'lstm' ? new Float64Array(L * D * B * H) : null
  let dY = new Float64Array(T * B * DH)
  if (seeds.dOutput) {
    if (seeds.dOutput.length !== dY.length) throw new RangeError(`dOutput must have T·B·D·H = ${dY.length} values`)
    dY.set(seeds.dOutput)
  }
  if (seeds.dLogits) {
    if (!spec.head) throw new RangeError('dLogits given but the spec has no head')
    headBackward(spec, p, fwd.output, seeds.dLogits, dY, grads, T, B)
  }
  let dInput: Float64Array | null = null
  const hidden = seeds.hiddenGrads ? new Float64Array(L * D * T * B * H) : null
  for (let k = L - 1; k >= 0; k--) {
    const lc = layers[k]!
    const I = layerInputSize(spec, k)
    const dX = new Float64Array(T * B * I)
    for (let d = 0; d < D; d++) {
      const row = (k * D + d) * B * H
      const dhn = seeds.dHn ? seeds.dHn.subarray(row, row + B * H) : null
      const dcn = seeds.dCn ? seeds.dCn.subarray(row, row + B * H) : null
      const out = hidden ? hidden.subarray((k * D + d) * T * B * H, (k * D + d + 1) * T * B * H) : null
      const r = backDirection(spec, p, grads, k, d, lc, dY, dX, T, B, dhn, dcn, out)
      dh0.set(r.dh, row)
      if (dc0 && r.dc) dc0.set(r.dc, row)
    }
    if (k > 0) {
      const m = layers[k - 1]!.mask
      dY = m ? dX.map((v, i) => v * m[i]!) : dX
    } else dInput = dX
  }
  if (spec.vocabSize !== undefined) {
    const I = spec.inputSize
    const dE = grads['embedding.weight']!
    for (let n = 0; n < T * B; n++) {
      const row = batch.tokens![n]! * I
      for (let c = 0; c < I; c++) dE[row + c]! += dInput![n * I + c]!
    }
    dInput = null
  }
  return { params: grads, input: dInput, h0: dh0, c0: dc0, hidden }
}

function headBackward(spec: RecurrentSpec, p: Params, output: Float64Array, dLogits: Float64Array, dY: Float64Array, grads: Params, T: number, B: number): void {
  const head = spec.head!
  const O = head.outputSize
  const DH = directions(spec) * spec.hiddenSize
  const rows = head.on === 'all' ? T * B : B
  if (dLogits.length !== rows * O) throw new RangeError(`dLogits must have ${rows * O} values`)
  const offset = head.on === 'all' ? 0 : (T - 1) * B * DH
  const W = p['head.weight']!
  const dW = grads['head.weight']!
  const db = grads['head.bias']!
  for (let n = 0; n < rows; n++) {
    const yo = offset + n * DH
    for (let o = 0; o < O; o++) {
      const g = dLogits[n * O + o]!
      if (g === 0) continue
      db[o]! += g
      for (let c = 0; c < DH; c++) {
        dW[o * DH + c]! += g * output[yo + c]!
        dY[yo + c]! += g * W[o * DH + c]!
      }
    }
  }
}

function backDirection(
  spec: RecurrentSpec,
  p: Params,
  grads: Params,
  layer: number,
  d: number,
  lc: LayerCache,
  dY: Float64Array,
  dX: Float64Array,
  T: number,
  B: number,
  dhn: Float64Array | null,
  dcn: Float64Array | null,
  hiddenOut: Float64Array | null = null
): { dh: Float64Array; dc: Float64Array | null } {
  const H = spec.hiddenSize
  const I = layerInputSize(spec, layer)
  const D = directions(spec)
  const GH = gateCount(spec) * H
  const S = savedSize(spec)
  const names = layerParamNames(spec, layer, d)
  const Wih = p[names.weightIh]!
  const Whh = p[names.weightHh]!
  const peep = names.peephole ? p[names.peephole]! : null
  const dWih = grads[names.weightIh]!
  const dWhh = grads[names.weightHh]!
  const dbih = grads[names.biasIh]!
  const dbhh = grads[names.biasHh]!
  const dpeep = names.peephole ? grads[names.peephole]! : null
  const { hs, cs, saved } = lc.dirs[d]!
  const x = lc.input
  const lstm = spec.cell === 'lstm'
  const coupled = lstm && !!spec.coupled
  const original = spec.gruForm === 'original'
  const relu = spec.nonlinearity === 'relu'
  // dh, dc carried from step s+1 to s (per batch row).
  const dhCarry = dhn ? Float64Array.from(dhn) : new Float64Array(B * H)
  const dcCarry = lstm ? (dcn ? Float64Array.from(dcn) : new Float64Array(B * H)) : null
  const da = new Float64Array(GH)
  const du = new Float64Array(GH)
  const dh = new Float64Array(H)
  const dhPrev = new Float64Array(H)
  const hin = new Float64Array(H)
  for (let s = T - 1; s >= 0; s--) {
    const t = d === 0 ? s : T - 1 - s
    for (let b = 0; b < B; b++) {
      const hp = (s * B + b) * H
      const hn = ((s + 1) * B + b) * H
      const sv = (s * B + b) * S
      for (let j = 0; j < H; j++) dh[j] = dhCarry[b * H + j]! + dY[(t * B + b) * D * H + d * H + j]!
      if (hiddenOut) hiddenOut.set(dh, (t * B + b) * H)
      dhPrev.fill(0)
      if (spec.cell === 'rnn') {
        for (let j = 0; j < H; j++) {
          const h = hs[hn + j]!
          da[j] = dh[j]! * (relu ? (h > 0 ? 1 : 0) : 1 - h * h)
        }
        du.set(da)
      } else if (lstm) {
        const [bi, bf, bg, bo] = coupled ? [0, -1, 1, 2] : [0, 1, 2, 3]
        const [pi, pf, po] = coupled ? [0, -1, 1] : [0, 1, 2]
        for (let j = 0; j < H; j++) {
          const c = cs![hp + j]!
          const cNew = cs![hn + j]!
          const iv = saved[sv + bi * H + j]!
          const fv = coupled ? 1 - iv : saved[sv + bf * H + j]!
          const gv = saved[sv + bg * H + j]!
          const ov = saved[sv + bo * H + j]!
          const tc = saved[sv + GH + j]!
          const dso = dh[j]! * tc * ov * (1 - ov)
          let dcNew = dcCarry![b * H + j]! + dh[j]! * ov * (1 - tc * tc)
          if (peep) {
            dcNew += dso * peep[po * H + j]!
            dpeep![po * H + j]! += dso * cNew
          }
          let di = dcNew * gv
          const df = dcNew * c
          if (coupled) di -= df
          const dsi = di * iv * (1 - iv)
          const dsg = dcNew * iv * (1 - gv * gv)
          let dcPrev = dcNew * fv
          da[bi * H + j] = dsi
          da[bg * H + j] = dsg
          da[bo * H + j] = dso
          if (peep) {
            dcPrev += dsi * peep[pi * H + j]!
            dpeep![pi * H + j]! += dsi * c
          }
          if (!coupled) {
            const dsf = df * fv * (1 - fv)
            da[bf * H + j] = dsf
            if (peep) {
              dcPrev += dsf * peep[pf * H + j]!
              dpeep![pf * H + j]! += dsf * c
            }
          }
          dcCarry![b * H + j] = dcPrev
        }
        du.set(da)
      } else {
        // GRU: the n block of du is ∂/∂u_n; the pytorch form's u_n = U_n h + b_hn, the original's U_n (r⊙h) + b_hn.
        for (let j = 0; j < H; j++) {
          const rv = saved[sv + j]!
          const zv = saved[sv + H + j]!
          const nv = saved[sv + 2 * H + j]!
          const un = saved[sv + 3 * H + j]!
          const h = hs[hp + j]!
          const dz = dh[j]! * (h - nv)
          const dsn = dh[j]! * (1 - zv) * (1 - nv * nv)
          dhPrev[j] = dh[j]! * zv
          da[2 * H + j] = dsn
          du[2 * H + j] = original ? dsn : dsn * rv
          da[H + j] = du[H + j] = dz * zv * (1 - zv)
          // pytorch form: ∂/∂r = dsn · u_n; the original's ∂/∂r comes from U_nᵀ dsn below.
          da[j] = du[j] = original ? 0 : dsn * un * rv * (1 - rv)
        }
        if (original) {
          for (let c = 0; c < H; c++) {
            let q = 0
            for (let j = 0; j < H; j++) q += Whh[(2 * H + j) * H + c]! * du[2 * H + j]!
            const rv = saved[sv + c]!
            const h = hs[hp + c]!
            dhPrev[c]! += q * rv
            da[c] = du[c] = q * h * rv * (1 - rv)
          }
        }
      }
      // Input path: dX += W_ihᵀ da, dW_ih += da xᵀ, db_ih += da.
      const xo = (t * B + b) * I
      for (let r = 0; r < GH; r++) {
        const g = da[r]!
        dbih[r]! += g
        if (g === 0) continue
        const wo = r * I
        for (let c = 0; c < I; c++) {
          dWih[wo + c]! += g * x[xo + c]!
          dX[xo + c]! += g * Wih[wo + c]!
        }
      }
      // Hidden path: dh_prev += W_hhᵀ du, dW_hh += du h_inᵀ (h_in = r⊙h for the original GRU's n block).
      for (let r = 0; r < GH; r++) {
        const g = du[r]!
        dbhh[r]! += g
        if (g === 0) continue
        const nBlockOriginal = original && r >= 2 * H
        if (nBlockOriginal) for (let c = 0; c < H; c++) hin[c] = saved[sv + c]! * hs[hp + c]!
        const wo = r * H
        for (let c = 0; c < H; c++) {
          dWhh[wo + c]! += g * (nBlockOriginal ? hin[c]! : hs[hp + c]!)
          if (!nBlockOriginal) dhPrev[c]! += g * Whh[wo + c]!
        }
      }
      dhCarry.set(dhPrev, b * H)
    }
  }
  return { dh: dhCarry, dc: dcCarry }
}
