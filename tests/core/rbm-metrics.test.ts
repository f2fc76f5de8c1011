// RBM metrics: free energy and exact log Z against brute-force sums over (v, h), AIS against exact log Z,
// pseudo-likelihood against conditionals from the joint, reconstruction error and the free-energy gap.
import { describe, expect, it } from 'vitest'
import { cloneRbm, createTrainState, initRbm, trainEpoch, withOneHotLabels, type Rbm } from '../../src/core/rbm'
import {
  aisLogZ,
  aisSchedule,
  exactLogZ,
  exactPseudoLikelihood,
  freeEnergy,
  freeEnergyGap,
  logLikelihood,
  meanPseudoLikelihood,
  pseudoLikelihood,
  reconstructionError
} from '../../src/core/rbm-metrics'
import { Rng } from '../../src/core/rng'

function randomRbm(V: number, H: number, seed: number, scale: number, extra: Partial<Rbm> = {}): Rbm {
  const rng = new Rng(seed)
  const rbm = initRbm({ visible: V, hidden: H, weightScale: scale, ...extra }, rng)
  for (let i = 0; i < V; i++) rbm.visibleBias[i] = 0.5 * rng.normal()
  for (let j = 0; j < H; j++) rbm.hiddenBias[j] = 0.5 * rng.normal()
  return rbm
}

/** −E(v,h) for Bernoulli units, straight from the definition. */
function negEnergy(rbm: Rbm, v: ArrayLike<number>, h: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < rbm.visible; i++) s += rbm.visibleBias[i]! * v[i]!
  for (let j = 0; j < rbm.hidden; j++) s += rbm.hiddenBias[j]! * h[j]!
  for (let i = 0; i < rbm.visible; i++) for (let j = 0; j < rbm.hidden; j++) s += v[i]! * rbm.weights[i * rbm.hidden + j]! * h[j]!
  return s
}

function bits(code: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (code >>> i) & 1)
}

function lse(xs: number[]): number {
  const m = Math.max(...xs)
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0))
}

describe('free energy and exact log Z', () => {
  it('F(v) = −log Σ_h e^{−E(v,h)} and log Z = log Σ_{v,h} e^{−E} (V=10, H=6, brute force over 2^16)', () => {
    const rbm = randomRbm(10, 6, 1, 0.8)
    const all: number[] = []
    for (let cv = 0; cv < 1 << 10; cv++) {
      const v = bits(cv, 10)
      const terms: number[] = []
      for (let ch = 0; ch < 1 << 6; ch++) terms.push(negEnergy(rbm, v, bits(ch, 6)))
      if (cv % 97 === 0) expect(freeEnergy(rbm, v, 1)[0]!).toBeCloseTo(-lse(terms), 10)
      all.push(...terms)
    }
    const brute = lse(all)
    expect(exactLogZ(rbm)).toBeCloseTo(brute, 9) // enumerates h (H < V)
    // Transposed sizes make it enumerate v instead.
    const wide = randomRbm(5, 9, 2, 0.8)
    const allWide: number[] = []
    for (let cv = 0; cv < 1 << 5; cv++) for (let ch = 0; ch < 1 << 9; ch++) allWide.push(negEnergy(wide, bits(cv, 5), bits(ch, 9)))
    expect(exactLogZ(wide)).toBeCloseTo(lse(allWide), 9)
  })

  it('label units: Z sums over one-hot label states only (both enumeration directions agree)', () => {
    const rbm = randomRbm(7, 4, 3, 0.8, { labelUnits: 3 })
    const terms: number[] = []
    for (let cv = 0; cv < 16; cv++) {
      for (let y = 0; y < 3; y++) {
        const v = withOneHotLabels(bits(cv, 4), [y], 1, 3)
        for (let ch = 0; ch < 16; ch++) terms.push(negEnergy(rbm, v, bits(ch, 4)))
      }
    }
    expect(exactLogZ(rbm)).toBeCloseTo(lse(terms), 10)
    const wide = randomRbm(7, 12, 4, 0.8, { labelUnits: 3 }) // enumerates the 16×3 visible states
    const t2: number[] = []
    for (let cv = 0; cv < 16; cv++) {
      for (let y = 0; y < 3; y++) t2.push(-freeEnergy(wide, withOneHotLabels(bits(cv, 4), [y], 1, 3), 1)[0]!)
    }
    expect(exactLogZ(wide)).toBeCloseTo(lse(t2), 10)
  })

  it('Gaussian visible units: Z matches numerical integration over v (V=1, H=2)', () => {
    const rbm = randomRbm(1, 2, 5, 0.8, { visibleUnits: 'gaussian' })
    rbm.logVariance = Float64Array.from([Math.log(0.7)])
    const s2 = 0.7
    let z = 0
    const dv = 1e-3
    for (let v = -30; v <= 30; v += dv) {
      for (let ch = 0; ch < 4; ch++) {
        const h = bits(ch, 2)
        let e = ((v - rbm.visibleBias[0]!) ** 2) / (2 * s2)
        for (let j = 0; j < 2; j++) e -= rbm.hiddenBias[j]! * h[j]! + (v / s2) * rbm.weights[j]! * h[j]!
        z += Math.exp(-e) * dv
      }
    }
    expect(exactLogZ(rbm)).toBeCloseTo(Math.log(z), 6)
    // And p(v) integrates to 1 with the closed-form free energy.
    const logZ = exactLogZ(rbm)
    let total = 0
    for (let v = -30; v <= 30; v += dv) total += Math.exp(-freeEnergy(rbm, [v], 1)[0]! - logZ) * dv
    expect(total).toBeCloseTo(1, 6)
  })

  it('refuses enumerations beyond maxBits', () => {
    expect(() => exactLogZ(randomRbm(30, 30, 1, 0.1))).toThrow(/aisLogZ/)
  })
})

describe('AIS estimate of log Z (Salakhutdinov & Murray 2008)', () => {
  it('matches exact log Z for random and trained RBMs (V=10/16, H=6/8)', () => {
    const random = randomRbm(10, 6, 7, 1)
    const exactR = exactLogZ(random)
    const aisR = aisLogZ(random, new Rng(1), { runs: 100, betas: aisSchedule(1000) })
    expect(Math.abs(aisR.logZ - exactR)).toBeLessThan(0.1)
    expect(aisR.logZLow).toBeLessThanOrEqual(exactR + 0.05)
    expect(aisR.logZHigh).toBeGreaterThanOrEqual(exactR - 0.05)

    // A trained model is more peaked: the base-rate model (data log-odds) keeps AIS accurate.
    const rng = new Rng(2)
    const rows = 200
    const protos = [bits(0b1111000011110000, 16), bits(0b0000111100001111, 16), bits(0b1010101010101010, 16)]
    const data = new Float64Array(rows * 16)
    for (let r = 0; r < rows; r++) {
      const p = protos[rng.int(3)]!
      for (let i = 0; i < 16; i++) data[r * 16 + i] = rng.next() < 0.05 ? 1 - p[i]! : p[i]!
    }
    const rbm = initRbm({ visible: 16, hidden: 8, data: { values: data, rows } }, rng)
    const state = createTrainState(rbm)
    for (let e = 0; e < 20; e++) trainEpoch(rbm, state, data, rows, { batchSize: 20, learningRate: 0.1, momentum: 0.5 }, rng)
    const baseVisibleBias = initRbm({ visible: 16, hidden: 1, data: { values: data, rows } }, rng).visibleBias
    const exact = exactLogZ(rbm)
    const ais = aisLogZ(rbm, new Rng(3), { runs: 100, betas: aisSchedule(1000), baseVisibleBias })
    expect(Math.abs(ais.logZ - exact)).toBeLessThan(0.2)
    expect(ais.effectiveSampleSize).toBeGreaterThan(5)
    // The log-likelihood built from it is then close to the exact one.
    expect(logLikelihood(rbm, data, rows, ais.logZ)).toBeCloseTo(logLikelihood(rbm, data, rows, exact), 0)
  })

  it('is exact when W = 0 and the base model equals the target', () => {
    const rbm = randomRbm(6, 3, 3, 0)
    rbm.hiddenBias.fill(0)
    const ais = aisLogZ(rbm, new Rng(4), { runs: 5, betas: aisSchedule(20), baseVisibleBias: rbm.visibleBias })
    expect(ais.logZ).toBeCloseTo(exactLogZ(rbm), 12)
  })

  it('refuses Gaussian units and label units', () => {
    expect(() => aisLogZ(randomRbm(4, 3, 1, 0.1, { visibleUnits: 'gaussian' }), new Rng(1))).toThrow(/Bernoulli/)
    expect(() => aisLogZ(randomRbm(5, 3, 1, 0.1, { labelUnits: 2 }), new Rng(1))).toThrow(/label/)
  })
})

describe('pseudo-likelihood', () => {
  it('exact PL = Σ_i log p(v_i|v_−i) from the joint; the stochastic one averages to it; seeded', () => {
    const rbm = randomRbm(8, 5, 11, 1)
    const rng = new Rng(5)
    const rows = 3
    const v = Float64Array.from({ length: rows * 8 }, () => (rng.next() < 0.5 ? 1 : 0))
    const exact = exactPseudoLikelihood(rbm, v, rows)
    for (let r = 0; r < rows; r++) {
      const row = v.subarray(r * 8, (r + 1) * 8)
      let s = 0
      for (let i = 0; i < 8; i++) {
        const flipped = row.slice()
        flipped[i] = 1 - flipped[i]!
        const f = freeEnergy(rbm, row, 1)[0]!
        const ff = freeEnergy(rbm, flipped, 1)[0]!
        s += -f - Math.log(Math.exp(-f) + Math.exp(-ff))
      }
      expect(exact[r]!).toBeCloseTo(s, 10)
    }
    const draws = 4000
    const acc = new Float64Array(rows)
    const r2 = new Rng(6)
    for (let t = 0; t < draws; t++) pseudoLikelihood(rbm, v, rows, r2).forEach((x, r) => (acc[r]! += x / draws))
    for (let r = 0; r < rows; r++) expect(Math.abs(acc[r]! - exact[r]!)).toBeLessThan(0.05 * Math.abs(exact[r]!) + 0.05)
    expect(meanPseudoLikelihood(rbm, v, rows, new Rng(9))).toBe(meanPseudoLikelihood(rbm, v, rows, new Rng(9)))
  })

  it('rejects non-binary data and Gaussian units', () => {
    const rbm = randomRbm(3, 2, 1, 0.1)
    expect(() => pseudoLikelihood(rbm, [0, 0.5, 1], 1, new Rng(1))).toThrow(/row 0, unit 1/)
    expect(() => exactPseudoLikelihood(randomRbm(3, 2, 1, 0.1, { visibleUnits: 'gaussian' }), [0, 1, 1], 1)).toThrow(/Bernoulli/)
  })
})

describe('training diagnostics', () => {
  it('reconstruction error falls and the free-energy gap opens when a big model memorises a few rows', () => {
    const rng = new Rng(8)
    const V = 20
    const train = Float64Array.from({ length: 8 * V }, () => (rng.next() < 0.5 ? 1 : 0))
    const held = Float64Array.from({ length: 50 * V }, () => (rng.next() < 0.5 ? 1 : 0))
    const rbm = initRbm({ visible: V, hidden: 30 }, rng)
    const start = cloneRbm(rbm)
    const state = createTrainState(rbm)
    for (let e = 0; e < 300; e++) trainEpoch(rbm, state, train, 8, { batchSize: 8, learningRate: 0.1, momentum: 0.5 }, rng)
    expect(reconstructionError(rbm, train, 8)).toBeLessThan(0.5 * reconstructionError(start, train, 8))
    const gap0 = freeEnergyGap(start, train, 8, held, 50).gap
    const gap = freeEnergyGap(rbm, train, 8, held, 50)
    expect(Math.abs(gap0)).toBeLessThan(0.5)
    expect(gap.gap).toBeGreaterThan(5)
    expect(gap.heldOut - gap.train).toBe(gap.gap)
  })
})
