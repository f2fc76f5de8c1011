// The modern Hopfield page (004): store patterns (models.train), retrieve from a corrupted stored pattern (a
// modern.retrieve job, its last result kept in the session), replay the steps, export.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ModernInfo, ModernRetrieveResult } from '../../../shared/families/modern'
import { keptResult, modelsOf } from '../../../shared/session'
import { exportModelFile, type ModelExport } from '../lib/model-export'
import { savedAttentionForm } from '../lib/attention'
import { buildModernRetrieve, buildModernTrain, defaultModernUi, readModernUi, type ModernUi } from '../lib/modern'
import { useDatasetsStore } from './datasets'
import { useJobsStore } from './jobs'
import { useSessionStore } from './session'

export type ModernExport = ModelExport

export const useModernStore = defineStore('modern', () => {
  const session = useSessionStore()
  const datasets = useDatasetsStore()
  const d = defaultModernUi()

  const form = ref(d.form)
  const retrieveForm = ref(d.retrieve)
  /** The attention view's form (AttentionView.vue), saved with the session like the other two. */
  const attentionForm = ref(d.attention)
  const selectedId = ref<string | null>(null)
  /** Replay position: 0 is the starting state, t the state after update (sweep) t. */
  const position = ref(0)
  const busy = ref<null | 'train' | 'retrieve' | 'export'>(null)
  const lastExport = ref<ModernExport | null>(null)

  const models = computed<ModernInfo[]>(() => (session.state ? modelsOf(session.state, 'modern') : []))
  const selected = computed(() => models.value.find((m) => m.id === selectedId.value) ?? null)
  const built = computed(() => buildModernTrain(form.value, datasets.list))
  const builtRetrieve = computed(() => (selected.value ? buildModernRetrieve(retrieveForm.value, selected.value) : null))
  /** The last retrieval, when it belongs to the model shown. */
  const result = computed<ModernRetrieveResult | null>(() => {
    const r = session.state ? keptResult(session.state, 'modern.retrieve')?.result : null
    return r && r.modelId === selectedId.value ? r : null
  })

  function select(id: string | null): void {
    if (id === selectedId.value) return
    selectedId.value = id
    position.value = 0
    const m = selected.value
    if (m && retrieveForm.value.pattern >= m.patterns) retrieveForm.value = { ...retrieveForm.value, pattern: 0 }
  }

  async function train(): Promise<ModernInfo> {
    const b = built.value
    if (b.error !== undefined) throw new Error(`${b.field}: ${b.error}`)
    busy.value = 'train'
    try {
      const trained = await session.train(b.params)
      const info = models.value.find((m) => m.id === trained.id)
      if (!info) throw new Error('models.train: the stored model is not in the session')
      select(info.id)
      return info
    } finally {
      busy.value = null
    }
  }

  async function retrieve(): Promise<ModernRetrieveResult> {
    const s = session.state
    const m = selected.value
    if (!s || !m) throw new Error('store patterns first')
    const b = builtRetrieve.value
    if (!b || b.error !== undefined) throw new Error(`${b?.field ?? 'pattern'}: ${b?.error ?? 'no model'}`)
    busy.value = 'retrieve'
    try {
      const jobs = useJobsStore()
      const jobId = await jobs.startRun(s.id, m.id, b.params)
      const done = await jobs.wait(jobId)
      if (done.kind !== 'modern.retrieve') throw new Error(`modern.retrieve: a ${done.kind} result came back`)
      if (session.state?.id === s.id) session.keepResult(done)
      session.markDirty()
      position.value = done.result.steps.length - 1
      return done.result
    } finally {
      busy.value = null
    }
  }

  function seek(t: number): void {
    const n = result.value?.steps.length ?? 1
    position.value = Math.max(0, Math.min(t, n - 1))
  }

  async function exportModel(format: 'onnx' | 'safetensors' | 'npz'): Promise<ModernExport> {
    busy.value = 'export'
    try {
      lastExport.value = await exportModelFile(session.state?.id, selected.value?.id, format, 'store patterns first')
      return lastExport.value
    } finally {
      busy.value = null
    }
  }

  function snapshot(): ModernUi {
    return { form: { ...form.value }, retrieve: { ...retrieveForm.value }, attention: savedAttentionForm(attentionForm.value), selectedId: selectedId.value }
  }

  /** Puts a session's saved page state back; the model of the last retrieval (or the newest) is shown. */
  function restore(raw: unknown): void {
    const ui = readModernUi(raw)
    form.value = ui.form
    retrieveForm.value = ui.retrieve
    attentionForm.value = ui.attention
    lastExport.value = null
    const ids = new Set(models.value.map((m) => m.id))
    const last = session.state ? (keptResult(session.state, 'modern.retrieve')?.result ?? null) : null
    selectedId.value = (ui.selectedId && ids.has(ui.selectedId) ? ui.selectedId : null) ?? (last && ids.has(last.modelId) ? last.modelId : null) ?? models.value[models.value.length - 1]?.id ?? null
    position.value = result.value ? result.value.steps.length - 1 : 0
  }

  return { form, retrieveForm, attentionForm, selectedId, position, busy, lastExport, models, selected, built, builtRetrieve, result, select, train, retrieve, seek, exportModel, snapshot, restore }
})
