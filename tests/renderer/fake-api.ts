// An in-memory EngramApi for store tests: scripted method handlers, recorded calls, emitted events. Like the
// backend it checks every call's params against the contract (a bad call is refused with the backend's error), and
// it checks every scripted result and emitted event too, so a store test cannot drift from the shared schemas.
import { ApiError, describeZodError, eventSchemas, methods, parseParams, type EngramApi, type EventName, type Events, type MethodName, type Params, type Result } from '../../src/shared/api'
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
    parseParams(method, params)
    const fn = this.handlers.get(method)
    if (!fn) throw new ApiError({ code: 'bad-request', message: `${method}: not scripted` })
    const result = await fn(params as never)
    const checked = methods[method].result.safeParse(result)
    if (!checked.success) throw new Error(`fake ${method}: the scripted result breaks the contract: ${describeZodError(checked.error, 'result').message}`)
    return result as Result<M>
  }

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as (p: unknown) => void)
    return () => set.delete(listener as (p: unknown) => void)
  }

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    const checked = eventSchemas[event].safeParse(payload)
    if (!checked.success) throw new Error(`fake ${event}: the emitted payload breaks the contract: ${describeZodError(checked.error, 'payload').message}`)
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
