// Browser-mode transport: HTTP (static renderer + POST /api/call/<method>) and a WebSocket for calls and events.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { ApiError, eventSchemas, isMethodName, type ApiErrorPayload, type EventName } from '../../shared/api'
import type { Backend } from '../services/backend'

export interface ServerOptions {
  backend: Backend
  host?: string
  port?: number
  /** Built renderer (out/renderer); without it only the API is served. */
  staticDir?: string
  token?: string
  /** Page origins accepted for the WebSocket besides the server's own while bound to loopback (--allow-origin). */
  allowOrigins?: readonly string[]
  /** The largest request body (HTTP) or message (WebSocket) in bytes; larger ones are refused unread (413, close 1009). */
  maxBody?: number
  log?: (line: string) => void
}

export interface RunningServer {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

// Imports carry whole IDX files as base64 (MNIST's 47 MB images file is 63 MB of base64).
export const MAX_BODY = 320 * 1024 * 1024

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm'
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store'
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** A request body over the limit: refused with 413 before any of it is parsed or reaches a method. */
class BodyTooLarge extends ApiError {
  constructor(limit: number, size?: number) {
    super({ code: 'bad-request', message: `request body ${size === undefined ? 'is over' : `of ${size} bytes is over`} the ${limit}-byte limit` })
  }
}

function errorPayload(error: unknown): { status: number; payload: ApiErrorPayload } {
  if (error instanceof BodyTooLarge) return { status: 413, payload: error.toPayload() }
  if (error instanceof ApiError) {
    const status = error.code === 'bad-request' ? 400 : error.code === 'not-found' ? 404 : error.code === 'unauthorized' ? 401 : 500
    return { status, payload: error.toPayload() }
  }
  return { status: 500, payload: { code: 'failed', message: error instanceof Error ? error.message : String(error) } }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  // A refused body may still be arriving: close the connection after the answer rather than read the rest.
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...SECURITY_HEADERS, ...(status === 413 ? { Connection: 'close' } : {}) })
  res.end(JSON.stringify(body))
}

/** A URL path decoded, or null when its escapes are malformed or it holds a NUL. */
function decodePath(path: string): string | null {
  try {
    const decoded = decodeURIComponent(path)
    return decoded.includes('\0') ? null : decoded
  } catch {
    return null
  }
}

/** The JSON body of a request; over `limit` bytes (declared or streamed) it is refused and the rest is discarded unread. */
function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) {
    req.resume()
    return Promise.reject(new BodyTooLarge(limit, declared))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      chunks.length = 0
      reject(new BodyTooLarge(limit))
    })
    req.on('error', reject)
    req.on('end', () => {
      if (size > limit) return
      if (size === 0) return resolve({})
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      } catch {
        reject(new ApiError({ code: 'bad-request', message: 'request body is not valid JSON' }))
      }
    })
  })
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { backend } = options
  const host = options.host ?? '127.0.0.1'
  const token = options.token ?? randomBytes(24).toString('base64url')
  const staticRoot = options.staticDir ? resolve(options.staticDir) : undefined
  const log = options.log ?? (() => {})
  const maxBody = options.maxBody ?? MAX_BODY
  let port = options.port ?? 0
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1'

  /** Host-header check defeats DNS rebinding when bound to loopback. */
  const hostAllowed = (req: IncomingMessage): boolean => {
    if (!loopback) return true
    const h = req.headers.host ?? ''
    return h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`
  }

  const serveStatic = async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    if (!staticRoot) {
      sendJson(res, 404, { error: { code: 'not-found', message: 'this server has no renderer (API only)' } })
      return
    }
    const rel = pathname === '/' ? 'index.html' : decodePath(pathname.slice(1))
    if (rel === null) {
      sendJson(res, 400, { error: { code: 'bad-request', message: 'malformed path' } })
      return
    }
    const file = normalize(join(staticRoot, rel))
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) {
      sendJson(res, 403, { error: { code: 'unauthorized', message: 'path outside the renderer' } })
      return
    }
    try {
      const info = await stat(file)
      if (!info.isFile()) throw new Error('not a file')
      const body = await readFile(file)
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', ...SECURITY_HEADERS })
      res.end(req.method === 'HEAD' ? undefined : body)
    } catch {
      sendJson(res, 404, { error: { code: 'not-found', message: `no file ${pathname}` } })
    }
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (!hostAllowed(req)) {
        sendJson(res, 403, { error: { code: 'unauthorized', message: 'unexpected Host header' } })
        return
      }
      if (url.pathname.startsWith('/api/')) {
        const auth = req.headers.authorization
        const given = auth?.startsWith('Bearer ') ? auth.slice(7) : (req.headers['x-engram-token'] as string | undefined)
        if (!sameToken(given, token)) {
          sendJson(res, 401, { error: { code: 'unauthorized', message: 'missing or wrong token' } })
          return
        }
        const match = /^\/api\/call\/([A-Za-z.]+)$/.exec(url.pathname)
        if (req.method !== 'POST' || !match) {
          sendJson(res, 404, { error: { code: 'not-found', message: `no API route ${req.method} ${url.pathname}` } })
          return
        }
        const method = match[1]
        if (!isMethodName(method)) {
          sendJson(res, 404, { error: { code: 'not-found', field: 'method', message: `method: unknown method '${method}'` } })
          return
        }
        try {
          const result = await backend.call(method, await readBody(req, maxBody))
          sendJson(res, 200, { result })
        } catch (error) {
          const { status, payload } = errorPayload(error)
          sendJson(res, status, { error: payload })
        }
        return
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(res, 405, { error: { code: 'bad-request', message: 'method not allowed' } })
        return
      }
      await serveStatic(req, res, url.pathname)
    })().catch((error: unknown) => {
      log(`request failed: ${error instanceof Error ? error.message : String(error)}`)
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'failed', message: 'internal error' } })
    })
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBody })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const origin = req.headers.origin
    const originOk = !origin || !loopback || [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`, ...(options.allowOrigins ?? [])].includes(origin)
    if (url.pathname !== '/api/ws' || !hostAllowed(req) || !originOk) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    if (!sameToken(url.searchParams.get('token'), token)) {
      // Our own page with a wrong or missing token: open, then close with 4401 so the UI can say why
      // (a refused upgrade reaches the browser only as close code 1006). Nothing is served on it.
      wss.handleUpgrade(req, socket, head, (ws) => ws.close(4401, 'unauthorized: missing or wrong token'))
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  const clients = new Set<WebSocket>()
  wss.on('connection', (ws) => {
    clients.add(ws)
    ws.on('close', () => clients.delete(ws))
    // A frame over maxPayload (or any protocol error) closes this connection (1009, 1002); it must not end the server.
    ws.on('error', (error) => log(`websocket closed: ${error.message}`))
    ws.on('message', (data) => {
      let message: { type?: unknown; id?: unknown; method?: unknown; params?: unknown }
      try {
        message = JSON.parse(String(data)) as typeof message
      } catch {
        ws.send(JSON.stringify({ type: 'error', id: null, error: { code: 'bad-request', message: 'message is not valid JSON' } }))
        return
      }
      const id = typeof message.id === 'number' || typeof message.id === 'string' ? message.id : null
      if (message.type !== 'call' || id === null) {
        ws.send(JSON.stringify({ type: 'error', id, error: { code: 'bad-request', field: 'type', message: "type: expected 'call' with an id" } }))
        return
      }
      if (!isMethodName(message.method)) {
        ws.send(JSON.stringify({ type: 'error', id, error: { code: 'not-found', field: 'method', message: `method: unknown method '${String(message.method)}'` } }))
        return
      }
      backend.call(message.method, message.params).then(
        (result) => ws.send(JSON.stringify({ type: 'result', id, result })),
        (error: unknown) => ws.send(JSON.stringify({ type: 'error', id, error: errorPayload(error).payload }))
      )
    })
  })

  const unsubscribe = (Object.keys(eventSchemas) as EventName[]).map((event) =>
    backend.on(event, (payload) => {
      const frame = JSON.stringify({ type: 'event', event, payload })
      for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(frame)
    })
  )

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolvePromise()
    })
  })
  const address = server.address()
  port = typeof address === 'object' && address ? address.port : port
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe.forEach((off) => off())
      for (const ws of clients) ws.terminate()
      wss.close()
      await new Promise<void>((r) => server.close(() => r()))
      server.closeAllConnections?.()
    }
  }
}
