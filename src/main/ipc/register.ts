// Electron IPC transport: one invoke channel for calls, one push channel for events.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { ApiError, eventSchemas, isMethodName, type EventName } from '../../shared/api'
import type { Backend } from '../services/backend'
import { isAppUrl } from '../app-url'

export const CALL_CHANNEL = 'engram:call'
export const EVENT_CHANNEL = 'engram:event'

/**
 * Only our own renderer may call the backend: the window's web contents, its main frame, on the file:// bundle or the
 * dev server's origin (compared whole, so 'http://localhost:5173.evil.example' is not the dev server).
 */
export function trustedSender(event: IpcMainInvokeEvent, window: BrowserWindow, devUrl: string | undefined): boolean {
  const frame = event.senderFrame
  if (!frame || frame.parent || event.sender.id !== window.webContents.id) return false
  return isAppUrl(frame.url, devUrl, { files: true })
}

export function registerIpc(backend: Backend, window: BrowserWindow, devUrl: string | undefined): () => void {
  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, params: unknown) => {
    if (!trustedSender(event, window, devUrl)) return { error: { code: 'unauthorized', message: 'untrusted sender' } }
    if (!isMethodName(method)) return { error: { code: 'not-found', field: 'method', message: `method: unknown method '${String(method)}'` } }
    try {
      return { result: await backend.call(method, params) }
    } catch (error) {
      if (error instanceof ApiError) return { error: error.toPayload() }
      return { error: { code: 'failed', message: error instanceof Error ? error.message : String(error) } }
    }
  })
  const offs = (Object.keys(eventSchemas) as EventName[]).map((name) =>
    backend.on(name, (payload) => {
      if (!window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, name, payload)
    })
  )
  return () => {
    ipcMain.removeHandler(CALL_CHANNEL)
    offs.forEach((off) => off())
  }
}
