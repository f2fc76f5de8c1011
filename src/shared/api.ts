// The API contract: every method and event between the renderer (or any client) and the backend.
// Two transports carry it: Electron IPC through the preload, and HTTP + WebSocket from `engram serve`.
import { z } from 'zod'
import { bamModelSpecSchema, corruptionSchema, datasetIdSchema, datasetRefSchema, experimentSpecSchema, hopfieldModelSpecSchema, rbmModelSpecSchema } from './spec'
import {
  asyncRecallResultSchema,
  bamRecallResultSchema,
  batchRecallResultSchema,
  cueSchema,
  experimentRecordSchema,
  rbmInfoSchema,
  sessionStateSchema,
  sessionSummarySchema
} from './session'

const sessionId = z.string().min(1).max(100)

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

export const providerInfoSchema = z.object({
  available: z.array(z.string()),
  chosen: z.string(),
  fallbackReason: z.string().optional()
})
export type ProviderInfo = z.infer<typeof providerInfoSchema>

export const jobSpecSchema = z.discriminatedUnion('kind', [
  z
    .object({
      /**
       * One traced recall from one cue (the recall lab): asynchronous (one unit per update), synchronous (all units
       * at once; fixed point or 2-cycle) or 003's recurrent auto-associator (stops when the vector matches a stored
       * one, repeats an earlier one, or at the limit). The cue is in the model's encoding ({0,1} for binary).
       */
      kind: z.literal('recall.async'),
      modelId: z.string(),
      cue: z.array(z.int().min(-1).max(1)).min(1),
      seed: z.int().nonnegative().max(2 ** 32 - 1),
      /** Async visiting order: random (seeded, a new permutation each sweep), sequential, or a given permutation of 0..N−1. */
      order: z.union([z.enum(['random', 'sequential']), z.array(z.int().nonnegative()).min(1)]).default('random'),
      maxSweeps: z.int().positive().max(1000).default(20),
      mode: z.enum(['async', 'sync', 'recurrent']).default('async'),
      /** External input x: none, or the cue held on as x (003: y_in_i = x_i + Σ_j y_j w_ji). */
      external: z.enum(['none', 'cue']).default('none'),
      /** Recurrent mode: f(0) = 0 (sign0, 003's printed numbers) or a zero net input keeps the unit. */
      activation: z.enum(['sign0', 'keep']).default('sign0')
    })
    .strict(),
  z
    .object({
      kind: z.literal('recall.batch'),
      modelId: z.string(),
      corruption: corruptionSchema,
      cuesPerPattern: z.int().positive().max(100000),
      seed: z.int().nonnegative().max(2 ** 32 - 1),
      maxIterations: z.int().positive().max(10000).default(50),
      /** 'cue': every cue is also held on as the external input x (003), on the engine too. */
      external: z.enum(['none', 'cue']).default('none')
    })
    .strict(),
  z
    .object({
      /** Any experiment spec (recall run or sweep); the result is kept in the session's experiments. */
      kind: z.literal('experiment'),
      spec: experimentSpecSchema
    })
    .strict(),
  z
    .object({
      /** Train an RBM on the engine; progress events carry live metrics; the model lands in the session. */
      kind: z.literal('rbm.train'),
      dataset: datasetRefSchema,
      model: rbmModelSpecSchema,
      seed: z.int().nonnegative().max(2 ** 32 - 1).default(0)
    })
    .strict(),
  z
    .object({
      /** Gibbs chains from noise or from data rows; returns the visible means after `steps` sweeps. */
      kind: z.literal('rbm.sample'),
      modelId: z.string(),
      count: z.int().positive().max(400).default(36),
      steps: z.int().positive().max(100000).default(1000),
      from: z.enum(['noise', 'data']).default('noise'),
      seed: z.int().nonnegative().max(2 ** 32 - 1).default(0)
    })
    .strict()
])
export type JobSpec = z.infer<typeof jobSpecSchema>
export type JobSpecInput = z.input<typeof jobSpecSchema>

/** A job still running in the backend: what a client that (re)opened the session needs to follow it. */
export const runningJobSchema = z.object({
  jobId: z.string(),
  sessionId: z.string(),
  kind: z.string(),
  /** The job as started (its options, e.g. an RBM's planned epochs). */
  spec: jobSpecSchema,
  startedAt: z.string(),
  fraction: z.number(),
  rate: z.number(),
  etaSeconds: z.number().nullable(),
  message: z.string(),
  /** Every progress event's metrics so far, in order (RBM: one per epoch), so live charts can be redrawn. */
  metrics: z.array(z.record(z.string(), z.number()))
})
export type RunningJob = z.infer<typeof runningJobSchema>

export const jobResultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('recall.async'), result: asyncRecallResultSchema }),
  z.object({ kind: z.literal('recall.batch'), result: batchRecallResultSchema }),
  z.object({ kind: z.literal('experiment'), record: experimentRecordSchema }),
  z.object({ kind: z.literal('rbm.train'), model: rbmInfoSchema }),
  z.object({
    kind: z.literal('rbm.sample'),
    modelId: z.string(),
    width: z.int(),
    height: z.int(),
    steps: z.int(),
    from: z.enum(['noise', 'data']),
    /** Visible means p(v=1|h) after the last sweep, one row per chain. */
    samples: z.array(z.array(z.number())),
    provider: z.string()
  })
])
export type JobResult = z.infer<typeof jobResultSchema>

const empty = z.object({}).strict()

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
  'datasets.list': { params: empty, result: z.array(datasetSummarySchema) },
  'datasets.get': {
    params: z
      .object({
        id: datasetIdSchema,
        offset: z.int().nonnegative().default(0),
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
        name: z.string().min(1).max(64),
        /** An IDX images file ([N, rows, cols] uint8, MNIST style), gzipped or not, base64. */
        images: z.string().min(1).max(200_000_000),
        labels: z.string().max(20_000_000).optional()
      })
      .strict(),
    result: datasetSummarySchema
  },
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
  'sessions.delete': { params: z.object({ id: sessionId }).strict(), result: z.object({ deleted: z.boolean() }) },
  'models.train': {
    params: z
      .object({ sessionId, dataset: datasetRefSchema, model: hopfieldModelSpecSchema, seed: z.int().nonnegative().max(2 ** 32 - 1).default(0) })
      .strict(),
    result: sessionStateSchema
  },
  'bam.train': {
    params: z.object({ sessionId, dataset: datasetRefSchema, model: bamModelSpecSchema }).strict(),
    result: sessionStateSchema
  },
  'bam.recall': {
    params: z
      .object({
        sessionId,
        modelId: z.string(),
        /** Either layer may be given, or both (partially): 0 marks an unknown unit (bipolar). */
        x: z.array(z.int().min(-1).max(1)).optional(),
        y: z.array(z.int().min(-1).max(1)).optional(),
        first: z.enum(['x', 'y']).optional(),
        maxIterations: z.int().positive().max(10000).default(100),
        /**
         * bam: X ↔ Y ping-pong until stable (003). one-shot: the one-layer hetero-associative net of 003 on the same
         * W, y = f(xW) once (sign with f(0) = 0 for bipolar, step for binary); needs x.
         */
        mode: z.enum(['bam', 'one-shot']).default('bam')
      })
      .strict(),
    result: bamRecallResultSchema
  },
  'jobs.start': { params: z.object({ sessionId, spec: jobSpecSchema }).strict(), result: z.object({ jobId: z.string() }) },
  'models.filters': {
    params: z
      .object({ sessionId, modelId: z.string(), offset: z.int().nonnegative().default(0), limit: z.int().positive().max(1000).default(100) })
      .strict(),
    result: z.object({
      visible: z.int(),
      hidden: z.int(),
      width: z.int(),
      height: z.int(),
      offset: z.int(),
      /** Receptive fields: column j of W (the weights into hidden unit j), one per hidden unit. */
      filters: z.array(z.array(z.number()))
    })
  },
  /**
   * An RBM's hidden layer on data rows: p(h = 1 | v) per hidden unit and the mean-field reconstruction E[v | p(h)]
   * for the given rows of the RBM's dataset (binarised at its threshold; Gaussian units: standardised with the training
   * split's statistics, and input and reconstruction given back on the grey-level scale; with
   * the one-hot label for a classification RBM), and each hidden unit's mean activation over many rows
   * (dead units stay near 0, saturated ones near 1).
   */
  'models.hidden': {
    params: z.object({ sessionId, modelId: z.string(), rows: z.array(z.int().nonnegative()).min(1).max(64) }).strict(),
    result: z.object({
      visible: z.int(),
      hidden: z.int(),
      width: z.int(),
      height: z.int(),
      rows: z.array(
        z.object({
          row: z.int(),
          label: z.string().nullable(),
          /** Whether the row was held out of training (the seeded split of the training run). */
          heldOut: z.boolean(),
          input: z.array(z.number()),
          hidden: z.array(z.number()),
          reconstruction: z.array(z.number())
        })
      ),
      /** Mean p(h_j = 1 | v) over the first `meanRows` rows of the dataset. */
      meanActivation: z.array(z.number()),
      meanRows: z.int()
    })
  },
  /** Jobs still running, for one session or all: a reloaded page picks up their progress and live metrics. */
  'jobs.list': { params: z.object({ sessionId: z.string().optional() }).strict(), result: z.array(runningJobSchema) },
  'jobs.cancel': { params: z.object({ jobId: z.string() }).strict(), result: z.object({ cancelled: z.boolean() }) },
  'export.model': {
    params: z
      /** onnx (Hopfield recall, RBM); safetensors or npz (NumPy: np.load(file)[name]) hold the weights of every model. */
      .object({ sessionId, modelId: z.string(), format: z.enum(['onnx', 'safetensors', 'npz']) })
      .strict(),
    result: z.object({ fileName: z.string(), path: z.string(), bytes: z.int(), base64: z.string() })
  }
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
    metrics: z.record(z.string(), z.number()).optional()
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
