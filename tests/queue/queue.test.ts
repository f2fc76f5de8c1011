// Runs on a real queue: Debian's redis-server (started here on a free loopback port, no persistence) and three
// `engram worker` processes from the built CLI. A capacity sweep on the queue merges to the local result number for
// number; a worker SIGKILLed mid-shard loses nothing (its shard reruns on another worker, counted once); a cancel
// removes the waiting shards and stops the running ones; a bad job payload is refused naming the field.
import { describe, expect, it } from 'vitest'
import { runOnQueue } from '../../src/main/queue/coordinator'
import { runExperiment } from '../../src/main/services/experiments'
import { CancelledError } from '../../src/shared/errors'
import { ENGRAM_VERSION } from '../../src/main/version'
import { experimentSpecSchema, type ExperimentResult } from '../../src/shared/spec'
import { Backend } from '../../src/main/services/backend'
import { jobOutcome, sourceWorker, tempDir } from '../helpers/backend'
import { eventMark, haveRedis, until, type WorkerProc } from '../helpers/queue-pool'
import { useQueueSuite } from '../helpers/queue-suite'

const spec = (sweep: object) => experimentSpecSchema.parse({ name: 'queue', seed: 17, model: { kind: 'hopfield' }, engine: { provider: 'cpu', threads: 1 }, sweep })
const untimed = (r: ExperimentResult) => JSON.stringify({ ...r, createdAt: null })
// About 0.5–1 s per shard of 2 trials on this machine: long enough to be killed or cancelled mid-shard.
const slow = { type: 'capacity', units: 256, patternCounts: [24], rules: ['hebb', 'storkey'], noise: 0.15, cuesPerPattern: 20, recall: { mode: 'async', maxSweeps: 30 } }

describe.skipIf(!haveRedis)('capacity sweeps on a BullMQ queue (redis-server + 3 engram workers)', () => {
  const pool = useQueueSuite(3, ['--lock-ms', '2000', '--stalled-ms', '500'])
  const { workers, allEvents, eventsSince } = pool
  const startWorker = () => pool.addWorker()

  it('merges shards run by several workers, in whatever order they finish, into the local result', async () => {
    const s = spec({ type: 'capacity', units: 64, patternCounts: [3, 8, 14], rules: ['hebb', 'storkey', 'pseudo-inverse'], trials: 8, noise: 0.1, cuesPerPattern: 3, recall: { mode: 'sync', maxSweeps: 30 } })
    const ran = new Map<string, string>()
    const progress: number[] = []
    const queued = await runOnQueue(s, { onProgress: (f) => progress.push(f) }, { url: pool.url, trialsPerShard: 1, onShard: (shard, r) => ran.set(shard.id, r.worker ?? '') })
    expect(untimed(queued)).toBe(untimed(await runExperiment(s, null)))
    expect(ran.size).toBe(24)
    expect(new Set(ran.values()).size).toBeGreaterThanOrEqual(2)
    expect(progress.at(-1)).toBe(1)
  })

  it('reruns the shard of a worker killed mid-shard on another worker, counted once: the result is unchanged', async () => {
    const s = spec({ ...slow, trials: 6 })
    const marks = workers.map((w) => w.events.length)
    const startedSince = (w: WorkerProc, i: number) => w.events.slice(marks[i]).find((e) => e.event === 'started')
    const ran = new Map<string, string>()
    const running = runOnQueue(s, {}, { url: pool.url, trialsPerShard: 2, pollMs: 250, onShard: (shard, r) => ran.set(shard.id, r.worker ?? '') })
    await until('a shard to start', () => workers.some(startedSince))
    const victim = workers.find(startedSince)!
    const started = startedSince(victim, workers.indexOf(victim))!
    victim.proc.kill('SIGKILL')
    await victim.exited
    // The kill landed mid-shard: the worker said it started the shard and never that it finished it.
    expect(victim.events.some((e) => e.event === 'done' && e.job === started.job)).toBe(false)
    startWorker() // keep three for the tests after this one
    const queued = await running
    expect(untimed(queued)).toBe(untimed(await runExperiment(s, null)))
    const rerunBy = ran.get(String(started.shard))
    expect(rerunBy).toBeDefined()
    expect(rerunBy).not.toBe(started.worker)
    expect(ran.size).toBe(3)
  })

  it('cancel removes the waiting shards and stops the running ones', async () => {
    const s = spec({ ...slow, trials: 40 })
    const mark = eventMark()
    const since = () => eventsSince(mark)
    let cancel = false
    const t0 = Date.now()
    // 4 trials a shard (1–2 s): well over the cancel's way to a running shard (the coordinator's 100 ms poll, then the
    // worker's 250 ms read of the key). With 2 trials (0.5–1 s) all three first shards could end before the key was
    // read, and no shard was left to stop (seen once in CI).
    const perShard = 4
    const running = runOnQueue(s, { shouldCancel: () => cancel }, { url: pool.url, trialsPerShard: perShard, pollMs: 100 })
    await until('a shard to start', () => since().some((e) => e.event === 'started'))
    cancel = true
    await expect(running).rejects.toBeInstanceOf(CancelledError)
    expect(await pool.queue.getWaitingCount()).toBe(0)
    await until('a running shard to stop on the cancel key', () => since().some((e) => e.event === 'cancelled'), 10_000)
    // Every shard that started has ended (cancelled, or done just before the cancel reached it): the workers are idle.
    await until('every started shard to end', () => since().filter((e) => e.event === 'started').every((st) => since().some((e) => e.job === st.job && (e.event === 'cancelled' || e.event === 'done'))), 10_000)
    expect(since().filter((e) => e.event === 'done').length).toBeLessThan(40 / perShard)
    expect(Date.now() - t0).toBeLessThan(15_000)
  })

  it('a backend with a queue (engram serve --queue, ENGRAM_QUEUE in the app) runs a capacity job there; the session gets the local numbers', async () => {
    const tmp = tempDir('engram-queue-')
    const backend = new Backend({ dataDir: tmp.dir, transport: 'websocket', worker: sourceWorker(), provider: 'cpu', queue: pool.url })
    try {
      const sweep = { type: 'capacity', units: 48, patternCounts: [4, 9], rules: ['hebb'], trials: 6, noise: 0.1, cuesPerPattern: 2, recall: { mode: 'sync', maxSweeps: 30 } } as const
      const raw = { name: 'queue', seed: 17, model: { kind: 'hopfield' }, engine: { provider: 'cpu', threads: 1 }, sweep } as const
      const session = await backend.call('sessions.create', { name: 'queued' })
      const mark = eventMark()
      const { jobId } = await backend.call('jobs.start', { sessionId: session.id, spec: { kind: 'experiment', spec: raw } })
      const done = await jobOutcome(backend, jobId)
      if (done.result.kind !== 'experiment') throw new Error('expected an experiment result')
      const local = await runExperiment(spec(sweep), null)
      expect(JSON.stringify(done.result.record.result.sweep)).toBe(JSON.stringify(local.sweep))
      // It ran on the workers (2 shards of 4 trials, then 1 of 2, per pattern count), not in a thread here.
      expect(eventsSince(mark).filter((e) => e.event === 'done').length).toBe(4)
    } finally {
      await backend.close()
      tmp.cleanup()
    }
  })

  it('refuses a bad job payload with a message naming the field, and does not retry it', async () => {
    const good = { v: 1, runId: 'bad-payload', engram: ENGRAM_VERSION, spec: spec({ ...slow, trials: 2 }), shard: { type: 'capacity', id: 'capacity-p0-t0-1', pi: 0, t0: 0, t1: 1 } }
    const job = await pool.queue.add('bad', { ...good, shard: { ...good.shard, t0: 'zero' } }, { attempts: 3 })
    await expect(job.waitUntilFinished(pool.events, 10_000)).rejects.toThrow(/bad job payload: data\.shard\.t0: .*expected number/)
    await until('the refusal in a worker log', () => allEvents().some((e) => e.event === 'refused' && e.job === job.id))
    expect((await pool.queue.getJob(job.id!))?.attemptsMade).toBe(1)
    // A run from another Engram version could compute other numbers: refused too.
    const other = await pool.queue.add('other-version', { ...good, engram: '0.0.9' }, { attempts: 3 })
    await expect(other.waitUntilFinished(pool.events, 10_000)).rejects.toThrow(`bad job payload: data.engram: the run is Engram 0.0.9, this worker is`)
  })
})
