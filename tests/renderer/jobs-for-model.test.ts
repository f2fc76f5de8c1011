// A model run's progress bar belongs to its model: after the run ends it is not shown with another model (the batch
// recall's "100 % · 250/250 cues" carried over to a model it never ran on); while it runs it stays visible.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { setApi } from '../../src/renderer/src/api'
import { useJobsStore } from '../../src/renderer/src/stores/jobs'
import { FakeApi } from './fake-api'

let api: FakeApi

beforeEach(() => {
  api = new FakeApi().handle('models.run', () => ({ jobId: 'b1' }))
  setApi(api)
  setActivePinia(createPinia())
})

describe('jobs.forModel', () => {
  it("shows a finished run with its own model only, and a running one with any", async () => {
    const jobs = useJobsStore()
    const id = await jobs.startRun('s1', 'mA', { kind: 'recall.batch', corruption: { type: 'flip', fraction: 0.2 }, cuesPerPattern: 5, seed: 1 })
    expect(jobs.get(id)?.modelId).toBe('mA')
    expect(jobs.forModel(id, 'mB')?.status).toBe('running')
    jobs.onProgress({ jobId: id, sessionId: 's1', kind: 'recall.batch', fraction: 1, rate: 10, etaSeconds: 0, message: '250/250 cues' })
    jobs.onFailed({ jobId: id, sessionId: 's1', error: 'cancelled', cancelled: true })
    expect(jobs.forModel(id, 'mA')?.status).toBe('cancelled')
    expect(jobs.forModel(id, 'mB')).toBeNull()
    expect(jobs.forModel(null, 'mA')).toBeNull()
  })

  it('adopts the model of a run found running after a reload', () => {
    const jobs = useJobsStore()
    jobs.adopt({
      jobId: 'r1',
      sessionId: 's1',
      kind: 'rbm.sample',
      spec: { modelId: 'rbm1', run: { kind: 'rbm.sample', count: 4, steps: 10, from: 'noise', seed: 0 } },
      startedAt: '2026-01-01T00:00:00.000Z',
      fraction: 0.5,
      rate: 1,
      etaSeconds: 1,
      message: '',
      metrics: []
    })
    expect(jobs.get('r1')?.modelId).toBe('rbm1')
  })
})
