// The RBM family: restricted Boltzmann machines (004, 001) trained by CD-k or PCD on the engine; Gibbs samples,
// receptive fields and the hidden layer on data rows.
import { z } from 'zod'
import { datasetRefSchema, MAX_ROWS, MAX_UNITS, rbmModelSpecSchema } from '../spec'
import { defineFamily, seedSchema, trainJob } from '../family'

export const rbmEpochSchema = z.object({
  epoch: z.int(),
  steps: z.int(),
  seconds: z.number(),
  /** Mean squared reconstruction error over the epoch's minibatches. */
  reconstructionError: z.number(),
  /** Mean stochastic pseudo-log-likelihood per row (a sample of training rows). */
  pseudoLikelihood: z.number(),
  /** Mean free energy of training rows and of held-out rows: a growing gap means overfitting. */
  freeEnergyTrain: z.number(),
  freeEnergyHeldOut: z.number().nullable(),
  /** Classification RBMs: the fraction of rows whose argmax_y p(y | x) is their label (training sample, held-out rows). */
  accuracyTrain: z.number().optional(),
  accuracyHeldOut: z.number().nullable().optional()
})
export type RbmEpoch = z.infer<typeof rbmEpochSchema>

export const rbmInfoSchema = z.object({
  kind: z.literal('rbm'),
  id: z.string(),
  name: z.string(),
  spec: rbmModelSpecSchema,
  dataset: datasetRefSchema,
  seed: z.int().nonnegative(),
  visible: z.int(),
  hidden: z.int(),
  width: z.int(),
  height: z.int(),
  trainRows: z.int(),
  heldOutRows: z.int(),
  history: z.array(rbmEpochSchema),
  provider: z.string(),
  /** True when training was cancelled (or cut off): the weights and training state are those at the end of the last finished epoch. */
  partial: z.boolean(),
  /** Classification RBMs: the last `labelUnits` visible units are the one-hot label group (absent: 0). */
  labelUnits: z.int().nonnegative().optional(),
  /**
   * Classification RBMs, after training: the class names (label unit order) and the confusion matrix of the held-out
   * rows (the training rows when none are held out): confusion[true][predicted] counts rows.
   */
  classification: z
    .object({
      classes: z.array(z.string()),
      split: z.enum(['held-out', 'train']),
      rows: z.int(),
      accuracy: z.number(),
      confusion: z.array(z.array(z.int()))
    })
    .optional(),
  /** AIS estimate of log Z (with its ±3σ bracket) and the mean log-likelihood per row it implies. */
  likelihood: z
    .object({
      logZ: z.number(),
      logZLow: z.number().nullable(),
      logZHigh: z.number(),
      effectiveSampleSize: z.number(),
      train: z.number(),
      heldOut: z.number().nullable(),
      runs: z.int(),
      steps: z.int()
    })
    .optional(),
  /** Continued from this model (spec.continueFrom) after its `epochs` epochs; history counts from the start. */
  continuedFrom: z.object({ id: z.string(), name: z.string(), epochs: z.int() }).optional(),
  /**
   * What continuing needs besides the tensors (optim/velocity_*, optim/chains, optim/hidden_activity): the updates
   * taken and the states (four uint32 words) of the epoch generator (minibatch orders, Gibbs noise) and of the metric
   * generator (pseudo-likelihood). Absent on models saved before Engram kept it, and on graph-noise models (the
   * runtime's generators cannot be saved): those cannot be continued.
   */
  trainState: z
    .object({
      updates: z.int().nonnegative(),
      epochRng: z.array(z.int().min(0).max(0xffffffff)).length(4),
      metricRng: z.array(z.int().min(0).max(0xffffffff)).length(4)
    })
    .optional(),
  createdAt: z.string()
})
export type RbmInfo = z.infer<typeof rbmInfoSchema>

/** Gibbs chains from noise or from data rows; returns the visible means after `steps` sweeps. */
export const rbmSampleRunSchema = z
  .object({
    kind: z.literal('rbm.sample'),
    count: z.int().positive().max(400).default(36),
    steps: z.int().positive().max(100000).default(1000),
    from: z.enum(['noise', 'data']).default('noise'),
    seed: seedSchema.default(0)
  })
  .strict()

export const rbmSampleResultSchema = z.object({
  kind: z.literal('rbm.sample'),
  modelId: z.string(),
  width: z.int(),
  height: z.int(),
  steps: z.int(),
  from: z.enum(['noise', 'data']),
  /** Visible means p(v=1|h) after the last sweep, one row per chain. */
  samples: z.array(z.array(z.number())),
  provider: z.string()
})

/** Receptive fields: column j of W (the weights into hidden unit j), one per hidden unit, a page at a time. */
export const rbmFiltersViewSchema = z
  .object({ kind: z.literal('rbm.filters'), offset: z.int().nonnegative().max(MAX_UNITS).default(0), limit: z.int().positive().max(1000).default(100) })
  .strict()

export const rbmFiltersResultSchema = z.object({
  kind: z.literal('rbm.filters'),
  visible: z.int(),
  hidden: z.int(),
  width: z.int(),
  height: z.int(),
  offset: z.int(),
  filters: z.array(z.array(z.number()))
})

/**
 * An RBM's hidden layer on data rows: p(h = 1 | v) per hidden unit and the mean-field reconstruction E[v | p(h)]
 * for the given rows of the RBM's dataset (binarised at its threshold, or standardised for Gaussian units; with
 * the one-hot label for a classification RBM), and each hidden unit's mean activation over many rows
 * (dead units stay near 0, saturated ones near 1).
 */
export const rbmHiddenViewSchema = z.object({ kind: z.literal('rbm.hidden'), rows: z.array(z.int().nonnegative().max(MAX_ROWS)).min(1).max(64) }).strict()

export const rbmHiddenResultSchema = z.object({
  kind: z.literal('rbm.hidden'),
  visible: z.int(),
  hidden: z.int(),
  width: z.int(),
  height: z.int(),
  rows: z.array(
    z.object({
      row: z.int(),
      label: z.string().nullable(),
      /** Whether the row was held out of training (the seeded split of the training run). */
      heldOut: z.boolean(),
      input: z.array(z.number()),
      hidden: z.array(z.number()),
      reconstruction: z.array(z.number())
    })
  ),
  /** Mean p(h_j = 1 | v) over the first `meanRows` rows of the dataset. */
  meanActivation: z.array(z.number()),
  meanRows: z.int()
})

export const rbmFamily = defineFamily({
  kind: 'rbm',
  label: 'Restricted Boltzmann machine',
  spec: rbmModelSpecSchema,
  model: rbmInfoSchema,
  tensors: ['weights', 'visible_bias', 'hidden_bias'],
  train: trainJob('rbm.train', rbmModelSpecSchema, rbmInfoSchema),
  runs: [{ request: rbmSampleRunSchema, result: rbmSampleResultSchema }],
  views: [
    { request: rbmFiltersViewSchema, result: rbmFiltersResultSchema },
    { request: rbmHiddenViewSchema, result: rbmHiddenResultSchema }
  ],
  kept: [],
  exports: ['onnx', 'safetensors', 'npz']
})
