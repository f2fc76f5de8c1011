// Source-mode job workers (tsx, no build) for tests and their child processes; no vitest import, so a child can use it.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = join(import.meta.dirname, '..', '..')

export function sourceWorker(): { url: URL; workerData: { entry: string } } {
  return {
    url: pathToFileURL(join(root, 'tests', 'helpers', 'worker-bootstrap.mjs')),
    workerData: { entry: pathToFileURL(join(root, 'src', 'main', 'worker', 'job-worker.ts')).href }
  }
}
