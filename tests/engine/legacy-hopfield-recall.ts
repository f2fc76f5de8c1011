// The full-W recall program as it was before rows left the batch (commit 8c14325): a Loop of MatMul, Sub, two
// Where and a whole-batch change test. Kept as the reference the faster program must match bit for bit.
import { buildModel, DATA_TYPE, GraphBuilder, tensor } from '../../src/engine/onnx/builder'

export function buildLegacyRecallModel(units: number, encoding: 'bipolar' | 'binary', external: boolean): Uint8Array {
  const g = new GraphBuilder('legacy_recall')
  const state = g.input('state', 'float32', ['batch', units])
  const maxIterations = g.input('max_iterations', 'int64', [])
  const ext = external ? g.input('external', 'float32', ['batch', units]) : null
  const weights = g.input('weights', 'float32', [units, units])
  const thresholds = g.input('thresholds', 'float32', [units])
  const tripCount = g.node('Reshape', [maxIterations, g.constant(tensor.int64([], [0]))])
  const batchShape = g.node('Shape', [state], { start: 0, end: 1 })
  const itersInit = g.node('ConstantOfShape', [batchShape], { value: tensor.int32([0], [1]) })
  const zero = g.constFloat(0)
  const high = g.constFloat(1)
  const low = g.constFloat(encoding === 'bipolar' ? -1 : 0)
  const body = g.subgraph('legacy_step')
  body.input('step', 'int64', [])
  body.input('cond_in', 'bool', [])
  const sIn = body.input('state_in', 'float32', ['batch', units])
  const itIn = body.input('iterations_in', 'int32', ['batch'])
  const sw = body.node('MatMul', [sIn, weights])
  const h = ext ? body.node('Add', [sw, ext]) : sw
  const d = body.node('Sub', [h, thresholds])
  const lowered = body.node('Where', [body.node('Less', [d, zero]), low, sIn])
  const sNew = body.node('Where', [body.node('Greater', [d, zero]), high, lowered])
  const changed = body.node('Cast', [body.node('Not', [body.node('Equal', [sNew, sIn])])], { to: DATA_TYPE.float32 })
  const rowChanged = body.node('ReduceMax', [changed], { axes: [1], keepdims: 0 })
  const itOut = body.node('Add', [itIn, body.node('Cast', [rowChanged], { to: DATA_TYPE.int32 })])
  body.output('cond_out', 'bool', [], { from: body.node('Greater', [body.node('ReduceMax', [rowChanged], { keepdims: 0 }), zero]) })
  body.output('state_out', 'float32', ['batch', units], { from: sNew })
  body.output('iterations_out', 'int32', ['batch'], { from: itOut })
  const [finalState, iterations] = g.node('Loop', [tripCount, g.constBool(true), state, itersInit], { body }, 2)
  g.output('final_state', 'float32', ['batch', units], { from: finalState! })
  g.output('iterations', 'int32', ['batch'], { from: iterations! })
  return buildModel({ graph: g })
}
