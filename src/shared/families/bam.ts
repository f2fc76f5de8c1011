// The BAM family: bidirectional associative memories (003), X ↔ Y ping-pong recall, and on the same W the one-layer
// hetero-associative net (one X → Y pass).
import { z } from 'zod'
import { bamModelSpecSchema, datasetRefSchema, MAX_UNITS } from '../spec'
import { defineFamily, trainJob } from '../family'

export const bamInfoSchema = z.object({
  kind: z.literal('bam'),
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

export const bamRecallRunSchema = z
  .object({
    kind: z.literal('bam.recall'),
    /** Either layer may be given, or both (partially): 0 marks an unknown unit (bipolar). */
    x: z.array(z.int().min(-1).max(1)).max(MAX_UNITS).optional(),
    y: z.array(z.int().min(-1).max(1)).max(MAX_UNITS).optional(),
    first: z.enum(['x', 'y']).optional(),
    maxIterations: z.int().positive().max(10000).default(100),
    /**
     * bam: X ↔ Y ping-pong until stable (003). one-shot: the one-layer hetero-associative net of 003 on the same
     * W, y = f(xW) once (sign with f(0) = 0 for bipolar, step for binary); needs x.
     */
    mode: z.enum(['bam', 'one-shot']).default('bam')
  })
  .strict()

export const bamFamily = defineFamily({
  kind: 'bam',
  label: 'Bidirectional associative memory',
  spec: bamModelSpecSchema,
  model: bamInfoSchema,
  tensors: ['weights'],
  train: trainJob('bam.train', bamModelSpecSchema, bamInfoSchema),
  runs: [{ request: bamRecallRunSchema, result: z.object({ kind: z.literal('bam.recall'), result: bamRecallResultSchema }) }],
  views: [],
  kept: ['bam.recall'],
  exports: ['safetensors', 'npz']
})
