// A job's process killed inside an onnxruntime run (issue 11): seeded trials that SIGKILL the child process of an RBM
// training and of a recurrent training, both on the engine, while it is inside a native `session.run`, and check
// that the app (this test process, its backend) goes on: it answers calls, the job fails with its message, the
// training's last checkpoint is kept as a partial model, and a job running beside it finishes.
// The kill is proven to land inside a run, not after a fixed delay: the worker processes load tests/helpers/ort-trace.mjs,
// which writes `enter N` / `exit N` around every native run; the test waits for the first checkpoint and then a
// seeded number of epoch (or step) reports, asks for the next run to be stretched (the same run repeated for up to
// 5 s), kills the process as soon as the stretch has begun, and then reads the trace: its last line must be an
// `enter` (the process died inside a native run, and only such a trace reads so). With worker threads this very kill
// (a terminate() inside the run) aborted the whole process (docs/reliability.md); the control at the end shows it.
// ENGRAM_KILL_TRIALS sets the trials per family (default 3); the figures are printed at the end.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Rng } from '../../src/core/rng'
import { Backend } from '../../src/main/services/backend'
import { SqliteSessionStore, type StoredCheckpoint } from '../../src/main/services/store'
import { SESSIONS_DB } from '../../src/main/paths'
import type { SessionModel } from '../../src/shared/session'
import { jobOutcome, tempDir } from '../helpers/backend'
import { sourceWorker } from '../helpers/worker-entry'
import { KILL_RBM, KILL_RNN } from '../helpers/kill-fixtures'

const root = join(import.meta.dirname, '..', '..')
const TRIALS = Number(process.env.ENGRAM_KILL_TRIALS ?? 3)

/** A store that tells when a job's checkpoint has been written. */
class WatchedStore extends SqliteSessionStore {
  readonly written = new Map<string, number>()
  private waiting: { jobId: string; resolve: () => void }[] = []
  override saveCheckpoint(c: StoredCheckpoint): void {
    super.saveCheckpoint(c)
    this.written.set(c.jobId, (this.written.get(c.jobId) ?? 0) + 1)
    for (const w of this.waiting.filter((x) => x.jobId === c.jobId)) w.resolve()
    this.waiting = this.waiting.filter((x) => x.jobId !== c.jobId)
  }
  checkpointed(jobId: string): Promise<void> {
    return this.written.has(jobId) ? Promise.resolve() : new Promise((resolve) => this.waiting.push({ jobId, resolve }))
  }
}

type Runner = { jobs: Map<string, { worker: { pid?: number } }> }
const runnerOf = (b: Backend): Runner => (b as unknown as { jobs: { local: Runner } }).jobs.local

const stepsOf = (m: SessionModel): number => ('stepsDone' in m ? m.stepsDone : 'history' in m ? m.history.length : -1)

/** Resolves when `ready()` holds, checking every 2 ms (the stretched run it waits for lasts seconds). */
async function until(ready: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = performance.now() + ms
  while (!ready()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

let tmp: ReturnType<typeof tempDir>
let traces: ReturnType<typeof tempDir>
let store: WatchedStore
let backend: Backend
const tally: Record<string, { trials: number; insideRun: number; survived: number; points: string[] }> = {}

beforeAll(() => {
  tmp = tempDir('engram-jobs-kill-')
  traces = tempDir('engram-ort-trace-')
  store = new WatchedStore(join(tmp.dir, SESSIONS_DB))
  const source = sourceWorker()
  const hook = `${pathToFileURL(join(root, 'tests', 'helpers', 'ort-trace.mjs')).href}?dir=${encodeURIComponent(traces.dir)}`
  backend = new Backend({ dataDir: tmp.dir, transport: 'websocket', worker: { ...source, execArgv: [...source.execArgv, '--import', hook] }, provider: 'cpu', store })
})
afterAll(async () => {
  await backend.close()
  tmp.cleanup()
  traces.cleanup()
  for (const [family, t] of Object.entries(tally)) {
    console.log(`kill inside an onnxruntime run, ${family}: ${t.trials} trials, ${t.insideRun} kills landed inside a native run, ${t.survived} survived (${t.points.join('; ')})`)
  }
})

describe.each([
  ['rbm', { ...KILL_RBM, model: { ...KILL_RBM.model, epochs: 300 } }, 14],
  ['recurrent', { ...KILL_RNN, model: { ...KILL_RNN.model, steps: 4000 } }, 15]
] as const)('a %s training on the engine', (family, params, seed) => {
  it(`SIGKILLed inside an onnxruntime run, ${TRIALS} seeded trials: the app goes on, the job fails with its message, the last checkpoint is kept, the job beside it finishes`, async () => {
    const rng = new Rng(seed)
    const t = (tally[family] ??= { trials: 0, insideRun: 0, survived: 0, points: [] })
    for (let trial = 0; trial < TRIALS; trial++) {
      const s = await backend.call('sessions.create', { name: `${family} kill ${trial}` })
      // A job beside the killed one (its own child process), which must finish with its result.
      const beside = await backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'letters', count: 12 }, model: { kind: 'modern', beta: 2 } })
      const besideDone = jobOutcome(backend, beside.jobId)
      const { jobId } = await backend.call('models.train', { sessionId: s.id, ...params } as never)
      const outcome = jobOutcome(backend, jobId).then(
        () => 'done?!',
        (error: Error) => error.message
      )
      const pid = runnerOf(backend).jobs.get(jobId)?.worker.pid
      expect(pid).toBeTypeOf('number')
      const trace = join(traces.dir, `trace-${pid}.log`)
      const lines = (): string[] => (existsSync(trace) ? readFileSync(trace, 'utf8').trim().split('\n') : [])

      // After its first checkpoint, a seeded number (1–4) of the engine loop's epoch or step reports.
      let reports = 0
      const wanted = 1 + rng.int(4)
      await store.checkpointed(jobId)
      await new Promise<void>((resolve) => {
        const off = backend.on('job.progress', (p) => {
          if (p.jobId !== jobId || !p.metrics || ++reports < wanted) return
          off()
          resolve()
        })
      })
      // The next native run is stretched; the kill goes as soon as it has begun.
      writeFileSync(join(traces.dir, `arm-${pid}`), '')
      // Wait for the first `enter` after the `stretch` line: killing on `stretch` alone could land between the two
      // writes, before the native run began (seen once in CI: "… | exit 29 | stretch 30").
      await until(() => {
        const l = lines()
        const st = l.findIndex((x) => x.startsWith('stretch'))
        return st >= 0 && l.slice(st + 1).some((x) => x.startsWith('enter'))
      }, 'the stretched run')
      process.kill(pid!, 'SIGKILL')
      const error = await outcome
      t.trials++

      // The process died inside a native run: the trace ends with an `enter`, after the stretch began.
      const trail = lines()
      const stretch = trail.findIndex((l) => l.startsWith('stretch'))
      const insideRun = /^enter \d+$/.test(trail.at(-1)!) && trail.length - 1 > stretch
      if (insideRun) t.insideRun++
      expect(insideRun, trail.slice(-4).join(' | ')).toBe(true)
      expect(error).toMatch(/^worker exited unexpectedly \(signal SIGKILL\); its last checkpoint is kept as '.+ · recovered'$/)

      // The backend answers; the killed training is in the session as a partial model; the other job finished.
      expect((await backend.call('jobs.list', { sessionId: s.id })).map((j) => j.jobId)).not.toContain(jobId)
      const other = await besideDone
      expect(other.result.kind).toBe('modern.train')
      const state = await backend.call('sessions.open', { id: s.id })
      const kept = state.models.find((m) => m.kind === family)
      expect(kept).toMatchObject({ partial: true, name: expect.stringMatching(/· recovered$/) })
      const total = 'steps' in params.model ? params.model.steps : params.model.epochs
      const reached = stepsOf(kept!)
      expect(reached).toBeGreaterThan(0)
      expect(reached).toBeLessThan(total)
      expect(state.models.map((m) => m.kind).sort()).toEqual([family, 'modern'].sort())
      t.survived++
      t.points.push(`killed in native run ${trail.at(-1)!.split(' ')[1]} after ${wanted} report(s), kept at ${reached}`)
    }
  }, 240_000)
})

describe('the control: the same kill with worker threads', () => {
  it('a worker thread terminated inside an onnxruntime run takes its whole process down (why jobs run in child processes)', () => {
    // tests/helpers/thread-kill.ts runs one trial of the test above with isolation 'thread' in a process of its own.
    // terminate() is asynchronous: once in CI it took effect after the stretched run had returned ("… | exit 37"), in
    // JavaScript between two runs, which says nothing either way. Such an attempt is logged and tried again (up to 3).
    const seen: string[] = []
    for (let attempt = 1; attempt <= 3; attempt++) {
      const control = tempDir('engram-thread-kill-')
      try {
        const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', join(root, 'tests', 'helpers', 'raw-hooks.mjs'), join(root, 'tests', 'helpers', 'thread-kill.ts'), control.dir], { cwd: root, encoding: 'utf8', timeout: 120_000 })
        if (run.error) throw run.error
        const said = run.stdout.trim().split('\n')
        const ended = run.signal ?? `code ${run.status}`
        expect(said).toContain('terminating inside the stretched run')
        const trace = readdirSync(control.dir).find((f) => f.startsWith('trace-'))
        const last = readFileSync(join(control.dir, trace!), 'utf8').trim().split('\n').at(-1)!
        seen.push(`attempt ${attempt}: ${said.join(' | ')}; trace ends '${last}'; the process ended with ${ended}`)
        // Where it died: inside the stretched native run, as in the trials above; otherwise the attempt does not count.
        if (!/^enter \d+$/.test(last)) continue
        console.log(`control with a worker thread: ${seen.join(' // ')}`)
        expect(said).not.toContain('survived')
        expect(run.signal).toBe('SIGABRT')
        return
      } finally {
        control.cleanup()
      }
    }
    expect.fail(`no attempt terminated the worker inside a native run: ${seen.join(' // ')}`)
  }, 400_000)
})
