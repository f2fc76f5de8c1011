// Test helpers: a Backend over a temporary data directory, with source-mode workers.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Backend } from '../../src/main/services/backend'
import type { EventName, Events } from '../../src/shared/api'

const root = join(import.meta.dirname, '..', '..')

export function sourceWorker(): { url: URL; workerData: { entry: string } } {
  return {
    url: pathToFileURL(join(root, 'tests', 'helpers', 'worker-bootstrap.mjs')),
    workerData: { entry: pathToFileURL(join(root, 'src', 'main', 'worker', 'job-worker.ts')).href }
  }
}

export function tempDir(prefix = 'engram-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function makeBackend(dataDir: string): Backend {
  return new Backend({ dataDir, transport: 'websocket', worker: sourceWorker(), provider: 'cpu' })
}

/** Resolves with the first event of a kind for a job. */
export function nextEvent<E extends EventName>(backend: Backend, event: E, jobId?: string): Promise<Events[E]> {
  return new Promise((resolve) => {
    const off = backend.on(event, (payload) => {
      if (jobId && (payload as { jobId?: string }).jobId !== jobId) return
      off()
      resolve(payload)
    })
  })
}

/** Waits for a job to finish: resolves with job.done, rejects with the job.failed message. */
export function jobOutcome(backend: Backend, jobId: string): Promise<Events['job.done']> {
  return new Promise((resolve, reject) => {
    const offDone = backend.on('job.done', (p) => {
      if (p.jobId !== jobId) return
      offDone()
      offFail()
      resolve(p)
    })
    const offFail = backend.on('job.failed', (p) => {
      if (p.jobId !== jobId) return
      offDone()
      offFail()
      reject(Object.assign(new Error(p.error), { cancelled: p.cancelled }))
    })
  })
}
