// A delay sweep (training runs on the engine) on a real queue: Debian's redis-server and two `engram worker` processes
// from the built CLI. Its shards (one config each) run on both workers and merge to the local result number for
// number, gradient profiles included (they travel as JSON); a cancel stops the running training; a bad delay shard is
// refused naming the field.
import { describe, expect, it } from 'vitest'
import { runOnQueue } from '../../src/main/queue/coordinator'
import { runExperiment } from '../../src/main/services/experiments'
import { CancelledError } from '../../src/shared/errors'
import { ENGRAM_VERSION } from '../../src/main/version'
import { experimentSpecSchema, type ExperimentResult } from '../../src/shared/spec'
import { eventMark, haveRedis, until } from '../helpers/queue-pool'
import { useQueueSuite } from '../helpers/queue-suite'

const spec = (sweep: object) => experimentSpecSchema.parse({ name: 'queue-delay', seed: 31, model: { kind: 'hopfield' }, engine: { provider: 'cpu', threads: 1 }, sweep: { type: 'delay', task: 'first-bit', cells: ['rnn', 'gru'], delays: [2, 3], hiddenSize: 6, batch: 8, evalRows: 40, ...sweep } })
const untimed = (r: ExperimentResult) => JSON.stringify({ ...r, createdAt: null })

describe.skipIf(!haveRedis)('delay sweeps on a BullMQ queue (redis-server + 2 engram workers)', () => {
  const pool = useQueueSuite(2)

  it('merges configs trained by two workers, in whatever order they finish, into the local result', async () => {
    const s = spec({ trainingSteps: 60, trials: 2 })
    const ran = new Map<string, string>()
    const progress: number[] = []
    const queued = await runOnQueue(s, { onProgress: (f) => progress.push(f) }, { url: pool.url, onShard: (shard, r) => ran.set(shard.id, r.worker ?? '') })
    const local = await runExperiment(s, null)
    expect(local.compute.path).toBe('engine')
    expect(untimed(queued)).toBe(untimed(local))
    expect(ran.size).toBe(8) // one config per shard by default
    expect(new Set(ran.values()).size).toBe(2)
    expect(progress.at(-1)).toBe(1)
  })

  it('cancel removes the waiting shards and stops the running training', async () => {
    const s = spec({ trainingSteps: 20000, trials: 3 })
    const mark = eventMark()
    let cancel = false
    const t0 = Date.now()
    const running = runOnQueue(s, { shouldCancel: () => cancel }, { url: pool.url, pollMs: 100 })
    await until('a shard to start', () => pool.eventsSince(mark).some((e) => e.event === 'started'))
    cancel = true
    await expect(running).rejects.toBeInstanceOf(CancelledError)
    expect(await pool.queue.getWaitingCount()).toBe(0)
    await until('a running shard to stop on the cancel key', () => pool.eventsSince(mark).some((e) => e.event === 'cancelled'), 10_000)
    expect(pool.eventsSince(mark).filter((e) => e.event === 'done')).toHaveLength(0)
    expect(Date.now() - t0).toBeLessThan(15_000)
  })

  it('refuses a bad delay shard with a message naming the field, and does not retry it', async () => {
    const good = { v: 1, runId: 'bad-delay', engram: ENGRAM_VERSION, spec: spec({ trainingSteps: 20 }), shard: { type: 'delay', id: 'delay-c0-d0-t0-1', ci: 0, di: 0, t0: 0, t1: 1 } }
    const job = await pool.queue.add('bad', { ...good, shard: { ...good.shard, di: -1 } }, { attempts: 3 })
    await expect(job.waitUntilFinished(pool.events, 10_000)).rejects.toThrow(/bad job payload: data\.shard\.di: /)
    expect((await pool.queue.getJob(job.id!))?.attemptsMade).toBe(1)
  })
})
