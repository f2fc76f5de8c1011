// Test helpers: a Backend over a temporary data directory, with source-mode workers.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { Backend } from '../../src/main/services/backend'
import type { EventName, Events, Params } from '../../src/shared/api'
import type { RunResult, SessionModel } from '../../src/shared/session'

import { sourceWorker } from './worker-entry'

export { sourceWorker }

export function tempDir(prefix = 'engram-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function makeBackend(dataDir: string): Backend {
  return new Backend({ dataDir, transport: 'websocket', worker: sourceWorker(), provider: 'cpu' })
}

/**
 * A Backend over a fresh temporary data directory for one test file: made before its tests, closed and removed
 * after them. The value stands for that backend (a proxy), so tests call it as they would the real one.
 */
export function withBackend(prefix = 'engram-test-'): Backend {
  let tmp: ReturnType<typeof tempDir> | null = null
  let current: Backend | null = null
  beforeAll(() => {
    tmp = tempDir(prefix)
    current = makeBackend(tmp.dir)
  })
  afterAll(async () => {
    await current?.close()
    tmp?.cleanup()
    current = null
  })
  return new Proxy({} as Backend, {
    get(_target, prop) {
      if (!current) throw new Error('the test backend is used outside its tests')
      const value: unknown = Reflect.get(current, prop, current)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value
    }
  })
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

/** Cancels a job once its first progress report has come (so some work is done), and waits for its outcome. */
export async function cancelAfterFirstProgress(backend: Backend, jobId: string): Promise<Events['job.done']> {
  await new Promise<void>((resolve) => {
    const off = backend.on('job.progress', (p) => {
      if (p.jobId !== jobId) return
      off()
      resolve()
    })
  })
  await backend.call('jobs.cancel', { jobId })
  return jobOutcome(backend, jobId)
}

/** models.train as a test awaits it: the job's trained model (rejects with the job's failure). */
export async function trainModel(backend: Backend, params: Params<'models.train'>): Promise<SessionModel> {
  const { jobId } = await backend.call('models.train', params)
  const done = await jobOutcome(backend, jobId)
  if (!('model' in done.result)) throw new Error(`models.train: a ${done.result.kind} result came back`)
  return done.result.model
}

/** trainModel for one family: the model typed as that family's session entry. */
export async function trainKind<K extends SessionModel['kind']>(backend: Backend, params: Params<'models.train'> & { model: { kind: K } }): Promise<Extract<SessionModel, { kind: K }>> {
  return (await trainModel(backend, params)) as Extract<SessionModel, { kind: K }>
}

/** models.run as a test awaits it: the run's result (rejects with the job's failure). */
export async function runModel<K extends RunResult['kind']>(
  backend: Backend,
  params: Params<'models.run'> & { run: { kind: K } }
): Promise<Extract<RunResult, { kind: K }>> {
  const { jobId } = await backend.call('models.run', params)
  const done = await jobOutcome(backend, jobId)
  return done.result as Extract<RunResult, { kind: K }>
}
