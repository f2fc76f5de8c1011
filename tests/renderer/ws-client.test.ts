import { describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { ApiError } from '../../src/shared/api'
import { useErrorsStore } from '../../src/renderer/src/stores/errors'
import { WsClient, wsUrlFor, type SocketLike } from '../../src/renderer/src/api/ws-client'

class FakeSocket implements SocketLike {
  readyState = 0
  sent: unknown[] = []
  closed: { code?: number } | null = null
  onopen: ((ev: unknown) => void) | null = null
  onclose: ((ev: { code: number; reason: string }) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }
  close(code?: number): void {
    this.closed = { code }
  }
  open(): void {
    this.readyState = 1
    this.onopen?.({})
  }
  receive(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) })
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }
}

function setup() {
  const sockets: FakeSocket[] = []
  const timers: { fn: () => void; ms: number }[] = []
  const client = new WsClient('ws://h/api/ws?token=t', {
    createSocket: (url) => {
      const s = new FakeSocket(url)
      sockets.push(s)
      return s
    },
    setTimer: (fn, ms) => {
      timers.push({ fn, ms })
      return timers.length
    },
    clearTimer: () => {}
  })
  return { client, sockets, timers }
}

describe('WsClient', () => {
  it('builds the socket URL from the page and its token', () => {
    expect(wsUrlFor({ protocol: 'http:', host: '127.0.0.1:5000', search: '?token=a%2Bb' }, null)).toBe('ws://127.0.0.1:5000/api/ws?token=a%2Bb')
    expect(wsUrlFor({ protocol: 'https:', host: 'box', search: '' }, 'kept')).toBe('wss://box/api/ws?token=kept')
  })

  it('queues calls until open, then resolves them by id', async () => {
    const { client, sockets } = setup()
    const p = client.call('datasets.list', {})
    expect(sockets[0]!.sent).toEqual([])
    sockets[0]!.open()
    const frame = sockets[0]!.sent[0] as { type: string; id: number; method: string; params: unknown }
    expect(frame).toMatchObject({ type: 'call', method: 'datasets.list', params: {} })
    sockets[0]!.receive({ type: 'result', id: frame.id, result: [] })
    await expect(p).resolves.toEqual([])
  })

  it('rejects with an ApiError that names the field', async () => {
    const { client, sockets } = setup()
    sockets[0]!.open()
    const p = client.call('sessions.open', { id: 'x' })
    const { id } = sockets[0]!.sent[0] as { id: number }
    sockets[0]!.receive({ type: 'error', id, error: { code: 'not-found', message: 'sessions.open: no session x', field: 'params.id' } })
    const error = await p.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ code: 'not-found', field: 'params.id', message: 'sessions.open: no session x' })
  })

  it('delivers events to listeners until they unsubscribe', () => {
    const { client, sockets } = setup()
    sockets[0]!.open()
    const got: number[] = []
    const off = client.on('job.progress', (p) => got.push(p.fraction))
    const payload = { jobId: 'j', sessionId: 's', kind: 'recall.batch', rate: 1, etaSeconds: null, message: '' }
    sockets[0]!.receive({ type: 'event', event: 'job.progress', payload: { ...payload, fraction: 0.5 } })
    off()
    sockets[0]!.receive({ type: 'event', event: 'job.progress', payload: { ...payload, fraction: 0.9 } })
    expect(got).toEqual([0.5])
  })

  it('fails calls in flight when the socket drops, and reconnects with growing delays', async () => {
    const { client, sockets, timers } = setup()
    const statuses: string[] = []
    client.onStatus((i) => statuses.push(i.status))
    sockets[0]!.open()
    const p = client.call('app.info', {})
    sockets[0]!.drop()
    await expect(p).rejects.toMatchObject({ code: 'failed' })
    expect(timers.map((t) => t.ms)).toEqual([500])
    timers[0]!.fn()
    sockets[1]!.drop()
    expect(timers.map((t) => t.ms)).toEqual([500, 1000])
    timers[1]!.fn()
    sockets[2]!.open()
    expect(statuses).toContain('reconnecting')
    expect(statuses[statuses.length - 1]).toBe('open')
    // After a successful open the backoff starts again from the base delay.
    sockets[2]!.drop()
    expect(timers[2]!.ms).toBe(500)
  })

  it('a refused token fails the waiting calls as unauthorized (one problem), not as lost connections', async () => {
    const { client, sockets } = setup()
    const calls = [client.call('app.info', {}), client.call('sessions.list', {}), client.call('datasets.list', {})]
    sockets[0]!.drop(4401, 'missing or wrong token')
    const outcomes = await Promise.allSettled(calls)
    for (const o of outcomes) {
      expect(o.status).toBe('rejected')
      expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'unauthorized' })
      expect(String((o as PromiseRejectedResult).reason.message)).not.toMatch(/connection to the backend was lost/)
    }
    // The error banner takes none of them: the workbench shows the refused token once, as the connection state.
    setActivePinia(createPinia())
    const errors = useErrorsStore()
    for (const o of outcomes) errors.push((o as PromiseRejectedResult).reason, 'boot')
    expect(errors.items).toEqual([])
    errors.push(new ApiError({ code: 'failed', message: 'x' }))
    expect(errors.items).toHaveLength(1)
  })

  it('stops retrying when the server refuses the token', async () => {
    const { client, sockets, timers } = setup()
    sockets[0]!.drop(4401, 'bad token')
    expect(client.connection.status).toBe('unauthorized')
    expect(timers).toEqual([])
    await expect(client.call('app.info', {})).rejects.toMatchObject({ code: 'unauthorized' })
  })
})
