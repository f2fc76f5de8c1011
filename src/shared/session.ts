// Saved-session schema: what a session holds besides its tensors (stored separately, by name).
import { z } from 'zod'
import { bamModelSpecSchema, corruptionSchema, datasetRefSchema, experimentResultSchema, hopfieldModelSpecSchema, rbmModelSpecSchema } from './spec'

export const SESSION_SCHEMA_VERSION = 3

export const modelInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  spec: hopfieldModelSpecSchema,
  dataset: datasetRefSchema,
  units: z.int(),
  patterns: z.int(),
  /** Indices into the dataset of the stored patterns. */
  patternIndices: z.array(z.int()),
  width: z.int(),
  height: z.int(),
  /** How many stored patterns are fixed points of the dynamics. */
  storedFixedPoints: z.int(),
  /** Seed of the training's random draws (energy training). */
  seed: z.int().nonnegative().default(0),
  /** Energy training: targets that were fixed points after each epoch. */
  training: z.object({ history: z.array(z.object({ epoch: z.int(), fixedTargets: z.int(), raised: z.int() })) }).optional(),
  createdAt: z.string()
})
export type ModelInfo = z.infer<typeof modelInfoSchema>

export const cueSchema = z.object({
  /** Stored pattern (index into the model's stored patterns) the cue came from, or -1 for a drawn cue. */
  source: z.int(),
  corruption: corruptionSchema,
  seed: z.int().nonnegative(),
  state: z.array(z.int().min(-1).max(1))
})
export type Cue = z.infer<typeof cueSchema>

export const asyncRecallResultSchema = z.object({
  modelId: z.string(),
  seed: z.int(),
  order: z.union([z.enum(['random', 'sequential']), z.array(z.int())]),
  initial: z.array(z.int()),
  /** Visited unit per update, in order (sweeps × N entries at most). */
  units: z.array(z.int()),
  /** The unit's value after each update. */
  values: z.array(z.int()),
  /** Energy before any update, then after each update (length units.length + 1). */
  energy: z.array(z.number()),
  /** Overlap m_μ = (1/N) Σ ξ_i s_i with each stored pattern, at the start and after each sweep. */
  overlaps: z.array(z.array(z.number())),
  final: z.array(z.int()),
  sweeps: z.int(),
  /** stored-match and repeat: the recurrent auto-associator's stop rules (003 Step 5). */
  outcome: z.enum(['fixed-point', 'cycle', 'max-iterations', 'stored-match', 'repeat']),
  /** Index of the stored pattern equal to the final state, or -1. */
  recalled: z.int(),
  /** async: one unit per update (units/values); sync and recurrent: all units per step (steps). */
  mode: z.enum(['async', 'sync', 'recurrent']).default('async'),
  external: z.enum(['none', 'cue']).default('none'),
  /** States of `initial`, `final`, `values` and `steps`: {−1, 1} or {0, 1}; recurrent sign0 may give 0 in bipolar. */
  encoding: z.enum(['bipolar', 'binary']).default('bipolar'),
  /** sync / recurrent: the state after each step (energy and overlaps have one entry per step after the first). */
  steps: z.array(z.array(z.int())).default([]),
  /** sync (nets up to 1024 units) and recurrent: the net input y_in of every unit at each step (003 prints them). */
  netInputs: z.array(z.array(z.number())).default([]),
  /** sync: L(y_t, y_t−1) = −y_tᵀW y_t−1 − (x − θ)ᵀ(y_t + y_t−1), non-increasing along synchronous steps. */
  pairEnergy: z.array(z.number()).default([]),
  /** recurrent 'repeat': the earlier vector it equals (0 = the cue, k = step k). */
  repeatOf: z.int().default(-1)
})
export type AsyncRecallResult = z.infer<typeof asyncRecallResultSchema>

export const batchRecallResultSchema = z.object({
  modelId: z.string(),
  seed: z.int(),
  corruption: corruptionSchema,
  cuesPerPattern: z.int(),
  cues: z.int(),
  successRate: z.number(),
  /** Success rate per stored pattern. */
  perPattern: z.array(z.number()),
  meanIterations: z.number(),
  meanFinalOverlap: z.number(),
  provider: z.string(),
  seconds: z.number(),
  external: z.enum(['none', 'cue']).default('none')
})
export type BatchRecallResult = z.infer<typeof batchRecallResultSchema>

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
  /** True when training was cancelled: the weights are those of the last finished update. */
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
  createdAt: z.string()
})
export type RbmInfo = z.infer<typeof rbmInfoSchema>

export const bamInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  spec: bamModelSpecSchema,
  dataset: datasetRefSchema,
  xUnits: z.int(),
  yUnits: z.int(),
  /** Image size of the X layer (the dataset's). */
  width: z.int(),
  height: z.int(),
  labels: z.array(z.string()),
  /** Stored pairs: X patterns (dataset rows) and their Y codes, in the model's encoding. */
  x: z.array(z.array(z.int())),
  y: z.array(z.array(z.int())),
  /** 003's sufficient conditions for Hebbian hetero-association of these pairs, and the disturbance bound δ̄. */
  conditions: z
    .object({
      allOrthogonal: z.boolean(),
      condition2: z.boolean(),
      /** Pairs of inputs that are not orthogonal (or break condition 2), at most 20 listed. */
      violations: z.array(z.object({ p1: z.int(), p2: z.int(), dot: z.number(), sameTarget: z.boolean() })),
      violationCount: z.int(),
      minNormSquared: z.number(),
      disturbanceBound: z.number(),
      boundApplies: z.boolean()
    })
    .optional(),
  createdAt: z.string()
})
export type BamInfo = z.infer<typeof bamInfoSchema>

export const bamRecallResultSchema = z.object({
  modelId: z.string(),
  cue: z.object({ x: z.array(z.int()).nullable(), y: z.array(z.int()).nullable() }),
  /** Every half-step: which layer updated, its net input, its state after, and L = −xWyᵀ. */
  steps: z.array(z.object({ layer: z.enum(['x', 'y']), netInput: z.array(z.number()), state: z.array(z.int()), energy: z.number() })),
  x: z.array(z.int()),
  y: z.array(z.int()),
  halfSteps: z.int(),
  /** one-shot: a single X → Y pass (the hetero-associative net), no stability check. */
  outcome: z.enum(['stable', 'max-iterations', 'one-shot']),
  mode: z.enum(['bam', 'one-shot']).default('bam'),
  /** Stored pair equal to (x, y), its negative, or neither (a spurious stable state). */
  match: z.int(),
  negativeMatch: z.int(),
  spurious: z.boolean()
})
export type BamRecallResult = z.infer<typeof bamRecallResultSchema>

/** A finished experiment (sweep or recall run) kept in the session; its result carries no weights. */
export const experimentRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  result: experimentResultSchema
})
export type ExperimentRecord = z.infer<typeof experimentRecordSchema>

export const sessionStateSchema = z.object({
  schemaVersion: z.literal(SESSION_SCHEMA_VERSION),
  id: z.string(),
  name: z.string().min(1).max(200),
  createdAt: z.string(),
  updatedAt: z.string(),
  dataset: datasetRefSchema.nullable(),
  models: z.array(modelInfoSchema),
  activeModelId: z.string().nullable(),
  cue: cueSchema.nullable(),
  asyncRecall: asyncRecallResultSchema.nullable(),
  batchRecall: batchRecallResultSchema.nullable(),
  /** Experiments run from the experiments page, newest last. */
  experiments: z.array(experimentRecordSchema),
  /** Trained restricted Boltzmann machines (weights in the session's tensors under rbm/<id>/). */
  rbms: z.array(rbmInfoSchema),
  /** Bidirectional associative memories and the last BAM recall. */
  bams: z.array(bamInfoSchema),
  bamRecall: bamRecallResultSchema.nullable(),
  ui: z.record(z.string(), z.unknown())
})
export type SessionState = z.infer<typeof sessionStateSchema>

export const sessionSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  models: z.int(),
  /** Whether the in-memory workspace has changes not yet saved. */
  dirty: z.boolean()
})
export type SessionSummary = z.infer<typeof sessionSummarySchema>

/** A new, empty session. */
export function emptySessionState(id: string, name: string, at: string): SessionState {
  return {
    schemaVersion: SESSION_SCHEMA_VERSION,
    id,
    name,
    createdAt: at,
    updatedAt: at,
    dataset: null,
    models: [],
    activeModelId: null,
    cue: null,
    asyncRecall: null,
    batchRecall: null,
    experiments: [],
    rbms: [],
    bams: [],
    bamRecall: null,
    ui: {}
  }
}
