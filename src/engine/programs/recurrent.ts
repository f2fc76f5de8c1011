// ONNX program: recurrent-net training without unrolling (BPTT as a forward Scan and a reverse Scan), graph size
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
// Forward: a Scan over t carrying hᵀ (and cᵀ); each step does one Gemm, [W_hh | W_ih]·[h; x_t] + b (GRU: W_hh·hᵀ + b_hh,
// with Aᵀ = W_ih·x_tᵀ + b_ih made for all steps beforehand as one MatMul over [T, I, B]), and the element-wise gate ops,
// and emits h_t (c_t) and what the reverse step needs as scan outputs.
// Backward: a reverse Scan carrying (dh, dc) does only dh_{t−1}ᵀ = W_hhᵀ·dU_tᵀ (+ the direct terms) and emits dA_t, dU_t
// (gradients of A and of U = h·W_hhᵀ + b_hh; equal for LSTM and RNN); after it, dW_ih = dAᵀ·x, dW_hh = dUᵀ·h_prev,
// db_ih = Σ dA, db_hh = Σ dU and dx = dA·W_ih are single large MatMuls over all T·B rows. Inside the layer the per-step
// values are feature-major ([X, B]; see recurrentLayer).
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
  /** Time steps per Scan iteration (default DEFAULT_UNROLL); T need not be a multiple of it. */
  unroll?: number
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

/**
 * Time steps per Scan iteration. An iteration's own cost in ORT (its frame, feeds and fetches) is about 1–2 µs, so U
 * steps per iteration save little, while the Split of U steps' inputs and the Concat of their scan outputs add copies:
 * measured (docs/benchmarks.md, recurrent section) U = 2 and 4 were slower than 1 at H 128 and U = 1 stays the default.
 * Results do not depend on U (the same per-step ops, bit for bit).
 */
export const DEFAULT_UNROLL = 1
/** Upper bound on `unroll` (each step adds about 20–30 nodes to the loop bodies). */
export const MAX_UNROLL = 16

/** Time reversal of a [T, …] value (a raw node outside any loop). */
function reverseTime(g: GraphBuilder, t: Tape, v: string, T: number): string {
  return g.node('Slice', [v, t.ints([-1]), t.ints([-T - 1]), t.ints([0]), t.ints([-1])])
}

/** A vector [n] as a column [n, 1] (to broadcast over a feature-major [n, B] value). */
function col(g: GraphBuilder, v: string, n: number): string {
  return g.node('Reshape', [v, g.constInt64([n, 1])])
}

/** Rows [from, to) of a [rows, …] value. */
function rowsOf(g: GraphBuilder, t: Tape, v: string, from: number, to: number, axis = 0): string {
  return g.node('Slice', [v, t.ints([from]), t.ints([to]), t.ints([axis])])
}

/**
 * The graph one group of time steps is emitted into: a loop body, or the layer's own graph for the T mod U remainder
 * steps. Holds that graph's constants (each made once) and the values a group of steps shares (e.g. the peephole split).
 */
class StepGraph {
  private readonly memo = new Map<string, string | string[]>()

  constructor(
    readonly b: GraphBuilder,
    private readonly dtype: FloatType,
    private readonly hint: string
  ) {}

  once<V extends string | string[]>(key: string, make: () => V): V {
    let v = this.memo.get(key) as V | undefined
    if (v === undefined) {
      v = make()
      this.memo.set(key, v)
    }
    return v
  }

  ints(values: readonly number[]): string {
    return this.once(`i:${values.join(',')}`, () => this.b.constInt64(values, `${this.hint}_sizes`))
  }

  index(v: number): string {
    return this.once(`k:${v}`, () => this.b.constant(tensor.int64([v], []), `${this.hint}_t`))
  }

  scalar(v: number): string {
    return this.once(`f:${v}`, () => this.b.constant(this.dtype === 'float64' ? tensor.float64([v], []) : tensor.float32([v], []), `${this.hint}_c`))
  }

  split(v: string, sizes: readonly number[], axis: number): string[] {
    return this.b.node('Split', [v, this.ints(sizes)], { axis }, sizes.length)
  }

  /** Values of U consecutive steps ([X, B] each, feature-major) as one [U·X, B] value. */
  stack(vs: readonly string[]): string {
    return vs.length > 1 ? this.b.node('Concat', vs, { axis: 0 }) : vs[0]!
  }
}

/** Per-step values the reverse loop reads from the forward pass (and dY), each [T, B, ·] in processing order. */
type Source = 'dY' | 'saved' | 'hPrev' | 'h'

/**
 * One recurrent layer (one direction) as a tape op with a hand-written VJP (forward Scan + reverse Scan). `name` must be
 * unique in the graph (it prefixes the loop bodies' value names). Inputs: x [T,B,I], the layer's weights, h0 [B,H] and
 * c0 [B,H] (LSTM; null otherwise). `reverse` runs it over the time-reversed sequence (y still in time order).
 * Each Scan iteration processes `dims.unroll` (U) steps; the T mod U last steps in processing order run after the
 * forward Scan (and before the reverse Scan) in the layer's own graph, so any T works and results do not depend on U.
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
  const U = dims.unroll ?? DEFAULT_UNROLL
  if (!Number.isSafeInteger(U) || U < 1 || U > MAX_UNROLL) throw new RangeError(`recurrent layer ${name}: unroll must be an integer in 1…${MAX_UNROLL}, got ${U}`)
  const lstm = cell === 'lstm'
  const gru = cell === 'gru' || cell === 'gru-original'
  const original = cell === 'gru-original'
  const coupled = lstm && !!variant.coupled
  const peep = lstm ? (variant.peephole ?? null) : null
  const G = cellGates(cell, coupled)
  const dtype = t.dtype
  if (lstm !== (c0 !== null)) throw new RangeError(`recurrent layer ${name}: c0 is for LSTM layers only, and LSTM layers need it`)
  if (!lstm && (variant.peephole || variant.coupled)) throw new RangeError(`recurrent layer ${name}: peepholes and coupled gates are LSTM variants`)
  // Scan iterations and remainder steps.
  const q = Math.floor(T / U)
  const r = T - q * U
  // Gate block positions in weight rows (LSTM i,f,g,o or coupled i,g,o) and in the peephole vector (i,f,o or i,o).
  const [bi, bf, bg, bo] = coupled ? [0, -1, 1, 2] : [0, 1, 2, 3]
  const [pi, pf, po] = coupled ? [0, -1, 1] : [0, 1, 2]
  const P = coupled ? 2 : 3
  // Rows of what the forward Scan reads per step (x_tᵀ, or Aᵀ for GRU).
  const XA = gru ? G * H : I
  // Rows a forward step saves for the reverse one: LSTM its factors (lstmFactors), the PyTorch GRU its factors
  // (gruFactors), the original GRU [r, z, n, u_n].
  const K = lstm ? (G + 2) * H : cell === 'gru' ? 5 * H : 4 * H
  // The PyTorch GRU's dU differs from dA in its n block (dn·r); elsewhere they are the same value.
  const separateDU = cell === 'gru'
  // Forward values the VJP reads (not tape outputs: nothing differentiates through them).
  // Inside the layer every per-step value is feature-major, [X, B] (the forward's A, h, c, gates; the reverse's dh, dc,
  // dA): the recurrence products are W_hh·hᵀ and W_hhᵀ·dAᵀ, with the big weight as MLAS's A operand, which it reads in
  // place, and only the small [H, B] state packed per step (measured 1.4–1.6× faster per product than h·W_hhᵀ, whose
  // [H, G·H] B operand is repacked every step; docs/benchmarks.md). The layer's inputs and outputs keep the [·, B, ·]
  // layout.
  let x2d = ''
  let hsProc = ''
  let hsProcT = ''
  let csProcT = ''
  let savedT = ''
  let h0T = ''
  let c0T = ''
  let whhT = ''
  let whhRz = ''
  let whhN = ''
  let whhRzT = ''
  let whhNT = ''
  let bhhRz = ''
  let bhhN = ''
  let bhhCol = ''
  let biasCol = ''
  let wCat = ''
  let peepCol = ''

  /**
   * One LSTM step's factors for its reverse step, [(G+2)·H, B]: P = [Pi, Pf, Pg, Po]
   * (coupled: [Pi, Pg, Po]) with dA = [dc⊙Pi, dc⊙Pf, dc⊙Pg, dh⊙Po], then Pc with dc = dc_in + dh⊙Pc, then Pp with
   * dc_{t−1} = dc⊙Pp. From the chain rule (seeds/003's δo, δc, δi, δf, δz): dso = dh⊙tanh(c)⊙σ′(o), dc = dc_in +
   * dh⊙o⊙(1 − tanh²c) + dso⊙p_o, dsi = dc⊙g⊙σ′(i) (coupled: dc⊙(g − c_{t−1})⊙σ′(i)), dsf = dc⊙c_{t−1}⊙σ′(f),
   * dsg = dc⊙i⊙(1 − g²), dc_{t−1} = dc⊙f + dsi⊙p_i + dsf⊙p_f. Computed in the forward step, where its values are in
   * cache (the same ops over all T steps at once after the forward Scan measured 1–5 % slower), so the reverse step is
   * four element-wise nodes and one MatMul.
   */
  const lstmFactors = (b: GraphBuilder, one: string, gates: { i: string; f: string; g: string; o: string; tc: string; cPrev: string }, pv: string[] | null): string => {
    const sub = (p: string, q2: string) => b.node('Sub', [p, q2])
    const mul = (...vs: string[]) => vs.reduce((acc, v) => b.node('Mul', [acc, v]))
    const add = (p: string, q2: string) => b.node('Add', [p, q2])
    const dsig = (v: string) => mul(v, sub(one, v))
    const { i, f, g: gg, o, tc, cPrev } = gates
    const pI = mul(coupled ? sub(gg, cPrev) : gg, dsig(i))
    const pF = coupled ? '' : mul(cPrev, dsig(f))
    const pG = mul(i, sub(one, mul(gg, gg)))
    const pO = mul(tc, dsig(o))
    let pC = mul(o, sub(one, mul(tc, tc)))
    let pP = f
    if (pv) {
      pC = add(pC, mul(pO, pv[po]!))
      pP = add(pP, mul(pI, pv[pi]!))
      if (!coupled) pP = add(pP, mul(pF, pv[pf]!))
    }
    return b.node('Concat', [pI, ...(coupled ? [] : [pF]), pG, pO, pC, pP], { axis: 0 })
  }

  /**
   * The PyTorch GRU step's factors for its reverse step, [5·H, B]: [Fr, Fz, Fn, Fnr, z] with dA = [dh⊙Fr, dh⊙Fz, dh⊙Fn],
   * dU = [dh⊙Fr, dh⊙Fz, dh⊙Fnr] and dh_{t−1} = dh⊙z + W_hhᵀ·dU. From the chain rule through h' = n + z⊙(h − n),
   * n = tanh(a_n + r⊙u_n): dz = dh⊙(h − n)⊙σ′(z), dn = dh⊙(1 − z)⊙(1 − n²), dr = dn⊙u_n⊙σ′(r), du_n = dn⊙r. Computed in
   * the forward step (as lstmFactors), so the reverse step reads one saved value, not also h_{t−1}.
   */
  const gruFactors = (b: GraphBuilder, one: string, v: { r: string; z: string; n: string; un: string; hmn: string }): string => {
    const mul = (p: string, q2: string) => b.node('Mul', [p, q2])
    const sub = (p: string, q2: string) => b.node('Sub', [p, q2])
    const omz = sub(one, v.z)
    const fz = mul(v.hmn, mul(v.z, omz))
    const fn = mul(omz, sub(one, mul(v.n, v.n)))
    const fr = mul(mul(fn, v.un), mul(v.r, sub(one, v.r)))
    return b.node('Concat', [fr, fz, fn, mul(fn, v.r), v.z], { axis: 0 })
  }

  /**
   * One forward step: `a` is x_tᵀ [I, B] (LSTM, RNN) or aᵀ = W_ih·x_tᵀ + b_ih [G·H, B] (GRU), the carried hᵀ (and cᵀ)
   * [H, B] → the new ones and what the reverse step reads.
   */
  /**
   * LSTM and RNN pre-activations W_ih·x_tᵀ + W_hh·hᵀ + b as one Gemm over [h; x_t] with [W_hh | W_ih] (made once per
   * training step): the input projection in the step instead of one Gemm over all T·B rows plus a [T, G·H, B]
   * transpose, which at H 512 moved 34 MB per layer and step.
   */
  const pre = (body: GraphBuilder, x: string, h: string): string => body.node('Gemm', [wCat, body.node('Concat', [h, x], { axis: 0 }), biasCol])

  const forwardStep = (e: StepGraph, a: string, h: string, c: string | null): { h: string; c: string | null; keep: string | null } => {
    const body = e.b
    const sig = (v: string) => body.node('Sigmoid', [v])
    const add = (p: string, q2: string) => body.node('Add', [p, q2])
    const mul = (p: string, q2: string) => body.node('Mul', [p, q2])
    if (lstm) {
      const z = e.split(pre(body, a, h), new Array<number>(G).fill(H), 0)
      const pv = peep ? e.once('peep', () => e.split(peepCol, new Array<number>(P).fill(H), 0)) : null
      const withPeep = (zv: string, k: number, cv: string) => (pv ? add(zv, mul(pv[k]!, cv)) : zv)
      const i = sig(withPeep(z[bi]!, pi, c!))
      const f = coupled ? body.node('Sub', [e.scalar(1), i]) : sig(withPeep(z[bf]!, pf, c!))
      const gg = body.node('Tanh', [z[bg]!])
      const cNew = add(mul(f, c!), mul(i, gg))
      const o = sig(withPeep(z[bo]!, po, cNew))
      const tc = body.node('Tanh', [cNew])
      // Saved for the reverse step: its factors (lstmFactors), computed here while the step's values are in cache.
      return { h: mul(o, tc), c: cNew, keep: lstmFactors(body, e.scalar(1), { i, f, g: gg, o, tc, cPrev: c! }, pv) }
    }
    if (gru) {
      const [ar, az, an] = e.split(a, [H, H, H], 0)
      let rg: string
      let zg: string
      let un: string
      if (original) {
        const [ur, uz] = e.split(body.node('Gemm', [whhRz, h, bhhRz]), [H, H], 0)
        rg = sig(add(ar!, ur!))
        zg = sig(add(az!, uz!))
        // Saved for symmetry with the PyTorch form (its backward reads u_n; this one does not).
        un = body.node('Gemm', [whhN, mul(rg, h), bhhN])
      } else {
        const [ur, uz, u3] = e.split(body.node('Gemm', [w.weightHh, h, bhhCol]), [H, H, H], 0)
        rg = sig(add(ar!, ur!))
        zg = sig(add(az!, uz!))
        un = u3!
      }
      const n = body.node('Tanh', [add(an!, original ? un : mul(rg, un))])
      // h' = (1 − z)·n + z·h = n + z·(h − n)
      const hmn = body.node('Sub', [h, n])
      const keep = original ? body.node('Concat', [rg, zg, n, un], { axis: 0 }) : gruFactors(body, e.scalar(1), { r: rg, z: zg, n, un, hmn })
      return { h: add(n, mul(zg, hmn)), c: null, keep }
    }
    return { h: body.node(cell === 'rnn-relu' ? 'Relu' : 'Tanh', [pre(body, a, h)]), c: null, keep: null }
  }

  /** One reverse step: the carried dhᵀ (and dcᵀ) [H, B] and the step's forward values (`at`) → dh_{t−1} (dc_{t−1}), dA_tᵀ, dU_tᵀ [G·H, B]. */
  const backwardStep = (e: StepGraph, at: (s: Source) => string, dhIn: string, dcIn: string | null): { dh: string; dc: string | null; dA: string; dU: string } => {
    const body = e.b
    const one = e.scalar(1)
    const add = (p: string, q2: string) => body.node('Add', [p, q2])
    const dsig = (v: string) => body.node('Mul', [v, body.node('Sub', [one, v])])
    const dtanh = (v: string) => body.node('Sub', [one, body.node('Mul', [v, v])])
    const mul = (...vs: string[]) => vs.reduce((acc, v) => body.node('Mul', [acc, v]))
    const dh = add(dhIn, at('dY'))
    if (lstm) {
      // Every factor that does not depend on (dh, dc) comes from the forward step (lstmFactors), so a step is
      // dc = dc_in + dh⊙Pc, dA = [dc, …, dc, dh]⊙P, dc_{t−1} = dc⊙Pp and one MatMul.
      const [pg, pc, pp] = e.split(at('saved'), [G * H, H, H], 0)
      const dc = add(dcIn!, mul(dh, pc!))
      const dA = mul(body.node('Concat', [...new Array<string>(G - 1).fill(dc), dh], { axis: 0 }), pg!)
      return { dh: body.node('MatMul', [whhT, dA]), dc: mul(dc, pp!), dA, dU: dA }
    }
    if (cell === 'gru') {
      // Every factor that does not depend on dh comes from the forward step (gruFactors): four element-wise nodes, two
      // Concats and one MatMul.
      const [frz, fn, fnr, z] = e.split(at('saved'), [2 * H, H, H, H], 0)
      const dArz = mul(body.node('Concat', [dh, dh], { axis: 0 }), frz!)
      const dA = body.node('Concat', [dArz, mul(dh, fn!)], { axis: 0 })
      const dU = body.node('Concat', [dArz, mul(dh, fnr!)], { axis: 0 })
      return { dh: add(mul(dh, z!), body.node('MatMul', [whhT, dU])), dc: null, dA, dU }
    }
    if (original) {
      const [rg, z, n] = e.split(at('saved'), [H, H, H, H], 0)
      const hp = at('hPrev')
      const dz = mul(dh, body.node('Sub', [hp, n!]), dsig(z!))
      const dn = mul(dh, body.node('Sub', [one, z!]), dtanh(n!))
      // u_n = U_n·(r⊙h) + b_hn: its input gradient q = U_nᵀ·dn splits into r⊙q (to h) and h⊙q (to r).
      const qn = body.node('MatMul', [whhNT, dn])
      const dr = mul(qn, hp, dsig(rg!))
      const dA = body.node('Concat', [dr, dz, dn], { axis: 0 })
      return { dh: add(add(mul(dh, z!), mul(rg!, qn)), body.node('MatMul', [whhRzT, body.node('Concat', [dr, dz], { axis: 0 })])), dc: null, dA, dU: dA }
    }
    const h = at('h')
    const dA = body.node('Mul', [dh, cell === 'rnn-relu' ? body.node('Cast', [body.node('Greater', [h, e.scalar(0)])], { to: dtype === 'float64' ? 11 : 1 }) : dtanh(h)])
    return { dh: body.node('MatMul', [whhT, dA]), dc: null, dA, dU: dA }
  }

  const inputs = [x, w.weightIh, w.weightHh, w.biasIh, w.biasHh, h0, ...(c0 ? [c0] : []), ...(peep ? [peep] : [])]
  const outs = t.custom(
    inputs,
    (g) => {
      const xp = reverse ? reverseTime(g, t, x, T) : x
      x2d = g.node('Reshape', [xp, t.ints([T * B, I])])
      // What the forward steps scan, [T, X, B]: x_tᵀ (X = I) for LSTM and RNN, whose steps project it (pre()); for GRU
      // Aᵀ = W_ih·x_tᵀ + b_ih (X = G·H) for all steps before the loop, one MatMul of W_ih with the [T, I, B] inputs
      // (already feature-major: no transpose of the [T, B, G·H] product). b_hh stays in U: its n block is multiplied by r.
      const xT = g.node('Transpose', [xp], { perm: [0, 2, 1] })
      const A = gru ? g.node('Add', [g.node('MatMul', [w.weightIh, xT]), col(g, w.biasIh, G * H)]) : xT
      if (!gru) {
        wCat = g.node('Concat', [w.weightHh, w.weightIh], { axis: 1 })
        biasCol = col(g, g.node('Add', [w.biasIh, w.biasHh]), G * H)
      }
      if (original) {
        whhRz = rowsOf(g, t, w.weightHh, 0, 2 * H)
        whhN = rowsOf(g, t, w.weightHh, 2 * H, 3 * H)
        bhhRz = col(g, rowsOf(g, t, w.biasHh, 0, 2 * H), 2 * H)
        bhhN = col(g, rowsOf(g, t, w.biasHh, 2 * H, 3 * H), H)
      } else if (gru) bhhCol = col(g, w.biasHh, G * H)
      if (peep) peepCol = col(g, peep, P * H)
      h0T = g.node('Transpose', [h0], { perm: [1, 0] })
      c0T = lstm ? g.node('Transpose', [c0!], { perm: [1, 0] }) : ''
      // Per-step outputs in processing order, as [steps, X, B] pieces: the Scan's, then the remainder's.
      const hs: string[] = []
      const cs: string[] = []
      const keeps: string[] = []
      let state = { h: h0T, c: lstm ? c0T : null }
      if (q > 0) {
        const body = g.subgraph(`${name}_fwd`)
        const e = new StepGraph(body, dtype, name)
        let s = { h: body.input(`${name}_fwd_h`, dtype, [H, B]), c: lstm ? body.input(`${name}_fwd_c`, dtype, [H, B]) : null }
        // A as [q, U·X, B], scanned: iteration k reads steps kU … kU + U − 1.
        const blocks = g.node('Reshape', [r ? rowsOf(g, t, A, 0, q * U) : A, t.ints([q, U * XA, B])])
        const block = body.input(`${name}_fwd_a`, dtype, [U * XA, B])
        const as = U > 1 ? e.split(block, new Array<number>(U).fill(XA), 0) : [block]
        const bh: string[] = []
        const bc: string[] = []
        const bk: string[] = []
        for (const a of as) {
          const step = forwardStep(e, a, s.h, s.c)
          bh.push(step.h)
          if (step.c) bc.push(step.c)
          if (step.keep) bk.push(step.keep)
          s = step
        }
        body.output(`${name}_fwd_h_out`, dtype, [H, B], { from: s.h })
        if (lstm) body.output(`${name}_fwd_c_out`, dtype, [H, B], { from: s.c! })
        body.output(`${name}_fwd_h_scan`, dtype, [U * H, B], { from: e.stack(bh) })
        // c_t for all steps only where the peephole gradient reads it (the reverse step reads the saved factors).
        if (peep) body.output(`${name}_fwd_c_scan`, dtype, [U * H, B], { from: e.stack(bc) })
        if (bk.length) body.output(`${name}_fwd_saved_scan`, dtype, [U * K, B], { from: e.stack(bk) })
        const carried = lstm ? [h0T, c0T] : [h0T]
        const n = carried.length + 1 + (peep ? 1 : 0) + (bk.length ? 1 : 0)
        const lo = g.node('Scan', [...carried, blocks], { body, num_scan_inputs: 1 }, n)
        const steps3 = (v: string, X: number) => g.node('Reshape', [v, t.ints([q * U, X, B])])
        state = { h: lo[0]!, c: lstm ? lo[1]! : null }
        hs.push(steps3(lo[carried.length]!, H))
        if (peep) cs.push(steps3(lo[3]!, H))
        if (bk.length) keeps.push(steps3(lo[n - 1]!, K))
      }
      const e0 = new StepGraph(g, dtype, name)
      const one = (v: string) => g.node('Unsqueeze', [v, e0.ints([0])])
      for (let j = q * U; j < T; j++) {
        const step = forwardStep(e0, g.node('Gather', [A, e0.index(j)], { axis: 0 }), state.h, state.c)
        hs.push(one(step.h))
        if (peep) cs.push(one(step.c!))
        if (step.keep) keeps.push(one(step.keep))
        state = step
      }
      const cat = (vs: string[]) => (vs.length > 1 ? g.node('Concat', vs, { axis: 0 }) : vs[0]!)
      hsProcT = cat(hs)
      hsProc = g.node('Transpose', [hsProcT], { perm: [0, 2, 1] })
      if (peep) csProcT = cat(cs)
      if (keeps.length) savedT = cat(keeps)
      const y = reverse ? reverseTime(g, t, hsProc, T) : hsProc
      const rowMajor = (v: string) => g.node('Transpose', [v], { perm: [1, 0] })
      return [{ name: y, shape: [T, B, H] }, { name: rowMajor(state.h), shape: [B, H] }, ...(lstm ? [{ name: rowMajor(state.c!), shape: [B, H] }] : [])]
    },
    (gy, { g, needs }) => {
      const [dY, dHn, dCn] = gy
      const tr2 = (v: string) => g.node('Transpose', [v], { perm: [1, 0] })
      const prev = (first: string, all: string) => g.node('Concat', [g.node('Unsqueeze', [first, t.ints([0])]), rowsOf(g, t, all, 0, T - 1)], { axis: 0 })
      // [T, H, B] (feature-major, what the loops read) and [T, B, H] (row-major, for dW_hh) previous states.
      const hPrevAllT = prev(h0T, hsProcT)
      const hPrevAll = prev(h0, hsProc)
      const cPrevAllT = peep ? prev(c0T, csProcT) : ''
      // The recurrence's transposed weights, made once per step (not per time step).
      if (original) {
        whhRzT = tr2(whhRz)
        whhNT = tr2(whhN)
      } else whhT = tr2(w.weightHh)
      const sources: Record<Source, [string, number]> = {
        dY: [g.node('Transpose', [reverse ? reverseTime(g, t, dY!, T) : dY!], { perm: [0, 2, 1] }), H],
        saved: [savedT, K],
        hPrev: [hPrevAllT, H],
        h: [hsProcT, H]
      }
      let dh = tr2(dHn!)
      let dc = lstm ? tr2(dCn!) : null
      // dA (and dU) per step as [steps, G·H, B] pieces in processing order: the remainder steps run first (last steps).
      const remA: string[] = []
      const remU: string[] = []
      const e0 = new StepGraph(g, dtype, `${name}_b`)
      const one = (v: string) => g.node('Unsqueeze', [v, e0.ints([0])])
      for (let j = T - 1; j >= q * U; j--) {
        const step = backwardStep(e0, (s) => e0.once(`${s}@${j}`, () => g.node('Gather', [sources[s][0], e0.index(j)], { axis: 0 })), dh, dc)
        remA.unshift(one(step.dA))
        remU.unshift(one(step.dU))
        dh = step.dh
        dc = step.dc
      }
      const loopA: string[] = []
      const loopU: string[] = []
      if (q > 0) {
        const body = g.subgraph(`${name}_bwd`)
        const e = new StepGraph(body, dtype, `${name}_b`)
        let s = { dh: body.input(`${name}_bwd_dh`, dtype, [H, B]), dc: lstm ? body.input(`${name}_bwd_dc`, dtype, [H, B]) : null }
        // The Scan runs backwards over the blocks (q − 1 … 0) and processes steps U − 1 … 0 of each; every source it
        // reads is a scan input of [q, U·X, B] blocks, declared on first use.
        const scanned: string[] = []
        const pieces = (src: Source): string[] =>
          e.once(`src:${src}`, () => {
            const [v, X] = sources[src]
            scanned.push(g.node('Reshape', [r ? rowsOf(g, t, v, 0, q * U) : v, t.ints([q, U * X, B])]))
            const block = body.input(`${name}_bwd_${src}`, dtype, [U * X, B])
            return U > 1 ? e.split(block, new Array<number>(U).fill(X), 0) : [block]
          })
        const dAs: string[] = []
        const dUs: string[] = []
        for (let u = U - 1; u >= 0; u--) {
          const step = backwardStep(e, (src) => pieces(src)[u]!, s.dh, s.dc)
          dAs.unshift(step.dA)
          dUs.unshift(step.dU)
          s = step
        }
        body.output(`${name}_bwd_dh_out`, dtype, [H, B], { from: s.dh })
        if (lstm) body.output(`${name}_bwd_dc_out`, dtype, [H, B], { from: s.dc! })
        body.output(`${name}_bwd_da_scan`, dtype, [U * G * H, B], { from: e.stack(dAs) })
        if (separateDU) body.output(`${name}_bwd_du_scan`, dtype, [U * G * H, B], { from: e.stack(dUs) })
        const carried = lstm ? [dh, dc!] : [dh]
        const n = carried.length + (separateDU ? 2 : 1)
        const back = (count: number) => new Array<number>(count).fill(1)
        const lo = g.node('Scan', [...carried, ...scanned], { body, num_scan_inputs: scanned.length, scan_input_directions: back(scanned.length), scan_output_directions: back(n - carried.length) }, n)
        dh = lo[0]!
        dc = lstm ? lo[1]! : null
        // Reverse scan outputs land in processing order (block 0 first).
        const steps3 = (v: string) => g.node('Reshape', [v, t.ints([q * U, G * H, B])])
        loopA.push(steps3(lo[carried.length]!))
        if (separateDU) loopU.push(steps3(lo[carried.length + 1]!))
      }
      const cat = (vs: string[]) => (vs.length > 1 ? g.node('Concat', vs, { axis: 0 }) : vs[0]!)
      // dAᵀ [T, G·H, B] → [G·H, T·B], columns in x2d's row order (t·B + b).
      const dA3 = cat([...loopA, ...remA])
      const byGate = (v: string) => g.node('Reshape', [g.node('Transpose', [v], { perm: [1, 0, 2] }), t.ints([G * H, T * B])])
      const dA2 = byGate(dA3)
      const dU2 = separateDU ? byGate(cat([...loopU, ...remU])) : dA2
      const sumCols = (v: string) => g.node('ReduceSum', [v, t.ints([1])], { keepdims: 0 })
      const flat = (v: string) => g.node('Reshape', [v, t.ints([T * B, H])])
      let dx: string | null = null
      if (needs[0]) {
        const dxp = g.node('Reshape', [g.node('Gemm', [dA2, w.weightIh], { transA: 1 }), t.ints([T, B, I])])
        dx = reverse ? reverseTime(g, t, dxp, T) : dxp
      }
      let dWhh: string | null = null
      if (needs[2]) {
        if (original) {
          // The n block's input is r⊙h_prev (r from the saved gates, processing order).
          const rh = g.node('Transpose', [g.node('Mul', [rowsOf(g, t, savedT, 0, H, 1), hPrevAllT])], { perm: [0, 2, 1] })
          dWhh = g.node('Concat', [g.node('MatMul', [rowsOf(g, t, dU2, 0, 2 * H), flat(hPrevAll)]), g.node('MatMul', [rowsOf(g, t, dU2, 2 * H, 3 * H), flat(rh)])], { axis: 0 })
        } else dWhh = g.node('MatMul', [dU2, flat(hPrevAll)])
      }
      let dPeep: string | null = null
      if (peep && needs[7]) {
        // dp = Σ_{t,b} dz_gate ⊙ (c_{t−1} for i and f, c_t for o), in the vector's order (i, f, o or i, o).
        const block = (b: number) => rowsOf(g, t, dA3, b * H, (b + 1) * H, 1)
        const red = (v: string, c: string) => g.node('ReduceSum', [g.node('Mul', [v, c]), t.ints([0, 2])], { keepdims: 0 })
        const parts = [red(block(bi), cPrevAllT)]
        if (!coupled) parts.push(red(block(bf), cPrevAllT))
        parts.push(red(block(bo), csProcT))
        dPeep = g.node('Concat', parts, { axis: 0 })
      }
      return [
        dx,
        needs[1] ? g.node('MatMul', [dA2, x2d]) : null,
        dWhh,
        needs[3] ? sumCols(dA2) : null,
        needs[4] ? sumCols(dU2) : null,
        needs[5] ? tr2(dh) : null,
        ...(lstm ? [needs[6] ? tr2(dc!) : null] : []),
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
  /** Time steps per iteration of the recurrent Scans (default DEFAULT_UNROLL; results do not depend on it). */
  unroll?: number
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
            { T, B, I: k === 0 ? I : D * H, H, ...(spec.unroll !== undefined ? { unroll: spec.unroll } : {}) },
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
