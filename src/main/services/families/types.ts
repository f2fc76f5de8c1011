// The services side of a model family: how its jobs are validated and built (backend thread), run (worker thread),
// landed in the session, viewed and exported. One module per family implements it; index.ts registers them.
import type { NamedTensor } from '../../../core/safetensors'
import type { JobResult } from '../../../shared/api'
import type { ExportFormat } from '../../../shared/family'
import type { Family, RunRequest, ViewRequest, ViewResult } from '../../../shared/families'
import type { SessionModel, SessionState } from '../../../shared/session'
import type { ComputeHooks } from '../hooks'
import type { DatasetCatalog } from '../datasets'
import type { TextCatalog } from '../texts'

export interface FamilyContext {
  datasets: DatasetCatalog
  /** Texts for language models (shipped corpora, imported files); absent where no training happens (export from the CLI). */
  texts?: TextCatalog
  /** Engine provider for batched work. */
  provider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml'
}

/** A session as the backend holds it: its state and its tensors (models under models/<id>/<name>). */
export interface SessionData {
  state: SessionState
  tensors: Map<string, NamedTensor>
}

/** What the worker sends back: the job's result and, for training, the model's state dict (kept in the session, never sent to clients). */
export interface JobOutput {
  result: JobResult
  tensors?: Record<string, NamedTensor>
}

/** A job's worker-side code. `never` input: each handler declares its own input type, built by the same module's task builder. */
export type JobHandler = (input: never, hooks: ComputeHooks) => Promise<JobOutput> | JobOutput

/** A job for a worker: its kind (a key of the job table) and its input. */
export interface FamilyTask {
  kind: string
  input: unknown
}

type ModelOf<K extends string> = Extract<SessionModel, { kind: K }>
type TrainOf<F extends Family> = import('zod').infer<F['train']['request']>
type RunOf<F extends Family> = Extract<RunRequest, { kind: F['runs'][number]['request']['shape']['kind']['value'] }>
type ViewOf<F extends Family> = Extract<ViewRequest, { kind: F['views'][number]['request']['shape']['kind']['value'] }>

export interface ServiceFamily<F extends Family = Family> {
  family: F
  /**
   * Checks a training request against the datasets and builds the worker's task; throws ApiError naming the field
   * (under `field`, e.g. 'params') before any work starts.
   */
  trainTask(ctx: FamilyContext, request: TrainOf<F>, field: string, session?: SessionData): FamilyTask
  /** Checks a run against the model and builds the worker's task. */
  runTask(ctx: FamilyContext, session: SessionData, model: ModelOf<F['kind']>, run: RunOf<F>, field: string): FamilyTask
  /** Worker side: every job kind this family runs (its train kind and its run kinds). */
  jobs: Record<string, JobHandler>
  /**
   * Run kinds that run in the backend's own thread instead of a new worker: short runs that keep state from one call to
   * the next (the recurrent sampler sessions). They must not block for long, and they have no crash isolation.
   */
  inProcessJobs?: readonly string[]
  /** Models have left the open sessions (deleted, or their session closed): drop what is kept for them. */
  onForget?(modelIds: readonly string[]): void
  /** A trained model has landed in the session (its tensors are in): what else changes (e.g. the recall lab's active model). */
  onTrained?(state: SessionState, model: ModelOf<F['kind']>): void
  views?: { [K in ViewOf<F>['kind']]: (ctx: FamilyContext, session: SessionData, model: ModelOf<F['kind']>, view: Extract<ViewOf<F>, { kind: K }>, field: string) => ViewResult }
  /** The model in one of its family's export formats, and the file name's ending (e.g. 'hopfield-1a2b3c4d.onnx'). */
  export(ctx: FamilyContext, session: SessionData, model: ModelOf<F['kind']>, format: ExportFormat): { suffix: string; bytes: Uint8Array }
}

/** A model's tensors from the session (state dict names, without the models/<id>/ prefix). */
export function modelTensors(session: SessionData, modelId: string, names: readonly string[]): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {}
  for (const name of names) {
    const t = session.tensors.get(`models/${modelId}/${name}`)
    if (!t) throw new Error(`model ${modelId}: tensor '${name}' is missing from the session`)
    out[name] = t
  }
  return out
}
