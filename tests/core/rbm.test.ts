// Core RBM: CD/PCD updates against finite differences of the free energy, momentum/decay/sparsity algebra, samplers
// against exact distributions, classification, Gaussian units (safe defaults, divergence guard), determinism.
import { describe, expect, it } from 'vitest'
import {
  cdStep,
  classify,
  classProbabilities,
  cloneRbm,
  createTrainState,
  destandardise,
  drawCdNoise,
  drawGibbsNoise,
  fillUniform,
  gibbsChain,
  initRbm,
  RbmDivergedError,
  sampleVisible,
  standardise,
  standardiseWith,
  trainEpoch,
  uniform24,
  withOneHotLabels,
  type CdOptions,
  type FloatArray,
  type Rbm
} from '../../src/core/rbm'
import { exactLogZ, freeEnergy, logLikelihood, reconstructionError } from '../../src/core/rbm-metrics'
import { Rng } from '../../src/core/rng'

function randomRbm(V: number, H: number, seed: number, scale = 0.5, extra: Partial<Rbm> = {}): Rbm {
  const rng = new Rng(seed)
  const rbm = initRbm({ visible: V, hidden: H, weightScale: scale, ...extra }, rng)
  for (let i = 0; i < V; i++) rbm.visibleBias[i] = 0.5 * rng.normal()
  for (let j = 0; j < H; j++) rbm.hiddenBias[j] = 0.5 * rng.normal()
  return rbm
}

function binaryRows(rng: Rng, rows: number, V: number, p = 0.5): Float64Array {
  return Float64Array.from({ length: rows * V }, () => (rng.next() < p ? 1 : 0))
}

/** Central differences of mean(−F(v)) with respect to every entry of `param`. */
function numericGradient(rbm: Rbm, param: FloatArray, v: FloatArray, rows: number, eps = 1e-5): Float64Array {
  const g = new Float64Array(param.length)
  const meanNegF = (): number => -freeEnergy(rbm, v, rows).reduce((a, b) => a + b, 0) / rows
  for (let k = 0; k < param.length; k++) {
    const old = param[k]!
    param[k] = old + eps
    const up = meanNegF()
    param[k] = old - eps
    const down = meanNegF()
    param[k] = old
    g[k] = (up - down) / (2 * eps)
  }
  return g
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!))
  return m
}

describe('cdStep: the update is lr·(∇(−F̄)(v⁰) − ∇(−F̄)(v^k)) (seeds/004 CD gradient)', () => {
  const cases: { name: string; rbm: () => Rbm; opts: CdOptions; data: (rng: Rng) => Float64Array }[] = [
    { name: 'Bernoulli CD-1', rbm: () => randomRbm(7, 5, 1), opts: { learningRate: 0.1 }, data: (r) => binaryRows(r, 6, 7) },
    { name: 'Bernoulli CD-3, sampled visibles', rbm: () => randomRbm(7, 5, 2), opts: { learningRate: 0.1, k: 3, sampleVisible: true }, data: (r) => binaryRows(r, 6, 7) },
    {
      name: 'Gaussian CD-2, learned σ',
      rbm: () => {
        const rbm = randomRbm(5, 4, 3, 0.3, { visibleUnits: 'gaussian' })
        rbm.logVariance = Float64Array.from([0.1, -0.2, 0.3, 0, -0.4])
        return rbm
      },
      opts: { learningRate: 0.05, k: 2, sigma: { learn: true, learningRateScale: 1, minSigma: 1e-3, maxSigma: 1e3 } },
      data: (r) => Float64Array.from({ length: 6 * 5 }, () => r.normal())
    },
    {
      name: 'Bernoulli + 3 label units, CD-1 sampled',
      rbm: () => randomRbm(8, 4, 4, 0.5, { labelUnits: 3 }),
      opts: { learningRate: 0.1, sampleVisible: true },
      data: (r) => withOneHotLabels(binaryRows(r, 6, 5), [0, 1, 2, 2, 1, 0], 6, 3)
    }
  ]
  for (const c of cases) {
    it(c.name, () => {
      const rbm = c.rbm()
      const rng = new Rng(11)
      const v0 = c.data(rng)
      const rows = v0.length / rbm.visible
      const before = cloneRbm(rbm)
      const state = createTrainState(rbm)
      const view = cdStep(rbm, state, v0, rows, c.opts, drawCdNoise(rbm, rows, c.opts, rng))
      // Gradients of the mean negative free energy at the old parameters, at the data and at the negative samples.
      const vk = view.negativeVisible
      const lr = c.opts.learningRate
      const params: (keyof Rbm & ('weights' | 'visibleBias' | 'hiddenBias'))[] = ['weights', 'visibleBias', 'hiddenBias']
      for (const p of params) {
        const ref = cloneRbm(before)
        const gPos = numericGradient(ref, ref[p], v0, rows)
        const gNeg = numericGradient(ref, ref[p], vk, rows)
        const expected = (before[p] as Float64Array).map((x, q) => x + lr * (gPos[q]! - gNeg[q]!))
        expect(maxAbsDiff(rbm[p], expected), p).toBeLessThan(1e-8)
      }
      if (c.opts.sigma?.learn) {
        const ref = cloneRbm(before)
        const gPos = numericGradient(ref, ref.logVariance!, v0, rows)
        const gNeg = numericGradient(ref, ref.logVariance!, vk, rows)
        const expected = before.logVariance!.map((x, q) => x + lr * (gPos[q]! - gNeg[q]!))
        expect(maxAbsDiff(rbm.logVariance!, expected)).toBeLessThan(1e-8)
      }
      expect(view.reconstructionError).toBeGreaterThan(0)
    })
  }

  it('PCD: chains advance by k sampled sweeps and supply the negative statistics', () => {
    const rbm = randomRbm(6, 4, 5)
    const rng = new Rng(3)
    const state = createTrainState(rbm, { persistentChains: 5 }, rng)
    const chains0 = state.chains!.slice()
    const opts: CdOptions = { learningRate: 0.1, k: 2, persistent: true }
    const v0 = binaryRows(rng, 3, 6)
    const noise = drawCdNoise(rbm, 5, opts, rng)
    const before = cloneRbm(rbm)
    // The chain the step should produce, replayed with gibbsChain on the old parameters and the same noise.
    const replay = gibbsChain(before, chains0, 5, { steps: 2, rows: 5, hidden: noise.hidden, visible: noise.visible! })
    const view = cdStep(rbm, state, v0, 3, opts, noise)
    expect(Array.from(state.chains!)).toEqual(Array.from(replay.visible))
    expect(view.reconstructionError).toBeNull()
    expect(state.chains!.every((x) => x === 0 || x === 1)).toBe(true)
    const ref = cloneRbm(before)
    const gPos = numericGradient(ref, ref.weights, v0, 3)
    const gNeg = numericGradient(ref, ref.weights, state.chains!, 5)
    const expected = before.weights.map((x, q) => x + 0.1 * (gPos[q]! - gNeg[q]!))
    expect(maxAbsDiff(rbm.weights, expected)).toBeLessThan(1e-8)
  })
})

describe('cdStep: momentum, weight decay and sparsity', () => {
  it('Δ₂ = μΔ₁ + η(g₂ − λW₁) for W; biases without decay', () => {
    const rng = new Rng(21)
    const rbm = randomRbm(6, 5, 7)
    const v = binaryRows(rng, 4, 6)
    const opts: CdOptions = { learningRate: 0.2, momentum: 0.7, weightDecay: 0.01 }
    const state = createTrainState(rbm)
    const W0 = rbm.weights.slice()
    const b0 = rbm.visibleBias.slice()
    cdStep(rbm, state, v, 4, opts, drawCdNoise(rbm, 4, opts, rng))
    const d1 = rbm.weights.map((x, q) => x - W0[q]!)
    const db1 = rbm.visibleBias.map((x, q) => x - b0[q]!)
    const W1 = rbm.weights.slice()
    const b1 = rbm.visibleBias.slice()
    const noise2 = drawCdNoise(rbm, 4, opts, rng)
    // The same second step without momentum, from W₁ with zero velocity: Δ' = η(g₂ − λW₁).
    const fresh = cloneRbm(rbm)
    cdStep(fresh, createTrainState(fresh), v, 4, { ...opts, momentum: 0 }, noise2)
    cdStep(rbm, state, v, 4, opts, noise2)
    for (let q = 0; q < W1.length; q++) {
      expect(rbm.weights[q]! - W1[q]!).toBeCloseTo(0.7 * d1[q]! + (fresh.weights[q]! - W1[q]!), 12)
    }
    for (let i = 0; i < 6; i++) expect(rbm.visibleBias[i]! - b1[i]!).toBeCloseTo(0.7 * db1[i]! + (fresh.visibleBias[i]! - b1[i]!), 12)
  })

  it('weight decay subtracts η·λ·W from the same CD update', () => {
    const rbm = randomRbm(4, 3, 8)
    const v = Float64Array.from([1, 0, 1, 1])
    const W0 = rbm.weights.slice()
    const state = createTrainState(rbm)
    const opts: CdOptions = { learningRate: 0.5, weightDecay: 0.1, sampleVisible: true }
    const noise = drawCdNoise(rbm, 1, opts, new Rng(1))
    const ref = cloneRbm(rbm)
    cdStep(ref, createTrainState(ref), v, 1, { ...opts, weightDecay: 0 }, noise)
    cdStep(rbm, state, v, 1, opts, noise)
    for (let q = 0; q < W0.length; q++) expect(rbm.weights[q]!).toBeCloseTo(ref.weights[q]! - 0.5 * 0.1 * W0[q]!, 12)
  })

  it('sparsity: q ← λq + (1−λ)·mean p(h|v⁰), hidden bias gets −η·cost·(q − p)', () => {
    const rng = new Rng(4)
    const rbm = randomRbm(6, 5, 9)
    const v = binaryRows(rng, 4, 6)
    const opts: CdOptions = { learningRate: 0.3, sparsity: { target: 0.05, cost: 0.5, decay: 0.8 } }
    const noise = drawCdNoise(rbm, 4, opts, rng)
    const plain = cloneRbm(rbm)
    cdStep(plain, createTrainState(plain), v, 4, { learningRate: 0.3 }, noise)
    const state = createTrainState(rbm, { sparsityTarget: 0.2 })
    const view = cdStep(rbm, state, v, 4, opts, noise)
    for (let j = 0; j < 5; j++) {
      let m = 0
      for (let r = 0; r < 4; r++) m += view.positiveHidden[r * 5 + j]! / 4
      const q = 0.8 * 0.2 + 0.2 * m
      expect(state.hiddenActivity[j]!).toBeCloseTo(q, 12)
      expect(rbm.hiddenBias[j]!).toBeCloseTo(plain.hiddenBias[j]! - 0.3 * 0.5 * (q - 0.05), 12)
    }
    expect(Array.from(rbm.weights)).toEqual(Array.from(plain.weights))
  })
})

describe('samplers follow the model distribution', () => {
  it('uniform24 is in [0,1), a multiple of 2^-24, and exact in float32', () => {
    const rng = new Rng(5)
    for (let k = 0; k < 1000; k++) {
      const u = uniform24(rng)
      expect(u).toBeGreaterThanOrEqual(0)
      expect(u).toBeLessThan(1)
      expect(Math.fround(u)).toBe(u)
      expect(Number.isInteger(u * 16777216)).toBe(true)
    }
  })

  it('fillUniform is the uniform24 stream of a sub-generator seeded by four words of rng', () => {
    const rng = new Rng(31)
    const out = fillUniform(rng, new Float32Array(257))
    const ref = new Rng(31)
    const sub = Rng.fromState([ref.nextU32(), ref.nextU32(), ref.nextU32(), ref.nextU32()])
    for (let k = 0; k < out.length; k++) expect(out[k]).toBe(uniform24(sub))
    expect(rng.getState()).toEqual(ref.getState())
  })

  it('block Gibbs chains reach p(v) = e^{−F(v)}/Z (exact enumeration, V=4, H=3)', () => {
    const rbm = randomRbm(4, 3, 12, 1)
    const logZ = exactLogZ(rbm)
    const rows = 4000
    const rng = new Rng(6)
    const v0 = binaryRows(rng, rows, 4)
    const out = gibbsChain(rbm, v0, rows, drawGibbsNoise(rbm, rows, 12, rng))
    const counts = new Float64Array(16)
    for (let r = 0; r < rows; r++) {
      let code = 0
      for (let i = 0; i < 4; i++) code |= out.visible[r * 4 + i]! << i
      counts[code]! += 1 / rows
    }
    let tv = 0
    let total = 0
    for (let code = 0; code < 16; code++) {
      const v = Float64Array.from({ length: 4 }, (_, i) => (code >>> i) & 1)
      const p = Math.exp(-freeEnergy(rbm, v, 1)[0]! - logZ)
      total += p
      tv += 0.5 * Math.abs(p - counts[code]!)
    }
    expect(total).toBeCloseTo(1, 12)
    expect(tv).toBeLessThan(0.04)
  })

  it('clamped units keep their values; the label group samples one-hot with softmax frequencies', () => {
    const rbm = randomRbm(6, 3, 13, 0.5, { labelUnits: 3 })
    const rng = new Rng(7)
    const rows = 3000
    const v0 = withOneHotLabels(binaryRows(rng, rows, 3), Array.from({ length: rows }, () => rng.int(3)), rows, 3)
    const clamp = Float64Array.from({ length: rows * 6 }, (_, q) => (q % 6 < 3 ? 1 : 0))
    const out = gibbsChain(rbm, v0, rows, drawGibbsNoise(rbm, rows, 3, rng), clamp)
    const freq = [0, 0, 0]
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < 3; i++) expect(out.visible[r * 6 + i]).toBe(v0[r * 6 + i])
      const lab = [3, 4, 5].map((i) => out.visible[r * 6 + i]!)
      expect(lab.reduce((a, b) => a + b, 0)).toBe(1)
      freq[lab.indexOf(1)]! += 1
    }
    // Direct check of the categorical sampler: frequencies of one mean row against its probabilities.
    const mean = Float64Array.from([0, 0, 0, 0.2, 0.5, 0.3])
    const counts = [0, 0, 0]
    const n = 20000
    const noise = Float32Array.from({ length: 6 }, () => 0)
    const r2 = new Rng(8)
    for (let t = 0; t < n; t++) {
      noise[3] = uniform24(r2)
      const s = sampleVisible(rbm, mean, 1, noise)
      counts[[3, 4, 5].findIndex((i) => s[i] === 1)]! += 1
    }
    expect(counts[0]! / n).toBeCloseTo(0.2, 1)
    expect(counts[1]! / n).toBeCloseTo(0.5, 1)
    expect(counts[2]! / n).toBeCloseTo(0.3, 1)
    expect(freq.reduce((a, b) => a + b, 0)).toBe(rows)
  })
})

describe('training', () => {
  // Two prototypes of 12 bits with 5% noise: the exact log-likelihood must rise under CD-1 and PCD.
  function prototypeData(rng: Rng, rows: number): { v: Float64Array; labels: number[] } {
    const protos = [
      [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0],
      [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    ]
    const labels: number[] = []
    const v = new Float64Array(rows * 12)
    for (let r = 0; r < rows; r++) {
      const y = rng.int(3)
      labels.push(y)
      for (let i = 0; i < 12; i++) v[r * 12 + i] = rng.next() < 0.05 ? 1 - protos[y]![i]! : protos[y]![i]!
    }
    return { v, labels }
  }

  for (const persistent of [false, true]) {
    it(`${persistent ? 'PCD-1' : 'CD-1'} raises the exact log-likelihood; same seed, same numbers`, () => {
      const run = (): { before: number; after: number; rbm: Rbm } => {
        const rng = new Rng(42)
        const { v } = prototypeData(rng, 120)
        const rbm = initRbm({ visible: 12, hidden: 6, data: { values: v, rows: 120 } }, rng)
        const before = logLikelihood(rbm, v, 120, exactLogZ(rbm))
        const state = createTrainState(rbm, persistent ? { persistentChains: 100 } : {}, rng)
        for (let e = 0; e < 60; e++) trainEpoch(rbm, state, v, 120, { batchSize: 10, learningRate: 0.05, momentum: 0.5, persistent }, rng)
        return { before, after: logLikelihood(rbm, v, 120, exactLogZ(rbm)), rbm }
      }
      const a = run()
      const b = run()
      expect(a.after).toBeGreaterThan(a.before + 2)
      expect(Array.from(a.rbm.weights)).toEqual(Array.from(b.rbm.weights))
    })
  }

  it('classification RBM: exact p(y|x) equals the free-energy ratio, and it learns the classes', () => {
    const rng = new Rng(5)
    const { v, labels } = prototypeData(rng, 300)
    const data = withOneHotLabels(v, labels, 300, 3)
    const rbm = initRbm({ visible: 15, hidden: 10, labelUnits: 3, data: { values: data, rows: 300 } }, rng)
    const state = createTrainState(rbm)
    for (let e = 0; e < 10; e++) trainEpoch(rbm, state, data, 300, { batchSize: 10, learningRate: 0.1, momentum: 0.5 }, rng)
    const p = classProbabilities(rbm, v.subarray(0, 12), 1)
    const f = [0, 1, 2].map((y) => freeEnergy(rbm, withOneHotLabels(v.subarray(0, 12), [y], 1, 3), 1)[0]!)
    const z = f.reduce((a, x) => a + Math.exp(-x), 0)
    for (let y = 0; y < 3; y++) expect(p[y]!).toBeCloseTo(Math.exp(-f[y]!) / z, 12)
    const predicted = classify(rbm, v, 300)
    const correct = labels.filter((y, r) => predicted[r] === y).length
    expect(correct / 300).toBeGreaterThan(0.95)
  })

  it('Gaussian visible units on standardised data, learned σ: stays finite, σ within its clamp, error falls', () => {
    const rng = new Rng(9)
    const rows = 200
    const raw = new Float64Array(rows * 6)
    for (let r = 0; r < rows; r++) {
      const s = rng.next() < 0.5 ? 1 : -1
      for (let i = 0; i < 6; i++) raw[r * 6 + i] = 40 + 25 * (i < 3 ? s : -s) + 5 * rng.normal()
    }
    const { data, mean, std } = standardise(raw, rows, 6)
    expect(Math.abs(mean[0]! - 40)).toBeLessThan(5)
    expect(std[0]!).toBeGreaterThan(20)
    const rbm = initRbm({ visible: 6, hidden: 4, visibleUnits: 'gaussian', data: { values: data, rows } }, rng)
    const before = reconstructionError(rbm, data, rows)
    const state = createTrainState(rbm)
    const opts = { batchSize: 20, learningRate: 0.01, momentum: 0.5, sigma: { learn: true, minSigma: 0.2 } }
    for (let e = 0; e < 30; e++) trainEpoch(rbm, state, data, rows, opts, rng)
    const after = reconstructionError(rbm, data, rows)
    expect(after).toBeLessThan(before * 0.7)
    for (let i = 0; i < 6; i++) {
      expect(Math.exp(0.5 * rbm.logVariance![i]!)).toBeGreaterThanOrEqual(0.2 - 1e-12)
      expect(Math.exp(0.5 * rbm.logVariance![i]!)).toBeLessThanOrEqual(10 + 1e-9)
    }
  })

  it('Gaussian units refuse unstandardised data, and a blow-up throws RbmDivergedError naming the parameter', () => {
    const rng = new Rng(10)
    const raw = Float64Array.from({ length: 50 * 4 }, () => 1000 * rng.normal())
    const rbm = initRbm({ visible: 4, hidden: 3, visibleUnits: 'gaussian' }, rng)
    const state = createTrainState(rbm)
    expect(() => trainEpoch(rbm, state, raw, 50, { batchSize: 10, learningRate: 0.01 }, rng)).toThrow(/unit 0: .*standardise/)
    const { data } = standardise(raw, 50, 4)
    let error: unknown
    try {
      for (let e = 0; e < 50; e++) trainEpoch(rbm, state, data, 50, { batchSize: 10, learningRate: 1e200 }, rng)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(RbmDivergedError)
    expect((error as RbmDivergedError).parameter).toBe('weights')
    expect((error as Error).message).toMatch(/Lower the learning rate/)
  })

  it('rejects mismatched noise and sizes with clear errors', () => {
    const rbm = randomRbm(4, 3, 1)
    const rng = new Rng(1)
    const v = binaryRows(rng, 2, 4)
    const state = createTrainState(rbm)
    expect(() => cdStep(rbm, state, v, 2, { learningRate: 0.1, k: 2 }, drawCdNoise(rbm, 2, { k: 1 }, rng))).toThrow(/k=1/)
    expect(() => cdStep(rbm, state, v, 3, { learningRate: 0.1 }, drawCdNoise(rbm, 3, {}, rng))).toThrow(/expected 3×4/)
    expect(() => cdStep(rbm, state, v, 2, { learningRate: 0.1, persistent: true }, drawCdNoise(rbm, 2, {}, rng))).toThrow(/persistent chains/)
    expect(() => initRbm({ visible: 4, hidden: 3, labelUnits: 1 }, rng)).toThrow(/labelUnits/)
  })
})

describe('standardise / standardiseWith / destandardise', () => {
  it('uses population statistics, keeps a constant column finite (std 1: centred only), and inverts', () => {
    // Columns: 1, 2, 3, 4 (mean 2.5, population std √1.25) and a constant 7.
    const rows = [1, 7, 2, 7, 3, 7, 4, 7]
    const { data, mean, std } = standardise(rows, 4, 2)
    expect(Array.from(mean)).toEqual([2.5, 7])
    expect(std[0]).toBeCloseTo(Math.sqrt(1.25), 15)
    expect(std[1]).toBe(1)
    expect(data[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25), 15)
    expect(data[1]).toBe(0)
    // A new row that differs in the constant column moves by its raw difference (not by 0.5 / 1e-6), never NaN.
    const other = standardiseWith([2.5, 7.5], 1, 2, { mean, std })
    expect(Array.from(other)).toEqual([0, 0.5])
    expect(Array.from(destandardise(data, 4, 2, { mean, std }))).toEqual(rows.map((x) => expect.closeTo(x, 12)))
    expect(() => standardiseWith([1, 2, 3], 1, 3, { mean, std })).toThrow(/statistics for 2/)
  })
})
