// Where the job queue lives: a redis:// or rediss:// (TLS) URL, with an optional password, as ioredis options for
// BullMQ, and the names every coordinator and worker agree on.
import type { ConnectionOptions } from 'bullmq'

/** The one BullMQ queue of shard jobs (one Redis can serve several Engram pools through several databases: /1, /2…). */
export const SHARD_QUEUE = 'engram-shards'

/** Set by a coordinator when its run is cancelled; workers poll it between batches of cues. */
export const cancelKey = (runId: string): string => `engram:cancel:${runId}`

/** How long a cancel key outlives the run (a worker that picks up a late shard still sees it). */
export const CANCEL_KEY_TTL_S = 24 * 3600

export class QueueUrlError extends Error {}

/**
 * ioredis options from a queue URL: redis://[[user]:password@]host[:port][/db] or rediss://… for TLS. `field` names
 * the option the URL came from (--queue) in errors. BullMQ needs maxRetriesPerRequest: null on worker connections.
 */
export function connectionFromUrl(url: string, field = '--queue'): ConnectionOptions {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new QueueUrlError(`${field}: '${url}' is not a URL (expected redis://HOST:PORT or rediss://:PASSWORD@HOST:PORT)`)
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new QueueUrlError(`${field}: expected a redis:// or rediss:// URL, got '${u.protocol}'`)
  if (!u.hostname) throw new QueueUrlError(`${field}: the URL has no host`)
  const port = u.port ? Number(u.port) : 6379
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0
  if (!Number.isInteger(db) || db < 0) throw new QueueUrlError(`${field}: '${u.pathname.slice(1)}' is not a database number`)
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

/** The URL for logs: the password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(invalid URL)'
  }
}
