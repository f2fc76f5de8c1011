// ONNX programs of the trainable Hopfield layer: K Adam steps in one run (buildTrainStep's Loop) and the forward-only
// export (MatMul–Softmax–MatMul with the learned stored patterns and projections embedded, dynamic batch). The same tape
// forward serves both; its gradients come from the engine's autodiff, checked against core/hopfield-layer.ts.
// Legend: B batch, d input size, P stored patterns, k key size, C classes, K steps per run.
// Inputs `inputs` [B, d] (state patterns) and `labels` [B] (int64, training only); outputs `logits` [B, C] and
// `attention` [B, P].
import type { HopfieldLayerParamName, HopfieldLayerShape } from '../../core/hopfield-layer'
import { hopfieldLayerParamShapes, HOPFIELD_LAYER_PARAMS } from '../../core/hopfield-layer'
import { softmaxCrossEntropy } from '../autodiff/losses'
import type { FloatType } from '../autodiff/tape'
import { adam } from '../optim/optimiser'
import { buildTrainStep, exportForwardModel, type FloatArray, type ForwardFn, type TrainStepProgram } from './train-step'

export const HOPFIELD_LAYER_IO = { inputs: 'inputs', labels: 'labels', logits: 'logits', attention: 'attention' } as const

/** logits = softmax(β (X W_Q)(Y W_K)ᵀ) (Y W_K) W_V, with the mean cross-entropy against the labels as the loss. */
export function hopfieldLayerTapeForward(beta: number): ForwardFn {
  return (t, p, b) => {
    const q = t.matmul(b[HOPFIELD_LAYER_IO.inputs]!, p.w_q!)
    const k = t.matmul(p.stored_patterns!, p.w_k!)
    const attention = t.softmax(t.mul(t.matmul(q, t.transpose(k)), beta), 1)
    const logits = t.matmul(attention, t.matmul(k, p.w_v!))
    return { loss: softmaxCrossEntropy(t, logits, b[HOPFIELD_LAYER_IO.labels]!), outputs: { logits, attention } }
  }
}

const paramSpecs = (shape: HopfieldLayerShape) => {
  const shapes = hopfieldLayerParamShapes(shape)
  return HOPFIELD_LAYER_PARAMS.map((name) => ({ name, shape: shapes[name] }))
}

/** The training program: `steps` Adam steps on [steps, B, d] inputs and [steps, B] labels per run. */
export function buildHopfieldLayerTrainStep(opts: { shape: HopfieldLayerShape; beta: number; batch: number; steps: number; dtype?: FloatType }): TrainStepProgram {
  const { shape, batch } = opts
  return buildTrainStep({
    name: 'hopfield_layer_train',
    forward: hopfieldLayerTapeForward(opts.beta),
    params: paramSpecs(shape),
    batch: [
      { name: HOPFIELD_LAYER_IO.inputs, shape: [batch, shape.inputSize] },
      { name: HOPFIELD_LAYER_IO.labels, shape: [batch], type: 'int64' }
    ],
    optimiser: adam(),
    steps: opts.steps,
    dtype: opts.dtype ?? 'float32',
    metadata: { model: 'hopfield-layer', beta: String(opts.beta) }
  })
}

/** The trained layer as a standalone model: `inputs` [batch, d] → `logits` [batch, C], `attention` [batch, P]. */
export function exportHopfieldLayerOnnx(shape: HopfieldLayerShape, beta: number, params: Record<HopfieldLayerParamName, FloatArray>, metadata: Record<string, string> = {}): Uint8Array {
  return exportForwardModel({
    name: 'hopfield_layer',
    forward: hopfieldLayerTapeForward(beta),
    params: paramSpecs(shape).map((p) => ({ ...p, value: params[p.name] })),
    inputs: [
      { name: HOPFIELD_LAYER_IO.inputs, shape: ['batch', shape.inputSize] },
      { name: HOPFIELD_LAYER_IO.labels, shape: ['batch'], type: 'int64' }
    ],
    outputs: [HOPFIELD_LAYER_IO.logits, HOPFIELD_LAYER_IO.attention],
    metadata: { ...metadata, beta: String(beta), stored_patterns: String(shape.storedPatterns), classes: String(shape.classes) },
    docString: `Trainable Hopfield layer (Ramsauer et al. 2020): attention = softmax(${beta} · (inputs·W_Q)(Y·W_K)ᵀ) over ${shape.storedPatterns} learned stored patterns Y; logits = attention·(Y·W_K)·W_V.`
  })
}
