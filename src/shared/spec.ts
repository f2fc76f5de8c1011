// Experiment spec and result: the one format shared by the app, `engram run` and saved sessions.
// JSON Schemas in resources/schema/ are generated from these (npm run schema) and checked in CI.
import { z } from 'zod'

export const SPEC_VERSION = 1

export const BUILTIN_DATASETS = ['seeds-003-auto', 'seeds-000-nine', 'letters', 'digits'] as const
export const datasetIdSchema = z.enum(BUILTIN_DATASETS)
export type DatasetId = z.infer<typeof datasetIdSchema>

export const datasetRefSchema = z
  .object({
    builtin: datasetIdSchema.describe('Built-in dataset id'),
    /** Indices of the patterns to store; default: the first `count` patterns. */
    select: z.array(z.int().nonnegative()).min(1).optional(),
    count: z.int().positive().optional(),
    /** Binarisation threshold for grey-level datasets (digits): pixel > threshold -> +1. */
    threshold: z.number().min(0).max(1).default(0.5)
  })
  .strict()
export type DatasetRef = z.infer<typeof datasetRefSchema>

export const hopfieldModelSpecSchema = z
  .object({
    kind: z.literal('hopfield'),
    rule: z.literal('hebb').default('hebb'),
    /** Hebb normalisation: none (003: w = Σ s sᵀ), 1/N or 1/P (000: 1/M). Sign dynamics are unchanged. */
    normalisation: z.enum(['none', '1/N', '1/P']).default('none'),
    zeroDiagonal: z.boolean().default(true)
  })
  .strict()
export type HopfieldModelSpec = z.infer<typeof hopfieldModelSpecSchema>

export const corruptionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('flip'), fraction: z.number().min(0).max(1) }).strict(),
  z
    .object({
      type: z.literal('mask'),
      /** Masked rectangle in pixel units of the pattern image; masked units are set to `fill`. */
      x: z.int().nonnegative(),
      y: z.int().nonnegative(),
      width: z.int().positive(),
      height: z.int().positive(),
      fill: z.union([z.literal(-1), z.literal(0), z.literal(1)]).default(-1)
    })
    .strict(),
  z.object({ type: z.literal('maskFraction'), fraction: z.number().min(0).max(1), fill: z.union([z.literal(-1), z.literal(0), z.literal(1)]).default(-1) }).strict()
])
export type Corruption = z.infer<typeof corruptionSchema>

export const recallSpecSchema = z
  .object({
    /** async: one unit at a time (core, traced); sync: all units at once (engine, batched). */
    mode: z.enum(['async', 'sync']).default('sync'),
    order: z.enum(['random', 'sequential']).default('random'),
    maxSweeps: z.int().positive().max(10000).default(50),
    corruption: corruptionSchema.default({ type: 'flip', fraction: 0.1 }),
    /** Noisy cues drawn per stored pattern. */
    cuesPerPattern: z.int().positive().max(100000).default(10),
    /** Energy traces kept in the result for the first `traceCount` cues (async mode). */
    traceCount: z.int().nonnegative().max(1000).default(4)
  })
  .strict()
export type RecallSpec = z.infer<typeof recallSpecSchema>

export const experimentSpecSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(SPEC_VERSION).default(SPEC_VERSION),
    name: z.string().max(200).default('experiment'),
    seed: z.int().nonnegative().max(2 ** 32 - 1),
    dataset: datasetRefSchema,
    model: hopfieldModelSpecSchema,
    recall: recallSpecSchema.default({
      mode: 'sync',
      order: 'random',
      maxSweeps: 50,
      corruption: { type: 'flip', fraction: 0.1 },
      cuesPerPattern: 10,
      traceCount: 4
    }),
    engine: z
      .object({ provider: z.enum(['auto', 'cpu', 'cuda', 'dml', 'coreml']).default('auto'), threads: z.int().nonnegative().default(0) })
      .strict()
      .default({ provider: 'auto', threads: 0 })
  })
  .strict()
export type ExperimentSpec = z.infer<typeof experimentSpecSchema>
export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>

/** A tensor in JSON: little-endian bytes, base64. */
export const tensorJsonSchema = z
  .object({
    dtype: z.enum(['float32', 'float64', 'int8', 'int32', 'uint8']),
    shape: z.array(z.int().nonnegative()),
    data: z.string().describe('base64 of the little-endian bytes')
  })
  .strict()
export type TensorJson = z.infer<typeof tensorJsonSchema>

export const cueOutcomeSchema = z.object({
  pattern: z.int(),
  /** Index of the stored pattern the final state equals (or -1). */
  recalled: z.int(),
  success: z.boolean(),
  overlapFinal: z.number(),
  hammingFinal: z.int(),
  iterations: z.int(),
  outcome: z.enum(['fixed-point', 'cycle', 'max-iterations'])
})
export type CueOutcome = z.infer<typeof cueOutcomeSchema>

export const experimentResultSchema = z
  .object({
    $schema: z.string().optional(),
    kind: z.literal('engram.experiment-result'),
    version: z.literal(SPEC_VERSION),
    spec: experimentSpecSchema,
    createdAt: z.string(),
    engram: z.string().describe('Engram version'),
    rng: z.string().describe('random generator algorithm'),
    compute: z.object({ path: z.enum(['core', 'engine']), provider: z.string(), fallbackReason: z.string().optional() }),
    metrics: z.object({
      patterns: z.int(),
      units: z.int(),
      cues: z.int(),
      successRate: z.number(),
      meanFinalOverlap: z.number(),
      storedFixedPoints: z.int().describe('stored patterns that are fixed points of the dynamics'),
      meanIterations: z.number(),
      seconds: z.number()
    }),
    outcomes: z.array(cueOutcomeSchema),
    traces: z.array(
      z.object({ pattern: z.int(), energy: z.array(z.number()), overlaps: z.array(z.array(z.number())) })
    ),
    model: z.object({
      kind: z.literal('hopfield'),
      units: z.int(),
      stateDict: z.record(z.string(), tensorJsonSchema),
      metadata: z.record(z.string(), z.string())
    })
  })
  .strict()
export type ExperimentResult = z.infer<typeof experimentResultSchema>
