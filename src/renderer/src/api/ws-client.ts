// EngramApi over a WebSocket to `engram serve` (browser mode, remote box, e2e tests).
// Frames are JSON text: {type:'call',id,method,params} out; {type:'result'|'error'|'event',...} in.
import { ApiError, type EngramApi, type EventName, type Events, type MethodName, type Params, type Result } from '../../../shared/api'
import type { ProbeSocket } from '../../../shared/remote-backend'
import { isApiErrorPayload } from './errors'

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'unauthorized' | 'closed'

export interface ConnectionInfo {
  status: ConnectionStatus
  transport: 'ipc' | 'websocket'
  /** Next reconnect attempt (ms since epoch) while reconnecting. */
  retryAt: number | null
  detail: string
}

/** The part of the WebSocket interface the client uses (lets tests pass a fake): the probe's, and the ready state. */
export interface SocketLike extends ProbeSocket {
  readyState: number
}

export interface WsClientOptions {
  createSocket?: (url: string) => SocketLike
  /** First reconnect delay; doubles per failure up to maxDelayMs. */
  baseDelayMs?: number
  maxDelayMs?: number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
  /** Shown while the socket has never opened (e.g. the page URL lacks its token). */
  neverOpenedHint?: string
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
  method: string
}

const OPEN = 1
/** Close codes after which retrying cannot help (bad or missing token). */
const FATAL_CLOSE_CODES = new Set([1008, 4001, 4003, 4401, 4403])

export class WsClient implements EngramApi {
  private socket: SocketLike | null = null
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly outbox: string[] = []
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>()
  private readonly statusListeners = new Set<(info: ConnectionInfo) => void>()
  private failures = 0
  private everOpened = false
  private timer: unknown = null
  private stopped = false
  private info: ConnectionInfo = { status: 'connecting', transport: 'websocket', retryAt: null, detail: '' }
  private readonly createSocket: (url: string) => SocketLike
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly setTimer: (fn: () => void, ms: number) => unknown
  private readonly clearTimer: (handle: unknown) => void
  private readonly neverOpenedHint: string

  constructor(
    private readonly url: string,
    options: WsClientOptions = {}
  ) {
    this.createSocket = options.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike)
    this.baseDelayMs = options.baseDelayMs ?? 500
    this.maxDelayMs = options.maxDelayMs ?? 10_000
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>))
    this.neverOpenedHint = options.neverOpenedHint ?? ''
    this.connect()
  }

  get connection(): ConnectionInfo {
    return this.info
  }

  onStatus(listener: (info: ConnectionInfo) => void): () => void {
    this.statusListeners.add(listener)
    listener(this.info)
    return () => this.statusListeners.delete(listener)
  }

  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    if (this.stopped) return Promise.reject(new ApiError({ code: 'failed', message: 'connection closed' }))
    if (this.info.status === 'unauthorized') {
      return Promise.reject(new ApiError({ code: 'unauthorized', message: this.info.detail }))
    }
    const id = this.nextId++
    const frame = JSON.stringify({ type: 'call', id, method, params: params ?? {} })
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method })
      if (this.socket && this.socket.readyState === OPEN) this.socket.send(frame)
      else this.outbox.push(frame)
    })
  }

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) {
      set = new Set()
      this.listeners.set(event, set)
    }
    const fn = listener as (payload: unknown) => void
    set.add(fn)
    return () => set.delete(fn)
  }

  /** Reconnect now instead of waiting for the backoff timer. */
  retryNow(): void {
    if (this.stopped || this.info.status === 'open' || this.info.status === 'connecting') return
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = null
    this.connect()
  }

  close(): void {
    this.stopped = true
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = null
    this.socket?.close(1000, 'client closed')
    this.failPending('connection closed')
    this.setInfo({ status: 'closed', retryAt: null, detail: 'closed' })
  }

  private setInfo(patch: Partial<ConnectionInfo>): void {
    this.info = { ...this.info, ...patch }
    for (const listener of this.statusListeners) listener(this.info)
  }

  private connect(): void {
    this.setInfo({ status: this.failures === 0 ? 'connecting' : 'reconnecting', retryAt: null })
    let socket: SocketLike
    try {
      socket = this.createSocket(this.url)
    } catch (error) {
      this.scheduleReconnect(error instanceof Error ? error.message : String(error))
      return
    }
    this.socket = socket
    socket.onopen = () => {
      if (this.socket !== socket) return
      this.failures = 0
      this.everOpened = true
      this.setInfo({ status: 'open', retryAt: null, detail: '' })
      const frames = this.outbox.splice(0)
      for (const frame of frames) socket.send(frame)
    }
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.handleMessage(ev.data)
    }
    socket.onerror = () => {
      // onclose follows with the code; nothing to do here.
    }
    socket.onclose = (ev) => {
      if (this.socket !== socket) return
      this.socket = null
      this.outbox.length = 0
      if (FATAL_CLOSE_CODES.has(ev.code) && !this.stopped) {
        // A refused token is one problem, not one per waiting call: they fail as unauthorized, which the workbench
        // shows once (the connection banner), and nothing retries.
        const detail = ev.reason || 'the server refused the token'
        this.setInfo({ status: 'unauthorized', retryAt: null, detail })
        this.failPending(detail, 'unauthorized')
        return
      }
      // Calls in flight are lost with the socket: the backend answers on the connection it got them on.
      this.failPending('connection to the backend was lost; try again')
      if (this.stopped) return
      const hint = !this.everOpened && this.neverOpenedHint ? `; ${this.neverOpenedHint}` : ''
      this.scheduleReconnect(`${ev.reason || `closed (${ev.code})`}${hint}`)
    }
  }

  private scheduleReconnect(detail: string): void {
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** this.failures)
    this.failures++
    this.setInfo({ status: 'reconnecting', retryAt: Date.now() + delay, detail })
    this.timer = this.setTimer(() => {
      this.timer = null
      this.connect()
    }, delay)
  }

  private failPending(message: string, code: 'failed' | 'unauthorized' = 'failed'): void {
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending) p.reject(new ApiError({ code, message: `${p.method}: ${message}` }))
  }

  private handleMessage(data: unknown): void {
    if (typeof data !== 'string') return
    let msg: unknown
    try {
      msg = JSON.parse(data)
    } catch {
      return
    }
    if (typeof msg !== 'object' || msg === null) return
    const m = msg as { type?: unknown; id?: unknown; result?: unknown; error?: unknown; event?: unknown; payload?: unknown }
    if (m.type === 'event' && typeof m.event === 'string') {
      const set = this.listeners.get(m.event)
      if (!set) return
      for (const listener of [...set]) {
        try {
          listener(m.payload)
        } catch (error) {
          console.error(`listener for ${m.event} failed`, error)
        }
      }
      return
    }
    const id = typeof m.id === 'string' ? Number(m.id) : m.id
    if ((m.type === 'result' || m.type === 'error') && typeof id === 'number') {
      const p = this.pending.get(id)
      if (!p) return
      this.pending.delete(id)
      if (m.type === 'result') p.resolve(m.result)
      else if (isApiErrorPayload(m.error)) p.reject(new ApiError(m.error))
      else p.reject(new ApiError({ code: 'failed', message: `${p.method}: malformed error from the backend` }))
    }
  }
}

/** `ws(s)://host/api/ws?token=…` for the page the renderer was served from. */
export function wsUrlFor(location: { protocol: string; host: string; search: string }, storedToken: string | null): string {
  const token = new URLSearchParams(location.search).get('token') ?? storedToken ?? ''
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/api/ws?token=${encodeURIComponent(token)}`
}
