// Where the job queue lives: a redis:// or rediss:// (TLS) URL, with an optional password, as ioredis options for
// BullMQ, and the names every coordinator and worker agree on.
import type { ConnectionOptions } from 'bullmq'
import type { RedisOptions } from 'ioredis'
import { maskQueueUrl, queueUrlProblem } from '../../shared/queue-url'

/** The one BullMQ queue of shard jobs (one Redis can serve several Engram pools through several databases: /1, /2…). */
export const SHARD_QUEUE = 'engram-shards'

/** Set by a coordinator when its run is cancelled; workers poll it between batches of cues. */
export const cancelKey = (runId: string): string => `engram:cancel:${runId}`

/** How long a cancel key outlives the run (a worker that picks up a late shard still sees it). */
export const CANCEL_KEY_TTL_S = 24 * 3600

export class QueueUrlError extends Error {}

/** The queue cannot be reached (refused, wrong password, TLS certificate not trusted, timeout). */
export class QueueConnectError extends Error {}

/** How long a coordinator or worker waits for Redis before it gives up with the reason. */
export const CONNECT_TIMEOUT_MS = 10_000

/**
 * ioredis options from a queue URL: redis://[[user]:password@]host[:port][/db] or rediss://… for TLS. `field` names
 * the option the URL came from (--queue) in errors. BullMQ needs maxRetriesPerRequest: null on worker connections.
 */
export function connectionFromUrl(url: string, field = '--queue'): ConnectionOptions {
  const problem = queueUrlProblem(url)
  if (problem) throw new QueueUrlError(`${field}: ${problem}`)
  const u = new URL(url)
  const port = u.port ? Number(u.port) : 6379
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
    maxRetriesPerRequest: null
  }
}

/**
 * Checks that the queue answers (connect, AUTH, TLS, PING) with a throwaway client that does not retry, before any
 * BullMQ object is made: ioredis would otherwise retry a wrong password or a refused connection for ever, and a
 * BullMQ client that never connected neither closes cleanly nor lets the process exit.
 */
export async function checkQueue(url: string, ms = CONNECT_TIMEOUT_MS): Promise<void> {
  const { Redis } = await import('ioredis') // loaded only where a queue is used (the app starts without it)
  const client = new Redis({ ...(connectionFromUrl(url) as RedisOptions), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: ms })
  // The cause (refused, WRONGPASS, certificate) arrives as an 'error' event; connect() then only says "closed".
  let cause: Error | undefined
  client.on('error', (error: Error) => (cause ??= error))
  try {
    await client.connect()
    await client.ping()
  } catch (error) {
    const why = cause ?? (error instanceof Error ? error : new Error(String(error)))
    throw new QueueConnectError(`queue ${redactUrl(url)}: cannot connect (${why.message})`)
  } finally {
    client.disconnect()
  }
}

/** The URL for logs: the password replaced by ***. */
export const redactUrl = maskQueueUrl
