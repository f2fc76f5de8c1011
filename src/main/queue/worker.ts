// `engram worker`: runs shard jobs from the queue in this (plain Node) process. Each payload is validated first (a
// bad one is refused, never retried); a running shard polls its run's cancel key and stops at its next batch; a
// worker that dies mid-shard leaves its job's lock to expire, and BullMQ's stalled-job check hands the shard to
// another worker (the merge keys results by shard id, so nothing counts twice).
import { hostname } from 'node:os'
import { UnrecoverableError, Worker, type Job } from 'bullmq'
import { CancelledError } from '../../shared/errors'
import { shardJobSchema, type ShardResult } from '../../shared/shards'
import { runShard } from '../services/experiments/shards'
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

/** What a refused payload is told: the first bad field, as `data.<path>: <message>`, or the version mismatch. */
export function payloadError(data: unknown): string | null {
  const parsed = shardJobSchema.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return `bad job payload: ${issue ? `${['data', ...issue.path].join('.')}: ${issue.message}` : 'invalid'}`
  }
  if (releaseOf(parsed.data.engram) !== releaseOf(ENGRAM_VERSION)) {
    return `bad job payload: data.engram: the run is Engram ${parsed.data.engram}, this worker is ${ENGRAM_VERSION} (run workers of the same version)`
  }
  return null
}

export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const id = `${hostname()}:${process.pid}`
  const log = opts.log ?? (() => {})
  const connection = connectionFromUrl(opts.url)
  await checkQueue(opts.url)
  const processor = async (job: Job): Promise<ShardResult & { worker: string }> => {
    const refused = payloadError(job.data)
    if (refused) {
      log({ event: 'refused', job: job.id, worker: id, error: refused })
      throw new UnrecoverableError(refused)
    }
    const { runId, spec, shard } = shardJobSchema.parse(job.data)
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
      const result = await runShard(spec, shard, {
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
