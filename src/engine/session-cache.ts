// Process-wide cache of ORT sessions keyed by model bytes, provider request and thread count.
import { createHash } from 'node:crypto'
import { createSession, resolveThreads, type CreatedSession, type CreateSessionOptions } from './ort'

/** Hex SHA-256 of the model: the models are small (weights are inputs), so hashing is cheap. */
export function modelHash(model: Uint8Array): string {
  return createHash('sha256').update(model).digest('hex')
}

export class SessionCache {
  // Map order doubles as LRU order: a hit is moved to the end.
  private readonly entries = new Map<string, Promise<CreatedSession>>()

  constructor(readonly maxEntries = 8) {}

  get size(): number {
    return this.entries.size
  }

  key(model: Uint8Array, opts: CreateSessionOptions = {}): string {
    return `${modelHash(model)}|${opts.provider ?? 'auto'}|${resolveThreads(opts.threads)}`
  }

  /**
   * The cached session for this model and options, created on first use. Concurrent callers share
   * one creation; a failed creation is not cached.
   */
  get(model: Uint8Array, opts: CreateSessionOptions = {}): Promise<CreatedSession> {
    const key = this.key(model, opts)
    const hit = this.entries.get(key)
    if (hit) {
      this.entries.delete(key)
      this.entries.set(key, hit)
      return hit
    }
    const created = createSession(model, opts)
    this.entries.set(key, created)
    created.catch(() => {
      if (this.entries.get(key) === created) this.entries.delete(key)
    })
    this.evict()
    return created
  }

  /** Releases every session. Callers must not be mid-run on one. */
  async clear(): Promise<void> {
    const all = [...this.entries.values()]
    this.entries.clear()
    await Promise.all(all.map((p) => p.then((c) => c.session.release(), () => undefined)))
  }

  private evict(): void {
    while (this.entries.size > this.maxEntries) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Promise<CreatedSession>]
      this.entries.delete(oldestKey)
      // Release asynchronously; an evicted session still in use by a slow caller is a caller bug
      // only with more than maxEntries models in flight at once.
      oldest.then((c) => c.session.release(), () => undefined)
    }
  }
}

/** The cache the engine's programs share within one process (or worker thread). */
export const sessionCache = new SessionCache()
