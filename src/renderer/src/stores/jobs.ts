// Background jobs of this client: progress, completion, failure, cancel. Events may arrive before
// jobs.start answers (a short recall), so records are upserted from either side.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Events, JobSpecInput, RunningJob } from '../../../shared/api'
import { getApi } from '../api'

export type JobStatus = 'starting' | 'running' | 'done' | 'failed' | 'cancelled'

export interface JobRecord {
  id: string
  kind: string
  sessionId: string
  status: JobStatus
  fraction: number
  rate: number
  etaSeconds: number | null
  message: string
  error: string | null
  startedAt: number
  endedAt: number | null
}

function blank(id: string, kind: string, sessionId: string): JobRecord {
  return {
    id,
    kind,
    sessionId,
    status: 'running',
    fraction: 0,
    rate: 0,
    etaSeconds: null,
    message: '',
    error: null,
    startedAt: Date.now(),
    endedAt: null
  }
}

export const useJobsStore = defineStore('jobs', () => {
  const records = ref<Record<string, JobRecord>>({})

  const running = computed(() => Object.values(records.value).filter((j) => j.status === 'running' || j.status === 'starting'))

  function upsert(id: string, kind: string, sessionId: string, patch: Partial<JobRecord>): JobRecord {
    const prev = records.value[id] ?? blank(id, kind, sessionId)
    const next = { ...prev, ...patch }
    records.value = { ...records.value, [id]: next }
    return next
  }

  function get(id: string | null | undefined): JobRecord | null {
    return id ? (records.value[id] ?? null) : null
  }

  async function start(sessionId: string, spec: JobSpecInput): Promise<string> {
    const { jobId } = await getApi().call('jobs.start', { sessionId, spec })
    const known = records.value[jobId]
    // done/failed may already have arrived: keep that status.
    upsert(jobId, spec.kind, sessionId, known ? {} : { status: 'running' })
    return jobId
  }

  /** A job found running in the backend (jobs.list after a reload or reconnect): follow it from here. */
  function adopt(j: RunningJob): JobRecord {
    return upsert(j.jobId, j.kind, j.sessionId, {
      status: 'running',
      fraction: Math.max(0, Math.min(1, j.fraction)),
      rate: j.rate,
      etaSeconds: j.etaSeconds,
      message: j.message,
      startedAt: Date.parse(j.startedAt) || Date.now()
    })
  }

  async function cancel(jobId: string): Promise<boolean> {
    const { cancelled } = await getApi().call('jobs.cancel', { jobId })
    const j = records.value[jobId]
    if (cancelled && j && j.status === 'running') upsert(jobId, j.kind, j.sessionId, { message: 'cancelling…' })
    return cancelled
  }

  function onProgress(p: Events['job.progress']): void {
    const j = records.value[p.jobId]
    if (j && j.status !== 'running') return
    upsert(p.jobId, p.kind, p.sessionId, {
      fraction: Math.max(0, Math.min(1, p.fraction)),
      rate: p.rate,
      etaSeconds: p.etaSeconds,
      message: p.message
    })
  }

  function onDone(p: Events['job.done']): void {
    upsert(p.jobId, p.result.kind, p.sessionId, { status: 'done', fraction: 1, etaSeconds: 0, endedAt: Date.now() })
  }

  function onFailed(p: Events['job.failed']): void {
    const j = records.value[p.jobId]
    upsert(p.jobId, j?.kind ?? 'job', p.sessionId, {
      status: p.cancelled ? 'cancelled' : 'failed',
      error: p.cancelled ? null : p.error,
      message: p.cancelled ? 'cancelled' : p.error,
      endedAt: Date.now()
    })
  }

  return { records, running, get, start, adopt, cancel, onProgress, onDone, onFailed }
})
