// The shell's part of "use a remote `engram serve` as the backend": the renderer page served with the CSP that the
// choice allows (protocol handler), and three IPC channels for the renderer's Backend setting (get, test, set).
// Kept thin: parsing, probing and the CSP text are in src/shared/remote-backend.ts and src/main/remote-backend.ts.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent, type Net, type Protocol } from 'electron'
import { fileURLToPath } from 'node:url'
import { backendChoiceSchema, type BackendChoice, type ProbeResult } from '../../shared/remote-backend'
import { isAppUrl } from '../app-url'
import { shellCsp, withShellCsp } from '../remote-backend'

export const BACKEND_GET_CHANNEL = 'engram:backend:get'
export const BACKEND_TEST_CHANNEL = 'engram:backend:test'
export const BACKEND_SET_CHANNEL = 'engram:backend:set'

/** Is this request the renderer's page (the packaged index.html, or the dev server's root document)? */
export function isRendererPage(url: string, indexFile: string, devUrl: string | undefined): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  if (devUrl) return isAppUrl(url, devUrl, { files: false }) && (u.pathname === '/' || u.pathname === '/index.html')
  if (u.protocol !== 'file:') return false
  try {
    return fileURLToPath(u) === indexFile
  } catch {
    return false
  }
}

/**
 * Serves the app's page with the CSP of the current choice: the meta tag rewritten and the same policy as a header.
 * Every other request of the page's scheme passes through unchanged.
 */
export function installRendererCsp(protocol: Protocol, net: Net, indexFile: string, devUrl: string | undefined, current: () => BackendChoice): void {
  const scheme = devUrl ? new URL(devUrl).protocol.slice(0, -1) : 'file'
  protocol.handle(scheme, async (request) => {
    const response = await net.fetch(request, { bypassCustomProtocolHandlers: true })
    if (!isRendererPage(request.url, indexFile, devUrl) || !response.ok) return response
    const html = await response.text()
    const choice = current()
    return new Response(withShellCsp(html, choice), {
      status: 200,
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': shellCsp(html, choice) }
    })
  })
}

/** What the renderer's Backend setting reads: the choice (the token included, for its own connection) and the version. */
export interface BackendState {
  choice: BackendChoice
  version: string
}

export interface BackendChoiceHost {
  get(): BackendState
  test(url: string, token: string): Promise<ProbeResult>
  /** Persists and switches (a remote one only after a probe succeeds); the window reloads on the new backend. */
  set(choice: BackendChoice): Promise<ProbeResult | { ok: true }>
}

type Trusted = (event: IpcMainInvokeEvent) => boolean

export function registerBackendChoice(window: BrowserWindow, trusted: Trusted, host: BackendChoiceHost): () => void {
  const refused = { ok: false, origin: '', reason: 'invalid', message: 'untrusted sender' } as const
  ipcMain.handle(BACKEND_GET_CHANNEL, (event) => (trusted(event) ? host.get() : null))
  ipcMain.handle(BACKEND_TEST_CHANNEL, async (event, url: unknown, token: unknown) => {
    if (!trusted(event)) return refused
    return host.test(typeof url === 'string' ? url : '', typeof token === 'string' ? token : '')
  })
  ipcMain.handle(BACKEND_SET_CHANNEL, async (event, choice: unknown) => {
    if (!trusted(event)) return refused
    const parsed = backendChoiceSchema.safeParse(choice)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      return { ok: false, origin: '', reason: 'invalid', message: `${issue.path[0] === 'token' ? 'Token' : 'Server URL'}: ${issue.message}` }
    }
    const result = await host.set(parsed.data)
    if (result.ok && !window.isDestroyed()) window.webContents.reload()
    return result
  })
  return () => {
    for (const channel of [BACKEND_GET_CHANNEL, BACKEND_TEST_CHANNEL, BACKEND_SET_CHANNEL]) ipcMain.removeHandler(channel)
  }
}
