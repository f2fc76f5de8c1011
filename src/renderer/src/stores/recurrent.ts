// The recurrent page (issue 9): the texts (shipped corpus, imported .txt), the char-LM form and its training job (live
// loss, perplexity and the latest sample; cancel keeps a partial model), the session's trained models, generation from
// a prompt (its last result kept in the session), export.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { Events, RunningJob, TextSummary } from '../../../shared/api'
import type { RecurrentGenerateResult, RecurrentInfo, RecurrentPoint, RecurrentPredictResult } from '../../../shared/families/recurrent'
import { keptResult, modelsOf } from '../../../shared/session'
import { getApi } from '../api'
import { exportModelFile, type ModelExport } from '../lib/model-export'
import { applyTemplate, taskCsv, withTaskCsv, buildGenerate, buildPredict, buildRecurrentTrain, continueForm, type TemplateId, defaultRecurrentUi, pointFromMetrics, readRecurrentUi, totalSteps, type RecurrentUi } from '../lib/recurrent'
import { useJobsStore } from './jobs'
import { useSessionStore } from './session'

export type RecurrentExport = ModelExport

/** A File's bytes as base64 (chunked: String.fromCharCode takes a bounded argument list). */
async function fileBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

export const useRecurrentStore = defineStore('recurrent', () => {
  const session = useSessionStore()
  const jobs = useJobsStore()
  const d = defaultRecurrentUi()

  const form = ref(d.form)
  const generateForm = ref(d.generate)
  const selectedId = ref<string | null>(null)
  const texts = ref<TextSummary[]>([])
  const trainJobId = ref<string | null>(null)
  /** Steps planned by the running training (the chart's x extent). */
  const plannedSteps = ref(d.form.steps)
  /** Live points and the latest sample of recurrent.train jobs, by job id (progress may come before models.train answers). */
  const live = shallowRef<Record<string, { points: RecurrentPoint[]; sample: string }>>({})
  const busy = ref<null | 'import' | 'generate' | 'predict' | 'export'>(null)
  /** The predict box: characters to classify, or numbers (a forecast window, adding pairs). */
  const predictText = ref('')
  const lastExport = ref<RecurrentExport | null>(null)

  const models = computed<RecurrentInfo[]>(() => (session.state ? modelsOf(session.state, 'recurrent') : []))
  const selected = computed(() => models.value.find((m) => m.id === selectedId.value) ?? null)
  const built = computed(() => buildRecurrentTrain(form.value))
  const builtGenerate = computed(() => (selected.value ? buildGenerate(generateForm.value, selected.value.vocab) : null))
  const builtPredict = computed(() => (selected.value?.spec.task ? buildPredict(predictText.value, selected.value) : null))
  /** The last predict run, when it belongs to the model shown. */
  const predicted = computed<RecurrentPredictResult | null>(() => {
    const r = session.state ? keptResult(session.state, 'recurrent.predict')?.result : null
    return r && r.modelId === selectedId.value ? r : null
  })
  const trainJob = computed(() => jobs.get(trainJobId.value))
  const training = computed(() => trainJob.value?.status === 'running' || trainJob.value?.status === 'starting')
  const liveRun = computed(() => (trainJobId.value ? (live.value[trainJobId.value] ?? { points: [], sample: '' }) : null))
  /** What the chart and the sample show: the running training, else the selected model's history and last sample. */
  const view = computed<{ live: boolean; points: readonly RecurrentPoint[]; steps: number; sample: string } | null>(() => {
    if (training.value && liveRun.value) return { live: true, points: liveRun.value.points, steps: plannedSteps.value, sample: liveRun.value.sample }
    const m = selected.value
    return m ? { live: false, points: m.history, steps: totalSteps(m), sample: m.sample } : null
  })
  /** The last generation, when it belongs to the model shown. */
  const generated = computed<RecurrentGenerateResult | null>(() => {
    const r = session.state ? keptResult(session.state, 'recurrent.generate')?.result : null
    return r && r.modelId === selectedId.value ? r : null
  })

  async function loadTexts(): Promise<TextSummary[]> {
    texts.value = await getApi().call('texts.list', {})
    return texts.value
  }

  /** Switches the form to a template (a CSV one takes the CSV task's file, or the first imported text). */
  function setTemplate(id: TemplateId): void {
    const current = taskCsv(form.value.task)
    form.value = applyTemplate(form.value, id, current || (texts.value.find((x) => x.id.startsWith('user-text:'))?.id ?? ''))
  }

  /** Imports a .txt or .csv file: the char-LM's text, or a CSV task's file. */
  async function importText(file: File): Promise<TextSummary> {
    busy.value = 'import'
    try {
      const name = file.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64) || 'text'
      const summary = await getApi().call('texts.import', { name, content: await fileBase64(file) })
      await loadTexts()
      const t = form.value.task
      form.value = t ? { ...form.value, task: withTaskCsv(t, summary.id) } : { ...form.value, textId: summary.id }
      return summary
    } finally {
      busy.value = null
    }
  }

  async function train(): Promise<string> {
    const s = session.state
    if (!s) throw new Error('no session is open')
    const b = built.value
    if (b.error !== undefined) throw new Error(`${b.field}: ${b.error}`)
    const from = models.value.find((x) => x.id === b.params.model.continueFrom)
    plannedSteps.value = b.params.model.steps + (from?.stepsDone ?? 0)
    const id = await jobs.startTrain(s.id, b.params)
    trainJobId.value = id
    return id
  }

  async function cancelTraining(): Promise<boolean> {
    return trainJobId.value ? jobs.cancel(trainJobId.value) : false
  }

  function onProgress(p: Events['job.progress']): void {
    if (p.kind !== 'recurrent.train' || p.sessionId !== session.id) return
    const point = pointFromMetrics(p.metrics)
    const prev = live.value[p.jobId] ?? { points: [], sample: '' }
    live.value = { ...live.value, [p.jobId]: { points: point ? [...prev.points, point] : prev.points, sample: p.text ?? prev.sample } }
  }

  /** A training found running after a reload: its chart from every report so far. */
  function adoptTraining(j: RunningJob): void {
    if (!('model' in j.spec) || j.spec.model.kind !== 'recurrent') return
    const from = models.value.find((x) => x.id === (j.spec as { model: { continueFrom?: string } }).model.continueFrom)
    plannedSteps.value = j.spec.model.steps + (from?.stepsDone ?? 0)
    const points = j.metrics.map(pointFromMetrics).filter((p): p is RecurrentPoint => p !== null)
    live.value = { ...live.value, [j.jobId]: { points, sample: j.text ?? '' } }
    trainJobId.value = j.jobId
  }

  /** A finished training (complete, cancelled or stopped): the backend appended it to the session; so do we, and show it. */
  function onTrainDone(jobId: string, info: RecurrentInfo): void {
    session.addModel(info)
    // A continuation done: Train again goes on from where it ended, not from the model it started from.
    if (info.continuedFrom && form.value.continueFrom === info.continuedFrom.id) form.value = { ...form.value, continueFrom: info.id }
    if (jobId === trainJobId.value || !selected.value) select(info.id)
  }

  /** Sets the form to continue the model shown (its architecture and seed; the form's steps and rate). */
  function continueTraining(id: string): void {
    const m = models.value.find((x) => x.id === id)
    if (m) form.value = continueForm(form.value, m)
  }

  /** Back to training a new model from scratch. */
  function startFresh(): void {
    const { continueFrom: _c, ...rest } = form.value
    form.value = rest
  }

  function select(id: string | null): void {
    selectedId.value = id
  }

  /** Runs a request on the model shown and keeps its result in the session (generate, predict). */
  async function runKept<K extends 'recurrent.generate' | 'recurrent.predict'>(kind: K, b: { params?: Parameters<typeof jobs.startRun>[2]; error?: string; field?: string } | null) {
    const s = session.state
    const m = selected.value
    if (!s || !m) throw new Error('train a model first')
    if (!b || b.error !== undefined || !b.params) throw new Error(`${b?.field ?? 'input'}: ${b?.error ?? 'no model'}`)
    busy.value = kind === 'recurrent.generate' ? 'generate' : 'predict'
    try {
      const jobId = await jobs.startRun(s.id, m.id, b.params)
      const done = await jobs.wait(jobId)
      if (done.kind !== kind) throw new Error(`${kind}: a ${done.kind} result came back`)
      if (session.state?.id === s.id) session.keepResult(done)
      session.markDirty()
      return (done as Extract<typeof done, { kind: K }>).result
    } finally {
      busy.value = null
    }
  }

  const generate = async (): Promise<RecurrentGenerateResult> => (await runKept('recurrent.generate', builtGenerate.value)) as RecurrentGenerateResult
  const predict = async (): Promise<RecurrentPredictResult> => (await runKept('recurrent.predict', builtPredict.value)) as RecurrentPredictResult

  async function exportModel(format: 'onnx' | 'safetensors'): Promise<RecurrentExport> {
    busy.value = 'export'
    try {
      lastExport.value = await exportModelFile(session.state?.id, selected.value?.id, format, 'train a model first')
      return lastExport.value
    } finally {
      busy.value = null
    }
  }

  function snapshot(): RecurrentUi {
    return { form: { ...form.value }, generate: { ...generateForm.value }, selectedId: selectedId.value }
  }

  /** Puts a session's saved page state back; the model of the last generation (or the newest) is shown. */
  function restore(raw: unknown): void {
    const ui = readRecurrentUi(raw)
    form.value = ui.form
    generateForm.value = ui.generate
    lastExport.value = null
    trainJobId.value = null
    const ids = new Set(models.value.map((m) => m.id))
    const last = session.state ? (keptResult(session.state, 'recurrent.generate')?.result ?? null) : null
    selectedId.value = (ui.selectedId && ids.has(ui.selectedId) ? ui.selectedId : null) ?? (last && ids.has(last.modelId) ? last.modelId : null) ?? models.value[models.value.length - 1]?.id ?? null
  }

  return {
    form,
    generateForm,
    selectedId,
    texts,
    trainJobId,
    plannedSteps,
    live,
    busy,
    lastExport,
    models,
    selected,
    built,
    builtGenerate,
    builtPredict,
    predictText,
    predicted,
    training,
    view,
    generated,
    loadTexts,
    importText,
    train,
    cancelTraining,
    onProgress,
    adoptTraining,
    onTrainDone,
    select,
    continueTraining,
    startFresh,
    generate,
    predict,
    setTemplate,
    exportModel,
    snapshot,
    restore
  }
})
