// jobs.list: a client that (re)opens a session finds its running jobs with their progress and every epoch's metrics.
import { describe, expect, it } from 'vitest'
import { jobOutcome, nextEvent, withBackend } from '../helpers/backend'

const backend = withBackend('engram-jobs-')

describe('jobs.list', () => {
  it('lists a running RBM training with its spec and the metrics of the epochs done, then drops it when it ends', async () => {
    const s = await backend.call('sessions.create', { name: 'jobs' })
    const other = await backend.call('sessions.create', { name: 'other' })
    expect(await backend.call('jobs.list', {})).toEqual([])
    const spec = {
      dataset: { builtin: 'digits' as const, count: 300 },
      model: { kind: 'rbm' as const, hidden: 16, epochs: 40, batchSize: 10 },
      seed: 3
    }
    const { jobId } = await backend.call('models.train', { sessionId: s.id, ...spec })
    // Wait for two finished epochs.
    for (;;) {
      const p = await nextEvent(backend, 'job.progress', jobId)
      if ((p.metrics?.epoch ?? 0) >= 2) break
    }
    const list = await backend.call('jobs.list', { sessionId: s.id })
    expect(list).toHaveLength(1)
    const j = list[0]!
    expect(j).toMatchObject({ jobId, sessionId: s.id, kind: 'rbm.train', spec: { kind: 'rbm.train', seed: 3, model: { hidden: 16, epochs: 40 } } })
    const epochs = j.metrics.map((m) => m.epoch).filter((e) => e !== undefined)
    expect(epochs.slice(0, 2)).toEqual([1, 2])
    expect(j.fraction).toBeGreaterThan(0)
    expect(Date.parse(j.startedAt)).not.toBeNaN()
    expect(await backend.call('jobs.list', { sessionId: other.id })).toEqual([])
    await backend.call('jobs.cancel', { jobId })
    await jobOutcome(backend, jobId).catch(() => undefined)
    expect(await backend.call('jobs.list', { sessionId: s.id })).toEqual([])
  })
})
