/// <reference types="vite/client" />
import type { EngramApi } from '../../shared/api'

declare global {
  interface Window {
    /** The Electron preload bridge; absent in browser mode (`engram serve`). */
    engram?: EngramApi
  }
}

export {}
