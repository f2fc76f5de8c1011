// Experiment spec and result: the one format shared by the app, `engram run` and saved sessions.
// JSON Schemas in resources/schema/ are generated from these (npm run schema) and checked in CI.
import { z } from 'zod'
import { STATE_DICT_DTYPES } from './dtypes'

export const SPEC_VERSION = 1

export const BUILTIN_DATASETS = ['seeds-003-auto', 'seeds-000-nine', 'seeds-003-bam', 'letters', 'digits', 'fashion'] as const
/** A built-in dataset, or one the user imported ('user:<name>', kept in the data directory). */
export const datasetIdSchema = z.union([z.enum(BUILTIN_DATASETS), z.string().regex(/^user:[a-z0-9._-]{1,64}$/, "expected a built-in dataset id or 'user:<name>'")])
export type DatasetId = z.infer<typeof datasetIdSchema>

/**
 * Upper bounds of the contract's sizes (issue 11): no spec or request can ask for more than these, whatever else it
 * says; the real limits (the dataset's rows, the model's units) are checked against the data before any work.
 */
/** Units of one state vector (pixels of an image, units of a layer). */
export const MAX_UNITS = 1_000_000
/** Rows of one dataset (patterns, images). */
export const MAX_ROWS = 10_000_000
/** Threads one engine session may use. */
export const MAX_THREADS = 256
/** The longest delay of a delay sweep (T = delay + 1 steps). */
export const MAX_DELAY = 500

/** A spec file's engine block: the provider to ask for and the intra-op threads (0: the engine's default). */
export const engineSpecSchema = z
  .object({ provider: z.enum(['auto', 'cpu', 'cuda', 'dml', 'coreml']).default('auto'), threads: z.int().nonnegative().max(MAX_THREADS).default(0) })
  .strict()
  .default({ provider: 'auto', threads: 0 })

export const datasetRefSchema = z
  .object({
    /** The dataset id: a built-in one, or 'user:<name>' for an imported IDX dataset (engram import). */
    builtin: datasetIdSchema.describe("Dataset id: built-in, or 'user:<name>' for an imported one"),
    /** Indices of the patterns to store; default: the first `count` patterns. */
    select: z.array(z.int().nonnegative().max(MAX_ROWS)).min(1).max(MAX_ROWS).optional(),
    count: z.int().positive().max(MAX_ROWS).optional(),
    /** Binarisation threshold for grey-level datasets (digits): pixel > threshold -> +1. */
    threshold: z.number().min(0).max(1).default(0.5)
  })
  .strict()
export type DatasetRef = z.infer<typeof datasetRefSchema>

/** Unit states as the user writes them: bipolar {−1, +1} or binary {0, 1}. */
export const stateEncodingSchema = z.enum(['bipolar', 'binary'])

/** A row of an inline dataset: every value must be a state of the stated encoding (checked with its row and column). */
function checkInlineRows(rows: number[][], encoding: 'bipolar' | 'binary', key: string, ctx: z.RefinementCtx, width?: number): void {
  const n = width ?? rows[0]?.length ?? 0
  const allowed = encoding === 'bipolar' ? '−1 or 1' : '0 or 1'
  rows.forEach((row, r) => {
    if (row.length !== n) {
      ctx.addIssue({ code: 'custom', path: [key, r], message: `row ${r + 1} has ${row.length} values, expected ${n}${width === undefined ? ' (as row 1)' : ''}` })
      return
    }
    row.forEach((v, c) => {
      const ok = encoding === 'bipolar' ? v === 1 || v === -1 : v === 0 || v === 1
      if (!ok) ctx.addIssue({ code: 'custom', path: [key, r, c], message: `value ${v} at row ${r + 1}, column ${c + 1} is not ${encoding} (${allowed})` })
    })
  })
}

/**
 * The stored patterns: a built-in or imported dataset (`builtin`), or written inline (`patterns`, with `encoding`).
 * Inline patterns are stored as written: a binary row (0/1) through its bipolar image 2s − 1 where the model says so
 * (Hopfield, BAM), as the values themselves where the seed's rule does (003's hetero-associative Hebb rule).
 */
export const experimentDatasetSchema = datasetRefSchema
  .extend({
    builtin: datasetIdSchema.optional().describe("Dataset id: built-in, or 'user:<name>' for an imported one (or give `patterns` instead)"),
    /** The encoding the inline `patterns` and `targets` are written in. Required with `patterns`. */
    encoding: stateEncodingSchema.optional(),
    /** Inline patterns, one row per pattern (P rows of N values). */
    patterns: z.array(z.array(z.number()).max(MAX_UNITS)).min(1).max(10000).optional(),
    /** Inline targets t(p) for hetero-associative nets and BAM (P rows of M values), paired with `patterns` by row. */
    targets: z.array(z.array(z.number()).max(MAX_UNITS)).min(1).max(10000).optional(),
    /** Image shape of an inline pattern (width × height = N); default N × 1. */
    width: z.int().positive().max(MAX_UNITS).optional(),
    height: z.int().positive().max(MAX_UNITS).optional(),
    /** One name per inline pattern; default 's(1)', 's(2)', … */
    labels: z.array(z.string().max(200)).max(10000).optional()
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.builtin === undefined && d.patterns === undefined) {
      ctx.addIssue({ code: 'custom', path: ['builtin'], message: 'give a built-in dataset id, or the patterns inline (patterns + encoding)' })
      return
    }
    if (d.builtin !== undefined) {
      for (const key of ['patterns', 'targets', 'encoding', 'width', 'height', 'labels'] as const) {
        if (d[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `'${key}' belongs to an inline dataset; a built-in dataset (builtin '${d.builtin}') has its own` })
      }
      return
    }
    for (const key of ['select', 'count'] as const) {
      if (d[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `'${key}' picks patterns of a built-in dataset; an inline dataset stores every row it lists` })
    }
    const patterns = d.patterns!
    if (!d.encoding) {
      ctx.addIssue({ code: 'custom', path: ['encoding'], message: "say how the inline patterns are written: 'binary' (0/1) or 'bipolar' (−1/1)" })
      return
    }
    checkInlineRows(patterns, d.encoding, 'patterns', ctx)
    const n = patterns[0]!.length
    if (n === 0) ctx.addIssue({ code: 'custom', path: ['patterns', 0], message: 'a pattern needs at least one unit' })
    if (d.targets) {
      if (d.targets.length !== patterns.length) {
        ctx.addIssue({ code: 'custom', path: ['targets'], message: `${d.targets.length} targets for ${patterns.length} patterns (one target row per pattern)` })
      } else checkInlineRows(d.targets, d.encoding, 'targets', ctx)
    }
    if ((d.width === undefined) !== (d.height === undefined)) ctx.addIssue({ code: 'custom', path: [d.width === undefined ? 'width' : 'height'], message: 'give both width and height, or neither' })
    else if (d.width !== undefined && d.width * d.height! !== n) ctx.addIssue({ code: 'custom', path: ['width'], message: `width × height = ${d.width * d.height!}, but the patterns have ${n} units` })
    if (d.labels && d.labels.length !== patterns.length) ctx.addIssue({ code: 'custom', path: ['labels'], message: `${d.labels.length} labels for ${patterns.length} patterns` })
  })
export type ExperimentDataset = z.infer<typeof experimentDatasetSchema>

/**
 * One side of an explicit cue: written out in full (`values`), or a stored vector (`from`, its number counted from 1)
 * with named units changed (`flip`) or unknown (`missing`, set to 0). Units are counted from 1, as the seeds count them.
 */
export const cueVectorSchema = z
  .object({
    values: z.array(z.number()).min(1).max(MAX_UNITS).optional(),
    /** Stored pattern number, counted from 1 (s(1) is 1); on the y side of a BAM, its target t(p). */
    from: z.int().positive().max(MAX_ROWS).optional(),
    /** Units (counted from 1) whose value is changed: bipolar −v, binary 1 − v. */
    flip: z.array(z.int().positive().max(MAX_UNITS)).max(MAX_UNITS).optional(),
    /** Units (counted from 1) set to 0, unknown: only where the net takes 0 for unknown (bipolar states). */
    missing: z.array(z.int().positive().max(MAX_UNITS)).max(MAX_UNITS).optional()
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.values === undefined) === (c.from === undefined)) ctx.addIssue({ code: 'custom', path: ['values'], message: "give either 'values' or 'from' (a stored pattern, counted from 1)" })
    if (c.values !== undefined && (c.flip || c.missing)) ctx.addIssue({ code: 'custom', path: [c.flip ? 'flip' : 'missing'], message: "'flip' and 'missing' change a stored pattern ('from'); write the changed values into 'values' instead" })
    const seen = new Set<number>()
    for (const key of ['flip', 'missing'] as const) {
      c[key]?.forEach((u, k) => {
        if (seen.has(u)) ctx.addIssue({ code: 'custom', path: [key, k], message: `unit ${u} is named twice` })
        seen.add(u)
      })
    }
  })
export type CueVector = z.infer<typeof cueVectorSchema>

/**
 * An explicit cue. `x`: the state the net starts from (Hopfield nets, the recurrent auto-associator), the input of a
 * hetero-associative net, or BAM's X layer; `y`: BAM's Y layer. A BAM cue may give x, y or both (a side not given is
 * the zero vector, as in 003).
 */
export const cueSchema = z
  .object({
    label: z.string().max(200).optional(),
    x: cueVectorSchema.optional(),
    y: cueVectorSchema.optional()
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.x && !c.y) ctx.addIssue({ code: 'custom', path: ['x'], message: 'a cue needs x (or, for a BAM, y)' })
  })
export type CueSpec = z.infer<typeof cueSchema>

export const LEARNING_RULES = ['hebb', 'storkey', 'pseudo-inverse', 'energy'] as const
export const learningRuleSchema = z.enum(LEARNING_RULES)
export type LearningRuleName = z.infer<typeof learningRuleSchema>

export const energyTrainingSpecSchema = z
  .object({
    /** Where the raised states come from (004): settled random starts, settled targets, or a few evolution steps. */
    valleys: z.enum(['random', 'targets', 'few-steps']).default('few-steps'),
    mode: z.enum(['sgd', 'batch']).default('sgd'),
    epochs: z.int().positive().max(100000).default(50),
    eta: z.number().positive().max(10).default(0.01),
    /** Asynchronous sweeps per evolution for 'few-steps' (004: 2–4). */
    evolutionSteps: z.int().positive().max(100).default(2),
    /** Fraction of units flipped in a target before it evolves. */
    cueNoise: z.number().min(0).max(1).default(0),
    /** Per-pattern importance π_p (SGD samples ∝ π_p); default all 1. */
    importance: z.array(z.number().nonnegative()).max(MAX_ROWS).optional()
  })
  .strict()
export type EnergyTrainingSpec = z.infer<typeof energyTrainingSpecSchema>

export const hopfieldModelSpecSchema = z
  .object({
    kind: z.literal('hopfield'),
    /** hebb (003), storkey (Storkey 1997), pseudo-inverse (projection), energy (004: lower targets, raise valleys). */
    rule: learningRuleSchema.default('hebb'),
    /** Hebb normalisation: none (003: w = Σ s sᵀ), 1/N or 1/P (000: 1/M). Sign dynamics are unchanged. */
    normalisation: z.enum(['none', '1/N', '1/P']).default('none'),
    /** Zero the diagonal. Default: true for hebb, storkey and energy; false for pseudo-inverse (the projection as defined). */
    zeroDiagonal: z.boolean().optional(),
    energy: energyTrainingSpecSchema.optional(),
    /**
     * Unit states: bipolar {−1, +1} or binary {0, 1} (003's discrete Hopfield net). Binary patterns are stored
     * through their bipolar images 2s − 1 (003), so W is the same for both; the dynamics differ. Default bipolar.
     */
    encoding: z.enum(['bipolar', 'binary']).optional(),
    /** Thresholds θ: one number for every unit, or one per unit. Default 0. A unit whose net input equals θ keeps its state. */
    threshold: z.union([z.number(), z.array(z.number()).min(1).max(MAX_UNITS)]).optional()
  })
  .strict()
export type HopfieldModelSpec = z.infer<typeof hopfieldModelSpecSchema>

/**
 * Bidirectional associative memory (003): X patterns from the dataset, each paired with a Y code:
 * the dataset's own Y side (seeds-003-bam), the pattern index in binary (±1 bits), or one-hot.
 */
export const bamModelSpecSchema = z
  .object({
    kind: z.literal('bam'),
    codes: z.enum(['dataset', 'binary-index', 'one-hot']).default('binary-index'),
    encoding: z.enum(['bipolar', 'binary']).default('bipolar')
  })
  .strict()
export type BamModelSpec = z.infer<typeof bamModelSpecSchema>

/** Restricted Boltzmann machine (004, 001): CD-k or PCD on the engine. */
export const rbmModelSpecSchema = z
  .object({
    kind: z.literal('rbm'),
    visibleUnits: z.enum(['bernoulli', 'gaussian']).default('bernoulli'),
    hidden: z.int().positive().max(10000).default(100),
    /** Gibbs steps per update (CD-k); with persistent: PCD-k. */
    k: z.int().positive().max(100).default(1),
    persistent: z.boolean().default(false),
    learningRate: z.number().positive().max(10).default(0.05),
    momentum: z.number().min(0).max(0.999).default(0.5),
    weightDecay: z.number().min(0).max(1).default(0.0001),
    batchSize: z.int().positive().max(10000).default(100),
    epochs: z.int().positive().max(10000).default(5),
    sparsity: z.object({ target: z.number().gt(0).lt(1), cost: z.number().positive() }).strict().optional(),
    /** Binarise grey images by a threshold, or sample each pixel as Bernoulli(grey level) once (seeded). */
    binarise: z.enum(['threshold', 'stochastic']).default('threshold'),
    /** Fraction of the rows held out for the free-energy gap. */
    heldOut: z.number().min(0).max(0.5).default(0.1),
    /**
     * After training, estimate log Z by annealed importance sampling (Bernoulli units) and report the average
     * log-likelihood of training and held-out rows. Costs about runs × steps × V × H multiply-adds on the core.
     */
    ais: z.object({ runs: z.int().positive().max(10000).default(16), steps: z.int().min(2).max(100000).default(300) }).strict().optional(),
    /**
     * Classification RBM (004): one-hot label units appended to the visible layer, trained with the pixels; rows are
     * classified by the largest p(y | x) (free energy of each label). Needs a dataset with class labels (digits, or an
     * IDX import with a labels file).
     */
    labels: z.boolean().default(false),
    /**
     * Where the engine's Gibbs noise comes from. core (default): drawn from the seeded core generator and fed in, so the
     * engine reproduces the core's samples exactly. graph: drawn inside the ONNX graph (RandomUniformLike seeded from
     * the run's seed): reproducible run to run for the same spec and seed, not equal to the core's numbers; no noise
     * passes between JavaScript and the runtime, which measured steadier when other processes load the cores
     * (docs/benchmarks.md) and the same speed on a quiet machine.
     */
    noise: z.enum(['core', 'graph']).optional(),
    /**
     * Continue a trained, cancelled or recovered RBM of the session (its id) up to `epochs` epochs in all: its weights,
     * momentum velocities, persistent chains, epoch count and generators' states, so k epochs and a continuation to N
     * equal one run of N epochs bit for bit. The dataset, seed and every other field must be the model's; the learning
     * rate, momentum, weight decay and ais may change; epochs must exceed the epochs it has done.
     */
    continueFrom: z.string().min(1).max(100).optional()
  })
  .strict()
export type RbmModelSpec = z.infer<typeof rbmModelSpecSchema>

export const corruptionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('flip'), fraction: z.number().min(0).max(1) }).strict(),
  z
    .object({
      type: z.literal('mask'),
      /** Masked rectangle in pixel units of the pattern image; masked units are set to `fill`. */
      x: z.int().nonnegative().max(MAX_UNITS),
      y: z.int().nonnegative().max(MAX_UNITS),
      width: z.int().positive().max(MAX_UNITS),
      height: z.int().positive().max(MAX_UNITS),
      fill: z.union([z.literal(-1), z.literal(0), z.literal(1)]).default(-1)
    })
    .strict(),
  z.object({ type: z.literal('maskFraction'), fraction: z.number().min(0).max(1), fill: z.union([z.literal(-1), z.literal(0), z.literal(1)]).default(-1) }).strict()
])
export type Corruption = z.infer<typeof corruptionSchema>

export const recallSpecSchema = z
  .object({
    /** async: one unit at a time (core, traced); sync: all units at once (engine, batched). */
    mode: z.enum(['async', 'sync', 'recurrent']).default('sync'),
    /**
     * Async visit order: random (a new permutation each sweep, from the seed), sequential (1, 2, …, N), or given:
     * unit numbers counted from 1 (003: [1, 4, 3, 2]), a permutation of 1..N, repeated every sweep.
     */
    order: z
      .union([z.enum(['random', 'sequential']), z.array(z.int().positive().max(MAX_UNITS)).min(1).max(100000)])
      .default('random')
      .describe('random, sequential, or a permutation of the unit numbers 1..N (counted from 1)'),
    maxSweeps: z.int().positive().max(10000).default(50),
    corruption: corruptionSchema.default({ type: 'flip', fraction: 0.1 }),
    /** Noisy cues drawn per stored pattern. */
    cuesPerPattern: z.int().positive().max(100000).default(10),
    /** Energy traces kept in the result for the first `traceCount` cues (async mode). */
    traceCount: z.int().nonnegative().max(1000).default(4),
    /** External input x in y_in_i = x_i + Σ_j y_j w_ji (003): none, or the cue itself held on during recall. */
    external: z.enum(['none', 'cue']).default('none'),
    /** Mode 'recurrent' (003's recurrent auto-associator on the trained net): f(0) = 0 (sign0), or a tie keeps the unit. */
    activation: z.enum(['sign0', 'keep']).optional()
  })
  .strict()
  .superRefine((r, ctx) => {
    if (Array.isArray(r.order)) {
      if (r.mode !== 'async') ctx.addIssue({ code: 'custom', path: ['order'], message: `a given order is an asynchronous one: it needs mode 'async' (mode is '${r.mode}')` })
      const seen = new Set<number>()
      r.order.forEach((u, k) => {
        if (seen.has(u)) ctx.addIssue({ code: 'custom', path: ['order', k], message: `unit ${u} appears twice: the order must be a permutation of 1..N` })
        seen.add(u)
      })
    }
    if (r.activation !== undefined && r.mode !== 'recurrent') ctx.addIssue({ code: 'custom', path: ['activation'], message: "activation is for mode 'recurrent'" })
    if (r.mode === 'recurrent' && r.external === 'cue') ctx.addIssue({ code: 'custom', path: ['external'], message: "the recurrent auto-associator (003) has no external input: use 'none'" })
  })
export type RecallSpec = z.infer<typeof recallSpecSchema>

export const recallDynamicsSchema = z
  .object({
    mode: z.enum(['async', 'sync']).default('async'),
    maxSweeps: z.int().positive().max(10000).default(50)
  })
  .strict()

/** Sweeps and analyses besides the default recall experiment. */
/** A dense associative memory's interaction function F (Krotov & Hopfield 2016; Demircigil et al. 2017). */
export const interactionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('polynomial'), degree: z.int().min(2).max(10) }).strict(),
  z.object({ kind: z.literal('rectified-polynomial'), degree: z.int().min(2).max(10) }).strict(),
  z.object({ kind: z.literal('exp') }).strict()
])
export type InteractionSpec = z.infer<typeof interactionSchema>

/** F in words: x², x³, max(x,0)³, exp(x); x² is the classical Hebbian net. */
export function interactionLabel(f: InteractionSpec): string {
  const sup = (n: number): string => String(n).replace(/\d/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]!)
  if (f.kind === 'exp') return 'exp(x)'
  if (f.kind === 'rectified-polynomial') return `max(x,0)${sup(f.degree)}`
  return f.degree === 2 ? 'x² (Hebb)' : `x${sup(f.degree)}`
}

export const sweepSpecSchema = z.discriminatedUnion('type', [
  z
    .object({
      /** Capacity: random ±1 patterns, P/N on the x axis; fixed points and recall success per rule. */
      type: z.literal('capacity'),
      units: z.int().min(2).max(4096),
      patternCounts: z.array(z.int().positive().max(100000)).min(1).max(200),
      rules: z.array(z.enum(['hebb', 'storkey', 'pseudo-inverse'])).min(1).max(3),
      trials: z.int().positive().max(10000).default(5),
      noise: z.number().min(0).max(1).default(0.1),
      cuesPerPattern: z.int().positive().max(10000).default(5),
      recall: recallDynamicsSchema.default({ mode: 'async', maxSweeps: 50 })
    })
    .strict(),
  z
    .object({
      /** Success vs fraction of flipped bits, on the spec's dataset and model. */
      type: z.literal('noise'),
      fractions: z.array(z.number().min(0).max(1)).min(1).max(200),
      cuesPerPattern: z.int().positive().max(10000).default(20),
      recall: recallDynamicsSchema.default({ mode: 'async', maxSweeps: 50 })
    })
    .strict(),
  z
    .object({
      /** Success vs fraction of masked units (fill 0 = unknown, ±1, or random). */
      type: z.literal('partial'),
      fractions: z.array(z.number().min(0).max(1)).min(1).max(200),
      fill: z.union([z.literal(-1), z.literal(0), z.literal(1), z.literal('random')]).default(0),
      cuesPerPattern: z.int().positive().max(10000).default(20),
      recall: recallDynamicsSchema.default({ mode: 'async', maxSweeps: 50 })
    })
    .strict(),
  z
    .object({
      /** Basin of attraction per stored pattern: largest Hamming radius with recall ≥ threshold. */
      type: z.literal('basins'),
      trialsPerRadius: z.int().positive().max(10000).default(20),
      maxRadius: z.int().nonnegative().max(MAX_UNITS).optional(),
      threshold: z.number().min(0).max(1).default(0.95),
      recall: recallDynamicsSchema.default({ mode: 'async', maxSweeps: 50 })
    })
    .strict(),
  z
    .object({
      /** BAM (003): store dataset ↔ code pairs, recall from noisy X (→ Y) or from Y alone (→ X); spurious states counted. */
      type: z.literal('bam'),
      bam: bamModelSpecSchema.default({ kind: 'bam', codes: 'binary-index', encoding: 'bipolar' }),
      cue: z.enum(['x', 'y']).default('x'),
      /** Which layer updates first: auto (the default; 003: Y first when x is given, else X), or always x / always y. */
      first: z.enum(['auto', 'x', 'y']).optional(),
      fractions: z.array(z.number().min(0).max(1)).min(1).max(200).default([0, 0.1, 0.2, 0.3]),
      cuesPerPattern: z.int().positive().max(10000).default(20),
      maxIterations: z.int().positive().max(10000).default(100)
    })
    .strict(),
  z
    .object({
      /**
       * One-layer hetero-associative net (003): W = Σ s(p) t(p)ᵀ from the dataset's patterns to codes, one-shot
       * y = sign(xW) (sign 0 = 0); reports 003's sufficient conditions and the disturbance bound δ̄, and recall
       * success vs fraction of flipped input bits.
       */
      type: z.literal('hetero'),
      codes: z.enum(['dataset', 'binary-index', 'one-hot']).default('binary-index'),
      fractions: z.array(z.number().min(0).max(1)).min(1).max(200).default([0, 0.05, 0.1, 0.2, 0.3]),
      cuesPerPattern: z.int().positive().max(10000).default(20)
    })
    .strict(),
  z
    .object({
      /**
       * Recurrent auto-associator (003): W = Σ s sᵀ (− P·I when modified), x → f(xW) → … until the vector matches a
       * stored one, repeats an earlier one, or the limit; outcomes counted vs fraction of missing (0) or flipped units.
       */
      type: z.literal('recurrent'),
      modified: z.boolean().default(true),
      /** sign0: f(0) = 0 (003's printed numbers); keep: a zero net input keeps the unit (003's Step 4 text). */
      activation: z.enum(['sign0', 'keep']).default('sign0'),
      corruption: z.enum(['missing', 'flip']).default('missing'),
      fractions: z.array(z.number().min(0).max(1)).min(1).max(200).default([0, 0.25, 0.5, 0.75]),
      cuesPerPattern: z.int().positive().max(10000).default(20),
      maxIterations: z.int().positive().max(10000).default(20)
    })
    .strict(),
  z
    .object({
      /**
       * Boltzmann machine with hidden units (004): maximum-likelihood learning Δw = η(⟨s_i s_j⟩_clamped − ⟨s_i s_j⟩_free),
       * statistics exact by enumeration (small nets) or sampled as in 004; then completion of half-seen patterns.
       * Visible units are the dataset's pixels as 0/1: keep it small (the seeds' examples).
       */
      type: z.literal('boltzmann'),
      hidden: z.int().nonnegative().max(64).default(2),
      mode: z.enum(['exact', 'sampled']).default('exact'),
      epochs: z.int().positive().max(100000).default(200),
      eta: z.number().positive().max(10).default(0.1),
      weightDecay: z.number().min(0).max(1).default(0),
      /** Sampled mode: hidden samples per training vector (K) and free-running samples (M), as in 004. */
      clampedSamples: z.int().positive().max(100000).default(10),
      freeSamples: z.int().positive().max(1000000).default(100),
      /** Fraction of visible units hidden from the net at completion (the rest clamped). */
      unseen: z.number().min(0).max(1).default(0.3),
      cuesPerPattern: z.int().positive().max(10000).default(10)
    })
    .strict(),
  z
    .object({
      /**
       * Stochastic Hopfield (004): pattern completion by simulated annealing — Gibbs sweeps at falling temperature,
       * final state from the mean of the last sweeps — against deterministic descent (T = 0) on the same cues.
       */
      type: z.literal('anneal'),
      completion: z.enum(['noisy', 'clamped']).default('noisy'),
      schedule: z
        .discriminatedUnion('kind', [
          z.object({ kind: z.literal('constant'), temperature: z.number().nonnegative(), steps: z.int().positive().max(100000) }).strict(),
          z.object({ kind: z.literal('geometric'), start: z.number().positive(), end: z.number().positive(), steps: z.int().positive().max(100000) }).strict(),
          z.object({ kind: z.literal('linear'), start: z.number().nonnegative(), end: z.number().nonnegative(), steps: z.int().positive().max(100000) }).strict(),
          z.object({ kind: z.literal('custom'), temperatures: z.array(z.number().nonnegative()).min(1).max(100000) }).strict()
        ])
        .default({ kind: 'geometric', start: 2, end: 0.05, steps: 30 }),
      sweepsPerTemperature: z.int().positive().max(1000).default(2),
      /** The final state thresholds the mean of the last M sweeps at 0.5 (004). */
      averageLast: z.int().positive().max(10000).default(5),
      /** Fraction of units flipped (noisy) or unknown (clamped: the others are clamped to the cue). */
      fractions: z.array(z.number().min(0).max(1)).min(1).max(200).default([0.1, 0.2, 0.3, 0.4]),
      cuesPerPattern: z.int().positive().max(10000).default(10)
    })
    .strict(),
  z
    .object({
      /** Spurious-state census: every start (N ≤ 20) or random starts, attractors classified with basin sizes. */
      type: z.literal('census'),
      method: z.enum(['auto', 'exhaustive', 'sampled']).default('auto'),
      samples: z.int().positive().max(10_000_000).default(10000),
      dynamics: z.enum(['async-sequential', 'async-random', 'sync']).default('async-sequential'),
      maxSweeps: z.int().positive().max(10000).default(100)
    })
    .strict(),
  z
    .object({
      /**
       * Dense associative memory capacity (004; Krotov & Hopfield 2016): random ±1 patterns at N units, each cued with
       * round(noise·N) flipped units, recalled asynchronously; per interaction F and pattern count, the fraction
       * recalled exactly. F = x² is the classical Hebbian Hopfield net (zero diagonal), so it is the baseline.
       */
      type: z.literal('dense-capacity'),
      units: z.int().min(2).max(4096).default(100),
      patternCounts: z.array(z.int().positive().max(100000)).min(1).max(50),
      interactions: z
        .array(interactionSchema)
        .min(1)
        .max(8)
        .default([{ kind: 'polynomial', degree: 2 }, { kind: 'polynomial', degree: 3 }, { kind: 'exp' }]),
      trials: z.int().positive().max(1000).default(2),
      noise: z.number().min(0).max(0.5).default(0.1),
      maxSweeps: z.int().positive().max(1000).default(50)
    })
    .strict(),
  z
    .object({
      /**
       * Modern Hopfield β sweep (004; Ramsauer et al. 2020): the dataset's patterns stored in a continuous modern
       * Hopfield net, cues drawn per pattern, retrieval to a fixed point at each β; the error, the share retrieved
       * and retrieved in one update, and the kind of fixed point (global average, metastable, single pattern).
       */
      type: z.literal('beta'),
      betas: z.array(z.number().positive().max(1e4)).min(1).max(100).default([0.0001, 0.001, 0.01, 0.03, 0.1, 0.3, 1]),
      corruption: corruptionSchema.default({ type: 'flip', fraction: 0.2 }),
      cuesPerPattern: z.int().positive().max(1000).default(4),
      epsilon: z.number().nonnegative().max(1e3).default(1e-4),
      maxSteps: z.int().positive().max(1000).default(100)
    })
    .strict(),
  z
    .object({
      /**
       * Images in a modern and a classical Hopfield net (004; Ramsauer et al. 2020 and its blog post): the dataset's
       * first P images stored as continuous patterns 2g − 1 ∈ [−1, 1], each cued with its lower half masked (0) or
       * with Gaussian noise; retrieved by the modern net at each β (one update by default, as in the paper) and by
       * the classical Hebbian net on the binarised images (asynchronous, random order). Per cue: the nearest stored
       * image of each result, the error, and how blended the modern result is (exp of the weights' entropy).
       */
      type: z.literal('images'),
      betas: z.array(z.number().positive().max(1e4)).min(1).max(10).default([0.0001, 0.01, 1]),
      cue: z.enum(['half', 'noise']).default('half'),
      /** σ of the Gaussian noise added to every pixel (cue 'noise'), on the [−1, 1] scale. */
      noise: z.number().nonnegative().max(10).default(0.5),
      epsilon: z.number().nonnegative().max(1e3).default(1e-4),
      /** Updates of the modern net (1: the paper's one-step retrieval). */
      maxSteps: z.int().positive().max(100).default(1),
      /** Sweeps of the classical net. */
      classicalSweeps: z.int().positive().max(1000).default(50),
      /** Cues whose images the result keeps (cue, modern result at each β, classical result): the first ones. */
      examples: z.int().nonnegative().max(16).default(4)
    })
    .strict(),
  z
    .object({
      /**
       * Long-term dependencies (001/002): each cell learns to recall a sequence's first bit across `delay` steps of
       * random bits (one layer, a two-class head on the last step, Adam with clipping); accuracy on fresh rows per
       * delay, and ‖∂ℓ/∂h_t‖ per step at initialisation and after training at profileDelay (the vanishing gradient).
       * Needs no dataset; the spec's model is not used.
       */
      type: z.literal('delay'),
      /** 'adding' (Hochreiter & Schmidhuber 1997; MSE, solved when |error| < 0.04) or 'first-bit' (recall a bit; chance 50 %). */
      task: z.enum(['adding', 'first-bit']).default('adding'),
      cells: z
        .array(z.enum(['rnn', 'lstm', 'gru']))
        .min(1)
        .max(3)
        .refine((c) => new Set(c).size === c.length, 'each cell at most once')
        .default(['rnn', 'lstm', 'gru']),
      delays: z
        .array(z.int().positive().max(MAX_DELAY))
        .min(1)
        .max(20)
        .refine((d) => new Set(d).size === d.length, 'each delay at most once')
        .default([10, 20, 40]),
      hiddenSize: z.int().positive().max(256).default(32),
      trainingSteps: z.int().positive().max(20000).default(2000),
      batch: z.int().positive().max(256).default(32),
      learningRate: z.number().positive().max(1).default(0.01),
      /** Gradient clipping by global norm; 0 turns it off. */
      clipNorm: z.number().min(0).max(1e3).default(5),
      /** LSTM: added to the forget gate's initial bias (Gers et al. 2000, Jozefowicz et al. 2015); 0 keeps PyTorch's init. */
      forgetBias: z.number().min(-10).max(10).default(1),
      trials: z.int().positive().max(20).default(1),
      evalRows: z.int().positive().max(10000).default(500),
      /** The delay whose gradient profiles are shown; the largest delay when absent. Must be one of `delays`. */
      profileDelay: z.int().positive().max(MAX_DELAY).optional()
    })
    .strict()
    .refine((s) => s.profileDelay === undefined || s.delays.includes(s.profileDelay), { message: 'must be one of the delays', path: ['profileDelay'] }),
  z
    .object({
      /**
       * Vanishing and exploding gradients (002): a one-layer RNN with the recurrent weights given, run for `steps` steps
       * from h0 with no input; ‖∂h_T/∂h_t‖ for every step, by exact float64 BPTT. A tanh unit at rest with W_hh = 0.5
       * passes 0.5 per step: 0.5⁵⁰ = 8.88e−16 after 50 steps; with W_hh = 2, 2⁵⁰ = 1,125,899,906,842,624.
       * Needs no dataset; the spec's model is not used.
       */
      type: z.literal('gradient-flow'),
      nonlinearity: z.enum(['tanh', 'relu']).default('tanh'),
      /** W_hh as rows (H × H, H ≤ 64). */
      weights: z.array(z.array(z.number()).min(1).max(64)).min(1).max(64),
      /** The initial state (H values); zeros (the state at rest) when absent. ReLU passes nothing back through 0. */
      h0: z.array(z.number()).min(1).max(64).optional(),
      steps: z.int().positive().max(1000).default(50)
    })
    .strict()
    .superRefine((s, ctx) => {
      const H = s.weights.length
      s.weights.forEach((row, i) => {
        if (row.length !== H) ctx.addIssue({ code: 'custom', path: ['weights', i], message: `W_hh must be square (${H} × ${H}): row ${i + 1} has ${row.length} value${row.length === 1 ? '' : 's'}` })
      })
      if (s.h0 && s.h0.length !== H) ctx.addIssue({ code: 'custom', path: ['h0'], message: `must have one value per unit (${H}), got ${s.h0.length}` })
    })
])
export type SweepSpec = z.infer<typeof sweepSpecSchema>

/** Sweeps that draw their own data (random patterns, the delay task's rows): a spec for one has no dataset. */
export const SWEEPS_WITHOUT_DATASET: readonly string[] = ['capacity', 'dense-capacity', 'delay', 'gradient-flow']

/** The sweeps that train the spec's Hopfield `model` and recall it with `recall` (besides the recall experiment itself). */
const SWEEPS_USING_SPEC_MODEL: readonly string[] = ['noise', 'partial', 'basins', 'census', 'anneal']

/**
 * Whether an experiment reads the spec's `model` and `recall`: the recall experiment (no sweep) and the sweeps above.
 * Every other sweep runs nets of its own (the capacity sweep's rules, BAM, the hetero-associator, the recurrent
 * auto-associator, the Boltzmann machine, modern and dense memories with their fixed classical comparison, recurrent
 * cells), so its spec may leave both out.
 */
export function readsSpecModel(sweepType: string | undefined): boolean {
  return sweepType === undefined || SWEEPS_USING_SPEC_MODEL.includes(sweepType)
}

/** The fields every spec file starts with: its JSON Schema, the format's version, a name (default `name`), the seed. */
export function specFileHead<N extends string>(name: N) {
  return {
    $schema: z.string().optional(),
    version: z.literal(SPEC_VERSION).default(SPEC_VERSION),
    name: z.string().max(200).default(name),
    seed: z.int().nonnegative().max(2 ** 32 - 1)
  }
}

/** What ran where: the engine (the provider it ran on), or the core (with the reason the engine was not used). */
export const computeSchema = z.object({ path: z.enum(['core', 'engine']), provider: z.string(), fallbackReason: z.string().optional() })

/** The fields every result file starts with: its kind, the spec that ran, when, which Engram and generator, where. */
export function resultFileHead<K extends string, S extends z.ZodType, C extends z.ZodType = typeof computeSchema>(kind: K, spec: S, compute?: C) {
  return {
    $schema: z.string().optional(),
    kind: z.literal(kind),
    version: z.literal(SPEC_VERSION),
    spec,
    createdAt: z.string(),
    engram: z.string().describe('Engram version'),
    rng: z.string().describe('random generator algorithm'),
    compute: (compute ?? computeSchema) as C
  }
}

export const experimentSpecSchema = z
  .object({
    ...specFileHead('experiment'),
    /** The stored patterns; not used by a capacity sweep (it draws random patterns). */
    dataset: experimentDatasetSchema.optional(),
    /**
     * The Hopfield net the experiment trains; default `{ "kind": "hopfield" }` (Hebb, no normalisation). The sweeps that
     * run nets of their own (not readsSpecModel) do not read it, so their specs leave it out.
     */
    model: hopfieldModelSpecSchema.prefault({ kind: 'hopfield' }),
    /**
     * Explicit cues, run one by one with a full trace (result: worked), instead of cues drawn by recall.corruption:
     * by the recall experiment (no sweep), or by a hetero, bam or recurrent sweep (besides its noise points).
     */
    cues: z.array(cueSchema).min(1).max(10000).optional(),
    recall: recallSpecSchema.default({
      mode: 'sync',
      order: 'random',
      maxSweeps: 50,
      corruption: { type: 'flip', fraction: 0.1 },
      cuesPerPattern: 10,
      traceCount: 4,
      external: 'none'
    }),
    /** Run a sweep or analysis instead of the recall experiment. */
    sweep: sweepSpecSchema.optional(),
    engine: engineSpecSchema
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (!spec.dataset && !SWEEPS_WITHOUT_DATASET.includes(spec.sweep?.type ?? '')) {
      ctx.addIssue({ code: 'custom', path: ['dataset'], message: 'a dataset is required (only the capacity, dense-capacity, delay and gradient-flow sweeps need none)' })
    }
    if (spec.cues && spec.sweep && !['hetero', 'bam', 'recurrent'].includes(spec.sweep.type)) {
      ctx.addIssue({ code: 'custom', path: ['cues'], message: `explicit cues run with the recall experiment (no sweep) or a hetero, bam or recurrent sweep, not a ${spec.sweep.type} sweep` })
    }
    if (!spec.cues && !spec.sweep && spec.recall.mode === 'recurrent') {
      ctx.addIssue({ code: 'custom', path: ['recall', 'mode'], message: "mode 'recurrent' runs explicit cues (spec.cues); for drawn cues use a recurrent sweep" })
    }
    if (spec.dataset?.targets && !(spec.sweep?.type === 'hetero' && spec.sweep.codes === 'dataset') && !(spec.sweep?.type === 'bam' && spec.sweep.bam.codes === 'dataset')) {
      ctx.addIssue({ code: 'custom', path: ['dataset', 'targets'], message: "targets are read by a hetero sweep with codes 'dataset' or a bam sweep with bam.codes 'dataset'" })
    }
    if (spec.cues && spec.sweep?.type !== 'bam') {
      spec.cues.forEach((c, k) => {
        if (c.y) ctx.addIssue({ code: 'custom', path: ['cues', k, 'y'], message: 'a y cue is for a BAM (a bam sweep); this net takes x only' })
      })
    }
    if (spec.model.energy && spec.model.rule !== 'energy') {
      ctx.addIssue({ code: 'custom', path: ['model', 'energy'], message: "energy-training settings need rule 'energy'" })
    }
  })
export type ExperimentSpec = z.infer<typeof experimentSpecSchema>
export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>

/** A tensor in JSON: little-endian bytes, base64. */
export const tensorJsonSchema = z
  .object({
    dtype: z.enum(STATE_DICT_DTYPES),
    shape: z.array(z.int().nonnegative()),
    data: z.string().describe('base64 of the little-endian bytes')
  })
  .strict()
export type TensorJson = z.infer<typeof tensorJsonSchema>

/** A trained model in a result file: its family's kind, its tensors by name, and the metadata its exports carry. */
export function trainedModelSchema<K extends string>(kind: K) {
  return z.object({ kind: z.literal(kind), stateDict: z.record(z.string(), tensorJsonSchema), metadata: z.record(z.string(), z.string()) })
}

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

const capacityTheorySchema = z.object({
  hebbCritical: z.number(),
  hebbPerPattern: z.number(),
  hebbAllPatterns: z.number(),
  storkey: z.number(),
  pseudoInverse: z.number()
})

export const sweepResultSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('capacity'),
    units: z.int(),
    theory: capacityTheorySchema,
    points: z.array(
      z.object({
        rule: z.string(),
        patterns: z.int(),
        load: z.number(),
        fixedFraction: z.number().nullable(),
        allFixedFraction: z.number().nullable(),
        recallSuccess: z.number().nullable(),
        meanOverlap: z.number().nullable(),
        trials: z.int(),
        skipped: z.int()
      })
    )
  }),
  z.object({
    type: z.enum(['noise', 'partial']),
    points: z.array(z.object({ fraction: z.number(), success: z.number().nullable(), meanOverlap: z.number().nullable(), cues: z.int() }))
  }),
  z.object({
    type: z.literal('basins'),
    threshold: z.number(),
    basins: z.array(z.object({ pattern: z.int(), label: z.string(), radius: z.int(), success: z.array(z.number()) }))
  }),
  z.object({
    type: z.literal('bam'),
    xUnits: z.int(),
    yUnits: z.int(),
    cue: z.enum(['x', 'y']),
    points: z.array(
      z.object({
        fraction: z.number(),
        /** Both layers end on the stored pair. */
        pairSuccess: z.number(),
        /** The layer that was not given ends on the stored pattern. */
        recallSuccess: z.number(),
        spurious: z.number(),
        meanHalfSteps: z.number(),
        cues: z.int()
      })
    )
  }),
  z.object({
    type: z.literal('hetero'),
    inputs: z.int(),
    outputs: z.int(),
    conditions: z.object({
      allOrthogonal: z.boolean(),
      condition2: z.boolean(),
      violations: z.array(z.object({ p1: z.int(), p2: z.int(), dot: z.number(), sameTarget: z.boolean() })),
      minNormSquared: z.number(),
      disturbanceBound: z.number(),
      boundApplies: z.boolean()
    }),
    points: z.array(z.object({ fraction: z.number(), success: z.number(), cues: z.int() }))
  }),
  z.object({
    type: z.literal('recurrent'),
    points: z.array(
      z.object({
        fraction: z.number(),
        /** Fraction of cues ending on their own stored pattern. */
        recovered: z.number(),
        /** Fraction stopping on a stored pattern (their own included); storedMatch + repeat + maxIterations = 1. */
        storedMatch: z.number(),
        repeat: z.number(),
        maxIterations: z.number(),
        meanIterations: z.number(),
        cues: z.int()
      })
    )
  }),
  z.object({
    type: z.literal('boltzmann'),
    visible: z.int(),
    hidden: z.int(),
    mode: z.enum(['exact', 'sampled']),
    history: z.array(z.object({ epoch: z.int(), logLikelihood: z.number().nullable(), gradientNorm: z.number() })),
    /** Exact probability the trained machine gives each stored pattern (null when too big to enumerate). */
    patternProbabilities: z.array(z.number()).nullable(),
    completion: z.object({ unseen: z.number(), success: z.number(), cues: z.int() })
  }),
  z.object({
    type: z.literal('anneal'),
    completion: z.enum(['noisy', 'clamped']),
    temperatures: z.array(z.number()),
    points: z.array(
      z.object({
        fraction: z.number(),
        /** Completion success with annealing, and with deterministic descent (T = 0) from the same cues. */
        annealed: z.number(),
        deterministic: z.number(),
        meanEnergyAnnealed: z.number(),
        meanEnergyDeterministic: z.number(),
        cues: z.int()
      })
    )
  }),
  z.object({
    type: z.literal('census'),
    method: z.enum(['exhaustive', 'sampled']),
    starts: z.int(),
    countsByKind: z.record(z.string(), z.int()),
    attractors: z.array(
      z.object({
        kind: z.string(),
        pattern: z.int(),
        mixture: z.object({ patterns: z.array(z.int()), signs: z.array(z.int()) }).nullable(),
        count: z.int(),
        basinFraction: z.number(),
        energy: z.number(),
        state: z.array(z.int())
      })
    )
  }),
  z.object({
    type: z.literal('dense-capacity'),
    units: z.int(),
    noise: z.number(),
    /** Hebb's 0.138·N (recall with a few errors) and Krotov–Hopfield's N^(n−1) / (2 (2n−3)!! ln N) per polynomial n. */
    theory: z.object({ hebbCritical: z.number(), krotovHopfield: z.array(z.object({ degree: z.int(), capacity: z.number() })) }),
    points: z.array(
      z.object({
        interaction: interactionSchema,
        patterns: z.int(),
        trials: z.int(),
        /** Share of stored patterns recalled exactly from their noisy cue, and share that are fixed points. */
        recalled: z.number(),
        stable: z.number()
      })
    )
  }),
  z.object({
    type: z.literal('beta'),
    patterns: z.int(),
    units: z.int(),
    /** M = max‖x_i‖ and the smallest separation Δ_min (null for one pattern). */
    largestNorm: z.number(),
    minSeparation: z.number().nullable(),
    /**
     * The classical net on the same cues (Hebb, no normalisation, zero diagonal, asynchronous recall in a seeded random
     * order, ties keep the unit): the share that settle on their own pattern, on another stored pattern, or on a state
     * that is no stored pattern (a mixture or other spurious state).
     */
    classical: z.object({ retrieved: z.number(), otherPattern: z.number(), spurious: z.number() }).optional(),
    points: z.array(
      z.object({
        beta: z.number(),
        meanError: z.number(),
        retrieved: z.number(),
        oneStep: z.number(),
        meanSteps: z.number(),
        kinds: z.object({ global: z.int(), metastable: z.int(), single: z.int() }),
        /**
         * Theorem 4 at this β: the well-separation threshold, how many patterns meet it, and the radius 1/(βNM) of the
         * sphere its guarantee is about (at small β the threshold is met trivially, but the sphere is wider than the
         * whole memory, 2M, and the guarantee says nothing).
         */
        wellSeparatedThreshold: z.number().nullable(),
        wellSeparated: z.int(),
        sphereRadius: z.number()
      })
    ),
    cues: z.int()
  }),
  z.object({
    type: z.literal('images'),
    patterns: z.int(),
    units: z.int(),
    width: z.int(),
    height: z.int(),
    cue: z.enum(['half', 'noise']),
    /** 0.138·N, the classical net's capacity for random patterns (P above it: mixtures and spurious states). */
    hebbCritical: z.number(),
    /** The mean of the stored images: the modern net's global fixed point as β → 0. */
    mean: z.array(z.number()),
    modern: z.array(
      z.object({
        beta: z.number(),
        /** Shares of cues whose result's nearest stored image (Euclidean) is the cued one. */
        retrieved: z.number(),
        /** Mean RMS per pixel between the result and the cued image, and between the result and the mean image. */
        meanError: z.number(),
        meanToMean: z.number(),
        /** Mean exp(H(p)) of the last update's weights: 1 for one image, P for the global average (a blend of many). */
        meanEffective: z.number(),
        /** Mean weight on the cued image. */
        meanOwnWeight: z.number()
      })
    ),
    /** The classical net: settled exactly on the cued (binarised) image, on another stored image, or on neither (a mixture or spurious state). */
    classical: z.object({ exact: z.number(), otherPattern: z.number(), spurious: z.number(), nearestOwn: z.number(), meanOverlap: z.number() }),
    /** Per cue: the nearest stored image of each modern result and of the classical result, and the blend measures. */
    cues: z.array(
      z.object({
        pattern: z.int(),
        label: z.string(),
        modern: z.array(z.object({ nearest: z.int(), error: z.number(), effective: z.number(), ownWeight: z.number() })),
        classical: z.object({ nearest: z.int(), exact: z.boolean(), stored: z.int().nullable(), overlap: z.number() })
      })
    ),
    /** The first cues' pictures (values in [−1, 1], 4 decimals): cue, the modern result at each β, the classical result. */
    examples: z.array(z.object({ pattern: z.int(), cue: z.array(z.number()), modern: z.array(z.array(z.number())), classical: z.array(z.number()) }))
  }),
  z.object({
    type: z.literal('delay'),
    task: z.enum(['adding', 'first-bit']),
    /** What answering without memory scores: the share solved and the loss (always 1 for adding; chance for a bit). */
    baseline: z.object({ accuracy: z.number(), loss: z.number() }),
    hiddenSize: z.int(),
    trainingSteps: z.int(),
    evalRows: z.int(),
    points: z.array(
      z.object({
        cell: z.enum(['rnn', 'lstm', 'gru']),
        delay: z.int(),
        trials: z.int(),
        /** Mean share of fresh rows solved, each trial's, and the mean loss (MSE for adding, cross-entropy in nats for a bit). */
        accuracy: z.number(),
        accuracies: z.array(z.number()),
        loss: z.number(),
        /** A trial stopped by a non-finite value (its last good weights were scored). */
        stopReason: z.string().optional()
      })
    ),
    /** Mean over rows of ‖∂ℓ/∂h_t‖ for t = 0 (the initial state) … delay + 1, before and after training (trial 1). */
    profiles: z.array(z.object({ cell: z.enum(['rnn', 'lstm', 'gru']), delay: z.int(), initial: z.array(z.number()), trained: z.array(z.number()) }))
  }),
  z.object({
    type: z.literal('gradient-flow'),
    units: z.int(),
    steps: z.int(),
    /** ‖∂h_T/∂h_t‖ (Frobenius) for t = 0 … T. */
    norms: z.array(z.number()),
    /** ∂h_T/∂h_0 as rows. */
    jacobian: z.array(z.array(z.number()))
  })
])
export type SweepResult = z.infer<typeof sweepResultSchema>

/** One explicit cue as it ran: the vectors given, every update or step, where it stopped. */
export const workedCaseSchema = z.object({
  label: z.string().optional(),
  /** The x side as run (the start state, the hetero input, BAM's X layer); BAM's Y layer in `y`. */
  x: z.array(z.number()),
  y: z.array(z.number()).optional(),
  /** Async Hopfield recall: each unit update in order (unit counted from 1, its net input y_in, its value after, the state after, E after). */
  updates: z
    .array(z.object({ sweep: z.int(), unit: z.int(), netInput: z.number(), value: z.int(), changed: z.boolean(), state: z.array(z.int()), energy: z.number() }))
    .optional(),
  /** Synchronous / recurrent steps, BAM half-steps (layer), or the one hetero-associative pass: net inputs and the state after. */
  steps: z.array(z.object({ layer: z.enum(['x', 'y']).optional(), netInput: z.array(z.number()), state: z.array(z.int()), energy: z.number().optional() })).optional(),
  /** E before the first update (Hopfield nets; with the external input when it is held on). */
  initialEnergy: z.number().optional(),
  /** Final state (Hopfield, recurrent), output y = f(xW) (hetero), or final X layer (BAM; its Y layer in finalY). */
  final: z.array(z.int()),
  finalY: z.array(z.int()).optional(),
  /** Units whose value changed over the whole run (async Hopfield: updates that changed a unit). */
  changes: z.int(),
  /** Sweeps (async), steps (sync, recurrent), half-steps (BAM), 1 (hetero). */
  iterations: z.int(),
  outcome: z.enum(['fixed-point', 'cycle', 'max-iterations', 'stored-match', 'repeat', 'stable', 'one-shot']),
  /** Stored pattern (or pair, or target) the final state equals, counted from 1; null if none. */
  match: z.int().nullable(),
  /** Recurrent 'repeat': which earlier vector it repeats (0 = the cue, k = step k). BAM: a stable state that is not a stored pair nor its negative. */
  repeatOf: z.int().optional(),
  spurious: z.boolean().optional()
})
export type WorkedCase = z.infer<typeof workedCaseSchema>

/** Explicit cues (spec.cues) and what ran: the net, its weights as a matrix, the dynamics resolved, one trace per cue. */
export const workedSchema = z.object({
  net: z.enum(['hopfield', 'hetero', 'bam', 'recurrent']),
  encoding: stateEncodingSchema,
  /** W as a matrix, row i = unit (input) i: N × N, or n × m for hetero and BAM. */
  weights: z.array(z.array(z.number())),
  thresholds: z.array(z.number()).optional(),
  /** The dynamics that ran, every default resolved (order as unit numbers counted from 1). */
  dynamics: z.object({
    mode: z.enum(['async', 'sync', 'recurrent', 'one-shot', 'bam']),
    order: z.union([z.literal('random'), z.array(z.int())]).optional(),
    external: z.enum(['none', 'cue']).optional(),
    activation: z.enum(['sign0', 'keep', 'step', 'sign']).optional(),
    first: z.enum(['auto', 'x', 'y']).optional(),
    stop: z.string(),
    limit: z.int().optional()
  }),
  cases: z.array(workedCaseSchema)
})
export type Worked = z.infer<typeof workedSchema>

export const experimentResultSchema = z
  .object({
    ...resultFileHead('engram.experiment-result', experimentSpecSchema),
    metrics: z
      .object({
        patterns: z.int(),
        units: z.int(),
        cues: z.int(),
        successRate: z.number(),
        meanFinalOverlap: z.number(),
        storedFixedPoints: z.int().describe('stored patterns that are fixed points of the dynamics'),
        meanIterations: z.number(),
        seconds: z.number()
      })
      .optional(),
    outcomes: z.array(cueOutcomeSchema).optional(),
    traces: z
      .array(z.object({ pattern: z.int(), energy: z.array(z.number()), overlaps: z.array(z.array(z.number())) }))
      .optional(),
    sweep: sweepResultSchema.optional(),
    /** Explicit cues (spec.cues): each one's full trace. */
    worked: workedSchema.optional(),
    training: z
      .object({ history: z.array(z.object({ epoch: z.int(), fixedTargets: z.int(), raised: z.int() })) })
      .optional(),
    model: z
      .object({
        kind: z.literal('hopfield'),
        units: z.int(),
        stateDict: z.record(z.string(), tensorJsonSchema),
        metadata: z.record(z.string(), z.string())
      })
      .optional()
  })
  .strict()
export type ExperimentResult = z.infer<typeof experimentResultSchema>
