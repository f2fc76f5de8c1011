// Source-mode job workers (tsx, no build) for tests and their child processes; no vitest import, so a child can use it.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = join(import.meta.dirname, '..', '..')

/**
 * A worker thread runs the bootstrap (which registers tsx, then imports the entry); a child process (the default)
 * runs the TypeScript entry itself under tsx's loader.
 */
export function sourceWorker(isolation: 'process' | 'thread' = 'process'): {
  url: URL
  workerData: { entry: string }
  isolation: 'process' | 'thread'
  processUrl: URL
  execArgv: string[]
} {
  const entry = pathToFileURL(join(root, 'src', 'main', 'worker', 'job-worker.ts'))
  return {
    url: pathToFileURL(join(root, 'tests', 'helpers', 'worker-bootstrap.mjs')),
    workerData: { entry: entry.href },
    isolation,
    processUrl: entry,
    execArgv: ['--import', import.meta.resolve('tsx')]
  }
}
