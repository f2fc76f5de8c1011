// The coordinator side of a run on the queue: the spec's shards are enqueued as BullMQ jobs, progress is aggregated
// from QueueEvents, results are validated and merged by shard id (services/experiments/shards.ts), and a cancel sets
// the run's cancel key (running shards stop at their next batch) and removes the shards still waiting.
import { randomUUID } from 'node:crypto'
import { Job, Queue, QueueEvents } from 'bullmq'
import { CancelledError } from '../../shared/errors'
import { SHARD_JOB_VERSION, shardResultSchema, type Shard, type ShardJob, type ShardResult } from '../../shared/shards'
import type { ExperimentResult, ExperimentSpec } from '../../shared/spec'
import { mergeShards, notShardable, planShards, shardWeight } from '../services/experiments/shards'
import type { ComputeHooks } from '../services/hooks'
import { ENGRAM_VERSION } from '../version'
import { cancelKey, CANCEL_KEY_TTL_S, checkQueue, connectionFromUrl, SHARD_QUEUE } from './connection'

export interface QueueRunOptions {
  url: string
  trialsPerShard?: number
  /** How often unfinished shards are also looked up directly (a safety net under the events). Default 2000 ms. */
  pollMs?: number
  /** Told each shard's outcome as it arrives (tests, logs). */
  onShard?: (shard: Shard, result: ShardResult & { worker?: string }) => void
}

/** How often the caller's cancel flag is read (Ctrl-C, jobs.cancel). */
const CANCEL_CHECK_MS = 200

/** BullMQ job ids may not contain ':'. */
const jobIdOf = (runId: string, shard: Shard): string => `${runId}_${shard.id}`

/** Parses and checks a shard's return value; a bad one fails the run with the reason. */
function checkResult(shard: Shard, value: unknown): ShardResult & { worker?: string } {
  const raw = typeof value === 'string' ? (JSON.parse(value) as unknown) : value
  const parsed = shardResultSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`shard ${shard.id}: bad result from the worker (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`)
  }
  if (parsed.data.id !== shard.id) throw new Error(`shard ${shard.id}: the worker returned shard ${parsed.data.id}`)
  const worker = raw && typeof raw === 'object' && 'worker' in raw && typeof raw.worker === 'string' ? raw.worker : undefined
  return { ...parsed.data, ...(worker ? { worker } : {}) }
}

/** Runs a shardable spec on the queue's workers; the same result, number for number, as running it here. */
export async function runOnQueue(spec: ExperimentSpec, hooks: ComputeHooks, opts: QueueRunOptions): Promise<ExperimentResult> {
  const why = notShardable(spec)
  if (why) throw new Error(`--queue: ${why}`)
  const shards = planShards(spec, opts.trialsPerShard)
  const connection = connectionFromUrl(opts.url)
  await checkQueue(opts.url)
  const queue = new Queue<ShardJob>(SHARD_QUEUE, { connection })
  const events = new QueueEvents(SHARD_QUEUE, { connection })
  const runId = randomUUID()
  const byJobId = new Map(shards.map((s) => [jobIdOf(runId, s), s]))
  const results = new Map<string, ShardResult>()
  const fractions = new Map<string, number>()
  const weights = new Map(shards.map((s) => [s.id, shardWeight(spec, s)]))
  const totalWeight = shards.reduce((w, s) => w + weights.get(s.id)!, 0)
  let timer: NodeJS.Timeout | undefined
  try {
    await events.waitUntilReady()
    return await new Promise<ExperimentResult>((resolve, reject) => {
      let settled = false
      const finish = (error: Error | null): void => {
        if (settled) return
        settled = true
        if (error) reject(error)
        else {
          try {
            resolve(mergeShards(spec, results.values()))
          } catch (e) {
            reject(e as Error)
          }
        }
      }
      const report = (): void => {
        const done = shards.reduce((w, s) => w + weights.get(s.id)! * (results.has(s.id) ? 1 : (fractions.get(s.id) ?? 0)), 0)
        // 100 % only once every result is in (a shard at 100 % may still be on its way back).
        const f = results.size === shards.length ? 1 : Math.min(0.999, done / totalWeight)
        hooks.onProgress?.(f, Math.round(f * 1000), 1000, `${spec.sweep?.type ?? 'experiment'} (${results.size}/${shards.length} shards)`)
      }
      const completed = (jobId: string, value: unknown): void => {
        const shard = byJobId.get(jobId)
        if (!shard || results.has(shard.id)) return
        try {
          const result = checkResult(shard, value)
          results.set(shard.id, result)
          opts.onShard?.(shard, result)
        } catch (e) {
          return finish(e as Error)
        }
        report()
        if (results.size === shards.length) finish(null)
      }
      const failed = (jobId: string, reason: string): void => {
        const shard = byJobId.get(jobId)
        if (shard && !results.has(shard.id)) finish(new Error(`shard ${shard.id} failed on a worker: ${reason}`))
      }
      events.on('completed', ({ jobId, returnvalue }) => completed(jobId, returnvalue))
      events.on('failed', ({ jobId, failedReason }) => failed(jobId, failedReason))
      events.on('progress', ({ jobId, data }) => {
        const shard = byJobId.get(jobId)
        if (shard && typeof data === 'number' && !results.has(shard.id)) {
          fractions.set(shard.id, Math.min(1, Math.max(0, data)))
          report()
        }
      })
      // The safety net: a shard whose event was missed (a reconnect) is found by looking it up.
      const poll = async (): Promise<void> => {
        for (const [jobId, shard] of byJobId) {
          if (settled) return
          if (results.has(shard.id)) continue
          const job = await Job.fromId(queue, jobId)
          if (job?.finishedOn && job.failedReason) failed(jobId, job.failedReason)
          else if (job?.finishedOn) completed(jobId, job.returnvalue)
        }
      }
      let cancelling = false
      const pollMs = opts.pollMs ?? 2000
      let lastPoll = Date.now()
      let polling = false
      timer = setInterval(() => {
        if (settled || cancelling) return
        if (hooks.shouldCancel?.()) {
          cancelling = true
          void cancelRun(queue, runId, [...byJobId.keys()]).then(
            () => finish(new CancelledError()),
            (e: unknown) => finish(e as Error)
          )
          return
        }
        if (Date.now() - lastPoll < pollMs || polling) return
        lastPoll = Date.now()
        polling = true
        poll().then(
          () => void (polling = false),
          (e: unknown) => finish(e as Error)
        )
      }, CANCEL_CHECK_MS)
      const jobs = shards.map((shard) => ({
        name: shard.id,
        data: { v: SHARD_JOB_VERSION, runId, engram: ENGRAM_VERSION, spec, shard } satisfies ShardJob,
        opts: { jobId: jobIdOf(runId, shard), attempts: 1, removeOnComplete: false, removeOnFail: false }
      }))
      queue.addBulk(jobs).then(report, (e: unknown) => finish(e as Error))
    })
  } finally {
    if (timer) clearInterval(timer)
    // The run's jobs go once it is over: results live in the merged result, not in Redis. Active ones cannot be
    // removed (locked); they stop on the cancel key and are removed by BullMQ's own retention (removeOnFail is off,
    // so they stay as failed, cancelled, for inspection).
    await Promise.all([...byJobId.keys()].map((id) => queue.remove(id).catch(() => 0)))
    await events.close()
    await queue.close()
  }
}

/** Sets the run's cancel key (running shards stop at their next batch) and removes its waiting shards. */
async function cancelRun(queue: Queue, runId: string, jobIds: string[]): Promise<void> {
  const client = await queue.client
  await client.set(cancelKey(runId), '1', { EX: CANCEL_KEY_TTL_S })
  await Promise.all(jobIds.map((id) => queue.remove(id)))
}
