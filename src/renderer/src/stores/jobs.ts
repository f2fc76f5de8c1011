// Background jobs of this client: progress, completion, failure, cancel. Events may arrive before
// jobs.start answers (a short recall), so records are upserted from either side.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Events, JobResult, JobSpecInput, Params, RunningJob } from '../../../shared/api'
import type { RunRequestInput } from '../../../shared/families'
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
  /** A run on a trained model (models.run): which model, so its progress is shown with that model only. */
  modelId?: string
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

/** A job's end, for wait(): its result, or why it failed (cancelled: cancelled on purpose). */
type Outcome = { result: JobResult } | { error: string; cancelled: boolean }

/** A job that failed or was cancelled, as wait() rejects. */
export class JobFailedError extends Error {
  constructor(
    message: string,
    readonly cancelled: boolean
  ) {
    super(message)
    this.name = 'JobFailedError'
  }
}

/** How many ended jobs' outcomes are kept for a wait() that comes after the end (a short job). */
const KEPT_OUTCOMES = 50

export const useJobsStore = defineStore('jobs', () => {
  const records = ref<Record<string, JobRecord>>({})
  // Not reactive: promises waiting for a job's end, and the outcomes of jobs that ended before anyone waited.
  const waiters = new Map<string, ((o: Outcome) => void)[]>()
  const outcomes = new Map<string, Outcome>()

  function settle(jobId: string, outcome: Outcome): void {
    const list = waiters.get(jobId)
    waiters.delete(jobId)
    if (list) for (const w of list) w(outcome)
    else {
      outcomes.set(jobId, outcome)
      if (outcomes.size > KEPT_OUTCOMES) outcomes.delete(outcomes.keys().next().value!)
    }
  }

  /** Resolves with the job's result when it is done; rejects with JobFailedError when it fails or is cancelled. */
  function wait(jobId: string): Promise<JobResult> {
    return new Promise((resolve, reject) => {
      const finish = (o: Outcome): void => ('result' in o ? resolve(o.result) : reject(new JobFailedError(o.error, o.cancelled)))
      const known = outcomes.get(jobId)
      if (known) {
        outcomes.delete(jobId)
        finish(known)
      } else waiters.set(jobId, [...(waiters.get(jobId) ?? []), finish])
    })
  }

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

  /** Trains a model of any family as a job (models.train); the job's kind is `<family>.train`. */
  async function startTrain(sessionId: string, params: Omit<Params<'models.train'>, 'sessionId'>): Promise<string> {
    const { jobId } = await getApi().call('models.train', { sessionId, ...params })
    if (!records.value[jobId]) upsert(jobId, `${params.model.kind}.train`, sessionId, { status: 'running' })
    return jobId
  }

  /** Runs a trained model as a job (models.run): recall, batch recall, sampling, BAM recall. */
  async function startRun(sessionId: string, modelId: string, run: RunRequestInput): Promise<string> {
    const { jobId } = await getApi().call('models.run', { sessionId, modelId, run })
    upsert(jobId, run.kind, sessionId, records.value[jobId] ? { modelId } : { status: 'running', modelId })
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
      startedAt: Date.parse(j.startedAt) || Date.now(),
      ...('modelId' in j.spec ? { modelId: j.spec.modelId } : {})
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
    settle(p.jobId, { result: p.result })
    upsert(p.jobId, p.result.kind, p.sessionId, { status: 'done', fraction: 1, etaSeconds: 0, endedAt: Date.now() })
  }

  function onFailed(p: Events['job.failed']): void {
    const j = records.value[p.jobId]
    settle(p.jobId, { error: p.error, cancelled: p.cancelled })
    upsert(p.jobId, j?.kind ?? 'job', p.sessionId, {
      status: p.cancelled ? 'cancelled' : 'failed',
      error: p.cancelled ? null : p.error,
      message: p.cancelled ? 'cancelled' : p.error,
      endedAt: Date.now()
    })
  }

/**
 * A model run's job as a panel of `modelId` shows it: while it runs (whichever model: it holds the panel's Run), and
 * after it ends only with its own model, so a finished bar never carries over to another model.
 */
  function forModel(id: string | null | undefined, modelId: string | null | undefined): JobRecord | null {
    const j = get(id)
    if (!j) return null
    const live = j.status === 'running' || j.status === 'starting'
    return live || j.modelId === undefined || j.modelId === modelId ? j : null
  }

  return { records, running, get, forModel, start, startTrain, startRun, wait, adopt, cancel, onProgress, onDone, onFailed }
})
