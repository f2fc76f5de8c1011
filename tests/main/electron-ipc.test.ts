// The Electron path without the Electron binary: the renderer's error mapping → the sandboxed preload bridge → IPC →
// registerIpc → the real Backend, with `electron` replaced by an in-memory ipcMain/ipcRenderer pair. Checks calls,
// errors that keep their field across contextBridge, events, the trusted-sender rule and unregistering.
import { describe, expect, it, vi } from 'vitest'
import type { EngramApi } from '../../src/shared/api'
import { ApiError } from '../../src/shared/api'
import { toApiError } from '../../src/renderer/src/api/errors'
import { jobOutcome, withBackend, trainModel } from '../helpers/backend'

const bus = vi.hoisted(() => {
  type Fn = (...args: unknown[]) => unknown
  const handlers = new Map<string, Fn>()
  const listeners = new Map<string, Set<Fn>>()
  const state = { exposed: null as unknown, senderUrl: 'file:///opt/engram/out/renderer/index.html', senderId: 1, senderParent: null as unknown }
  return { handlers, listeners, state }
})

vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (...args: unknown[]) => unknown) => {
      if (bus.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
      bus.handlers.set(channel, fn)
    },
    removeHandler: (channel: string) => bus.handlers.delete(channel)
  },
  ipcRenderer: {
    invoke: async (channel: string, ...args: unknown[]) => {
      const fn = bus.handlers.get(channel)
      if (!fn) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`)
      // Electron hands the handler a structured clone of the arguments.
      return fn({ sender: { id: bus.state.senderId }, senderFrame: { url: bus.state.senderUrl, parent: bus.state.senderParent } }, ...(structuredClone(args) as unknown[]))
    },
    on: (channel: string, fn: (...args: unknown[]) => unknown) => {
      const set = bus.listeners.get(channel) ?? new Set()
      set.add(fn)
      bus.listeners.set(channel, set)
    },
    removeListener: (channel: string, fn: (...args: unknown[]) => unknown) => bus.listeners.get(channel)?.delete(fn)
  },
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => {
      if (key === 'engram') bus.state.exposed = api
    }
  }
}))

const backend = withBackend('engram-ipc-')
const window = {
  isDestroyed: () => false,
  webContents: {
    id: 1,
    send: (channel: string, ...args: unknown[]) => {
      for (const l of bus.listeners.get(channel) ?? []) l({}, ...(structuredClone(args) as unknown[]))
    }
  }
}

async function rendererApi(): Promise<{ api: EngramApi; unregister: () => void }> {
  const { registerIpc } = await import('../../src/main/ipc/register')
  const unregister = registerIpc(backend, window as never, undefined)
  await import('../../src/preload/index')
  // What the renderer's api/index.ts does with window.engram: rejections become ApiError through toApiError.
  const bridge = bus.state.exposed as EngramApi
  const api: EngramApi = {
    call: (method, params) => bridge.call(method, params).catch((e: unknown) => Promise.reject(toApiError(e))),
    on: (event, listener) => bridge.on(event, listener)
  }
  return { api, unregister }
}

describe('Electron IPC path (preload + registerIpc, electron mocked)', () => {
  it('calls, typed errors with their field, events, trusted senders only, and unregistering', async () => {
    const { api, unregister } = await rendererApi()
    const session = await api.call('sessions.create', { name: 'over ipc' })
    expect(session.name).toBe('over ipc')

    // An ApiError crosses contextBridge as JSON in the message and comes back whole.
    const bad = await trainModel(api as never, { sessionId: session.id, dataset: { builtin: 'letters', select: [0, 99] }, model: { kind: 'hopfield' } }).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(ApiError)
    expect(bad).toMatchObject({ code: 'bad-request', field: 'params.dataset.select.1' })
    const unknown = await api.call('nope.nothing' as never, {} as never).catch((e: unknown) => e)
    expect(unknown).toMatchObject({ code: 'not-found', field: 'method' })

    // Events reach the renderer through webContents.send → ipcRenderer.on.
    const trained = await trainModel(api as never, { sessionId: session.id, dataset: { builtin: 'seeds-003-auto' }, model: { kind: 'hopfield' } })
    const done: unknown[] = []
    const off = api.on('job.done', (p) => done.push(p))
    const { jobId } = await api.call('models.run', { sessionId: session.id, modelId: trained.id, run: { kind: 'recall.async', cue: [1, 1, -1, -1], seed: 1, order: 'sequential' } })
    await jobOutcome(backend, jobId)
    expect(done).toHaveLength(1)
    expect(done[0]).toMatchObject({ jobId, result: { kind: 'recall.async', result: { final: [1, 1, 1, -1] } } })
    off()

    // A frame that is not our renderer (a navigated or injected page) is refused.
    bus.state.senderUrl = 'https://evil.example/'
    await expect(api.call('sessions.list', {})).rejects.toMatchObject({ code: 'unauthorized' })
    bus.state.senderUrl = 'file:///opt/engram/out/renderer/index.html'
    // Another web contents (not this window's), or a subframe of ours, is refused too.
    bus.state.senderId = 2
    await expect(api.call('sessions.list', {})).rejects.toMatchObject({ code: 'unauthorized' })
    bus.state.senderId = 1
    bus.state.senderParent = { url: 'file:///opt/engram/out/renderer/index.html' }
    await expect(api.call('sessions.list', {})).rejects.toMatchObject({ code: 'unauthorized' })
    bus.state.senderParent = null
    await expect(api.call('sessions.list', {})).resolves.toEqual(expect.any(Array))

    // Closing the window unregisters the channel: later calls fail instead of reaching a closed backend.
    unregister()
    await expect(api.call('sessions.list', {})).rejects.toBeInstanceOf(ApiError)
    expect(bus.handlers.size).toBe(0)
  })
})
