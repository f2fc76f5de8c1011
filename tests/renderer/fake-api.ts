// An in-memory EngramApi for store tests: scripted method handlers, recorded calls, emitted events.
import { ApiError, type EngramApi, type EventName, type Events, type MethodName, type Params, type Result } from '../../src/shared/api'
import { emptySessionState, type SessionState } from '../../src/shared/session'

type Handler<M extends MethodName> = (params: Params<M>) => Result<M> | Promise<Result<M>>

export class FakeApi implements EngramApi {
  readonly calls: { method: MethodName; params: unknown }[] = []
  private readonly handlers = new Map<MethodName, Handler<MethodName>>()
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>()

  constructor() {
    // No running jobs unless a test scripts some.
    this.handle('jobs.list', () => [])
  }

  handle<M extends MethodName>(method: M, fn: Handler<M>): this {
    this.handlers.set(method, fn as unknown as Handler<MethodName>)
    return this
  }

  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    this.calls.push({ method, params })
    const fn = this.handlers.get(method)
    if (!fn) throw new ApiError({ code: 'bad-request', message: `${method}: not scripted` })
    return (await fn(params as never)) as Result<M>
  }

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as (p: unknown) => void)
    return () => set.delete(listener as (p: unknown) => void)
  }

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const l of this.listeners.get(event) ?? []) l(payload)
  }

  callsOf(method: MethodName): unknown[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.params)
  }
}

export function emptySession(id = 's1', name = 'Test'): SessionState {
  return emptySessionState(id, name, '2026-01-01T00:00:00.000Z')
}

/** A 2×2 toy dataset with four patterns. */
export const TOY = {
  summary: { id: 'seeds-000-nine' as const, name: 'toy', description: 'toy', count: 4, width: 2, height: 2, source: 'test' },
  patterns: [
    [1, -1, -1, 1],
    [-1, 1, 1, -1],
    [1, 1, -1, -1],
    [-1, -1, 1, 1]
  ],
  labels: ['a', 'b', 'c', 'd']
}

export function scriptToyDatasets(api: FakeApi): FakeApi {
  return api.handle('datasets.list', () => [TOY.summary]).handle('datasets.get', (p) => {
    const offset = p.offset ?? 0
    const limit = p.limit ?? 200
    return { summary: TOY.summary, offset, patterns: TOY.patterns.slice(offset, offset + limit), labels: TOY.labels.slice(offset, offset + limit) }
  })
}
