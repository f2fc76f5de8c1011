// Hopfield layer training from a spec file (`engram run`): a spec whose `model` is { "kind": "hopfield-layer", … } trains
// the app's layer (the Hopfield layer page) on the task it names and writes the curve, the held-out accuracy beside the
// linear baseline, and the weights. Shaped like the other training specs (version, name, seed, model, engine); exports
// through --export. JSON Schemas in resources/schema/ (hopfield-layer-spec, hopfield-layer-result), from these.
import { z } from 'zod'
import { hopfieldLayerInfoSchema, hopfieldLayerModelSpecSchema } from './families/hopfield-layer'
import { engineSpecSchema, resultFileHead, specFileHead, trainedModelSchema } from './spec'

export const hopfieldLayerRunSpecSchema = z
  .object({
    ...specFileHead('hopfield-layer'),
    model: hopfieldLayerModelSpecSchema,
    engine: engineSpecSchema
  })
  .strict()
export type HopfieldLayerRunSpec = z.infer<typeof hopfieldLayerRunSpecSchema>

export const hopfieldLayerRunResultSchema = z
  .object({
    ...resultFileHead('engram.hopfield-layer-result', hopfieldLayerRunSpecSchema),
    metrics: z.object({
      epochs: z.int(),
      seconds: z.number(),
      /** The last epoch's mean training loss (nats). */
      loss: z.number(),
      trainAccuracy: z.number(),
      testAccuracy: z.number(),
      /** The linear baseline's held-out accuracy (same minibatches, same Adam). */
      baselineTestAccuracy: z.number()
    }),
    /** What the app keeps of a trained layer (its spec is the result's spec.model): the curve, accuracies, stored patterns' classes. */
    layer: hopfieldLayerInfoSchema.omit({ kind: true, spec: true }),
    /** stateDict: float32 stored_patterns [P, d], w_q [d, k], w_k [d, k], w_v [k, C]. */
    model: trainedModelSchema('hopfield-layer')
  })
  .strict()
export type HopfieldLayerRunResult = z.infer<typeof hopfieldLayerRunResultSchema>
