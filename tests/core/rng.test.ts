import { describe, expect, it } from 'vitest'
import { Rng, RNG_ALGORITHM } from '../../src/core/rng'

// Reference values computed independently with a Python transcription of xoshiro128starstar.c and splitmix32.
describe('Rng (xoshiro128** seeded by SplitMix32)', () => {
  it('names its algorithm', () => {
    expect(RNG_ALGORITHM).toBe('xoshiro128** 1.1 seeded by SplitMix32')
  })

  it('matches xoshiro128** reference outputs from state [1, 2, 3, 4]', () => {
    const r = Rng.fromState([1, 2, 3, 4])
    const out = Array.from({ length: 8 }, () => r.nextU32())
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849])
  })

  it('expands seeds with SplitMix32', () => {
    expect(new Rng(0).getState()).toEqual([1684164658, 3653269916, 2939563536, 2141751570])
    expect(new Rng(42).getState()).toEqual([551831576, 144025891, 322543647, 3034809370])
    const r = new Rng(42)
    expect([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([660444221, 3652823732, 77672526, 910233633])
    const r0 = new Rng(0)
    expect([r0.nextU32(), r0.nextU32(), r0.nextU32(), r0.nextU32()]).toEqual([1789933344, 44971166, 2521387044, 3848737593])
  })

  it('is deterministic and resumable from its state', () => {
    const a = new Rng(123456789)
    const b = new Rng(123456789)
    for (let i = 0; i < 100; i++) a.nextU32()
    for (let i = 0; i < 100; i++) b.nextU32()
    const c = Rng.fromState(a.getState())
    const fromA = Array.from({ length: 10 }, () => a.nextU32())
    expect(Array.from({ length: 10 }, () => b.nextU32())).toEqual(fromA)
    expect(Array.from({ length: 10 }, () => c.nextU32())).toEqual(fromA)
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(/all zero/)
  })

  it('next() is nextU32 / 2^32', () => {
    const a = new Rng(7)
    const b = new Rng(7)
    for (let i = 0; i < 50; i++) {
      const x = a.next()
      expect(x).toBe(b.nextU32() / 4294967296)
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThan(1)
    }
  })

  it('int(n) covers 0..n-1 evenly (chi-square, 6 bins, 60000 draws)', () => {
    const r = new Rng(2024)
    const counts = new Array<number>(6).fill(0)
    for (let i = 0; i < 60000; i++) counts[r.int(6)]!++
    const chi2 = counts.reduce((s, c) => s + (c - 10000) ** 2 / 10000, 0)
    // 5 degrees of freedom: P(chi2 > 20.5) ≈ 0.001.
    expect(chi2).toBeLessThan(20.5)
    expect(() => r.int(0)).toThrow()
  })

  it('int(n) rejects the biased tail: from state [1, 2, 3, 4], int(3·2^30) after 7 draws skips three tail outputs', () => {
    // 2^32 mod (3·2^30) = 2^30, so outputs ≥ 2^32 − 2^30 = 3221225472 must be redrawn. The Python transcription
    // (see the top of this file) continues the [1, 2, 3, 4] reference stream with outputs 8..11:
    // 3734860849, 3729100597, 4258142804 (all in the tail) and 337829053 (accepted).
    const n = 3 * 2 ** 30
    const r = Rng.fromState([1, 2, 3, 4])
    for (let i = 0; i < 7; i++) r.nextU32()
    const v = r.int(n)
    expect(v).toBe(337829053)
    // The generator gives those outputs, the first three at or above the cut-off (so the loop ran three times)...
    const counted = Rng.fromState([1, 2, 3, 4])
    for (let i = 0; i < 7; i++) counted.nextU32()
    const next4 = Array.from({ length: 4 }, () => counted.nextU32())
    expect(next4).toEqual([3734860849, 3729100597, 4258142804, 337829053])
    expect(next4.map((u) => u >= 2 ** 32 - 2 ** 30)).toEqual([true, true, true, false])
    // ...and int consumed exactly those four: without the rejection it would be 3734860849 mod n, one draw.
    expect(r.getState()).toEqual(counted.getState())
    expect(v).not.toBe(3734860849 % n)
  })

  it('permutation(n) is a permutation and every position is uniform', () => {
    const r = new Rng(99)
    const p = r.permutation(10)
    expect([...p].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const firstCounts = new Array<number>(4).fill(0)
    for (let i = 0; i < 40000; i++) firstCounts[r.permutation(4)[0]!]!++
    for (const c of firstCounts) expect(Math.abs(c - 10000)).toBeLessThan(400)
  })

  it('shuffleInPlace keeps the multiset', () => {
    const a = ['a', 'b', 'c', 'd', 'e']
    new Rng(3).shuffleInPlace(a)
    expect([...a].sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
    const i32 = Int32Array.from([5, 6, 7])
    new Rng(3).shuffleInPlace(i32)
    expect([...i32].sort()).toEqual([5, 6, 7])
  })

  it('normal() has mean 0 and variance 1 (20000 draws)', () => {
    const r = new Rng(11)
    let s = 0
    let s2 = 0
    const n = 20000
    for (let i = 0; i < n; i++) {
      const x = r.normal()
      s += x
      s2 += x * x
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03)
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05)
  })

  it('fork(stream) is deterministic, does not advance the parent, and differs per stream', () => {
    const r = new Rng(1)
    const before = r.getState()
    const f1 = r.fork(1)
    expect(r.getState()).toEqual(before)
    expect(r.fork(1).getState()).toEqual(f1.getState())
    const f2 = r.fork(2)
    const a = Array.from({ length: 5 }, () => f1.nextU32())
    const b = Array.from({ length: 5 }, () => f2.nextU32())
    const c = Array.from({ length: 5 }, () => r.nextU32())
    expect(a).not.toEqual(b)
    expect(a).not.toEqual(c)
  })
})
