// Sandboxed preload: exposes the typed API as window.engram (call + on) and the Backend setting as window.engramShell.
import { contextBridge, ipcRenderer } from 'electron'
import type { ApiErrorPayload, EventName, MethodName } from '../shared/api'

const CALL_CHANNEL = 'engram:call'
const EVENT_CHANNEL = 'engram:event'

type Reply = { result: unknown } | { error: ApiErrorPayload }

contextBridge.exposeInMainWorld('engram', {
  async call(method: MethodName, params: unknown): Promise<unknown> {
    const reply = (await ipcRenderer.invoke(CALL_CHANNEL, method, params)) as Reply
    // contextBridge copies only an Error's message: carry the whole payload (code, field) as JSON in it.
    if ('error' in reply) throw new Error(JSON.stringify(reply.error))
    return reply.result
  },
  on(event: EventName, listener: (payload: unknown) => void): () => void {
    const wrapped = (_e: unknown, name: string, payload: unknown): void => {
      if (name === event) listener(payload)
    }
    ipcRenderer.on(EVENT_CHANNEL, wrapped)
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, wrapped)
  }
})

// The Backend setting (this computer or a remote `engram serve`): read, test and set through the shell, which keeps it
// on this machine and serves the page with the matching Content-Security-Policy.
contextBridge.exposeInMainWorld('engramShell', {
  backend: (): Promise<unknown> => ipcRenderer.invoke('engram:backend:get'),
  testBackend: (url: string, token: string): Promise<unknown> => ipcRenderer.invoke('engram:backend:test', url, token),
  setBackend: (choice: unknown): Promise<unknown> => ipcRenderer.invoke('engram:backend:set', choice)
})
