// The coordinator side of a run on the queue: the spec's shards are enqueued as BullMQ jobs, progress is aggregated
// from QueueEvents, results are validated and merged by shard id (services/experiments/shards.ts), and a cancel sets
// the run's cancel key (running shards stop at their next batch) and removes the shards still waiting.
import { randomUUID } from 'node:crypto'
import { Job, Queue, QueueEvents } from 'bullmq'
import { CancelledError } from '../../shared/errors'
import { notOnWorkers, SHARD_JOB_VERSION, shardResultSchema, trainShardResultSchema, type Shard, type ShardJob, type ShardResult, type TrainShard, type TrainShardJob } from '../../shared/shards'
import type { ExperimentResult, ExperimentSpec } from '../../shared/spec'
import type { TrainRequest } from '../../shared/families'
import { mergeShards, notShardable, planShards, shardWeight } from '../services/experiments/shards'
import { batchOutput, trainOutputOf, type BatchInput } from '../services/batch'
import type { JobOutput } from '../services/families/types'
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
const jobIdOf = (runId: string, shardId: string): string => `${runId}_${shardId}`

/** A run's shards as queue jobs: each shard's id, its weight in the progress, and its job payload (given the run id). */
interface QueuePlan<R> {
  shards: { id: string; weight: number; data: (runId: string) => object }[]
  /** Parses and checks a shard's return value (already JSON-decoded); throws naming the shard. */
  check(id: string, value: unknown): R
  /** What the progress message says is running ("capacity", "batch"). */
  label: string
}

/** The worker that ran a shard, when its result says (tests, logs). */
const workerOf = (raw: unknown): string | undefined => (raw && typeof raw === 'object' && 'worker' in raw && typeof raw.worker === 'string' ? raw.worker : undefined)

/** A schema-checked shard result, or an error naming the shard and the first bad field. */
function parsedResult<T>(id: string, schema: { safeParse(x: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, raw: unknown): T {
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`shard ${id}: bad result from the worker (${issue ? `${issue.path.map(String).join('.')}: ${issue.message}` : 'invalid'})`)
  }
  if ((parsed.data as { id?: string }).id !== id) throw new Error(`shard ${id}: the worker returned shard ${(parsed.data as { id?: string }).id}`)
  return parsed.data
}

/** Runs a shardable spec on the queue's workers; the same result, number for number, as running it here. */
export async function runOnQueue(spec: ExperimentSpec, hooks: ComputeHooks, opts: QueueRunOptions): Promise<ExperimentResult> {
  const why = notShardable(spec)
  if (why) throw new Error(`--queue: ${why}`)
  const shards = new Map(planShards(spec, opts.trialsPerShard).map((s) => [s.id, s]))
  const results = await runShardJobs<ShardResult>(
    {
      label: spec.sweep?.type ?? 'experiment',
      shards: [...shards.values()].map((shard) => ({ id: shard.id, weight: shardWeight(spec, shard), data: (runId) => ({ v: SHARD_JOB_VERSION, runId, engram: ENGRAM_VERSION, spec, shard }) satisfies ShardJob })),
      check: (id, raw) => {
        const result = parsedResult(id, shardResultSchema, raw)
        const worker = workerOf(raw)
        opts.onShard?.(shards.get(id)!, { ...result, ...(worker ? { worker } : {}) })
        return result
      }
    },
    hooks,
    opts
  )
  return mergeShards(spec, results.values())
}

export interface BatchQueueOptions {
  url: string
  pollMs?: number
  /** Told each run's shard and the worker that trained it as it arrives (tests, logs). */
  onShard?: (shard: TrainShard, worker: string | undefined) => void
}

/**
 * Trains a batch on the queue's workers, one run per shard (each worker builds the run's task through its own family
 * registry, from built-in data); the same models, state dicts byte for byte, as running the batch here.
 */
export async function runBatchOnQueue(input: Pick<BatchInput, 'spec' | 'provider'> & { requests: readonly TrainRequest[] }, hooks: ComputeHooks, opts: BatchQueueOptions): Promise<JobOutput> {
  input.requests.forEach((request, run) => {
    const problem = notOnWorkers(request)
    if (problem) throw new Error(`--queue: run ${run}: ${[...problem.path].join('.')}: ${problem.message}`)
  })
  const shards = input.requests.map((request, run) => ({ request, shard: { type: 'train', id: `train-r${run}`, run } satisfies TrainShard }))
  const results = await runShardJobs<JobOutput>(
    {
      label: 'batch',
      shards: shards.map(({ request, shard }) => ({
        id: shard.id,
        weight: 1,
        data: (runId) => ({ v: SHARD_JOB_VERSION, runId, engram: ENGRAM_VERSION, provider: input.provider, request, shard }) satisfies TrainShardJob
      })),
      check: (id, raw) => {
        const { request, shard } = shards.find((s) => s.shard.id === id)!
        const output = trainOutputOf(request, parsedResult(id, trainShardResultSchema, raw))
        opts.onShard?.(shard, workerOf(raw))
        return output
      }
    },
    hooks,
    opts
  )
  return batchOutput(
    input.spec,
    shards.map(({ shard }) => results.get(shard.id)!)
  )
}

/** Enqueues a run's shards, follows them to the end (progress weighted by shard, cancel), and returns every checked result by shard id. */
async function runShardJobs<R>(plan: QueuePlan<R>, hooks: ComputeHooks, opts: { url: string; pollMs?: number }): Promise<Map<string, R>> {
  const { shards } = plan
  const connection = connectionFromUrl(opts.url)
  await checkQueue(opts.url)
  const queue = new Queue(SHARD_QUEUE, { connection })
  const events = new QueueEvents(SHARD_QUEUE, { connection })
  const runId = randomUUID()
  const byJobId = new Map(shards.map((s) => [jobIdOf(runId, s.id), s]))
  const results = new Map<string, R>()
  const fractions = new Map<string, number>()
  const totalWeight = shards.reduce((w, s) => w + s.weight, 0)
  let timer: NodeJS.Timeout | undefined
  try {
    await events.waitUntilReady()
    return await new Promise<Map<string, R>>((resolve, reject) => {
      let settled = false
      const finish = (error: Error | null): void => {
        if (settled) return
        settled = true
        if (error) reject(error)
        else resolve(results)
      }
      const report = (): void => {
        const done = shards.reduce((w, s) => w + s.weight * (results.has(s.id) ? 1 : (fractions.get(s.id) ?? 0)), 0)
        // 100 % only once every result is in (a shard at 100 % may still be on its way back).
        const f = results.size === shards.length ? 1 : Math.min(0.999, done / totalWeight)
        hooks.onProgress?.(f, Math.round(f * 1000), 1000, `${plan.label} (${results.size}/${shards.length} shards)`)
      }
      const completed = (jobId: string, value: unknown): void => {
        const shard = byJobId.get(jobId)
        if (!shard || results.has(shard.id)) return
        try {
          results.set(shard.id, plan.check(shard.id, typeof value === 'string' ? (JSON.parse(value) as unknown) : value))
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
        data: shard.data(runId),
        opts: { jobId: jobIdOf(runId, shard.id), attempts: 1, removeOnComplete: false, removeOnFail: false }
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
