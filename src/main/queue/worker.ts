// `engram worker`: runs shard jobs from the queue in this (plain Node) process. Each payload is validated first (a
// bad one is refused, never retried); a running shard polls its run's cancel key and stops at its next batch; a
// worker that dies mid-shard leaves its job's lock to expire, and BullMQ's stalled-job check hands the shard to
// another worker (the merge keys results by shard id, so nothing counts twice).
import { hostname } from 'node:os'
import { UnrecoverableError, Worker, type Job } from 'bullmq'
import { CancelledError } from '../../shared/errors'
import { shardJobSchema, trainShardJobSchema, type ShardResult, type TrainShardJob, type TrainShardResult } from '../../shared/shards'
import { runShard } from '../services/experiments/shards'
import { JOB_TABLE, serviceOf } from '../services/families'
import type { FamilyContext } from '../services/families/types'
import { DatasetCatalog } from '../services/datasets'
import { TextCatalog } from '../services/texts'
import { tensorToJson } from '../../core/tensor-json'
import type { ComputeHooks, FractionHooks } from '../services/hooks'
import { ENGRAM_VERSION } from '../version'
import { cancelKey, checkQueue, connectionFromUrl, redactUrl, SHARD_QUEUE } from './connection'

export interface QueueWorkerOptions {
  url: string
  /** Shards run at once in this process (default 1: a shard already uses the engine's threads). */
  concurrency?: number
  /**
   * How long a job's lock lives without renewal, and how often this worker looks for stalled jobs (ms). A killed
   * worker's shard reruns elsewhere after about lockMs + stalledMs. Defaults 60000 and 30000.
   */
  lockMs?: number
  stalledMs?: number
  /** How often a running shard reads its cancel key (ms, default 250). */
  cancelPollMs?: number
  /** One JSON object per event (started, done, refused, failed, cancelled). */
  log?: (event: Record<string, unknown>) => void
}

export interface QueueWorker {
  readonly id: string
  close(): Promise<void>
}

/** A source checkout ('-dev') of a release computes what the release does. */
const releaseOf = (version: string): string => version.replace(/-dev$/, '')

/** A payload's schema: a training run's (its shard says type 'train') or a sweep shard's. */
const isTrainJob = (data: unknown): boolean => (data as { shard?: { type?: unknown } } | null)?.shard?.type === 'train'

/** What a refused payload is told: the first bad field, as `data.<path>: <message>`, or the version mismatch. */
export function payloadError(data: unknown): string | null {
  const parsed = (isTrainJob(data) ? trainShardJobSchema : shardJobSchema).safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return `bad job payload: ${issue ? `${['data', ...issue.path].join('.')}: ${issue.message}` : 'invalid'}`
  }
  if (releaseOf(parsed.data.engram) !== releaseOf(ENGRAM_VERSION)) {
    return `bad job payload: data.engram: the run is Engram ${parsed.data.engram}, this worker is ${ENGRAM_VERSION} (run workers of the same version)`
  }
  return null
}

/** A queue worker's side of one run: the family's task built here (built-in data only), trained, its state dict as JSON. */
export async function runTrainShard(job: TrainShardJob, hooks: ComputeHooks): Promise<TrainShardResult> {
  const ctx: FamilyContext = { datasets: new DatasetCatalog(null), texts: new TextCatalog(null), provider: job.provider }
  const task = serviceOf(job.request.model.kind).trainTask(ctx, job.request as never, 'data.request')
  const out = await JOB_TABLE[task.kind]!(task.input as never, hooks)
  if (hooks.shouldCancel?.()) throw new CancelledError()
  if (!('model' in out.result)) throw new Error(`${task.kind} returned a ${out.result.kind} result`)
  const tensors = Object.fromEntries(Object.entries(out.tensors ?? {}).map(([name, t]) => [name, tensorToJson(t)]))
  return { type: 'train', id: job.shard.id, model: out.result.model, tensors }
}

/** The shard's work: a training run (batch) or trials of a sweep. */
function shardWork(data: unknown): { runId: string; shardId: string; run: (hooks: FractionHooks & ComputeHooks) => Promise<ShardResult | TrainShardResult> } {
  if (isTrainJob(data)) {
    const job = trainShardJobSchema.parse(data)
    return { runId: job.runId, shardId: job.shard.id, run: (hooks) => runTrainShard(job, hooks) }
  }
  const { runId, spec, shard } = shardJobSchema.parse(data)
  return { runId, shardId: shard.id, run: (hooks) => runShard(spec, shard, hooks) }
}

export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const id = `${hostname()}:${process.pid}`
  const log = opts.log ?? (() => {})
  const connection = connectionFromUrl(opts.url)
  await checkQueue(opts.url)
  const processor = async (job: Job): Promise<(ShardResult | TrainShardResult) & { worker: string }> => {
    const refused = payloadError(job.data)
    if (refused) {
      log({ event: 'refused', job: job.id, worker: id, error: refused })
      throw new UnrecoverableError(refused)
    }
    const { runId, shardId, run } = shardWork(job.data)
    const shard = { id: shardId }
    const client = await worker.client
    const key = cancelKey(runId)
    let cancelled = (await client.get(key)) !== null
    const poll = setInterval(() => {
      client.get(key).then(
        (v) => void (cancelled ||= v !== null),
        () => {}
      )
    }, opts.cancelPollMs ?? 250)
    let lastProgress = 0
    log({ event: 'started', job: job.id, shard: shard.id, worker: id })
    try {
      if (cancelled) throw new CancelledError()
      const result = await run({
        shouldCancel: () => cancelled,
        onProgress: (f) => {
          const t = Date.now()
          if (t - lastProgress < 250 && f < 1) return
          lastProgress = t
          void job.updateProgress(f).catch(() => {})
        }
      })
      log({ event: 'done', job: job.id, shard: shard.id, worker: id })
      return { ...result, worker: id }
    } catch (error) {
      if (error instanceof CancelledError) {
        log({ event: 'cancelled', job: job.id, shard: shard.id, worker: id })
        throw new UnrecoverableError('cancelled')
      }
      log({ event: 'failed', job: job.id, shard: shard.id, worker: id, error: error instanceof Error ? error.message : String(error) })
      throw error
    } finally {
      clearInterval(poll)
    }
  }
  const worker = new Worker(SHARD_QUEUE, processor, {
    connection,
    concurrency: opts.concurrency ?? 1,
    lockDuration: opts.lockMs ?? 60_000,
    stalledInterval: opts.stalledMs ?? 30_000,
    maxStalledCount: 1,
    autorun: false
  })
  worker.on('error', (error) => log({ event: 'error', worker: id, error: error.message }))
  await worker.waitUntilReady()
  void worker.run()
  log({ event: 'ready', worker: id, queue: redactUrl(opts.url), concurrency: opts.concurrency ?? 1 })
  return { id, close: () => worker.close() }
}
