// The modern Hopfield family (004): the continuous modern Hopfield network ξ ← X softmax(β Xᵀξ) (Ramsauer et al.
// 2020, "Hopfield Networks is All You Need") and the dense associative memory on ±1 states with F(x) = xⁿ, the
// rectified polynomial or exp (Krotov & Hopfield 2016; Demircigil et al. 2017). "Training" stores the patterns; a
// retrieval runs from a corrupted stored pattern, step by step, with the retrieval weights and the energy.
import { z } from 'zod'
import { corruptionSchema, datasetRefSchema, interactionSchema, MAX_ROWS } from '../spec'
import { defineFamily, seedSchema, trainJob } from '../family'

export { interactionSchema, type InteractionSpec } from '../spec'

export const modernModelSpecSchema = z
  .object({
    kind: z.literal('modern'),
    /** continuous: softmax retrieval on real vectors; dense: asynchronous ±1 updates by energy difference. */
    variant: z.enum(['continuous', 'dense']).default('continuous'),
    /** Inverse temperature β > 0 of the continuous net (a retrieval may set its own). */
    beta: z.number().positive().max(1e4).default(0.5),
    /**
     * The stored values of the continuous net: the dataset's ±1 patterns, or its grey levels centred to [−1, 1]
     * (2g − 1). The dense memory always stores ±1 patterns.
     */
    values: z.enum(['bipolar', 'grey']).default('bipolar'),
    /** The dense memory's interaction function F. */
    interaction: interactionSchema.default({ kind: 'polynomial', degree: 3 })
  })
  .strict()
export type ModernModelSpec = z.infer<typeof modernModelSpecSchema>

export const modernInfoSchema = z.object({
  kind: z.literal('modern'),
  id: z.string(),
  name: z.string(),
  spec: modernModelSpecSchema,
  dataset: datasetRefSchema,
  /** d, the dimension of a pattern (the dataset's pixels). */
  units: z.int(),
  /** N, the number of stored patterns. */
  patterns: z.int(),
  width: z.int(),
  height: z.int(),
  labels: z.array(z.string()),
  /** M = max_i ‖x_i‖. */
  largestNorm: z.number(),
  /** Δ_i = x_iᵀx_i − max_{j≠i} x_iᵀx_j per pattern (null: a single pattern, Δ = ∞). */
  separations: z.array(z.number().nullable()),
  /** Theorem 4's well-separation threshold at the model's β (null for N = 1 or the dense memory). */
  wellSeparatedThreshold: z.number().nullable(),
  /** Krotov–Hopfield's capacity estimate N^(n−1) / (2 (2n−3)!! ln N) for the polynomial dense memory (else null). */
  capacityEstimate: z.number().nullable(),
  createdAt: z.string()
})
export type ModernInfo = z.infer<typeof modernInfoSchema>

export const modernRetrieveRunSchema = z
  .object({
    kind: z.literal('modern.retrieve'),
    /** The stored pattern the cue is made from. */
    pattern: z.int().nonnegative().max(MAX_ROWS),
    corruption: corruptionSchema.default({ type: 'flip', fraction: 0.2 }),
    /** Draws the corruption (and the dense memory's update order). */
    seed: seedSchema.default(1),
    /** β of this retrieval (continuous; default: the model's). */
    beta: z.number().positive().max(1e4).optional(),
    /** Stop once an update moves the state less than ε (continuous). */
    epsilon: z.number().nonnegative().max(1e3).default(1e-4),
    /** At most this many updates (continuous) or sweeps (dense). */
    maxSteps: z.int().positive().max(1000).default(50)
  })
  .strict()

export const modernRetrieveResultSchema = z.object({
  modelId: z.string(),
  variant: z.enum(['continuous', 'dense']),
  beta: z.number().nullable(),
  pattern: z.int(),
  cue: z.array(z.number()),
  /**
   * The state at the cue and after each update (continuous) or sweep (dense), with the weights over the stored
   * patterns (softmax(β Xᵀξ); dense: the overlaps m_μ/d) and the energy (dense with F = exp: −ln(−E), which
   * falls exactly when E does and stays finite).
   */
  steps: z.array(z.object({ state: z.array(z.number()), weights: z.array(z.number()), energy: z.number() })),
  converged: z.boolean(),
  /** The stored pattern with the largest weight at the end. */
  retrieved: z.int(),
  /** ‖ξ* − x_pattern‖ (Euclidean), and for ±1 states the Hamming distance. */
  error: z.number(),
  hamming: z.int().nullable(),
  /** Continuous: the fixed point's kind (Ramsauer et al. §2), the patterns it averages over, exp(entropy of p). */
  fixedPoint: z.object({ kind: z.enum(['global', 'metastable', 'single']), patterns: z.array(z.int()), effectiveCount: z.number() }).nullable(),
  /** Continuous: Theorem 5's bound on one update's retrieval error from the cue. */
  errorBound: z.number().nullable()
})
export type ModernRetrieveResult = z.infer<typeof modernRetrieveResultSchema>

export const modernFamily = defineFamily({
  kind: 'modern',
  label: 'Modern Hopfield network',
  spec: modernModelSpecSchema,
  model: modernInfoSchema,
  tensors: ['patterns'],
  train: trainJob('modern.train', modernModelSpecSchema, modernInfoSchema),
  runs: [{ request: modernRetrieveRunSchema, result: z.object({ kind: z.literal('modern.retrieve'), result: modernRetrieveResultSchema }) }],
  views: [],
  kept: ['modern.retrieve'],
  exports: ['onnx', 'safetensors', 'npz']
})
