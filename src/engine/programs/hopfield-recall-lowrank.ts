// ONNX program: batched synchronous recall of a Hebb-rule Hopfield net through its stored patterns (rank P), exact.
//
// Reference: J. J. Hopfield (1982), PNAS 79(8):2554–2558; Hebb weights W = c·(ξᵀξ − P·I) (zero diagonal).
// Legend: B batch (dynamic), b rows still changing, N units, P stored patterns, ξ [P,N] the patterns' bipolar
// images (binary patterns are stored as 2s − 1), s state [B,N] (±1 bipolar, 0/1 binary), u = (s+1)/2 for
// bipolar states (u = s for binary), c the Hebb normalisation (1, 1/N or 1/P), θ thresholds [N],
// a = s·ξᵀ [b,P] overlaps, h = a·ξ − P·s = s·W/c the net input in units of c.
//
// Why it is exact: s, ξ and P are integers, so a and h are integers with |h| ≤ (N+1)·P. The update compares
// h with θ' = θ/c:  s'_i = hi if h_i > θ'_i, lo if h_i < θ'_i, s_i if h_i == θ'_i.
// With m = θ' where θ' is an integer, else floor(θ') + 1/2, and ŝ = ±1 the bipolar image of s, the value
// z = h − m + ŝ/4 is never 0 and has the sign of the update (|h − m| ≥ 1/2 unless h == m, and then ŝ/4
// keeps the state). 4z is an integer with |4z| ≥ 1, so Clip(4z, 0, 1) is the next u, and one Gemm gives 4z:
//   4z = [a, 1]·[4ξ; o − 4μ] + β·u,  bipolar: μ = m, β = −8(P − 1/4), o = 4(P − 1/4);
//                                    binary:  μ = m + 1/4, β = −4(P − 1/2), o = 0.
// Every partial sum is an integer below 2^24 when (N+2)·P < 2^21 (checked), so float32 holds it exactly
// in any summation order: the result is bit-identical to the full-W program and to the core, which decide on the
// same integers for a net on its grid (core/hopfield.ts). engine/recall.ts passes θ already in units of c (exact
// half-integers, core gridThreshold) with scale 1, since θ/c computed here would round 1/N or 1/P to float32 first.
// The overlaps a come from MatMulInteger (uint8 u × int8 ξᵀ → int32), exact and faster than float32.
//
// Converged rows leave the batch: a row whose overlaps did not move is a candidate, confirmed by comparing
// its states exactly (a change in the null space of ξ leaves the overlaps alone); confirmed rows go to a
// sequence, the others are gathered into the next, smaller, iteration. Rows still changing after
// max_iterations updates (2-cycles) come out with iterations == max_iterations, as in the full-W program.
import { buildModel, GraphBuilder, tensor } from '../onnx/builder'
import { retypeAsSequences } from './loop-sequences'
import type { StateEncoding } from './hopfield-recall'

export interface HopfieldRecallLowRankModelOptions {
  units: number
  /** P, the number of stored patterns (fixed per model: it sets the Gemm's beta). */
  count: number
  encoding?: StateEncoding
}

/** Graph value names; `state` and `final_state` are int8 here (states are exact small integers). */
export const HOPFIELD_RECALL_LOWRANK_IO = {
  state: 'state',
  maxIterations: 'max_iterations',
  patterns: 'patterns',
  thresholds: 'thresholds',
  scale: 'scale',
  finalState: 'final_state',
  iterations: 'iterations'
} as const

/** (N+2)·P must stay below this for every partial sum of 4z to be an exact float32 integer. */
export const LOWRANK_SIZE_LIMIT = 2 ** 21

export function lowRankSupported(units: number, count: number): boolean {
  return (units + 2) * count < LOWRANK_SIZE_LIMIT
}

const FLOAT = 1
const UINT8 = 2
const INT8 = 3
const INT32 = 6
const INT64 = 7

export function hopfieldRecallLowRankDocString(units: number, count: number, encoding: StateEncoding): string {
  const states = encoding === 'bipolar' ? '{-1, +1}' : '{0, 1}'
  return [
    `Synchronous Hopfield recall through the stored patterns (Hebb rule, zero diagonal), ${units} units, ${count} patterns, ${encoding} states ${states}.`,
    'Inputs:',
    `  state int8 [batch, ${units}]: cue patterns, one per row, values in ${states}.`,
    '  max_iterations int64 scalar: upper bound on synchronous updates.',
    `  patterns int8 [${count}, ${units}]: the stored patterns, values in ${states}; W = scale·(ξᵀξ − P·I), ξ their bipolar images.`,
    `  thresholds float32 [${units}]: per-unit threshold θ.`,
    '  scale float32 scalar: the Hebb normalisation c (1, 1/N or 1/P).',
    'Outputs:',
    `  final_state int8 [batch, ${units}]: state after the last update.`,
    '  iterations int32 [batch]: number of updates that changed each row (max_iterations if it never settled).',
    'Update: h = (state·ξᵀ)·ξ − P·state (exact integers); a unit goes high if h > θ/c, low if h < θ/c and',
    'keeps its state if h == θ/c. Rows leave the loop when an update changes nothing.'
  ].join('\n')
}

export function buildHopfieldRecallLowRankModel(opts: HopfieldRecallLowRankModelOptions): Uint8Array {
  const { units: n, count: p } = opts
  const encoding = opts.encoding ?? 'bipolar'
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`units must be a positive integer, got ${n}`)
  if (!Number.isInteger(p) || p < 1) throw new RangeError(`count must be a positive integer, got ${p}`)
  if (!lowRankSupported(n, p)) {
    throw new RangeError(`low-rank recall needs (units+2)·count < 2^21 for exact float32 integers, got (${n}+2)·${p}`)
  }
  const io = HOPFIELD_RECALL_LOWRANK_IO
  const bipolar = encoding === 'bipolar'
  const kappa = bipolar ? 0.25 : 0.5
  const g = new GraphBuilder('hopfield_recall_lowrank')

  const stateIn = g.input(io.state, 'int8', ['batch', n], 'cue patterns [batch, units]')
  const maxIterations = g.input(io.maxIterations, 'int64', [], 'upper bound on synchronous updates')
  const patternsIn = g.input(io.patterns, 'int8', [p, n], 'stored patterns [count, units]')
  const thresholds = g.input(io.thresholds, 'float32', [n], 'per-unit thresholds θ')
  const scale = g.input(io.scale, 'float32', [], 'Hebb normalisation c')

  const scalarShape = g.constant(tensor.int64([], [0]), 'scalar_shape')
  const flat = g.constInt64([-1], 'flat')
  const zero = g.constFloat(0, 'zero')
  const tripCount = g.node('Reshape', [maxIterations, scalarShape])

  // ξ as float32 bipolar images, and ξᵀ for the overlaps.
  const patternsF = g.node('Cast', [patternsIn], { to: FLOAT })
  const xi = bipolar ? patternsF : g.node('Sub', [g.node('Mul', [patternsF, g.constFloat(2)]), g.constFloat(1)])
  const xiT = g.node('Transpose', [xi], { perm: [1, 0] }, { outputs: ['patterns_t'] })

  // m from θ' = θ/c, clamped just beyond the reach of h (|h| ≤ (N+1)·P) so that it stays exact.
  const bound = (n + 1) * p + 1
  const thetaInt = g.node('Clip', [g.node('Div', [thresholds, scale]), g.constFloat(-bound), g.constFloat(bound)])
  const thetaFloor = g.node('Floor', [thetaInt])
  const m = g.node('Where', [g.node('Equal', [thetaFloor, thetaInt]), thetaInt, g.node('Add', [thetaFloor, g.constFloat(0.5)])])
  const mu = bipolar ? m : g.node('Add', [m, g.constFloat(0.25)])
  // u = (s + 1)/2 ∈ {0, 1} is the loop's state (u = s for binary): −4(P−κ)·s = −8(P−κ)·u + 4(P−κ).
  const selfWeight = bipolar ? -8 * (p - kappa) : -4 * (p - kappa)
  const offset = bipolar ? 4 * (p - kappa) : 0
  const muRow = g.node('Reshape', [g.node('Add', [g.node('Mul', [mu, g.constFloat(-4)]), g.constFloat(offset)]), g.constInt64([1, n])])
  // [4ξ; offset − 4μ]: the extra row meets the column of ones appended to the overlaps.
  const rhs = g.node('Concat', [g.node('Mul', [xi, g.constFloat(4)]), muRow], { axis: 0 }, { outputs: ['patterns_aug'] })
  const xiT8 = g.node('Cast', [xiT], { to: INT8 })
  const rowSums = g.node('ReduceSum', [xi, g.constInt64([1])], { keepdims: 0 })

  const state0 = g.node('Cast', [stateIn], { to: FLOAT })
  const u0 = bipolar ? g.node('Clip', [state0, g.constFloat(0), g.constFloat(1)]) : state0
  // Overlaps through uint8 states × int8 patterns (exact int32; about 3× the float MatMul's speed on
  // CPUs with 8-bit dot products): a = u·ξᵀ for binary states, 2·u·ξᵀ − Σ_i ξ_pi for bipolar ones.
  const overlapsOf = (gb: GraphBuilder, v: string, name?: string): string => {
    const au = gb.node('Cast', [gb.node('MatMulInteger', [gb.node('Cast', [v], { to: UINT8 }), xiT8])], { to: FLOAT })
    return bipolar ? gb.node('Sub', [gb.node('Mul', [au, g.constFloat(2)]), rowSums], {}, name ? { outputs: [name] } : {}) : au
  }
  const overlaps0 = overlapsOf(g, u0)
  const batchShape = g.node('Shape', [stateIn], { start: 0, end: 1 })
  const rowIds0 = g.node('Range', [g.constInt64(0), g.node('Reshape', [batchShape, scalarShape]), g.constInt64(1)], {}, { outputs: ['row_ids'] })
  const iterations0 = g.node('ConstantOfShape', [batchShape], { value: tensor.int32([0], [1]) })
  const low = g.constFloat(0, 'low')
  const high = g.constFloat(1, 'high')
  // Back from u to the encoding's int8 states.
  const toStates = (gb: GraphBuilder, v: string): string =>
    gb.node('Cast', [bipolar ? gb.node('Sub', [gb.node('Mul', [v, g.constFloat(2)]), g.constFloat(1)]) : v], { to: INT8 })

  const body = g.subgraph('recall_step')
  body.input('step', 'int64', [])
  body.input('cond_in', 'bool', [])
  const u = body.input('state_in', 'float32', ['rows', n])
  const a = body.input('overlaps_in', 'float32', ['rows', p])
  const ids = body.input('ids_in', 'int64', ['rows'])
  const its = body.input('iterations_in', 'int32', ['rows'])
  const doneStates = body.input('done_states_in', 'int8', null)
  const doneIds = body.input('done_ids_in', 'int64', null)
  const doneIts = body.input('done_iterations_in', 'int32', null)
  const gather = (v: string, idx: string): string => body.node('Gather', [v, idx], { axis: 0 })

  const rowsShape = body.node('Shape', [a], { start: 0, end: 1 })
  const ones = body.node('ConstantOfShape', [body.node('Concat', [rowsShape, body.constInt64([1])], { axis: 0 })], {
    value: tensor.float32([1], [1])
  })
  const z4 = body.node('Gemm', [body.node('Concat', [a, ones], { axis: 1 }), rhs, u], { beta: selfWeight }, { outputs: ['z4'] })
  const uNext = body.node('Clip', [z4, low, high], {}, { outputs: ['state_next'] })
  const aNext = overlapsOf(body, uNext, 'overlaps_next')
  // Unchanged overlaps make a row a candidate; an exact comparison of its states confirms it (a change
  // in the null space of ξ leaves the overlaps alone).
  const aMoved = body.node('ReduceL1', [body.node('Sub', [aNext, a])], { axes: [1], keepdims: 0 })
  const candidates = body.node('Reshape', [body.node('NonZero', [body.node('Equal', [aMoved, zero])]), flat])
  const candidatesNext = gather(uNext, candidates)
  const uMoved = body.node('ReduceL1', [body.node('Sub', [candidatesNext, gather(u, candidates)])], { axes: [1], keepdims: 0 })
  const same = body.node('Equal', [uMoved, zero])
  const settled = body.node('ScatterElements', [
    body.node('ConstantOfShape', [rowsShape], { value: tensor.float32([0], [1]) }),
    candidates,
    body.node('Cast', [same], { to: FLOAT })
  ])
  const changed = body.node('Equal', [settled, zero])
  const itsNext = body.node('Add', [its, body.node('Cast', [changed], { to: INT32 })])
  const keep = body.node('Reshape', [body.node('NonZero', [changed]), flat])
  const confirmed = body.node('Reshape', [body.node('NonZero', [same]), flat])
  const leave = gather(candidates, confirmed)

  body.output('cond_out', 'bool', [], { from: body.node('Greater', [body.node('Size', [keep]), body.constInt64(0)]) })
  body.output('state_out', 'float32', ['rows_next', n], { from: gather(uNext, keep) })
  body.output('overlaps_out', 'float32', ['rows_next', p], { from: gather(aNext, keep) })
  body.output('ids_out', 'int64', ['rows_next'], { from: gather(ids, keep) })
  body.output('iterations_out', 'int32', ['rows_next'], { from: gather(itsNext, keep) })
  body.output('done_states_out', 'int8', null, {
    from: body.node('SequenceInsert', [doneStates, toStates(body, gather(candidatesNext, confirmed))])
  })
  body.output('done_ids_out', 'int64', null, { from: body.node('SequenceInsert', [doneIds, gather(ids, leave)]) })
  body.output('done_iterations_out', 'int32', null, { from: body.node('SequenceInsert', [doneIts, gather(its, leave)]) })

  // The builder declares tensors only; the three accumulators are sequences of tensors.
  const bodyProto = body.build()
  retypeAsSequences(bodyProto, [['done_states', 'int8'], ['done_ids', 'int64'], ['done_iterations', 'int32']])

  const loopOut = g.node(
    'Loop',
    [
      tripCount,
      g.constBool(true, 'cond_init'),
      u0,
      overlaps0,
      rowIds0,
      iterations0,
      g.node('SequenceEmpty', [], { dtype: INT8 }),
      g.node('SequenceEmpty', [], { dtype: INT64 }),
      g.node('SequenceEmpty', [], { dtype: INT32 })
    ],
    { body: bodyProto },
    7
  )
  const [sLeft, , idsLeft, itsLeft, seqStates, seqIds, seqIts] = loopOut as [string, string, string, string, string, string, string]
  // Rows still changing after max_iterations join the settled ones; then undo the permutation.
  const allStates = g.node('ConcatFromSequence', [g.node('SequenceInsert', [seqStates, toStates(g, sLeft)])], { axis: 0 })
  const allIds = g.node('ConcatFromSequence', [g.node('SequenceInsert', [seqIds, idsLeft])], { axis: 0 })
  const allIts = g.node('ConcatFromSequence', [g.node('SequenceInsert', [seqIts, itsLeft])], { axis: 0 })
  const inverse = g.node('ScatterElements', [g.node('ConstantOfShape', [batchShape], { value: tensor.int64([0], [1]) }), allIds, rowIds0])
  g.output(io.finalState, 'int8', ['batch', n], { from: g.node('Gather', [allStates, inverse], { axis: 0 }), docString: 'state after the last update' })
  g.output(io.iterations, 'int32', ['batch'], { from: g.node('Gather', [allIts, inverse], { axis: 0 }), docString: 'updates that changed each row' })

  const docString = hopfieldRecallLowRankDocString(n, p, encoding)
  g.docString = docString
  return buildModel({
    graph: g,
    producer: 'engram',
    metadata: {
      kind: 'hopfield',
      program: 'recall-lowrank',
      units: String(n),
      patterns: String(p),
      states: encoding,
      dynamics: 'synchronous',
      tie_rule: 'keep previous state when net input equals threshold',
      inputs: 'state,max_iterations,patterns,thresholds,scale',
      outputs: 'final_state,iterations'
    },
    docString
  })
}
