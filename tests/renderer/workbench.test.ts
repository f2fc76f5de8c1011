import { createPinia, setActivePinia } from 'pinia'
import { experimentSpecSchema } from '../../src/shared/spec'
import { describe, expect, it } from 'vitest'
import type { AsyncRecallResult, ExperimentRecord } from '../../src/shared/session'
import { setApi } from '../../src/renderer/src/api'
import { useDatasetsStore } from '../../src/renderer/src/stores/datasets'
import { useErrorsStore } from '../../src/renderer/src/stores/errors'
import { useExperimentsStore } from '../../src/renderer/src/stores/experiments'
import { useJobsStore } from '../../src/renderer/src/stores/jobs'
import { useRecallStore } from '../../src/renderer/src/stores/recall'
import { useSessionStore } from '../../src/renderer/src/stores/session'
import { useRbmStore } from '../../src/renderer/src/stores/rbm'
import { boot, newSession, openSession } from '../../src/renderer/src/workbench'
import { FakeApi, emptySession, scriptToyDatasets } from './fake-api'

describe('workbench', () => {
  it('boots, routes job events to the open session, and reports failed jobs in the banner', async () => {
    const api = scriptToyDatasets(new FakeApi())
      .handle('app.info', () => ({ version: 't', transport: 'websocket', dataDir: '/d', rng: 'x', engine: { available: ['cpu'], chosen: 'cpu' } }))
      .handle('sessions.list', () => [])
      .handle('sessions.create', (p) => emptySession('s1', p.name))
      .handle('sessions.update', (p) => ({ ...emptySession('s1'), ui: p.patch.ui ?? {} }))
    setApi(api)
    setActivePinia(createPinia())
    await boot()
    expect(useDatasetsStore().currentId).toBe('seeds-000-nine')

    await newSession('N')
    expect(useSessionStore().id).toBe('s1')
    // The new session gets the workbench settings in its ui record.
    const ui = (api.callsOf('sessions.update').at(-1) as { patch: { ui: { workbench: { datasetId: string } } } }).patch.ui
    expect(ui.workbench.datasetId).toBe('seeds-000-nine')

    const result: AsyncRecallResult = {
      modelId: 'm',
      seed: 1,
      order: 'random',
      initial: [1, -1],
      units: [0, 1],
      values: [1, 1],
      energy: [0, -1, -1],
      overlaps: [[0], [1]],
      final: [1, 1],
      sweeps: 1,
      outcome: 'fixed-point',
      recalled: 0,
      mode: 'async', external: 'none', encoding: 'bipolar', steps: [], netInputs: [], pairEnergy: [], repeatOf: -1
    }
    api.emit('job.done', { jobId: 'j1', sessionId: 'other', result: { kind: 'recall.async', result } })
    expect(useRecallStore().result).toBeNull()
    api.emit('job.done', { jobId: 'j2', sessionId: 's1', result: { kind: 'recall.async', result } })
    expect(useRecallStore().result).toEqual(result)
    expect(useRecallStore().t).toBe(2)
    expect(useJobsStore().get('j2')?.status).toBe('done')

    api.emit('job.failed', { jobId: 'j3', sessionId: 's1', error: 'worker crashed', cancelled: false })
    expect(useErrorsStore().items.at(-1)?.message).toContain('worker crashed')
    api.emit('job.failed', { jobId: 'j4', sessionId: 's1', error: 'cancelled', cancelled: true })
    expect(useErrorsStore().items).toHaveLength(1)
    expect(useJobsStore().get('j4')?.status).toBe('cancelled')

    // A finished experiment lands in the session's experiments and is shown.
    const record: ExperimentRecord = {
      id: 'e1',
      name: 'noise',
      createdAt: '2026-01-01T00:00:00.000Z',
      result: {
        kind: 'engram.experiment-result',
        version: 1,
        spec: experimentSpecSchema.parse({ name: 'noise', seed: 1, dataset: { builtin: 'letters', count: 3 }, model: { kind: 'hopfield' }, sweep: { type: 'noise', fractions: [0] } }),
        createdAt: '2026-01-01T00:00:00.000Z',
        engram: 't',
        rng: 'x',
        compute: { path: 'core', provider: 'cpu' },
        sweep: { type: 'noise', points: [] }
      }
    }
    api.emit('job.done', { jobId: 'j5', sessionId: 'other', result: { kind: 'experiment', record } })
    expect(useSessionStore().state?.experiments).toEqual([])
    api.emit('job.done', { jobId: 'j5', sessionId: 's1', result: { kind: 'experiment', record } })
    expect(useSessionStore().state?.experiments).toEqual([record])
    expect(useExperimentsStore().selected?.id).toBe('e1')
    expect(useSessionStore().dirty).toBe(true)
  })

  it('opening a session follows its jobs still running in the backend: progress and the RBM live curves so far', async () => {
    const metrics = (epoch: number) => ({ epoch, steps: 10 * epoch, seconds: epoch, reconstructionError: 0.1 / epoch, pseudoLikelihood: -100 + epoch, freeEnergyTrain: -5, freeEnergyHeldOut: -4.9 })
    const api = scriptToyDatasets(new FakeApi())
      .handle('app.info', () => ({ version: 't', transport: 'websocket', dataDir: '/d', rng: 'x', engine: { available: ['cpu'], chosen: 'cpu' } }))
      .handle('sessions.list', () => [])
      .handle('sessions.open', (p) => emptySession(p.id, 'Running'))
      .handle('jobs.list', (p) => [
        {
          jobId: 'rj',
          sessionId: p.sessionId ?? 's9',
          kind: 'rbm.train',
          spec: {
            kind: 'rbm.train',
            dataset: { builtin: 'digits', count: 100, threshold: 0.5 },
            model: { kind: 'rbm', visibleUnits: 'bernoulli', hidden: 16, k: 1, persistent: false, learningRate: 0.05, momentum: 0.5, weightDecay: 0, batchSize: 10, epochs: 5, binarise: 'threshold', heldOut: 0.1, labels: false },
            seed: 1
          },
          startedAt: '2026-01-01T00:00:00.000Z',
          fraction: 0.4,
          rate: 12,
          etaSeconds: 3,
          message: 'epoch 2/5',
          metrics: [metrics(1), metrics(2)]
        }
      ])
    setApi(api)
    setActivePinia(createPinia())
    await boot()
    await openSession('s9')
    expect(api.callsOf('jobs.list')).toEqual([{ sessionId: 's9' }])
    const job = useJobsStore().get('rj')
    expect(job).toMatchObject({ status: 'running', kind: 'rbm.train', fraction: 0.4, message: 'epoch 2/5' })
    const rbm = useRbmStore()
    expect(rbm.training).toBe(true)
    expect(rbm.view?.live).toBe(true)
    expect(rbm.view?.epochs).toBe(5)
    expect(rbm.view?.points.map((p) => p.epoch)).toEqual([1, 2])
    // Later epochs keep coming as events (boot routed them in the first test; this pinia's store takes them directly).
    rbm.onProgress({ jobId: 'rj', sessionId: 's9', kind: 'rbm.train', fraction: 0.6, rate: 12, etaSeconds: 2, message: 'epoch 3/5', metrics: metrics(3) })
    expect(rbm.view?.points.map((p) => p.epoch)).toEqual([1, 2, 3])
    expect(useErrorsStore().items).toEqual([])
  })
})
