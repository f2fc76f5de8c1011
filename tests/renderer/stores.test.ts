import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError } from '../../src/shared/api'
import type { AsyncRecallResult, BatchRecallResult, ModelInfo, SessionState } from '../../src/shared/session'
import { corrupt } from '../../src/core/corrupt'
import { Rng } from '../../src/core/rng'
import { setApi } from '../../src/renderer/src/api'
import { useBatchStore } from '../../src/renderer/src/stores/batch'
import { useCueStore } from '../../src/renderer/src/stores/cue'
import { describeCorruption } from '../../src/renderer/src/lib/cue'
import { PAGE_SIZE, useDatasetsStore } from '../../src/renderer/src/stores/datasets'
import { useErrorsStore } from '../../src/renderer/src/stores/errors'
import { useJobsStore } from '../../src/renderer/src/stores/jobs'
import { useModelStore } from '../../src/renderer/src/stores/model'
import { useRecallStore } from '../../src/renderer/src/stores/recall'
import { useSessionStore } from '../../src/renderer/src/stores/session'
import { restore } from '../../src/renderer/src/workbench'
import { FakeApi, TOY, emptySession, scriptToyDatasets } from './fake-api'

let api: FakeApi

beforeEach(() => {
  api = scriptToyDatasets(new FakeApi())
  setApi(api)
  setActivePinia(createPinia())
})

const model: ModelInfo = {
  kind: 'hopfield',
  id: 'm1',
  name: 'hopfield-1',
  spec: { kind: 'hopfield', rule: 'hebb', normalisation: '1/N', zeroDiagonal: true },
  dataset: { builtin: 'seeds-000-nine', select: [1, 3], threshold: 0.5 },
  units: 4,
  patterns: 2,
  patternIndices: [1, 3],
  width: 2,
  height: 2,
  storedFixedPoints: 2,
  seed: 0,
  createdAt: '2026-01-01T00:00:00.000Z'
}

describe('session store', () => {
  it('creates, updates and saves, tracking the dirty flag', async () => {
    let state = emptySession('s9', 'Mine')
    api
      .handle('sessions.create', (p) => (state = { ...emptySession('s9', p.name) }))
      .handle('sessions.update', (p) => (state = { ...state, ...(p.patch.name ? { name: p.patch.name } : {}) }))
      .handle('sessions.save', () => ({ id: 's9', name: state.name, createdAt: state.createdAt, updatedAt: '2026-02-02T00:00:00.000Z', models: 0, dirty: false }))
    const session = useSessionStore()
    await session.create('Mine')
    expect(session.id).toBe('s9')
    expect(session.dirty).toBe(true)
    await session.save()
    expect(session.dirty).toBe(false)
    expect(session.list.map((s) => s.id)).toEqual(['s9'])
    await session.update({ name: 'Renamed' })
    expect(api.callsOf('sessions.update')).toEqual([{ id: 's9', patch: { name: 'Renamed' } }])
    expect(session.name).toBe('Renamed')
    expect(session.dirty).toBe(true)
  })

  it('merges ui patches into the existing ui record', async () => {
    const state: SessionState = { ...emptySession(), ui: { keep: 1 } }
    api.handle('sessions.open', () => state).handle('sessions.update', (p) => ({ ...state, ui: p.patch.ui ?? state.ui }))
    const session = useSessionStore()
    await session.open('s1')
    await session.updateUi({ added: true })
    expect(api.callsOf('sessions.update')).toEqual([{ id: 's1', patch: { ui: { keep: 1, added: true } } }])
  })
})

describe('datasets store', () => {
  it('loads the first page on select and fetches missing indices in contiguous runs', async () => {
    const datasets = useDatasetsStore()
    await datasets.loadList()
    await datasets.select('seeds-000-nine')
    expect(api.callsOf('datasets.get')).toEqual([{ id: 'seeds-000-nine', offset: 0, limit: 4, threshold: 0.5 }])
    expect(Array.from(datasets.pattern('seeds-000-nine', 2)!)).toEqual(TOY.patterns[2])
    expect(datasets.pageIndices).toEqual([0, 1, 2, 3])
    expect(PAGE_SIZE).toBeGreaterThanOrEqual(4)

    api.calls.length = 0
    const got = await datasets.fetch('seeds-000-nine', [3, 1], 0.7)
    expect(api.callsOf('datasets.get')).toEqual([
      { id: 'seeds-000-nine', offset: 1, limit: 1, threshold: 0.7 },
      { id: 'seeds-000-nine', offset: 3, limit: 1, threshold: 0.7 }
    ])
    expect(got.labels).toEqual(['d', 'b'])
  })

  it('keeps the selection sorted, unique and in range', async () => {
    const datasets = useDatasetsStore()
    await datasets.loadList()
    await datasets.select('seeds-000-nine')
    datasets.toggle(3)
    datasets.toggle(1)
    datasets.toggle(3)
    datasets.toggle(2)
    expect(datasets.selection).toEqual([1, 2])
    datasets.setSelection([9, 0, 0, -1, 2])
    expect(datasets.selection).toEqual([0, 2])
    datasets.selectFirst(10)
    expect(datasets.selection).toEqual([0, 1, 2, 3])
  })
})

describe('jobs store', () => {
  it('keeps a done status that arrives before jobs.start answers', async () => {
    const jobs = useJobsStore()
    api.handle('models.run', () => {
      jobs.onDone({ jobId: 'j1', sessionId: 's1', result: { kind: 'recall.batch', result: { modelId: 'm1', seed: 1, corruption: { type: 'none' }, cuesPerPattern: 1, cues: 1, successRate: 1, perPattern: [1], meanIterations: 1, meanFinalOverlap: 1, provider: 'cpu', seconds: 0, external: 'none' } } })
      return { jobId: 'j1' }
    })
    await jobs.startRun('s1', 'm1', { kind: 'recall.batch', corruption: { type: 'none' }, cuesPerPattern: 1, seed: 1 })
    expect(jobs.get('j1')?.status).toBe('done')
    // wait() after the end still gets the result.
    await expect(jobs.wait('j1')).resolves.toMatchObject({ kind: 'recall.batch' })
  })

  it('records progress, ignores progress after the end, and marks cancellation', () => {
    const jobs = useJobsStore()
    const p = { jobId: 'j2', sessionId: 's1', kind: 'recall.batch', rate: 100, etaSeconds: 3, message: '10/40' }
    jobs.onProgress({ ...p, fraction: 0.25 })
    expect(jobs.get('j2')).toMatchObject({ status: 'running', fraction: 0.25, etaSeconds: 3 })
    jobs.onFailed({ jobId: 'j2', sessionId: 's1', error: 'cancelled', cancelled: true })
    jobs.onProgress({ ...p, fraction: 0.5 })
    expect(jobs.get('j2')).toMatchObject({ status: 'cancelled', fraction: 0.25, error: null })
  })
})

describe('errors store', () => {
  it('shows the field of an ApiError and swallows it in guard', async () => {
    const errors = useErrorsStore()
    const out = await errors.guard('models.train', async () => {
      throw new ApiError({ code: 'bad-request', message: 'models.train: params.dataset.select: too small', field: 'params.dataset.select' })
    })
    expect(out).toBeUndefined()
    expect(errors.items[0]).toMatchObject({ code: 'bad-request', field: 'params.dataset.select', context: 'models.train' })
    errors.dismiss(errors.items[0]!.id)
    expect(errors.items).toEqual([])
  })
})

describe('restoring a session', () => {
  const recall: AsyncRecallResult = {
    modelId: 'm1',
    seed: 3,
    order: 'random',
    initial: [1, 1, 1, -1],
    units: [0, 1, 2, 3, 2, 0, 3, 1],
    values: [-1, 1, 1, 1, 1, -1, 1, 1],
    energy: [0, -1, -1, -1, -2, -2, -2, -2, -2],
    overlaps: [
      [0, 0.5],
      [0, 1],
      [0, 1]
    ],
    final: [-1, 1, 1, 1],
    sweeps: 2,
    outcome: 'fixed-point',
    recalled: 1,
    mode: 'async', external: 'none', encoding: 'bipolar', steps: [], netInputs: [], pairEnergy: [], repeatOf: -1
  }
  const batch: BatchRecallResult = {
    modelId: 'm1',
    seed: 7,
    corruption: { type: 'flip', fraction: 0.25 },
    cuesPerPattern: 10,
    cues: 20,
    successRate: 0.85,
    perPattern: [0.8, 0.9],
    meanIterations: 1.5,
    meanFinalOverlap: 0.9,
    provider: 'cpu',
    seconds: 0.1,
    external: 'none'
  }
  const state: SessionState = {
    ...emptySession('s2', 'Saved'),
    dataset: model.dataset,
    models: [model],
    activeModelId: 'm1',
    cue: { source: 1, corruption: { type: 'flip', fraction: 0.25 }, seed: 11, state: [-1, -1, 1, -1] },
    results: { 'recall.async': { kind: 'recall.async', result: recall }, 'recall.batch': { kind: 'recall.batch', result: batch } },
    ui: { workbench: { recall: { seed: 3, order: 'sequential', maxSweeps: 9 }, batch: { cuesPerPattern: 10, seed: 7 } } }
  }

  it('puts dataset selection, model, cue, replay (at the end) and batch result back', async () => {
    api.handle('sessions.open', () => state)
    await useDatasetsStore().loadList()
    const session = useSessionStore()
    await session.open('s2')
    await restore(session.state!)

    expect(useDatasetsStore().selection).toEqual([1, 3])
    const m = useModelStore()
    expect(m.active?.id).toBe('m1')
    expect(m.normalisation).toBe('1/N')
    expect(m.storedLabels).toEqual(['b', 'd'])
    const cue = useCueStore()
    expect(cue.source).toBe(1)
    expect(cue.seed).toBe(11)
    expect(Array.from(cue.state!)).toEqual([-1, -1, 1, -1])
    expect(Array.from(cue.base!)).toEqual(TOY.patterns[3])
    const r = useRecallStore()
    expect(r.t).toBe(8)
    expect(Array.from(r.frame!.state)).toEqual(recall.final)
    expect(r.order).toBe('sequential')
    expect(r.maxSweeps).toBe(9)
    expect(useBatchStore().result?.successRate).toBe(0.85)
    expect(useBatchStore().cuesPerPattern).toBe(10)
  })
})

describe('cue store', () => {
  it('corrupts with the core generator, so the same seed gives the same cue as the backend', async () => {
    api.handle('sessions.open', () => ({ ...emptySession(), models: [model], activeModelId: 'm1', dataset: model.dataset }))
    const session = useSessionStore()
    await session.open('s1')
    await useModelStore().loadStored(session.activeModel)
    const cue = useCueStore()
    cue.setSource(0)
    cue.corruption = { type: 'flip', fraction: 0.5 }
    cue.seed = 1234
    const got = cue.apply()
    const want = corrupt(TOY.patterns[1]!, { type: 'flip', fraction: 0.5 }, 2, 2, new Rng(1234))
    expect(Array.from(got)).toEqual(Array.from(want))
    expect(cue.toCue()).toEqual({ source: 0, corruption: { type: 'flip', fraction: 0.5 }, seed: 1234, state: Array.from(want) })
  })

  it('says which corruption made the cue, not what the editor would apply next (header and saved cue)', async () => {
    api.handle('sessions.open', () => ({ ...emptySession(), models: [model], activeModelId: 'm1', dataset: model.dataset }))
    await useSessionStore().open('s1')
    await useModelStore().loadStored(useSessionStore().activeModel)
    const cue = useCueStore()
    cue.setSource(0)
    // Set in the editor, not applied: the cue is the clean pattern and says so.
    cue.corruption = { type: 'flip', fraction: 0.5 }
    cue.seed = 77
    expect(describeCorruption(cue.applied.corruption)).toBe('none')
    expect(cue.toCue()).toMatchObject({ corruption: { type: 'none' }, state: TOY.patterns[1] })
    cue.apply()
    const made = Array.from(cue.state!)
    // Editing the corruption after Apply changes neither the claim nor the cue.
    cue.corruption = { type: 'maskFraction', fraction: 0.25, fill: -1 }
    cue.seed = 5
    expect(describeCorruption(cue.applied.corruption)).toBe('flip 50 %')
    expect(cue.toCue()).toEqual({ source: 0, corruption: { type: 'flip', fraction: 0.5 }, seed: 77, state: made })
    // Reset goes back to the clean source, and the claim with it.
    cue.setSource(0)
    expect(describeCorruption(cue.applied.corruption)).toBe('none')
    expect(cue.toCue()?.corruption).toEqual({ type: 'none' })
  })

  it('paints units; on a drawing the clean base follows', async () => {
    api.handle('sessions.open', () => ({ ...emptySession(), models: [model], activeModelId: 'm1' }))
    await useSessionStore().open('s1')
    await useModelStore().loadStored(useSessionStore().activeModel)
    const cue = useCueStore()
    cue.setSource(-1)
    cue.paint(2, 1)
    expect(Array.from(cue.state!)).toEqual([-1, -1, 1, -1])
    expect(Array.from(cue.base!)).toEqual([-1, -1, 1, -1])
    cue.setSource(0)
    cue.paint(0, 1)
    expect(cue.edited).toBe(true)
    expect(Array.from(cue.base!)).toEqual(TOY.patterns[1])
  })
})
