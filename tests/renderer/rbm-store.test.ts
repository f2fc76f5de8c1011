import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import type { RbmInfo, SessionState } from '../../src/shared/session'
import { setApi } from '../../src/renderer/src/api'
import { defaultRbmForm } from '../../src/renderer/src/lib/rbm-spec'
import { useDatasetsStore } from '../../src/renderer/src/stores/datasets'
import { useJobsStore } from '../../src/renderer/src/stores/jobs'
import { useRbmStore } from '../../src/renderer/src/stores/rbm'
import { useSessionStore } from '../../src/renderer/src/stores/session'
import { readUi, restore } from '../../src/renderer/src/workbench'
import { FakeApi, emptySession, scriptToyDatasets, TOY } from './fake-api'

let api: FakeApi

function rbmInfo(id: string, epochs: number, partial = false): RbmInfo {
  return {
    kind: 'rbm',
    id,
    name: `RBM 4→2 · ${id}`,
    spec: { kind: 'rbm', visibleUnits: 'bernoulli', hidden: 2, k: 1, persistent: false, learningRate: 0.1, momentum: 0.5, weightDecay: 0, batchSize: 2, epochs: 3, binarise: 'threshold', heldOut: 0, labels: false },
    dataset: { builtin: 'seeds-000-nine', count: 4, threshold: 0.5 },
    seed: 1,
    visible: 4,
    hidden: 2,
    width: 2,
    height: 2,
    trainRows: 4,
    heldOutRows: 0,
    history: Array.from({ length: epochs }, (_, k) => ({
      epoch: k + 1,
      steps: 2 * (k + 1),
      seconds: k + 1,
      reconstructionError: 0.3 / (k + 1),
      pseudoLikelihood: -3 + k,
      freeEnergyTrain: -1 - k,
      freeEnergyHeldOut: null
    })),
    provider: 'cpu',
    partial,
    createdAt: '2026-01-01T00:00:00.000Z'
  }
}

const metrics = (epoch: number, e: number) => ({ epoch, reconstructionError: e, pseudoLikelihood: -2, freeEnergyTrain: -1 })

beforeEach(() => {
  api = scriptToyDatasets(new FakeApi())
  api.handle('models.view', (p) => ({
    kind: 'rbm.filters',
    visible: 4,
    hidden: 2,
    width: 2,
    height: 2,
    offset: p.view.kind === 'rbm.filters' ? (p.view.offset ?? 0) : 0,
    filters: [
      [0.1, -0.2, 0, 0.3],
      [1, 0, 0, -1]
    ]
  }))
  setApi(api)
  setActivePinia(createPinia())
})

async function openWith(state: SessionState): Promise<void> {
  api.handle('sessions.open', () => state)
  await useSessionStore().open(state.id)
}

async function settle(): Promise<void> {
  for (let k = 0; k < 5; k++) {
    await nextTick()
    await Promise.resolve()
  }
}

describe('RBM store', () => {
  it('trains from the form, follows the live metrics, then shows the trained RBM and its filters', async () => {
    await openWith(emptySession())
    await useDatasetsStore().loadList()
    api.handle('models.train', () => ({ jobId: 'j1' }))
    const rbm = useRbmStore()
    rbm.setDataset(TOY.summary.id)
    expect(rbm.form.count).toBe(4)
    rbm.form.epochs = 3
    await rbm.train()
    const { kind: _kind, ...request } = rbm.built.spec!
    expect(api.callsOf('models.train')).toEqual([{ sessionId: 's1', ...request }])
    expect(rbm.built.spec).toMatchObject({ kind: 'rbm.train', dataset: { builtin: 'seeds-000-nine', count: 4 }, model: { epochs: 3 } })
    expect(rbm.training).toBe(true)
    expect(rbm.view).toMatchObject({ live: true, points: [], epochs: 3 })

    // Progress without metrics (within an epoch), another session's, and two epochs' metrics.
    rbm.onProgress({ jobId: 'j1', sessionId: 's1', kind: 'rbm.train', fraction: 0.1, rate: 5, etaSeconds: 1, message: 'epoch 1/3, step 1/2' })
    rbm.onProgress({ jobId: 'j9', sessionId: 'other', kind: 'rbm.train', fraction: 0.5, rate: 5, etaSeconds: 1, message: '', metrics: metrics(1, 9) })
    rbm.onProgress({ jobId: 'j1', sessionId: 's1', kind: 'rbm.train', fraction: 1 / 3, rate: 5, etaSeconds: 1, message: '', metrics: metrics(1, 0.3) })
    rbm.onProgress({ jobId: 'j1', sessionId: 's1', kind: 'rbm.train', fraction: 2 / 3, rate: 5, etaSeconds: 1, message: '', metrics: metrics(2, 0.2) })
    expect(rbm.view?.points.map((p) => p.reconstructionError)).toEqual([0.3, 0.2])
    expect(useSessionStore().rbms).toEqual([])

    const info = rbmInfo('r1', 3)
    useJobsStore().onDone({ jobId: 'j1', sessionId: 's1', result: { kind: 'rbm.train', model: info } })
    rbm.onTrainDone('j1', info)
    expect(useSessionStore().rbms.map((r) => r.id)).toEqual(['r1'])
    expect(rbm.selectedId).toBe('r1')
    expect(rbm.trained?.id).toBe('r1')
    expect(rbm.view).toMatchObject({ live: false, epochs: 3 })
    expect(rbm.view?.points).toHaveLength(3)
    await settle()
    expect(api.callsOf('models.view')).toEqual([{ sessionId: 's1', modelId: 'r1', view: { kind: 'rbm.filters', offset: 0, limit: 100 } }])
    expect(rbm.shownFilters?.filters).toHaveLength(2)
  })

  it('while an RBM trains, its card shows the training and no earlier RBM lends it filters or samples', async () => {
    await openWith({ ...emptySession(), models: [rbmInfo('r0', 2)] })
    await useDatasetsStore().loadList()
    api.handle('models.train', () => ({ jobId: 'j5' }))
    const rbm = useRbmStore()
    rbm.restore({})
    rbm.select('r0')
    await settle()
    expect(rbm.shown?.id).toBe('r0')
    expect(rbm.shownFilters?.modelId).toBe('r0')
    rbm.setDataset(TOY.summary.id)
    rbm.form.hidden = 7
    await rbm.train()
    expect(rbm.showingLive).toBe(true)
    expect(rbm.shown).toBeNull()
    expect(rbm.shownFilters).toBeNull()
    expect(rbm.shownSamples).toBeNull()
    expect(rbm.builtSample.error).toBeDefined()
    expect(rbm.trainingSpec?.model.hidden).toBe(7)
    // Picking the earlier RBM in the list shows it again (the training goes on).
    rbm.select('r0')
    expect(rbm.shown?.id).toBe('r0')
    rbm.follow()
    expect(rbm.shown).toBeNull()
    const info = { ...rbmInfo('r1', 3), hidden: 7 }
    useJobsStore().onDone({ jobId: 'j5', sessionId: 's1', result: { kind: 'rbm.train', model: info } })
    rbm.onTrainDone('j5', info)
    expect(rbm.shown?.id).toBe('r1')
  })

  it('a cancel before the first epoch leaves the shown RBM as it was', async () => {
    await openWith({ ...emptySession(), models: [rbmInfo('r0', 2)] })
    await useDatasetsStore().loadList()
    api.handle('models.train', () => ({ jobId: 'j2' }))
    const rbm = useRbmStore()
    rbm.restore({})
    rbm.setDataset(TOY.summary.id)
    await rbm.train()
    expect(rbm.view?.live).toBe(true)
    useJobsStore().onFailed({ jobId: 'j2', sessionId: 's1', error: 'cancelled', cancelled: true })
    expect(rbm.training).toBe(false)
    expect(rbm.view).toMatchObject({ live: false })
    expect(rbm.selectedId).toBe('r0')
  })

  it('samples the selected RBM and keeps the samples per RBM', async () => {
    await openWith({ ...emptySession(), models: [rbmInfo('r1', 1), rbmInfo('r2', 1)] })
    api.handle('models.run', () => ({ jobId: 'j3' }))
    const rbm = useRbmStore()
    rbm.restore({})
    expect(rbm.selectedId).toBe('r2')
    rbm.sampleForm.count = 16
    await rbm.sample()
    expect(api.callsOf('models.run')).toEqual([{ sessionId: 's1', modelId: 'r2', run: { kind: 'rbm.sample', count: 16, steps: 1000, from: 'noise', seed: 1 } }])
    const samples = Array.from({ length: 16 }, () => [0, 0.5, 1, 0.25])
    rbm.onSampleDone({ kind: 'rbm.sample', modelId: 'r2', width: 2, height: 2, steps: 1000, from: 'noise', samples, provider: 'cpu' })
    expect(rbm.shownSamples?.samples).toHaveLength(16)
    rbm.select('r1')
    expect(rbm.shownSamples).toBeNull()
    rbm.select('r2')
    expect(rbm.shownSamples?.samples).toHaveLength(16)
  })

  it('pages through the receptive fields of a large hidden layer, 100 at a time', async () => {
    const big = { ...rbmInfo('r1', 1), hidden: 250 }
    await openWith({ ...emptySession(), models: [big] })
    const rbm = useRbmStore()
    rbm.restore({ selectedId: 'r1', filterOffset: 100 })
    await settle()
    expect(api.callsOf('models.view').at(-1)).toMatchObject({ view: { offset: 100, limit: 100 } })
    await rbm.pageFilters(1)
    expect(api.callsOf('models.view').at(-1)).toMatchObject({ view: { offset: 200 } })
    await rbm.pageFilters(5)
    expect(api.callsOf('models.view').at(-1)).toMatchObject({ view: { offset: 200 } })
    await rbm.pageFilters(-3)
    expect(api.callsOf('models.view').at(-1)).toMatchObject({ view: { offset: 0 } })
    expect(rbm.filterOffset).toBe(0)
    // A saved offset past the layer reads as the first page.
    rbm.restore({ selectedId: 'r1', filterOffset: 900 })
    expect(rbm.filterOffset).toBe(0)
  })

  it('exports the selected RBM', async () => {
    await openWith({ ...emptySession(), models: [rbmInfo('r1', 1)] })
    api.handle('models.export', (p) => ({ fileName: `rbm.${p.format}`, path: `/x/rbm.${p.format}`, bytes: 12, base64: 'AAAA' }))
    const rbm = useRbmStore()
    rbm.restore({})
    const out = await rbm.exportModel('onnx')
    expect(api.callsOf('models.export')).toEqual([{ sessionId: 's1', modelId: 'r1', format: 'onnx' }])
    expect(out.fileName).toBe('rbm.onnx')
    expect(rbm.lastExport).toMatchObject({ format: 'onnx', modelId: 'r1' })
  })

  it('goes into the session ui and comes back: form, samples form, selected RBM, its filters', async () => {
    const rbms = [rbmInfo('r1', 2), rbmInfo('r2', 1, true)]
    await openWith({ ...emptySession(), models: rbms })
    const rbm = useRbmStore()
    rbm.restore({})
    rbm.select('r1')
    rbm.form.hidden = 64
    rbm.form.algorithm = 'pcd'
    rbm.sampleForm.from = 'data'
    const ui = { workbench: JSON.parse(JSON.stringify({ rbm: rbm.snapshot() })) as unknown }

    setActivePinia(createPinia())
    const state: SessionState = { ...emptySession(), models: rbms, ui: ui as Record<string, unknown> }
    expect(readUi(state).pages?.rbm).toMatchObject({ selectedId: 'r1' })
    await openWith(state)
    await restore(state)
    const back = useRbmStore()
    expect(back.form).toEqual({ ...defaultRbmForm(), hidden: 64, algorithm: 'pcd' })
    expect(back.sampleForm.from).toBe('data')
    expect(back.selectedId).toBe('r1')
    expect(back.view?.points).toHaveLength(2)
    await settle()
    expect(back.shownFilters?.modelId).toBe('r1')

    // A selection that is no longer in the session falls back to the newest RBM.
    back.restore({ selectedId: 'gone' })
    expect(back.selectedId).toBe('r2')
    expect(back.selected?.partial).toBe(true)
  })
})
