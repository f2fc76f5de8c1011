// Electron shell: one hardened window on the renderer bundle; all work goes to the Backend services.
// The Electron security checklist lives here as functions (webPreferences, hardenWebContents, hardenSession) so a test
// can check it with `electron` mocked where the binary is absent (tests/main/electron-checklist.test.ts).
import { app, BrowserWindow, net, protocol, session, shell, utilityProcess, type Session, type WebContents, type WebPreferences } from 'electron'
import { join } from 'node:path'
import { Backend } from './services/backend'
import { registerIpc, trustedSender } from './ipc/register'
import { installRendererCsp, registerBackendChoice } from './ipc/backend-choice'
import { defaultDataDir } from './paths'
import { isAppUrl } from './app-url'
import { backendChoiceFile, describeChoice, loadBackendChoice, saveBackendChoice } from './remote-backend'
import { probeBackend, type BackendChoice, type ProbeSocket } from '../shared/remote-backend'
import { ENGRAM_VERSION } from './version'

const devUrl = process.env.ELECTRON_RENDERER_URL

/** The renderer's web preferences: Node stays out of the page, the page stays in its sandbox. */
export function webPreferences(preload: string): WebPreferences {
  return {
    preload,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false
  }
}

/**
 * Every web contents the app creates: new windows denied (https links go to the system browser), navigation and
 * redirects away from the app's page prevented, <webview> attachment refused.
 */
export function hardenWebContents(contents: WebContents, dev: string | undefined = devUrl): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  const stay = (event: { preventDefault(): void }, url: string): void => {
    if (!isAppUrl(url, dev, { files: false })) event.preventDefault()
  }
  contents.on('will-navigate', stay)
  contents.on('will-redirect', stay)
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

/**
 * Permission requests and checks are denied, all but one: the app's own page (main frame) may write text to the
 * clipboard (`clipboard-sanitized-write`, what navigator.clipboard.writeText asks for: the "copy spec" button).
 */
export function hardenSession(ses: Session, dev: string | undefined = devUrl): void {
  const allowed = (permission: string, url: string | undefined, mainFrame: boolean): boolean =>
    permission === 'clipboard-sanitized-write' && mainFrame && url !== undefined && isAppUrl(url, dev, { files: true })
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(allowed(permission, details.requestingUrl, details.isMainFrame)))
  ses.setPermissionCheckHandler((_wc, permission, _origin, details) => allowed(permission, details.requestingUrl, details.isMainFrame))
}

const rendererIndex = join(import.meta.dirname, '../renderer/index.html')
const dataDir = defaultDataDir()
const choiceFile = backendChoiceFile(dataDir)
/** This computer or a remote `engram serve`: read at start, changed by the renderer's Backend setting. */
let choice: BackendChoice = { mode: 'local' }

/** A connection test from this process (the page's CSP allows only the chosen server, so it cannot test others). */
const probe = (url: string, token: string): ReturnType<typeof probeBackend> =>
  probeBackend(url, token, { expectedVersion: ENGRAM_VERSION, createSocket: (u) => new WebSocket(u) as unknown as ProbeSocket })

async function createWindow(): Promise<void> {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Engram',
    show: false,
    webPreferences: webPreferences(join(import.meta.dirname, '../preload/index.cjs'))
  })
  // The local backend (and its worker threads) exists only while this computer is the backend.
  let local: { backend: Backend; unregister: () => void } | null = null
  const startLocal = (): void => {
    const backend = new Backend({
      dataDir,
      transport: 'ipc',
      // Each job in an Electron utility process: a child process that a kill or an out-of-memory death cannot take the
      // app down with, and that needs no ELECTRON_RUN_AS_NODE (the RunAsNode fuse is off, package.json build.electronFuses).
      worker: { url: new URL('./job-worker.js', import.meta.url), isolation: 'utility', utility: utilityProcess },
      // Where shardable sweeps and batches run: ENGRAM_QUEUE when set, else the app's setting (this machine by default).
      ...(process.env.ENGRAM_QUEUE ? { queue: process.env.ENGRAM_QUEUE } : {})
    })
    local = { backend, unregister: registerIpc(backend, window, devUrl) }
  }
  const stopLocal = async (): Promise<void> => {
    const was = local
    local = null
    was?.unregister()
    await was?.backend.close()
  }
  if (choice.mode === 'local') startLocal()
  const unregisterChoice = registerBackendChoice(window, (event) => trustedSender(event, window, devUrl), {
    get: () => ({ choice, version: ENGRAM_VERSION }),
    test: probe,
    set: async (next) => {
      if (next.mode === 'remote') {
        const found = await probe(next.url, next.token)
        if (!found.ok) return found
      }
      await saveBackendChoice(choiceFile, next)
      choice = next
      if (next.mode === 'local' && !local) startLocal()
      if (next.mode === 'remote') await stopLocal()
      console.log(`engram: backend: ${describeChoice(next)}`)
      return { ok: true }
    }
  })
  window.on('ready-to-show', () => window.show())
  window.on('closed', () => {
    unregisterChoice()
    void stopLocal()
  })
  if (devUrl) await window.loadURL(devUrl)
  else await window.loadFile(rendererIndex)
}

// Every renderer sandboxed, whatever its window's options say; every web contents hardened as it is created.
app.enableSandbox()
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents))

app.whenReady().then(async () => {
  hardenSession(session.defaultSession)
  choice = await loadBackendChoice(choiceFile).catch((error: unknown) => {
    // A damaged file (its path and the field, never the token): this computer, and the setting shows it.
    console.error(`engram: ${error instanceof Error ? error.message : String(error)}; using this computer's backend`)
    return { mode: 'local' } as const
  })
  installRendererCsp(protocol, net, rendererIndex, devUrl, () => choice)
  await createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
