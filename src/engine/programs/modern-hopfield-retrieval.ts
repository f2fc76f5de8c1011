// ONNX programs: batched modern Hopfield retrieval ξ ← X softmax(β Xᵀξ), one update or iterated to convergence, with
// the score matrix computed a chunk of stored patterns at a time (online softmax), and the exported retrieval step.
//
// Reference: Ramsauer et al. (2020), "Hopfield Networks is All You Need", eq. (3); the online (streaming) softmax of
// Milakov & Gimelshein (2018), as in FlashAttention: a running maximum m, normaliser l and weighted sum a per query,
// rescaled by exp(m − m′) when a chunk raises the maximum, so the result is softmax(β Xᵀξ)ᵀ X exactly (up to float32
// rounding) while only [b, c] scores exist at a time.
// Legend: B batch (dynamic), b queries still moving, d pattern dimension, N stored patterns (patterns [N, d], row i =
// x_i), c stored patterns per chunk, C = ⌈N/c⌉ chunks (the last one N − (C−1)·c rows), β > 0,
// ε ≥ 0; state [B, d] float32.
//
// Converged queries leave the batch (as in hopfield-recall-lowrank.ts): after an update, a query whose state moved by
// less than ε (‖ξ_new − ξ‖₂, the core's rule in core/modern-hopfield.ts `retrieve`) goes to a sequence with its state
// and step count; the others are gathered into the next, smaller, iteration. Queries still moving after max_steps
// updates come out with steps == max_steps.
import { buildModel, GraphBuilder, tensor } from '../onnx/builder'
import { retypeAsSequences } from './loop-sequences'

export const MODERN_HOPFIELD_IO = {
  state: 'state',
  patterns: 'patterns',
  beta: 'beta',
  maxSteps: 'max_steps',
  epsilon: 'epsilon',
  finalState: 'final_state',
  steps: 'steps',
  retrieved: 'retrieved',
  weights: 'weights'
} as const

export type ModernHopfieldMode = 'step' | 'converge'

export interface ModernHopfieldRetrievalModelOptions {
  /** d. */
  dim: number
  /** N (fixed per model: it sets the chunking). */
  count: number
  /** 'step': one update (outputs `retrieved`); 'converge': iterate until each query moves less than ε. */
  mode: ModernHopfieldMode
  /** c, stored patterns per chunk of the score matrix; default min(N, 1024). */
  chunk?: number
}

export const DEFAULT_PATTERN_CHUNK = 1024

const FLOAT = 1
const INT32 = 6
const INT64 = 7

function positiveInt(v: number, field: string): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${field} must be a positive integer, got ${v}`)
}


/**
 * Emits into `gb` one update of the queries `q` [b, d]: X softmax(β Xᵀq) as [b, d]. One chunk: Gemm(transB)–Softmax–
 * MatMul. Several: a Loop over the chunks carrying (m, l, a), then a / l.
 *
 * Chunk k is the row range [k·c, min((k+1)·c, N)) of the patterns input, taken by Slice inside the Loop body (ONNX
 * Slice clamps the end, so the last chunk is just shorter) and used as is: scores by Gemm with transB, the weighted sum
 * by MatMul. An earlier version padded the patterns to C·c rows (Concat), reshaped them to [C, c, d], transposed them
 * once per run and masked the padding with a −∞ bias: three full copies of X per run (11 ms of 213 ms at 1,000 ×
 * 10,000 × 784 when warm, over 200 ms on a run whose memory was not yet touched), now gone.
 */
function emitUpdate(g: GraphBuilder, gb: GraphBuilder, q: string, beta: string, patterns: string, n: number, d: number, c: number): string {
  const qb = gb.node('Mul', [q, beta])
  if (c >= n) {
    const p = gb.node('Softmax', [gb.node('Gemm', [qb, patterns], { transB: 1 })], { axis: -1 })
    return gb.node('MatMul', [p, patterns])
  }
  const rowsShape = gb.node('Shape', [q], { start: 0, end: 1 })
  const colShape = gb.node('Concat', [rowsShape, g.constInt64([1])], { axis: 0 })
  const m0 = gb.node('ConstantOfShape', [colShape], { value: tensor.float32([-Infinity], [1]) })
  const l0 = gb.node('ConstantOfShape', [colShape], { value: tensor.float32([0], [1]) })
  const a0 = gb.node('ConstantOfShape', [gb.node('Concat', [rowsShape, g.constInt64([d])], { axis: 0 })], { value: tensor.float32([0], [1]) })

  const body = gb.subgraph(`${gb.name}_chunks`)
  const k = body.input(`${gb.name}_chunk`, 'int64', [])
  body.input(`${gb.name}_chunk_cond`, 'bool', [])
  const m = body.input(`${gb.name}_max_in`, 'float32', ['rows', 1])
  const l = body.input(`${gb.name}_norm_in`, 'float32', ['rows', 1])
  const a = body.input(`${gb.name}_acc_in`, 'float32', ['rows', d])
  const chunk = g.constInt64([c], 'chunk_size')
  const from = body.node('Mul', [body.node('Reshape', [k, g.constInt64([1], 'one_dim')]), chunk])
  const rowsK = body.node('Slice', [patterns, from, body.node('Add', [from, chunk]), g.constInt64([0], 'axis0')])
  const s = body.node('Gemm', [qb, rowsK], { transB: 1 })
  const mNew = body.node('Max', [m, body.node('ReduceMax', [s], { axes: [1], keepdims: 1 })])
  const rescale = body.node('Exp', [body.node('Sub', [m, mNew])])
  const e = body.node('Exp', [body.node('Sub', [s, mNew])])
  const lNew = body.node('Add', [body.node('Mul', [l, rescale]), body.node('ReduceSum', [e, g.constInt64([1])], { keepdims: 1 })])
  const aNew = body.node('Add', [body.node('Mul', [a, rescale]), body.node('MatMul', [e, rowsK])])
  body.output(`${gb.name}_chunk_cond_out`, 'bool', [], { from: g.constBool(true, 'chunk_cond') })
  body.output(`${gb.name}_max_out`, 'float32', ['rows', 1], { from: mNew })
  body.output(`${gb.name}_norm_out`, 'float32', ['rows', 1], { from: lNew })
  body.output(`${gb.name}_acc_out`, 'float32', ['rows', d], { from: aNew })
  const [, lEnd, aEnd] = gb.node('Loop', [g.constInt64(Math.ceil(n / c), 'chunk_count'), '', m0, l0, a0], { body: body.build() }, 3) as [string, string, string]
  return gb.node('Div', [aEnd, lEnd])
}

export function modernHopfieldDocString(dim: number, count: number, mode: ModernHopfieldMode, chunk: number): string {
  const lines = [
    `Modern Hopfield retrieval ξ ← X softmax(β Xᵀξ) (Ramsauer et al. 2020), ${count} stored patterns of dimension ${dim}, scores ${chunk} patterns at a time.`,
    'Inputs:',
    `  state float32 [batch, ${dim}]: the queries (state patterns ξ), one per row.`,
    `  patterns float32 [${count}, ${dim}]: the stored patterns x_i, one per row.`,
    '  beta float32 scalar: inverse temperature β > 0.'
  ]
  if (mode === 'converge') {
    lines.push(
      '  max_steps int64 scalar: at most this many updates.',
      '  epsilon float32 scalar: a query stops once an update moves it by less than ε (Euclidean norm).',
      'Outputs:',
      `  final_state float32 [batch, ${dim}]: the state after the last update.`,
      '  steps int32 [batch]: updates applied (max_steps if it never moved less than ε).'
    )
  } else {
    lines.push('Outputs:', `  retrieved float32 [batch, ${dim}]: one update X softmax(β Xᵀξ).`)
  }
  return lines.join('\n')
}

export function buildModernHopfieldRetrievalModel(opts: ModernHopfieldRetrievalModelOptions): Uint8Array {
  const { dim: d, count: n, mode } = opts
  positiveInt(d, 'dim')
  positiveInt(n, 'count')
  const c = Math.min(n, opts.chunk ?? DEFAULT_PATTERN_CHUNK)
  positiveInt(c, 'chunk')
  if (mode !== 'step' && mode !== 'converge') throw new RangeError(`mode must be 'step' or 'converge', got ${String(mode)}`)
  const io = MODERN_HOPFIELD_IO
  const g = new GraphBuilder('modern_hopfield_retrieval')
  const stateIn = g.input(io.state, 'float32', ['batch', d], 'queries [batch, dim]')
  const patterns = g.input(io.patterns, 'float32', [n, d], 'stored patterns [count, dim]')
  const beta = g.input(io.beta, 'float32', [], 'inverse temperature β')
  const metadata: Record<string, string> = {
    kind: 'modern-hopfield',
    program: mode === 'step' ? 'retrieval-step' : 'retrieval-converge',
    dim: String(d),
    patterns: String(n),
    chunk: String(c)
  }
  const docString = modernHopfieldDocString(d, n, mode, c)
  g.docString = docString

  if (mode === 'step') {
    g.output(io.retrieved, 'float32', ['batch', d], { from: emitUpdate(g, g, stateIn, beta, patterns, n, d, c), docString: 'one update' })
    return buildModel({ graph: g, producer: 'engram', metadata, docString })
  }

  const maxSteps = g.input(io.maxSteps, 'int64', [], 'upper bound on updates')
  const epsilon = g.input(io.epsilon, 'float32', [], 'convergence threshold ε on ‖ξ_new − ξ‖')
  const scalarShape = g.constant(tensor.int64([], [0]), 'scalar_shape')
  const flat = g.constInt64([-1], 'flat')
  const batchShape = g.node('Shape', [stateIn], { start: 0, end: 1 })
  const rowIds0 = g.node('Range', [g.constInt64(0), g.node('Reshape', [batchShape, scalarShape]), g.constInt64(1)], {}, { outputs: ['row_ids'] })
  const steps0 = g.node('ConstantOfShape', [batchShape], { value: tensor.int32([0], [1]) })

  const body = g.subgraph('retrieval_step')
  body.input('step', 'int64', [])
  body.input('cond_in', 'bool', [])
  const xi = body.input('state_in', 'float32', ['rows', d])
  const ids = body.input('ids_in', 'int64', ['rows'])
  const steps = body.input('steps_in', 'int32', ['rows'])
  const doneStates = body.input('done_states_in', 'float32', null)
  const doneIds = body.input('done_ids_in', 'int64', null)
  const doneSteps = body.input('done_steps_in', 'int32', null)
  const gather = (v: string, idx: string): string => body.node('Gather', [v, idx], { axis: 0 })

  const next = emitUpdate(g, body, xi, beta, patterns, n, d, c)
  const moved = body.node('ReduceL2', [body.node('Sub', [next, xi])], { axes: [1], keepdims: 0 })
  const settled = body.node('Less', [moved, epsilon])
  const stepsNext = body.node('Add', [steps, g.constant(tensor.int32([1], []), 'one_step')])
  const keep = body.node('Reshape', [body.node('NonZero', [body.node('Not', [settled])]), flat])
  const leave = body.node('Reshape', [body.node('NonZero', [settled]), flat])
  body.output('cond_out', 'bool', [], { from: body.node('Greater', [body.node('Size', [keep]), g.constInt64(0)]) })
  body.output('state_out', 'float32', ['rows_next', d], { from: gather(next, keep) })
  body.output('ids_out', 'int64', ['rows_next'], { from: gather(ids, keep) })
  body.output('steps_out', 'int32', ['rows_next'], { from: gather(stepsNext, keep) })
  body.output('done_states_out', 'float32', null, { from: body.node('SequenceInsert', [doneStates, gather(next, leave)]) })
  body.output('done_ids_out', 'int64', null, { from: body.node('SequenceInsert', [doneIds, gather(ids, leave)]) })
  body.output('done_steps_out', 'int32', null, { from: body.node('SequenceInsert', [doneSteps, gather(stepsNext, leave)]) })

  // The builder declares tensors only; the three accumulators are sequences of tensors.
  const bodyProto = body.build()
  retypeAsSequences(bodyProto, [['done_states', 'float32'], ['done_ids', 'int64'], ['done_steps', 'int32']])
  const loopOut = g.node(
    'Loop',
    [
      g.node('Reshape', [maxSteps, scalarShape]),
      g.constBool(true, 'cond_init'),
      stateIn,
      rowIds0,
      steps0,
      g.node('SequenceEmpty', [], { dtype: FLOAT }),
      g.node('SequenceEmpty', [], { dtype: INT64 }),
      g.node('SequenceEmpty', [], { dtype: INT32 })
    ],
    { body: bodyProto },
    6
  )
  const [sLeft, idsLeft, stepsLeft, seqStates, seqIds, seqSteps] = loopOut as [string, string, string, string, string, string]
  // Queries still moving after max_steps join the settled ones; then undo the permutation.
  const all = (seq: string, left: string): string => g.node('ConcatFromSequence', [g.node('SequenceInsert', [seq, left])], { axis: 0 })
  const inverse = g.node('ScatterElements', [g.node('ConstantOfShape', [batchShape], { value: tensor.int64([0], [1]) }), all(seqIds, idsLeft), rowIds0])
  g.output(io.finalState, 'float32', ['batch', d], { from: g.node('Gather', [all(seqStates, sLeft), inverse], { axis: 0 }), docString: 'state after the last update' })
  g.output(io.steps, 'int32', ['batch'], { from: g.node('Gather', [all(seqSteps, stepsLeft), inverse], { axis: 0 }), docString: 'updates applied' })
  return buildModel({ graph: g, producer: 'engram', metadata: { ...metadata, epsilon_rule: 'stop when the L2 norm of the move is below epsilon' }, docString })
}

export interface ModernHopfieldExportOptions {
  /** [N, d] row-major, row i = x_i. */
  patterns: Float32Array
  count: number
  dim: number
  beta: number
  metadata?: Record<string, string>
}

/**
 * The retrieval step as a standalone model (opset 17, IR 8): MatMul–Mul–Softmax–MatMul with the stored patterns
 * embedded. Input `state` float32 [batch, d]; outputs `retrieved` float32 [batch, d] (one update) and `weights`
 * float32 [batch, N] (softmax(β Xᵀξ), the attention weights over the stored patterns).
 */
export function buildModernHopfieldExportModel(opts: ModernHopfieldExportOptions): Uint8Array {
  const { count: n, dim: d, beta } = opts
  positiveInt(n, 'count')
  positiveInt(d, 'dim')
  if (!Number.isFinite(beta) || !(beta > 0)) throw new RangeError(`beta must be a finite number > 0, got ${beta}`)
  if (opts.patterns.length !== n * d) throw new RangeError(`patterns has ${opts.patterns.length} values, expected count·dim = ${n * d}`)
  const bad = opts.patterns.findIndex((v) => !Number.isFinite(v))
  if (bad >= 0) throw new RangeError(`patterns: pattern ${Math.floor(bad / d)}, component ${bad % d} is not finite`)
  const io = MODERN_HOPFIELD_IO
  const g = new GraphBuilder('modern_hopfield_retrieval_step')
  const state = g.input(io.state, 'float32', ['batch', d], 'state patterns ξ [batch, dim]')
  const x = g.initializer('stored_patterns', tensor.float32(opts.patterns, [n, d]))
  const xT = new Float32Array(n * d)
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) xT[k * n + i] = opts.patterns[i * d + k]!
  const scores = g.node('MatMul', [state, g.initializer('stored_patterns_t', tensor.float32(xT, [d, n]))])
  const weights = g.node('Softmax', [g.node('Mul', [scores, g.initializer('beta', tensor.float32([beta], []))])], { axis: -1 })
  g.output(io.retrieved, 'float32', ['batch', d], { from: g.node('MatMul', [weights, x]), docString: 'X softmax(β Xᵀξ)' })
  g.output(io.weights, 'float32', ['batch', n], { from: weights, docString: 'softmax(β Xᵀξ) over the stored patterns' })
  const docString = [
    `One modern Hopfield update ξ_new = X softmax(β Xᵀξ) (Ramsauer et al. 2020), ${n} stored patterns of dimension ${d} embedded, β = ${beta}.`,
    `Input: state float32 [batch, ${d}]. Outputs: retrieved float32 [batch, ${d}], weights float32 [batch, ${n}].`
  ].join('\n')
  g.docString = docString
  return buildModel({
    graph: g,
    producer: 'engram',
    metadata: { ...opts.metadata, kind: 'modern-hopfield', program: 'retrieval-step', dim: String(d), patterns: String(n), beta: String(beta) },
    docString
  })
}
