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
  log?: (line: string) => void
}

export interface RunningServer {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

// Imports carry whole IDX files as base64 (MNIST's 47 MB images file is 63 MB of base64).
const MAX_BODY = 320 * 1024 * 1024

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

function errorPayload(error: unknown): { status: number; payload: ApiErrorPayload } {
  if (error instanceof ApiError) {
    const status = error.code === 'bad-request' ? 400 : error.code === 'not-found' ? 404 : error.code === 'unauthorized' ? 401 : 500
    return { status, payload: error.toPayload() }
  }
  return { status: 500, payload: { code: 'failed', message: error instanceof Error ? error.message : String(error) } }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...SECURITY_HEADERS })
  res.end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new ApiError({ code: 'bad-request', message: `request body is larger than ${MAX_BODY} bytes` })
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ApiError({ code: 'bad-request', message: 'request body is not valid JSON' })
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { backend } = options
  const host = options.host ?? '127.0.0.1'
  const token = options.token ?? randomBytes(24).toString('base64url')
  const staticRoot = options.staticDir ? resolve(options.staticDir) : undefined
  const log = options.log ?? (() => {})
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
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1))
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
          const result = await backend.call(method, await readBody(req))
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

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const origin = req.headers.origin
    const originOk = !origin || !loopback || [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`].includes(origin)
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
