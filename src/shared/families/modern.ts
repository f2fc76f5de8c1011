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

/** The attention view's bounds: queries per call, stored patterns drawn, d_k / d_v of a projection, and its work. */
export const ATTENTION_LIMITS = { queries: 32, stored: 512, projected: 1024, givenRows: 4096, work: 4e8 } as const

const finiteRow = z.array(z.number().finite()).min(1).max(ATTENTION_LIMITS.givenRows)
const givenMatrix = z.array(z.array(z.number().finite()).min(1).max(ATTENTION_LIMITS.projected)).min(1).max(ATTENTION_LIMITS.givenRows)

export const modernAttentionViewSchema = z
  .object({
    kind: z.literal('modern.attention'),
    /** The queries R: stored patterns corrupted as a retrieval's cue is (one draw stream from `seed`), or given rows. */
    queries: z.discriminatedUnion('from', [
      z
        .object({
          from: z.literal('cues'),
          patterns: z.array(z.int().nonnegative().max(MAX_ROWS)).min(1).max(ATTENTION_LIMITS.queries),
          corruption: corruptionSchema.default({ type: 'flip', fraction: 0.2 }),
          seed: seedSchema.default(1)
        })
        .strict(),
      z.object({ from: z.literal('given'), values: z.array(finiteRow).min(1).max(ATTENTION_LIMITS.queries) }).strict()
    ]),
    /**
     * W_Q, W_K, W_V: the identity (Q = R, K = V = Y, d_k = d); seeded random Gaussian projections to d_k (entries
     * N(0, 1/d_k); W_V random to d_v, or the identity when d_v is null); or given matrices ([d, d_k], [d, d_k], [d, d_v]).
     */
    projection: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('identity') }).strict(),
        z
          .object({
            kind: z.literal('random'),
            dk: z.int().positive().max(ATTENTION_LIMITS.projected),
            dv: z.int().positive().max(ATTENTION_LIMITS.projected).nullable().default(null),
            seed: seedSchema.default(0)
          })
          .strict(),
        z.object({ kind: z.literal('given'), wQ: givenMatrix, wK: givenMatrix, wV: givenMatrix }).strict()
      ])
      .default({ kind: 'identity' })
  })
  .strict()
export type ModernAttentionView = z.infer<typeof modernAttentionViewSchema>

const rows = z.array(z.array(z.number()))
export const modernAttentionResultSchema = z.object({
  kind: z.literal('modern.attention'),
  projection: z.enum(['identity', 'random', 'given']),
  /** S queries, T stored patterns, d the pattern size, d_k and d_v. */
  dims: z.object({ queries: z.int(), stored: z.int(), d: z.int(), dk: z.int(), dv: z.int() }),
  width: z.int(),
  height: z.int(),
  /** The stored pattern each query was made from (null: given queries). */
  queryPatterns: z.array(z.int()).nullable(),
  /** R [S, d]. */
  queries: rows,
  /** Q [S, d_k], K [T, d_k], V [T, d_v]. */
  q: rows,
  k: rows,
  v: rows,
  /** A = softmax(Q Kᵀ/√d_k) [S, T]: the retrieval weights over the stored patterns, one row per query. */
  weights: rows,
  /** Z = A V [S, d_v]. */
  output: rows,
  /** 1/√d_k: the head's scale and the Hopfield update's β. */
  scale: z.number(),
  /** The modern Hopfield update on the same numbers (stored [k_j ; v_j], state [q_s ; 0], β = 1/√d_k): its value part. */
  hopfieldOutput: rows,
  /** max |A − p| and max |Z − ξ_new's value part|: the two computations agree to rounding. */
  maxDiff: z.object({ weights: z.number(), output: z.number() }),
  /** Per query, the stored pattern with the largest weight. */
  argmax: z.array(z.int())
})
export type ModernAttentionResult = z.infer<typeof modernAttentionResultSchema>

export const modernFamily = defineFamily({
  kind: 'modern',
  label: 'Modern Hopfield network',
  spec: modernModelSpecSchema,
  model: modernInfoSchema,
  tensors: ['patterns'],
  train: trainJob('modern.train', modernModelSpecSchema, modernInfoSchema),
  runs: [{ request: modernRetrieveRunSchema, result: z.object({ kind: z.literal('modern.retrieve'), result: modernRetrieveResultSchema }) }],
  views: [{ request: modernAttentionViewSchema, result: modernAttentionResultSchema }],
  kept: ['modern.retrieve'],
  exports: ['onnx', 'safetensors', 'npz']
})
