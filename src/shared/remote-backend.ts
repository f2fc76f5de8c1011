// Which backend the app talks to: this computer (the default) or a remote `engram serve` (a GPU box) given by its URL
// and token. Parsed and probed here the same way by the renderer (browser mode) and the Electron shell (main process):
// pure, no DOM and no Node; the probe takes the WebSocket constructor of its side.
import { z } from 'zod'

/** A remote server's address as typed: http(s)://HOST[:PORT], or the URL `engram serve` printed (its ?token= is read). */
export function remoteUrlProblem(url: string): string | null {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return `'${url.slice(0, 200)}' is not a URL (expected http://HOST:PORT or https://HOST)`
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) return `expected an http:// or https:// URL, got '${u.protocol}'`
  if (!u.hostname) return 'the URL has no host'
  if (u.username || u.password) return 'the URL holds a user name or password; give the token in the Token field'
  if (u.pathname !== '/' && u.pathname !== '') return `the URL has a path ('${u.pathname}'); give the server's origin (http://HOST:PORT)`
  return null
}

/** The server's origin as shown (http(s)://host:port; ws(s) is read as http(s)). */
export function remoteOrigin(url: string): string {
  const u = new URL(url)
  const scheme = u.protocol === 'https:' || u.protocol === 'wss:' ? 'https:' : 'http:'
  return `${scheme}//${u.host}`
}

/** The WebSocket origin the app connects to (what a Content-Security-Policy's connect-src names). */
export function remoteSocketOrigin(url: string): string {
  return remoteOrigin(url).replace(/^http/, 'ws')
}

/** The API's WebSocket endpoint with the token (never logged: messages name remoteOrigin only). */
export function remoteSocketUrl(url: string, token: string): string {
  return `${remoteSocketOrigin(url)}/api/ws?token=${encodeURIComponent(token)}`
}

/** The token a pasted `engram serve` URL carries (…/?token=T), or null. */
export function tokenInUrl(url: string): string | null {
  try {
    return new URL(url).searchParams.get('token')
  } catch {
    return null
  }
}

const remoteUrlSchema = z
  .string()
  .max(2048)
  .superRefine((url, ctx) => {
    const problem = remoteUrlProblem(url.replace(/\?.*$/, ''))
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .transform((url) => remoteOrigin(url))

/** The choice as stored (settings file, localStorage) and passed between the renderer and the shell. */
export const backendChoiceSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('local') }).strict(),
  z.object({ mode: z.literal('remote'), url: remoteUrlSchema, token: z.string().min(1, 'the token is empty').max(512) }).strict()
])
export type BackendChoice = z.infer<typeof backendChoiceSchema>

/** What a connection test found. `reason` tells the three failures apart. */
export type ProbeResult =
  | { ok: true; origin: string; version: string }
  | { ok: false; origin: string; reason: 'invalid' | 'unreachable' | 'unauthorized' | 'version' | 'protocol'; message: string }

/** The part of a WebSocket the probe uses (the browser's and Node's global WebSocket both fit). */
export interface ProbeSocket {
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
}

export interface ProbeOptions {
  /** The version this side speaks; a server of another version is refused (the API contract could differ). */
  expectedVersion: string
  createSocket: (url: string) => ProbeSocket
  timeoutMs?: number
}

/**
 * Connects to a remote `engram serve`, asks `app.info`, and closes: ok with the server's version, or why not —
 * unreachable (no answer, refused, TLS, or a server that refused this page's origin), unauthorized (the server closed
 * with 4401: wrong token), version (another Engram version), protocol (something answered that is not Engram).
 */
export function probeBackend(url: string, token: string, options: ProbeOptions): Promise<ProbeResult> {
  const parsed = backendChoiceSchema.safeParse({ mode: 'remote', url, token })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path[0] === 'token' ? 'Token' : 'Server URL'
    return Promise.resolve({ ok: false, origin: '', reason: 'invalid', message: `${field}: ${issue.message}` })
  }
  const origin = (parsed.data as { url: string }).url
  const timeoutMs = options.timeoutMs ?? 8000
  return new Promise((resolve) => {
    let done = false
    let opened = false
    let socket: ProbeSocket | null = null
    const finish = (result: ProbeResult): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      try {
        socket?.close(1000, 'probe done')
      } catch {
        // already closed
      }
      resolve(result)
    }
    const unreachable = (detail: string): ProbeResult => ({
      ok: false,
      origin,
      reason: 'unreachable',
      message: `cannot reach ${origin} (${detail}): is \`engram serve\` running there, listening beyond loopback (--host), and is the port open?`
    })
    const timer = setTimeout(() => finish(unreachable(`no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs)
    try {
      socket = options.createSocket(remoteSocketUrl(origin, token))
    } catch (error) {
      finish(unreachable(error instanceof Error ? error.message : String(error)))
      return
    }
    socket.onopen = () => {
      opened = true
      socket!.send(JSON.stringify({ type: 'call', id: 1, method: 'app.info', params: {} }))
    }
    socket.onerror = () => {
      // onclose follows with the code
    }
    socket.onclose = (ev) => {
      if (ev.code === 4401) finish({ ok: false, origin, reason: 'unauthorized', message: `${origin} refused the token (wrong or missing token)` })
      else if (!opened) finish(unreachable(ev.reason || `connection closed, code ${ev.code}`))
      else finish({ ok: false, origin, reason: 'protocol', message: `${origin} closed the connection before answering (code ${ev.code})` })
    }
    socket.onmessage = (ev) => {
      type Reply = { type?: unknown; id?: unknown; result?: { version?: unknown } }
      let msg: Reply | null
      try {
        msg = JSON.parse(String(ev.data)) as Reply | null
      } catch {
        msg = null // not JSON: not an Engram server
      }
      if (!msg || msg.type !== 'result' || msg.id !== 1 || typeof msg.result?.version !== 'string') {
        finish({ ok: false, origin, reason: 'protocol', message: `${origin} answered, but not as an Engram server` })
        return
      }
      const version = msg.result.version
      if (version !== options.expectedVersion) {
        finish({ ok: false, origin, reason: 'version', message: `${origin} runs Engram ${version}, this app is ${options.expectedVersion}: run the same version on both` })
        return
      }
      finish({ ok: true, origin, version })
    }
  })
}
