// Orchestration across stores: boot, event routing, session lifecycle and restoring a session's
// state into every panel, and persisting UI settings into the session's `ui` record.
import { watch } from 'vue'
import { keptResult, type SessionState } from '../../shared/session'
import type { RunningJob } from '../../shared/api'
import type { Corruption, DatasetId, HopfieldModelSpec, LearningRuleName } from '../../shared/spec'
import { datasetIdSchema, LEARNING_RULES } from '../../shared/spec'
import { getApi } from './api'
import { timestampName } from './lib/format'
import { DEFAULT_ENERGY, VALLEYS, type EnergyOptions } from './lib/model-spec'
import { useAppStore, type Page } from './stores/app'
import { isPage, jobRoute, PAGES, type PageEntry } from './pages'
import { useBatchStore } from './stores/batch'
import { useCueStore } from './stores/cue'
import { useDatasetsStore } from './stores/datasets'
import { useErrorsStore } from './stores/errors'
import { useJobsStore } from './stores/jobs'
import { useModelStore } from './stores/model'
import { useRecallStore } from './stores/recall'
import { useSessionStore } from './stores/session'
import { isObject } from './lib/ui-record'

/** What the workbench keeps in SessionState.ui.workbench. */
export interface WorkbenchUi {
  datasetId?: DatasetId
  selection?: number[]
  datasetPage?: number
  threshold?: number
  rule?: LearningRuleName
  normalisation?: HopfieldModelSpec['normalisation']
  zeroDiagonal?: boolean
  energy?: EnergyOptions
  trainSeed?: number
  recall?: {
    seed?: number
    order?: 'random' | 'sequential' | 'given'
    orderText?: string
    maxSweeps?: number
    speed?: number
    mode?: 'async' | 'sync' | 'recurrent'
    external?: boolean
    activation?: 'sign0' | 'keep'
  }
  batch?: { corruption?: Corruption; cuesPerPattern?: number; seed?: number; maxIterations?: number }
  /** Each registered page's own settings, under its id (pages.ts; read back by the page's store, which checks every field). */
  pages?: Record<string, unknown>
}

const UI_KEY = 'workbench'
const PERSIST_DELAY_MS = 600

let restoring = false
let lastPersisted = ''
let booted = false

export function readUi(state: SessionState): WorkbenchUi {
  const raw = state.ui[UI_KEY]
  if (!isObject(raw)) return {}
  const out: WorkbenchUi = {}
  if (datasetIdSchema.safeParse(raw.datasetId).success) out.datasetId = raw.datasetId as DatasetId
  if (Array.isArray(raw.selection) && raw.selection.every((i) => Number.isInteger(i))) out.selection = raw.selection as number[]
  if (Number.isInteger(raw.datasetPage)) out.datasetPage = raw.datasetPage as number
  if (typeof raw.threshold === 'number') out.threshold = raw.threshold
  if (raw.normalisation === 'none' || raw.normalisation === '1/N' || raw.normalisation === '1/P') out.normalisation = raw.normalisation
  if (typeof raw.zeroDiagonal === 'boolean') out.zeroDiagonal = raw.zeroDiagonal
  if (typeof raw.rule === 'string' && (LEARNING_RULES as readonly string[]).includes(raw.rule)) out.rule = raw.rule as LearningRuleName
  if (isObject(raw.energy)) out.energy = readEnergy(raw.energy)
  if (Number.isInteger(raw.trainSeed) && (raw.trainSeed as number) >= 0) out.trainSeed = raw.trainSeed as number
  // Page settings stay unknown here: each page's store reads its own record field by field.
  const pages: Record<string, unknown> = {}
  for (const p of PAGES) if ('ui' in p && isObject(raw[p.id])) pages[p.id] = raw[p.id]
  if (Object.keys(pages).length) out.pages = pages
  if (isObject(raw.recall)) out.recall = raw.recall as WorkbenchUi['recall']
  if (isObject(raw.batch)) out.batch = raw.batch as WorkbenchUi['batch']
  return out
}

function readEnergy(raw: Record<string, unknown>): EnergyOptions {
  const e: EnergyOptions = { ...DEFAULT_ENERGY }
  if (VALLEYS.some((v) => v.id === raw.valleys)) e.valleys = raw.valleys as EnergyOptions['valleys']
  if (raw.mode === 'sgd' || raw.mode === 'batch') e.mode = raw.mode
  for (const k of ['epochs', 'eta', 'evolutionSteps', 'cueNoise'] as const) {
    const v = raw[k]
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) e[k] = v
  }
  return e
}

/** The registered pages that keep settings in the session. */
function pageUis(): (PageEntry & { ui: NonNullable<PageEntry['ui']> })[] {
  return (PAGES as readonly PageEntry[]).filter((p): p is PageEntry & { ui: NonNullable<PageEntry['ui']> } => !!p.ui)
}

function snapshot(): WorkbenchUi & Record<string, unknown> {
  const datasets = useDatasetsStore()
  const model = useModelStore()
  const recall = useRecallStore()
  const batch = useBatchStore()
  return {
    ...(datasets.currentId ? { datasetId: datasets.currentId } : {}),
    selection: [...datasets.selection],
    datasetPage: datasets.page,
    threshold: datasets.threshold,
    rule: model.rule,
    normalisation: model.normalisation,
    zeroDiagonal: model.zeroDiagonal,
    energy: { ...model.energy },
    trainSeed: model.seed,
    recall: {
      seed: recall.seed,
      order: recall.order,
      orderText: recall.orderText,
      maxSweeps: recall.maxSweeps,
      speed: recall.speed,
      mode: recall.mode,
      external: recall.external,
      activation: recall.activation
    },
    batch: {
      corruption: batch.corruption,
      cuesPerPattern: batch.cuesPerPattern,
      seed: batch.seed,
      maxIterations: batch.maxIterations
    },
    // Each page's settings under its id (the keys sessions have always used: experiments, rbm, bam).
    ...Object.fromEntries(pageUis().map((p) => [p.id, p.ui.snapshot()]))
  }
}

/** Puts a session's saved state into every panel. */
export async function restore(state: SessionState): Promise<void> {
  const datasets = useDatasetsStore()
  const model = useModelStore()
  const cue = useCueStore()
  const recall = useRecallStore()
  const batch = useBatchStore()
  const session = useSessionStore()
  restoring = true
  try {
    const ui = readUi(state)
    const ref = state.dataset
    const datasetId = ui.datasetId ?? ref?.builtin ?? datasets.currentId
    if (datasetId) {
      const fromRef = ref?.select ?? (ref?.count ? Array.from({ length: ref.count }, (_, i) => i) : [])
      await datasets.select(datasetId, {
        selection: ui.selection ?? (ref?.builtin === datasetId ? fromRef : []),
        ...(ui.datasetPage !== undefined ? { page: ui.datasetPage } : {}),
        threshold: ui.threshold ?? ref?.threshold ?? datasets.threshold
      })
    }
    const active = session.activeModel
    model.adoptSpec(active)
    if (ui.rule) model.rule = ui.rule
    if (ui.normalisation) model.normalisation = ui.normalisation
    if (ui.zeroDiagonal !== undefined) model.zeroDiagonal = ui.zeroDiagonal
    if (ui.energy) model.energy = ui.energy
    if (ui.trainSeed !== undefined) model.seed = ui.trainSeed
    try {
      await model.loadStored(active)
    } catch (error) {
      useErrorsStore().push(error, 'loading the stored patterns')
    }
    cue.restore(state.cue, state.ui)
    const r = ui.recall ?? {}
    if (Number.isInteger(r.seed)) recall.seed = r.seed!
    if (r.order === 'random' || r.order === 'sequential' || r.order === 'given') recall.order = r.order
    if (typeof r.orderText === 'string') recall.orderText = r.orderText
    if (r.mode === 'async' || r.mode === 'sync' || r.mode === 'recurrent') recall.mode = r.mode
    if (typeof r.external === 'boolean') recall.external = r.external
    if (r.activation === 'sign0' || r.activation === 'keep') recall.activation = r.activation
    if (Number.isInteger(r.maxSweeps)) recall.maxSweeps = r.maxSweeps!
    if (typeof r.speed === 'number') recall.speed = r.speed
    recall.setResult(keptResult(state, 'recall.async')?.result ?? null, 'end')
    const b = ui.batch ?? {}
    if (b.corruption && isObject(b.corruption)) batch.corruption = b.corruption
    if (Number.isInteger(b.cuesPerPattern)) batch.cuesPerPattern = b.cuesPerPattern!
    if (Number.isInteger(b.seed)) batch.seed = b.seed!
    if (Number.isInteger(b.maxIterations)) batch.maxIterations = b.maxIterations!
    batch.setResult(keptResult(state, 'recall.batch')?.result ?? null)
    recall.jobId = null
    batch.jobId = null
    for (const p of pageUis()) p.ui.restore(ui.pages?.[p.id])
    await resumeJobs(state.id)
  } finally {
    lastPersisted = JSON.stringify(snapshot())
    restoring = false
  }
}

/**
 * Follows the session's jobs still running in the backend (a reload or a second window): progress bars, the
 * RBM's live charts from every epoch so far, and their results when they end. Returns the ids found.
 */
export async function resumeJobs(sessionId: string): Promise<Set<string>> {
  let list: RunningJob[]
  try {
    list = await getApi().call('jobs.list', { sessionId })
  } catch (error) {
    useErrorsStore().push(error, 'listing running jobs')
    return new Set()
  }
  const jobs = useJobsStore()
  for (const j of list) {
    jobs.adopt(j)
    jobRoute(j.kind)?.adopt?.(j)
  }
  return new Set(list.map((j) => j.jobId))
}

/** No model's cue, results or page state on screen (a new session, or the open one deleted); settings stay. */
function resetPanels(): void {
  restoring = true
  try {
    useCueStore().restore(null, {})
    useRecallStore().setResult(null)
    useBatchStore().setResult(null)
    for (const p of pageUis()) p.ui.reset()
  } finally {
    restoring = false
  }
  lastPersisted = ''
}

/** The open session is gone (deleted): nothing of it stays on screen or in the URL. */
export function forgetSession(): void {
  resetPanels()
  linkSession(null)
}

export async function newSession(name = timestampName('Session')): Promise<void> {
  const session = useSessionStore()
  const state = await session.create(name)
  // A new session starts from what is on screen (dataset, selection, settings) but no model.
  resetPanels()
  linkSession(state.id)
  await persistUi(state.id)
  void session.refreshList().catch(() => {})
}

export async function openSession(id: string): Promise<void> {
  const session = useSessionStore()
  const state = await session.open(id)
  await restore(state)
  linkSession(state.id)
}

const HASH_KEY = 'session'
const PAGE_KEY = 'page'

function hashParams(): URLSearchParams {
  return new URLSearchParams(typeof window === 'undefined' ? '' : window.location.hash.replace(/^#/, ''))
}

/** The fragment holds the open session, then the page when it is not the recall lab. */
function writeHash(session: string | null, page: Page): void {
  if (typeof window === 'undefined' || !window.history?.replaceState) return
  const u = new URL(window.location.href)
  const parts = [session ? `${HASH_KEY}=${encodeURIComponent(session)}` : '', page !== 'recall' ? `${PAGE_KEY}=${page}` : ''].filter(Boolean)
  u.hash = parts.join('&')
  window.history.replaceState(window.history.state, '', u.toString())
}

/** The open session goes into the URL fragment, so a reload (or a bookmark) reopens it. */
function linkSession(id: string | null): void {
  writeHash(id, useAppStore().page)
}

function linkedSession(): string | null {
  const id = hashParams().get(HASH_KEY)
  return id && id.trim() ? id : null
}

function linkedPage(): Page | null {
  const page = hashParams().get(PAGE_KEY)
  return isPage(page) ? page : null
}

function watchPage(): void {
  const app = useAppStore()
  const page = linkedPage()
  if (page) app.page = page
  watch(
    () => app.page,
    (next) => writeHash(linkedSession(), next)
  )
}

export async function saveSession(): Promise<void> {
  const session = useSessionStore()
  if (!session.state) await newSession()
  await flushUi()
  await session.save()
  void session.refreshList().catch(() => {})
}

export async function ensureSession(): Promise<void> {
  if (!useSessionStore().state) await newSession()
}

export async function train(): Promise<void> {
  await ensureSession()
  const model = useModelStore()
  await model.train()
  // A new model: the backend drops the old cue and results; the cue restarts from stored pattern 0.
  useRecallStore().setResult(null)
  useBatchStore().setResult(null)
  useCueStore().restore(null, {})
  await useCueStore().persist()
}

/** Makes another trained model active: its dataset selection and options come back on screen. */
export async function activateModel(modelId: string): Promise<void> {
  const model = useModelStore()
  const datasets = useDatasetsStore()
  const cue = useCueStore()
  await model.activate(modelId)
  const m = model.active
  if (!m) return
  model.adoptSpec(m)
  await datasets.select(m.dataset.builtin, { selection: m.patternIndices, threshold: m.dataset.threshold ?? 0.5 })
  await model.loadStored(m)
  // The cue carries over when it still fits the model (same size, source still a stored pattern).
  const fits = !!cue.state && cue.state.length === m.units && cue.source < model.storedPatterns.length
  if (!fits) {
    cue.restore(null, {})
    await cue.persist()
  }
}

async function persistUi(sessionId: string): Promise<void> {
  const session = useSessionStore()
  if (!session.state || session.state.id !== sessionId || restoring) return
  const snap = snapshot()
  const json = JSON.stringify(snap)
  if (json === lastPersisted) return
  lastPersisted = json
  await session.updateUi({ [UI_KEY]: snap })
}

let timer: ReturnType<typeof setTimeout> | null = null

/** Persists pending UI settings now (before a save). */
export async function flushUi(): Promise<void> {
  if (timer) clearTimeout(timer)
  timer = null
  const id = useSessionStore().id
  if (id) await persistUi(id)
}

function watchUi(): void {
  watch(
    () => JSON.stringify(snapshot()),
    () => {
      if (restoring) return
      const id = useSessionStore().id
      if (!id) return
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => {
        timer = null
        void persistUi(id).catch((error) => useErrorsStore().push(error, 'saving UI settings'))
      }, PERSIST_DELAY_MS)
    }
  )
}

function routeEvents(): void {
  const api = getApi()
  const jobs = useJobsStore()
  const session = useSessionStore()
  const errors = useErrorsStore()
  api.on('job.progress', (p) => {
    jobs.onProgress(p)
    if (p.sessionId === session.id) jobRoute(p.kind)?.progress?.(p)
  })
  api.on('job.done', (p) => {
    jobs.onDone(p)
    if (p.sessionId !== session.id) return
    const r = p.result
    // Samples are not kept in the session (the backend leaves it untouched too).
    if (r.kind !== 'rbm.sample') session.markDirty()
    // A batch of trainings (models.trainBatch, from the API or another window): its models are in the session now.
    if (r.kind === 'batch.train') void session.reload()
    jobRoute(r.kind)?.done?.(p.jobId, r)
  })
  api.on('job.failed', (p) => {
    jobs.onFailed(p)
    if (!p.cancelled && p.sessionId === session.id) {
      const kind = jobs.get(p.jobId)?.kind ?? 'job'
      errors.push({ code: 'failed', message: `${kind} job failed: ${p.error}` })
    }
  })
}

/** What watchDatasets listens on: the window (focus) and the document (visibility). */
export interface FocusSource {
  addEventListener(type: 'focus' | 'visibilitychange', listener: () => void): void
}

/**
 * A dataset imported elsewhere (`engram import`, another window) appears when this window comes back into view:
 * the list is fetched again on focus, at most once every `minGapMs`.
 */
export function watchDatasets(win: FocusSource | null = typeof window === 'undefined' ? null : window, doc: (FocusSource & { visibilityState?: string }) | null = typeof document === 'undefined' ? null : document, minGapMs = 1500): () => Promise<void> {
  let last = 0
  const refresh = async (): Promise<void> => {
    if (Date.now() - last < minGapMs) return
    last = Date.now()
    await useErrorsStore().guard('datasets.list', () => useDatasetsStore().loadList())
  }
  win?.addEventListener('focus', () => void refresh())
  doc?.addEventListener('visibilitychange', () => {
    if (doc.visibilityState !== 'hidden') void refresh()
  })
  return refresh
}

/** After a reconnect, results that finished while we were away are reloaded from the session. */
function watchReconnect(): void {
  const app = useAppStore()
  let wasDown = false
  watch(
    () => app.connection.status,
    async (status) => {
      if (status !== 'open') {
        wasDown = true
        return
      }
      if (!wasDown) return
      wasDown = false
      const session = useSessionStore()
      const jobs = useJobsStore()
      const waiting = jobs.running.filter((j) => j.sessionId === session.id)
      if (!session.id || waiting.length === 0) return
      try {
        // Jobs the backend still runs (it stayed up; only the connection dropped) go on; the others are lost.
        const alive = await resumeJobs(session.id)
        const lost = waiting.filter((j) => !alive.has(j.id))
        if (lost.length === 0) return
        const state = await getApi().call('sessions.open', { id: session.id })
        session.state = state
        for (const j of lost) jobs.onFailed({ jobId: j.id, sessionId: j.sessionId, error: 'connection lost while running', cancelled: false })
        const lastRecall = keptResult(state, 'recall.async')
        const lastBatch = keptResult(state, 'recall.batch')
        if (lastRecall) useRecallStore().setResult(lastRecall.result, 'end')
        if (lastBatch) useBatchStore().setResult(lastBatch.result)
      } catch (error) {
        useErrorsStore().push(error, 'reloading the session after reconnecting')
      }
    }
  )
}

/** Starts the workbench: identity, datasets, saved sessions, event routing. */
export async function boot(): Promise<void> {
  if (booted) return
  booted = true
  const app = useAppStore()
  const datasets = useDatasetsStore()
  const session = useSessionStore()
  const errors = useErrorsStore()
  app.watchConnection()
  routeEvents()
  watchUi()
  watchReconnect()
  watchPage()
  watchDatasets()
  await Promise.all([
    errors.guard('app.info', () => app.loadInfo()),
    errors.guard('sessions.list', () => session.refreshList()),
    errors.guard('datasets.list', async () => {
      const list = await datasets.loadList()
      const first = list.find((d) => d.id === 'letters') ?? list[0]
      if (first && !datasets.currentId) await datasets.select(first.id)
    })
  ])
  const linked = linkedSession()
  if (linked && !session.state) {
    await errors.guard('sessions.open', () => openSession(linked))
    if (!session.state) linkSession(null)
  }
}
