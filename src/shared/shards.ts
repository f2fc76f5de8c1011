// The contract of a sharded run: what a queue job carries to a worker (one shard of a spec) and what comes back.
// Both sides validate: a worker refuses a bad payload naming the field, the coordinator a bad result.
// Every shard is trials [t0, t1) at one point of its sweep's grid: its numbers depend only on the spec, the seed and
// those coordinates. Legend: pi index of the pattern count; ii of the interaction (dense-capacity); ci of the cell
// and di of the delay (delay); t0..t1 trials [t0, t1) there.
import { z } from 'zod'
import { BUILTIN_DATASETS, experimentSpecSchema, tensorJsonSchema } from './spec'
import { sessionModelSchema, trainRequestSchema } from './families'

/** Format of a shard job; a worker refuses any other. */
export const SHARD_JOB_VERSION = 1

const index = z.int().nonnegative()

/** The shard schema of sweep `type` with grid coordinates `coords`: its id is `<type>-<letter><index>…-t<t0>-<t1>`. */
function shardOf<T extends string, C extends Readonly<Record<string, string>>>(type: T, coords: C) {
  const keys = Object.keys(coords) as (keyof C & string)[]
  const pattern = `${keys.map((k) => `${coords[k]}<${k}>`).join('-')}-t<t0>-<t1>`
  const regex = new RegExp(`^${type}-${keys.map((k) => `${coords[k]}\\d+`).join('-')}-t\\d+-\\d+$`)
  const shape = Object.fromEntries(keys.map((k) => [k, index])) as { [K in keyof C]: typeof index }
  return z
    .object({ type: z.literal(type), id: z.string().regex(regex, `expected '${type}-${pattern}'`), ...shape, t0: index, t1: z.int().positive() })
    .strict()
    .refine((s) => trialRange(s).t1 > trialRange(s).t0, { message: 't1 must be greater than t0', path: ['t1'] })
}

/** TypeScript loses t0/t1 in shardOf's generic object; they are there. */
const trialRange = (s: unknown) => s as { t0: number; t1: number }

/** Each shardable sweep's grid coordinates, with the letter that precedes each in a shard id. */
export const SHARD_COORDS = {
  /** Trials [t0, t1) at the pi-th pattern count. */
  capacity: { pi: 'p' },
  /** Trials [t0, t1) at the pi-th pattern count of the ii-th interaction. */
  'dense-capacity': { ii: 'i', pi: 'p' },
  /** Trials [t0, t1) of the ci-th cell at the di-th delay (each trial a whole training run). */
  delay: { ci: 'c', di: 'd' }
} as const

export const capacityShardSchema = shardOf('capacity', SHARD_COORDS.capacity)
export const denseCapacityShardSchema = shardOf('dense-capacity', SHARD_COORDS['dense-capacity'])
export const delayShardSchema = shardOf('delay', SHARD_COORDS.delay)

export const shardSchema = z.discriminatedUnion('type', [capacityShardSchema, denseCapacityShardSchema, delayShardSchema])
export type Shard = z.infer<typeof shardSchema>
/** The sweep types that split into shards. */
export type ShardableType = Shard['type']

/** What every queue job carries besides its work. */
const jobHeader = {
  v: z.literal(SHARD_JOB_VERSION),
  /** The run this shard belongs to: the cancel key and the merge use it. */
  runId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 letters, digits, _ or -'),
  /** The coordinator's Engram version: a worker of another version refuses the shard (its numbers could differ). */
  engram: z.string().min(1)
}

export const shardJobSchema = z
  .object({ ...jobHeader, spec: experimentSpecSchema, shard: shardSchema })
  .strict()
  .refine((job) => job.spec.sweep?.type === job.shard.type, { message: "must be the spec's sweep type", path: ['shard', 'type'] })
export type ShardJob = z.infer<typeof shardJobSchema>

const computeSchema = z.object({ path: z.enum(['core', 'engine']), provider: z.string(), fallbackReason: z.string().optional() })

export const capacityTrialSchema = z.object({
  pi: index,
  t: index,
  rules: z.array(z.object({ fixed: z.int().nonnegative(), dots: z.array(z.int()) }).nullable())
})

export const denseCapacityTrialSchema = z.object({ ii: index, pi: index, t: index, recalled: z.int().nonnegative(), stable: z.int().nonnegative() })

/** JSON writes a non-finite number as null: a score or profile value that overflowed comes back as null (NaN here). */
const jsonNumber = z
  .number()
  .nullable()
  .transform((x) => x ?? NaN)

export const delayConfigScoreSchema = z.object({
  ci: index,
  di: index,
  t: index,
  accuracy: jsonNumber,
  loss: jsonNumber,
  stopReason: z.string().nullable(),
  profile: z.object({ initial: z.array(jsonNumber), trained: z.array(jsonNumber) }).optional()
})

const resultOf = <T extends ShardableType, S extends z.ZodRawShape>(type: T, cells: S) => z.object({ type: z.literal(type), id: z.string(), compute: computeSchema, ...cells })

export const shardResultSchema = z.discriminatedUnion('type', [
  resultOf('capacity', { trials: z.array(capacityTrialSchema) }),
  resultOf('dense-capacity', { trials: z.array(denseCapacityTrialSchema) }),
  resultOf('delay', { trials: z.array(delayConfigScoreSchema) })
])
export type ShardResult = z.infer<typeof shardResultSchema>

/** One training run of a batch (src/shared/batch.ts): the run's index in the batch; its id is `train-r<run>`. */
export const trainShardSchema = z
  .object({ type: z.literal('train'), id: z.string().regex(/^train-r\d+$/, "expected 'train-r<run>'"), run: index })
  .strict()
  .refine((s) => s.id === `train-r${s.run}`, { message: "must be 'train-r<run>'", path: ['id'] })
export type TrainShard = z.infer<typeof trainShardSchema>

/**
 * A training run as a queue job: the run's training request (as models.train builds it) and the coordinator's engine
 * provider; the worker builds the task through its own family registry. Its data must be on every machine: a built-in
 * dataset or a shipped corpus (an imported one lives in the coordinator's data directory only).
 */
export const trainShardJobSchema = z
  .object({ ...jobHeader, provider: z.enum(['auto', 'cpu', 'cuda', 'dml', 'coreml']), request: trainRequestSchema, shard: trainShardSchema })
  .strict()
  .superRefine((job, ctx) => {
    const problem = notOnWorkers(job.request)
    if (problem) ctx.addIssue({ code: 'custom', path: ['request', ...problem.path], message: problem.message })
  })
export type TrainShardJob = z.infer<typeof trainShardJobSchema>

/** Why a training request's data is not on every worker (an imported dataset or text), with its path, or null. */
export function notOnWorkers(request: { dataset?: { builtin: string }; model: object }): { path: string[]; message: string } | null {
  const dataset = request.dataset?.builtin
  if (dataset !== undefined && !(BUILTIN_DATASETS as readonly string[]).includes(dataset)) {
    return { path: ['dataset', 'builtin'], message: `'${dataset}' is an imported dataset, on this machine only; runs on a queue train on built-in datasets` }
  }
  const text = (request.model as { text?: { file?: string } }).text
  if (text?.file !== undefined) return { path: ['model', 'text', 'file'], message: `'${text.file}' is an imported text, on this machine only; runs on a queue train on shipped corpora` }
  return null
}

/** A trained run coming back: its model's info and its state dict (tensor JSON: dtype, shape, base64 data). */
export const trainShardResultSchema = z.object({
  type: z.literal('train'),
  id: z.string(),
  model: sessionModelSchema,
  tensors: z.record(z.string().max(200), tensorJsonSchema)
})
export type TrainShardResult = z.infer<typeof trainShardResultSchema>
