// ONNX programs of Hopfield pooling (the Hopfield layer's pooling mode): K Adam steps in one run (buildTrainStep's Loop)
// on bags padded to N instances, and the forward-only export with a dynamic batch and a dynamic bag size. The masked
// softmax puts −1e30 on padding (exp gives exactly 0 there, in float32 and float64), so padding changes nothing. The
// gradients come from the engine's autodiff, checked against core/hopfield-pooling.ts.
// Legend: B bags, N instances per bag (padded), d instance size, k key size, C classes, K steps per run.
// Inputs `bags` [B, N, d], `mask` [B, N] (1 real, 0 padding), `labels` [B] (int64, training only); outputs `logits`
// [B, C] and `attention` [B, N].
import type { HopfieldPoolingParamName, HopfieldPoolingShape } from '../../core/hopfield-pooling'
import { HOPFIELD_POOLING_PARAMS, hopfieldPoolingParamShapes } from '../../core/hopfield-pooling'
import { softmaxCrossEntropy } from '../autodiff/losses'
import type { FloatType } from '../autodiff/tape'
import { adam } from '../optim/optimiser'
import { buildTrainStep, exportForwardModel, type FloatArray, type ForwardFn, type TrainStepProgram } from './train-step'

export const HOPFIELD_POOLING_IO = { bags: 'bags', mask: 'mask', labels: 'labels', logits: 'logits', attention: 'attention' } as const

/** The score a padded instance gets: exp(−1e30 − max) is exactly 0 in float32 and float64. */
const MASKED_SCORE = -1e30

/** attention = softmax over the bag of β (bags W_K) qᵀ (masked); logits = (attention · bags W_K) W_V + bias. */
export function hopfieldPoolingTapeForward(beta: number): ForwardFn {
  return (t, p, b) => {
    const io = HOPFIELD_POOLING_IO
    const keys = t.matmul(b[io.bags]!, p.w_k!)
    const scores = t.mul(t.squeeze(t.matmul(keys, t.transpose(p.query!)), [2]), beta)
    const attention = t.softmax(t.where(t.compare('Greater', b[io.mask]!, 0.5), scores, MASKED_SCORE), 1)
    const pooled = t.squeeze(t.matmul(t.unsqueeze(attention, [1]), keys), [1])
    const logits = t.add(t.matmul(pooled, p.w_v!), p.bias!)
    return { loss: softmaxCrossEntropy(t, logits, b[io.labels]!), outputs: { logits, attention } }
  }
}

const paramSpecs = (shape: HopfieldPoolingShape) => {
  const shapes = hopfieldPoolingParamShapes(shape)
  return HOPFIELD_POOLING_PARAMS.map((name) => ({ name, shape: shapes[name] }))
}

/** The training program: `steps` Adam steps on [steps, B, N, d] bags, [steps, B, N] masks and [steps, B] labels per run. */
export function buildHopfieldPoolingTrainStep(opts: { shape: HopfieldPoolingShape; beta: number; batch: number; bagLength: number; steps: number; dtype?: FloatType }): TrainStepProgram {
  const { shape, batch, bagLength: N } = opts
  const io = HOPFIELD_POOLING_IO
  return buildTrainStep({
    name: 'hopfield_pooling_train',
    forward: hopfieldPoolingTapeForward(opts.beta),
    params: paramSpecs(shape),
    batch: [
      { name: io.bags, shape: [batch, N, shape.inputSize] },
      { name: io.mask, shape: [batch, N] },
      { name: io.labels, shape: [batch], type: 'int64' }
    ],
    optimiser: adam(),
    steps: opts.steps,
    dtype: opts.dtype ?? 'float32',
    metadata: { model: 'hopfield-pooling', beta: String(opts.beta) }
  })
}

/** The trained pooling layer as a standalone model: `bags` [batch, bag, d] and `mask` [batch, bag] → `logits` [batch, C], `attention` [batch, bag]. */
export function exportHopfieldPoolingOnnx(shape: HopfieldPoolingShape, beta: number, params: Record<HopfieldPoolingParamName, FloatArray>, metadata: Record<string, string> = {}): Uint8Array {
  const io = HOPFIELD_POOLING_IO
  return exportForwardModel({
    name: 'hopfield_pooling',
    forward: hopfieldPoolingTapeForward(beta),
    params: paramSpecs(shape).map((p) => ({ ...p, value: params[p.name] })),
    inputs: [
      { name: io.bags, shape: ['batch', 'bag', shape.inputSize] },
      { name: io.mask, shape: ['batch', 'bag'] },
      { name: io.labels, shape: ['batch'], type: 'int64' }
    ],
    outputs: [io.logits, io.attention],
    metadata: { ...metadata, beta: String(beta), classes: String(shape.classes) },
    docString: `Hopfield pooling (Ramsauer et al. 2020): attention = softmax over each bag's instances (mask 1) of ${beta} · (bags·W_K)·qᵀ with a learned query q; logits = (attention·bags·W_K)·W_V + bias.`
  })
}
