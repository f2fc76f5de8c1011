// The Hopfield family: auto-associative nets trained by Hebb, Storkey, pseudo-inverse or energy minimisation (003, 004),
// recalled step by step (recall lab) or as batches of noisy cues on the engine.
import { z } from 'zod'
import { corruptionSchema, datasetRefSchema, hopfieldModelSpecSchema, MAX_UNITS } from '../spec'
import { defineFamily, seedSchema, trainJob } from '../family'

export const modelInfoSchema = z.object({
  kind: z.literal('hopfield'),
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

/**
 * One traced recall from one cue (the recall lab): asynchronous (one unit per update), synchronous (all units at once;
 * fixed point or 2-cycle) or 003's recurrent auto-associator (stops when the vector matches a stored one, repeats an
 * earlier one, or at the limit). The cue is in the model's encoding ({0,1} for binary).
 */
export const recallAsyncRunSchema = z
  .object({
    kind: z.literal('recall.async'),
    cue: z.array(z.int().min(-1).max(1)).min(1).max(MAX_UNITS),
    seed: seedSchema,
    /** Async visiting order: random (seeded, a new permutation each sweep), sequential, or a given permutation of 0..N−1. */
    order: z.union([z.enum(['random', 'sequential']), z.array(z.int().nonnegative().max(MAX_UNITS)).min(1).max(MAX_UNITS)]).default('random'),
    maxSweeps: z.int().positive().max(1000).default(20),
    mode: z.enum(['async', 'sync', 'recurrent']).default('async'),
    /** External input x: none, or the cue held on as x (003: y_in_i = x_i + Σ_j y_j w_ji). */
    external: z.enum(['none', 'cue']).default('none'),
    /** Recurrent mode: f(0) = 0 (sign0, 003's printed numbers) or a zero net input keeps the unit. */
    activation: z.enum(['sign0', 'keep']).default('sign0')
  })
  .strict()

/** Many noisy cues of every stored pattern, recalled synchronously as one batch (on the engine). */
export const recallBatchRunSchema = z
  .object({
    kind: z.literal('recall.batch'),
    corruption: corruptionSchema,
    cuesPerPattern: z.int().positive().max(100000),
    seed: seedSchema,
    maxIterations: z.int().positive().max(10000).default(50),
    /** 'cue': every cue is also held on as the external input x (003), on the engine too. */
    external: z.enum(['none', 'cue']).default('none')
  })
  .strict()

export const hopfieldFamily = defineFamily({
  kind: 'hopfield',
  label: 'Hopfield network',
  spec: hopfieldModelSpecSchema,
  model: modelInfoSchema,
  tensors: ['weights', 'thresholds', 'patterns'],
  train: trainJob('hopfield.train', hopfieldModelSpecSchema, modelInfoSchema),
  runs: [
    { request: recallAsyncRunSchema, result: z.object({ kind: z.literal('recall.async'), result: asyncRecallResultSchema }) },
    { request: recallBatchRunSchema, result: z.object({ kind: z.literal('recall.batch'), result: batchRecallResultSchema }) }
  ],
  views: [],
  kept: ['recall.async', 'recall.batch'],
  exports: ['onnx', 'safetensors', 'npz']
})
