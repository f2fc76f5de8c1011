// Krotov & Hopfield's capacity M = N^(n−1) / (2 (2n−3)!! ln N) of the dense associative memory with F(x) = xⁿ, tested
// as a statistical statement at N = 100 for n = 2 (the dense-capacity sweep), 3 and 4 (the core's capacity trial,
// counting fixed points only; n = 4 on a subsample of the stored patterns).
//
// What the formula predicts. It comes from the signal-to-noise argument (Krotov & Hopfield 2016, §"capacity"): flipping
// bit i of a stored pattern changes the energy by a signal ≈ 2n N^(n−1) against a noise from the K − 1 other patterns
// with variance ≈ (2n)² K (2n−3)!! N^(n−1), so SNR² = N^(n−1) / (K (2n−3)!!), and a bit is unstable with probability
// Φc(SNR). M is the load where SNR² = 2 ln N, i.e. where that probability is Φc(√(2 ln N)) ≈ 1/N up to the Gaussian
// tail's prefactor: every bit of a stored pattern holds with high probability, so the pattern is a fixed point with
// probability q* = (1 − Φc(√(2 ln N)))^N (0.886 at N = 100), and beyond M that probability falls fast. So the
// quantity is the share q(K) of stored patterns that are fixed points ("all bits stable", the sweep's `stable`), and
// the formula's capacity is the load where q crosses q*.
//
// The test: the measured crossing lies within a factor √2 of M, each side established at 3 binomial standard errors:
//   q̂(M/√2) ≥ q* + 3·SE  and  q̂(√2·M) ≤ q* − 3·SE,  SE = √(q*(1 − q*)/S), S = stored patterns tested at that load.
// It fails if the formula's n is wrong (n = 2 and 3 swapped: at √2·M₂ ≈ 15 patterns the x³ memory is still perfect,
// and at M₃/√2 ≈ 256 the Hebb net holds none) or if M were off by more than √2 either way.
import { describe, expect, it } from 'vitest'
import { runExperiment } from '../../src/main/services/experiments'
import { experimentSpecSchema } from '../../src/shared/spec'
import { capacityTrial, krotovHopfieldCapacity } from '../../src/core/dense-am'
import { Rng } from '../../src/core/rng'

const N = 100

/** Φc(t) = P(Z > t) by Simpson's rule on the standard normal density over [t, t + 12] (independent of the code under test). */
function upperTail(t: number): number {
  const steps = 20000
  const h = 12 / steps
  let s = 0
  for (let k = 0; k <= steps; k++) {
    const x = t + k * h
    s += (k === 0 || k === steps ? 1 : k % 2 ? 4 : 2) * Math.exp(-x * x / 2)
  }
  return (s * h) / 3 / Math.sqrt(2 * Math.PI)
}

const qStar = (1 - upperTail(Math.sqrt(2 * Math.log(N)))) ** N
const se = (S: number): number => Math.sqrt((qStar * (1 - qStar)) / S)

/** The dense-capacity sweep's share of stable stored patterns at each pattern count, `trials` memories each. */
async function sweepStable(degree: number, counts: number[], trials: number, seed: number): Promise<number[]> {
  const spec = experimentSpecSchema.parse({ name: 'krotov', seed, model: { kind: 'hopfield' }, sweep: { type: 'dense-capacity', units: N, patternCounts: counts, interactions: [{ kind: 'polynomial', degree }], trials, noise: 0.1, maxSweeps: 10 } })
  const r = await runExperiment(spec, null)
  if (r.sweep?.type !== 'dense-capacity') throw new Error('expected a dense-capacity result')
  expect(r.sweep.theory.krotovHopfield).toEqual([{ degree, capacity: krotovHopfieldCapacity(N, degree) }])
  return counts.map((p) => r.sweep!.type === 'dense-capacity' ? r.sweep!.points.find((x) => x.patterns === p)!.stable : NaN)
}

describe('Krotov–Hopfield capacity at N = 100, within sampling error', () => {
  it('q* = (1 − Φc(√(2 ln N)))^N is the share of fixed points the formula implies at K = M', () => {
    expect(upperTail(0)).toBeCloseTo(0.5, 10)
    expect(upperTail(1.959963984540054)).toBeCloseTo(0.025, 10)
    expect(qStar).toBeGreaterThan(0.88)
    expect(qStar).toBeLessThan(0.89)
  })

  it('n = 2 (Hebb, M ≈ 10.9): the crossing lies in [M/√2, √2·M] — 8 patterns all but always stable, 15 well below q*', async () => {
    const M = krotovHopfieldCapacity(N, 2)
    const [lo, hi] = [Math.round(M / Math.SQRT2), Math.round(M * Math.SQRT2)]
    expect([lo, hi]).toEqual([8, 15])
    // 60 memories at each load: S = 480 and 900 stored patterns tested.
    const [qLo, qHi] = await sweepStable(2, [lo, hi], 60, 21)
    expect(qLo).toBeGreaterThanOrEqual(qStar + 3 * se(60 * lo))
    expect(qHi).toBeLessThanOrEqual(qStar - 3 * se(60 * hi))
  })

  it('n = 3 (M ≈ 362): the crossing lies in [M/√2, √2·M] — 256 patterns above q*, 512 below (the core: stability only)', () => {
    const M = krotovHopfieldCapacity(N, 3)
    const [lo, hi] = [Math.round(M / Math.SQRT2), Math.round(M * Math.SQRT2)]
    expect([lo, hi]).toEqual([256, 512])
    // The sweep also recalls every pattern from a noisy cue (seconds at these loads); the fixed-point share is the
    // same count (capacityTrial's `stable`) without the recalls. Two memories of 256, one of 512 (S = 512 each).
    const lowRng = new Rng(31)
    const low = [0, 1].map(() => capacityTrial({ units: N, count: lo, interaction: { kind: 'polynomial', degree: 3 }, rng: lowRng, recall: false }).stable)
    const qHi = capacityTrial({ units: N, count: hi, interaction: { kind: 'polynomial', degree: 3 }, rng: new Rng(32), recall: false }).stable / hi
    expect((low[0]! + low[1]!) / (2 * lo)).toBeGreaterThanOrEqual(qStar + 3 * se(2 * lo))
    expect(qHi).toBeLessThanOrEqual(qStar - 3 * se(hi))
  })

  it('n = 4 (M ≈ 7238): the same on the core, a subsample of the stored patterns tested (150 below M, 60 above)', () => {
    const M = krotovHopfieldCapacity(N, 4)
    const stable = (count: number, checked: number, seed: number): number => {
      const r = capacityTrial({ units: N, count, interaction: { kind: 'polynomial', degree: 4 }, rng: new Rng(seed), recall: false, checked })
      expect(r.checked).toBe(checked)
      return r.stable / r.checked
    }
    expect(stable(Math.round(M / Math.SQRT2), 150, 41)).toBeGreaterThanOrEqual(qStar + 3 * se(150))
    expect(stable(Math.round(M * Math.SQRT2), 60, 42)).toBeLessThanOrEqual(qStar - 3 * se(60))
  })

  it('the criterion can fail: with n = 2 and 3 swapped in the formula, each bracket is violated', async () => {
    const M2 = krotovHopfieldCapacity(N, 2)
    const M3 = krotovHopfieldCapacity(N, 3)
    // x³ memory judged by M₂: at √2·M₂ = 15 patterns it is still perfect (far above q*, not below).
    const [q3] = await sweepStable(3, [Math.round(M2 * Math.SQRT2)], 30, 23)
    expect(q3).toBeGreaterThan(qStar - 3 * se(30 * 15))
    // Hebb judged by M₃: at M₃/√2 = 256 patterns none is stable (far below q*, not above).
    const [q2] = await sweepStable(2, [Math.round(M3 / Math.SQRT2)], 1, 24)
    expect(q2).toBeLessThan(qStar + 3 * se(256))
  })
})
