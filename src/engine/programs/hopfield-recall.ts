// ONNX program: batched synchronous Hopfield recall, a Loop of MatMul + threshold with the tie rule.
//
// Reference: J. J. Hopfield (1982), PNAS 79(8):2554–2558; synchronous (parallel) update.
// Legend: B batch (dynamic), N units, s state [B,N], W weights [N,N] row-major with w_ji the weight
// from unit j to unit i (as in core netInput, Fausett 003 step 4), θ thresholds [N], h = s·W net input [B,N].
// Update: s'_i = hi if h_i > θ_i, lo if h_i < θ_i, s_i if h_i == θ_i (tie keeps the state).
// (hi, lo) = (+1, −1) for bipolar states, (1, 0) for binary states.
import { buildModel, GraphBuilder, tensor } from '../onnx/builder'

export type StateEncoding = 'bipolar' | 'binary'

export interface HopfieldRecallModelOptions {
  units: number
  /** Embed weights and thresholds as initializers (export); otherwise they are graph inputs. */
  embed?: { weights: Float32Array; thresholds: Float32Array }
  encoding?: StateEncoding
  /** Add an `external` input x [batch, units] held on during recall: h = s·W + x (003 step 4). */
  external?: boolean
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

export function hopfieldRecallDocString(units: number, encoding: StateEncoding, embedded: boolean, external = false): string {
  const states = encoding === 'bipolar' ? '{-1, +1}' : '{0, 1}'
  return [
    `Synchronous Hopfield recall, ${units} units, ${encoding} states ${states}.`,
    'Inputs:',
    `  state float32 [batch, ${units}]: cue patterns, one per row, values in ${states}.`,
    '  max_iterations int64 scalar (or shape [1]): upper bound on synchronous updates.',
    ...(external ? [`  external float32 [batch, ${units}]: external input x per row, added to the net input at every update.`] : []),
    ...(embedded
      ? []
      : [
          `  weights float32 [${units}, ${units}]: W[j, i] is the weight from unit j to unit i.`,
          `  thresholds float32 [${units}]: per-unit threshold θ.`
        ]),
    'Outputs:',
    `  final_state float32 [batch, ${units}]: state after the last update.`,
    '  iterations int32 [batch]: number of updates that changed each row (max_iterations if it never settled).',
    `Update: h = state · W${external ? ' + external' : ''}; a unit goes to the high state if h > θ, to the low state if h < θ,`,
    'and keeps its state if h == θ. The loop stops when no row changes or after max_iterations updates.'
  ].join('\n')
}

/** Builds the recall model. Without `embed`, one model (and one cached session) serves every net of this size. */
export function buildHopfieldRecallModel(opts: HopfieldRecallModelOptions): Uint8Array {
  const { units } = opts
  const encoding = opts.encoding ?? 'bipolar'
  if (!Number.isInteger(units) || units < 1) throw new RangeError(`units must be a positive integer, got ${units}`)
  if (opts.embed) {
    if (opts.embed.weights.length !== units * units) {
      throw new RangeError(`weights: expected ${units * units} values, got ${opts.embed.weights.length}`)
    }
    if (opts.embed.thresholds.length !== units) {
      throw new RangeError(`thresholds: expected ${units} values, got ${opts.embed.thresholds.length}`)
    }
  }
  const io = HOPFIELD_RECALL_IO
  const g = new GraphBuilder('hopfield_recall')
  const embedded = opts.embed !== undefined
  const withExternal = opts.external === true

  const state = g.input(io.state, 'float32', ['batch', units], 'cue patterns [batch, units]')
  // Declared a scalar (the onnx 1.12 checker rejects a main-graph input without a shape); ORT also
  // accepts a [1] feed for it, and the Reshape turns that into the scalar Loop requires.
  const maxIterations = g.input(io.maxIterations, 'int64', [], 'upper bound on synchronous updates')
  const external = withExternal ? g.input(io.external, 'float32', ['batch', units], 'external input x [batch, units]') : null
  let weights: string
  let thresholds: string
  if (opts.embed) {
    weights = g.initializer(io.weights, tensor.float32(opts.embed.weights, [units, units]))
    thresholds = g.initializer(io.thresholds, tensor.float32(opts.embed.thresholds, [units]))
  } else {
    weights = g.input(io.weights, 'float32', [units, units], 'W[j, i]: weight from unit j to unit i')
    thresholds = g.input(io.thresholds, 'float32', [units], 'per-unit thresholds')
  }

  const tripCount = g.node('Reshape', [maxIterations, g.constant(tensor.int64([], [0]), 'scalar_shape')])
  const keepGoing = g.constBool(true, 'cond_init')
  const batchShape = g.node('Shape', [state], { start: 0, end: 1 })
  const itersInit = g.node('ConstantOfShape', [batchShape], { value: tensor.int32([0], [1]) })
  const zero = g.constFloat(0, 'zero')
  const high = g.constFloat(1, 'high')
  const low = g.constFloat(encoding === 'bipolar' ? -1 : 0, 'low')

  const body = g.subgraph('recall_step')
  body.input('step', 'int64', [])
  body.input('cond_in', 'bool', [])
  const sIn = body.input('state_in', 'float32', ['batch', units])
  const itIn = body.input('iterations_in', 'int32', ['batch'])
  // h_i = Σ_j s_j w_ji, as in core's netInput (Hebb weights are symmetric, general ones need not be).
  const sw = body.node('MatMul', [sIn, weights], {}, { outputs: [external ? 'recurrent_input' : 'net_input'] })
  const h = external ? body.node('Add', [sw, external], {}, { outputs: ['net_input'] }) : sw
  const d = body.node('Sub', [h, thresholds])
  // Ties (d == 0) fall through both Wheres and keep the previous state: Sign(0) = 0 is not a state.
  const lowered = body.node('Where', [body.node('Less', [d, zero]), low, sIn])
  const sNew = body.node('Where', [body.node('Greater', [d, zero]), high, lowered], {}, { outputs: ['state_next'] })
  const changed = body.node('Cast', [body.node('Not', [body.node('Equal', [sNew, sIn])])], { to: 1 /* FLOAT */ })
  const rowChanged = body.node('ReduceMax', [changed], { axes: [1], keepdims: 0 })
  const itOut = body.node('Add', [itIn, body.node('Cast', [rowChanged], { to: 6 /* INT32 */ })])
  const anyChanged = body.node('Greater', [body.node('ReduceMax', [rowChanged], { keepdims: 0 }), zero])
  body.output('cond_out', 'bool', [], { from: anyChanged })
  body.output('state_out', 'float32', ['batch', units], { from: sNew })
  body.output('iterations_out', 'int32', ['batch'], { from: itOut })

  const [finalState, iterations] = g.node('Loop', [tripCount, keepGoing, state, itersInit], { body }, 2)
  g.output(io.finalState, 'float32', ['batch', units], { from: finalState!, docString: 'state after the last update' })
  g.output(io.iterations, 'int32', ['batch'], {
    from: iterations!,
    docString: 'updates that changed each row'
  })

  const docString = hopfieldRecallDocString(units, encoding, embedded, withExternal)
  g.docString = docString
  const defaults: Record<string, string> = {
    dynamics: 'synchronous',
    tie_rule: 'keep previous state when net input equals threshold',
    inputs: [io.state, io.maxIterations, ...(withExternal ? [io.external] : []), ...(embedded ? [] : [io.weights, io.thresholds])].join(','),
    outputs: 'final_state,iterations'
  }
  const facts: Record<string, string> = {
    kind: 'hopfield',
    units: String(units),
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
