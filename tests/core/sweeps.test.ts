import { describe, expect, it } from 'vitest'
import { hebb } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'
import { CancelledError } from '../../src/shared/errors'
import { pseudoInverse } from '../../src/core/rules'
import { basinEstimate, capacitySweep, capacityTheory, noiseSweep, partialCueSweep, randomPatterns } from '../../src/core/sweeps'

describe('theory lines', () => {
  it('N = 100: 0.138N = 13.8, N/(2 ln N) ≈ 10.86, N/(4 ln N) ≈ 5.43, N/√(2 ln N) ≈ 32.95, N', () => {
    const t = capacityTheory(100)
    expect(t.hebbCritical).toBeCloseTo(13.8, 12)
    expect(t.hebbPerPattern).toBeCloseTo(10.857, 3)
    expect(t.hebbAllPatterns).toBeCloseTo(5.429, 3)
    expect(t.storkey).toBeCloseTo(32.951, 3)
    expect(t.pseudoInverse).toBe(100)
  })
})

describe('capacity sweep at N = 100 (seeded, 8 pattern sets per point, 10 % noise)', () => {
  const points = capacitySweep({ units: 100, patternCounts: [8, 20, 30], rules: ['hebb', 'storkey'], trials: 8, noise: 0.1, cuesPerPattern: 1, rng: new Rng(100) })
  const at = (rule: string, P: number) => points.find((p) => p.rule === rule && p.patterns === P)!

  it('Hebb recalls all patterns near N/(2 ln N) ≈ 11 and fails clearly above 0.138N ≈ 14', () => {
    expect(at('hebb', 8).fixedFraction).toBeGreaterThanOrEqual(0.97)
    expect(at('hebb', 8).recallSuccess).toBeGreaterThanOrEqual(0.9)
    // Gaussian crosstalk estimate at P = 20: (1 − Φ̄(√(99/19)))^100 ≈ 0.32 of patterns stable.
    expect(at('hebb', 20).fixedFraction).toBeLessThan(0.7)
    expect(at('hebb', 20).allFixedFraction).toBe(0)
    expect(at('hebb', 30).recallSuccess).toBeLessThan(0.1)
  })

  it('Storkey holds clearly more: all 20 stable where Hebb is not, still ≥ 90 % at 30 (N/√(2 ln N) ≈ 33)', () => {
    expect(at('storkey', 20).fixedFraction).toBeGreaterThanOrEqual(0.98)
    expect(at('storkey', 20).recallSuccess).toBeGreaterThanOrEqual(0.95)
    expect(at('storkey', 30).fixedFraction).toBeGreaterThanOrEqual(0.9)
    expect(at('storkey', 30).fixedFraction - at('hebb', 30).fixedFraction).toBeGreaterThan(0.6)
  })

  it('pseudo-inverse: every pattern a fixed point for P = 50 and P = N = 100; P > N skipped', () => {
    const pi = capacitySweep({ units: 100, patternCounts: [50, 100, 101], rules: ['pseudo-inverse'], trials: 2, noise: 0, cuesPerPattern: 0, rng: new Rng(3) })
    expect(pi[0]!.fixedFraction).toBe(1)
    expect(pi[1]!.fixedFraction).toBe(1)
    expect(pi[1]!.allFixedFraction).toBe(1)
    expect(pi[2]!.trials).toBe(0)
    expect(pi[2]!.skipped).toBe(2)
  })

  it('reports progress to 1 and cancels with CancelledError', () => {
    const seen: number[] = []
    capacitySweep({ units: 20, patternCounts: [2, 3], rules: ['hebb'], trials: 2, noise: 0, cuesPerPattern: 1, rng: new Rng(1), onProgress: (f) => seen.push(f) })
    expect(seen).toEqual([0.25, 0.5, 0.75, 1, 1])
    let n = 0
    expect(() => capacitySweep({ units: 20, patternCounts: [2, 3], rules: ['hebb'], trials: 5, noise: 0, cuesPerPattern: 1, rng: new Rng(1), shouldCancel: () => ++n > 2 })).toThrow(CancelledError)
  })

  it('is reproducible from its seed', () => {
    const a = capacitySweep({ units: 30, patternCounts: [4], rules: ['hebb', 'storkey'], trials: 3, noise: 0.2, cuesPerPattern: 2, rng: new Rng(9) })
    const b = capacitySweep({ units: 30, patternCounts: [4], rules: ['hebb', 'storkey'], trials: 3, noise: 0.2, cuesPerPattern: 2, rng: new Rng(9) })
    expect(a).toEqual(b)
  })
})

describe('noise and partial-cue sweeps (Hebb, N = 100, P = 5)', () => {
  const rng = new Rng(55)
  const pats = randomPatterns(5, 100, rng)
  const net = hebb(pats)

  it('no noise: all recalled; all units flipped: the negative, overlap exactly −1; 10 % noise: ≥ 95 %', () => {
    const r = noiseSweep(net, pats, { fractions: [0, 0.1, 1], cuesPerPattern: 10, rng })
    expect(r[0]!.success).toBe(1)
    expect(r[1]!.success).toBeGreaterThanOrEqual(0.95)
    expect(r[2]!.success).toBe(0)
    expect(r[2]!.meanOverlap).toBe(-1)
  })

  it('masked (unknown = 0) units: 30 % still recalled; everything masked stays 0, overlap 0', () => {
    const r = partialCueSweep(net, pats, { fractions: [0, 0.3, 1], cuesPerPattern: 10, rng })
    expect(r[0]!.success).toBe(1)
    expect(r[1]!.success).toBeGreaterThanOrEqual(0.95)
    expect(r[2]!.success).toBe(0)
    expect(r[2]!.meanOverlap).toBe(0)
  })
})

describe('basin of attraction estimate', () => {
  it('Hebb N = 100, P = 5: radius of at least 20 flips for every pattern', () => {
    const rng = new Rng(8)
    const pats = randomPatterns(5, 100, rng)
    const b = basinEstimate(hebb(pats), pats, { rng, trialsPerRadius: 20, maxRadius: 45 })
    for (const e of b) {
      expect(e.success[0]).toBe(1)
      expect(e.radius).toBeGreaterThanOrEqual(20)
      expect(e.success.slice(0, e.radius + 1).every((s) => s >= 0.95)).toBe(true)
    }
  })

  it('pseudo-inverse at P = N (W = I): every state is fixed, so the basin radius is 0', () => {
    const rng = new Rng(4)
    const pats = randomPatterns(12, 12, rng)
    const b = basinEstimate(pseudoInverse(pats), pats, { rng, trialsPerRadius: 5 })
    expect(b.every((e) => e.radius === 0 && e.success[1] === 0)).toBe(true)
  })
})
