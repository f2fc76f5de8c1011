/// <reference types="vite/client" />
import type { EngramApi } from '../../shared/api'
import type { ShellBridge } from './api/backend'

declare global {
  interface Window {
    /** The Electron preload bridge; absent in browser mode (`engram serve`). */
    engram?: EngramApi
    /** The desktop shell's Backend setting (this computer or a remote server); absent in browser mode. */
    engramShell?: ShellBridge
  }
}

export {}
