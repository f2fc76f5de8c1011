// A queue for one describe block: redis-server, `engram worker` processes from the built CLI, and a BullMQ Queue and
// QueueEvents on it for the tests' own jobs; started in beforeAll, killed in afterAll.
import { afterAll, beforeAll } from 'vitest'
import { Queue, QueueEvents } from 'bullmq'
import { connectionFromUrl, SHARD_QUEUE } from '../../src/main/queue/connection'
import { ensureBuiltCli, isReady, startRedis, startWorker, until, type LocalRedis, type WorkerProc } from './queue-pool'

export interface QueueSuite {
  url: string
  workers: WorkerProc[]
  queue: Queue
  events: QueueEvents
  /** One more worker (same arguments). */
  addWorker(): WorkerProc
  /** Every worker's events, and those after an eventMark(). */
  allEvents(): Record<string, unknown>[]
  eventsSince(mark: number): Record<string, unknown>[]
}

/** `count` workers started with `workerArgs` on a private redis-server, for the calling describe block. */
export function useQueueSuite(count: number, workerArgs: string[] = []): QueueSuite {
  let redis: LocalRedis | undefined
  const suite = {
    url: '',
    workers: [] as WorkerProc[],
    addWorker(): WorkerProc {
      const w = startWorker(suite.url, workerArgs)
      suite.workers.push(w)
      return w
    },
    allEvents: () => suite.workers.flatMap((w) => w.events),
    eventsSince: (mark: number) => suite.allEvents().filter((e) => (e.seq as number) > mark)
  } as QueueSuite

  beforeAll(async () => {
    ensureBuiltCli()
    redis = await startRedis()
    suite.url = redis.url
    for (let i = 0; i < count; i++) suite.addWorker()
    await until(`${count} workers ready`, () => suite.workers.every(isReady), 40_000)
    suite.queue = new Queue(SHARD_QUEUE, { connection: connectionFromUrl(suite.url) })
    suite.events = new QueueEvents(SHARD_QUEUE, { connection: connectionFromUrl(suite.url) })
    await suite.events.waitUntilReady()
  })

  afterAll(async () => {
    await suite.events?.close()
    await suite.queue?.close()
    for (const w of suite.workers) w.proc.kill('SIGKILL')
    await Promise.all(suite.workers.map((w) => w.exited))
    redis?.stop()
  })
  return suite
}
