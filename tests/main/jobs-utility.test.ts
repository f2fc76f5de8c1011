// Jobs in Electron utility processes (issue 11), without the Electron binary: the app (src/main/index.ts) hands the
// job manager Electron's utilityProcess; here a stand-in with the same surface (fork → postMessage, 'message', 'exit'
// with a code, pid, stderr, kill) forks a Node child whose `process.parentPort` is that of a utility process
// (tests/helpers/fake-parent-port.mjs). The real job worker runs in it: a training lands in its session, and a job
// that throws, crashes, runs out of its heap or is killed fails with its message while the backend goes on. What is
// not covered: Electron's own process launch, its message ordering and exit codes (see docs/reliability.md).
import { fork } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { constants } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Backend } from '../../src/main/services/backend'
import type { UtilityChild, UtilityProcessApi } from '../../src/main/services/jobs'
import { tempDir, trainKind } from '../helpers/backend'
import { sourceWorker } from '../helpers/worker-entry'
import { KILL_RBM } from '../helpers/kill-fixtures'

const shim = pathToFileURL(join(import.meta.dirname, '..', 'helpers', 'fake-parent-port.mjs')).href
type ForkCall = { modulePath: string; options: Parameters<UtilityProcessApi['fork']>[2] }

/** utilityProcess as Electron's main process has it, over a Node child process. */
function fakeUtilityProcess(calls: ForkCall[]): UtilityProcessApi {
  return {
    fork(modulePath, args = [], options = {}) {
      calls.push({ modulePath, options })
      const proc = fork(modulePath, args, { execArgv: ['--import', shim, ...(options.execArgv ?? [])], serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] })
      const child = new EventEmitter()
      let exited = false
      proc.on('message', (message) => child.emit('message', message))
      // As Chromium reports it: as soon as the process is reaped (its last messages may still be on their way), a
      // process ended by a signal with that signal's number.
      proc.on('exit', (code, signal) => {
        exited = true
        child.emit('exit', code ?? (signal ? constants.signals[signal] : -1))
      })
      return Object.assign(child, {
        get pid() {
          return exited ? undefined : proc.pid
        },
        stderr: proc.stderr,
        postMessage: (message: unknown) => void proc.send(message as never),
        kill: () => proc.kill('SIGTERM')
      }) as unknown as UtilityChild
    }
  }
}

type Runner = { start: (task: unknown, cb: unknown) => string; cancel: (id: string) => boolean; jobs: Map<string, { worker: { kill(): Promise<void>; pid?: number } }> }
const runnerOf = (b: Backend): Runner => (b as unknown as { jobs: { local: Runner } }).jobs.local

let tmp: ReturnType<typeof tempDir>
let backend: Backend
const calls: ForkCall[] = []
beforeAll(() => {
  tmp = tempDir('engram-utility-')
  backend = new Backend({
    dataDir: tmp.dir,
    transport: 'ipc',
    worker: { ...sourceWorker(), isolation: 'utility', utility: fakeUtilityProcess(calls), resourceLimits: { maxOldGenerationSizeMb: 192 } },
    provider: 'cpu'
  })
})
afterAll(async () => {
  await backend.close()
  tmp.cleanup()
})

describe('jobs in utility processes (utilityProcess stood in for)', () => {
  it('a training runs in a utility process of its own and lands in its session', async () => {
    const s = await backend.call('sessions.create', { name: 'utility' })
    const model = await trainKind(backend, { sessionId: s.id, ...KILL_RBM })
    expect(model).toMatchObject({ kind: 'rbm', hidden: KILL_RBM.model.hidden })
    expect('history' in model && model.history.length).toBe(KILL_RBM.model.epochs)
    const state = await backend.call('sessions.open', { id: s.id })
    expect(state.models.map((m) => m.id)).toEqual([model.id])
    // What was asked of utilityProcess.fork: the job-worker module, the heap cap, a name in Electron's process list.
    expect(calls).toHaveLength(1)
    expect(calls[0]!.modulePath).toMatch(/job-worker\.ts$/)
    expect(calls[0]!.options).toMatchObject({ serviceName: 'Engram job', stdio: ['ignore', 'inherit', 'pipe'] })
    expect(calls[0]!.options!.execArgv).toContain('--max-old-space-size=192')
  }, 120_000)

  it('a job that throws, crashes, runs out of its heap or is killed fails with its message; a cancel is a cancel; the backend goes on', async () => {
    const outcome = (kind: string, then?: (id: string) => void): Promise<string> =>
      new Promise((resolve) => {
        let id = ''
        id = runnerOf(backend).start(
          { kind },
          {
            onProgress() {},
            onDone: () => resolve('done?!'),
            onFailed: (error: string, cancelled: boolean) => resolve(cancelled ? `cancelled: ${error}` : error)
          }
        )
        then?.(id)
      })
    const settled = await Promise.all([
      outcome('test.throw'),
      outcome('test.crash'),
      outcome('test.oom'),
      outcome('test.spin', (id) => setTimeout(() => void runnerOf(backend).jobs.get(id)?.worker.kill(), 500)),
      outcome('test.spin', (id) => setTimeout(() => runnerOf(backend).cancel(id), 500))
    ])
    expect(settled).toEqual([
      'a bug in the job (test.throw)',
      'worker crashed: worker crashed on purpose (test.crash)',
      'worker crashed: out of memory (JavaScript heap over its 192 MiB limit)',
      `worker exited unexpectedly (code ${constants.signals.SIGKILL})`,
      'cancelled: cancelled'
    ])
    expect(runnerOf(backend).jobs.size).toBe(0)
    expect(await backend.call('sessions.list', {})).toHaveLength(1)
  }, 120_000)
})
