// The RBM page: the training form and its job (progress, live metrics per epoch, cancel), the
// session's trained RBMs and the one shown (history, receptive fields), Gibbs samples, and export.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { Events, JobResult, Result, RunningJob } from '../../../shared/api'
import type { RbmInfo } from '../../../shared/session'
import type { DatasetRef, RbmModelSpec } from '../../../shared/spec'
import { getApi } from '../api'
import { isObject } from '../lib/ui-record'
import {
  buildContinueJob,
  buildSampleJob,
  buildTrainJob,
  defaultRbmForm,
  defaultSampleForm,
  epochFromMetrics,
  mergeEpoch,
  readRbmForm,
  readSampleForm,
  trainPlan,
  type EpochPoint,
  type RbmForm,
  type SampleForm,
  type TrainJob
} from '../lib/rbm-spec'
import { useDatasetsStore } from './datasets'
import { useErrorsStore } from './errors'
import { useJobsStore } from './jobs'
import { useSessionStore } from './session'

/** Receptive fields fetched (and drawn) at a time. */
export const FILTER_PAGE = 100

export type SampleResult = Extract<JobResult, { kind: 'rbm.sample' }>
export type FiltersResult = Extract<Result<'models.view'>, { kind: 'rbm.filters' }> & { modelId: string }
import type { ExportFormat } from './model'
export type { ExportFormat }
export type ExportResult = Result<'models.export'>

/** What the page keeps in the session's ui record (read back field by field). */
export interface RbmUi {
  form: RbmForm
  sample: SampleForm
  selectedId: string | null
  filterOffset: number
}

/** The training started here (or adopted after a reload): what the live charts and the model card show. */
export interface TrainingSpec {
  epochs: number
  gaussian: boolean
  labels: boolean
  model: RbmModelSpec
  dataset: DatasetRef
  seed: number
}

/** What the charts show: the running training's epochs as they come, or a trained RBM's history. */
export interface HistoryView {
  live: boolean
  points: readonly EpochPoint[]
  /** Epochs planned (the x axis's extent). */
  epochs: number
  gaussian: boolean
  /** A classification RBM: its epochs carry accuracies. */
  labels: boolean
}

export const useRbmStore = defineStore('rbm', () => {
  const session = useSessionStore()
  const jobs = useJobsStore()
  const datasets = useDatasetsStore()

  const form = ref<RbmForm>(defaultRbmForm())
  const sampleForm = ref<SampleForm>(defaultSampleForm())
  const trainJobId = ref<string | null>(null)
  /** The RBM the training started here produced (to tell a complete run from a cancelled, partial one). */
  const trainedId = ref<string | null>(null)
  const sampleJobId = ref<string | null>(null)
  const selectedId = ref<string | null>(null)
  /** The charts follow the training started here until it ends or another RBM is picked. */
  const following = ref(false)
  /** Spec of the training started here (its planned epochs and unit type, for the live charts). */
  const trainingSpec = shallowRef<TrainingSpec | null>(null)
  /** Live epoch rows of rbm.train jobs, by job id (progress may come before jobs.start answers). */
  const live = shallowRef<Record<string, EpochPoint[]>>({})
  const filters = shallowRef<FiltersResult | null>(null)
  const filterOffset = ref(0)
  const filtersLoading = ref(false)
  /** The last samples drawn per RBM (not kept in the session: they are cheap to draw again). */
  const samples = shallowRef<Record<string, SampleResult>>({})
  const lastExport = ref<(ExportResult & { format: ExportFormat; modelId: string }) | null>(null)
  const exporting = ref<ExportFormat | null>(null)
  let lastDone: { jobId: string; modelId: string } | null = null

  const rbms = computed<RbmInfo[]>(() => session.rbms)
  const selected = computed(() => rbms.value.find((r) => r.id === selectedId.value) ?? null)
  const trained = computed(() => rbms.value.find((r) => r.id === trainedId.value) ?? null)
  const trainJob = computed(() => jobs.get(trainJobId.value))
  const training = computed(() => trainJob.value?.status === 'running' || trainJob.value?.status === 'starting')
  const sampleJob = computed(() => jobs.forModel(sampleJobId.value, shown.value?.id))
  const sampling = computed(() => sampleJob.value?.status === 'running' || sampleJob.value?.status === 'starting')
  const dataset = computed(() => datasets.list.find((d) => d.id === form.value.datasetId) ?? null)
  const built = computed(() => buildTrainJob(form.value, datasets.list))
  const plan = computed(() => trainPlan(form.value, dataset.value))
  const builtSample = computed(() => buildSampleJob(sampleForm.value, shown.value?.id ?? null))
  const livePoints = computed<EpochPoint[]>(() => (trainJobId.value ? (live.value[trainJobId.value] ?? []) : []))
  const showingLive = computed(() => following.value && training.value)
  /**
   * The RBM whose card, receptive fields and samples are shown: none of the saved ones while the charts follow a
   * training (its RBM does not exist until it ends; the card shows the training's spec instead).
   */
  const shown = computed(() => (showingLive.value ? null : selected.value))

  const view = computed<HistoryView | null>(() => {
    if (showingLive.value) {
      return {
        live: true,
        points: livePoints.value,
        epochs: trainingSpec.value?.epochs ?? form.value.epochs,
        gaussian: trainingSpec.value?.gaussian ?? false,
        labels: trainingSpec.value?.labels ?? false
      }
    }
    const m = selected.value
    if (!m) return null
    const last = m.history[m.history.length - 1]?.epoch ?? 1
    return { live: false, points: m.history, epochs: last, gaussian: m.spec.visibleUnits === 'gaussian', labels: (m.labelUnits ?? 0) > 0 }
  })
  const shownSamples = computed(() => (shown.value ? (samples.value[shown.value.id] ?? null) : null))
  const shownFilters = computed(() => (filters.value && filters.value.modelId === shown.value?.id ? filters.value : null))

  function setDataset(id: RbmForm['datasetId']): void {
    form.value.datasetId = id
    const count = datasets.list.find((d) => d.id === id)?.count
    if (count !== undefined && form.value.count > count) form.value.count = count
  }

  async function train(): Promise<string> {
    const b = built.value
    if (b.error !== undefined) throw new Error(`${b.field}: ${b.error}`)
    return start(b.spec, [])
  }

  /** Continues an RBM of the session by `addEpochs` epochs (its dataset, seed and settings: spec.continueFrom). */
  async function continueTraining(id: string, addEpochs: number): Promise<string> {
    const m = rbms.value.find((r) => r.id === id)
    if (!m) throw new Error(`no RBM '${id}' in this session`)
    const b = buildContinueJob(m, addEpochs)
    if (b.error !== undefined) throw new Error(`${b.field}: ${b.error}`)
    return start(b.spec, m.history)
  }

  /** Starts an rbm.train job; the live charts follow it from `before` (a continued model's epochs so far). */
  async function start(spec: TrainJob, before: readonly EpochPoint[]): Promise<string> {
    const s = session.state
    if (!s) throw new Error('no session is open')
    const model = spec.model as RbmModelSpec
    trainingSpec.value = { epochs: model.epochs, gaussian: model.visibleUnits === 'gaussian', labels: model.labels === true, model, dataset: spec.dataset as DatasetRef, seed: spec.seed ?? 0 }
    following.value = true
    trainedId.value = null
    const { kind: _kind, ...request } = spec
    const id = await jobs.startTrain(s.id, request)
    trainJobId.value = id
    if (before.length) {
      let points = [...before]
      for (const p of live.value[id] ?? []) points = mergeEpoch(points, p)
      live.value = { ...live.value, [id]: points }
    }
    if (lastDone?.jobId === id) {
      trainedId.value = lastDone.modelId
      select(lastDone.modelId)
    }
    return id
  }

  /** A training found running in the backend after a reload: its live charts from every epoch so far. */
  function adoptTraining(j: RunningJob): void {
    if (!('model' in j.spec) || j.spec.kind !== 'rbm.train') return
    const m = j.spec.model
    trainingSpec.value = { epochs: m.epochs, gaussian: m.visibleUnits === 'gaussian', labels: m.labels === true, model: m, dataset: j.spec.dataset, seed: j.spec.seed }
    let points: EpochPoint[] = []
    for (const metrics of j.metrics) {
      const point = epochFromMetrics(metrics)
      if (point) points = mergeEpoch(points, point)
    }
    live.value = { ...live.value, [j.jobId]: points }
    trainJobId.value = j.jobId
    trainedId.value = null
    following.value = true
  }

  async function cancelTraining(): Promise<boolean> {
    if (!trainJobId.value) return false
    return jobs.cancel(trainJobId.value)
  }

  function onProgress(p: Events['job.progress']): void {
    if (p.kind !== 'rbm.train' || p.sessionId !== session.id) return
    const point = epochFromMetrics(p.metrics)
    if (!point) return
    live.value = { ...live.value, [p.jobId]: mergeEpoch(live.value[p.jobId] ?? [], point) }
  }

  /** A finished training (complete or cancelled after an epoch): the backend appended it to the session; so do we, and show it. */
  function onTrainDone(jobId: string, info: RbmInfo): void {
    session.addModel(info)
    lastDone = { jobId, modelId: info.id }
    if (jobId === trainJobId.value) trainedId.value = info.id
    if (jobId === trainJobId.value || !selected.value) {
      following.value = false
      select(info.id)
    }
  }

  function select(id: string | null): void {
    following.value = false
    if (id !== selectedId.value) filterOffset.value = 0
    selectedId.value = id
  }

  /** Back to the running training's live charts. */
  function follow(): void {
    if (training.value) following.value = true
  }

  async function loadFilters(offset = filterOffset.value): Promise<FiltersResult | null> {
    const s = session.state
    const m = selected.value
    if (!s || !m) {
      filters.value = null
      return null
    }
    filtersLoading.value = true
    try {
      const start = Math.max(0, Math.min(offset, Math.max(0, m.hidden - 1)))
      const got = await getApi().call('models.view', { sessionId: s.id, modelId: m.id, view: { kind: 'rbm.filters', offset: start, limit: FILTER_PAGE } })
      if (got.kind !== 'rbm.filters') throw new Error(`models.view: a ${got.kind} view came back`)
      // Another RBM (or session) picked meanwhile: its own request draws.
      if (selected.value?.id !== m.id || session.id !== s.id) return null
      filterOffset.value = got.offset
      filters.value = { ...got, modelId: m.id }
      return filters.value
    } finally {
      filtersLoading.value = false
    }
  }

  function pageFilters(delta: number): Promise<FiltersResult | null> {
    const m = selected.value
    if (!m) return Promise.resolve(null)
    const next = Math.max(0, Math.min(filterOffset.value + delta * FILTER_PAGE, Math.floor((m.hidden - 1) / FILTER_PAGE) * FILTER_PAGE))
    return loadFilters(next)
  }

  // Filters follow the RBM shown, however it changed (trained, picked, session opened).
  watch(
    () => [session.id, selectedId.value] as const,
    () => {
      void loadFilters().catch((error) => useErrorsStore().push(error, 'receptive fields'))
    }
  )

  async function sample(): Promise<string> {
    const s = session.state
    if (!s) throw new Error('no session is open')
    const b = builtSample.value
    if (b.error !== undefined) throw new Error(`${b.field}: ${b.error}`)
    const id = await jobs.startRun(s.id, shown.value!.id, b.spec)
    sampleJobId.value = id
    return id
  }

  async function cancelSampling(): Promise<boolean> {
    if (!sampleJobId.value) return false
    return jobs.cancel(sampleJobId.value)
  }

  function onSampleDone(result: SampleResult): void {
    samples.value = { ...samples.value, [result.modelId]: result }
  }

  /** Asks the backend for the selected RBM's file; returns it (the caller triggers the browser download). */
  async function exportModel(format: ExportFormat): Promise<ExportResult> {
    const s = session.state
    const m = selected.value
    if (!s || !m) throw new Error('train an RBM first')
    exporting.value = format
    try {
      const out = await getApi().call('models.export', { sessionId: s.id, modelId: m.id, format })
      lastExport.value = { ...out, format, modelId: m.id }
      return out
    } finally {
      exporting.value = null
    }
  }

  function snapshot(): RbmUi {
    return { form: { ...form.value }, sample: { ...sampleForm.value }, selectedId: selectedId.value, filterOffset: filterOffset.value }
  }

  /** Puts a session's saved page state back (or defaults); the newest RBM is shown when none was. */
  function restore(raw: unknown): void {
    const ui = isObject(raw) ? raw : {}
    form.value = readRbmForm(ui.form)
    sampleForm.value = readSampleForm(ui.sample)
    const ids = new Set(rbms.value.map((r) => r.id))
    const saved = typeof ui.selectedId === 'string' && ids.has(ui.selectedId) ? ui.selectedId : null
    const next = saved ?? rbms.value[rbms.value.length - 1]?.id ?? null
    const hidden = rbms.value.find((r) => r.id === next)?.hidden ?? 0
    const offset = typeof ui.filterOffset === 'number' && Number.isInteger(ui.filterOffset) && ui.filterOffset >= 0 && ui.filterOffset < hidden ? ui.filterOffset : 0
    selectedId.value = next
    filterOffset.value = offset
    following.value = false
    trainJobId.value = null
    trainedId.value = null
    sampleJobId.value = null
    trainingSpec.value = null
    lastExport.value = null
  }

  return {
    form,
    sampleForm,
    trainJobId,
    trainedId,
    sampleJobId,
    selectedId,
    following,
    live,
    filters,
    filterOffset,
    filtersLoading,
    samples,
    lastExport,
    exporting,
    rbms,
    selected,
    shown,
    trainingSpec,
    trained,
    trainJob,
    training,
    sampleJob,
    sampling,
    dataset,
    built,
    plan,
    builtSample,
    livePoints,
    showingLive,
    view,
    shownSamples,
    shownFilters,
    setDataset,
    train,
    continueTraining,
    cancelTraining,
    adoptTraining,
    onProgress,
    onTrainDone,
    select,
    follow,
    loadFilters,
    pageFilters,
    sample,
    cancelSampling,
    onSampleDone,
    exportModel,
    snapshot,
    restore
  }
})
