import { describe, expect, it } from 'vitest'
import { runHopfield } from '../../src/core/dynamics'
import { energy, type HopfieldNet } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'
import {
  boltzmannDistribution,
  energyGap,
  gibbsSweep,
  groundStates,
  sigmoid,
  stateEnergy,
  stateFromIndex,
  stateIndex,
  unitProbability,
  type StochasticNet
} from '../../src/core/stochastic'

function randomNet(rng: Rng, n: number, encoding: 'bipolar' | 'binary', opts: { diagonal?: boolean; scale?: number } = {}): StochasticNet {
  const scale = opts.scale ?? 1
  const weights = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      if (i === j && !opts.diagonal) continue
      const w = rng.normal() * scale
      weights[i * n + j] = w
      weights[j * n + i] = w
    }
  }
  const thresholds = Float64Array.from({ length: n }, () => rng.normal() * 0.5 * scale)
  return { units: n, weights, thresholds, encoding }
}

function randomState(rng: Rng, n: number, encoding: 'bipolar' | 'binary'): Int8Array {
  return Int8Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : encoding === 'bipolar' ? -1 : 0))
}

describe('sigmoid', () => {
  it('is the logistic, stable at large |x|', () => {
    expect(sigmoid(0)).toBe(0.5)
    expect(sigmoid(2)).toBeCloseTo(1 / (1 + Math.exp(-2)), 15)
    expect(sigmoid(-2)).toBeCloseTo(1 / (1 + Math.exp(2)), 15)
    expect(sigmoid(-800)).toBe(0)
    expect(sigmoid(800)).toBe(1)
    expect(sigmoid(-40)).toBeGreaterThan(0)
  })
})

describe('energy gap and the conditional probability', () => {
  it('Δ_i = E(s_i low) − E(s_i high) for both encodings, with diagonal, thresholds and external input', () => {
    const rng = new Rng(11)
    for (const enc of ['binary', 'bipolar'] as const) {
      const net = randomNet(rng, 6, enc, { diagonal: true })
      const x = Float64Array.from({ length: 6 }, () => rng.normal())
      for (let t = 0; t < 20; t++) {
        const s = randomState(rng, 6, enc)
        for (let i = 0; i < 6; i++) {
          const hi = Int8Array.from(s)
          hi[i] = 1
          const lo = Int8Array.from(s)
          lo[i] = enc === 'bipolar' ? -1 : 0
          expect(energyGap(net, s, i, x)).toBeCloseTo(stateEnergy(net, lo, x) - stateEnergy(net, hi, x), 10)
        }
      }
    }
  })

  it('stateEnergy equals hopfield.energy on a Float32 HopfieldNet', () => {
    const rng = new Rng(3)
    const r = randomNet(rng, 5, 'bipolar', { diagonal: true })
    const net: HopfieldNet = { units: 5, weights: Float32Array.from(r.weights), thresholds: Float32Array.from(r.thresholds), encoding: 'bipolar' }
    const x = [0.5, -1, 0, 2, 0.25]
    for (let t = 0; t < 10; t++) {
      const s = randomState(rng, 5, 'bipolar')
      expect(stateEnergy(net, s, x)).toBeCloseTo(energy(net, s, x), 5)
    }
  })

  it('binary units: P(s_i = 1) = σ(z_i/T) with the seed\'s z_i = Σ_j w_ji s_j + b_i; bipolar units: σ(2 z_i/T)', () => {
    // w_01 = 2, w_02 = −1, b_0 = 0.5 (θ_0 = −0.5); the others' values s_1 = 1, s_2 = high.
    const w = Float64Array.from([0, 2, -1, 2, 0, 0, -1, 0, 0])
    const th = Float64Array.from([-0.5, 0, 0])
    const bin: StochasticNet = { units: 3, weights: w, thresholds: th, encoding: 'binary' }
    const bip: StochasticNet = { units: 3, weights: w, thresholds: th, encoding: 'bipolar' }
    // binary: z_0 = 2·1 − 1·1 + 0.5 = 1.5
    expect(unitProbability(bin, [0, 1, 1], 0, 1)).toBeCloseTo(1 / (1 + Math.exp(-1.5)), 14)
    expect(unitProbability(bin, [0, 1, 1], 0, 2)).toBeCloseTo(1 / (1 + Math.exp(-0.75)), 14)
    // bipolar, s = (·, 1, −1): z_0 = 2 + 1 + 0.5 = 3.5, P(+1) = σ(7/T)
    expect(unitProbability(bip, [-1, 1, -1], 0, 1)).toBeCloseTo(sigmoid(7), 14)
    expect(unitProbability(bip, [1, 1, -1], 0, 2)).toBeCloseTo(sigmoid(3.5), 14)
    // T = 0: the deterministic step; T → ∞: 0.5.
    expect(unitProbability(bin, [0, 1, 1], 0, 0)).toBe(1)
    expect(unitProbability(bin, [0, 0, 1], 0, 0)).toBe(0)
    expect(unitProbability(bin, [0, 1, 1], 0, 1e9)).toBeCloseTo(0.5, 8)
    expect(() => unitProbability(bin, [0, 1, 1], 0, -1)).toThrow(/temperature/)
  })
})

describe('gibbsSweep', () => {
  it('at T = 0 is one deterministic Hopfield sweep (dynamics.runHopfield, same order, tie keeps)', () => {
    const rng = new Rng(21)
    for (const enc of ['binary', 'bipolar'] as const) {
      for (let t = 0; t < 10; t++) {
        const r = randomNet(rng, 8, enc)
        const net: HopfieldNet = { units: 8, weights: Float32Array.from(r.weights), thresholds: Float32Array.from(r.thresholds), encoding: enc }
        const cue = randomState(rng, 8, enc)
        const order = Array.from(rng.permutation(8))
        const ref = runHopfield(net, cue, { mode: 'async', order, maxSteps: 1 })
        const s = Int8Array.from(cue)
        const res = gibbsSweep(net, s, { temperature: 0, order, rng })
        expect([...s]).toEqual([...ref.final])
        expect(res.energyChange).toBeCloseTo(stateEnergy(net, s) - stateEnergy(net, cue), 4)
      }
    }
  })

  it('unit i goes high iff its uniform u_i < σ(Δ_i/T) (noise array, sequential order)', () => {
    // Two binary units, w_01 = 1, θ = 0: from (0, 1), unit 0 has Δ = 1, p = σ(1/2) at T = 2.
    const net: StochasticNet = { units: 2, weights: Float64Array.from([0, 1, 1, 0]), thresholds: new Float64Array(2), encoding: 'binary' }
    const p0 = sigmoid(0.5)
    const a = Int8Array.from([0, 1])
    gibbsSweep(net, a, { temperature: 2, order: 'sequential', noise: [p0 - 1e-9, 0.999] })
    // unit 0 → 1; then unit 1 sees Δ = 1 again and u = 0.999 > σ(0.5): low.
    expect([...a]).toEqual([1, 0])
    const b = Int8Array.from([0, 1])
    gibbsSweep(net, b, { temperature: 2, order: 'sequential', noise: [p0 + 1e-9, 0] })
    expect([...b]).toEqual([0, 1])
  })

  it('never changes clamped units, and consumes one uniform per unit either way', () => {
    const rng = new Rng(5)
    const net = randomNet(rng, 6, 'binary')
    const s = randomState(rng, 6, 'binary')
    const keep = Int8Array.from(s)
    const clamped = [true, false, true, false, false, true]
    const r1 = new Rng(9)
    const r2 = new Rng(9)
    for (let t = 0; t < 50; t++) gibbsSweep(net, s, { temperature: 5, order: 'sequential', rng: r1, clamped })
    for (const i of [0, 2, 5]) expect(s[i]).toBe(keep[i])
    for (let t = 0; t < 50 * 6; t++) r2.next()
    expect(r1.getState()).toEqual(r2.getState())
  })

  it('rejects random order with a noise array, bad states and short noise', () => {
    const net = randomNet(new Rng(1), 3, 'binary')
    expect(() => gibbsSweep(net, Int8Array.from([0, 1, 0]), { temperature: 1, noise: [0.1, 0.2, 0.3] })).toThrow(/random/)
    expect(() => gibbsSweep(net, Int8Array.from([0, 1, 0]), { temperature: 1, order: 'sequential', noise: [0.1, 0.2] })).toThrow(/needs 3/)
    expect(() => gibbsSweep(net, Int8Array.from([0, 1, 0]), { temperature: 1, order: 'sequential', noise: [0.1, 1, 0.2] })).toThrow(/noise\[1\]/)
    expect(() => gibbsSweep(net, Int8Array.from([0, -1, 0]), { temperature: 1, rng: new Rng(1) })).toThrow(/unit 1/)
    expect(() => gibbsSweep(net, Int8Array.from([0, 1, 0]), { temperature: 1 })).toThrow(/rng/)
  })
})

describe('exact enumeration helpers', () => {
  it('stateIndex / stateFromIndex round-trip; unit 0 is the low bit', () => {
    expect([...stateFromIndex(5, 4, 'bipolar')]).toEqual([1, -1, 1, -1])
    expect([...stateFromIndex(6, 3, 'binary')]).toEqual([0, 1, 1])
    for (let k = 0; k < 32; k++) expect(stateIndex(stateFromIndex(k, 5, 'binary'))).toBe(k)
  })

  it('boltzmannDistribution sums to 1; one unit with bias b has P(1) = σ(b/T)', () => {
    const one: StochasticNet = { units: 1, weights: new Float64Array(1), thresholds: Float64Array.from([-1.3]), encoding: 'binary' }
    expect(boltzmannDistribution(one, { temperature: 2 }).probabilities[1]).toBeCloseTo(sigmoid(0.65), 14)
    const net = randomNet(new Rng(2), 7, 'bipolar')
    const d = boltzmannDistribution(net, { temperature: 1.5 })
    expect(d.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    expect(() => boltzmannDistribution(net, { temperature: 0 })).toThrow(/temperature/)
    expect(() => boltzmannDistribution(net, { temperature: 1, maxUnits: 6 })).toThrow(/maxUnits/)
  })

  it('groundStates: a ferromagnet has the two aligned states', () => {
    const n = 4
    const w = new Float64Array(n * n).fill(1)
    for (let i = 0; i < n; i++) w[i * n + i] = 0
    const g = groundStates({ units: n, weights: w, thresholds: new Float64Array(n), encoding: 'bipolar' })
    expect(g.energy).toBe(-6)
    expect(g.states.map((s) => [...s])).toEqual([
      [-1, -1, -1, -1],
      [1, 1, 1, 1]
    ])
  })
})

describe('stationary distribution of Gibbs sampling = exp(−E/T)/Z', () => {
  const cases = [
    { enc: 'binary' as const, temperature: 1, order: 'random' as const },
    { enc: 'binary' as const, temperature: 2, order: 'sequential' as const },
    { enc: 'bipolar' as const, temperature: 1, order: 'sequential' as const },
    { enc: 'bipolar' as const, temperature: 2, order: 'random' as const }
  ]
  for (const c of cases) {
    it(`${c.enc}, T = ${c.temperature}, ${c.order} order: one long chain, max |p̂ − p| < 0.01`, () => {
      const rng = new Rng(1000 + c.temperature)
      const net = randomNet(rng, 4, c.enc, { scale: c.enc === 'bipolar' ? 0.5 : 1 })
      const exact = boltzmannDistribution(net, { temperature: c.temperature })
      const s = randomState(rng, 4, c.enc)
      const counts = new Float64Array(16)
      const burn = 100
      const sweeps = 40000
      for (let t = 0; t < burn + sweeps; t++) {
        gibbsSweep(net, s, { temperature: c.temperature, order: c.order, rng })
        if (t >= burn) counts[stateIndex(s)]!++
      }
      let maxErr = 0
      for (let k = 0; k < 16; k++) maxErr = Math.max(maxErr, Math.abs(counts[k]! / sweeps - exact.probabilities[k]!))
      expect(maxErr).toBeLessThan(0.01)
      // The distribution is not close to uniform, so matching it says something.
      expect(Math.max(...exact.probabilities) - Math.min(...exact.probabilities)).toBeGreaterThan(0.1)
    })
  }

  it('independent chains pass a chi-square test (15 d.o.f., 0.1% critical value 37.7) at T = 1 and T = 2', () => {
    for (const temperature of [1, 2]) {
      const rng = new Rng(77 + temperature)
      const net = randomNet(rng, 4, 'binary')
      const exact = boltzmannDistribution(net, { temperature })
      const chains = 3000
      const counts = new Float64Array(16)
      for (let c = 0; c < chains; c++) {
        const s = randomState(rng, 4, 'binary')
        for (let t = 0; t < 25; t++) gibbsSweep(net, s, { temperature, rng })
        counts[stateIndex(s)]!++
      }
      let chi2 = 0
      for (let k = 0; k < 16; k++) chi2 += (counts[k]! - chains * exact.probabilities[k]!) ** 2 / (chains * exact.probabilities[k]!)
      expect(chi2).toBeLessThan(37.7)
    }
  })

  it("bipolar σ(z/T) without the factor 2 would sample exp(−E/2T): the chain at T matches Boltzmann at T, not at 2T", () => {
    const rng = new Rng(4242)
    const net = randomNet(rng, 4, 'bipolar', { scale: 0.7 })
    const atT = boltzmannDistribution(net, { temperature: 1 }).probabilities
    const at2T = boltzmannDistribution(net, { temperature: 2 }).probabilities
    const s = randomState(rng, 4, 'bipolar')
    const counts = new Float64Array(16)
    const sweeps = 20000
    for (let t = 0; t < sweeps; t++) {
      gibbsSweep(net, s, { temperature: 1, rng })
      counts[stateIndex(s)]!++
    }
    const tv = (p: Float64Array): number => 0.5 * p.reduce((a, pk, k) => a + Math.abs(counts[k]! / sweeps - pk), 0)
    expect(tv(atT)).toBeLessThan(0.02)
    expect(tv(at2T)).toBeGreaterThan(0.1)
  })
})
