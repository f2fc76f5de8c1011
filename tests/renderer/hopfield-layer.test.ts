// The Hopfield layer page: the form as models.train params (the shared schema's checks and the batch-vs-train check,
// the field in error named), live points and stored-pattern snapshots from progress events, the charts, the page state
// read back, and the store following a training to its trained layer and that layer's attention view.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { setApi } from '../../src/renderer/src/api'
import { attentionOption, bagAttentionOption, buildHopfieldLayerTrain, defaultHopfieldLayerUi, layerTrainingOption, pointFromMetrics, readHopfieldLayerUi, scaledRows } from '../../src/renderer/src/lib/hopfield-layer'
import { useHopfieldLayerStore } from '../../src/renderer/src/stores/hopfield-layer'
import { useJobsStore } from '../../src/renderer/src/stores/jobs'
import { useSessionStore } from '../../src/renderer/src/stores/session'
import { eventSchemas, methods } from '../../src/shared/api'
import { Rng } from '../../src/core/rng'
import { decodeStoredSnapshot, encodeStoredSnapshot, HOPFIELD_LAYER_LIMITS, hopfieldLayerModelSpecSchema, type HopfieldLayerInfo } from '../../src/shared/families/hopfield-layer'
import { emptySession, FakeApi } from './fake-api'

describe('hopfield layer form', () => {
  it('builds models.train params the API accepts, and names the field of a bad value', () => {
    const ui = defaultHopfieldLayerUi()
    const ok = buildHopfieldLayerTrain(ui.form)
    expect(ok.params!.model).toEqual(hopfieldLayerModelSpecSchema.parse({ kind: 'hopfield-layer' }))
    expect(methods['models.train'].params.safeParse({ sessionId: 's', ...ok.params }).success).toBe(true)
    expect(buildHopfieldLayerTrain({ ...ui.form, keySize: 8, beta: 2 }).params!.model).toMatchObject({ keySize: 8, beta: 2 })
    expect(buildHopfieldLayerTrain({ ...ui.form, width: 11 })).toMatchObject({ field: 'width' })
    expect(buildHopfieldLayerTrain({ ...ui.form, classes: 1 })).toMatchObject({ field: 'classes' })
    expect(buildHopfieldLayerTrain({ ...ui.form, storedPatterns: 65 })).toMatchObject({ field: 'storedPatterns' })
    expect(buildHopfieldLayerTrain({ ...ui.form, beta: 0 })).toMatchObject({ field: 'beta' })
    expect(buildHopfieldLayerTrain({ ...ui.form, seed: -1 })).toMatchObject({ field: 'seed' })
    const big = buildHopfieldLayerTrain({ ...ui.form, train: 100, batch: 101 })
    expect(big).toMatchObject({ field: 'batch' })
    expect(big.error).toMatch(/more than the 100 training samples/)
  })

  it('reads live points from metrics, draws loss and both accuracies with a chance line, and attention bars', () => {
    const p = { epoch: 2, loss: 0.5, testAccuracy: 0.9, baselineTestAccuracy: 0.33, prototypeMatch: 0.7 }
    expect(pointFromMetrics(p)).toEqual(p)
    expect(pointFromMetrics({ step: 1, loss: 2 })).toBeNull()
    const o = layerTrainingOption([p], 40, 3) as { series: { name: string; data: number[][]; markLine?: { data: { yAxis: number }[] } }[]; xAxis: { max: number } }
    expect(o.series.map((s) => s.name)).toEqual(['loss', 'Hopfield layer', 'linear baseline', 'stored ↔ prototypes'])
    expect(o.series[3]!.data).toEqual([[2, 0.7]])
    expect(o.series[1]!.data).toEqual([[2, 0.9]])
    expect(o.series[2]!.markLine!.data[0]!.yAxis).toBeCloseTo(1 / 3, 12)
    expect(o.xAxis.max).toBe(40)
    const bars = attentionOption([0.1, 0.9], [2, 0]) as { series: { data: { value: number }[] }[]; xAxis: { data: string[] } }
    expect(bars.series[0]!.data.map((d) => d.value)).toEqual([0.1, 0.9])
    expect(bars.xAxis.data).toEqual(['0', '1'])
    const rows = scaledRows([2, -4, 0, 0], 2, 2)
    expect(Array.from(rows[0]!)).toEqual([0.5, -1])
    expect(Array.from(rows[1]!)).toEqual([0, 0])
  })

  it('a snapshot of the largest layer fits the progress text (10,000 characters) and decodes within one level', () => {
    const { storedPatterns: P, side } = HOPFIELD_LAYER_LIMITS
    const d = side * side
    const rng = new Rng(1)
    const stored = Float64Array.from({ length: P * d }, () => rng.normal() * 1e3)
    const matched = Float64Array.from({ length: P * d }, () => rng.normal() * 1e-3)
    const text = encodeStoredSnapshot(500, stored, matched, P, d)
    expect(eventSchemas['job.progress'].shape.text.safeParse(text).success).toBe(true)
    const snap = decodeStoredSnapshot(text)!
    expect(snap).toMatchObject({ epoch: 500, count: P, size: d })
    for (const [got, want] of [[snap.stored, stored], [snap.matched, matched]] as const) {
      for (let j = 0; j < P; j++) {
        const row = want.subarray(j * d, (j + 1) * d)
        const s = Math.max(...row.map(Math.abs))
        row.forEach((v, i) => expect(Math.abs(got[j * d + i]! - v)).toBeLessThanOrEqual((s * 1.002) / 14))
      }
    }
    expect(decodeStoredSnapshot('a sample of text')).toBeNull()
  })

  it('the pooling mode builds a pooling spec from the bag fields and names the bag field in error', () => {
    const form = { ...defaultHopfieldLayerUi().form, mode: 'pooling' as const }
    const ok = buildHopfieldLayerTrain(form)
    expect(ok.params!.model).toEqual(hopfieldLayerModelSpecSchema.parse({ kind: 'hopfield-layer', mode: 'pooling', bags: {} }))
    expect(methods['models.train'].params.safeParse({ sessionId: 's', ...ok.params }).success).toBe(true)
    expect(buildHopfieldLayerTrain({ ...form, bagSize: 101 })).toMatchObject({ field: 'bagSize' })
    expect(buildHopfieldLayerTrain({ ...form, maxBag: 65 })).toMatchObject({ field: 'maxBag' })
    expect(buildHopfieldLayerTrain({ ...form, bagNoise: 3 })).toMatchObject({ field: 'bagNoise' })
    expect(buildHopfieldLayerTrain({ ...form, bagTest: 0 })).toMatchObject({ field: 'bagTest' })
    const order = buildHopfieldLayerTrain({ ...form, minBag: 9, maxBag: 5 })
    expect(order).toMatchObject({ field: 'minBag' })
    expect(order.error).toMatch(/9 is more than bags\.maxBag \(5\)/)
    expect(buildHopfieldLayerTrain({ ...form, bagTrain: 10, batch: 20 })).toMatchObject({ field: 'batch' })
    // The lookup task's fields do not matter in pooling mode.
    expect(buildHopfieldLayerTrain({ ...form, width: 99 }).error).toBeUndefined()
    // Live points carry the key's attention; the chart names mean pooling and the key line.
    const p = { epoch: 1, loss: 0.6, testAccuracy: 0.7, baselineTestAccuracy: 0.5, keyAttention: 0.4 }
    expect(pointFromMetrics(p)).toEqual(p)
    const o = layerTrainingOption([p], 30, 2, true) as { series: { name: string; data: number[][] }[] }
    expect(o.series.map((x) => x.name)).toEqual(['loss', 'Hopfield pooling', 'mean pooling', 'attention on the key'])
    expect(o.series[3]!.data).toEqual([[1, 0.4]])
    const bars = bagAttentionOption({ attention: [0.1, 0.7, 0.2], roles: ['clutter', 'key', 'clutter'] }) as { series: { data: { value: number; itemStyle: { color: string } }[] }[]; xAxis: { data: string[] } }
    expect(bars.xAxis.data).toEqual(['0', '1 key', '2'])
    expect(bars.series[0]!.data[1]!.itemStyle.color).not.toBe(bars.series[0]!.data[0]!.itemStyle.color)
  })

  it('reads the page state back field by field, a bad field keeping its default', () => {
    const d = defaultHopfieldLayerUi()
    const ui = readHopfieldLayerUi({ form: { ...d.form, storedPatterns: 8, width: 99, beta: 1.5, keySize: null, seed: 'x' }, selectedId: 'm1', index: 4 })
    expect(ui.form).toEqual({ ...d.form, storedPatterns: 8, beta: 1.5 })
    expect(ui).toMatchObject({ selectedId: 'm1', index: 4 })
    expect(readHopfieldLayerUi(null)).toEqual(d)
    const pooled = readHopfieldLayerUi({ form: { ...d.form, mode: 'pooling', bagSize: 24, maxBag: 99, minBag: 3 } })
    expect(pooled.form).toEqual({ ...d.form, mode: 'pooling', bagSize: 24, minBag: 3 })
    expect(readHopfieldLayerUi({ form: { mode: 'max' } }).form.mode).toBe('lookup')
  })
})

function info(id: string): HopfieldLayerInfo {
  const spec = hopfieldLayerModelSpecSchema.parse({ kind: 'hopfield-layer', task: { width: 2, height: 2, test: 5 }, storedPatterns: 2, epochs: 2 })
  return {
    kind: 'hopfield-layer',
    id,
    name: 'layer',
    spec,
    seed: 0,
    inputSize: 4,
    keySize: 4,
    beta: 0.5,
    epochsDone: 2,
    history: [
      { epoch: 1, loss: 1, testAccuracy: 0.5, baselineTestAccuracy: 0.3, prototypeMatch: 0.5 },
      { epoch: 2, loss: 0.5, testAccuracy: 0.9, baselineTestAccuracy: 0.3, prototypeMatch: 0.5 }
    ],
    trainAccuracy: 0.95,
    testAccuracy: 0.9,
    baseline: { trainAccuracy: 0.4, testAccuracy: 0.3 },
    storedClasses: [0, 1],
    provider: 'engine (cpu)',
    fallbackReason: null,
    partial: false,
    stopReason: null,
    createdAt: '2026-01-01T00:00:00.000Z'
  }
}

describe('hopfield layer store', () => {
  let api: FakeApi
  beforeEach(() => {
    api = new FakeApi()
    setApi(api)
    setActivePinia(createPinia())
  })

  it('trains, follows live points and stored patterns, then shows the layer and its attention', async () => {
    api.handle('sessions.open', () => emptySession())
    await useSessionStore().open('s1')
    api.handle('models.train', () => ({ jobId: 'j1' }))
    const store = useHopfieldLayerStore()
    store.form = { ...store.form, width: 2, height: 2, storedPatterns: 2, epochs: 2 }
    await store.train()
    expect(store.training).toBe(true)
    const stored = [0.5, -0.5, 0.25, 0, 1, 1, -1, 0]
    const matched = [2, 0, 0, -2, 0, 0, 0, 0]
    const progress = (epoch: number, jobId = 'j1', sessionId = 's1') => ({
      jobId,
      sessionId,
      kind: 'hopfield-layer.train',
      fraction: epoch / 2,
      rate: 1,
      etaSeconds: 1,
      message: '',
      metrics: { epoch, loss: 1 / epoch, testAccuracy: 0.5, baselineTestAccuracy: 0.3, prototypeMatch: 0.5 },
      text: encodeStoredSnapshot(epoch, stored, matched, 2, 4)
    })
    store.onProgress(progress(1))
    store.onProgress(progress(1, 'j9', 'other'))
    expect(store.view).toMatchObject({ live: true, epochs: 2 })
    expect(store.view!.points).toHaveLength(1)
    expect(store.stored).toMatchObject({ live: true, epoch: 1, count: 2, width: 2, height: 2 })
    Array.from(store.stored!.stored).forEach((v, i) => expect(Math.abs(v - stored[i]!)).toBeLessThanOrEqual(1.002 / 14))
    expect(Array.from(store.stored!.matched)).toEqual([2, 0, 0, -2, 0, 0, 0, 0].map((v) => Math.fround(v * 1.001)))

    const model = info('m1')
    const attend = { modelId: 'm1', index: 0, input: [1, -1, 1, 1], label: 1, mode: 2, predicted: 1, attention: [0.2, 0.8], logits: [0, 1, 0], storedPatterns: stored, matchedPatterns: matched, modes: new Array(24).fill(1), modeClasses: [0, 0, 1, 1, 2, 2], nearest: [{ mode: 0, cosine: 0.5 }, { mode: 3, cosine: 0.9 }] }
    api.handle('models.view', (p) => ({ kind: 'hopfield-layer.attend', result: { ...attend, index: p.view.kind === 'hopfield-layer.attend' ? p.view.index : 0 } }))
    useJobsStore().onDone({ jobId: 'j1', sessionId: 's1', result: { kind: 'hopfield-layer.train', model } })
    store.onTrainDone('j1', model)
    await new Promise((r) => setTimeout(r, 0))
    expect(store.selectedId).toBe('m1')
    expect(store.view).toMatchObject({ live: false, epochs: 2 })
    expect(store.stored).toMatchObject({ live: false, epoch: 2, stored, matched })
    expect(api.callsOf('models.view')).toEqual([{ sessionId: 's1', modelId: 'm1', view: { kind: 'hopfield-layer.attend', index: 0 } }])
    await store.look(4)
    expect(store.attend?.index).toBe(4)
    expect(store.snapshot()).toMatchObject({ selectedId: 'm1', index: 4 })
  })

  it('a pooling layer shows one held-out bag (models.view hopfield-layer.bag)', async () => {
    api.handle('sessions.open', () => emptySession())
    await useSessionStore().open('s1')
    const store = useHopfieldLayerStore()
    const base = info('p1')
    const model: HopfieldLayerInfo = { ...base, spec: hopfieldLayerModelSpecSchema.parse({ kind: 'hopfield-layer', mode: 'pooling', bags: { test: 7 } }), storedClasses: [], history: [{ epoch: 1, loss: 1, testAccuracy: 0.9, baselineTestAccuracy: 0.5, keyAttention: 0.8 }] }
    const bag = { modelId: 'p1', index: 0, size: 2, inputSize: 2, instances: [1, 0, 0, 1], roles: ['key', 'clutter'] as ('key' | 'clutter')[], label: 1, predicted: 1, attention: [0.9, 0.1], logits: [0, 1], key: [1, 1], matchedQuery: [1, 0] }
    api.handle('models.view', (p) => ({ kind: 'hopfield-layer.bag', result: { ...bag, index: p.view.kind === 'hopfield-layer.bag' ? p.view.index : -1 } }))
    useSessionStore().addModel(model)
    await store.select('p1')
    expect(api.callsOf('models.view')).toEqual([{ sessionId: 's1', modelId: 'p1', view: { kind: 'hopfield-layer.bag', index: 0 } }])
    expect(store.bag).toMatchObject({ modelId: 'p1', index: 0 })
    expect(store.stored).toBeNull()
    expect(store.view).toMatchObject({ pooling: true, classes: 2 })
    expect(store.heldOut(store.selected)).toBe(7)
    await store.look(6)
    expect(store.bag?.index).toBe(6)
  })

  it('adopts a training found running after a reload: its curve so far and its latest stored patterns', async () => {
    api.handle('sessions.open', () => emptySession())
    await useSessionStore().open('s1')
    const store = useHopfieldLayerStore()
    const model = hopfieldLayerModelSpecSchema.parse({ kind: 'hopfield-layer', task: { width: 3, height: 2 }, storedPatterns: 2, epochs: 9 })
    const stored = [1, 0, -1, 0.5, 0.5, 0, 0, 0, 1, -1, 1, -1]
    store.adoptTraining({
      jobId: 'j7',
      sessionId: 's1',
      kind: 'hopfield-layer.train',
      spec: { kind: 'hopfield-layer.train', model, seed: 3 },
      startedAt: '2026-01-01T00:00:00.000Z',
      fraction: 2 / 9,
      rate: 1,
      etaSeconds: 7,
      message: '',
      metrics: [
        { epoch: 1, loss: 1, testAccuracy: 0.4, baselineTestAccuracy: 0.3, prototypeMatch: 0.5 },
        { epoch: 2, loss: 0.8, testAccuracy: 0.6, baselineTestAccuracy: 0.3, prototypeMatch: 0.5 }
      ],
      text: encodeStoredSnapshot(2, stored, stored, 2, 6)
    })
    useJobsStore().adopt({ jobId: 'j7', sessionId: 's1', kind: 'hopfield-layer.train', spec: { kind: 'hopfield-layer.train', model, seed: 3 }, startedAt: '2026-01-01T00:00:00.000Z', fraction: 2 / 9, rate: 1, etaSeconds: 7, message: '', metrics: [] })
    expect(store.trainJobId).toBe('j7')
    expect(store.view).toMatchObject({ live: true, epochs: 9, classes: 3 })
    expect(store.view!.points.map((p) => p.epoch)).toEqual([1, 2])
    expect(store.stored).toMatchObject({ live: true, epoch: 2, count: 2, width: 3, height: 2 })
  })
})
