import { describe, expect, it } from 'vitest'
import {
  boltzmannEnergy,
  boltzmannNet,
  checkBoltzmann,
  completeBoltzmann,
  conditionalExact,
  createBoltzmann,
  exactStatistics,
  gradientFromStatistics,
  logLikelihoodExact,
  sampledStatistics,
  trainBoltzmann,
  visibleDistributionExact,
  type BoltzmannMachine
} from '../../src/core/boltzmann'
import { Rng } from '../../src/core/rng'
import { boltzmannDistribution, stateFromIndex } from '../../src/core/stochastic'

function randomMachine(seed: number, visible: number, hidden: number, encoding: 'binary' | 'bipolar' = 'binary', scale = 1): BoltzmannMachine {
  const rng = new Rng(seed)
  const bm = createBoltzmann({ visible, hidden, encoding, rng, initScale: scale })
  for (let i = 0; i < visible + hidden; i++) bm.biases[i] = rng.normal() * 0.5 * scale
  return bm
}

/** Pairs i < j of an N×N matrix followed by the N biases, as one flat vector. */
function flatten(n: number, w: Float64Array, b: Float64Array): number[] {
  const out: number[] = []
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push(w[i * n + j]!)
  return out.concat([...b])
}

const data4 = [
  [1, 1, 0, 0],
  [0, 0, 1, 1],
  [1, 0, 1, 0]
]

describe('machine and energy', () => {
  it('E(s) = −Σ_{i<j} w_ij s_i s_j − Σ b_i s_i; the stochastic-net view has θ = −b', () => {
    const bm = randomMachine(1, 3, 2)
    const s = [1, 0, 1, 1, 0]
    let e = 0
    for (let i = 0; i < 5; i++) {
      e -= bm.biases[i]! * s[i]!
      for (let j = i + 1; j < 5; j++) e -= bm.weights[i * 5 + j]! * s[i]! * s[j]!
    }
    expect(boltzmannEnergy(bm, s)).toBeCloseTo(e, 12)
    expect([...boltzmannNet(bm).thresholds]).toEqual([...bm.biases].map((b) => -b))
  })

  it('checkBoltzmann rejects a non-zero diagonal and asymmetric weights', () => {
    const bm = randomMachine(2, 2, 1)
    bm.weights[4] = 0.5
    expect(() => checkBoltzmann(bm)).toThrow(/diagonal/)
    const bm2 = randomMachine(2, 2, 1)
    bm2.weights[1] = bm2.weights[1]! + 1
    expect(() => checkBoltzmann(bm2)).toThrow(/symmetric at \(0, 1\)/)
    expect(() => exactStatistics(randomMachine(3, 2, 1), [[1, 2]])).toThrow(/data pattern 0, unit 1/)
  })
})

describe('exact statistics', () => {
  it('the exact gradient is the derivative of the exact log-likelihood (central differences), T = 1 binary and T = 2 bipolar', () => {
    for (const [enc, temperature] of [
      ['binary', 1],
      ['bipolar', 2]
    ] as const) {
      const bm = randomMachine(7, 4, 2, enc)
      const data = data4.map((v) => v.map((x) => (enc === 'bipolar' ? 2 * x - 1 : x)))
      const n = 6
      const g = gradientFromStatistics(exactStatistics(bm, data, { temperature }))
      const analytic = flatten(n, g.weights, g.biases).map((x) => x / temperature)
      const h = 1e-5
      const numeric: number[] = []
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const f = (d: number): number => {
            const m = { ...bm, weights: Float64Array.from(bm.weights) }
            m.weights[i * n + j] = m.weights[i * n + j]! + d
            m.weights[j * n + i] = m.weights[j * n + i]! + d
            return logLikelihoodExact(m, data, { temperature })
          }
          numeric.push((f(h) - f(-h)) / (2 * h))
        }
      }
      for (let i = 0; i < n; i++) {
        const f = (d: number): number => {
          const m = { ...bm, biases: Float64Array.from(bm.biases) }
          m.biases[i] = m.biases[i]! + d
          return logLikelihoodExact(m, data, { temperature })
        }
        numeric.push((f(h) - f(-h)) / (2 * h))
      }
      numeric.forEach((x, k) => expect(analytic[k]).toBeCloseTo(x, 6))
    }
  })

  it('free-phase statistics equal the moments of boltzmannDistribution; L equals log of visibleDistributionExact', () => {
    const bm = randomMachine(9, 3, 2)
    const stats = exactStatistics(bm, data4.map((v) => v.slice(0, 3)))
    const dist = boltzmannDistribution(boltzmannNet(bm), { temperature: 1 })
    let m02 = 0
    dist.probabilities.forEach((p, k) => {
      const s = stateFromIndex(k, 5, 'binary')
      m02 += p * s[0]! * s[2]!
    })
    expect(stats.free.correlations[0 * 5 + 2]).toBeCloseTo(m02, 12)
    expect(stats.logZ).toBeCloseTo(dist.logZ, 12)
    const pv = visibleDistributionExact(bm)
    expect(pv.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    // v = (1,1,0) has index 3, (0,0,1) index 4, (1,0,1) index 5.
    expect(stats.logLikelihood).toBeCloseTo((Math.log(pv[3]!) + Math.log(pv[4]!) + Math.log(pv[5]!)) / 3, 12)
  })

  it('no hidden units: the clamped phase is the data moments', () => {
    const bm = randomMachine(4, 4, 0)
    const stats = exactStatistics(bm, data4)
    expect(stats.clamped.means[0]).toBeCloseTo(2 / 3, 14)
    expect(stats.clamped.correlations[0 * 4 + 2]).toBeCloseTo(1 / 3, 14)
    expect(stats.clamped.correlations[2 * 4 + 3]).toBeCloseTo(1 / 3, 14)
    expect(stats.clamped.correlations[0 * 4 + 3]).toBe(0)
  })
})

describe('sampled statistics', () => {
  const bm = randomMachine(31, 3, 2)
  const data = [
    [1, 1, 0],
    [0, 1, 1],
    [1, 0, 1]
  ]
  const exact = gradientFromStatistics(exactStatistics(bm, data))
  const exactFlat = flatten(5, exact.weights, exact.biases)
  const K = 1500
  const M = 4000
  // Each average is of values in [0, 1]: standard error ≤ ½/√samples. Samples are independent (a fresh chain
  // per sample, as in the seed), so the gradient's standard error is at most √(¼/(P·K) + ¼/M) ≈ 0.012.
  const se = Math.sqrt(0.25 / (data.length * K) + 0.25 / M)

  it('agree with the exact expectations within 4 standard errors (10 weights + 5 biases)', () => {
    const s = sampledStatistics(bm, data, { rng: new Rng(5), clampedSamples: K, freeSamples: M, equilibrationSweeps: 30 })
    expect(s.clamped.samples).toBe(data.length * K)
    expect(s.free.samples).toBe(M)
    const g = gradientFromStatistics(s)
    const flat = flatten(5, g.weights, g.biases)
    const maxErr = Math.max(...flat.map((x, k) => Math.abs(x - exactFlat[k]!)))
    // Measured: 1.5 SE.
    expect(maxErr).toBeLessThan(4 * se)
    // The gradient is not small (max 24 SE), so agreement within ±4 SE is a real check.
    expect(Math.max(...exactFlat.map(Math.abs))).toBeGreaterThan(10 * se)
  })

  it('with an annealing phase (5 → 1) and long chains (10 samples each, 3 sweeps apart) they still agree', () => {
    const s = sampledStatistics(bm, data, {
      rng: new Rng(6),
      clampedSamples: K,
      freeSamples: M,
      anneal: { kind: 'geometric', start: 5, end: 1, steps: 10 },
      equilibrationSweeps: 5,
      samplesPerChain: 10,
      sampleEvery: 3
    })
    const g = gradientFromStatistics(s)
    const flat = flatten(5, g.weights, g.biases)
    // Samples within a chain are correlated: allow 6 (independent-sample) standard errors.
    expect(Math.max(...flat.map((x, k) => Math.abs(x - exactFlat[k]!)))).toBeLessThan(6 * se)
  })

  it('without equilibration (samples are the random starts) they do not', () => {
    const s = sampledStatistics(bm, data, { rng: new Rng(7), clampedSamples: K, freeSamples: M, equilibrationSweeps: 0 })
    const g = gradientFromStatistics(s)
    const flat = flatten(5, g.weights, g.biases)
    expect(Math.max(...flat.map((x, k) => Math.abs(x - exactFlat[k]!)))).toBeGreaterThan(10 * se)
  })

  it('stops with Error("cancelled")', () => {
    let calls = 0
    expect(() => sampledStatistics(bm, data, { rng: new Rng(1), shouldCancel: () => ++calls > 3 })).toThrow('cancelled')
  })
})

describe('trainBoltzmann', () => {
  it('exact mode: the log-likelihood rises every epoch towards −log 3 (N_v = 4, N_h = 2, three patterns)', () => {
    const res = trainBoltzmann(data4, { hidden: 2, mode: 'exact', epochs: 300, eta: 0.5, rng: new Rng(42) })
    const ll = res.history.map((h) => h.logLikelihood!)
    expect(ll).toHaveLength(301)
    for (let e = 1; e < ll.length; e++) expect(ll[e]!).toBeGreaterThan(ll[e - 1]! - 1e-12)
    // Start near log(1/16) (small random weights); the optimum puts 1/3 on each pattern. Measured: −2.747 → −1.162.
    expect(ll[0]!).toBeLessThan(-2.6)
    expect(ll.at(-1)!).toBeGreaterThan(-1.25)
    expect(ll.at(-1)!).toBeLessThan(-Math.log(3))
    const pv = visibleDistributionExact(res.machine)
    // (1,1,0,0) → 3, (0,0,1,1) → 12, (1,0,1,0) → 5.
    expect(pv[3]! + pv[12]! + pv[5]!).toBeGreaterThan(0.85)
    checkBoltzmann(res.machine)
  })

  it('no hidden units, two visible: converges to the closed-form MLE (b₁ = log q₁₀/q₀₀, b₂ = log q₀₁/q₀₀, w = log q₁₁q₀₀/q₁₀q₀₁)', () => {
    const data = [[1, 1], [1, 1], [1, 1], [1, 0], [0, 1], [0, 0]]
    const res = trainBoltzmann(data, { hidden: 0, mode: 'exact', epochs: 3000, eta: 2 })
    // q₀₀ = q₁₀ = q₀₁ = 1/6, q₁₁ = 1/2
    expect(res.machine.biases[0]).toBeCloseTo(0, 4)
    expect(res.machine.biases[1]).toBeCloseTo(0, 4)
    expect(res.machine.weights[1]).toBeCloseTo(Math.log(3), 4)
    const pv = visibleDistributionExact(res.machine)
    expect([...pv].map((p) => +p.toFixed(5))).toEqual([0.16667, 0.16667, 0.16667, 0.5])
  })

  it('sampled mode (seeds/004 clamped and free simulations) also raises the exact log-likelihood', () => {
    const res = trainBoltzmann(data4, {
      hidden: 1,
      mode: 'sampled',
      epochs: 60,
      eta: 0.3,
      rng: new Rng(43),
      sampling: { clampedSamples: 20, freeSamples: 200, equilibrationSweeps: 10 }
    })
    const ll = res.history.map((h) => h.logLikelihood!)
    // Measured: −2.842 → −1.533.
    expect(ll.at(-1)! - ll[0]!).toBeGreaterThan(0.8)
  })

  it('validates its options and reports progress', () => {
    expect(() => trainBoltzmann(data4, { mode: 'exact', epochs: 1 })).toThrow(/hidden/)
    expect(() => trainBoltzmann(data4, { hidden: 1, mode: 'sampled', epochs: 1 })).toThrow(/rng/)
    expect(() => trainBoltzmann(data4, { hidden: 30, mode: 'exact', epochs: 1 })).toThrow(/maxUnits/)
    const seen: number[] = []
    trainBoltzmann(data4, { hidden: 1, mode: 'exact', epochs: 4, onProgress: (f) => seen.push(f) })
    expect(seen).toEqual([0.25, 0.5, 0.75, 1])
  })
})

describe('completeBoltzmann', () => {
  it('clamping the first half of a stored pattern recovers the rest; ȳ matches the exact conditional', () => {
    const stored = [
      [1, 1, 0, 0, 1, 0],
      [0, 1, 1, 1, 0, 0],
      [1, 0, 1, 0, 0, 1]
    ]
    const { machine } = trainBoltzmann(stored, { hidden: 2, mode: 'exact', epochs: 400, eta: 0.5, rng: new Rng(12) })
    const known = [true, true, true, false, false, false]
    const rng = new Rng(13)
    stored.forEach((p) => {
      const exact = conditionalExact(machine, p, known)
      const r = completeBoltzmann(machine, p, known, { schedule: { kind: 'constant', temperature: 1, steps: 2000 }, averageLast: 1500, rng })
      expect([...r.visible]).toEqual(p)
      for (let i = 3; i < 6; i++) {
        // The exact conditional is decisive (0.003 / 0.996 measured) and the chain's high-fraction matches it.
        expect(Math.abs(exact[i]! - p[i]!)).toBeLessThan(0.02)
        expect(Math.abs(r.meanActivation[i]! - exact[i]!)).toBeLessThan(0.02)
      }
    })
  })
})
