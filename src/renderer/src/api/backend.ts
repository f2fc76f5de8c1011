// Which backend this window uses: this computer (the preload bridge in the desktop app, the serving `engram serve` in a
// browser) or a remote `engram serve` (URL + token). The choice is kept on this machine: by the desktop shell (a file in
// its data directory, which also serves the page with a CSP allowing exactly that server), or in a browser by
// localStorage. Applying a choice reloads the page, which then connects to the chosen backend.
import { backendChoiceSchema, probeBackend, type BackendChoice, type ProbeResult, type ProbeSocket } from '../../../shared/remote-backend'

declare const __ENGRAM_VERSION__: string | undefined
/** The API contract this renderer speaks (injected at build time; a remote server of another version is refused). */
export const RENDERER_VERSION: string = typeof __ENGRAM_VERSION__ === 'string' ? __ENGRAM_VERSION__ : '0.1.0-dev'

export type ApplyResult = ProbeResult | { ok: true }

/** The desktop shell's side (src/preload: window.engramShell). */
export interface ShellBridge {
  backend(): Promise<{ choice: BackendChoice; version: string } | null>
  testBackend(url: string, token: string): Promise<ProbeResult>
  setBackend(choice: BackendChoice): Promise<ApplyResult>
}

export interface BackendHost {
  readonly kind: 'shell' | 'browser'
  load(): Promise<BackendChoice>
  test(url: string, token: string): Promise<ProbeResult>
  /** Keeps the choice and reloads the page on it; a remote one is tested first and refused with the reason. */
  apply(choice: BackendChoice): Promise<ApplyResult>
}

export const BACKEND_KEY = 'engram.backend'

interface BrowserEnv {
  localStorage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>
  location: { reload(): void }
  createSocket: (url: string) => ProbeSocket
}

export function browserHost(env: BrowserEnv): BackendHost {
  const test = (url: string, token: string): Promise<ProbeResult> => probeBackend(url, token, { expectedVersion: RENDERER_VERSION, createSocket: env.createSocket })
  return {
    kind: 'browser',
    async load() {
      let raw: string | null = null
      try {
        raw = env.localStorage.getItem(BACKEND_KEY)
      } catch {
        return { mode: 'local' }
      }
      if (!raw) return { mode: 'local' }
      try {
        const parsed = backendChoiceSchema.safeParse(JSON.parse(raw))
        if (parsed.success) return parsed.data
      } catch {
        // damaged: fall through
      }
      console.warn(`${BACKEND_KEY}: stored backend choice is damaged; using this computer`)
      return { mode: 'local' }
    },
    test,
    async apply(choice) {
      if (choice.mode === 'remote') {
        const found = await test(choice.url, choice.token)
        if (!found.ok) return found
        env.localStorage.setItem(BACKEND_KEY, JSON.stringify(choice))
      } else env.localStorage.removeItem(BACKEND_KEY)
      env.location.reload()
      return { ok: true }
    }
  }
}

export function shellHost(bridge: ShellBridge): BackendHost {
  return {
    kind: 'shell',
    async load() {
      return (await bridge.backend())?.choice ?? { mode: 'local' }
    },
    test: (url, token) => bridge.testBackend(url, token),
    apply: (choice) => bridge.setBackend(choice)
  }
}

/** The host of this window: the shell's bridge in the desktop app, else the browser's storage. */
export function defaultHost(): BackendHost | null {
  if (typeof window === 'undefined') return null
  if (window.engramShell) return shellHost(window.engramShell)
  return browserHost({ localStorage: window.localStorage, location: window.location, createSocket: (u) => new WebSocket(u) as unknown as ProbeSocket })
}
