// Jobs when the backend has a queue: shardable experiment jobs (capacity, dense-capacity and delay sweeps) and batches
// of training runs run on the queue's workers, the families' in-process runs (recurrent.generate) in this thread, everything
// else in worker threads here, as without a queue. The backend sees one JobRunner either way.
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../shared/api'
import { CancelledError } from '../../shared/errors'
import { notOnWorkers } from '../../shared/shards'
import type { BatchInput } from '../services/batch'
import type { JobOutput } from '../services/families/types'
import type { ComputeHooks } from '../services/hooks'
import { experimentJobOutput, IN_PROCESS_JOBS, JOB_TABLE, type ExperimentInput } from '../services/families'
import { notShardable } from '../services/experiments/shards'
import { jobProgress, type JobCallbacks, type JobManager, type JobRunner } from '../services/jobs'
import type { WorkerTask } from '../worker/protocol'
import { connectionFromUrl } from './connection'

export class QueueRoutedJobs implements JobRunner {
  private readonly remote = new Map<string, { cancelled: boolean; settled?: Promise<void> }>()

  private url: string | null = null

  /** Jobs run on `local` until a queue URL is set (now or later: the app's setting). */
  constructor(
    private readonly local: JobManager,
    url: string | null
  ) {
    this.setUrl(url)
  }

  /** Where the next jobs run (null: this machine); running ones stay where they are. A bad URL fails here, naming the setting. */
  setUrl(url: string | null): void {
    if (url !== null) connectionFromUrl(url, 'queue')
    this.url = url
  }

  get queueUrl(): string | null {
    return this.url
  }

  get running(): number {
    return this.local.running + this.remote.size
  }

  start(task: WorkerTask, callbacks: JobCallbacks): string {
    // Short runs that keep state between calls run here, in the backend's thread (ServiceFamily.inProcessJobs).
    if (IN_PROCESS_JOBS.has(task.kind)) return this.startRemote(callbacks, async (hooks) => JOB_TABLE[task.kind]!((task as { input: unknown }).input as never, hooks))
    const url = this.url
    if (url === null) return this.local.start(task, callbacks)
    if (task.kind === 'batch.train') return this.startBatch(url, (task as { input: BatchInput }).input, callbacks)
    const spec = task.kind === 'experiment' ? (task as { input: ExperimentInput }).input.spec : null
    if (!spec || notShardable(spec)) return this.local.start(task, callbacks)
    return this.startRemote(callbacks, async (hooks) => {
      const { runOnQueue } = await import('./coordinator')
      return experimentJobOutput(spec, await runOnQueue(spec, hooks, { url }))
    })
  }

  /** A batch of training runs: one shard per run; its data must be on every worker (refused naming the field, before any work). */
  private startBatch(url: string, input: BatchInput, callbacks: JobCallbacks): string {
    for (const { request } of input.runs) {
      const problem = notOnWorkers(request)
      if (problem) {
        const field = `params.batch.${problem.path.join('.')}`
        throw new ApiError({ code: 'bad-request', field, message: `${field}: ${problem.message} (the backend runs batches on its queue)` })
      }
    }
    const requests = input.runs.map((r) => r.request)
    return this.startRemote(callbacks, async (hooks) => {
      const { runBatchOnQueue } = await import('./coordinator')
      return runBatchOnQueue({ spec: input.spec, provider: input.provider, requests }, hooks, { url })
    })
  }

  /** A job whose work runs on the queue: progress and cancel through `hooks`, the output landed like a local job's. */
  private startRemote(callbacks: JobCallbacks, work: (hooks: ComputeHooks) => Promise<JobOutput>): string {
    const jobId = randomUUID()
    const state: { cancelled: boolean; settled?: Promise<void> } = { cancelled: false }
    const started = performance.now()
    this.remote.set(jobId, state)
    const hooks = {
      onProgress: (fraction: number, done: number, total: number, message: string) => callbacks.onProgress(jobProgress(jobId, started, fraction, done, total, message)),
      shouldCancel: () => state.cancelled
    }
    // The coordinator (and bullmq with it) is loaded with the first queued job: a backend without a queue never loads it.
    state.settled = work(hooks).then(
      (output) => {
        this.remote.delete(jobId)
        callbacks.onDone(output.result, output.tensors)
      },
      (error: unknown) => {
        this.remote.delete(jobId)
        const cancelled = error instanceof CancelledError
        callbacks.onFailed(cancelled ? 'cancelled' : error instanceof Error ? error.message : String(error), cancelled)
      }
    )
    return jobId
  }

  cancel(jobId: string): boolean {
    const state = this.remote.get(jobId)
    if (!state) return this.local.cancel(jobId)
    state.cancelled = true
    return true
  }

  /** Cancels the runs on the queue (their waiting shards removed, running ones stopped) and waits up to 10 s for that. */
  async close(): Promise<void> {
    const runs = [...this.remote.values()]
    for (const state of runs) state.cancelled = true
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))
    await Promise.race([Promise.all(runs.map((r) => r.settled)), deadline])
    clearTimeout(timer)
    await this.local.close()
  }
}
