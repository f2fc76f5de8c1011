// The backend: implements every method of the API contract on top of datasets, sessions, jobs and export.
import { EventEmitter } from 'node:events'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { ApiError, parseParams, type EventName, type Events, type MethodName, type ParsedParams, type Result, type RunningJob } from '../../shared/api'
import { emptySessionState, type ModelInfo, type RbmInfo, type SessionState } from '../../shared/session'
import { toEncoding, type Encoding, type HopfieldNet } from '../../core/hopfield'
import type { NamedTensor } from '../../core/safetensors'
import { encodeStateDict, type WeightsFormat } from '../../core/npy'
import { RNG_ALGORITHM } from '../../core/rng'
import { exportHopfieldOnnx } from '../../engine/export'
import { platformProviders, probeProviders } from '../../engine/providers'
import { DatasetCatalog } from './datasets'
import { checkRbmLabels, hiddenActivations, rbmExportBytes, rbmVisibleRows, sessionRbm } from './rbm'
import type { Rbm } from '../../core/rbm'
import { bamEnergy, bamHebb, bamRecall, type BamNet } from '../../core/bam'
import { heteroConditions, heteroRecall } from '../../core/hetero'
import { bamCodes } from '../../core/bam-codes'
import { JobManager, type WorkerEntry } from './jobs'
import { SqliteSessionStore, type SessionStore } from './store'
import { countStoredFixedPoints, modelMetadata, trainHopfield, type TrainedHopfield } from './hopfield'
import type { ExperimentData } from './experiments'
import type { WorkerTask } from '../worker/protocol'
import { EXPORTS_DIR, SESSIONS_DB } from '../paths'
import { ENGRAM_VERSION } from '../version'

export interface BackendOptions {
  dataDir: string
  transport: 'ipc' | 'websocket'
  worker: WorkerEntry
  /** Engine provider for batched jobs (default auto: best the platform has, CPU fallback). */
  provider?: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml'
  store?: SessionStore
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

/** Writes a file so that a crash leaves either the old file or the new one, never half of it. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`
  writeFileSync(tmp, bytes, { flush: true })
  renameSync(tmp, path)
}

/** The net of a saved model; `stored` in the net's encoding (the session keeps the dataset's bipolar patterns). */
export function netFromTensors(tensors: Map<string, NamedTensor>, modelId: string, encoding: Encoding = 'bipolar'): { net: HopfieldNet; stored: Int8Array[] } {
  const weights = tensors.get(`models/${modelId}/weights`)
  const thresholds = tensors.get(`models/${modelId}/thresholds`)
  const patterns = tensors.get(`models/${modelId}/patterns`)
  if (!weights || !thresholds || !patterns) throw new Error(`model ${modelId}: tensors missing from the session`)
  const units = thresholds.shape[0]!
  const count = patterns.shape[0]!
  const data = patterns.data as Int8Array
  const stored = Array.from({ length: count }, (_, p) => toEncoding(data.subarray(p * units, (p + 1) * units), encoding))
  return { net: { units, weights: weights.data as Float32Array, thresholds: thresholds.data as Float32Array, encoding }, stored }
}

/** Progress metrics kept per running job for jobs.list (RBM: one per epoch). */
const MAX_KEPT_METRICS = 100_000

/** 003's conditions cost P²·N: checked for up to this many pairs. */
const MAX_CONDITION_PAIRS = 1000

function pairConditions(xs: Int8Array[], ys: Int8Array[]): NonNullable<SessionState['bams'][number]['conditions']> {
  const c = heteroConditions(xs, ys)
  return { ...c, violations: c.violations.slice(0, 20), violationCount: c.violations.length }
}

/** A Hopfield net as an ONNX recall model, or its weights and thresholds as safetensors or .npz. */
export function hopfieldExportBytes(net: HopfieldNet, metadata: Record<string, string>, format: 'onnx' | WeightsFormat): Uint8Array {
  if (format === 'onnx') return exportHopfieldOnnx(net, metadata)
  const tensors: Record<string, NamedTensor> = {
    weights: { dtype: 'float32', shape: [net.units, net.units], data: net.weights },
    thresholds: { dtype: 'float32', shape: [net.units], data: net.thresholds }
  }
  return encodeStateDict(format, tensors, metadata)
}

export class Backend {
  readonly events = new EventEmitter()
  private readonly store: SessionStore
  private readonly jobs: JobManager
  readonly datasets: DatasetCatalog
  private readonly open = new Map<string, OpenSession>()
  /** Jobs started through jobs.start and not yet settled, with their progress so far (jobs.list). */
  private readonly running = new Map<string, RunningJob>()
  private probe: ReturnType<typeof probeProviders> | undefined

  constructor(private readonly options: BackendOptions) {
    mkdirSync(options.dataDir, { recursive: true })
    this.store = options.store ?? new SqliteSessionStore(join(options.dataDir, SESSIONS_DB))
    this.jobs = new JobManager(options.worker)
    this.datasets = new DatasetCatalog(options.dataDir)
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
    return session
  }

  private model(session: OpenSession, modelId: string, field: string): ModelInfo {
    const info = session.state.models.find((m) => m.id === modelId)
    if (!info) throw notFound('model', modelId, field)
    return info
  }

  private rbmInfo(session: OpenSession, modelId: string, field: string): RbmInfo {
    const info = session.state.rbms.find((m) => m.id === modelId)
    if (!info) throw notFound('RBM', modelId, field)
    return info
  }

  private rbmOf(session: OpenSession, info: RbmInfo): Rbm {
    return sessionRbm(session.tensors, info)
  }

  private touch(session: OpenSession): SessionState {
    session.state.updatedAt = now()
    session.dirty = true
    return session.state
  }

  private writeExport(session: OpenSession, suffix: string, bytes: Uint8Array): Result<'export.model'> {
    const dir = join(this.options.dataDir, EXPORTS_DIR)
    mkdirSync(dir, { recursive: true })
    const safeName = session.state.name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'session'
    const fileName = `${safeName}-${suffix}`
    const path = join(dir, fileName)
    writeFileAtomic(path, bytes)
    return { fileName, path, bytes: bytes.byteLength, base64: Buffer.from(bytes).toString('base64') }
  }

  private exportRbm(session: OpenSession, info: RbmInfo, format: 'onnx' | WeightsFormat): Result<'export.model'> {
    const bytes = rbmExportBytes(this.rbmOf(session, info), info, session.state.name, format)
    return this.writeExport(session, `rbm-${info.id.slice(0, 8)}.${format}`, bytes)
  }

  /** Validates a job against the session and builds the worker task (nothing starts on bad input). */
  private jobTask(session: OpenSession, spec: ParsedParams<'jobs.start'>['spec']): WorkerTask {
    if (spec.kind === 'experiment') {
      let data: ExperimentData | null = null
      if (spec.spec.dataset) {
        const d = this.datasets.resolve(spec.spec.dataset, 'params.spec.spec.dataset')
        data = { stored: d.patterns, labels: d.labels, width: d.summary.width, height: d.summary.height }
        if (((spec.spec.sweep?.type === 'bam' && spec.spec.sweep.bam.codes === 'dataset') || (spec.spec.sweep?.type === 'hetero' && spec.spec.sweep.codes === 'dataset'))) {
          data.targets = this.datasets.pairTargets(spec.spec.dataset, d.indices, 'params.spec.spec.dataset')
        }
      }
      return { kind: 'experiment', spec: spec.spec, data }
    }
    if (spec.kind === 'rbm.train') {
      const data = this.datasets.greyRows(spec.dataset, 'params.spec.dataset')
      checkRbmLabels(spec.model, data, spec.dataset.builtin, 'params.spec.model.labels')
      const id = randomUUID()
      const summary = this.datasets.summary(spec.dataset.builtin)
      return {
        kind: 'rbm.train',
        input: { modelId: id, name: `RBM ${data.visible}→${spec.model.hidden} · ${summary.name} · ${data.rows} rows`, dataset: spec.dataset, spec: spec.model, seed: spec.seed, data }
      }
    }
    if (spec.kind === 'rbm.sample') {
      const info = this.rbmInfo(session, spec.modelId, 'params.spec.modelId')
      const rbm = this.rbmOf(session, info)
      let rows: Float32Array | null = null
      if (spec.from === 'data') {
        // On the scale training saw (standardised for Gaussian units), with the one-hot labels of a classification RBM.
        rows = rbmVisibleRows(info, this.datasets.greyRows(info.dataset, 'params.spec.modelId'))
      }
      return {
        kind: 'rbm.sample',
        modelId: info.id,
        width: info.width,
        height: info.height,
        input: { rbm, count: spec.count, steps: spec.steps, from: spec.from, seed: spec.seed, data: rows }
      }
    }
    const info = this.model(session, spec.modelId, 'params.spec.modelId')
    const { net, stored } = netFromTensors(session.tensors, info.id, info.spec.encoding)
    if (spec.kind === 'recall.async') {
      if (spec.cue.length !== info.units) {
        throw new ApiError({ code: 'bad-request', field: 'params.spec.cue', message: `params.spec.cue: ${spec.cue.length} values, the model has ${info.units} units` })
      }
      // Binary nets take {0, 1}; bipolar ones ±1, and 0 (a missing component, 003) only in the recurrent associator.
      const binary = net.encoding === 'binary'
      const allowed = binary ? [0, 1] : spec.mode === 'recurrent' ? [-1, 0, 1] : [-1, 1]
      const bad = spec.cue.findIndex((v) => !allowed.includes(v))
      if (bad >= 0) {
        throw new ApiError({
          code: 'bad-request',
          field: `params.spec.cue.${bad}`,
          message: `params.spec.cue.${bad}: value ${spec.cue[bad]} is not ${binary ? '0 or 1 (this model has binary states)' : spec.mode === 'recurrent' ? '−1, 0 or 1' : '−1 or 1 (this model has bipolar states)'}`
        })
      }
      if (Array.isArray(spec.order)) {
        const order = spec.order
        const seen = new Set(order)
        if (order.length !== info.units || seen.size !== order.length || order.some((u) => u >= info.units)) {
          throw new ApiError({ code: 'bad-request', field: 'params.spec.order', message: `params.spec.order: expected a permutation of 0..${info.units - 1} (each unit once), got [${order.join(', ')}]` })
        }
      }
      if (spec.mode === 'recurrent' && spec.external === 'cue') {
        throw new ApiError({ code: 'bad-request', field: 'params.spec.external', message: "params.spec.external: the recurrent auto-associator (003) has no external input; use 'none'" })
      }
      return {
        kind: 'recall.async',
        input: {
          modelId: info.id,
          net,
          stored,
          cue: spec.cue,
          seed: spec.seed,
          order: spec.order,
          maxSweeps: spec.maxSweeps,
          mode: spec.mode,
          external: spec.external,
          activation: spec.activation
        }
      }
    }
    if ((spec.corruption.type === 'mask' || spec.corruption.type === 'maskFraction') && spec.corruption.fill === 0 && net.encoding === 'bipolar') {
      throw new ApiError({ code: 'bad-request', field: 'params.spec.corruption.fill', message: 'params.spec.corruption.fill: 0 is not a bipolar state; use −1 or 1' })
    }
    return {
      kind: 'recall.batch',
      input: {
        modelId: info.id,
        net,
        stored,
        width: info.width,
        height: info.height,
        corruption: spec.corruption,
        cuesPerPattern: spec.cuesPerPattern,
        seed: spec.seed,
        maxIterations: spec.maxIterations,
        provider: this.options.provider ?? 'auto',
        model: info.spec,
        external: spec.external
      }
    }
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
    'datasets.list': () => this.datasets.list(),
    'datasets.import': (p: ParsedParams<'datasets.import'>) => {
      const decode = (b64: string, field: string): Uint8Array => {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new ApiError({ code: 'bad-request', field, message: `${field}: not base64` })
        return new Uint8Array(Buffer.from(b64, 'base64'))
      }
      return this.datasets.import(p.name, decode(p.images, 'params.images'), p.labels ? decode(p.labels, 'params.labels') : null, 'imported in the app')
    },
    'datasets.get': (p: ParsedParams<'datasets.get'>) => {
      const loaded = this.datasets.patterns(p.id, p.offset, p.limit, p.threshold)
      return { summary: loaded.summary, offset: p.offset, patterns: loaded.patterns.map((x) => Array.from(x)), labels: loaded.labels }
    },
    'sessions.list': () => {
      const stored = this.store.list()
      const rows = stored.map((r) => ({ ...r, dirty: this.open.get(r.id)?.dirty ?? false }))
      for (const [id, s] of this.open) {
        if (!stored.some((r) => r.id === id)) {
          rows.unshift({ id, name: s.state.name, createdAt: s.state.createdAt, updatedAt: s.state.updatedAt, models: s.state.models.length + s.state.rbms.length + s.state.bams.length, dirty: true })
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
          if (active && patch.cue.state.length !== active.units) {
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
        if (patch.activeModelId !== null) this.model(session, patch.activeModelId, 'params.patch.activeModelId')
        session.state.activeModelId = patch.activeModelId
      }
      if (patch.ui !== undefined) session.state.ui = patch.ui
      return this.touch(session)
    },
    'sessions.save': (p: ParsedParams<'sessions.save'>) => {
      const session = this.session(p.id)
      this.store.save(session.state, session.tensors)
      session.dirty = false
      const s = session.state
      return { id: s.id, name: s.name, createdAt: s.createdAt, updatedAt: s.updatedAt, models: s.models.length + s.rbms.length + s.bams.length, dirty: false }
    },
    'sessions.close': (p: ParsedParams<'sessions.close'>) => ({ closed: this.open.delete(p.id) }),
    'sessions.delete': (p: ParsedParams<'sessions.delete'>) => {
      const wasOpen = this.open.delete(p.id)
      return { deleted: this.store.delete(p.id) || wasOpen }
    },
    'models.train': async (p: ParsedParams<'models.train'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const data = this.datasets.resolve(p.dataset, 'params.dataset')
      const { width, height } = data.summary
      let trained: TrainedHopfield
      try {
        // Energy training takes seconds on real sizes: it runs in a worker so the backend stays responsive.
        trained = p.model.rule === 'energy' ? await this.jobs.run({ kind: 'hopfield.train', stored: data.patterns, spec: p.model, seed: p.seed }) : trainHopfield(data.patterns, p.model, p.seed)
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        throw new ApiError({ code: 'bad-request', field: 'params.model', message: `params.model: ${message}` })
      }
      const { net, history } = trained
      const id = randomUUID()
      const units = net.units
      const packed = new Int8Array(data.patterns.length * units)
      data.patterns.forEach((x, i) => packed.set(x, i * units))
      session.tensors.set(`models/${id}/weights`, { dtype: 'float32', shape: [units, units], data: net.weights })
      session.tensors.set(`models/${id}/thresholds`, { dtype: 'float32', shape: [units], data: net.thresholds })
      session.tensors.set(`models/${id}/patterns`, { dtype: 'int8', shape: [data.patterns.length, units], data: packed })
      const info: ModelInfo = {
        id,
        name: `Hopfield (${p.model.rule}) · ${data.summary.name} · ${data.patterns.length} patterns`,
        spec: p.model,
        dataset: p.dataset,
        units,
        patterns: data.patterns.length,
        patternIndices: data.indices,
        width,
        height,
        storedFixedPoints: countStoredFixedPoints(net, data.patterns),
        seed: p.seed,
        ...(history ? { training: { history } } : {}),
        createdAt: now()
      }
      session.state.models.push(info)
      session.state.dataset = p.dataset
      session.state.activeModelId = id
      session.state.cue = null
      session.state.asyncRecall = null
      session.state.batchRecall = null
      return this.touch(session)
    },
    'bam.train': (p: ParsedParams<'bam.train'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const data = this.datasets.resolve(p.dataset, 'params.dataset')
      const enc = p.model.encoding
      const toEnc = (v: Int8Array): Int8Array => (enc === 'binary' ? v.map((u) => (u === 1 ? 1 : 0)) : Int8Array.from(v))
      const xs = data.patterns.map(toEnc)
      const ys = p.model.codes === 'dataset' ? this.datasets.pairTargets(p.dataset, data.indices, 'params.dataset').map(toEnc) : bamCodes(xs.length, p.model.codes, enc)
      const net = bamHebb(xs, ys, enc)
      const id = randomUUID()
      session.tensors.set(`bam/${id}/weights`, { dtype: 'float32', shape: [net.xUnits, net.yUnits], data: net.weights })
      session.state.bams.push({
        id,
        name: `BAM · ${data.summary.name} · ${xs.length} pairs`,
        spec: p.model,
        dataset: p.dataset,
        xUnits: net.xUnits,
        yUnits: net.yUnits,
        width: data.summary.width,
        height: data.summary.height,
        labels: data.labels,
        x: xs.map((v) => Array.from(v)),
        y: ys.map((v) => Array.from(v)),
        ...(xs.length <= MAX_CONDITION_PAIRS ? { conditions: pairConditions(xs, ys) } : {}),
        createdAt: now()
      })
      session.state.bamRecall = null
      return this.touch(session)
    },
    'bam.recall': (p: ParsedParams<'bam.recall'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const info = session.state.bams.find((b) => b.id === p.modelId)
      if (!info) throw notFound('BAM', p.modelId, 'params.modelId')
      const weights = session.tensors.get(`bam/${info.id}/weights`)
      if (!weights) throw new Error(`BAM ${info.id}: weights missing from the session`)
      const enc = info.spec.encoding
      const net: BamNet = { xUnits: info.xUnits, yUnits: info.yUnits, weights: weights.data as Float32Array, encoding: enc, thresholdsX: new Float32Array(info.xUnits), thresholdsY: new Float32Array(info.yUnits) }
      const check = (v: number[] | undefined, n: number, field: string): void => {
        if (!v) return
        if (v.length !== n) throw new ApiError({ code: 'bad-request', field, message: `${field}: ${v.length} values, the layer has ${n} units` })
        const bad = v.findIndex((u) => enc === 'binary' && u === -1)
        if (bad >= 0) throw new ApiError({ code: 'bad-request', field: `${field}.${bad}`, message: `${field}.${bad}: −1 is not a binary state` })
      }
      check(p.x, info.xUnits, 'params.x')
      check(p.y, info.yUnits, 'params.y')
      if (p.mode === 'one-shot') {
        if (!p.x) throw new ApiError({ code: 'bad-request', field: 'params.x', message: 'params.x: the one-shot hetero-associative net maps x to y; give x' })
        const one = heteroRecall({ inputs: info.xUnits, outputs: info.yUnits, weights: net.weights, encoding: enc }, p.x)
        const y = Array.from(one.output)
        // The stored pair whose code came out (for an X given exactly, its own code: the association holds).
        const match = info.y.findIndex((t) => t.every((v, j) => v === y[j]))
        const result = {
          modelId: info.id,
          cue: { x: p.x, y: null },
          steps: [{ layer: 'y' as const, netInput: Array.from(one.netInput), state: y, energy: bamEnergy(net, p.x, y) }],
          x: p.x,
          y,
          halfSteps: 1,
          outcome: 'one-shot' as const,
          mode: 'one-shot' as const,
          match,
          negativeMatch: -1,
          spurious: match < 0
        }
        session.state.bamRecall = result
        this.touch(session)
        return result
      }
      if (!p.x && !p.y) throw new ApiError({ code: 'bad-request', field: 'params.x', message: 'params.x: give x, y or both' })
      const r = bamRecall(net, { ...(p.x ? { x: p.x } : {}), ...(p.y ? { y: p.y } : {}) }, {
        ...(p.first ? { first: p.first } : {}),
        maxIterations: p.maxIterations,
        stored: { inputs: info.x, targets: info.y }
      })
      const result = {
        modelId: info.id,
        cue: { x: p.x ?? null, y: p.y ?? null },
        steps: r.steps.map((st) => ({ layer: st.layer, netInput: Array.from(st.netInput), state: Array.from(st.state), energy: st.energy })),
        x: Array.from(r.x),
        y: Array.from(r.y),
        halfSteps: r.halfSteps,
        outcome: r.outcome,
        match: r.match,
        negativeMatch: r.negativeMatch,
        spurious: r.spurious,
        mode: 'bam' as const
      }
      session.state.bamRecall = result
      this.touch(session)
      return result
    },
    'jobs.start': (p: ParsedParams<'jobs.start'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const spec = p.spec
      const sessionId = session.state.id
      const kind = spec.kind
      const task = this.jobTask(session, spec)
      const jobId = this.jobs.start(task, {
        onProgress: (progress) => {
          const entry = this.running.get(progress.jobId)
          if (entry) {
            Object.assign(entry, { fraction: progress.fraction, rate: progress.rate, etaSeconds: progress.etaSeconds, message: progress.message })
            if (progress.metrics && entry.metrics.length < MAX_KEPT_METRICS) entry.metrics.push(progress.metrics)
          }
          this.emit('job.progress', { ...progress, sessionId, kind })
        },
        onDone: (result, tensors) => {
          this.running.delete(jobId)
          const open = this.open.get(sessionId)
          if (open) {
            if (result.kind === 'recall.async') open.state.asyncRecall = result.result
            else if (result.kind === 'recall.batch') open.state.batchRecall = result.result
            else if (result.kind === 'experiment') open.state.experiments.push(result.record)
            else if (result.kind === 'rbm.train') {
              for (const [name, t] of Object.entries(tensors ?? {})) open.tensors.set(`rbm/${result.model.id}/${name}`, t)
              open.state.rbms.push(result.model)
            }
            if (result.kind !== 'rbm.sample') this.touch(open)
          }
          this.emit('job.done', { jobId, sessionId, result })
        },
        onFailed: (error, cancelled) => {
          this.running.delete(jobId)
          this.emit('job.failed', { jobId, sessionId, error, cancelled })
        }
      })
      this.running.set(jobId, { jobId, sessionId, kind, spec, startedAt: now(), fraction: 0, rate: 0, etaSeconds: null, message: 'starting', metrics: [] })
      return { jobId }
    },
    'jobs.list': (p: ParsedParams<'jobs.list'>) => [...this.running.values()].filter((j) => !p.sessionId || j.sessionId === p.sessionId).map((j) => ({ ...j, metrics: [...j.metrics] })),
    'models.filters': (p: ParsedParams<'models.filters'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const info = this.rbmInfo(session, p.modelId, 'params.modelId')
      const rbm = this.rbmOf(session, info)
      const { hidden: H } = rbm
      // The pixels' weights only (a classification RBM's label units are not part of the picture).
      const V = rbm.visible - rbm.labelUnits
      const end = Math.min(H, p.offset + p.limit)
      const filters: number[][] = []
      for (let j = p.offset; j < end; j++) {
        const column = new Array<number>(V)
        for (let i = 0; i < V; i++) column[i] = Math.round(rbm.weights[i * H + j]! * 1e5) / 1e5
        filters.push(column)
      }
      return { visible: V, hidden: H, width: info.width, height: info.height, offset: p.offset, filters }
    },
    'models.hidden': (p: ParsedParams<'models.hidden'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const info = this.rbmInfo(session, p.modelId, 'params.modelId')
      return hiddenActivations(this.rbmOf(session, info), info, this.datasets.greyRows(info.dataset, 'params.modelId'), p.rows, 'params.rows')
    },
    'jobs.cancel': (p: ParsedParams<'jobs.cancel'>) => ({ cancelled: this.jobs.cancel(p.jobId) }),
    'export.model': (p: ParsedParams<'export.model'>) => {
      const session = this.session(p.sessionId, 'params.sessionId')
      const rbmInfo = session.state.rbms.find((m) => m.id === p.modelId)
      if (rbmInfo) return this.exportRbm(session, rbmInfo, p.format)
      const bamInfo = session.state.bams.find((m) => m.id === p.modelId)
      if (bamInfo) {
        if (p.format === 'onnx') throw new ApiError({ code: 'bad-request', field: 'params.format', message: 'params.format: BAMs export as safetensors or npz (weights and the stored pairs)' })
        const w = session.tensors.get(`bam/${bamInfo.id}/weights`)!
        const pack = (rows: number[][]): NamedTensor => ({ dtype: 'int8', shape: [rows.length, rows[0]?.length ?? 0], data: Int8Array.from(rows.flat()) })
        const bytes = encodeStateDict(
          p.format,
          { weights: w, x: pack(bamInfo.x), y: pack(bamInfo.y) },
          { 'engram.version': ENGRAM_VERSION, kind: 'bam', encoding: bamInfo.spec.encoding, codes: bamInfo.spec.codes, dataset: bamInfo.dataset.builtin, labels: bamInfo.labels.join(',') }
        )
        return this.writeExport(session, `bam-${bamInfo.id.slice(0, 8)}.${p.format}`, bytes)
      }
      const info = this.model(session, p.modelId, 'params.modelId')
      const { net } = netFromTensors(session.tensors, info.id, info.spec.encoding)
      const meta = modelMetadata(info.spec, net, {
        dataset: info.dataset.builtin,
        patterns: String(info.patterns),
        width: String(info.width),
        height: String(info.height),
        session: session.state.name
      })
      const bytes = hopfieldExportBytes(net, meta, p.format)
      return this.writeExport(session, `hopfield-${info.id.slice(0, 8)}.${p.format}`, bytes)
    }
  }
}
