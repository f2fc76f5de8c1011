// The API contract: every method and event between the renderer (or any client) and the backend.
// Two transports carry it: Electron IPC through the preload, and HTTP + WebSocket from `engram serve`.
import { z } from 'zod'
import { datasetIdSchema, datasetRefSchema, experimentSpecSchema, MAX_ROWS } from './spec'
import { experimentRecordSchema, sessionStateSchema, sessionSummarySchema, cueSchema } from './session'
import { EXPORT_FORMATS } from './family'
import { queueUrlSchema } from './queue-url'
import { batchJobSchema, batchResultSchema, batchSpecSchema } from './batch'
import { modelSpecSchema, runRequestSchema, runResultSchema, trainRequestSchema, trainResultSchema, viewRequestSchema, viewResultSchema } from './families'

const sessionId = z.string().min(1).max(100)

/** Windows' reserved device names (CON, NUL, COM1…), with or without an extension: never a file or folder there. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i

/**
 * Why a name cannot become a file or folder in the data directory, or null when it can: a name is never a path
 * (no / or \\, no leading dot, so no '.' or '..'), holds no control characters and is no Windows device name.
 */
export function storedNameProblem(name: string): string | null {
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'control characters are not allowed in a name'
  if (/[\\/]/.test(name)) return `'${name}' is a path; give a name (no / or \\)`
  if (name.startsWith('.')) return `'${name}' starts with a dot; start with a letter or digit`
  if (WINDOWS_DEVICE.test(name.trim())) return `'${name}' is a reserved device name on Windows`
  return null
}

/** The name of something stored under the data directory (an imported dataset or text); refused naming the field. */
const storedNameSchema = z
  .string()
  .min(1)
  .max(64)
  .superRefine((name, ctx) => {
    const problem = storedNameProblem(name)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })

export const datasetSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  count: z.int(),
  width: z.int(),
  height: z.int(),
  source: z.string()
})
export type DatasetSummary = z.infer<typeof datasetSummarySchema>

export const textSummarySchema = z.object({
  /** 'corpus:<id>' (shipped) or 'user-text:<name>' (imported). */
  id: z.string(),
  name: z.string(),
  chars: z.int(),
  source: z.string()
})
export type TextSummary = z.infer<typeof textSummarySchema>

export const providerInfoSchema = z.object({
  available: z.array(z.string()),
  chosen: z.string(),
  fallbackReason: z.string().optional()
})
export type ProviderInfo = z.infer<typeof providerInfoSchema>

/** jobs.start: an experiment (recall run or sweep); its result is kept in the session's experiments. */
export const jobSpecSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('experiment'), spec: experimentSpecSchema }).strict()])
export type JobSpec = z.infer<typeof jobSpecSchema>
export type JobSpecInput = z.input<typeof jobSpecSchema>

/** A run on a named model, as a running job records it. */
const modelRunJobSchema = z.object({ modelId: z.string(), run: runRequestSchema }).strict()

/**
 * Every job a backend runs, as jobs.list reports it: an experiment, a family's training (`<family>.train`,
 * models.train) or a run on a trained model (models.run).
 */
export const jobRequestSchema = z.union([jobSpecSchema, trainRequestSchema, modelRunJobSchema, batchJobSchema])
export type JobRequest = z.infer<typeof jobRequestSchema>

/** A job still running in the backend: what a client that (re)opened the session needs to follow it. */
export const runningJobSchema = z.object({
  jobId: z.string(),
  sessionId: z.string(),
  kind: z.string(),
  /** The job as started (its options, e.g. an RBM's planned epochs). */
  spec: jobRequestSchema,
  startedAt: z.string(),
  fraction: z.number(),
  rate: z.number(),
  etaSeconds: z.number().nullable(),
  message: z.string(),
  /** Every progress event's metrics so far, in order (RBM: one per epoch), so live charts can be redrawn. */
  metrics: z.array(z.record(z.string(), z.number())),
  /** The latest progress text (a language model's latest sample), when the job has one. */
  text: z.string().optional()
})
export type RunningJob = z.infer<typeof runningJobSchema>

export const jobResultSchema = z.union([
  z.object({ kind: z.literal('experiment'), record: experimentRecordSchema }),
  trainResultSchema,
  runResultSchema,
  batchResultSchema
])
export type JobResult = z.infer<typeof jobResultSchema>

const empty = z.object({}).strict()

/** Where jobs run: `queue` null for this machine, else the queue's URL with its password masked. */
export const settingsSchema = z.object({ queue: z.string().nullable() })
export type Settings = z.infer<typeof settingsSchema>

/** Every method: params schema (validated by the backend) and result schema (the type the client gets). */
export const methods = {
  'app.info': {
    params: empty,
    result: z.object({
      version: z.string(),
      transport: z.enum(['ipc', 'websocket']),
      dataDir: z.string(),
      rng: z.string(),
      engine: providerInfoSchema
    })
  },
  /** The backend's settings: where shardable sweeps and batches of training runs go (this machine or a queue). */
  'settings.get': { params: empty, result: settingsSchema },
  /**
   * Sets where jobs run: `queue` null for this machine (no Redis needed), or a redis:// / rediss:// URL (a password
   * allowed), checked by connecting first. Jobs already running stay where they are. Kept in the data directory.
   */
  'settings.update': { params: z.object({ queue: queueUrlSchema.nullable() }).strict(), result: settingsSchema },
  'datasets.list': { params: empty, result: z.array(datasetSummarySchema) },
  'datasets.get': {
    params: z
      .object({
        id: datasetIdSchema,
        offset: z.int().nonnegative().max(MAX_ROWS).default(0),
        limit: z.int().positive().max(2000).default(200),
        threshold: z.number().min(0).max(1).default(0.5)
      })
      .strict(),
    result: z.object({
      summary: datasetSummarySchema,
      offset: z.int(),
      patterns: z.array(z.array(z.int())),
      labels: z.array(z.string())
    })
  },
  'datasets.import': {
    params: z
      .object({
        name: storedNameSchema,
        /** An IDX images file ([N, rows, cols] uint8, MNIST style), gzipped or not, base64. */
        images: z.string().min(1).max(200_000_000),
        labels: z.string().max(20_000_000).optional()
      })
      .strict(),
    result: datasetSummarySchema
  },
  /** The texts a language model can train on: the shipped corpora and the imported files. */
  'texts.list': { params: empty, result: z.array(textSummarySchema) },
  /** Imports a UTF-8 text file (base64) as 'user-text:<name>': refused when empty, not UTF-8 or over the size cap. */
  'texts.import': {
    params: z
      .object({
        name: storedNameSchema,
        content: z.string().min(1).max(12_000_000)
      })
      .strict(),
    result: textSummarySchema
  },
  /** Removes an imported dataset (its folder in the data directory); built-in datasets cannot be deleted. */
  'datasets.delete': { params: z.object({ id: datasetIdSchema }).strict(), result: z.object({ deleted: z.boolean() }) },
  /** Saved sessions and open ones with work in them (an empty session never saved is not listed). */
  'sessions.list': { params: empty, result: z.array(sessionSummarySchema) },
  'sessions.create': { params: z.object({ name: z.string().min(1).max(200) }).strict(), result: sessionStateSchema },
  'sessions.open': { params: z.object({ id: sessionId }).strict(), result: sessionStateSchema },
  'sessions.update': {
    params: z
      .object({
        id: sessionId,
        patch: z
          .object({
            name: z.string().min(1).max(200).optional(),
            cue: cueSchema.nullable().optional(),
            activeModelId: z.string().nullable().optional(),
            ui: z.record(z.string(), z.unknown()).optional()
          })
          .strict()
      })
      .strict(),
    result: sessionStateSchema
  },
  'sessions.save': { params: z.object({ id: sessionId }).strict(), result: sessionSummarySchema },
  'sessions.close': { params: z.object({ id: sessionId }).strict(), result: z.object({ closed: z.boolean() }) },
  /** Deletes the saved copy and forgets the open one (its running jobs are cancelled). */
  'sessions.delete': { params: z.object({ id: sessionId }).strict(), result: z.object({ deleted: z.boolean() }) },
  /** Renames a session: its saved copy at once (nothing else in it changes) and its open copy. */
  'sessions.rename': { params: z.object({ id: sessionId, name: z.string().trim().min(1).max(200) }).strict(), result: sessionSummarySchema },
  /** Renames or removes an experiment of the session's history (saved copies change on the next save). */
  'experiments.rename': {
    params: z.object({ sessionId, experimentId: z.string(), name: z.string().trim().min(1).max(200) }).strict(),
    result: sessionStateSchema
  },
  'experiments.delete': { params: z.object({ sessionId, experimentId: z.string() }).strict(), result: sessionStateSchema },
  /**
   * Trains a model of any family as a job. `dataset` is required by the families that train on a dataset (refused
   * naming params.dataset when missing) and refused by those whose data is in the spec (the recurrent family's text).
   * The model lands in the session's models[] when done.
   */
  'models.train': {
    params: z.object({ sessionId, dataset: datasetRefSchema.optional(), model: modelSpecSchema, seed: z.int().nonnegative().max(2 ** 32 - 1).default(0) }).strict(),
    result: z.object({ jobId: z.string() })
  },
  /**
   * Trains a batch of models as one job: the spec's model once per (grid point, seed) (src/shared/batch.ts), here or,
   * with a queue, one run per shard on its workers; every model lands in the session's models[] when all are done.
   */
  'models.trainBatch': { params: z.object({ sessionId, batch: batchSpecSchema }).strict(), result: z.object({ jobId: z.string() }) },
  /** Runs a trained model as a job: recall, batch recall, sampling, BAM recall… (the run kinds its family declares). */
  'models.run': { params: z.object({ sessionId, modelId: z.string(), run: runRequestSchema }).strict(), result: z.object({ jobId: z.string() }) },
  /** A quick read of a trained model, answered directly (an RBM's receptive fields or hidden layer on data rows). */
  'models.view': { params: z.object({ sessionId, modelId: z.string(), view: viewRequestSchema }).strict(), result: viewResultSchema },
  'models.rename': { params: z.object({ sessionId, modelId: z.string(), name: z.string().trim().min(1).max(200) }).strict(), result: sessionStateSchema },
  /** Removes a model and its tensors from the session (saved copies change on the next save). */
  'models.delete': { params: z.object({ sessionId, modelId: z.string() }).strict(), result: sessionStateSchema },
  /** Writes a model to the exports directory in one of its family's formats (and returns the bytes). */
  'models.export': {
    params: z.object({ sessionId, modelId: z.string(), format: z.enum(EXPORT_FORMATS) }).strict(),
    result: z.object({ fileName: z.string(), path: z.string(), bytes: z.int(), base64: z.string() })
  },
  'jobs.start': { params: z.object({ sessionId, spec: jobSpecSchema }).strict(), result: z.object({ jobId: z.string() }) },
  /** Jobs still running, for one session or all: a reloaded page picks up their progress and live metrics. */
  'jobs.list': { params: z.object({ sessionId: z.string().optional() }).strict(), result: z.array(runningJobSchema) },
  'jobs.cancel': { params: z.object({ jobId: z.string() }).strict(), result: z.object({ cancelled: z.boolean() }) },
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type Params<M extends MethodName> = z.input<Methods[M]['params']>
export type Result<M extends MethodName> = z.infer<Methods[M]['result']>
/** Params after validation, defaults applied: what a backend handler receives. */
export type ParsedParams<M extends MethodName> = z.infer<Methods[M]['params']>

export const eventSchemas = {
  'job.progress': z.object({
    jobId: z.string(),
    sessionId: z.string(),
    kind: z.string(),
    fraction: z.number(),
    /** Work units per second (cues/s or updates/s). */
    rate: z.number(),
    etaSeconds: z.number().nullable(),
    message: z.string(),
    /** Live training metrics (RBM: epoch, reconstructionError, …), when the job has them. */
    metrics: z.record(z.string(), z.number()).optional(),
    /** Live text (recurrent.train: the latest sample drawn from the model, every few reports). */
    text: z.string().max(10_000).optional()
  }),
  'job.done': z.object({ jobId: z.string(), sessionId: z.string(), result: jobResultSchema }),
  'job.failed': z.object({ jobId: z.string(), sessionId: z.string(), error: z.string(), cancelled: z.boolean() })
} as const
export type Events = { [K in keyof typeof eventSchemas]: z.infer<(typeof eventSchemas)[K]> }
export type EventName = keyof Events

/** What the renderer talks to. Implemented by the preload bridge and by the WebSocket client. */
export interface EngramApi {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void
}

/** Error a backend returns for bad input: names the field and the problem. */
export interface ApiErrorPayload {
  code: 'bad-request' | 'not-found' | 'failed' | 'unauthorized'
  message: string
  field?: string
}

export class ApiError extends Error {
  readonly code: ApiErrorPayload['code']
  readonly field?: string
  constructor(payload: ApiErrorPayload) {
    super(payload.message)
    this.name = 'ApiError'
    this.code = payload.code
    this.field = payload.field
  }
  toPayload(): ApiErrorPayload {
    return { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) }
  }
}

/** Formats a zod error as `field.path: problem` lines, the form every boundary reports. */
export function describeZodError(error: z.ZodError, prefix = ''): { message: string; field?: string } {
  const lines = error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.')
    return `${path || '(root)'}: ${issue.message}`
  })
  const first = error.issues[0]
  const field = first ? [prefix, ...first.path.map(String)].filter(Boolean).join('.') : undefined
  return { message: lines.join('; '), field }
}

/** Validates params of a method; throws ApiError('bad-request') naming the field. */
export function parseParams<M extends MethodName>(method: M, params: unknown): z.infer<Methods[M]['params']> {
  const schema = methods[method].params as z.ZodType
  const parsed = schema.safeParse(params ?? {})
  if (!parsed.success) {
    const { message, field } = describeZodError(parsed.error, 'params')
    throw new ApiError({ code: 'bad-request', message: `${method}: ${message}`, field })
  }
  return parsed.data as z.infer<Methods[M]['params']>
}

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name)
}
