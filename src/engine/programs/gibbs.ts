// ONNX program for stochastic Hopfield / Boltzmann dynamics: K sequential-unit Gibbs sweeps of B independent chains.
//
// Reference: seeds/004 ("Including a temperature term", "Annealing"); the exact reference is src/core/stochastic.ts
// (SweepKernel) and src/core/anneal.ts — same update rule, same visit order, same noise, same names.
// Legend: B chains, N units, K sweeps per run; W weights [N,N] (w_ij = weights[i,j], the core layout); θ thresholds
// [N]; x external input [B,N] (optional); c = x − θ; s state [B,N] in {0,1} (binary) or {−1,1} (bipolar), as float64;
// f = 2 for bipolar units, 1 for binary (a flip changes a bipolar s_i by 2, so Δ_i = 2 z_i); W₀ = W with a zero
// diagonal; G = f·s·W₀ᵀ [B,N] the scaled local fields, so the energy gap of unit i is
// Δ_i = G_i + f·c_i (+ ½ w_ii for binary units), as in energyGap; T_t temperature of sweep t [K];
// order [K,B,N] int32 — the unit chain b visits at step k of sweep t; noise_logit [K,B,N] — logit(u) of the core's
// uniforms, indexed by unit like the core's u (uniformLogit in src/core/stochastic.ts).
//
// Update of unit i (the core's rule): high iff logit(u_i) < Δ_i / T; at T = 0, high if Δ_i > 0, low if Δ_i < 0 and
// unchanged on a tie; clamped units never change. In the graph the last two cases are one: a clamped unit's gap is NaN
// (its f·c_i is replaced by NaN), and a T = 0 tie gives 0/0 = NaN; a NaN quotient keeps the old value.
// After each unit G gets the rank-1 update G += Δs_i·f·W₀ᵀ[i,:], applied only to the chains whose unit changed (few at
// low T), so a sweep costs at most O(B·N²).
//
// Exactness (why float64): states are 0/±1 and f is a power of two, so every product in G is a weight times a small
// integer, exact in float64. When the weights and thresholds are float32 values (HopfieldNet) — or any doubles whose
// exponents span few enough binades that all partial sums fit 53 bits — every sum is exact too, so G and Δ_i equal the
// core's float64 energyGap bit for bit whatever the summation order (MatMul at the start, rank-1 updates after). The
// decision is then one IEEE division and one comparison against a logit the core computed, identical in both paths.
// A float32 graph would round the fields (about 1e-7 relative) and disagree with the core on about one comparison
// in 10^6–10^7 at realistic temperatures, so this program is float64 only. Weights outside that regime (arbitrary
// trained doubles) agree with the core up to rounding of the fields, about 1e-16 relative.
import { buildModel, DATA_TYPE, GraphBuilder, tensor } from '../onnx/builder'

export type GibbsEncoding = 'binary' | 'bipolar'

export interface GibbsModelOptions {
  units: number
  encoding: GibbsEncoding
  /** An `external` input [B,N] (per-chain external field x). Default false. */
  external?: boolean
  metadata?: Record<string, string>
}

/** Graph value names. */
export const GIBBS_IO = {
  state: 'state',
  weights: 'weights',
  thresholds: 'thresholds',
  external: 'external',
  clamp: 'clamp',
  temperatures: 'temperatures',
  countWeight: 'count_weight',
  order: 'order',
  noiseLogit: 'noise_logit',
  highCount: 'high_count',
  stateOut: 'state_out',
  highCountOut: 'high_count_out',
  energy: 'energy',
  flips: 'flips'
} as const

const DOUBLE = 11 // TensorProto.DOUBLE
const BOOL = 9 // TensorProto.BOOL

/** The model's inputs in order; the runner feeds exactly these. */
export function gibbsInputs(opts: Pick<GibbsModelOptions, 'external'>): string[] {
  const io = GIBBS_IO
  return [
    io.state,
    io.weights,
    io.thresholds,
    ...(opts.external ? [io.external] : []),
    io.clamp,
    io.temperatures,
    io.countWeight,
    io.order,
    io.noiseLogit,
    io.highCount
  ]
}

/**
 * Builds the sweep program. Inputs: state [B,N] f64, weights [N,N] f64, thresholds [N] f64, external [B,N] f64 (with
 * `external`), clamp [B,N] bool, temperatures [K] f64, count_weight [K] f64 (1 for a sweep that counts towards the
 * average of the last M sweeps, else 0), order [K,B,N] int32, noise_logit [K,B,N] f64, high_count [B,N] f64.
 * Outputs: state_out [B,N], high_count_out [B,N] (high_count + Σ_t count_weight_t·[s_i = 1 after sweep t]),
 * energy [K,B] (E after each sweep), flips [K,B] (units changed in each sweep).
 */
export function buildGibbsModel(opts: GibbsModelOptions): Uint8Array {
  const N = opts.units
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`units must be a positive integer, got ${N}`)
  if (opts.encoding !== 'binary' && opts.encoding !== 'bipolar') throw new RangeError(`encoding must be 'binary' or 'bipolar', got ${String(opts.encoding)}`)
  const bipolar = opts.encoding === 'bipolar'
  const io = GIBBS_IO
  const g = new GraphBuilder(`gibbs_${opts.encoding}`)
  const d = (x: number, hint = 'c'): string => g.constant(tensor.float64([x], []), hint)

  const state = g.input(io.state, 'float64', ['chains', N])
  const W = g.input(io.weights, 'float64', [N, N])
  const theta = g.input(io.thresholds, 'float64', [N])
  const ext = opts.external ? g.input(io.external, 'float64', ['chains', N]) : null
  const clamp = g.input(io.clamp, 'bool', ['chains', N])
  const temps = g.input(io.temperatures, 'float64', ['sweeps'])
  const countWeight = g.input(io.countWeight, 'float64', ['sweeps'])
  const order = g.input(io.order, 'int32', ['sweeps', 'chains', N])
  const noise = g.input(io.noiseLogit, 'float64', ['sweeps', 'chains', N])
  const highCount = g.input(io.highCount, 'float64', ['chains', N])

  // Per-run preparation (O(N²) and one B×N×N MatMul, like one sweep).
  const eye = g.node('EyeLike', [W])
  const eyeBool = g.node('Cast', [eye], { to: BOOL })
  const diag = g.node('ReduceSum', [g.node('Mul', [W, eye]), g.constInt64([1], 'axis1')], { keepdims: 0 })
  const zero = d(0, 'zero')
  const wzT = g.node('Where', [eyeBool, zero, g.node('Transpose', [W], { perm: [1, 0] })])
  // Doubling is exact, so f·W₀ᵀ and f·c carry no rounding.
  const Wg = bipolar ? g.node('Add', [wzT, wzT]) : wzT
  const c = ext ? g.node('Sub', [ext, theta]) : g.node('Neg', [theta])
  const offset = bipolar ? g.node('Add', [c, c]) : g.node('Add', [c, g.node('Mul', [diag, d(0.5, 'half')])])
  const stateShape = g.node('Shape', [state])
  const offsetNaN = g.node('Where', [clamp, d(Number.NaN, 'nan'), g.node('Expand', [offset, stateShape])])
  const G0 = g.node('MatMul', [state, Wg])
  const sweeps = g.node('Gather', [g.node('Shape', [temps]), g.constInt64(0, 'i0')], { axis: 0 })
  const units = g.constInt64(N, 'units')
  const keepGoing = g.constBool(true, 'keep_going')
  const one = d(1, 'one')
  const low = d(bipolar ? -1 : 0, 'low')
  const axis1 = g.constInt64([1], 'ax1')
  // E = −Σ_j s_j (G_j/(2f) + ½ w_jj s_j + c_j): the core's −½ sᵀWs − xᵀs + θᵀs.
  const halfDiag = g.node('Mul', [diag, d(0.5, 'half_d')])
  const invTwoF = d(bipolar ? 0.25 : 0.5, 'inv_2f')

  // Outer Loop: one sweep per iteration.
  const sb = g.subgraph('gibbs_sweep')
  const t = sb.input('sweep_iter', 'int64', [])
  sb.input('sweep_cond', 'bool', [])
  const sIn = sb.input('s_in', 'float64', ['chains', N])
  const gIn = sb.input('g_in', 'float64', ['chains', N])
  const cIn = sb.input('count_in', 'float64', ['chains', N])
  const T = sb.node('Gather', [temps, t], { axis: 0 })
  const wT = sb.node('Gather', [countWeight, t], { axis: 0 })
  const orderT = sb.node('Gather', [order, t], { axis: 0 })
  // Gaps, logits and old values in visit order, so step k reads column k of each. A unit is visited once per sweep,
  // so its old value is its value at the start of the sweep: the state need not be carried through the unit Loop.
  const offsetVisit = sb.node('GatherElements', [offsetNaN, orderT], { axis: 1 })
  const logitVisit = sb.node('GatherElements', [sb.node('Gather', [noise, t], { axis: 0 }), orderT], { axis: 1 })
  const oldVisit = sb.node('GatherElements', [sIn, orderT], { axis: 1 })

  // Inner Loop: one unit per iteration, a different unit per chain; carries only G, emits the new values.
  const ub = sb.subgraph('gibbs_unit')
  const k = ub.input('unit_iter', 'int64', [])
  ub.input('unit_cond', 'bool', [])
  const G = ub.input('gu_in', 'float64', ['chains', N])
  const kk = ub.node('Unsqueeze', [k, ub.constInt64([0], 'ax0')])
  const idx = ub.node('Gather', [orderT, kk], { axis: 1 }) // [B,1]
  const idxFlat = ub.node('Gather', [orderT, k], { axis: 1 }) // [B]
  const old = ub.node('Gather', [oldVisit, kk], { axis: 1 })
  const gap = ub.node('Add', [ub.node('GatherElements', [G, idx], { axis: 1 }), ub.node('Gather', [offsetVisit, kk], { axis: 1 })])
  const q = ub.node('Div', [gap, T])
  const proposed = ub.node('Where', [ub.node('Less', [ub.node('Gather', [logitVisit, kk], { axis: 1 }), q]), one, low])
  const next = ub.node('Where', [ub.node('IsNaN', [q]), old, proposed])
  const delta = ub.node('Sub', [next, old])
  // Rank-1 update of the rows whose unit changed only (few at low T): G[b,:] += Δs_b·f·W₀ᵀ[i_b,:].
  const changedAt = ub.node('Transpose', [ub.node('NonZero', [ub.node('Not', [ub.node('Equal', [ub.node('Squeeze', [next, axis1]), ub.node('Squeeze', [old, axis1])])])])], { perm: [1, 0] }) // [F,1]
  const changedRows = ub.node('Squeeze', [changedAt, axis1]) // [F]
  const rows = ub.node('Gather', [Wg, ub.node('Gather', [idxFlat, changedRows], { axis: 0 })], { axis: 0 })
  const update = ub.node('Mul', [rows, ub.node('Gather', [delta, changedRows], { axis: 0 })])
  const gNext = ub.node('ScatterND', [G, changedAt, update], { reduction: 'add' })
  ub.output('unit_cond_out', 'bool', [], { from: ub.node('Identity', [keepGoing]) })
  ub.output('gu_next', 'float64', ['chains', N], { from: gNext })
  ub.output('next_k', 'float64', ['chains', 1], { from: next })

  const [gOut, nextVisit] = sb.node('Loop', [units, '', gIn], { body: ub }, 2)
  // Scan output [N,B,1] in visit order → [B,N] → back to unit order.
  const nextByChain = sb.node('Transpose', [sb.node('Squeeze', [nextVisit!, sb.constInt64([2], 'ax2')])], { perm: [1, 0] })
  const sOut = sb.node('ScatterElements', [sIn, orderT, nextByChain], { axis: 1 })
  const isHigh = sb.node('Cast', [sb.node('Equal', [sOut, one])], { to: DOUBLE })
  const countNext = sb.node('Add', [cIn, sb.node('Mul', [isHigh, wT])])
  const perUnit = sb.node('Add', [sb.node('Add', [sb.node('Mul', [gOut!, invTwoF]), sb.node('Mul', [halfDiag, sOut])]), c])
  const energy = sb.node('Neg', [sb.node('ReduceSum', [sb.node('Mul', [sOut, perUnit]), axis1], { keepdims: 0 })])
  const changed = sb.node('Cast', [sb.node('Not', [sb.node('Equal', [sOut, sIn])])], { to: DATA_TYPE.int32 })
  const flips = sb.node('ReduceSum', [changed, axis1], { keepdims: 0 })
  sb.output('sweep_cond_out', 'bool', [], { from: sb.node('Identity', [keepGoing]) })
  sb.output('s_next', 'float64', ['chains', N], { from: sOut })
  sb.output('g_next', 'float64', ['chains', N], { from: gOut! })
  sb.output('count_next', 'float64', ['chains', N], { from: countNext })
  sb.output('energy_t', 'float64', ['chains'], { from: energy })
  sb.output('flips_t', 'int32', ['chains'], { from: flips })

  const [sFinal, , countFinal, energies, flipCounts] = g.node('Loop', [sweeps, '', state, G0, highCount], { body: sb }, 5)
  g.output(io.stateOut, 'float64', ['chains', N], { from: sFinal! })
  g.output(io.highCountOut, 'float64', ['chains', N], { from: countFinal! })
  g.output(io.energy, 'float64', ['sweeps', 'chains'], { from: energies! })
  g.output(io.flips, 'int32', ['sweeps', 'chains'], { from: flipCounts! })
  g.docString = `Gibbs sweeps of B chains × ${N} ${opts.encoding} units: sequential-unit updates in a Loop over units inside a Loop over sweeps (float64).`
  return buildModel({ graph: g, metadata: { program: 'gibbs', units: String(N), encoding: opts.encoding, ...(opts.metadata ?? {}) } })
}
