// The Electron security checklist, checked without the Electron binary: `electron` is mocked, src/main/index.ts is
// loaded as the app would load it, and the window options, web-contents hooks and session handlers it installs are
// captured and exercised. The renderer's CSP is read from index.html (source, and the build when there is one).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { isAppUrl } from '../../src/main/app-url'

type OpenHandler = (details: { url: string }) => { action: string }
type RequestHandler = (wc: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl?: string; isMainFrame: boolean }) => void
type CheckHandler = (wc: unknown, permission: string, origin: string, details: { requestingUrl?: string; isMainFrame: boolean }) => boolean

const fake = await vi.hoisted(async () => {
  // The production path: no dev server; a data directory with no backend choice (this computer).
  delete process.env.ELECTRON_RENDERER_URL
  process.env.ENGRAM_DATA_DIR = '/nonexistent/engram-checklist'
  const { fakeElectron } = await import('../helpers/fake-electron')
  return fakeElectron({})
})

vi.mock('electron', () => ({
  ...fake.electron,
  net: { fetch: async (req: Request) => new Response(readFileSync(new URL(req.url), 'utf8'), { status: 200 }) }
}))
// The shell's own wiring is what is under test: the backend (its options kept) and the IPC channel are stand-ins.
vi.mock('../../src/main/services/backend', () => ({ Backend: fake.Backend }))
vi.mock('../../src/main/ipc/register', () => ({ registerIpc: () => () => {} }))

const root = join(import.meta.dirname, '..', '..')
type Shell = typeof import('../../src/main/index')
let shell: Shell

beforeAll(async () => {
  shell = await import('../../src/main/index')
  for (let i = 0; i < 50 && !fake.state.windows[0]?.loadedFile; i++) await new Promise((r) => setTimeout(r, 10))
})

const window = (): (typeof fake.state.windows)[number] => {
  const w = fake.state.windows[0]
  if (!w) throw new Error('src/main/index.ts created no window')
  return w
}

describe('Electron checklist: the window', () => {
  it('runs the renderer sandboxed and context-isolated, without Node, web security on', () => {
    const prefs = window().options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webviewTag: false })
    expect(prefs.webSecurity).not.toBe(false)
    expect(prefs.allowRunningInsecureContent).toBeFalsy()
    expect(prefs.experimentalFeatures).toBeFalsy()
    expect(prefs.enableBlinkFeatures).toBeUndefined()
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.cjs$/)
    // app.enableSandbox(): every renderer sandboxed, whatever a window's options say.
    expect(fake.state.enableSandbox).toBe(1)
  })

  it("runs each job in an Electron utility process (Electron's own utilityProcess), never a worker thread", () => {
    // The job manager's utility path itself: tests/main/jobs-utility.test.ts.
    const worker = fake.state.backendOptions?.worker as { isolation?: string; utility?: unknown; url?: URL }
    expect(worker.isolation).toBe('utility')
    expect(worker.utility).toBe(fake.state.utilityProcess)
    expect(String(worker.url)).toMatch(/job-worker\.js$/)
  })

  it('loads the local renderer bundle, not a remote page', () => {
    expect(window().loadedFile).toMatch(/renderer[\\/]index\.html$/)
    expect(window().loadedUrl).toBeUndefined()
  })

  it('no file under src/ turns an option of the checklist off', () => {
    const files: string[] = []
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name)
        if (statSync(p).isDirectory()) walk(p)
        else if (/\.(ts|vue|mjs|cjs|js)$/.test(name)) files.push(p)
      }
    }
    walk(join(root, 'src'))
    const unsafe = /(nodeIntegration\w*|webviewTag|allowRunningInsecureContent|experimentalFeatures)\s*:\s*true|(webSecurity|sandbox|contextIsolation)\s*:\s*false|enableBlinkFeatures|enableRemoteModule/g
    const found = files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(unsafe)].map((m) => `${f.slice(root.length + 1)}: ${m[0]}`))
    expect(found).toEqual([])
  })
})

describe('Electron checklist: web contents', () => {
  it('denies every new window; https links go to the system browser, nothing else does', () => {
    const open = window().contents.openHandler as OpenHandler | null
    if (!open) expect.fail('no window-open handler on the window')
    for (const url of ['https://example.org/paper.pdf', 'http://example.org/', 'file:///etc/passwd', 'javascript:alert(1)', 'about:blank', 'smb://host/share']) {
      expect(open({ url })).toEqual({ action: 'deny' })
    }
    expect(fake.state.opened).toEqual(['https://example.org/paper.pdf'])
  })

  it('prevents navigation and redirects away from the app, and <webview> attachment', () => {
    const contents = window().contents
    for (const url of ['https://evil.example/', 'http://127.0.0.1:8080/', 'file:///etc/passwd', 'file:///opt/engram/out/renderer/index.html', 'http://localhost:5173/']) {
      expect(contents.emit('will-navigate', url), `will-navigate ${url}`).toBe(true)
      expect(contents.emit('will-redirect', url), `will-redirect ${url}`).toBe(true)
    }
    expect(contents.emit('will-attach-webview', {}, { src: 'https://evil.example/' })).toBe(true)
  })

  it('hardens every web contents the app creates, not only the first window', () => {
    const [created] = fake.state.appListeners.get('web-contents-created') ?? []
    if (!created) expect.fail("no app.on('web-contents-created') hook")
    const other = new fake.FakeContents()
    created({}, other)
    expect((other.openHandler as OpenHandler)({ url: 'https://example.org/' })).toEqual({ action: 'deny' })
    expect(other.emit('will-navigate', 'https://evil.example/')).toBe(true)
    expect(other.emit('will-attach-webview', {}, {})).toBe(true)
  })

  it('in development, navigation stays within the dev server origin (compared whole)', () => {
    const dev = new fake.FakeContents()
    shell.hardenWebContents(dev as never, 'http://localhost:5173')
    expect(dev.emit('will-navigate', 'http://localhost:5173/#/rbm')).toBe(false)
    for (const url of ['http://localhost:5173.evil.example/', 'http://localhost:5174/', 'https://localhost:5173/', 'file:///etc/passwd']) {
      expect(dev.emit('will-navigate', url), url).toBe(true)
    }
  })

  it('isAppUrl: file:// bundle only where asked, the dev origin whole, junk refused', () => {
    expect(isAppUrl('file:///opt/engram/out/renderer/index.html', undefined, { files: true })).toBe(true)
    expect(isAppUrl('file:///opt/engram/out/renderer/index.html', undefined, { files: false })).toBe(false)
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173', { files: false })).toBe(true)
    expect(isAppUrl('http://localhost:5173@evil.example/', 'http://localhost:5173', { files: true })).toBe(false)
    expect(isAppUrl('not a url', 'http://localhost:5173', { files: true })).toBe(false)
    expect(isAppUrl('http://localhost:5173/', 'not a url', { files: true })).toBe(false)
  })
})

describe('Electron checklist: permissions', () => {
  const app = 'file:///opt/engram/out/renderer/index.html'
  const request = (permission: string, requestingUrl: string, isMainFrame = true): boolean => {
    const handler = fake.state.requestHandler as RequestHandler | null
    if (!handler) throw new Error('no permission request handler')
    let granted: boolean | null = null
    handler({}, permission, (g) => (granted = g), { requestingUrl, isMainFrame })
    if (granted === null) throw new Error(`the request handler never answered ${permission}`)
    return granted
  }
  const check = (permission: string, requestingUrl: string, isMainFrame = true): boolean => {
    const handler = fake.state.checkHandler as CheckHandler | null
    if (!handler) throw new Error('no permission check handler')
    return handler({}, permission, new URL(requestingUrl).origin, { requestingUrl, isMainFrame })
  }
  const denied = ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'fullscreen', 'midiSysex', 'hid', 'serial', 'usb', 'fileSystem', 'display-capture', 'unknown']

  it('denies every permission request and check from the app page', () => {
    for (const p of denied) {
      expect(request(p, app), `request ${p}`).toBe(false)
      expect(check(p, app), `check ${p}`).toBe(false)
    }
  })

  it('lets only the app main frame write text to the clipboard (the copy button)', () => {
    expect(request('clipboard-sanitized-write', app)).toBe(true)
    expect(check('clipboard-sanitized-write', app)).toBe(true)
    expect(request('clipboard-sanitized-write', 'https://evil.example/')).toBe(false)
    expect(check('clipboard-sanitized-write', 'https://evil.example/')).toBe(false)
    expect(request('clipboard-sanitized-write', app, false)).toBe(false)
    expect(check('clipboard-sanitized-write', app, false)).toBe(false)
  })
})

/** The CSP of an index.html's meta tag, as directive → sources. */
function cspOf(html: string, file: string): Map<string, string[]> {
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html)
  if (!meta) throw new Error(`${file}: no Content-Security-Policy meta tag`)
  return new Map(
    meta[1]!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources])
  )
}

describe('Electron checklist: Content-Security-Policy', () => {
  it("the shell serves its page with connect-src 'self' only on this computer (the loopback sources are browser mode's)", async () => {
    const handler = fake.state.protocols.get('file') as ((req: Request) => Promise<Response>) | undefined
    if (!handler) throw new Error('the shell installed no file protocol handler')
    const page = join(root, 'src', 'renderer', 'index.html')
    const res = await handler(new Request(pathToFileURL(page).href))
    const csp = cspOf(await res.text(), page)
    expect(csp.get('connect-src')).toEqual(["'self'"])
    expect(csp.get('script-src')).toEqual(["'self'"])
    expect(res.headers.get('content-security-policy')).toMatch(/connect-src 'self'$/)
  })

  const pages = [join(root, 'src', 'renderer', 'index.html'), join(root, 'out', 'renderer', 'index.html')].filter((f) => existsSync(f))

  it.each(pages.map((f) => [f.slice(root.length + 1), f]))('%s has a strict CSP', (_name, file) => {
    const csp = cspOf(readFileSync(file, 'utf8'), file)
    expect(csp.get('default-src')).toEqual(["'self'"])
    // Scripts: our own bundle only. No eval, no inline script, no remote source.
    expect(csp.get('script-src')).toEqual(["'self'"])
    expect(csp.get('object-src')).toEqual(["'none'"])
    expect(csp.get('base-uri')).toEqual(["'none'"])
    // Browser mode talks to the server that served the page (WebSocket on loopback); nothing else is reachable.
    expect(csp.get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:*', 'ws://localhost:*'])
    for (const [name, sources] of csp) {
      for (const s of sources) {
        expect(s, `${name} ${s}`).not.toMatch(/^'unsafe-eval'$|^'wasm-unsafe-eval'$|^\*$|^(https?|wss?):$|^https?:\/\/(?!127\.0\.0\.1|localhost)/)
      }
    }
  })
})
