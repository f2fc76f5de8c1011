// The backend: implements every method of the API contract on top of datasets, sessions, jobs and export.
import { EventEmitter } from 'node:events'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { ApiError, describeZodError, parseParams, type EventName, type Events, type JobRequest, type MethodName, type ParsedParams, type Result, type RunningJob } from '../../shared/api'
import { emptySessionState, isEmptySession, type SessionModel, type SessionState } from '../../shared/session'
import { familyOf, FAMILIES, KEPT_RUNS } from '../../shared/families'
import type { NamedTensor } from '../../core/safetensors'
import { RNG_ALGORITHM } from '../../core/rng'
import { platformProviders, probeProviders } from '../../engine/providers'
import { DatasetCatalog } from './datasets'
import { TextCatalog } from './texts'
import { writeFileAtomic } from './atomic'
import { JobManager, type WorkerEntry } from './jobs'
import { QueueRoutedJobs } from '../queue/jobs'
import { SqliteSessionStore, type SessionStore } from './store'
import { experimentData } from './experiments/data'
import { exportModel, forgetModels, serviceOf } from './families'
import { batchTask, runTensors } from './batch'
import type { ExperimentInput } from './families'
import type { FamilyContext, FamilyTask } from './families/types'
import { EXPORTS_DIR, SESSIONS_DB, SETTINGS_FILE } from '../paths'
import { checkQueue, QueueConnectError } from '../queue/connection'
import { maskQueueUrl, queueUrlSchema } from '../../shared/queue-url'
import { ENGRAM_VERSION } from '../version'

export { hopfieldExportBytes, netFromTensors } from './families/hopfield'

export interface BackendOptions {
  dataDir: string
  transport: 'ipc' | 'websocket'
  worker: WorkerEntry
  /** Engine provider for batched jobs (default auto: best the platform has, CPU fallback). */
  provider?: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml'
  store?: SessionStore
  /**
   * Where shardable jobs (capacity, dense-capacity and delay sweeps, batches of training runs) run: absent, where the
   * data directory's settings say (settings.update; none: in worker threads here, no Redis needed); a queue URL
   * (redis://HOST:PORT, rediss://:PASSWORD@HOST:PORT), on that queue's `engram worker`s. Other jobs always run here.
   */
  queue?: string
}

interface OpenSession {
  state: SessionState
  tensors: Map<string, NamedTensor>
  dirty: boolean
}

const now = (): string => new Date().toISOString()

function notFound(what: string, id: string, field: string): ApiError {
  return new ApiError({ code: 'not-found', field, message: `${field}: no ${what} '${id}'` })
}

export { writeFileAtomic }

/** Progress metrics kept per running job for jobs.list (RBM: one per epoch). */
const MAX_KEPT_METRICS = 100_000

const TRAIN_KINDS = new Set<string>(FAMILIES.map((f) => f.train.request.shape.kind.value))

/** A model's label for messages: "a Hopfield network". */
const labelOf = (kind: string): string => familyOf(kind)?.label ?? kind

export class Backend {
  readonly events = new EventEmitter()
  private readonly store: SessionStore
  private readonly jobs: QueueRoutedJobs
  readonly datasets: DatasetCatalog
  readonly texts: TextCatalog
  private readonly open = new Map<string, OpenSession>()
  /** Jobs started through jobs.start and not yet settled, with their progress so far (jobs.list). */
  private readonly running = new Map<string, RunningJob>()
  private probe: ReturnType<typeof probeProviders> | undefined
  private closing = false

  constructor(private readonly options: BackendOptions) {
    mkdirSync(options.dataDir, { recursive: true })
    this.store = options.store ?? new SqliteSessionStore(join(options.dataDir, SESSIONS_DB))
    this.jobs = new QueueRoutedJobs(new JobManager(options.worker), options.queue ?? this.storedQueue())
    this.datasets = new DatasetCatalog(options.dataDir)
    this.texts = new TextCatalog(options.dataDir)
    // Trainings cut off by a crash in a session never saved: the session is saved empty, so it is listed and opening
    // it recovers them (a saved session recovers its own when it is opened).
    const saved = new Set(this.store.list().map((r) => r.id))
    for (const c of this.store.checkpoints?.() ?? []) {
      if (saved.has(c.sessionId)) continue
      saved.add(c.sessionId)
      this.store.save({ ...emptySessionState(c.sessionId, `${c.sessionName} (recovered)`, c.createdAt), updatedAt: c.createdAt }, new Map())
    }
  }

  /** Stores a training's checkpoint; a failure to write it (disk full) costs the checkpoint, never the training. */
  private checkpoint(jobId: string, sessionId: string, model: SessionModel, tensors: Record<string, NamedTensor>): void {
    // A session closed or deleted meanwhile discarded the training.
    const open = this.open.get(sessionId)
    if (!open) return
    try {
      this.store.saveCheckpoint?.({ jobId, sessionId, sessionName: open.state.name, createdAt: now(), model, tensors: new Map(Object.entries(tensors)) })
    } catch (error) {
      console.warn(`checkpoint of job ${jobId} not written: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  /**
   * Lands the checkpoints of trainings that no longer run (cut off by a crash or a kill of the app, or a worker that
   * died) in the session, as models named "… · recovered"; they stay stored until the session is saved or discarded.
   * Returns the models landed.
   */
  private recover(session: OpenSession, onlyJob?: string): SessionModel[] {
    const landed: SessionModel[] = []
    for (const c of this.store.checkpoints?.(session.state.id) ?? []) {
      if (this.running.has(c.jobId) || (onlyJob !== undefined && c.jobId !== onlyJob)) continue
      if (session.state.models.some((m) => m.id === c.model.id)) continue
      const family = familyOf(c.model.kind)
      if (!family) continue
      const model = { ...c.model, name: `${c.model.name} · recovered` } as SessionModel
      this.land(session, { kind: family.train.request.shape.kind.value, model } as never, Object.fromEntries(c.tensors))
      landed.push(model)
    }
    return landed
  }

  /** Forgets the checkpoints of a session's trainings that no longer run (after a save, or when its changes are discarded). */
  private dropCheckpoints(sessionId: string): void {
    for (const c of this.store.checkpoints?.(sessionId) ?? []) if (!this.running.has(c.jobId)) this.store.deleteCheckpoint?.(c.jobId)
  }

  /** The queue the data directory's settings name, or null (none, or a file that is not a valid settings file: this machine). */
  private storedQueue(): string | null {
    try {
      const raw = JSON.parse(readFileSync(join(this.options.dataDir, SETTINGS_FILE), 'utf8')) as { queue?: unknown }
      const parsed = queueUrlSchema.nullable().safeParse(raw.queue ?? null)
      return parsed.success ? parsed.data : null
    } catch {
      return null
    }
  }

  /** Entry point for every transport: validates params, dispatches, and returns the typed result. */
  async call<M extends MethodName>(method: M, rawParams: unknown): Promise<Result<M>> {
    const params = parseParams(method, rawParams)
    const handler = this.handlers[method] as (p: unknown) => Promise<Result<M>> | Result<M>
    return await handler(params)
  }

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    this.events.on(event, listener)
    return () => this.events.off(event, listener)
  }

  private emit<E extends EventName>(event: E, payload: Events[E]): void {
    this.events.emit(event, payload)
  }

  async close(): Promise<void> {
    // The jobs are cancelled first: a training's partial model is then stored as its checkpoint and comes back with its session.
    this.closing = true
    await this.jobs.close()
    this.store.close()
  }

  private session(id: string, field = 'params.id'): OpenSession {
    const open = this.open.get(id)
    if (open) return open
    const loaded = this.store.load(id)
    if (!loaded) throw notFound('session', id, field)
    const session: OpenSession = { state: loaded.state, tensors: loaded.tensors, dirty: false }
    this.open.set(id, session)
    this.recover(session)
    return session
  }

  private model(session: OpenSession, modelId: string, field: string): SessionModel {
    const info = session.state.models.find((m) => m.id === modelId)
    if (!info) throw notFound('model', modelId, field)
    return info
  }

  private get context(): FamilyContext {
    return { datasets: this.datasets, texts: this.texts, provider: this.options.provider ?? 'auto' }
  }

  private experiment(session: OpenSession, experimentId: string): SessionState['experiments'][number] {
    const record = session.state.experiments.find((e) => e.id === experimentId)
    if (!record) throw notFound('experiment', experimentId, 'params.experimentId')
    return record
  }

  private touch(session: OpenSession): SessionState {
    session.state.updatedAt = now()
    session.dirty = true
    return session.state
  }

  private writeExport(session: OpenSession, suffix: string, bytes: Uint8Array): Result<'models.export'> {
    const dir = join(this.options.dataDir, EXPORTS_DIR)
    mkdirSync(dir, { recursive: true })
    // The file's name is made of the session's name and the model's id: letters, digits, . _ - only, so never a path.
    const safeName = session.state.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '').slice(0, 60) || 'session'
    const fileName = `${safeName}-${suffix}`.replace(/[^A-Za-z0-9._-]+/g, '-')
    const path = join(dir, fileName)
    writeFileAtomic(path, bytes)
    return { fileName, path, bytes: bytes.byteLength, base64: Buffer.from(bytes).toString('base64') }
  }

  /** An experiment job: its datasets resolved here, so a bad reference fails before any work starts. */
  private experimentTask(spec: Extract<JobRequest, { kind: 'experiment' }>['spec']): FamilyTask {
    const data = experimentData(spec, this.datasets, 'params.spec.spec')
    const input: ExperimentInput = { spec, data }
    return { kind: 'experiment', input }
  }

  /** Starts a job in a worker; its result lands in the session by kind (trained models, kept runs, experiments). */
  private startJob(session: OpenSession, request: JobRequest, task: FamilyTask): { jobId: string } {
    const sessionId = session.state.id
    const kind = task.kind
    let checkpointed = false
    const jobId = this.jobs.start(task, {
      onProgress: (progress) => {
        const entry = this.running.get(progress.jobId)
        if (entry) {
          Object.assign(entry, { fraction: progress.fraction, rate: progress.rate, etaSeconds: progress.etaSeconds, message: progress.message })
          if (progress.text !== undefined) entry.text = progress.text
          if (progress.metrics && entry.metrics.length < MAX_KEPT_METRICS) entry.metrics.push(progress.metrics)
        }
        this.emit('job.progress', { ...progress, sessionId, kind })
      },
      onCheckpoint: (model, tensors) => {
        checkpointed = true
        this.checkpoint(jobId, sessionId, model, tensors)
      },
      onDone: (result, tensors) => {
        this.running.delete(jobId)
        // A checkpointed training's model (and any training's, when the app closes) stays stored as its last checkpoint
        // until the session is saved: a crash or a quit before that keeps it.
        if ((checkpointed || this.closing) && 'model' in result && TRAIN_KINDS.has(result.kind) && tensors) this.checkpoint(jobId, sessionId, result.model, tensors)
        const open = this.open.get(sessionId)
        if (open) this.land(open, result, tensors)
        this.emit('job.done', { jobId, sessionId, result })
      },
      onFailed: (error, cancelled) => {
        this.running.delete(jobId)
        const open = this.open.get(sessionId)
        // A worker that died (thrown, out of memory, killed) keeps its training's last checkpoint as a partial model.
        const kept = !cancelled && open ? this.recover(open, jobId) : []
        if (!kept.length) this.store.deleteCheckpoint?.(jobId)
        const note = kept.length ? `; its last checkpoint is kept as '${kept[0]!.name}'` : ''
        this.emit('job.failed', { jobId, sessionId, error: `${error}${note}`, cancelled })
      }
    })
    this.running.set(jobId, { jobId, sessionId, kind, spec: request, startedAt: now(), fraction: 0, rate: 0, etaSeconds: null, message: 'starting', metrics: [] })
    return { jobId }
  }

  /** Puts a finished job's result into its session: one rule per kind of result, not per family. */
  private land(open: OpenSession, result: Events['job.done']['result'], tensors: Record<string, NamedTensor> | undefined): void {
    const landModel = (model: SessionModel, own: Record<string, NamedTensor>): void => {
      for (const [name, t] of Object.entries(own)) open.tensors.set(`models/${model.id}/${name}`, t)
      open.state.models.push(model)
      serviceOf(model.kind).onTrained?.(open.state, model as never)
    }
    if (result.kind === 'experiment') open.state.experiments.push(result.record)
    else if (result.kind === 'batch.train') for (const run of result.runs) landModel(run.model, runTensors(tensors ?? {}, run.index))
    else if ('model' in result && TRAIN_KINDS.has(result.kind)) landModel(result.model, tensors ?? {})
    else if (KEPT_RUNS.includes(result.kind)) open.state.results[result.kind] = result as never
    else return
    this.touch(open)
  }

  private readonly handlers: { [M in MethodName]: (params: ParsedParams<M>) => Promise<Result<M>> | Result<M> } = {
    'app.info': async () => {
      this.probe ??= probeProviders()
      const probe = await this.probe
      const requested = this.options.provider ?? 'auto'
      const preferred = requested === 'auto' ? platformProviders() : [requested, 'cpu']
      const chosen = preferred.find((p) => probe.usable.includes(p)) ?? 'cpu'
      const skipped = preferred.slice(0, preferred.indexOf(chosen)).map((p) => `${p}: ${probe.failed[p] ?? 'not available'}`)
      return {
        version: ENGRAM_VERSION,
        transport: this.options.transport,
        dataDir: this.options.dataDir,
        rng: RNG_ALGORITHM,
        engine: { available: probe.usable, chosen, ...(skipped.length ? { fallbackReason: skipped.join('; ') } : {}) }
      }
    },
    'settings.get': () => ({ queue: this.jobs.queueUrl === null ? null : maskQueueUrl(this.jobs.queueUrl) }),
    'settings.update': async (p: ParsedParams<'settings.update'>) => {
      if (p.queue !== null) {
        try {
          await checkQueue(p.queue)
        } catch (error) {
          if (!(error instanceof QueueConnectError)) throw error
          throw new ApiError({ code: 'bad-request', field: 'params.queue', message: `params.queue: ${error.message}` })
        }
      }
      this.jobs.setUrl(p.queue)
      // The queue's password is in the URL: the file is for this user only.
      const path = join(this.options.dataDir, SETTINGS_FILE)
      writeFileAtomic(path, new TextEncoder().encode(JSON.stringify({ queue: p.queue }, null, 1)), 0o600)
      return { queue: p.queue === null ? null : maskQueueUrl(p.queue) }
    },
    'datasets.list': () => this.datasets.list(),
    'datasets.import': (p: ParsedParams<'datasets.import'>) => {
      const decode = (b64: string, field: string): Uint8Array => {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new ApiError({ code: 'bad-request', field, message: `${field}: not base64` })
        return new Uint8Array(Buffer.from(b64, 'base64'))
      }
      return this.datasets.import(p.name, decode(p.images, 'params.images'), p.labels ? decode(p.labels, 'params.labels') : null, 'imported in the app')
    },
    'texts.list': () => this.texts.list(),
    'texts.import': (p: ParsedParams<'texts.import'>) => {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(p.content)) throw new ApiError({ code: 'bad-request', field: 'params.content', message: 'params.content: not base64' })
      return this.texts.import(p.name, new Uint8Array(Buffer.from(p.content, 'base64')), 'params')
    },
    'datasets.get': (p: ParsedParams<'datasets.get'>) => {
      const loaded = this.datasets.patterns(p.id, p.offset, p.limit, p.threshold)
      return { summary: loaded.summary, offset: p.offset, patterns: loaded.patterns.map((x) => Array.from(x)), labels: loaded.labels }
    },
    'datasets.delete': (p: ParsedParams<'datasets.delete'>) => ({ deleted: this.datasets.delete(p.id, 'params.id') }),
    'sessions.list': () => {
      const stored = this.store.list()
      const rows = stored.map((r) => ({ ...r, dirty: this.open.get(r.id)?.dirty ?? false }))
      for (const [id, s] of this.open) {
        // A session never saved and still empty (a "New" nobody used) is not worth a line in the Open list.
        if (!stored.some((r) => r.id === id) && !isEmptySession(s.state)) {
          rows.unshift({ id, name: s.state.name, createdAt: s.state.createdAt, updatedAt: s.state.updatedAt, models: s.state.models.length, dirty: true })
        }
      }
      return rows
    },
    'sessions.create': (p: ParsedParams<'sessions.create'>) => {
      const state = emptySessionState(randomUUID(), p.name, now())
      this.open.set(state.id, { state, tensors: new Map(), dirty: true })
      return state
    },
    'sessions.open': (p: ParsedParams<'sessions.open'>) => this.session(p.id).state,
    'sessions.update': (p: ParsedParams<'sessions.update'>) => {
      const session = this.session(p.id)
      const { patch } = p
      if (patch.name !== undefined) session.state.name = patch.name
      if (patch.cue !== undefined) {
        if (patch.cue) {
          const active = session.state.models.find((m) => m.id === session.state.activeModelId)
          if (active?.kind === 'hopfield' && patch.cue.state.length !== active.units) {
            throw new ApiError({
              code: 'bad-request',
              field: 'params.patch.cue.state',
              message: `params.patch.cue.state: ${patch.cue.state.length} values, the active model has ${active.units} units`
            })
          }
        }
        session.state.cue = patch.cue
      }
      if (patch.activeModelId !== undefined) {
        if (patch.activeModelId !== null) {
          const m = this.model(session, patch.activeModelId, 'params.patch.activeModelId')
          if (m.kind !== 'hopfield') {
            throw new ApiError({ code: 'bad-request', field: 'params.patch.activeModelId', message: `params.patch.activeModelId: '${m.id}' is a ${labelOf(m.kind)}; the recall lab runs Hopfield networks` })
          }
        }
        session.state.activeModelId = patch.activeModelId
      }
      if (patch.ui !== undefined) session.state.ui = patch.ui
      return this.touch(session)
    },
    'sessions.save': (p: ParsedParams<'sessions.save'>) => {
      const session = this.session(p.id)
      this.store.save(session.state, session.tensors)
      this.dropCheckpoints(p.id)
      session.dirty = false
      const s = session.state
      return { id: s.id, name: s.name, createdAt: s.createdAt, updatedAt: s.updatedAt, models: s.models.length, dirty: false }
    },
    'sessions.close': (p: ParsedParams<'sessions.close'>) => {
      // Closing discards unsaved changes, recovered trainings included.
      this.dropCheckpoints(p.id)
      forgetModels(this.open.get(p.id)?.state.models.map((m) => m.id) ?? [])
      return { closed: this.open.delete(p.id) }
    },
    'sessions.delete': (p: ParsedParams<'sessions.delete'>) => {
      // Its jobs would land in a session that no longer exists: stop them.
      for (const job of this.running.values()) if (job.sessionId === p.id) this.jobs.cancel(job.jobId)
      forgetModels(this.open.get(p.id)?.state.models.map((m) => m.id) ?? [])
      const wasOpen = this.open.delete(p.id)
      for (const c of this.store.checkpoints?.(p.id) ?? []) this.store.deleteCheckpoint?.(c.jobId)
      return { deleted: this.store.delete(p.id) || wasOpen }
    },
    'sessions.rename': (p: ParsedParams<'sessions.rename'>) => {
      const open = this.open.get(p.id)
      const saved = this.store.rename(p.id, p.name)
      if (!open && !saved) throw notFound('session', p.id, 'params.id')
      if (open) open.state.name = p.name
      const row = this.store.list().find((r) => r.id === p.id)
      const s = open?.state
      return {
        id: p.id,
        name: p.name,
        createdAt: s?.createdAt ?? row?.createdAt ?? now(),
        updatedAt: s?.updatedAt ?? row?.updatedAt ?? now(),
        models: s?.models.length ?? row?.models ?? 0,
        dirty: open?.dirty ?? false
      }
    },
    'experiments.rename': (p: ParsedParams<'experiments.rename'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      this.experiment(session, p.experimentId).name = p.name
      return this.touch(session)
    },
    'experiments.delete': (p: ParsedParams<'experiments.delete'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const record = this.experiment(session, p.experimentId)
      session.state.experiments = session.state.experiments.filter((e) => e !== record)
      return this.touch(session)
    },
    'models.train': (p: ParsedParams<'models.train'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      // The family's own train request: a dataset where it trains on one (missing: refused naming params.dataset), none where its data is in the spec.
      const parsed = serviceOf(p.model.kind).family.train.request.safeParse({ kind: `${p.model.kind}.train`, ...(p.dataset ? { dataset: p.dataset } : {}), model: p.model, seed: p.seed })
      if (!parsed.success) {
        const { message, field } = describeZodError(parsed.error, 'params')
        throw new ApiError({ code: 'bad-request', field, message: `models.train: ${message} (a ${labelOf(p.model.kind)})` })
      }
      const request = parsed.data as Extract<JobRequest, { model: unknown }>
      const task = serviceOf(p.model.kind).trainTask(this.context, request as never, 'params', session)
      return this.startJob(session, request, task)
    },
    'models.trainBatch': (p: ParsedParams<'models.trainBatch'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      return this.startJob(session, { kind: 'batch.train', batch: p.batch }, batchTask(this.context, p.batch, 'params.batch'))
    },
    'models.run': (p: ParsedParams<'models.run'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const model = this.model(session, p.modelId, 'params.modelId')
      const service = serviceOf(model.kind)
      const runs = service.family.runs.map((r) => r.request.shape.kind.value)
      if (!runs.includes(p.run.kind)) {
        throw new ApiError({
          code: 'bad-request',
          field: 'params.run.kind',
          message: `params.run.kind: '${p.run.kind}' is not a run of a ${labelOf(model.kind)} (its runs: ${runs.join(', ') || 'none'})`
        })
      }
      const task = service.runTask(this.context, session, model as never, p.run as never, 'params.run')
      return this.startJob(session, { modelId: model.id, run: p.run }, task)
    },
    'models.view': (p: ParsedParams<'models.view'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const model = this.model(session, p.modelId, 'params.modelId')
      const views = serviceOf(model.kind).views as Record<string, (...args: never[]) => Result<'models.view'>> | undefined
      const view = views?.[p.view.kind]
      if (!view) {
        const names = Object.keys(views ?? {})
        throw new ApiError({ code: 'bad-request', field: 'params.view.kind', message: `params.view.kind: '${p.view.kind}' is not a view of a ${labelOf(model.kind)} (its views: ${names.join(', ') || 'none'})` })
      }
      return (view as (...args: unknown[]) => Result<'models.view'>)(this.context, session, model, p.view, 'params.view')
    },
    'models.rename': (p: ParsedParams<'models.rename'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      this.model(session, p.modelId, 'params.modelId').name = p.name
      return this.touch(session)
    },
    'models.delete': (p: ParsedParams<'models.delete'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const model = this.model(session, p.modelId, 'params.modelId')
      const s = session.state
      s.models = s.models.filter((m) => m.id !== model.id)
      forgetModels([model.id])
      for (const name of [...session.tensors.keys()]) if (name.startsWith(`models/${model.id}/`)) session.tensors.delete(name)
      // Results of the deleted model go with it; the recall lab falls back to the newest Hopfield net left.
      for (const [kind, r] of Object.entries(s.results)) if ('result' in r && 'modelId' in r.result && r.result.modelId === model.id) delete s.results[kind]
      if (s.activeModelId === model.id) {
        s.activeModelId = s.models.findLast((m) => m.kind === 'hopfield')?.id ?? null
        s.cue = null
      }
      return this.touch(session)
    },
    'models.export': (p: ParsedParams<'models.export'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const model = this.model(session, p.modelId, 'params.modelId')
      const { suffix, bytes } = exportModel(this.context, session, model, p.format)
      return this.writeExport(session, suffix, bytes)
    },
    'jobs.start': (p: ParsedParams<'jobs.start'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      return this.startJob(session, p.spec, this.experimentTask(p.spec.spec))
    },
    'jobs.list': (p: ParsedParams<'jobs.list'>) => [...this.running.values()].filter((j) => !p.sessionId || j.sessionId === p.sessionId).map((j) => ({ ...j, metrics: [...j.metrics] })),
    'jobs.cancel': (p: ParsedParams<'jobs.cancel'>) => ({ cancelled: this.jobs.cancel(p.jobId) }),
  }
}
