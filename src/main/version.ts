// The Engram version, injected at build time from package.json (falls back for tests run from source).
declare const __ENGRAM_VERSION__: string | undefined
export const ENGRAM_VERSION: string = typeof __ENGRAM_VERSION__ === 'string' ? __ENGRAM_VERSION__ : '0.1.0-dev'
