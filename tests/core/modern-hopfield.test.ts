// Modern Hopfield core against closed forms (one stored pattern: E = ½‖ξ − x‖²; lse of hand values; Δ_i of hand
// patterns), the paper's theorems (energy non-increasing and in [0, 2M²]; retrieval error below the bound of its
// 'exponentially small retrieval error' theorem for well-separated patterns; the fixed point inside the sphere S_i) and the fixed-point kinds where theory puts them.
import { describe, expect, it } from 'vitest'
import {
  betaSweep,
  classifyFixedPoint,
  distance,
  energy,
  largestNorm,
  logSumExp,
  lse,
  modernHopfield,
  retrievalErrorBound,
  retrievalErrorBoundNear,
  retrievalWeights,
  retrieve,
  separations,
  softmax,
  sphereRadius,
  update,
  wellSeparatedThreshold
} from '../../src/core/modern-hopfield'
import { Rng } from '../../src/core/rng'

function gaussianPatterns(rng: Rng, count: number, dim: number, scale = 1): number[][] {
  return Array.from({ length: count }, () => Array.from({ length: dim }, () => scale * rng.normal()))
}

describe('softmax and lse', () => {
  it('lse(β, z) = β⁻¹ ln Σ exp(β z) on hand values, and stays finite where exp overflows', () => {
    expect(lse(1, [0, Math.log(3)])).toBeCloseTo(Math.log(4), 14)
    expect(lse(2, [0, 0, 0])).toBeCloseTo(Math.log(3) / 2, 14)
    // β z = 1e5: naive exp is Infinity; lse → max z plus β⁻¹ ln 2 for two equal maxima.
    expect(lse(1000, [100, 100, -5])).toBeCloseTo(100 + Math.log(2) / 1000, 12)
    expect(logSumExp([-1e6, -1e6])).toBeCloseTo(-1e6 + Math.log(2), 8)
    const p = softmax([1000, 999, -3], 7)
    expect(p.every(Number.isFinite)).toBe(true)
    expect(p[0]! / p[1]!).toBeCloseTo(Math.exp(7), 6)
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 15)
  })

  it('rejects bad hyper-parameters with the field named', () => {
    expect(() => modernHopfield([[1, 2]], 0)).toThrow(/beta/)
    expect(() => modernHopfield([[1, 2]], -1)).toThrow(/beta/)
    expect(() => modernHopfield([[1, 2]], Number.NaN)).toThrow(/beta/)
    expect(() => modernHopfield([[1, 2], [3]], 1)).toThrow(/pattern 1/)
    expect(() => modernHopfield([[1, Number.NaN]], 1)).toThrow(/pattern 0, component 1/)
    const mem = modernHopfield([[1, 2]], 1)
    expect(() => retrieve(mem, [1, 2], { epsilon: -1 })).toThrow(/epsilon/)
    expect(() => retrieve(mem, [1, 2], { maxSteps: 0 })).toThrow(/maxSteps/)
    expect(() => retrieve(mem, [1, 2, 3])).toThrow(/cue has length 3/)
    expect(() => classifyFixedPoint(mem, [1, 2], { massTolerance: 1 })).toThrow(/massTolerance/)
    expect(() => classifyFixedPoint(mem, [1, 2], { globalShare: 0 })).toThrow(/globalShare/)
    expect(() => wellSeparatedThreshold(0, 3, 1)).toThrow(/beta/)
    expect(() => betaSweep(mem, { betas: [1, 0], cues: [[1, 2]], targets: [0] })).toThrow(/betas\[1\]/)
  })
})

describe('energy', () => {
  it('one stored pattern: E(ξ) = ½‖ξ − x‖² for every β, and one update lands on x', () => {
    const x = [0.5, -1.25, 2, 0.75, -0.1]
    const xi = [1, 1, -1, 0.3, 0.2]
    for (const beta of [0.01, 1, 37]) {
      const mem = modernHopfield([x], beta)
      const half = 0.5 * distance(xi, x) ** 2
      expect(energy(mem, xi)).toBeCloseTo(half, 12)
      expect(Array.from(update(mem, xi).state)).toEqual(x)
    }
  })

  it('never increases along updates and stays in [0, 2M²] (300 seeded trials)', () => {
    const rng = new Rng(1010)
    let checked = 0
    for (let trial = 0; trial < 300; trial++) {
      const count = [3, 13, 37][trial % 3]!
      const dim = [5, 11, 29][(trial >> 2) % 3]!
      const beta = [0.05, 0.7, 3, 19][trial % 4]!
      const mem = modernHopfield(gaussianPatterns(rng, count, dim, 0.5 + (trial % 5) * 0.4), beta)
      const cue = Array.from({ length: dim }, () => 2 * rng.normal())
      const r = retrieve(mem, cue, { epsilon: 1e-10, maxSteps: 40 })
      const m2 = largestNorm(mem) ** 2
      const tol = 1e-12 * (1 + m2 + r.energies[0]!)
      for (let t = 1; t < r.energies.length; t++) {
        expect(r.energies[t]!).toBeLessThanOrEqual(r.energies[t - 1]! + tol)
        checked++
      }
      // after one update ξ lies in the convex hull of the patterns, where the paper proves 0 ≤ E ≤ 2M².
      for (let t = 1; t < r.energies.length; t++) {
        expect(r.energies[t]!).toBeGreaterThanOrEqual(-tol)
        expect(r.energies[t]!).toBeLessThanOrEqual(2 * m2 + tol)
      }
    }
    expect(checked).toBeGreaterThan(1000)
  })
})

describe('separation and retrieval error (one-update retrieval and retrieval-error theorems)', () => {
  it('Δ_i on hand patterns', () => {
    // x1·x1 = 9, x1·x2 = 0, x1·x3 = 3; x2·x2 = 4, x2·x3 = 2; x3·x3 = 3.
    const mem = modernHopfield([[3, 0, 0], [0, 2, 0], [1, 1, 1]], 1)
    expect(Array.from(separations(mem))).toEqual([9 - 3, 4 - 2, 3 - 3])
    expect(largestNorm(mem)).toBe(3)
    // the bound with ξ = x_1 exactly: 2(N−1) exp(−βΔ_1) M = 2·2·e^−6·3.
    expect(retrievalErrorBound(mem, 0, [3, 0, 0])).toBeCloseTo(12 * Math.exp(-6), 15)
    expect(retrievalErrorBoundNear(mem, 1)).toBeCloseTo(2 * Math.E * 2 * 3 * Math.exp(-2), 14)
    expect(wellSeparatedThreshold(2, 3, 3)).toBeCloseTo(2 / 6 + Math.log(2 * 2 * 3 * 2 * 9) / 2, 14)
  })

  it('for well-separated patterns the one-step error is below the bound, and the fixed point is in S_i', () => {
    const rng = new Rng(77)
    let compared = 0
    let positive = 0 // errors that did not round to 0 (then the comparison is not vacuous)
    for (let trial = 0; trial < 12; trial++) {
      const count = 9 + trial // 9..20 patterns
      const dim = 41
      const patterns = gaussianPatterns(rng, count, dim, 1 / Math.sqrt(dim)) // norms near 1, dot products ~ 1/√d
      const probe = modernHopfield(patterns, 1)
      const m = largestNorm(probe)
      const deltaMin = Math.min(...separations(probe))
      expect(deltaMin).toBeGreaterThan(0.1)
      // the smallest β (searched on a grid) at which every pattern passes the well-separation condition.
      let beta = 1
      while (deltaMin < wellSeparatedThreshold(beta, count, m)) beta *= 1.25
      const mem = modernHopfield(patterns, beta)
      for (let i = 0; i < count; i++) {
        const x = patterns[i]!
        const star = retrieve(mem, x, { epsilon: 1e-14, maxSteps: 200 })
        expect(star.converged).toBe(true)
        expect(distance(star.state, x)).toBeLessThanOrEqual(sphereRadius(mem))
        // cues: x_i moved by r = 1/(2βM) in a random direction (the near form applies) and by 2r.
        for (const r of [1 / (2 * beta * m), 1 / (beta * m)]) {
          const dir = Array.from({ length: dim }, () => rng.normal())
          const norm = Math.hypot(...dir)
          const cue = x.map((v, k) => v + (r * dir[k]!) / norm)
          const err = distance(update(mem, cue).state, x)
          const bound = retrievalErrorBound(mem, i, cue, star.state)
          if (err > 0) positive++
          expect(err).toBeLessThanOrEqual(bound)
          expect(err).toBeLessThanOrEqual(retrievalErrorBound(mem, i, cue))
          if (r <= 1 / (2 * beta * m)) expect(err).toBeLessThanOrEqual(retrievalErrorBoundNear(mem, i))
          compared++
        }
        // the fixed point's own error (ξ = x_i*) is within the bound too.
        expect(distance(star.state, x)).toBeLessThanOrEqual(retrievalErrorBound(mem, i, star.state, star.state))
      }
    }
    expect(compared).toBeGreaterThan(300)
    expect(positive).toBeGreaterThan(compared / 2)
  })
})

describe('fixed points', () => {
  const rng = new Rng(4242)
  const patterns = gaussianPatterns(rng, 23, 17, 1 / Math.sqrt(17))
  const mean = Array.from({ length: 17 }, (_, k) => patterns.reduce((s, p) => s + p[k]!, 0) / 23)

  it('small β: the global average, near the mean of all patterns, from any cue', () => {
    const mem = modernHopfield(patterns, 0.01)
    for (let c = 0; c < 10; c++) {
      const r = retrieve(mem, Array.from({ length: 17 }, () => 3 * rng.normal()), { epsilon: 1e-12, maxSteps: 50 })
      expect(r.converged).toBe(true)
      const cls = classifyFixedPoint(mem, r.state)
      expect(cls.kind).toBe('global')
      expect(cls.effectiveCount).toBeGreaterThan(22.9)
      // ξ* − x̄ = X(p − 1/N) and p − 1/N = O(β·M²): tiny at β = 0.01.
      expect(distance(r.state, mean)).toBeLessThan(1e-2)
    }
  })

  it('large β and separated patterns: single-pattern fixed points at each pattern', () => {
    const mem = modernHopfield(patterns, 60)
    for (let i = 0; i < 23; i++) {
      const cue = patterns[i]!.map((v) => v + 0.02 * rng.normal())
      const r = retrieve(mem, cue, { epsilon: 1e-12, maxSteps: 50 })
      const cls = classifyFixedPoint(mem, r.state)
      expect(cls.kind).toBe('single')
      expect(cls.patterns).toEqual([i])
      expect(distance(r.state, patterns[i]!)).toBeLessThan(1e-3)
      expect(distance(r.state, patterns[i]!)).toBeLessThanOrEqual(retrievalErrorBound(mem, i, r.state, r.state))
    }
  })

  it('a tight cluster of similar patterns: a metastable state averaging over the cluster only', () => {
    // three patterns within 0.05 of a common centre, six others far away; β large enough to shut the far ones out
    // but too small to tell the cluster apart.
    const dim = 15
    const centre = Array.from({ length: dim }, () => rng.normal() / Math.sqrt(dim))
    const cluster = [0, 1, 2].map(() => centre.map((v) => v + (0.05 / Math.sqrt(dim)) * rng.normal()))
    const others = gaussianPatterns(rng, 6, dim, 1 / Math.sqrt(dim))
    const mem = modernHopfield([...others.slice(0, 3), ...cluster, ...others.slice(3)], 20)
    const r = retrieve(mem, cluster[1]!, { epsilon: 1e-12, maxSteps: 200 })
    const cls = classifyFixedPoint(mem, r.state)
    expect(cls.kind).toBe('metastable')
    expect([...cls.patterns].sort()).toEqual([3, 4, 5])
    const w = retrievalWeights(mem, r.state)
    expect(w[3]! + w[4]! + w[5]!).toBeGreaterThan(0.99)
  })

  it('β sweep: global → single as β grows; one-step retrieval at large β', () => {
    const cues = patterns.slice(0, 8).map((p) => p.map((v) => v + 0.03 * rng.normal()))
    const sweep = betaSweep(modernHopfield(patterns, 1), { betas: [0.01, 100], cues, targets: [0, 1, 2, 3, 4, 5, 6, 7], epsilon: 1e-10, maxSteps: 100 })
    expect(sweep[0]!.kinds.global).toBe(8)
    expect(sweep[0]!.meanError).toBeGreaterThan(0.5)
    expect(sweep[1]!.kinds.single).toBe(8)
    expect(sweep[1]!.retrieved).toBe(1)
    expect(sweep[1]!.oneStep).toBe(1)
    expect(sweep[1]!.meanError).toBeLessThan(1e-6)
  })
})
