// RBM in the app: training job with live metrics, session storage, filters, sampling, export that matches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { modelsOf } from '../../src/shared/session'
import { asView } from '../../src/shared/families'
import { readFileSync } from 'node:fs'
import type { Backend } from '../../src/main/services/backend'
import { createSession } from '../../src/engine/ort'
import { classProbabilities, hiddenProbabilities, visibleMean } from '../../src/core/rbm'
import { decodeSafetensors, type NamedTensor } from '../../src/core/safetensors'
import { exactLogZ } from '../../src/core/rbm-metrics'
import { rbmFromStateDict } from '../../src/main/services/rbm'
import { jobOutcome, makeBackend, tempDir } from '../helpers/backend'

let tmp: ReturnType<typeof tempDir>
let backend: Backend

beforeAll(() => {
  tmp = tempDir('engram-rbm-')
  backend = makeBackend(tmp.dir)
})
afterAll(async () => {
  await backend.close()
  tmp.cleanup()
})

describe('RBM jobs', () => {
  it('trains on the digits with per-epoch metrics, then samples, shows filters and exports a matching ONNX', async () => {
    const s = await backend.call('sessions.create', { name: 'rbm' })
    const metrics: Record<string, number>[] = []
    const off = backend.on('job.progress', (p) => p.metrics && metrics.push(p.metrics))
    const { jobId } = await backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'digits', count: 300 }, model: { kind: 'rbm', hidden: 24, epochs: 3, batchSize: 25, learningRate: 0.1 }, seed: 9 })
    const done = await jobOutcome(backend, jobId)
    off()
    if (done.result.kind !== 'rbm.train') throw new Error('expected rbm.train')
    const info = done.result.model
    expect(info).toMatchObject({ visible: 784, hidden: 24, trainRows: 270, heldOutRows: 30, partial: false, provider: 'cpu' })
    expect(info.history.map((h) => h.epoch)).toEqual([1, 2, 3])
    expect(metrics.map((m) => m.epoch)).toEqual([1, 2, 3])
    // Learning happens: reconstruction error falls epoch over epoch.
    expect(info.history[2]!.reconstructionError).toBeLessThan(info.history[0]!.reconstructionError)
    expect(JSON.stringify(done)).not.toMatch(/weights/)
    const state = await backend.call('sessions.open', { id: s.id })
    expect(modelsOf(state, 'rbm').map((r) => r.id)).toEqual([info.id])

    const filters = asView(await backend.call('models.view', { sessionId: s.id, modelId: info.id, view: { kind: 'rbm.filters', limit: 10 } }), 'rbm.filters')
    expect(filters.filters).toHaveLength(10)
    expect(filters.filters[0]).toHaveLength(784)

    const sample = await backend.call('models.run', { sessionId: s.id, modelId: info.id, run: { kind: 'rbm.sample', count: 4, steps: 20, seed: 1 } })
    const sampled = await jobOutcome(backend, sample.jobId)
    if (sampled.result.kind !== 'rbm.sample') throw new Error('expected rbm.sample')
    expect(sampled.result.samples).toHaveLength(4)
    expect(sampled.result.samples[0]!.every((x) => x >= 0 && x <= 1)).toBe(true)

    const st = await backend.call('models.export', { sessionId: s.id, modelId: info.id, format: 'safetensors' })
    const dict = decodeSafetensors(new Uint8Array(readFileSync(st.path)))
    expect(dict.metadata.kind).toBe('rbm')
    const rbm = rbmFromStateDict(dict.tensors, 'bernoulli')
    const onnx = await backend.call('models.export', { sessionId: s.id, modelId: info.id, format: 'onnx' })
    const { session } = await createSession(new Uint8Array(readFileSync(onnx.path)), { provider: 'cpu' })
    for (const batch of [1, 5]) {
      const v = new Float32Array(batch * 784).map((_, i) => ((i * 7919) % 13) / 12)
      const out = await session.run({ visible: { type: 'float32', data: v, dims: [batch, 784] } })
      const ph = hiddenProbabilities(rbm, v, batch)
      const recon = visibleMean(rbm, ph, batch)
      const got = out.hidden_probabilities!.data as Float32Array
      const gotRecon = out.reconstruction!.data as Float32Array
      for (let i = 0; i < ph.length; i++) expect(got[i]!).toBeCloseTo(ph[i]!, 5)
      for (let i = 0; i < recon.length; i++) expect(gotRecon[i]!).toBeCloseTo(recon[i]!, 5)
    }
    await session.release()
    // The session keeps the RBM across save and reopen.
    await backend.call('sessions.save', { id: s.id })
    const again = makeBackend(tmp.dir)
    try {
      const reopened = await again.call('sessions.open', { id: s.id })
      expect(modelsOf(reopened, 'rbm')[0]!.history).toEqual(info.history)
      const f2 = asView(await again.call('models.view', { sessionId: s.id, modelId: info.id, view: { kind: 'rbm.filters', limit: 10 } }), 'rbm.filters')
      expect(f2.filters).toEqual(filters.filters)
    } finally {
      await again.close()
    }
  })

  it('estimates log Z by AIS after training, close to the exact value of a small RBM', async () => {
    const s = await backend.call('sessions.create', { name: 'ais' })
    const { jobId } = await backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'letters' }, model: { kind: 'rbm', hidden: 8, epochs: 20, batchSize: 13, learningRate: 0.1, heldOut: 0, ais: { runs: 64, steps: 400 } }, seed: 3 })
    const done = await jobOutcome(backend, jobId)
    if (done.result.kind !== 'rbm.train') throw new Error('expected rbm.train')
    const info = done.result.model
    const open = (backend as unknown as { open: Map<string, { tensors: Map<string, NamedTensor> }> }).open.get(s.id)!
    const rbm = rbmFromStateDict(
      { weights: open.tensors.get(`models/${info.id}/weights`), visible_bias: open.tensors.get(`models/${info.id}/visible_bias`), hidden_bias: open.tensors.get(`models/${info.id}/hidden_bias`) },
      'bernoulli'
    )
    const exact = exactLogZ(rbm)
    expect(info.likelihood).toBeDefined()
    expect(Math.abs(info.likelihood!.logZ - exact)).toBeLessThan(0.5)
    expect(info.likelihood!.logZHigh).toBeGreaterThanOrEqual(info.likelihood!.logZ)
    expect(info.likelihood!.train).toBeLessThan(0)
  })

  it('trains a classification RBM on the digits: accuracy per epoch well above chance, confusion matrix, matching ONNX', async () => {
    const s = await backend.call('sessions.create', { name: 'rbm classes' })
    const metrics: Record<string, number>[] = []
    const off = backend.on('job.progress', (p) => p.metrics && metrics.push(p.metrics))
    const { jobId } = await backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'digits', count: 1000 }, model: { kind: 'rbm', hidden: 100, epochs: 5, batchSize: 10, learningRate: 0.1, labels: true, heldOut: 0.2 }, seed: 4 })
    const done = await jobOutcome(backend, jobId)
    off()
    if (done.result.kind !== 'rbm.train') throw new Error('expected rbm.train')
    const info = done.result.model
    expect(info).toMatchObject({ visible: 794, labelUnits: 10, trainRows: 800, heldOutRows: 200 })
    // Accuracy per epoch, in the history and in the live metrics. Chance is 10 %; this run reaches 88.6 % on the
    // training rows and 88.5 % on the 200 held-out rows after 5 epochs (47 % / 45 % after the first).
    expect(info.history.map((h) => h.accuracyTrain)).toEqual(metrics.map((m) => m.accuracyTrain))
    expect(info.history.map((h) => h.accuracyHeldOut)).toEqual(metrics.map((m) => m.accuracyHeldOut))
    const last = info.history[info.history.length - 1]!
    expect(last.accuracyTrain!).toBeGreaterThan(0.8)
    expect(last.accuracyHeldOut!).toBeGreaterThan(0.8)
    expect(last.accuracyHeldOut!).toBeGreaterThan(info.history[0]!.accuracyHeldOut! + 0.2)
    const c = info.classification!
    expect(c.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(c).toMatchObject({ split: 'held-out', rows: 200 })
    expect(c.confusion.flat().reduce((a, b) => a + b, 0)).toBe(200)
    const diagonal = c.confusion.reduce((a, row, y) => a + row[y]!, 0)
    expect(c.accuracy).toBeCloseTo(diagonal / 200, 12)
    expect(c.accuracy).toBe(last.accuracyHeldOut)
    // Filters and samples show the pixels only; the ONNX model's class probabilities are core classProbabilities.
    const filters = asView(await backend.call('models.view', { sessionId: s.id, modelId: info.id, view: { kind: 'rbm.filters', limit: 2 } }), 'rbm.filters')
    expect(filters.filters[0]).toHaveLength(784)
    const sample = await backend.call('models.run', { sessionId: s.id, modelId: info.id, run: { kind: 'rbm.sample', count: 3, steps: 5, from: 'data', seed: 1 } })
    const sampled = await jobOutcome(backend, sample.jobId)
    if (sampled.result.kind !== 'rbm.sample') throw new Error('expected rbm.sample')
    expect(sampled.result.samples[0]).toHaveLength(784)
    const st = await backend.call('models.export', { sessionId: s.id, modelId: info.id, format: 'safetensors' })
    const dict = decodeSafetensors(new Uint8Array(readFileSync(st.path)))
    expect(dict.metadata.label_units).toBe('10')
    const rbm = rbmFromStateDict(dict.tensors, 'bernoulli', 10)
    const onnx = await backend.call('models.export', { sessionId: s.id, modelId: info.id, format: 'onnx' })
    const { session } = await createSession(new Uint8Array(readFileSync(onnx.path)), { provider: 'cpu' })
    const batch = 3
    const v = new Float32Array(batch * 794).map((_, i) => (i % 794 < 784 && (i * 7919) % 5 === 0 ? 1 : 0))
    const out = await session.run({ visible: { type: 'float32', data: v, dims: [batch, 794] } })
    const features = Float32Array.from({ length: batch * 784 }, (_, k) => v[Math.floor(k / 784) * 794 + (k % 784)]!)
    const expected = classProbabilities(rbm, features, batch)
    const got = out.class_probabilities!.data as Float32Array
    expect(got).toHaveLength(30)
    for (let q = 0; q < expected.length; q++) expect(got[q]!).toBeCloseTo(expected[q]!, 5)
    await session.release()
  })

  it('refuses labels on a dataset without class labels, naming the field', async () => {
    const s = await backend.call('sessions.create', { name: 'no labels' })
    await expect(
      backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'letters' }, model: { kind: 'rbm', labels: true }, seed: 1 })
    ).rejects.toMatchObject({ field: 'params.model.labels', message: expect.stringMatching(/params\.model\.labels: dataset 'letters' has no class labels/) })
    await expect(
      backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'digits', count: 20 }, model: { kind: 'rbm', labels: true, ais: { runs: 2, steps: 10 } }, seed: 1 })
    ).rejects.toMatchObject({ field: 'params.model.ais' })
  })

  it('names the field of a bad RBM spec', async () => {
    const s = await backend.call('sessions.create', { name: 'bad rbm' })
    await expect(
      backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'digits', count: 10 }, model: { kind: 'rbm', hidden: 0 } })
    ).rejects.toMatchObject({ field: 'params.model.hidden' })
    await expect(backend.call('models.view', { sessionId: s.id, modelId: 'nope', view: { kind: 'rbm.filters' } })).rejects.toThrow("params.modelId: no model 'nope'")
  })
})
