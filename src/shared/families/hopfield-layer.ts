// The trainable Hopfield layer (issue 10; seeds/004, Ramsauer et al. 2020's HopfieldLayer with learned stored patterns):
// logits = softmax(β (X W_Q)(Y W_K)ᵀ) (Y W_K) W_V, with the stored patterns Y and the projections W_Q, W_K, W_V learned by
// Adam on the engine (core fallback), on a synthetic task whose classes are sign-symmetric pairs of noisy prototypes (no
// linear read-out separates them; a linear classifier trained on the same batches is the baseline). A view shows one
// held-out input's attention over the stored patterns. Reference: docs/hopfield-layer.md.
// Legend: d = width·height input size, P stored patterns, k associative (key) size, C classes.
import { z } from 'zod'
import { defineFamily, trainJob } from '../family'

export const HOPFIELD_LAYER_LIMITS = { classes: 8, pairs: 4, side: 10, storedPatterns: 64, keySize: 100, samples: 5000, epochs: 500, batch: 256, instanceSize: 100, bag: 64 } as const

/** The layer's two modes: 'lookup' (HopfieldLayer, learned stored patterns, the prototypes task) and 'pooling' (HopfieldPooling, a learned query over each bag, the bags task). */
export const HOPFIELD_LAYER_MODES = ['lookup', 'pooling'] as const

export const hopfieldLayerTaskSchema = z
  .object({
    kind: z.literal('prototypes').default('prototypes'),
    classes: z.int().min(2).max(HOPFIELD_LAYER_LIMITS.classes).default(3),
    /** Pairs (p, −p) of random ±1 prototypes per class. */
    pairs: z.int().positive().max(HOPFIELD_LAYER_LIMITS.pairs).default(1),
    width: z.int().min(2).max(HOPFIELD_LAYER_LIMITS.side).default(6),
    height: z.int().min(2).max(HOPFIELD_LAYER_LIMITS.side).default(6),
    /** Each pixel of a sample is flipped with this probability. */
    flip: z.number().min(0).max(0.45).default(0.1),
    train: z.int().positive().max(HOPFIELD_LAYER_LIMITS.samples).default(300),
    /** Held-out samples (their own random stream). */
    test: z.int().positive().max(HOPFIELD_LAYER_LIMITS.samples).default(500)
  })
  .strict()
export type HopfieldLayerTask = z.infer<typeof hopfieldLayerTaskSchema>

/**
 * The pooling mode's multiple-instance task (core/hopfield-pooling.ts): a bag is positive iff it holds the key instance
 * p + σ·noise; a negative bag holds the key's two halves (decoys) instead, so the bag mean has the same distribution in
 * both classes and mean pooling stays at chance.
 */
export const hopfieldLayerBagsSchema = z
  .object({
    /** d, the instance size. */
    size: z.int().min(2).max(HOPFIELD_LAYER_LIMITS.instanceSize).default(16),
    /** Bag sizes are drawn uniformly from minBag..maxBag (a negative bag needs room for its two decoys). */
    minBag: z.int().min(2).max(HOPFIELD_LAYER_LIMITS.bag).default(4),
    maxBag: z.int().min(2).max(HOPFIELD_LAYER_LIMITS.bag).default(12),
    /** σ, the key instance's noise (clutter is N(0, 1)). */
    noise: z.number().min(0).max(2).default(0.5),
    /** Training and held-out bags (their own random streams). */
    train: z.int().positive().max(HOPFIELD_LAYER_LIMITS.samples).default(400),
    test: z.int().positive().max(HOPFIELD_LAYER_LIMITS.samples).default(500)
  })
  .strict()
export type HopfieldLayerBags = z.infer<typeof hopfieldLayerBagsSchema>

export const hopfieldLayerModelSpecSchema = z
  .object({
    kind: z.literal('hopfield-layer'),
    /** 'lookup' learns stored patterns on `task`; 'pooling' learns one query that pools each bag of `bags`. */
    mode: z.enum(HOPFIELD_LAYER_MODES).default('lookup'),
    task: hopfieldLayerTaskSchema.default(hopfieldLayerTaskSchema.parse({})),
    /** The pooling mode's task (read only when mode is 'pooling'; its defaults when absent). */
    bags: hopfieldLayerBagsSchema.optional(),
    /** P, the learned stored patterns. */
    storedPatterns: z.int().positive().max(HOPFIELD_LAYER_LIMITS.storedPatterns).default(16),
    /** k, the associative space's size (default: d, the input size). */
    keySize: z.int().positive().max(HOPFIELD_LAYER_LIMITS.keySize).optional(),
    /** β (default 1/√k, the transformer's scaling). */
    beta: z.number().positive().max(1e3).optional(),
    epochs: z.int().positive().max(HOPFIELD_LAYER_LIMITS.epochs).default(40),
    /** Minibatch size; an epoch is ⌊train / batch⌋ Adam steps. */
    batch: z.int().positive().max(HOPFIELD_LAYER_LIMITS.batch).default(20),
    learningRate: z.number().positive().max(1).default(0.01)
  })
  .strict()
export type HopfieldLayerModelSpec = z.infer<typeof hopfieldLayerModelSpecSchema>

/** The cross-field checks the schema cannot state: a message naming the field under `field` (e.g. 'params.model'), or null. */
export function hopfieldLayerSpecProblem(spec: HopfieldLayerModelSpec, field: string): { field: string; message: string } | null {
  if (spec.mode === 'lookup' && spec.bags) {
    return { field: `${field}.bags`, message: `${field}.bags: only the pooling mode reads bags (mode is 'lookup'; set mode to 'pooling' or remove bags)` }
  }
  if (spec.mode === 'pooling') {
    const bags = poolingBags(spec)
    if (bags.minBag > bags.maxBag) return { field: `${field}.bags.minBag`, message: `${field}.bags.minBag: ${bags.minBag} is more than bags.maxBag (${bags.maxBag})` }
    if (spec.batch > bags.train) return { field: `${field}.batch`, message: `${field}.batch: ${spec.batch} is more than the ${bags.train} training bags (bags.train)` }
    return null
  }
  if (spec.batch > spec.task.train) {
    return { field: `${field}.batch`, message: `${field}.batch: ${spec.batch} is more than the ${spec.task.train} training samples (task.train)` }
  }
  return null
}

/** The pooling mode's bags task: the spec's, or its defaults. */
export function poolingBags(spec: HopfieldLayerModelSpec): HopfieldLayerBags {
  return spec.bags ?? hopfieldLayerBagsSchema.parse({})
}

/** The classes the layer tells apart: the prototypes task's, or 2 (no key / key) for the bags. */
export function hopfieldLayerClasses(spec: HopfieldLayerModelSpec): number {
  return spec.mode === 'pooling' ? 2 : spec.task.classes
}

/** k and β as trained: the spec's, or their defaults (k = d, β = 1/√k). */
export function resolvedHopfieldLayerSizes(spec: HopfieldLayerModelSpec): { inputSize: number; keySize: number; beta: number } {
  const inputSize = spec.mode === 'pooling' ? poolingBags(spec).size : spec.task.width * spec.task.height
  const keySize = spec.keySize ?? inputSize
  return { inputSize, keySize, beta: spec.beta ?? 1 / Math.sqrt(keySize) }
}

export const hopfieldLayerPointSchema = z.object({
  epoch: z.int(),
  /** Mean training cross-entropy over the epoch's minibatches (nats). */
  loss: z.number(),
  /** Held-out accuracy of the layer and of the linear baseline after this epoch. */
  testAccuracy: z.number(),
  baselineTestAccuracy: z.number(),
  /**
   * Lookup mode: how well the stored patterns have learned the task's prototypes: the mean over prototypes of the best
   * cosine similarity of any stored pattern's matched pattern (row of Y W_K W_Qᵀ) with it.
   */
  prototypeMatch: z.number().optional(),
  /** Pooling mode: the mean attention the key instance gets over the held-out positive bags. */
  keyAttention: z.number().optional()
})
export type HopfieldLayerPoint = z.infer<typeof hopfieldLayerPointSchema>

export const hopfieldLayerInfoSchema = z.object({
  kind: z.literal('hopfield-layer'),
  id: z.string(),
  name: z.string(),
  spec: hopfieldLayerModelSpecSchema,
  seed: z.int().nonnegative(),
  inputSize: z.int(),
  keySize: z.int(),
  beta: z.number(),
  epochsDone: z.int(),
  history: z.array(hopfieldLayerPointSchema),
  trainAccuracy: z.number(),
  testAccuracy: z.number(),
  /** The linear softmax classifier on the pixels (pooling mode: on each bag's mean instance, i.e. mean pooling), trained on the same minibatches with the same Adam. */
  baseline: z.object({ trainAccuracy: z.number(), testAccuracy: z.number() }),
  /** Each stored pattern's class vote: argmax of its value row (Y W_K W_V); empty in pooling mode. */
  storedClasses: z.array(z.int()),
  /** 'engine (cpu)' or 'core' (with the reason the engine was not used). */
  provider: z.string(),
  fallbackReason: z.string().nullable(),
  /** Cancelled, or stopped by a non-finite value: the weights are those of the last good epoch. */
  partial: z.boolean(),
  /** Why training stopped early on its own (a NaN/Inf loss or weight, naming the epoch and the tensor). */
  stopReason: z.string().nullable(),
  createdAt: z.string()
})
export type HopfieldLayerInfo = z.infer<typeof hopfieldLayerInfoSchema>

export const hopfieldLayerAttendViewSchema = z
  .object({
    kind: z.literal('hopfield-layer.attend'),
    /** The held-out sample (row of the test set). */
    index: z.int().nonnegative().max(HOPFIELD_LAYER_LIMITS.samples)
  })
  .strict()

export const hopfieldLayerAttendResultSchema = z.object({
  modelId: z.string(),
  index: z.int(),
  /** The input [d] (±1), its class and the prototype (mode) it was drawn from. */
  input: z.array(z.number()),
  label: z.int(),
  mode: z.int(),
  predicted: z.int(),
  /** softmax(β q Kᵀ) over the P stored patterns, and the logits [C]. */
  attention: z.array(z.number()),
  logits: z.array(z.number()),
  /** The learned stored patterns Y [P, d], what each is matched against in input space (Y W_K W_Qᵀ [P, d]) and the task's prototypes [M, d] (row-major). */
  storedPatterns: z.array(z.number()),
  matchedPatterns: z.array(z.number()),
  modes: z.array(z.number()),
  modeClasses: z.array(z.int()),
  /** Per stored pattern: the prototype its matched pattern (row of Y W_K W_Qᵀ) is most similar to, and that cosine. */
  nearest: z.array(z.object({ mode: z.int(), cosine: z.number() }))
})
export type HopfieldLayerAttendResult = z.infer<typeof hopfieldLayerAttendResultSchema>

export const hopfieldLayerBagViewSchema = z
  .object({
    kind: z.literal('hopfield-layer.bag'),
    /** The held-out bag. */
    index: z.int().nonnegative().max(HOPFIELD_LAYER_LIMITS.samples)
  })
  .strict()

export const hopfieldLayerBagResultSchema = z.object({
  modelId: z.string(),
  index: z.int(),
  /** The bag's n real instances [n, d] row-major, and each one's role: 'key', 'decoy' (a half of the key) or 'clutter'. */
  size: z.int(),
  inputSize: z.int(),
  instances: z.array(z.number()),
  roles: z.array(z.enum(['key', 'decoy', 'clutter'])),
  /** 1 when the bag holds the key. */
  label: z.int(),
  predicted: z.int(),
  /** The learned query's softmax over the bag's instances [n], and the logits [2]. */
  attention: z.array(z.number()),
  logits: z.array(z.number()),
  /** The task's key pattern p [d], and what the query responds to in input space, W_K qᵀ [d]. */
  key: z.array(z.number()),
  matchedQuery: z.array(z.number())
})
export type HopfieldLayerBagResult = z.infer<typeof hopfieldLayerBagResultSchema>

export const hopfieldLayerFamily = defineFamily({
  kind: 'hopfield-layer',
  label: 'Hopfield layer',
  spec: hopfieldLayerModelSpecSchema,
  model: hopfieldLayerInfoSchema,
  tensors: ['stored_patterns', 'w_q', 'w_k', 'w_v'],
  train: trainJob('hopfield-layer.train', hopfieldLayerModelSpecSchema, hopfieldLayerInfoSchema, { dataset: false }),
  runs: [],
  views: [
    { request: hopfieldLayerAttendViewSchema, result: z.object({ kind: z.literal('hopfield-layer.attend'), result: hopfieldLayerAttendResultSchema }) },
    { request: hopfieldLayerBagViewSchema, result: z.object({ kind: z.literal('hopfield-layer.bag'), result: hopfieldLayerBagResultSchema }) }
  ],
  kept: [],
  exports: ['onnx', 'safetensors']
})

// ---------------------------------------------------------------------------------------------------------------
// The live stored patterns: a training job's progress text carries Y and Y W_K W_Qᵀ, 4 bits per value (15 levels
// from −s to +s with 0 exact, s the row's largest |value|), so the page draws them as they change at any allowed size
// (2·P·d ≤ 2·64·100 values: at most 8,534 base64 characters and 128 scales, inside the progress text's 10,000).

export interface StoredSnapshot {
  epoch: number
  count: number
  size: number
  /** [count, size] row-major, within s/14 of each value (s the row's largest |value|). */
  stored: Float32Array
  matched: Float32Array
}

const SNAPSHOT_PREFIX = 'stored-patterns:'

function rowScales(m: ArrayLike<number>, count: number, size: number): number[] {
  return Array.from({ length: count }, (_, j) => {
    let s = 0
    for (let i = 0; i < size; i++) s = Math.max(s, Math.abs(m[j * size + i]!))
    // Rounded up, so every value stays within its row's scale.
    return s > 0 ? Number((s * (1 + 1e-3)).toPrecision(4)) : 0
  })
}

export function encodeStoredSnapshot(epoch: number, stored: ArrayLike<number>, matched: ArrayLike<number>, count: number, size: number): string {
  const n = count * size
  const scales = [...rowScales(stored, count, size), ...rowScales(matched, count, size)]
  const bytes = new Uint8Array(n)
  for (let at = 0; at < 2 * n; at++) {
    const v = at < n ? stored[at]! : matched[at - n]!
    const s = scales[Math.floor(at / size)]!
    const level = s > 0 ? Math.round(((v / s + 1) / 2) * 14) : 7
    bytes[at >> 1]! |= at & 1 ? level << 4 : level
  }
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return `${SNAPSHOT_PREFIX}${JSON.stringify({ epoch, count, size, scales, data: btoa(bin) })}`
}

/** The snapshot a progress text carries, or null when it carries none (or not one of these). */
export function decodeStoredSnapshot(text: string | undefined): StoredSnapshot | null {
  if (!text?.startsWith(SNAPSHOT_PREFIX)) return null
  try {
    const raw = JSON.parse(text.slice(SNAPSHOT_PREFIX.length)) as { epoch: number; count: number; size: number; scales: number[]; data: string }
    const bin = atob(raw.data)
    const n = raw.count * raw.size
    const values = new Float32Array(2 * n)
    for (let at = 0; at < 2 * n; at++) {
      const byte = bin.charCodeAt(at >> 1)
      const level = at & 1 ? byte >> 4 : byte & 15
      values[at] = (raw.scales[Math.floor(at / raw.size)] ?? 0) * (level / 7 - 1)
    }
    return { epoch: raw.epoch, count: raw.count, size: raw.size, stored: values.subarray(0, n), matched: values.subarray(n) }
  } catch {
    return null
  }
}
