import { describe, expect, it } from 'vitest'
import { census } from '../../src/core/census'
import { hebb } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'
import { randomPatterns } from '../../src/core/sweeps'

describe('exhaustive census', () => {
  it('003 net storing (1,1,1,−1): only the pattern and its negative, 8 starts each', () => {
    const s = [1, 1, 1, -1]
    const r = census(hebb([s]), [s])
    expect(r.method).toBe('exhaustive')
    expect(r.starts).toBe(16)
    expect(r.attractors.map((a) => [a.kind, [...a.state], a.count])).toEqual([
      ['stored', [1, 1, 1, -1], 8],
      ['negative', [-1, -1, -1, 1], 8]
    ])
    // E = −½ sᵀWs = −½·12 = −6 at both.
    expect(r.attractors.map((a) => a.energy)).toEqual([-6, -6])
  })

  it('N = 12, P = 3 (Hebb): stored patterns and negatives found, basins symmetric, sizes sum to 2^12', () => {
    const pats = randomPatterns(3, 12, new Rng(21))
    const net = hebb(pats)
    const r = census(net, pats)
    expect(r.attractors.reduce((s, a) => s + a.count, 0)).toBe(4096)
    expect(Object.values(r.countsByKind).reduce((s, v) => s + v, 0)).toBe(4096)
    expect(r.attractors.reduce((s, a) => s + a.basinFraction, 0)).toBeCloseTo(1, 12)
    for (let p = 0; p < 3; p++) {
      const st = r.attractors.find((a) => a.kind === 'stored' && a.pattern === p)
      const neg = r.attractors.find((a) => a.kind === 'negative' && a.pattern === p)
      expect(st).toBeDefined()
      expect(neg).toBeDefined()
      // Sequential async with tie-keep is odd-symmetric: start −y ends at −(end of y).
      expect(neg!.count).toBe(st!.count)
    }
  })

  it('N = 16, P = 3 (Hebb): the symmetric mixtures sign(±ξ¹ ± ξ² ± ξ³) show up as spurious attractors', () => {
    const pats = randomPatterns(3, 16, new Rng(8))
    const r = census(hebb(pats), pats)
    const mixtures = r.attractors.filter((a) => a.kind === 'mixture')
    expect(mixtures.length).toBeGreaterThan(0)
    for (const m of mixtures) {
      expect(m.mixture!.patterns).toEqual([0, 1, 2])
      // The state is the sign of the signed sum it was classified as.
      for (let i = 0; i < 16; i++) {
        const sum = m.mixture!.patterns.reduce((s, p, k) => s + m.mixture!.signs[k]! * pats[p]![i]!, 0)
        expect(m.state[i]).toBe(Math.sign(sum))
      }
    }
    expect(r.attractors.reduce((s, a) => s + a.count, 0)).toBe(65536)
  })

  it('sync dynamics reports 2-cycles as their own kind', () => {
    const pats = randomPatterns(4, 10, new Rng(3))
    const r = census(hebb(pats), pats, { dynamics: 'sync' })
    expect(r.countsByKind.cycle).toBeGreaterThan(0)
    expect(r.attractors.reduce((s, a) => s + a.count, 0)).toBe(1024)
  })
})

describe('sampled census', () => {
  it('N = 60, P = 4: fractions sum to 1, stored patterns have the big basins', () => {
    const rng = new Rng(42)
    const pats = randomPatterns(4, 60, rng)
    const r = census(hebb(pats), pats, { rng, samples: 400, dynamics: 'async-random' })
    expect(r.method).toBe('sampled')
    expect(r.attractors.reduce((s, a) => s + a.count, 0)).toBe(400)
    const storedLike = r.countsByKind.stored + r.countsByKind.negative
    expect(storedLike / 400).toBeGreaterThan(0.5)
  })

  it('progress reaches 1, cancel throws, and exhaustive above N = 20 is refused', () => {
    const pats = randomPatterns(2, 10, new Rng(1))
    const seen: number[] = []
    census(hebb(pats), pats, { onProgress: (f) => seen.push(f) })
    expect(seen.at(-1)).toBe(1)
    expect(seen.every((f, k) => k === 0 || f >= seen[k - 1]!)).toBe(true)
    expect(() => census(hebb(pats), pats, { shouldCancel: () => true })).toThrow('cancelled')
    const big = randomPatterns(2, 21, new Rng(1))
    expect(() => census(hebb(big), big, { method: 'exhaustive' })).toThrow(/N ≤ 20/)
    expect(() => census(hebb(big), big)).toThrow(/needs an rng/)
  })
})
