// Gaussian RBMs: one standardisation (the training split's mean and std) for training, held-out rows, views, sampling
// and every export; saved as feature_mean / feature_std; old sessions without them recompute the same numbers.
import { describe, expect, it } from 'vitest'
import { asView } from '../../src/shared/families'
import { readFileSync } from 'node:fs'
import { createSession } from '../../src/engine/ort'
import { decodeNpz } from '../../src/core/npy'
import { decodeSafetensors, type NamedTensor } from '../../src/core/safetensors'
import { softplus } from '../../src/core/rbm'
import { Rng } from '../../src/core/rng'
import { hiddenActivations, rbmExportBytes, rbmFromStateDict, sessionRbm, trainRbmJob, type RbmData } from '../../src/main/services/rbm'
import { rbmModelSpecSchema, type RbmModelSpec } from '../../src/shared/spec'
import type { RbmInfo } from '../../src/shared/session'
import { jobOutcome, withBackend } from '../helpers/backend'
import { exportRbmResult, runRbmSpec } from '../../src/main/services/rbm-run'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { rbmRunResultSchema, rbmRunSpecSchema } from '../../src/shared/rbm-run'
import { tensorFromJson } from '../../src/core/tensor-json'

const W = 3
const HT = 2
const F = W * HT
const ROWS = 40
/** Pixel 5 is constant (0.5) on every row: its std is 0, the floor rule must keep it finite. */
const CONSTANT = 5

/** Grey rows whose pixels have different means and spreads, so own-split statistics differ from the training split's. */
function greyData(): RbmData {
  const rng = new Rng(77)
  const values = new Float32Array(ROWS * F)
  for (let r = 0; r < ROWS; r++) {
    const on = r % 3 === 0
    for (let i = 0; i < F; i++) values[r * F + i] = i === CONSTANT ? 0.5 : Math.min(1, Math.max(0, 0.1 * i + (on ? 0.3 : 0) + 0.15 * rng.normal()))
  }
  return { values, rows: ROWS, visible: F, width: W, height: HT, labels: Array.from({ length: ROWS }, (_, r) => String(r)) }
}

const spec: RbmModelSpec = rbmModelSpecSchema.parse({ kind: 'rbm', visibleUnits: 'gaussian', hidden: 4, epochs: 3, batchSize: 10, learningRate: 0.01, heldOut: 0.25 })
const SEED = 5

/** The split, written out independently of the services: Rng(seed).fork(2) permutation, the last ⌊rows·heldOut⌋ held out. */
function split(): { train: number[]; held: number[] } {
  const order = Array.from(new Rng(SEED).fork(2).permutation(ROWS))
  const held = Math.floor(ROWS * spec.heldOut)
  return { train: order.slice(0, ROWS - held), held: order.slice(ROWS - held) }
}

/** NumPy-style statistics: x.mean(0), x.std(0) (population), std < 1e-6 -> 1. */
function numpyStats(data: RbmData, rows: number[]): { mean: number[]; std: number[] } {
  const mean = Array.from({ length: F }, (_, i) => rows.reduce((s, r) => s + data.values[r * F + i]!, 0) / rows.length)
  const std = mean.map((m, i) => {
    const sd = Math.sqrt(rows.reduce((s, r) => s + (data.values[r * F + i]! - m) ** 2, 0) / rows.length)
    return sd < 1e-6 ? 1 : sd
  })
  return { mean, std }
}

/** Gaussian free energy, written from the energy (σ from log_variance): Σ(v−b)²/2σ² − Σ_j softplus(c_j + Σ_i v_i w_ij/σ_i²). */
function freeEnergy(t: Record<string, NamedTensor>, v: number[]): number {
  const w = t.weights!.data
  const b = t.visible_bias!.data
  const c = t.hidden_bias!.data
  const z = t.log_variance!.data
  const H = c.length
  let f = 0
  for (let i = 0; i < F; i++) f += (v[i]! - b[i]!) ** 2 / (2 * Math.exp(z[i]!))
  for (let j = 0; j < H; j++) {
    let a = c[j]!
    for (let i = 0; i < F; i++) a += (v[i]! / Math.exp(z[i]!)) * w[i * H + j]!
    f -= softplus(a)
  }
  return f
}

async function trained(): Promise<{ data: RbmData; info: RbmInfo; tensors: Record<string, NamedTensor> }> {
  const data = greyData()
  const { info, tensors } = await trainRbmJob({ modelId: 'g', name: 'g', dataset: { builtin: 'letters', threshold: 0.5 } as RbmInfo['dataset'], spec, seed: SEED, data, engine: { provider: 'cpu' } })
  return { data, info, tensors }
}

describe('Gaussian RBM standardisation', () => {
  it('saves the training split statistics; held-out free energy uses them (checked against an independent computation)', async () => {
    const { data, info, tensors } = await trained()
    const { train, held } = split()
    const stats = numpyStats(data, train)
    expect(tensors.feature_mean!.shape).toEqual([F])
    for (let i = 0; i < F; i++) {
      expect(tensors.feature_mean!.data[i]).toBeCloseTo(stats.mean[i]!, 6)
      expect(tensors.feature_std!.data[i]).toBeCloseTo(stats.std[i]!, 6)
    }
    // The constant pixel: centred only (std 1), so nothing is NaN and training rows hold 0 there.
    expect(tensors.feature_std!.data[CONSTANT]).toBe(1)
    for (const t of Object.values(tensors)) expect(Array.from(t.data).every(Number.isFinite)).toBe(true)
    const last = info.history[info.history.length - 1]!
    const standardised = (r: number, s: { mean: number[]; std: number[] }): number[] => Array.from({ length: F }, (_, i) => (data.values[r * F + i]! - s.mean[i]!) / s.std[i]!)
    const heldFe = held.reduce((s, r) => s + freeEnergy(tensors, standardised(r, stats)), 0) / held.length
    expect(last.freeEnergyHeldOut).toBeCloseTo(heldFe, 4)
    const trainFe = train.reduce((s, r) => s + freeEnergy(tensors, standardised(r, stats)), 0) / train.length
    expect(last.freeEnergyTrain).toBeCloseTo(trainFe, 4)
    // Negative control: the old rule (held-out rows standardised with their own statistics) gives another number.
    const ownFe = held.reduce((s, r) => s + freeEnergy(tensors, standardised(r, numpyStats(data, held))), 0) / held.length
    expect(Math.abs(ownFe - heldFe)).toBeGreaterThan(1e-2)
  })

  it('the exported ONNX model, on RAW rows in a fresh session, gives the app p(h|v) and its raw-scale reconstruction', async () => {
    const { data, info, tensors } = await trained()
    const map = new Map(Object.entries(tensors).map(([k, t]) => [`models/${info.id}/${k}`, t]))
    const rbm = sessionRbm(map, info)
    const rows = [0, 3, 17, 39]
    const app = hiddenActivations(rbm, info, data, rows, 'rows')
    const onnx = rbmExportBytes(rbm, info, 's', 'onnx')
    const { session } = await createSession(onnx, { provider: 'cpu' })
    try {
      const raw = new Float32Array(rows.length * F)
      rows.forEach((r, k) => raw.set(data.values.subarray(r * F, (r + 1) * F), k * F))
      const out = await session.run({ visible: { type: 'float32', data: raw, dims: [rows.length, F] } })
      const ph = out.hidden_probabilities!.data as Float32Array
      const recon = out.reconstruction!.data as Float32Array
      rows.forEach((_, k) => {
        app.rows[k]!.hidden.forEach((p, j) => expect(ph[k * 4 + j]).toBeCloseTo(p, 4))
        app.rows[k]!.reconstruction.forEach((x, i) => expect(recon[k * F + i]).toBeCloseTo(x, 4))
        // The app's input picture is the raw row (the grey levels the dataset holds).
        app.rows[k]!.input.forEach((x, i) => expect(x).toBeCloseTo(raw[k * F + i]!, 4))
      })
      // Reconstructions are on the raw scale: near the pixel means, not near 0 (the standardised scale).
      expect(recon[4]!).toBeGreaterThan(0.15)
    } finally {
      await session.release()
    }
    const npz = decodeNpz(rbmExportBytes(rbm, info, 's', 'npz'))
    expect(Array.from(npz.tensors.feature_mean!.data)).toEqual(Array.from(tensors.feature_mean!.data))
    expect(npz.metadata.standardisation).toMatch(/feature_mean/)
    const st = decodeSafetensors(rbmExportBytes(rbm, info, 's', 'safetensors'))
    expect(Array.from(st.tensors.feature_std!.data)).toEqual(Array.from(tensors.feature_std!.data))
    expect(rbmFromStateDict(st.tensors, 'gaussian').featureScaling).toBeDefined()
  })

  it('a session saved without feature_mean/feature_std recomputes them from the seeded training split', async () => {
    const { data, info, tensors } = await trained()
    const map = new Map(Object.entries(tensors).filter(([k]) => !k.startsWith('feature_')).map(([k, t]) => [`models/${info.id}/${k}`, t]))
    let reads = 0
    const rbm = sessionRbm(map, info, () => (reads++, data))
    expect(reads).toBe(1)
    expect(Array.from(rbm.featureScaling!.mean)).toEqual(Array.from(tensors.feature_mean!.data))
    expect(Array.from(rbm.featureScaling!.std)).toEqual(Array.from(tensors.feature_std!.data))
    // Bernoulli machines never read the dataset for it.
    sessionRbm(map, { ...info, spec: { ...info.spec, visibleUnits: 'bernoulli' } }, () => (reads++, data))
    expect(reads).toBe(1)
  })
})

describe('Gaussian RBM result files (engram run)', () => {
  it('keep the statistics in the result state dict, and exports from the result carry and apply them', async () => {
    const spec = rbmRunSpecSchema.parse({ seed: 4, dataset: { builtin: 'digits', count: 50 }, model: { kind: 'rbm', visibleUnits: 'gaussian', hidden: 5, epochs: 1, batchSize: 25, learningRate: 0.001 } })
    const result = rbmRunResultSchema.parse(JSON.parse(JSON.stringify(await runRbmSpec(spec, new DatasetCatalog(null)))))
    const mean = tensorFromJson(result.model.stateDict.feature_mean!)
    expect(mean.shape).toEqual([784])
    const npz = decodeNpz(exportRbmResult(result, 'npz').bytes)
    expect(Array.from(npz.tensors.feature_mean!.data)).toEqual(Array.from(mean.data))
    expect(npz.metadata.standardisation).toMatch(/feature_std/)
    const { bytes, rbm } = exportRbmResult(result, 'onnx')
    const { session } = await createSession(bytes, { provider: 'cpu' })
    try {
      // A raw row that is the training mean standardises to 0: p(h|v) = σ(c).
      const out = await session.run({ visible: { type: 'float32', data: Float32Array.from(mean.data), dims: [1, 784] } })
      Array.from(out.hidden_probabilities!.data as Float32Array).forEach((p, j) => expect(p).toBeCloseTo(1 / (1 + Math.exp(-rbm.hiddenBias[j]!)), 5))
    } finally {
      await session.release()
    }
  })
})

const backend = withBackend('engram-gaussian-')

describe('Gaussian RBM in a session', () => {
  it('keeps the statistics across save and reopen: models.hidden and the export agree before and after', async () => {
    const s = await backend.call('sessions.create', { name: 'gauss' })
    const { jobId } = await backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'digits', count: 60 }, model: { kind: 'rbm', visibleUnits: 'gaussian', hidden: 6, epochs: 1, batchSize: 20, learningRate: 0.001, heldOut: 0.2 }, seed: 3 })
    const done = await jobOutcome(backend, jobId)
    if (done.result.kind !== 'rbm.train') throw new Error('expected rbm.train')
    const id = done.result.model.id
    const before = asView(await backend.call('models.view', { sessionId: s.id, modelId: id, view: { kind: 'rbm.hidden', rows: [0, 1, 2] } }), 'rbm.hidden')
    // Digits have constant border pixels: finite everywhere, inputs on the grey-level scale [0, 1].
    for (const r of before.rows) {
      expect([...r.input, ...r.hidden, ...r.reconstruction].every(Number.isFinite)).toBe(true)
      expect(r.input.every((x) => x >= -1e-4 && x <= 1 + 1e-4)).toBe(true)
    }
    const st = await backend.call('models.export', { sessionId: s.id, modelId: id, format: 'safetensors' })
    const dict = decodeSafetensors(new Uint8Array(readFileSync(st.path)))
    expect(dict.tensors.feature_mean!.shape).toEqual([784])
    expect(dict.tensors.feature_std!.data[0]).toBe(1)
    await backend.call('sessions.save', { id: s.id })
    await backend.call('sessions.close', { id: s.id })
    const after = asView(await backend.call('models.view', { sessionId: s.id, modelId: id, view: { kind: 'rbm.hidden', rows: [0, 1, 2] } }), 'rbm.hidden')
    expect(after).toEqual(before)
    const sample = await backend.call('models.run', { sessionId: s.id, modelId: id, run: { kind: 'rbm.sample', count: 2, steps: 2, seed: 1, from: 'data' } })
    const sampled = await jobOutcome(backend, sample.jobId)
    if (sampled.result.kind !== 'rbm.sample') throw new Error('expected rbm.sample')
    expect(sampled.result.samples.flat().every(Number.isFinite)).toBe(true)
  })
})
