// models.hidden: an RBM's hidden layer on data rows (p(h|v), the mean-field reconstruction, mean activations).
import { asView } from '../../src/shared/families'
import { describe, expect, it } from 'vitest'
import { hiddenProbabilities, sigmoid } from '../../src/core/rbm'
import { decodeSafetensors } from '../../src/core/safetensors'
import { rbmFromStateDict } from '../../src/main/services/rbm'
import { readFileSync } from 'node:fs'
import { jobOutcome, withBackend } from '../helpers/backend'

const backend = withBackend('engram-hidden-')

describe('models.hidden', () => {
  it('gives p(h|v) of the model on the binarised rows, the reconstruction, the held-out flags and mean activations', async () => {
    const s = await backend.call('sessions.create', { name: 'hidden' })
    const { jobId } = await backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'digits', count: 200 }, model: { kind: 'rbm', hidden: 16, epochs: 2, batchSize: 20, learningRate: 0.1, heldOut: 0.25 }, seed: 2 })
    const done = await jobOutcome(backend, jobId)
    if (done.result.kind !== 'rbm.train') throw new Error('expected rbm.train')
    const info = done.result.model
    const rows = Array.from({ length: 40 }, (_, i) => i)
    const out = asView(await backend.call('models.view', { sessionId: s.id, modelId: info.id, view: { kind: 'rbm.hidden', rows } }), 'rbm.hidden')
    expect(out).toMatchObject({ visible: 784, hidden: 16, width: 28, height: 28, meanRows: 200 })
    expect(out.rows).toHaveLength(40)
    // The seeded split holds out a quarter of the rows; about that many of the first 40 are flagged.
    const held = out.rows.filter((r) => r.heldOut).length
    expect(held).toBeGreaterThan(2)
    expect(held).toBeLessThan(20)
    const page = await backend.call('datasets.get', { id: 'digits', offset: 0, limit: 40 })
    // Same numbers as the core on the exported weights: p(h_j|v) = σ(c_j + Σ_i v_i w_ij) on the ±1 → {0,1} rows.
    const st = await backend.call('models.export', { sessionId: s.id, modelId: info.id, format: 'safetensors' })
    const rbm = rbmFromStateDict(decodeSafetensors(new Uint8Array(readFileSync(st.path))).tensors, 'bernoulli')
    for (const k of [0, 7, 39]) {
      const v = Float32Array.from(page.patterns[k]!, (x) => (x === 1 ? 1 : 0))
      expect(out.rows[k]!.input).toEqual(Array.from(v))
      expect(out.rows[k]!.label).toBe(page.labels[k])
      const ph = hiddenProbabilities(rbm, v, 1)
      out.rows[k]!.hidden.forEach((p, j) => expect(p).toBeCloseTo(ph[j]!, 4))
      // Reconstruction: σ(b_i + Σ_j w_ij p_j).
      let a = rbm.visibleBias[100]!
      for (let j = 0; j < 16; j++) a += rbm.weights[100 * 16 + j]! * ph[j]!
      expect(out.rows[k]!.reconstruction[100]).toBeCloseTo(sigmoid(a), 4)
    }
    expect(out.meanActivation).toHaveLength(16)
    expect(out.meanActivation.every((m) => m >= 0 && m <= 1)).toBe(true)
    await expect(backend.call('models.view', { sessionId: s.id, modelId: info.id, view: { kind: 'rbm.hidden', rows: [0, 200] } })).rejects.toMatchObject({ field: 'params.view.rows.1' })
    await expect(backend.call('models.view', { sessionId: s.id, modelId: 'nope', view: { kind: 'rbm.hidden', rows: [0] } })).rejects.toMatchObject({ field: 'params.modelId' })
  })
})
