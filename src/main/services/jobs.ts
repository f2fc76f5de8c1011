// Runs jobs in worker threads: progress events with rate and ETA, cancel, and crash isolation.
import { randomUUID } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import type { JobResult } from '../../shared/api'
import type { NamedTensor } from '../../core/safetensors'
import type { SessionModel } from '../../shared/session'
import type { FromWorker, ToWorker, WorkerTask } from '../worker/protocol'

export interface WorkerEntry {
  url: URL
  /** Passed as workerData (the source-mode bootstrap uses it to find the TypeScript entry). */
  workerData?: unknown
  /** Each job worker's heap limits: a job that goes over them fails with a message; the app and other jobs go on. */
  resourceLimits?: import('node:worker_threads').ResourceLimits
}

export interface JobProgress {
  jobId: string
  fraction: number
  rate: number
  etaSeconds: number | null
  message: string
  metrics?: Record<string, number>
  text?: string
}

export interface JobCallbacks {
  onProgress(progress: JobProgress): void
  /** A training's checkpoint (hooks.onCheckpoint): the model as a cancel now would keep it, with its tensors. */
  onCheckpoint?(model: SessionModel, tensors: Record<string, NamedTensor>): void
  onDone(result: JobResult, tensors?: Record<string, NamedTensor>): void
  onFailed(error: string, cancelled: boolean): void
}

interface RunningJob {
  worker: Worker
  started: number
  cancelRequested: boolean
  settled: boolean
  killTimer?: NodeJS.Timeout
}

/** How long a worker gets to stop on its own after a cancel before it is terminated. */
const CANCEL_GRACE_MS = 2000
/** How long close() waits for the jobs to stop on their own. */
const CLOSE_GRACE_MS = 3000

/** A progress report with its rate (work units per second since `started`) and ETA. */
export function jobProgress(jobId: string, started: number, fraction: number, done: number, total: number, message: string): JobProgress {
  const elapsed = (performance.now() - started) / 1000
  const rate = elapsed > 0 ? done / elapsed : 0
  return { jobId, fraction, rate, etaSeconds: rate > 0 ? (total - done) / rate : null, message }
}

/** Where jobs run: worker threads here (JobManager), or shardable ones on a queue (src/main/queue/jobs.ts). */
export interface JobRunner {
  readonly running: number
  start(task: WorkerTask, callbacks: JobCallbacks): string
  cancel(jobId: string): boolean
  close(): Promise<void>
}

export class JobManager implements JobRunner {
  private readonly jobs = new Map<string, RunningJob>()

  constructor(private readonly entry: WorkerEntry) {}

  get running(): number {
    return this.jobs.size
  }

  start(task: WorkerTask, callbacks: JobCallbacks): string {
    const jobId = randomUUID()
    const worker = new Worker(this.entry.url, { workerData: this.entry.workerData, ...(this.entry.resourceLimits ? { resourceLimits: this.entry.resourceLimits } : {}) })
    const job: RunningJob = { worker, started: performance.now(), cancelRequested: false, settled: false }
    this.jobs.set(jobId, job)

    const settle = (fn: () => void): void => {
      if (job.settled) return
      job.settled = true
      if (job.killTimer) clearTimeout(job.killTimer)
      this.jobs.delete(jobId)
      fn()
      void worker.terminate()
    }

    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'progress':
          callbacks.onProgress({
            ...jobProgress(jobId, job.started, message.fraction, message.done, message.total, message.message),
            ...(message.metrics ? { metrics: message.metrics } : {}),
            ...(message.text !== undefined ? { text: message.text } : {})
          })
          break
        case 'checkpoint':
          if (!job.settled) callbacks.onCheckpoint?.(message.model, message.tensors)
          break
        case 'done':
          settle(() => callbacks.onDone(message.result, message.tensors))
          break
        case 'failed':
          settle(() => callbacks.onFailed(message.cancelled ? 'cancelled' : message.error, message.cancelled || job.cancelRequested))
          break
      }
    })
    worker.on('error', (error) => {
      settle(() => callbacks.onFailed(`worker crashed: ${error.message}`, false))
    })
    worker.on('exit', (code) => {
      settle(() =>
        job.cancelRequested
          ? callbacks.onFailed('cancelled', true)
          : callbacks.onFailed(`worker exited unexpectedly (code ${code})`, false)
      )
    })
    const start: ToWorker = { type: 'start', jobId, task }
    worker.postMessage(start)
    return jobId
  }

  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId)
    if (!job) return false
    job.cancelRequested = true
    const message: ToWorker = { type: 'cancel' }
    job.worker.postMessage(message)
    // A worker stuck inside a native call cannot read the message: terminate it after a grace period.
    job.killTimer = setTimeout(() => void job.worker.terminate(), CANCEL_GRACE_MS)
    return true
  }

  /**
   * Stops every job: first as a cancel (a training keeps its partial model, which the backend stores as its last
   * checkpoint), waiting up to CLOSE_GRACE_MS, then by terminating the workers still running. Terminating a worker
   * inside an onnxruntime run can abort the whole process (docs/reliability.md), so it is the last resort.
   */
  async close(): Promise<void> {
    for (const id of [...this.jobs.keys()]) this.cancel(id)
    const deadline = performance.now() + CLOSE_GRACE_MS
    while (this.jobs.size > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    const all = [...this.jobs.values()]
    this.jobs.clear()
    for (const job of all) {
      job.settled = true
      if (job.killTimer) clearTimeout(job.killTimer)
    }
    await Promise.all(all.map((j) => j.worker.terminate()))
  }
}
