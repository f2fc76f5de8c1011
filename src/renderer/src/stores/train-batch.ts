// Batches of training runs started from the app (models.trainBatch): one per model family's page, each with its form
// (name, seeds, grid), its job and its last result. The job runs here or on the queue's workers, as the jobs setting
// says; its models land in the session like any training.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { getApi } from '../api'
import type { BatchResult, BatchSpec } from '../../../shared/batch'
import { defaultBatchForm, type BatchForm } from '../lib/train-batch'
import { useJobsStore } from './jobs'
import { useSessionStore } from './session'

export const useTrainBatchStore = defineStore('train-batch', () => {
  const session = useSessionStore()
  const jobs = useJobsStore()
  const forms = ref<Record<string, BatchForm>>({})
  const jobIds = ref<Record<string, string | null>>({})
  const results = shallowRef<Record<string, BatchResult | null>>({})
  const failures = ref<Record<string, string | null>>({})

  function form(kind: string): BatchForm {
    if (!forms.value[kind]) forms.value = { ...forms.value, [kind]: defaultBatchForm(kind) }
    return forms.value[kind]!
  }

  /** Starts the batch as one job; resolves once it is under way (its result arrives with job.done). */
  async function start(kind: string, spec: BatchSpec): Promise<string> {
    const s = session.state
    if (!s) throw new Error('no session is open')
    failures.value = { ...failures.value, [kind]: null }
    const { jobId } = await getApi().call('models.trainBatch', { sessionId: s.id, batch: spec })
    jobIds.value = { ...jobIds.value, [kind]: jobId }
    jobs
      .wait(jobId)
      .then((r) => {
        if (r.kind === 'batch.train' && jobIds.value[kind] === jobId) results.value = { ...results.value, [kind]: r }
      })
      .catch((error: unknown) => {
        const e = error as { cancelled?: boolean; message?: string }
        if (jobIds.value[kind] === jobId) failures.value = { ...failures.value, [kind]: e.cancelled ? null : (e.message ?? String(error)) }
      })
    return jobId
  }

  async function cancel(kind: string): Promise<boolean> {
    const id = jobIds.value[kind]
    return id ? jobs.cancel(id) : false
  }

  return { forms, jobIds, results, failures, form, start, cancel }
})
