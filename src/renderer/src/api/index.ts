// The renderer's one door to the backend. The UI never knows whether it is the Electron preload
// bridge (window.engram) or the WebSocket client to `engram serve`.
import type { EngramApi, EventName, Events, MethodName, Params, Result } from '../../../shared/api'
import { toApiError } from './errors'
import { WsClient, wsUrlFor, type ConnectionInfo } from './ws-client'
import { remoteSocketUrl, type BackendChoice } from '../../../shared/remote-backend'
import { defaultHost, type BackendHost } from './backend'

export type { ConnectionInfo, ConnectionStatus } from './ws-client'

export interface ApiConnection {
  readonly info: ConnectionInfo
  onStatus(listener: (info: ConnectionInfo) => void): () => void
  retryNow(): void
}

const TOKEN_KEY = 'engram.token'

let api: EngramApi | null = null
let connection: ApiConnection | null = null
/** The backend chosen for this window (read once, before the app mounts; changing it reloads the page). */
let chosen: BackendChoice = { mode: 'local' }
let host: BackendHost | null = null

/** Reads the Backend setting (the shell's, or the browser's storage) so that getApi() connects to the chosen backend. */
export async function prepareApi(from: BackendHost | null = defaultHost()): Promise<void> {
  host = from
  try {
    chosen = (await from?.load()) ?? { mode: 'local' }
  } catch (error) {
    console.error('reading the Backend setting failed; using this computer', error)
    chosen = { mode: 'local' }
  }
  api = null
  connection = null
}

/** Where this window's API goes: this computer, or a remote server's origin (never its token). */
export function activeBackend(): { mode: 'local' } | { mode: 'remote'; origin: string } {
  return chosen.mode === 'local' ? { mode: 'local' } : { mode: 'remote', origin: chosen.url }
}

export function backendHost(): BackendHost | null {
  return host
}

function wsConnection(client: WsClient): ApiConnection {
  return {
    get info() {
      return client.connection
    },
    onStatus: (l) => client.onStatus(l),
    retryNow: () => client.retryNow()
  }
}

/** Wraps the preload bridge so rejections become ApiError like the WebSocket client's. */
function fromBridge(bridge: EngramApi): EngramApi {
  return {
    async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
      try {
        return await bridge.call(method, params)
      } catch (error) {
        throw toApiError(error)
      }
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
      return bridge.on(event, listener)
    }
  }
}

function staticConnection(info: ConnectionInfo): ApiConnection {
  return { info, onStatus: (l) => (l(info), () => {}), retryNow: () => {} }
}

function create(): void {
  const w = typeof window === 'undefined' ? undefined : window
  if (chosen.mode === 'remote') {
    // A remote `engram serve`: the same WebSocket client as browser mode, to the chosen server with its token.
    const client = new WsClient(remoteSocketUrl(chosen.url, chosen.token), { neverOpenedHint: `is \`engram serve\` running at ${chosen.url}? (Backend setting: switch back to this computer)` })
    api = client
    connection = wsConnection(client)
    return
  }
  if (w?.engram) {
    api = fromBridge(w.engram)
    connection = staticConnection({ status: 'open', transport: 'ipc', retryAt: null, detail: '' })
    return
  }
  if (!w) throw new Error('no API: not in a browser and none was set')
  const fromUrl = new URLSearchParams(w.location.search).get('token')
  let stored: string | null = null
  try {
    if (fromUrl) w.sessionStorage.setItem(TOKEN_KEY, fromUrl)
    else stored = w.sessionStorage.getItem(TOKEN_KEY)
  } catch {
    // storage may be disabled; the URL token still works
  }
  const client = new WsClient(wsUrlFor(w.location, stored), {
    neverOpenedHint: fromUrl || stored ? 'is `engram serve` running, and is this its URL?' : 'the page URL has no ?token=…; open the URL `engram serve` printed'
  })
  api = client
  connection = wsConnection(client)
}

export function getApi(): EngramApi {
  if (!api) create()
  return api!
}

export function getConnection(): ApiConnection {
  if (!connection) create()
  return connection!
}

/** Installs an API implementation (unit tests, or an embedding host). */
export function setApi(next: EngramApi, info?: Partial<ConnectionInfo>): void {
  api = next
  connection = staticConnection({ status: 'open', transport: 'ipc', retryAt: null, detail: '', ...info })
}
