// RBM training from a spec file (`engram run`): the spec and the result written beside it. A spec whose `model` is
// { "kind": "rbm", … } is an RBM run; every other spec is an experiment spec (spec.ts), which stays as it was.
// JSON Schemas in resources/schema/ (rbm-spec, rbm-result) are generated from these (npm run schema).
import { z } from 'zod'
import { rbmInfoSchema } from './session'
import { datasetRefSchema, MAX_THREADS, rbmModelSpecSchema, SPEC_VERSION, tensorJsonSchema } from './spec'

export const rbmRunSpecSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(SPEC_VERSION).default(SPEC_VERSION),
    name: z.string().max(200).default('rbm'),
    seed: z.int().nonnegative().max(2 ** 32 - 1),
    /** The training rows (grey levels; binarised as model.binarise says); model.labels needs class labels. */
    dataset: datasetRefSchema,
    model: rbmModelSpecSchema,
    engine: z
      .object({ provider: z.enum(['auto', 'cpu', 'cuda', 'dml', 'coreml']).default('auto'), threads: z.int().nonnegative().max(MAX_THREADS).default(0) })
      .strict()
      .default({ provider: 'auto', threads: 0 })
  })
  .strict()
export type RbmRunSpec = z.infer<typeof rbmRunSpecSchema>
export type RbmRunSpecInput = z.input<typeof rbmRunSpecSchema>


export const rbmRunResultSchema = z
  .object({
    $schema: z.string().optional(),
    kind: z.literal('engram.rbm-result'),
    version: z.literal(SPEC_VERSION),
    spec: rbmRunSpecSchema,
    createdAt: z.string(),
    engram: z.string().describe('Engram version'),
    rng: z.string().describe('random generator algorithm'),
    compute: z.object({ path: z.literal('engine'), provider: z.string(), fallbackReason: z.string().optional() }),
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
    model: z.object({
      kind: z.literal('rbm'),
      /**
       * weights [V,H], visible_bias [V], hidden_bias [H] (+ for Gaussian units log_variance [V], and feature_mean [F],
       * feature_std [F]: the training split's standardisation of the pixels; older result files lack these two).
       */
      stateDict: z.record(z.string(), tensorJsonSchema),
      metadata: z.record(z.string(), z.string())
    })
  })
  .strict()
export type RbmRunResult = z.infer<typeof rbmRunResultSchema>
