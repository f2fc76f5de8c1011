// The experiments page: the sweep form, running it as an experiment job (progress, cancel), the
// session's past experiments, which one is shown and which others are overlaid on its chart.
import type { SweepSpec } from '../../../shared/spec'
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ExperimentRecord } from '../../../shared/session'
import { buildExperimentSpec, defaultForm, readForm, type ExperimentForm, type SpecContext } from '../lib/experiment-spec'
import { useDatasetsStore } from './datasets'
import { useJobsStore } from './jobs'
import { useSessionStore } from './session'
import { isObject } from '../lib/ui-record'

/** What the page keeps in the session's ui record. */
export interface ExperimentsUi {
  form: ExperimentForm
  selectedId: string | null
  overlay: string[]
}

/** The sweep type of a record, or 'recall' for a plain recall experiment. */
export function recordType(r: ExperimentRecord): SweepSpec['type'] | 'recall' {
  return r.result.sweep?.type ?? 'recall'
}

export const useExperimentsStore = defineStore('experiments', () => {
  const session = useSessionStore()
  const jobs = useJobsStore()
  const datasets = useDatasetsStore()

  const form = ref<ExperimentForm>(defaultForm())
  const jobId = ref<string | null>(null)
  const selectedId = ref<string | null>(null)
  /** Records overlaid on the selected one's chart (same sweep type). */
  const overlay = ref<string[]>([])

  const records = computed<ExperimentRecord[]>(() => session.state?.experiments ?? [])
  const selected = computed(() => records.value.find((r) => r.id === selectedId.value) ?? null)
  const overlaid = computed(() => {
    const s = selected.value
    if (!s) return []
    const type = recordType(s)
    return records.value.filter((r) => r.id !== s.id && overlay.value.includes(r.id) && recordType(r) === type)
  })
  const job = computed(() => jobs.get(jobId.value))
  const running = computed(() => job.value?.status === 'running' || job.value?.status === 'starting')
  const context = computed<SpecContext>(() => ({ model: session.activeModel, datasets: datasets.list }))
  /** The last experiment job that finished, for a job.done that beats jobs.start's answer. */
  let lastDone: { jobId: string; recordId: string } | null = null
  const built = computed(() => buildExperimentSpec(form.value, context.value))

  async function run(): Promise<string> {
    const s = session.state
    if (!s) throw new Error('no session is open')
    const b = built.value
    if (b.error !== undefined) throw new Error(`${b.field}: ${b.error}`)
    const id = await jobs.start(s.id, { kind: 'experiment', spec: b.spec })
    jobId.value = id
    if (lastDone?.jobId === id) select(lastDone.recordId)
    return id
  }

  async function cancel(): Promise<boolean> {
    if (!jobId.value) return false
    return jobs.cancel(jobId.value)
  }

  /** A finished experiment job: the backend appended the record to the session; so do we, and show it. */
  function onDone(doneJobId: string, record: ExperimentRecord): void {
    session.addExperiment(record)
    lastDone = { jobId: doneJobId, recordId: record.id }
    if (doneJobId === jobId.value || !selected.value) select(record.id)
  }

  function select(id: string | null): void {
    selectedId.value = id
    overlay.value = overlay.value.filter((x) => x !== id)
  }

  function toggleOverlay(id: string): void {
    overlay.value = overlay.value.includes(id) ? overlay.value.filter((x) => x !== id) : [...overlay.value, id]
  }

  function snapshot(): ExperimentsUi {
    return { form: form.value, selectedId: selectedId.value, overlay: [...overlay.value] }
  }

  /** Puts a session's saved page state back (or defaults); the newest experiment is shown when none was. */
  function restore(raw: unknown): void {
    const ui = isObject(raw) ? raw : {}
    form.value = readForm(ui.form)
    const ids = new Set(records.value.map((r) => r.id))
    const saved = typeof ui.selectedId === 'string' && ids.has(ui.selectedId) ? ui.selectedId : null
    selectedId.value = saved ?? records.value[records.value.length - 1]?.id ?? null
    overlay.value = Array.isArray(ui.overlay) ? ui.overlay.filter((x): x is string => typeof x === 'string' && ids.has(x)) : []
    jobId.value = null
  }

  return { form, jobId, selectedId, overlay, records, selected, overlaid, job, running, context, built, run, cancel, onDone, select, toggleOverlay, snapshot, restore }
})
