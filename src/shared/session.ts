// Saved-session schema: what a session holds besides its tensors (stored separately, by name).
import { z } from 'zod'
import { corruptionSchema, datasetRefSchema, experimentResultSchema, MAX_ROWS, MAX_UNITS } from './spec'
import { KEPT_RUNS, runResultSchema, sessionModelSchema, type SessionModel } from './families'

export { modelInfoSchema, asyncRecallResultSchema, batchRecallResultSchema, type ModelInfo, type AsyncRecallResult, type BatchRecallResult } from './families/hopfield'
export { rbmEpochSchema, rbmInfoSchema, type RbmEpoch, type RbmInfo } from './families/rbm'
export { bamInfoSchema, bamRecallResultSchema, type BamInfo, type BamRecallResult } from './families/bam'
export { sessionModelSchema, type SessionModel } from './families'

/** v4: one models[] for every family (each with its kind), tensors under models/<id>/, kept run results by run kind. */
export const SESSION_SCHEMA_VERSION = 4


export const cueSchema = z.object({
  /** Stored pattern (index into the model's stored patterns) the cue came from, or -1 for a drawn cue. */
  source: z.int().min(-1).max(MAX_ROWS),
  corruption: corruptionSchema,
  seed: z.int().nonnegative(),
  state: z.array(z.int().min(-1).max(1)).max(MAX_UNITS)
})
export type Cue = z.infer<typeof cueSchema>

/** A finished experiment (sweep or recall run) kept in the session; its result carries no weights. */
export const experimentRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  result: experimentResultSchema
})
export type ExperimentRecord = z.infer<typeof experimentRecordSchema>

export type RunResult = z.infer<typeof runResultSchema>

/** The last result of each kept run kind (families/*: `kept`), keyed by the run's kind. */
export const keptResultsSchema = z.record(z.string(), runResultSchema).superRefine((results, ctx) => {
  for (const [key, r] of Object.entries(results)) {
    if (!KEPT_RUNS.includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `'${key}' is not a kept run kind (${KEPT_RUNS.join(', ')})` })
    else if (r.kind !== key) ctx.addIssue({ code: 'custom', path: [key, 'kind'], message: `a '${r.kind}' result kept under '${key}'` })
  }
})

export const sessionStateSchema = z.object({
  schemaVersion: z.literal(SESSION_SCHEMA_VERSION),
  id: z.string(),
  name: z.string().min(1).max(200),
  createdAt: z.string(),
  updatedAt: z.string(),
  dataset: datasetRefSchema.nullable(),
  /** Trained models of every family, oldest first; each one's tensors are stored as models/<id>/<name>. */
  models: z.array(sessionModelSchema),
  /** The recall lab's model (a Hopfield net). */
  activeModelId: z.string().nullable(),
  cue: cueSchema.nullable(),
  results: keptResultsSchema,
  /** Experiments run from the experiments page, newest last. */
  experiments: z.array(experimentRecordSchema),
  ui: z.record(z.string(), z.unknown())
})
export type SessionState = z.infer<typeof sessionStateSchema>

export const sessionSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  models: z.int(),
  /** Whether the in-memory workspace has changes not yet saved. */
  dirty: z.boolean()
})
export type SessionSummary = z.infer<typeof sessionSummarySchema>

/** A new, empty session. */
export function emptySessionState(id: string, name: string, at: string): SessionState {
  return {
    schemaVersion: SESSION_SCHEMA_VERSION,
    id,
    name,
    createdAt: at,
    updatedAt: at,
    dataset: null,
    models: [],
    activeModelId: null,
    cue: null,
    results: {},
    experiments: [],
    ui: {}
  }
}

/** Holds no work: no trained model, no kept result, no experiment (form settings alone do not count). */
export function isEmptySession(state: Pick<SessionState, 'models' | 'results' | 'experiments'>): boolean {
  return state.models.length === 0 && state.experiments.length === 0 && Object.keys(state.results).length === 0
}

/** The session's models of one family. */
export function modelsOf<K extends SessionModel['kind']>(state: Pick<SessionState, 'models'>, kind: K): Extract<SessionModel, { kind: K }>[] {
  return state.models.filter((m): m is Extract<SessionModel, { kind: K }> => m.kind === kind)
}

/** The last kept result of a run kind, or null. */
export function keptResult<K extends RunResult['kind']>(state: Pick<SessionState, 'results'>, kind: K): Extract<RunResult, { kind: K }> | null {
  const r = state.results[kind]
  return r && r.kind === kind ? (r as Extract<RunResult, { kind: K }>) : null
}

/** Where a model's tensor lives in the session's tensor map (every family). */
export function modelTensorName(modelId: string, name: string): string {
  return `models/${modelId}/${name}`
}
