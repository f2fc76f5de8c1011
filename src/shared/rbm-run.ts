// RBM training from a spec file (`engram run`): the spec and the result written beside it. A spec whose `model` is
// { "kind": "rbm", … } is an RBM run; every other spec is an experiment spec (spec.ts), which stays as it was.
// JSON Schemas in resources/schema/ (rbm-spec, rbm-result) are generated from these (npm run schema).
import { z } from 'zod'
import { rbmInfoSchema } from './session'
import { datasetRefSchema, engineSpecSchema, rbmModelSpecSchema, resultFileHead, specFileHead, trainedModelSchema } from './spec'

// A spec file continues an earlier run from its result file (a session's model id is for the app's RBM page).
export const rbmRunModelSchema = rbmModelSpecSchema.omit({ continueFrom: true }).extend({
  continueFrom: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe(
      "an earlier RBM result file (engram run's output, finished or cancelled), relative to the spec file's directory: training continues from it up to model.epochs in all, exactly as one longer run; the dataset, seed and every field but learningRate, momentum, weightDecay, ais and epochs must be its"
    )
})

export const rbmRunSpecSchema = z
  .object({
    ...specFileHead('rbm'),
    /** The training rows (grey levels; binarised as model.binarise says); model.labels needs class labels. */
    dataset: datasetRefSchema,
    model: rbmRunModelSchema,
    engine: engineSpecSchema
  })
  .strict()
export type RbmRunSpec = z.infer<typeof rbmRunSpecSchema>
export type RbmRunSpecInput = z.input<typeof rbmRunSpecSchema>


export const rbmRunResultSchema = z
  .object({
    ...resultFileHead('engram.rbm-result', rbmRunSpecSchema, z.object({ path: z.literal('engine'), provider: z.string(), fallbackReason: z.string().optional() })),
    /** The last epoch's figures (and the final classification / AIS figures when asked for). */
    metrics: z.object({
      epochs: z.int(),
      steps: z.int(),
      seconds: z.number(),
      reconstructionError: z.number(),
      pseudoLikelihood: z.number(),
      freeEnergyTrain: z.number(),
      freeEnergyHeldOut: z.number().nullable(),
      accuracyTrain: z.number().optional(),
      accuracyHeldOut: z.number().nullable().optional(),
      logLikelihoodTrain: z.number().optional(),
      logLikelihoodHeldOut: z.number().nullable().optional()
    }),
    /** What the app keeps of a trained RBM: sizes, split, per-epoch history, AIS, classification. */
    rbm: rbmInfoSchema.omit({ kind: true }),
    /**
     * stateDict: weights [V,H], visible_bias [V], hidden_bias [H] (+ for Gaussian units log_variance [V], and
     * feature_mean [F], feature_std [F]: the training split's standardisation of the pixels; older result files lack
     * these two), and the training state a continuation needs (rbm.trainState says the rest): optim/velocity_weights,
     * optim/velocity_visible_bias, optim/velocity_hidden_bias (with momentum), optim/hidden_activity (with sparsity),
     * optim/chains (PCD).
     */
    model: trainedModelSchema('rbm')
  })
  .strict()
export type RbmRunResult = z.infer<typeof rbmRunResultSchema>
