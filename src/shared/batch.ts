// A batch of training runs: one model spec of any family trained once per (grid point, seed), e.g. several seeds or
// a small grid of hyper-parameters. Each run is an ordinary training of its family (`<kind>.train`), so a batch run
// here or shard by shard on a queue's workers gives the same models. Legend: G the grid's points (the Cartesian
// product of its value lists, the last field varying fastest), S the seeds; runs are G × S, point-major.
import { z } from 'zod'
import { datasetRefSchema, tensorJsonSchema } from './spec'
import { familyOf, modelSpecSchema, sessionModelSchema, type ModelSpec } from './families'
import { withCellVariants } from './families/recurrent'
import { seedSchema } from './family'

/** The most runs one batch may hold (grid points × seeds). */
export const MAX_BATCH_RUNS = 64
/** The most fields a grid may vary. */
export const MAX_GRID_FIELDS = 4

/** Model-spec fields a grid may not vary: the family, and continuing a session's model (a batch trains fresh ones). */
const FIXED_FIELDS = ['kind', 'continueFrom'] as const

const gridValueSchema = z.union([z.number(), z.string().max(200), z.boolean()])
export type GridValue = z.infer<typeof gridValueSchema>

export const batchSpecSchema = z
  .object({
    /** The JSON Schema editors validate against (resources/schema/batch-spec.schema.json); ignored. */
    $schema: z.string().max(500).optional(),
    name: z.string().min(1).max(200),
    /** The dataset every run trains on (families that train on a dataset); absent for those whose data is in the spec. */
    dataset: datasetRefSchema.optional(),
    /** The model every run trains; a grid field overrides its value of that field. */
    model: modelSpecSchema,
    batch: z
      .object({
        /** One run per seed at each grid point. */
        seeds: z.array(seedSchema).min(1).max(MAX_BATCH_RUNS).default([0]),
        /** Top-level fields of the model spec and the values each takes (e.g. { "learningRate": [0.01, 0.003] }). */
        grid: z.record(z.string().min(1).max(64), z.array(gridValueSchema).min(1).max(MAX_BATCH_RUNS)).default({})
      })
      .strict()
  })
  .strict()
  .superRefine((spec, ctx) => {
    const { grid, seeds } = spec.batch
    const fields = Object.keys(grid)
    if (fields.length > MAX_GRID_FIELDS) ctx.addIssue({ code: 'custom', path: ['batch', 'grid'], message: `at most ${MAX_GRID_FIELDS} fields (got ${fields.length})` })
    if (new Set(seeds).size !== seeds.length) ctx.addIssue({ code: 'custom', path: ['batch', 'seeds'], message: 'each seed at most once (the runs would be the same)' })
    const known = Object.keys(familyOf(spec.model.kind)!.spec.shape)
    const badFields = fields.filter((f) => (FIXED_FIELDS as readonly string[]).includes(f) || !known.includes(f))
    for (const field of badFields) {
      if ((FIXED_FIELDS as readonly string[]).includes(field)) ctx.addIssue({ code: 'custom', path: ['batch', 'grid', field], message: `'${field}' cannot vary in a batch` })
      else if (!known.includes(field)) ctx.addIssue({ code: 'custom', path: ['batch', 'grid', field], message: `not a field of a ${spec.model.kind} model spec (its fields: ${known.filter((k) => !(FIXED_FIELDS as readonly string[]).includes(k)).join(', ')})` })
    }
    if ('continueFrom' in spec.model && spec.model.continueFrom !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['model', 'continueFrom'], message: 'a batch trains fresh models; continue a model with models.train' })
    }
    const runs = fields.reduce((n, f) => n * grid[f]!.length, 1) * seeds.length
    if (runs > MAX_BATCH_RUNS) ctx.addIssue({ code: 'custom', path: ['batch'], message: `${runs} runs (grid points × seeds); at most ${MAX_BATCH_RUNS}` })
    // A dataset where the family trains on one, none where its data is in the spec (the recurrent family's text).
    const request = familyOf(spec.model.kind)!.train.request.safeParse({ kind: `${spec.model.kind}.train`, ...(spec.dataset ? { dataset: spec.dataset } : {}), model: spec.model, seed: 0 })
    if (!request.success) {
      const issue = request.error.issues[0]!
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : []
      ctx.addIssue({ code: 'custom', path: keys.length ? keys : issue.path.map(String), message: keys.includes('dataset') ? `a ${spec.model.kind} model trains on the data its spec names; remove the dataset` : issue.message })
    }
    if (!badFields.length && fields.length <= MAX_GRID_FIELDS && runs <= MAX_BATCH_RUNS) {
      // Each grid point's model spec must be a valid spec of the family: a bad value names its place in the grid.
      gridPoints(grid).forEach((point, p) => {
        const parsed = modelSpecSchema.safeParse(pointModel(spec.model, point))
        if (parsed.success) return
        const issue = parsed.error.issues[0]!
        const field = String(issue.path[0] ?? '')
        const at = field in point ? ['batch', 'grid', field, grid[field]!.indexOf(point[field]!)] : ['model', ...issue.path]
        ctx.addIssue({ code: 'custom', path: at.map((x) => (typeof x === 'symbol' ? String(x) : x)), message: `${issue.message} (grid point ${p})` })
      })
    }
  })
export type BatchSpec = z.infer<typeof batchSpecSchema>
export type BatchSpecInput = z.input<typeof batchSpecSchema>

/** The grid's points in order: the Cartesian product of the value lists, the last field varying fastest. */
export function gridPoints(grid: Readonly<Record<string, readonly GridValue[]>>): Record<string, GridValue>[] {
  let points: Record<string, GridValue>[] = [{}]
  for (const [field, values] of Object.entries(grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [field]: v })))
  return points
}

/** One run of a batch: its place, its seed, its grid values and its model spec. */
export interface BatchRun {
  index: number
  seed: number
  params: Record<string, GridValue>
  model: ModelSpec
}

/**
 * A grid point's model: the base with the point's values. Where the grid varies a recurrent net's `cell`, the base's
 * settings of the other cells stay with their own cell (an LSTM's peepholes go to the LSTM runs, not to a GRU that has
 * none), unless the grid sets them too.
 */
function pointModel(base: Record<string, unknown>, point: Record<string, GridValue>): Record<string, unknown> {
  const model = { ...base, ...point }
  if (model.kind !== 'recurrent' || !('cell' in point)) return model
  return { ...withCellVariants(model as Parameters<typeof withCellVariants>[0]), ...point }
}

/** A valid batch's runs in order: every grid point (in gridPoints order), every seed there. */
export function batchRuns(spec: BatchSpec): BatchRun[] {
  const runs: BatchRun[] = []
  for (const params of gridPoints(spec.batch.grid)) {
    const model = modelSpecSchema.parse(pointModel(spec.model, params))
    for (const seed of spec.batch.seeds) runs.push({ index: runs.length, seed, params, model })
  }
  return runs
}

/** A run's training request, as models.train would build it. */
export function runTrainRequest(spec: BatchSpec, run: BatchRun): { kind: string; dataset?: BatchSpec['dataset']; model: ModelSpec; seed: number } {
  return { kind: `${run.model.kind}.train`, ...(spec.dataset ? { dataset: spec.dataset } : {}), model: run.model, seed: run.seed }
}

/** What a run's model is called in the session: its family's name, then the batch, the run, its seed and grid values. */
export function batchModelName(spec: BatchSpec, run: BatchRun, runs: number, familyName: string): string {
  const values = Object.entries(run.params).map(([k, v]) => `${k} ${String(v)}`)
  return `${familyName} · ${spec.name} run ${run.index + 1}/${runs} (seed ${run.seed}${values.length ? `, ${values.join(', ')}` : ''})`
}

/** What a finished batch job carries (job.done): every run's seed, grid values and model info, in run order. */
export const batchResultSchema = z.object({
  kind: z.literal('batch.train'),
  name: z.string(),
  runs: z.array(z.object({ index: z.int().nonnegative(), seed: z.int().nonnegative(), params: z.record(z.string(), gridValueSchema), model: sessionModelSchema }))
})
export type BatchResult = z.infer<typeof batchResultSchema>

/** A batch as jobs.list reports the running job. */
export const batchJobSchema = z.object({ kind: z.literal('batch.train'), batch: batchSpecSchema }).strict()

/** What `engram run` writes for a batch spec: the spec, and every run's seed, grid values, model info and state dict. */
export const batchResultFileSchema = z
  .object({
    kind: z.literal('engram.batch-result'),
    version: z.string(),
    spec: batchSpecSchema,
    createdAt: z.string(),
    runs: z.array(batchResultSchema.shape.runs.element.extend({ stateDict: z.record(z.string(), tensorJsonSchema) }))
  })
  .strict()
export type BatchResultFile = z.infer<typeof batchResultFileSchema>
