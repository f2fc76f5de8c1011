// Faulty workers and many jobs (issue 11): eight jobs queued at once on this (2-core) machine through the backend —
// trainings and runs of four families and a sweep, one job that throws, one that runs out of its heap, and one whose
// process is SIGKILLed — all settle: the good ones with their results, the bad ones with a message, and the backend
// answers calls all along (its round-trip latency is measured and printed, not asserted). Cancel stops a training
// within one progress report. A training finished in a session never saved comes back after the app dies (kills
// mid-training: kill-loops.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Backend } from '../../src/main/services/backend'
import type { SqliteSessionStore } from '../../src/main/services/store'
import type { Events } from '../../src/shared/api'
import type { SessionModel } from '../../src/shared/session'
import { jobOutcome, makeBackend, tempDir, trainKind } from '../helpers/backend'
import { sourceWorker } from '../helpers/worker-entry'
import { KILL_RBM, KILL_RNN } from '../helpers/kill-fixtures'

type Runner = { start: (task: unknown, cb: unknown) => string; jobs: Map<string, { worker: { kill(): Promise<void> } }> }
// The backend's jobs go through QueueRoutedJobs; with no queue set it hands every job to its local JobManager.
const runnerOf = (b: Backend): Runner => {
  const routed = (b as unknown as { jobs: { local?: Runner } }).jobs
  if (!routed.local) throw new Error('the backend has no local JobManager behind its jobs')
  return routed.local
}

let tmp: ReturnType<typeof tempDir>
let backend: Backend
beforeAll(() => {
  tmp = tempDir('engram-faults-')
  // A heap limit per job worker, low enough for the runaway job to reach it in a second or two.
  backend = new Backend({ dataDir: tmp.dir, transport: 'websocket', worker: { ...sourceWorker(), resourceLimits: { maxOldGenerationSizeMb: 192 } }, provider: 'cpu' })
})
afterAll(async () => {
  await backend.close()
  tmp.cleanup()
})

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!

describe('faulty workers and eight jobs at once', () => {
  it('eight jobs queued together all settle: five results, three failures with their message; the backend keeps answering', async () => {
    const s = await backend.call('sessions.create', { name: 'eight jobs' })
    const hopfield = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'digits', select: [0, 1, 2, 3, 4] }, model: { kind: 'hopfield', rule: 'hebb' } })
    const started = performance.now()
    // The backend's answers while the jobs run: one call every 25 ms, its round trip timed.
    const latencies: number[] = []
    let polling = true
    const poll = (async () => {
      while (polling) {
        const t0 = performance.now()
        await backend.call('sessions.list', {})
        await backend.call('jobs.list', { sessionId: s.id })
        latencies.push(performance.now() - t0)
        await new Promise((r) => setTimeout(r, 25))
      }
    })()
    const real = await Promise.all([
      backend.call('models.train', { sessionId: s.id, ...KILL_RNN }),
      backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'letters', count: 12 }, model: { kind: 'modern', beta: 2 } }),
      backend.call('models.run', { sessionId: s.id, modelId: hopfield.id, run: { kind: 'recall.batch', corruption: { type: 'flip', fraction: 0.1 }, cuesPerPattern: 40, seed: 3, maxIterations: 30 } }),
      backend.call('jobs.start', {
        sessionId: s.id,
        spec: { kind: 'experiment', spec: { name: 'noise', seed: 4, dataset: { builtin: 'letters', select: [0, 2, 8, 21] }, model: { kind: 'hopfield', rule: 'pseudo-inverse' }, sweep: { type: 'noise', fractions: [0, 0.1, 0.2, 0.3], cuesPerPattern: 40 } } }
      }),
      backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'digits', count: 300 }, model: { kind: 'rbm', hidden: 24, epochs: 4, batchSize: 25, learningRate: 0.1 }, seed: 9 })
    ])
    const settled = Promise.all(real.map(({ jobId }) => jobOutcome(backend, jobId)))
    const fault = (kind: string, onStart?: (id: string) => void) =>
      new Promise<string>((resolve) => {
        const id = runnerOf(backend).start({ kind }, { onProgress() {}, onDone: () => resolve('done?!'), onFailed: (e: string) => resolve(e) })
        onStart?.(id)
      })
    const thrown = fault('test.throw')
    // A job over its heap limit (--max-old-space-size=192 in its child process): V8 ends that process, never the app.
    const oom = fault('test.oom')
    // The eighth job's child process is killed from outside (SIGKILL) while it runs (a kill inside an onnxruntime run:
    // jobs-kill.test.ts).
    const killed = fault('test.spin', (id) => setTimeout(() => void runnerOf(backend).jobs.get(id)?.worker.kill(), 500))
    const outcomes = await settled
    const failures = { thrown: await thrown, oom: await oom, killed: await killed }
    const seconds = (performance.now() - started) / 1000
    polling = false
    await poll
    expect(outcomes.map((o) => o.result.kind)).toEqual(['recurrent.train', 'modern.train', 'recall.batch', 'experiment', 'rbm.train'])
    expect(failures).toEqual({
      thrown: 'a bug in the job (test.throw)',
      oom: 'worker crashed: out of memory (JavaScript heap over its 192 MiB limit)',
      killed: 'worker exited unexpectedly (signal SIGKILL)'
    })
    const state = await backend.call('sessions.open', { id: s.id })
    expect(state.models.map((m) => m.kind).sort()).toEqual(['hopfield', 'modern', 'rbm', 'recurrent'])
    // Nothing left running; the backend still answers.
    expect(await backend.call('jobs.list', { sessionId: s.id })).toEqual([])
    expect((await backend.call('datasets.list', {})).length).toBeGreaterThanOrEqual(5)
    console.log(
      `eight jobs on ${(await import('node:os')).availableParallelism()} cores: settled in ${seconds.toFixed(1)} s; backend round trip (sessions.list + jobs.list) over ${latencies.length} calls: ` +
        `median ${quantile(latencies, 0.5).toFixed(1)} ms, p95 ${quantile(latencies, 0.95).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`
    )
  }, 180_000)

  it('cancel stops a training at once: a partial model, long before its end', async () => {
    const s = await backend.call('sessions.create', { name: 'cancel' })
    for (const params of [
      { ...KILL_RBM, model: { ...KILL_RBM.model, epochs: 200 } },
      { ...KILL_RNN, model: { ...KILL_RNN.model, steps: 4000 } }
    ] as const) {
      const { jobId } = await backend.call('models.train', { sessionId: s.id, ...params } as never)
      const after: Events['job.progress'][] = []
      let cancelledAt = 0
      const off = backend.on('job.progress', (p) => {
        if (p.jobId !== jobId) return
        if (cancelledAt) after.push(p)
        else if (p.metrics) {
          cancelledAt = performance.now()
          void backend.call('jobs.cancel', { jobId })
        }
      })
      const done = await jobOutcome(backend, jobId)
      off()
      const stopMs = performance.now() - cancelledAt
      // A cancel (after the first epoch or step report) keeps what was done as a partial model, long before the end;
      // the reports that were on their way are counted and printed.
      expect(done.result).toMatchObject({ model: { partial: true } })
      const model = (done.result as { model: SessionModel }).model
      const total = 'steps' in params.model ? params.model.steps : params.model.epochs
      const reached = ('stepsDone' in model ? model.stepsDone : 'history' in model ? model.history.length : total) / total
      expect(reached).toBeLessThan(0.1)
      console.log(`cancel of a ${params.model.kind} training: stopped ${stopMs.toFixed(0)} ms after the cancel, ${after.length} progress report(s) after it`)
    }
  }, 120_000)

  it('a training finished in a session never saved survives the app dying before a save: the session comes back with it', async () => {
    const dir = tempDir('engram-crash-backend-')
    try {
      const first = makeBackend(dir.dir)
      const s = await first.call('sessions.create', { name: 'never saved' })
      const model = await trainKind(first, { sessionId: s.id, ...KILL_RBM })
      // The app goes away without a save (its process killed, or closed without saving: only the store is left).
      await first.close()
      const second = makeBackend(dir.dir)
      try {
        const listed = await second.call('sessions.list', {})
        expect(listed.map((r) => r.name)).toEqual(['never saved (recovered)'])
        const state = await second.call('sessions.open', { id: listed[0]!.id })
        expect(state.id).toBe(s.id)
        expect(state.models).toEqual([{ ...model, name: `${model.name} · recovered` }])
        // Saving keeps it for good, and the checkpoint is dropped.
        await second.call('sessions.save', { id: s.id })
      } finally {
        await second.close()
      }
      const third = makeBackend(dir.dir)
      const reopened = await third.call('sessions.open', { id: s.id })
      expect(reopened.models.map((m) => m.id)).toEqual([model.id])
      expect((third as unknown as { store: SqliteSessionStore }).store.checkpoints()).toEqual([])
      await third.close()
    } finally {
      dir.cleanup()
    }
  }, 120_000)

  it('an app closed mid-training gives the training back as a partial model when the session is opened again', async () => {
    const dir = tempDir('engram-close-mid-')
    try {
      const first = makeBackend(dir.dir)
      const s = await first.call('sessions.create', { name: 'closed mid-training' })
      const { jobId } = await first.call('models.train', { sessionId: s.id, ...KILL_RBM, model: { ...KILL_RBM.model, epochs: 300 } })
      await new Promise<void>((resolve) => {
        let epochs = 0
        const off = first.on('job.progress', (p) => {
          if (p.jobId !== jobId || !p.metrics || ++epochs < 2) return
          off()
          resolve()
        })
      })
      // Closing cancels the jobs first, so the training's partial model is stored as its checkpoint.
      await first.close()
      const second = makeBackend(dir.dir)
      try {
        const listed = await second.call('sessions.list', {})
        expect(listed.map((r) => r.name)).toEqual(['closed mid-training (recovered)'])
        const state = await second.call('sessions.open', { id: s.id })
        expect(state.models).toHaveLength(1)
        expect(state.models[0]).toMatchObject({ kind: 'rbm', partial: true, name: expect.stringMatching(/· recovered$/) })
        const epochs = 'history' in state.models[0]! ? state.models[0].history.length : 0
        expect(epochs).toBeGreaterThanOrEqual(2)
        expect(epochs).toBeLessThan(300)
      } finally {
        await second.close()
      }
    } finally {
      dir.cleanup()
    }
  }, 120_000)
})
