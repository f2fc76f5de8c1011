// Batch recall: many corrupted cues per stored pattern on the engine, with progress and cancel.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { BatchRecallResult } from '../../../shared/session'
import type { Corruption } from '../../../shared/spec'
import { useJobsStore } from './jobs'
import { useModelStore } from './model'
import { useSessionStore } from './session'

export const useBatchStore = defineStore('batch', () => {
  const session = useSessionStore()
  const model = useModelStore()
  const jobs = useJobsStore()

  const corruption = ref<Corruption>({ type: 'flip', fraction: 0.2 })
  const cuesPerPattern = ref(50)
  const seed = ref(7)
  const maxIterations = ref(50)
  /** Hold each cue on as the external input x (003). */
  const external = ref(false)
  const jobId = ref<string | null>(null)
  const result = shallowRef<BatchRecallResult | null>(null)

  /** The last batch recall's job, as the active model's panel shows it (another model's finished run: none). */
  const job = computed(() => jobs.forModel(jobId.value, model.active?.id))
  const running = computed(() => job.value?.status === 'running' || job.value?.status === 'starting')
  const totalCues = computed(() => (model.active?.patterns ?? 0) * cuesPerPattern.value)
  const stale = computed(() => !!result.value && result.value.modelId !== model.active?.id)

  async function run(): Promise<string> {
    const s = session.state
    const m = model.active
    if (!s || !m) throw new Error('train a model first')
    const id = await jobs.startRun(s.id, m.id, {
      kind: 'recall.batch',
      corruption: corruption.value,
      cuesPerPattern: cuesPerPattern.value,
      seed: seed.value,
      maxIterations: maxIterations.value,
      external: external.value ? 'cue' : 'none'
    })
    jobId.value = id
    return id
  }

  async function cancel(): Promise<boolean> {
    if (!jobId.value) return false
    return jobs.cancel(jobId.value)
  }

  function setResult(r: BatchRecallResult | null): void {
    result.value = r
  }

  return { corruption, cuesPerPattern, seed, maxIterations, external, jobId, result, job, running, totalCues, stale, run, cancel, setResult }
})
