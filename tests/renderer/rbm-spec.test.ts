import { describe, expect, it } from 'vitest'
import { rbmFamily, rbmSampleRunSchema } from '../../src/shared/families/rbm'
import { rbmModelSpecSchema } from '../../src/shared/spec'
import {
  buildContinueJob,
  buildRbmModelSpec,
  buildSampleJob,
  buildTrainJob,
  continueBlocker,
  defaultRbmForm,
  defaultSampleForm,
  describeRbmSpec,
  epochFromMetrics,
  mergeEpoch,
  readRbmForm,
  readSampleForm,
  splitRows,
  trainPlan
} from '../../src/renderer/src/lib/rbm-spec'

const DATASETS = [
  { id: 'digits', count: 10000, width: 28, height: 28 },
  { id: 'letters', count: 26, width: 10, height: 10 }
]

describe('RBM form → rbm.train job', () => {
  it('the defaults are the contract defaults on digits (2000 rows, 100 hidden, CD-1)', () => {
    const built = buildTrainJob(defaultRbmForm(), DATASETS)
    expect(built.error).toBeUndefined()
    expect(built.spec).toEqual({
      kind: 'rbm.train',
      dataset: { builtin: 'digits', count: 2000 },
      model: {
        kind: 'rbm',
        visibleUnits: 'bernoulli',
        hidden: 100,
        k: 1,
        persistent: false,
        learningRate: 0.05,
        momentum: 0.5,
        weightDecay: 0.0001,
        batchSize: 100,
        epochs: 5,
        binarise: 'threshold',
        heldOut: 0.1,
        labels: false
      },
      seed: 1
    })
    // What the schema fills in for a bare model is what the form starts from.
    expect(rbmModelSpecSchema.parse({ kind: 'rbm' })).toEqual(built.spec!.model)
    expect(rbmFamily.train.request.safeParse(built.spec).success).toBe(true)
  })

  it('PCD sets persistent; sparsity only when on; Gaussian units keep the default binarisation', () => {
    const form = { ...defaultRbmForm(), algorithm: 'pcd' as const, k: 3, sparsity: true, sparsityTarget: 0.02, sparsityCost: 0.5, binarise: 'stochastic' as const }
    expect(buildRbmModelSpec(form)).toMatchObject({ persistent: true, k: 3, sparsity: { target: 0.02, cost: 0.5 }, binarise: 'stochastic' })
    expect(buildRbmModelSpec({ ...form, sparsity: false })).not.toHaveProperty('sparsity')
    expect(buildRbmModelSpec({ ...form, visibleUnits: 'gaussian' })).toMatchObject({ visibleUnits: 'gaussian', binarise: 'threshold' })
    expect(buildRbmModelSpec(form)).not.toHaveProperty('ais')
    expect(buildRbmModelSpec({ ...form, ais: true, aisRuns: 8, aisSteps: 100 })).toMatchObject({ ais: { runs: 8, steps: 100 } })
    expect(buildRbmModelSpec({ ...form, ais: true, visibleUnits: 'gaussian' })).not.toHaveProperty('ais')
    expect(buildTrainJob({ ...defaultRbmForm(), ais: true, aisSteps: 1 }, DATASETS)).toMatchObject({ field: 'aisSteps' })
  })

  it('label units: the spec says so, and AIS (no label units) is left out', () => {
    const form = { ...defaultRbmForm(), labels: true, ais: true }
    expect(buildRbmModelSpec(form)).toMatchObject({ labels: true })
    expect(buildRbmModelSpec(form)).not.toHaveProperty('ais')
    expect(buildTrainJob(form, DATASETS).spec?.model).toMatchObject({ labels: true })
    expect(describeRbmSpec(buildRbmModelSpec(form))).toContain('label units')
    expect(readRbmForm({ labels: true }).labels).toBe(true)
    expect(readRbmForm({ labels: 'yes' }).labels).toBe(false)
  })

  it('names the form field at fault', () => {
    expect(buildTrainJob({ ...defaultRbmForm(), datasetId: 'letters' }, DATASETS)).toEqual({ field: 'count', error: 'letters has 26 rows, not 2000' })
    expect(buildTrainJob({ ...defaultRbmForm(), datasetId: 'user:mine' }, DATASETS)).toMatchObject({ field: 'datasetId' })
    expect(buildTrainJob({ ...defaultRbmForm(), count: 1, heldOut: 0.5 }, DATASETS).error).toBeUndefined()
    expect(buildTrainJob({ ...defaultRbmForm(), learningRate: 20 }, DATASETS)).toMatchObject({ field: 'learningRate' })
    expect(buildTrainJob({ ...defaultRbmForm(), hidden: 0 }, DATASETS)).toMatchObject({ field: 'hidden' })
    expect(buildTrainJob({ ...defaultRbmForm(), heldOut: 0.9 }, DATASETS)).toMatchObject({ field: 'heldOut' })
    expect(buildTrainJob({ ...defaultRbmForm(), sparsity: true, sparsityTarget: 1 }, DATASETS)).toMatchObject({ field: 'sparsityTarget' })
    expect(buildTrainJob({ ...defaultRbmForm(), sparsity: true, sparsityCost: 0 }, DATASETS)).toMatchObject({ field: 'sparsityCost' })
  })

  it('plans rows and steps as the backend splits them', () => {
    expect(splitRows(500, 0.1)).toEqual({ train: 450, heldOut: 50 })
    expect(splitRows(25, 0.1)).toEqual({ train: 23, heldOut: 2 })
    const plan = trainPlan({ ...defaultRbmForm(), count: 500, hidden: 36, batchSize: 50, epochs: 3 }, DATASETS[0]!)
    expect(plan).toEqual({ rows: 500, trainRows: 450, heldOutRows: 50, stepsPerEpoch: 9, totalSteps: 27, visible: 784, parameters: 784 * 36 + 784 + 36 })
    expect(trainPlan({ ...defaultRbmForm(), count: 1000 }, null)).toMatchObject({ rows: 1000, visible: null, parameters: null })
  })
})

describe('noise source', () => {
  it("sends noise only when it is in-graph, describes it, and reads it back from a saved form", () => {
    expect(buildRbmModelSpec(defaultRbmForm())).not.toHaveProperty('noise')
    const graph = buildRbmModelSpec({ ...defaultRbmForm(), noise: 'graph' })
    expect(graph.noise).toBe('graph')
    expect(rbmModelSpecSchema.parse(graph).noise).toBe('graph')
    expect(describeRbmSpec(graph)).toContain('in-graph noise')
    expect(readRbmForm({ noise: 'graph' }).noise).toBe('graph')
    expect(readRbmForm({ noise: 'gpu' }).noise).toBe('core')
  })
})

describe('sampling job', () => {
  it('needs a model and keeps the contract limits', () => {
    expect(buildSampleJob(defaultSampleForm(), null)).toMatchObject({ field: 'model' })
    expect(buildSampleJob({ count: 16, steps: 500, from: 'data', seed: 9 }, 'r1').spec).toEqual({ kind: 'rbm.sample', count: 16, steps: 500, from: 'data', seed: 9 })
    expect(rbmSampleRunSchema.safeParse(buildSampleJob({ count: 16, steps: 500, from: 'data', seed: 9 }, 'r1').spec).success).toBe(true)
    expect(buildSampleJob({ ...defaultSampleForm(), count: 401 }, 'r1')).toMatchObject({ field: 'count' })
  })
})

describe('live metrics', () => {
  it('reads an end-of-epoch metrics record; anything else is not an epoch', () => {
    expect(epochFromMetrics({ epoch: 2, reconstructionError: 0.1, pseudoLikelihood: -80, freeEnergyTrain: -50, freeEnergyHeldOut: -48 })).toEqual({
      epoch: 2,
      reconstructionError: 0.1,
      pseudoLikelihood: -80,
      freeEnergyTrain: -50,
      freeEnergyHeldOut: -48
    })
    expect(epochFromMetrics({ epoch: 1, reconstructionError: 0.1, pseudoLikelihood: -80, freeEnergyTrain: -50 })?.freeEnergyHeldOut).toBeNull()
    // A classification RBM's epochs carry their accuracies.
    expect(epochFromMetrics({ epoch: 1, reconstructionError: 0.1, pseudoLikelihood: -80, freeEnergyTrain: -50, accuracyTrain: 0.8, accuracyHeldOut: 0.75 })).toMatchObject({
      accuracyTrain: 0.8,
      accuracyHeldOut: 0.75
    })
    expect(epochFromMetrics({ epoch: 1, reconstructionError: 0.1, pseudoLikelihood: -80, freeEnergyTrain: -50, accuracyTrain: 0.8 })?.accuracyHeldOut).toBeNull()
    expect(epochFromMetrics({ epoch: 1, reconstructionError: Number.NaN, pseudoLikelihood: -80, freeEnergyTrain: -50 })).toBeNull()
    expect(epochFromMetrics({ fraction: 0.5 })).toBeNull()
    expect(epochFromMetrics(undefined)).toBeNull()
  })

  it('keeps one row per epoch, in order', () => {
    const p = (epoch: number, e: number) => ({ epoch, reconstructionError: e, pseudoLikelihood: 0, freeEnergyTrain: 0, freeEnergyHeldOut: null })
    const merged = mergeEpoch(mergeEpoch(mergeEpoch([], p(2, 0.2)), p(1, 0.3)), p(2, 0.15))
    expect(merged.map((x) => [x.epoch, x.reconstructionError])).toEqual([
      [1, 0.3],
      [2, 0.15]
    ])
  })
})

describe('saved forms and descriptions', () => {
  it('reads a saved form over the defaults, dropping what does not fit', () => {
    const form = readRbmForm({ datasetId: 'letters', count: 26, hidden: 2.5, learningRate: -1, algorithm: 'pcd', binarise: 'sideways', sparsity: true, seed: 7, extra: 1 })
    expect(form).toEqual({ ...defaultRbmForm(), datasetId: 'letters', count: 26, algorithm: 'pcd', sparsity: true, seed: 7 })
    expect(readRbmForm({ datasetId: 'user:mnist' }).datasetId).toBe('user:mnist')
    expect(readRbmForm({ datasetId: '../etc' }).datasetId).toBe('digits')
    expect(readRbmForm(null)).toEqual(defaultRbmForm())
    expect(readSampleForm({ count: 999, steps: 20, from: 'data' })).toEqual({ ...defaultSampleForm(), steps: 20, from: 'data' })
  })

  it('describes a spec in one line', () => {
    const spec = buildRbmModelSpec({ ...defaultRbmForm(), algorithm: 'pcd', k: 5, hidden: 64, sparsity: true })
    expect(describeRbmSpec(spec)).toBe('PCD-5 · 64 hidden · lr 0.05 · m 0.5 · wd 0.0001 · batch 100 · 5 ep · sparsity 0.05×0.1')
    expect(describeRbmSpec(buildRbmModelSpec({ ...defaultRbmForm(), visibleUnits: 'gaussian' }))).toContain('Gaussian visible')
  })
})

describe('continuing an RBM (buildContinueJob)', () => {
  const spec = rbmModelSpecSchema.parse({ kind: 'rbm', hidden: 30, epochs: 10, persistent: true })
  const history = Array.from({ length: 4 }, (_, k) => ({ epoch: k + 1, steps: 10 * (k + 1), seconds: k, reconstructionError: 0.1, pseudoLikelihood: -80, freeEnergyTrain: -50, freeEnergyHeldOut: null }))
  const m = { id: 'm1', spec, dataset: { builtin: 'digits' as const, count: 500, threshold: 0.5 }, seed: 3, history, trainState: { updates: 40, epochRng: [1, 2, 3, 4], metricRng: [5, 6, 7, 8] } }

  it('asks for the model itself with epochs counted from its first: its dataset, seed and settings, continueFrom', () => {
    const b = buildContinueJob(m, 3)
    expect(b.error).toBeUndefined()
    expect(b.spec).toEqual({ kind: 'rbm.train', dataset: m.dataset, model: { ...spec, epochs: 7, continueFrom: 'm1' }, seed: 3 })
    expect(rbmFamily.train.request.safeParse(b.spec).success).toBe(true)
  })

  it('refuses a bad number of epochs to add, naming the field and the limit', () => {
    for (const bad of [0, -1, 2.5, Number.NaN, 9997]) expect(buildContinueJob(m, bad)).toMatchObject({ field: 'addEpochs', error: expect.stringMatching(/from 1 to 9996 \(4 done, at most 10000 in all\)/) })
  })

  it('says why a model cannot be continued: no training state, in-graph noise', () => {
    const { trainState: _t, ...old } = m
    expect(continueBlocker(old)).toMatch(/saved without its training state/)
    expect(buildContinueJob(old, 2)).toMatchObject({ field: 'continueFrom', error: expect.stringMatching(/cannot be continued/) })
    expect(continueBlocker({ ...m, spec: { ...spec, noise: 'graph' } })).toMatch(/in-graph noise/)
    expect(continueBlocker(m)).toBeNull()
  })
})
