// The Hopfield layer page: the form and its training job (live loss, held-out accuracy beside the linear baseline, and
// the stored patterns as they are learned; cancel keeps a partial model), the session's trained layers, the attention
// of one held-out input over the stored patterns (models.view), export.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { Events, RunningJob } from '../../../shared/api'
import { asView } from '../../../shared/families'
import {
  decodeStoredSnapshot,
  hopfieldLayerClasses,
  poolingBags,
  type HopfieldLayerAttendResult,
  type HopfieldLayerBagResult,
  type HopfieldLayerInfo,
  type HopfieldLayerModelSpec,
  type HopfieldLayerPoint,
  type StoredSnapshot
} from '../../../shared/families/hopfield-layer'
import { modelsOf } from '../../../shared/session'
import { getApi } from '../api'
import { buildHopfieldLayerTrain, defaultHopfieldLayerUi, pointFromMetrics, readHopfieldLayerUi, type HopfieldLayerUi } from '../lib/hopfield-layer'
import { exportModelFile, type ModelExport } from '../lib/model-export'
import { useJobsStore } from './jobs'
import { useSessionStore } from './session'

interface LiveRun {
  points: HopfieldLayerPoint[]
  stored: StoredSnapshot | null
}

export const useHopfieldLayerStore = defineStore('hopfield-layer', () => {
  const session = useSessionStore()
  const jobs = useJobsStore()
  const d = defaultHopfieldLayerUi()

  const form = ref(d.form)
  const selectedId = ref<string | null>(null)
  const index = ref(d.index)
  const trainJobId = ref<string | null>(null)
  /** What the running training plans (the chart's x extent, the pictures' size). */
  const planned = ref({ epochs: d.form.epochs, classes: d.form.classes, width: d.form.width, height: d.form.height, pooling: false })
  /** Live points and stored patterns of hopfield-layer.train jobs, by job id. */
  const live = shallowRef<Record<string, LiveRun>>({})
  const attend = shallowRef<HopfieldLayerAttendResult | null>(null)
  /** A pooling layer's view: one held-out bag's instances and the query's attention over them. */
  const bag = shallowRef<HopfieldLayerBagResult | null>(null)
  const busy = ref<null | 'attend' | 'export'>(null)
  const lastExport = ref<ModelExport | null>(null)

  const models = computed<HopfieldLayerInfo[]>(() => (session.state ? modelsOf(session.state, 'hopfield-layer') : []))
  const selected = computed(() => models.value.find((m) => m.id === selectedId.value) ?? null)
  const built = computed(() => buildHopfieldLayerTrain(form.value))
  const trainJob = computed(() => jobs.get(trainJobId.value))
  const training = computed(() => trainJob.value?.status === 'running' || trainJob.value?.status === 'starting')
  const liveRun = computed(() => (trainJobId.value ? (live.value[trainJobId.value] ?? { points: [], stored: null }) : null))
  /** What the chart shows: the running training, else the selected model's history. */
  const view = computed<{ live: boolean; points: readonly HopfieldLayerPoint[]; epochs: number; classes: number; pooling: boolean } | null>(() => {
    if (training.value && liveRun.value) return { live: true, points: liveRun.value.points, epochs: planned.value.epochs, classes: planned.value.classes, pooling: planned.value.pooling }
    const m = selected.value
    return m ? { live: false, points: m.history, epochs: m.spec.epochs, classes: hopfieldLayerClasses(m.spec), pooling: m.spec.mode === 'pooling' } : null
  })
  /** The stored patterns and what they match in pixel space: live (4-bit snapshots) while training, else the selected model's (from the view). */
  const stored = computed<{ live: boolean; epoch: number; count: number; stored: ArrayLike<number>; matched: ArrayLike<number>; width: number; height: number } | null>(() => {
    const snap = training.value ? liveRun.value?.stored : null
    if (snap) return { live: true, epoch: snap.epoch, count: snap.count, stored: snap.stored, matched: snap.matched, width: planned.value.width, height: planned.value.height }
    const m = selected.value
    const a = attend.value
    if (!m || !a || a.modelId !== m.id || m.spec.mode !== 'lookup') return null
    return { live: false, epoch: m.epochsDone, count: m.spec.storedPatterns, stored: a.storedPatterns, matched: a.matchedPatterns, width: m.spec.task.width, height: m.spec.task.height }
  })

  async function train(): Promise<string> {
    const s = session.state
    if (!s) throw new Error('no session is open')
    const b = built.value
    if (b.error !== undefined) throw new Error(`${b.field}: ${b.error}`)
    plan(b.params.model)
    const id = await jobs.startTrain(s.id, b.params)
    trainJobId.value = id
    return id
  }

  function plan(m: HopfieldLayerModelSpec): void {
    planned.value = { epochs: m.epochs, classes: hopfieldLayerClasses(m), width: m.task.width, height: m.task.height, pooling: m.mode === 'pooling' }
  }

  /** Held-out samples (lookup) or bags (pooling) of a model's task. */
  const heldOut = (m: HopfieldLayerInfo | null): number => (m ? (m.spec.mode === 'pooling' ? poolingBags(m.spec).test : m.spec.task.test) : 1)

  async function cancelTraining(): Promise<boolean> {
    return trainJobId.value ? jobs.cancel(trainJobId.value) : false
  }

  function onProgress(p: Events['job.progress']): void {
    if (p.kind !== 'hopfield-layer.train' || p.sessionId !== session.id) return
    const point = pointFromMetrics(p.metrics)
    const prev = live.value[p.jobId] ?? { points: [], stored: null }
    live.value = { ...live.value, [p.jobId]: { points: point ? [...prev.points, point] : prev.points, stored: decodeStoredSnapshot(p.text) ?? prev.stored } }
  }

  /** A training found running after a reload: its chart from every report so far. */
  function adoptTraining(j: RunningJob): void {
    if (!('model' in j.spec) || j.spec.model.kind !== 'hopfield-layer') return
    plan(j.spec.model)
    const points = j.metrics.map(pointFromMetrics).filter((p): p is HopfieldLayerPoint => p !== null)
    live.value = { ...live.value, [j.jobId]: { points, stored: decodeStoredSnapshot(j.text) } }
    trainJobId.value = j.jobId
  }

  /** A finished training: the backend appended it to the session; so do we, and show it. */
  function onTrainDone(jobId: string, info: HopfieldLayerInfo): void {
    session.addModel(info)
    if (jobId === trainJobId.value || !selected.value) void select(info.id)
  }

  /** Shows a model and the attention of the chosen held-out input. */
  async function select(id: string | null): Promise<void> {
    selectedId.value = id
    if (id) await look(Math.min(index.value, heldOut(selected.value) - 1))
  }

  /** The attention of held-out sample `i` over the selected model's stored patterns (lookup), or over held-out bag `i`'s instances (pooling). */
  async function look(i: number): Promise<HopfieldLayerAttendResult | HopfieldLayerBagResult | null> {
    const s = session.state
    const m = selected.value
    if (!s || !m) return null
    index.value = i
    busy.value = 'attend'
    try {
      if (m.spec.mode === 'pooling') {
        bag.value = asView(await getApi().call('models.view', { sessionId: s.id, modelId: m.id, view: { kind: 'hopfield-layer.bag', index: i } }), 'hopfield-layer.bag').result
        return bag.value
      }
      attend.value = asView(await getApi().call('models.view', { sessionId: s.id, modelId: m.id, view: { kind: 'hopfield-layer.attend', index: i } }), 'hopfield-layer.attend').result
      return attend.value
    } finally {
      busy.value = null
    }
  }

  async function exportModel(format: 'onnx' | 'safetensors'): Promise<ModelExport> {
    busy.value = 'export'
    try {
      lastExport.value = await exportModelFile(session.state?.id, selected.value?.id, format, 'train a layer first')
      return lastExport.value
    } finally {
      busy.value = null
    }
  }

  function snapshot(): HopfieldLayerUi {
    return { form: { ...form.value }, selectedId: selectedId.value, index: index.value }
  }

  /** Puts a session's saved page state back; its model (or the newest) is shown. */
  function restore(raw: unknown): void {
    const ui = readHopfieldLayerUi(raw)
    form.value = ui.form
    index.value = ui.index
    lastExport.value = null
    trainJobId.value = null
    attend.value = null
    bag.value = null
    const ids = new Set(models.value.map((m) => m.id))
    selectedId.value = (ui.selectedId && ids.has(ui.selectedId) ? ui.selectedId : null) ?? models.value[models.value.length - 1]?.id ?? null
  }

  return {
    form,
    selectedId,
    index,
    trainJobId,
    planned,
    live,
    attend,
    bag,
    heldOut,
    busy,
    lastExport,
    models,
    selected,
    built,
    training,
    view,
    stored,
    train,
    cancelTraining,
    onProgress,
    adoptTraining,
    onTrainDone,
    select,
    look,
    exportModel,
    snapshot,
    restore
  }
})
