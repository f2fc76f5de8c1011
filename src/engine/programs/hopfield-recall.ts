// ONNX program: batched synchronous Hopfield recall, a Loop of state·W and the threshold with the tie rule.
//
// Reference: J. J. Hopfield (1982), PNAS 79(8):2554–2558; synchronous (parallel) update.
// Legend: B batch (dynamic), b rows still changing, N units, s state [B,N], W weights [N,N] row-major with w_ji
// the weight from unit j to unit i (as in core netInput, Fausett 003 step 4), θ thresholds [N], x external
// input [B,N], h = s·W (+ x) net input [b,N], σ = 2s − 1 the bipolar image of s (σ = s for bipolar states).
// Update: s'_i = hi if h_i > θ_i, lo if h_i < θ_i, s_i if h_i == θ_i (tie keeps the state).
// (hi, lo) = (+1, −1) for bipolar states, (1, 0) for binary states.
//
// The tie rule without Sign or Where on the decision: unit i flips exactly when (h_i − θ_i)·σ_i < 0 (the sign of
// a float difference is exact, multiplying by ±1 is exact, and a tie or a NaN never flips), so σ' = −σ there.
//
// Rows that settled leave the batch: a row in which no unit flipped is a fixed point (it would be recomputed to
// the same state forever), so it goes to a sequence with its update count and the others are gathered into the
// next, smaller, iteration; an inverse permutation restores the order at the end. Rows still changing after
// max_iterations updates (2-cycles) come out with iterations == max_iterations.
//
// Same float32 net inputs whatever the batch: ORT's MatMul (MLAS) sums K in blocks of 128 (StrideK), but it
// widens that block when it splits a small batch over threads along N, and one row alone takes another kernel
// (M == 1), so a row's rounding could depend on how many rows are still active. Where such a split is possible
// (recallNeedsKBlocks; always in exported models, whose prepacked weights use K blocks of 256) the program sums K
// in blocks of 128 itself (one MatMul, then Gemm with C = the partial sum and β = 1, which MLAS adds exactly as it
// adds its own K blocks), and when one changing row is left among others it keeps one settled row beside it (a
// fixed point stays fixed). Net inputs are then those of one MatMul over the whole chunk on one thread.
import { buildModel, DATA_TYPE, GraphBuilder, tensor, type ElemType } from '../onnx/builder'
import type { OnnxProto } from '../onnx/proto'

export type StateEncoding = 'bipolar' | 'binary'

export interface HopfieldRecallModelOptions {
  units: number
  /** Embed weights and thresholds as initializers (export); otherwise they are graph inputs. */
  embed?: { weights: Float32Array; thresholds: Float32Array }
  encoding?: StateEncoding
  /** Add an `external` input x [batch, units] held on during recall: h = s·W + x (003 step 4). */
  external?: boolean
  /** Element type of `state` and `final_state`: float32 (default, the exported interface) or int8 (the app). */
  stateType?: 'float32' | 'int8'
  /**
   * Sum K in explicit blocks of 128 (default true). One MatMul is faster and gives the same sums where MLAS keeps
   * its K block of 128 (see recallNeedsKBlocks); embedded weights are prepacked by ORT in K blocks of 256, so an
   * exported model keeps the explicit blocks.
   */
  kBlocks?: boolean
  /** Added to the model's metadata_props (caller's keys override the defaults, not the facts). */
  metadata?: Record<string, string>
}

/** Graph value names, shared by the in-app runner and the export documentation. */
export const HOPFIELD_RECALL_IO = {
  state: 'state',
  maxIterations: 'max_iterations',
  weights: 'weights',
  thresholds: 'thresholds',
  external: 'external',
  finalState: 'final_state',
  iterations: 'iterations'
} as const

/** MLAS's SGEMM K block (MLAS_SGEMM_STRIDEK); the program sums K in blocks of this size. */
export const RECALL_K_BLOCK = 128

/**
 * Whether one MatMul of `units` columns on `threads` intra-op threads could sum K in blocks wider than 128: MLAS
 * splits a batch smaller than N along N into at most `threads` parts of 16-column groups and widens its K block
 * for a part of 64 columns or fewer. With twice the threads as a margin, one MatMul is safe when every part would
 * still have 5 groups or more (N = 1024 up to 6 threads), and always for N ≤ 128 (one K block).
 */
export function recallNeedsKBlocks(units: number, threads: number): boolean {
  return units > RECALL_K_BLOCK && Math.floor(Math.ceil(units / 16) / (2 * Math.max(1, threads))) < 5
}

export function hopfieldRecallDocString(
  units: number,
  encoding: StateEncoding,
  embedded: boolean,
  external = false,
  stateType: 'float32' | 'int8' = 'float32'
): string {
  const states = encoding === 'bipolar' ? '{-1, +1}' : '{0, 1}'
  return [
    `Synchronous Hopfield recall, ${units} units, ${encoding} states ${states}.`,
    'Inputs:',
    `  state ${stateType} [batch, ${units}]: cue patterns, one per row, values in ${states}.`,
    '  max_iterations int64 scalar (or shape [1]): upper bound on synchronous updates.',
    ...(external ? [`  external float32 [batch, ${units}]: external input x per row, added to the net input at every update.`] : []),
    ...(embedded
      ? []
      : [
          `  weights float32 [${units}, ${units}]: W[j, i] is the weight from unit j to unit i.`,
          `  thresholds float32 [${units}]: per-unit threshold θ.`
        ]),
    'Outputs:',
    `  final_state ${stateType} [batch, ${units}]: state after the last update.`,
    '  iterations int32 [batch]: number of updates that changed each row (max_iterations if it never settled).',
    `Update: h = state · W${external ? ' + external' : ''}; a unit goes to the high state if h > θ, to the low state if h < θ,`,
    'and keeps its state if h == θ. A row stops when an update changes nothing; the loop stops when every row has',
    `stopped or after max_iterations updates. state · W is summed in blocks of ${RECALL_K_BLOCK} units, in order.`
  ].join('\n')
}

const FLOAT = DATA_TYPE.float32
const UINT8 = DATA_TYPE.uint8
const INT32 = DATA_TYPE.int32
const INT64 = DATA_TYPE.int64
const BOOL = DATA_TYPE.bool

/** Builds the recall model. Without `embed`, one model (and one cached session) serves every net of this size. */
export function buildHopfieldRecallModel(opts: HopfieldRecallModelOptions): Uint8Array {
  const { units: n } = opts
  const encoding = opts.encoding ?? 'bipolar'
  const stateType = opts.stateType ?? 'float32'
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`units must be a positive integer, got ${n}`)
  if (opts.embed) {
    if (opts.embed.weights.length !== n * n) {
      throw new RangeError(`weights: expected ${n * n} values, got ${opts.embed.weights.length}`)
    }
    if (opts.embed.thresholds.length !== n) {
      throw new RangeError(`thresholds: expected ${n} values, got ${opts.embed.thresholds.length}`)
    }
  }
  const io = HOPFIELD_RECALL_IO
  const bipolar = encoding === 'bipolar'
  const g = new GraphBuilder('hopfield_recall')
  const embedded = opts.embed !== undefined
  const withExternal = opts.external === true

  const state = g.input(io.state, stateType, ['batch', n], 'cue patterns [batch, units]')
  // Declared a scalar (the onnx 1.12 checker rejects a main-graph input without a shape); ORT also
  // accepts a [1] feed for it, and the Reshape turns that into the scalar Loop requires.
  const maxIterations = g.input(io.maxIterations, 'int64', [], 'upper bound on synchronous updates')
  const external = withExternal ? g.input(io.external, 'float32', ['batch', n], 'external input x [batch, units]') : null
  let weights: string
  let thresholds: string
  if (opts.embed) {
    weights = g.initializer(io.weights, tensor.float32(opts.embed.weights, [n, n]))
    thresholds = g.initializer(io.thresholds, tensor.float32(opts.embed.thresholds, [n]))
  } else {
    weights = g.input(io.weights, 'float32', [n, n], 'W[j, i]: weight from unit j to unit i')
    thresholds = g.input(io.thresholds, 'float32', [n], 'per-unit thresholds')
  }

  const scalarShape = g.constant(tensor.int64([], [0]), 'scalar_shape')
  const flat = g.constInt64([-1], 'flat')
  const tripCount = g.node('Reshape', [maxIterations, scalarShape])
  const zero = g.constFloat(0, 'zero')
  const one = bipolar ? '' : g.constFloat(1, 'one')

  // K blocks of W (rows of W are the summed dimension), sliced once per run outside the Loop.
  const blocks: { start: string; end: string; w: string }[] = []
  const kBlocks = n > RECALL_K_BLOCK && (opts.kBlocks ?? true)
  const axis1 = kBlocks ? g.constInt64([1], 'axis1') : ''
  if (kBlocks) {
    for (let k = 0; k < n; k += RECALL_K_BLOCK) {
      const start = g.constInt64([k], 'k_start')
      const end = g.constInt64([Math.min(k + RECALL_K_BLOCK, n)], 'k_end')
      blocks.push({ start, end, w: g.node('Slice', [weights, start, end, g.constInt64([0])], {}, { outputs: [`weights_k${k}`] }) })
    }
  }

  // σ, the bipolar image of the state, is the loop's state: exact ±1 in float32.
  const stateF = stateType === 'float32' ? state : g.node('Cast', [state], { to: FLOAT })
  const sigma0 = bipolar ? stateF : g.node('Sub', [g.node('Mul', [stateF, g.constFloat(2)]), one], {}, { outputs: ['sigma0'] })
  const batchShape = g.node('Shape', [state], { start: 0, end: 1 })
  const rowIds0 = g.node('Range', [g.constInt64(0), g.node('Reshape', [batchShape, scalarShape]), g.constInt64(1)], {}, { outputs: ['row_ids'] })
  const iterations0 = g.node('ConstantOfShape', [batchShape], { value: tensor.int32([0], [1]) })
  // Back from σ to the encoding's states, in the interface's element type.
  const toStates = (gb: GraphBuilder, v: string): string => {
    const s = bipolar ? v : gb.node('Clip', [v, zero, one])
    return stateType === 'float32' ? s : gb.node('Cast', [s], { to: DATA_TYPE.int8 })
  }

  const body = g.subgraph('recall_step')
  body.input('step', 'int64', [])
  body.input('cond_in', 'bool', [])
  const sigma = body.input('state_in', 'float32', ['rows', n])
  const ids = body.input('ids_in', 'int64', ['rows'])
  const its = body.input('iterations_in', 'int32', ['rows'])
  const doneStates = body.input('done_states_in', stateType, null)
  const doneIds = body.input('done_ids_in', 'int64', null)
  const doneIts = body.input('done_iterations_in', 'int32', null)
  const gather = (v: string, idx: string): string => body.node('Gather', [v, idx], { axis: 0 })

  // h_i = Σ_j s_j w_ji, as in core's netInput (Storkey and pseudo-inverse weights are symmetric, general ones need not be).
  const s = bipolar ? sigma : body.node('Clip', [sigma, zero, one], {}, { outputs: ['state_units'] })
  let sw: string
  if (blocks.length === 0) {
    sw = body.node('MatMul', [s, weights])
  } else {
    const part = (b: { start: string; end: string }): string => body.node('Slice', [s, b.start, b.end, axis1])
    sw = body.node('MatMul', [part(blocks[0]!), blocks[0]!.w])
    for (const b of blocks.slice(1)) sw = body.node('Gemm', [part(b), b.w, sw], { beta: 1 })
  }
  const h = external ? body.node('Add', [sw, gather(external, ids)], {}, { outputs: ['net_input'] }) : sw
  const flip = body.node('Less', [body.node('Mul', [body.node('Sub', [h, thresholds]), sigma]), zero], {}, { outputs: ['flip'] })
  const rowFlips = body.node('ReduceMax', [body.node('Cast', [flip], { to: UINT8 })], { axes: [1], keepdims: 0 })
  const changed = body.node('Cast', [rowFlips], { to: BOOL }, { outputs: ['row_changed'] })

  // When exactly one row is still changing among others, one settled row stays beside it (see the header).
  const rowsShape = body.node('Shape', [sigma], { start: 0, end: 1 })
  const rows = body.node('Reshape', [rowsShape, scalarShape])
  const changedCount = body.node('ReduceSum', [body.node('Cast', [changed], { to: INT64 })], { keepdims: 0 })
  const lone = body.node('And', [body.node('Equal', [changedCount, body.constInt64(1)]), body.node('Greater', [rows, body.constInt64(1)])])
  const companion = body.node('ArgMin', [body.node('Cast', [rowFlips], { to: INT32 })], { axis: 0, keepdims: 0 })
  const rowIndex = body.node('Range', [body.constInt64(0), rows, body.constInt64(1)])
  const stay = body.node('Or', [changed, body.node('And', [body.node('Equal', [rowIndex, companion]), lone])])
  const keep = body.node('Reshape', [body.node('NonZero', [stay]), flat])
  const leave = body.node('Reshape', [body.node('NonZero', [body.node('Not', [stay])]), flat])

  const sigmaKept = gather(sigma, keep)
  const sigmaNext = body.node('Where', [gather(flip, keep), body.node('Neg', [sigmaKept]), sigmaKept], {}, { outputs: ['state_next'] })
  const itsNext = body.node('Add', [gather(its, keep), body.node('Cast', [gather(changed, keep)], { to: INT32 })])

  body.output('cond_out', 'bool', [], { from: body.node('Greater', [changedCount, body.constInt64(0)]) })
  body.output('state_out', 'float32', ['rows_next', n], { from: sigmaNext })
  body.output('ids_out', 'int64', ['rows_next'], { from: gather(ids, keep) })
  body.output('iterations_out', 'int32', ['rows_next'], { from: itsNext })
  body.output('done_states_out', stateType, null, { from: body.node('SequenceInsert', [doneStates, toStates(body, gather(sigma, leave))]) })
  body.output('done_ids_out', 'int64', null, { from: body.node('SequenceInsert', [doneIds, gather(ids, leave)]) })
  body.output('done_iterations_out', 'int32', null, { from: body.node('SequenceInsert', [doneIts, gather(its, leave)]) })

  // The builder declares tensors only; the three accumulators are sequences of tensors.
  const bodyProto = body.build()
  const accumulators = [
    ['done_states', stateType],
    ['done_ids', 'int64'],
    ['done_iterations', 'int32']
  ] as const
  for (const [name, elem] of accumulators) {
    for (const info of [...(bodyProto.input ?? []), ...(bodyProto.output ?? [])]) {
      if (info.name === `${name}_in` || info.name === `${name}_out`) info.type = sequenceType(elem)
    }
  }

  const loopOut = g.node(
    'Loop',
    [
      tripCount,
      g.constBool(true, 'cond_init'),
      sigma0,
      rowIds0,
      iterations0,
      g.node('SequenceEmpty', [], { dtype: DATA_TYPE[stateType] }),
      g.node('SequenceEmpty', [], { dtype: INT64 }),
      g.node('SequenceEmpty', [], { dtype: INT32 })
    ],
    { body: bodyProto },
    6
  )
  const [sigmaLeft, idsLeft, itsLeft, seqStates, seqIds, seqIts] = loopOut as [string, string, string, string, string, string]
  // Rows still changing after max_iterations join the settled ones; then undo the permutation.
  const allStates = g.node('ConcatFromSequence', [g.node('SequenceInsert', [seqStates, toStates(g, sigmaLeft)])], { axis: 0 })
  const allIds = g.node('ConcatFromSequence', [g.node('SequenceInsert', [seqIds, idsLeft])], { axis: 0 })
  const allIts = g.node('ConcatFromSequence', [g.node('SequenceInsert', [seqIts, itsLeft])], { axis: 0 })
  const inverse = g.node('ScatterElements', [g.node('ConstantOfShape', [batchShape], { value: tensor.int64([0], [1]) }), allIds, rowIds0])
  g.output(io.finalState, stateType, ['batch', n], {
    from: g.node('Gather', [allStates, inverse], { axis: 0 }),
    docString: 'state after the last update'
  })
  g.output(io.iterations, 'int32', ['batch'], {
    from: g.node('Gather', [allIts, inverse], { axis: 0 }),
    docString: 'updates that changed each row'
  })

  const docString = hopfieldRecallDocString(n, encoding, embedded, withExternal, stateType)
  g.docString = docString
  const defaults: Record<string, string> = {
    dynamics: 'synchronous',
    tie_rule: 'keep previous state when net input equals threshold',
    inputs: [io.state, io.maxIterations, ...(withExternal ? [io.external] : []), ...(embedded ? [] : [io.weights, io.thresholds])].join(','),
    outputs: 'final_state,iterations'
  }
  const facts: Record<string, string> = {
    kind: 'hopfield',
    units: String(n),
    states: encoding,
    weights_embedded: String(embedded)
  }
  const metadata = { ...defaults, ...opts.metadata, ...facts }
  return buildModel({
    graph: g,
    producer: 'engram',
    ...(metadata.engram_version ? { producerVersion: metadata.engram_version } : {}),
    metadata,
    docString
  })
}

function sequenceType(elem: ElemType): OnnxProto.ITypeProto {
  return { sequenceType: { elemType: { tensorType: { elemType: DATA_TYPE[elem] } } } }
}
