import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it } from 'vitest'
import type { AsyncRecallResult, ExperimentRecord } from '../../src/shared/session'
import { setApi } from '../../src/renderer/src/api'
import { useDatasetsStore } from '../../src/renderer/src/stores/datasets'
import { useErrorsStore } from '../../src/renderer/src/stores/errors'
import { useExperimentsStore } from '../../src/renderer/src/stores/experiments'
import { useJobsStore } from '../../src/renderer/src/stores/jobs'
import { useRecallStore } from '../../src/renderer/src/stores/recall'
import { useSessionStore } from '../../src/renderer/src/stores/session'
import { boot, newSession } from '../../src/renderer/src/workbench'
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
    const record = { id: 'e1', name: 'noise', createdAt: '2026-01-01T00:00:00.000Z', result: { sweep: { type: 'noise', points: [] } } } as unknown as ExperimentRecord
    api.emit('job.done', { jobId: 'j5', sessionId: 'other', result: { kind: 'experiment', record } })
    expect(useSessionStore().state?.experiments).toEqual([])
    api.emit('job.done', { jobId: 'j5', sessionId: 's1', result: { kind: 'experiment', record } })
    expect(useSessionStore().state?.experiments).toEqual([record])
    expect(useExperimentsStore().selected?.id).toBe('e1')
    expect(useSessionStore().dirty).toBe(true)
  })
})
