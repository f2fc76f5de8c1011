// Where jobs run, as a setting of the backend (the app's "Jobs run on" control, `engram serve --queue`): this machine by
// default with no Redis at all; a queue URL is checked (scheme, then a real connection, with a password) before it is
// taken, shown with its password masked, kept in the data directory (mode 0600) for the next start, and routes the next
// shardable job to the queue; set back to this machine, jobs run here again.
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Queue } from 'bullmq'
import { Backend } from '../../src/main/services/backend'
import { connectionFromUrl, SHARD_QUEUE } from '../../src/main/queue/connection'
import { jobOutcome, sourceWorker, tempDir } from '../helpers/backend'
import { freePort, haveRedis, startRedis } from '../helpers/queue-pool'

const backendOn = (dir: string) => new Backend({ dataDir: dir, transport: 'websocket', worker: sourceWorker(), provider: 'cpu' })
const capacity = { name: 'where', seed: 3, model: { kind: 'hopfield' }, sweep: { type: 'capacity', units: 32, patternCounts: [2, 4], rules: ['hebb'], trials: 2, noise: 0.1, cuesPerPattern: 2, recall: { mode: 'sync', maxSweeps: 10 } } } as const

describe('the queue setting', () => {
  it('is this machine by default, and a bad or unreachable URL is refused naming params.queue', async () => {
    const tmp = tempDir('engram-settings-')
    const backend = backendOn(tmp.dir)
    try {
      expect(await backend.call('settings.get', {})).toEqual({ queue: null })
      await expect(backend.call('settings.update', { queue: 'http://127.0.0.1:6379' })).rejects.toMatchObject({ field: 'params.queue', message: "settings.update: params.queue: expected a redis:// or rediss:// URL, got 'http:'" })
      await expect(backend.call('settings.update', { queue: 'queue.lan:6379' })).rejects.toMatchObject({ field: 'params.queue' })
      const port = await freePort()
      await expect(backend.call('settings.update', { queue: `redis://:pw@127.0.0.1:${port}` })).rejects.toMatchObject({
        field: 'params.queue',
        message: `params.queue: queue redis://:***@127.0.0.1:${port}: cannot connect (connect ECONNREFUSED 127.0.0.1:${port})`
      })
      expect(await backend.call('settings.get', {})).toEqual({ queue: null })
    } finally {
      await backend.close()
      tmp.cleanup()
    }
  })

  it.skipIf(!haveRedis)('takes a reachable queue with a password (masked), keeps it for the next start, and routes jobs there until set back', async () => {
    const redis = await startRedis('pa ss')
    const port = new URL(redis.url).port
    const url = `redis://:pa%20ss@127.0.0.1:${port}`
    const tmp = tempDir('engram-settings-')
    let backend = backendOn(tmp.dir)
    const queue = new Queue(SHARD_QUEUE, { connection: connectionFromUrl(url) })
    try {
      await expect(backend.call('settings.update', { queue: `redis://:wrong@127.0.0.1:${port}` })).rejects.toThrow(/params\.queue: .*WRONGPASS/)
      expect(await backend.call('settings.update', { queue: url })).toEqual({ queue: `redis://:***@127.0.0.1:${port}` })
      const file = join(tmp.dir, 'settings.json')
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ queue: url })
      expect(statSync(file).mode & 0o777).toBe(0o600)
      // The next start reads it.
      await backend.close()
      backend = backendOn(tmp.dir)
      expect(await backend.call('settings.get', {})).toEqual({ queue: `redis://:***@127.0.0.1:${port}` })
      // A capacity sweep now goes to the queue (no worker here: its shards wait there until the cancel removes them).
      const session = await backend.call('sessions.create', { name: 's' })
      const { jobId } = await backend.call('jobs.start', { sessionId: session.id, spec: { kind: 'experiment', spec: capacity } })
      let waiting = 0
      for (let i = 0; i < 200 && waiting === 0; i++) {
        waiting = await queue.getWaitingCount()
        await new Promise((r) => setTimeout(r, 25))
      }
      expect(waiting).toBe(2)
      const failed = jobOutcome(backend, jobId).catch((e: Error & { cancelled?: boolean }) => e)
      await backend.call('jobs.cancel', { jobId })
      expect(await failed).toMatchObject({ cancelled: true })
      expect(await queue.getWaitingCount()).toBe(0)
      // Back to this machine: the same sweep runs here.
      expect(await backend.call('settings.update', { queue: null })).toEqual({ queue: null })
      const again = await backend.call('jobs.start', { sessionId: session.id, spec: { kind: 'experiment', spec: capacity } })
      expect((await jobOutcome(backend, again.jobId)).result.kind).toBe('experiment')
      expect(await queue.getWaitingCount()).toBe(0)
    } finally {
      await queue.close()
      await backend.close()
      tmp.cleanup()
      redis.stop()
    }
  })
})
