// The desktop shell with a remote backend, without the Electron binary: `electron` is mocked, src/main/index.ts is
// loaded as the app loads it, with a data directory whose backend.json names a real `engram serve`-style server
// (startServer on loopback). Checked: no local Backend (no worker threads) while remote; the page is served with
// connect-src 'self' plus exactly the remote's WebSocket origin; the IPC channels test (ok, wrong token, unreachable,
// other version, bad URL), refuse untrusted senders, and switch both ways, persisting the choice with mode 0600 and
// never logging the token.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startServer, type RunningServer } from '../../src/main/server/server'
import type { Backend } from '../../src/main/services/backend'
import { ENGRAM_VERSION } from '../../src/main/version'

const fake = await vi.hoisted(async () => {
  delete process.env.ELECTRON_RENDERER_URL
  const { fakeElectron } = await import('../helpers/fake-electron')
  return fakeElectron({ ipcRegistered: 0, ipcUnregistered: 0, pageHtml: '' }, { contentsId: 7 })
})

vi.mock('electron', () => ({
  ...fake.electron,
  // The file as built: the renderer's index.html for the page, a stand-in body for anything else.
  net: {
    fetch: async (req: Request, options: { bypassCustomProtocolHandlers?: boolean }) => {
      if (!options.bypassCustomProtocolHandlers) throw new Error('the handler must bypass itself')
      return new Response(req.url.endsWith('/renderer/index.html') ? fake.state.pageHtml : 'console.log(1)', { status: 200, headers: { 'Content-Type': 'text/plain' } })
    }
  }
}))
vi.mock('../../src/main/services/backend', () => ({ Backend: fake.Backend }))
vi.mock('../../src/main/ipc/register', async (original) => ({
  ...(await original<typeof import('../../src/main/ipc/register')>()),
  registerIpc: () => {
    fake.state.ipcRegistered++
    return () => void fake.state.ipcUnregistered++
  }
}))

const root = join(import.meta.dirname, '..', '..')
const TOKEN = 'remote-secret-token-1234567890'
let dataDir: string
let remote: RunningServer
let oldServer: RunningServer
let closedPort: number
const logged: string[] = []

/** A server that answers app.info like `engram serve` (the transport is the real one; the services are not needed). */
function infoBackend(version: string): Backend {
  return {
    call: async (method: string) => {
      if (method === 'app.info') return { version, transport: 'websocket', dataDir: '/remote', rng: 'x', engine: {} }
      throw new Error(`unexpected ${method}`)
    },
    on: () => () => {}
  } as unknown as Backend
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

const choiceFile = (): string => join(dataDir, 'backend.json')
const event = (url = pathToFileURL(fake.state.windows[0]!.loadedFile!).href, id = 7): unknown => ({ sender: { id }, senderFrame: { url, parent: null } })
const invoke = (channel: string, ...args: unknown[]): Promise<unknown> => Promise.resolve(fake.state.handlers.get(channel)!(event(), ...args))

/** The CSP the shell serves for the app's page: the meta tag's and the header's (they must agree). */
async function servedCsp(): Promise<{ meta: string; header: string }> {
  const handler = fake.state.protocols.get('file')!
  const res = await handler(new Request(pathToFileURL(fake.state.windows[0]!.loadedFile!).href))
  const html = await res.text()
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html)![1]!
  return { meta, header: res.headers.get('content-security-policy') ?? '' }
}
const connectSrc = (csp: string): string => /(?:^|;\s*)connect-src ([^;]+)/.exec(csp)![1]!.trim()

beforeAll(async () => {
  fake.state.pageHtml = readFileSync(join(root, 'src', 'renderer', 'index.html'), 'utf8')
  remote = await startServer({ backend: infoBackend(ENGRAM_VERSION), port: 0, token: TOKEN })
  oldServer = await startServer({ backend: infoBackend('0.0.1'), port: 0, token: TOKEN })
  closedPort = await freePort()
  dataDir = mkdtempSync(join(tmpdir(), 'engram-shell-remote-'))
  writeFileSync(choiceFile(), JSON.stringify({ mode: 'remote', url: `http://127.0.0.1:${remote.port}`, token: TOKEN }))
  process.env.ENGRAM_DATA_DIR = dataDir
  for (const method of ['log', 'error', 'warn'] as const) vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')))
  await import('../../src/main/index')
  for (let i = 0; i < 100 && !fake.state.windows[0]?.loadedFile; i++) await new Promise((r) => setTimeout(r, 10))
})
afterAll(async () => {
  await remote.close()
  await oldServer.close()
  rmSync(dataDir, { recursive: true, force: true })
  vi.restoreAllMocks()
})

describe('the shell started on a remote backend', () => {
  it('starts no local backend (no worker threads, no IPC API)', () => {
    expect(fake.state.windows).toHaveLength(1)
    expect(fake.state.backends).toBe(0)
    expect(fake.state.ipcRegistered).toBe(0)
  })

  it("serves the page with connect-src 'self' and exactly the remote's WebSocket origin, other files untouched", async () => {
    const { meta, header } = await servedCsp()
    expect(connectSrc(meta)).toBe(`'self' ws://127.0.0.1:${remote.port}`)
    expect(header).toBe(meta)
    // Every other directive as built.
    const built = /content="([^"]+)"/.exec(fake.state.pageHtml)![1]!
    const others = (csp: string): string[] => csp.split(';').map((d) => d.trim()).filter((d) => d && !d.startsWith('connect-src')).sort()
    expect(others(meta)).toEqual(others(built))
    const asset = await fake.state.protocols.get('file')!(new Request(pathToFileURL(join(dataDir, 'x.js')).href))
    expect(await asset.text()).toBe('console.log(1)')
    expect(asset.headers.get('content-security-policy')).toBeNull()
  })

  it('tells the renderer the choice, and nobody else', async () => {
    expect(await invoke('engram:backend:get')).toEqual({ choice: { mode: 'remote', url: `http://127.0.0.1:${remote.port}`, token: TOKEN }, version: ENGRAM_VERSION })
    const foreign = fake.state.handlers.get('engram:backend:get')!(event('https://evil.example/'))
    expect(foreign).toBeNull()
    const otherWindow = await fake.state.handlers.get('engram:backend:set')!(event(undefined, 99), { mode: 'local' })
    expect(otherWindow).toMatchObject({ ok: false, message: 'untrusted sender' })
  })
})

describe('testing a server from the shell', () => {
  it('accepts the right token and reports the version', async () => {
    expect(await invoke('engram:backend:test', `http://127.0.0.1:${remote.port}`, TOKEN)).toEqual({ ok: true, origin: `http://127.0.0.1:${remote.port}`, version: ENGRAM_VERSION })
  })

  it('tells a wrong token, an unreachable server, another version and a bad URL apart', async () => {
    expect(await invoke('engram:backend:test', `http://127.0.0.1:${remote.port}`, 'wrong')).toMatchObject({ ok: false, reason: 'unauthorized', message: `http://127.0.0.1:${remote.port} refused the token (wrong or missing token)` })
    const down = (await invoke('engram:backend:test', `http://127.0.0.1:${closedPort}`, TOKEN)) as { reason: string; message: string }
    expect(down.reason).toBe('unreachable')
    expect(down.message).toMatch(new RegExp(`^cannot reach http://127\\.0\\.0\\.1:${closedPort} \\(.+\\): is \`engram serve\` running there`))
    expect(await invoke('engram:backend:test', `http://127.0.0.1:${oldServer.port}`, TOKEN)).toMatchObject({ ok: false, reason: 'version', message: `http://127.0.0.1:${oldServer.port} runs Engram 0.0.1, this app is ${ENGRAM_VERSION}: run the same version on both` })
    expect(await invoke('engram:backend:test', 'ftp://gpu-box', TOKEN)).toMatchObject({ ok: false, reason: 'invalid', message: "Server URL: expected an http:// or https:// URL, got 'ftp:'" })
    expect(await invoke('engram:backend:test', `http://127.0.0.1:${remote.port}`, '')).toMatchObject({ ok: false, reason: 'invalid', message: 'Token: the token is empty' })
  })
})

describe('switching', () => {
  it('refuses a remote server that fails its test, and changes nothing', async () => {
    const before = readFileSync(choiceFile(), 'utf8')
    const reloads = fake.state.windows[0]!.reloads
    expect(await invoke('engram:backend:set', { mode: 'remote', url: `http://127.0.0.1:${remote.port}`, token: 'wrong' })).toMatchObject({ ok: false, reason: 'unauthorized' })
    expect(await invoke('engram:backend:set', { mode: 'remote', url: 'http://gpu-box/sub', token: TOKEN })).toMatchObject({ ok: false, reason: 'invalid', message: "Server URL: the URL has a path ('/sub'); give the server's origin (http://HOST:PORT)" })
    expect(readFileSync(choiceFile(), 'utf8')).toBe(before)
    expect(fake.state.windows[0]!.reloads).toBe(reloads)
    expect(fake.state.backends).toBe(0)
  })

  it("back to this computer: a local backend and its IPC, connect-src 'self' only, the window reloaded, kept 0600", async () => {
    const reloads = fake.state.windows[0]!.reloads
    expect(await invoke('engram:backend:set', { mode: 'local' })).toEqual({ ok: true })
    expect(fake.state.backends).toBe(1)
    expect(fake.state.ipcRegistered).toBe(1)
    expect(fake.state.windows[0]!.reloads).toBe(reloads + 1)
    expect(connectSrc((await servedCsp()).meta)).toBe("'self'")
    expect(JSON.parse(readFileSync(choiceFile(), 'utf8'))).toEqual({ mode: 'local' })
    expect(statSync(choiceFile()).mode & 0o777).toBe(0o600)
  })

  it('to the remote again: the local backend closed, the origin allowed, the token kept only in the 0600 file', async () => {
    expect(await invoke('engram:backend:set', { mode: 'remote', url: `http://127.0.0.1:${remote.port}/?token=ignored`, token: TOKEN })).toEqual({ ok: true })
    expect(fake.state.closed).toBe(1)
    expect(fake.state.ipcUnregistered).toBe(1)
    expect(connectSrc((await servedCsp()).meta)).toBe(`'self' ws://127.0.0.1:${remote.port}`)
    expect(JSON.parse(readFileSync(choiceFile(), 'utf8'))).toEqual({ mode: 'remote', url: `http://127.0.0.1:${remote.port}`, token: TOKEN })
    expect(statSync(choiceFile()).mode & 0o777).toBe(0o600)
    expect(logged.some((l) => l.includes(`backend: http://127.0.0.1:${remote.port}`))).toBe(true)
    expect(logged.filter((l) => l.includes(TOKEN))).toEqual([])
  })
})
