import { describe, expect, it } from 'vitest'
import { hebb, isFixedPoint } from '../../src/core/hopfield'
import { cholesky, choleskySolve, gram } from '../../src/core/linalg'
import { Rng } from '../../src/core/rng'
import { pseudoInverse, storkey, trainRule } from '../../src/core/rules'
import { randomPatterns } from '../../src/core/sweeps'

/** Storkey 1997 written out literally, O(P·N³): the independent reference for the indices. */
function storkeyReference(patterns: number[][]): number[][] {
  const n = patterns[0]!.length
  let w = Array.from({ length: n }, () => new Array<number>(n).fill(0))
  for (const xi of patterns) {
    const h = (i: number, j: number): number => {
      let s = 0
      for (let k = 0; k < n; k++) if (k !== i && k !== j) s += w[i]![k]! * xi[k]!
      return s
    }
    const next = w.map((row) => [...row])
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue
        next[i]![j] = w[i]![j]! + (xi[i]! * xi[j]! - xi[i]! * h(j, i) - h(i, j) * xi[j]!) / n
      }
    }
    w = next
  }
  return w
}

describe('linalg', () => {
  it('Cholesky of [[4,2],[2,3]] and a solve', () => {
    const l = cholesky(Float64Array.from([4, 2, 2, 3]), 2)
    expect([...l]).toEqual([2, 0, 1, Math.SQRT2])
    // [[4,2],[2,3]] z = [8, 7] → z = [1.25, 1.5].
    const z = choleskySolve(l, 2, Float64Array.from([8, 7]), 1)
    expect(z[0]).toBeCloseTo(1.25, 12)
    expect(z[1]).toBeCloseTo(1.5, 12)
  })

  it('a singular Gram matrix names the dependent column', () => {
    expect(() => cholesky(gram([[1, 1, 0], [0, 1, 1], [1, 2, 1]]), 3)).toThrow(/pivot 2/)
  })
})

describe('Storkey rule', () => {
  const rng = new Rng(11)
  const pats = randomPatterns(5, 9, rng).map((p) => [...p])

  it('matches the literal formula (h_ij = Σ_{k≠i,j} w_ik ξ_k) to float32 precision', () => {
    const ref = storkeyReference(pats)
    const w = storkey(pats).weights
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) expect(w[i * 9 + j]!).toBeCloseTo(i === j ? 0 : ref[i]![j]!, 6)
  })

  it('the first pattern gives (1/N) ξξᵀ off the diagonal; W stays symmetric', () => {
    const w1 = storkey([pats[0]!]).weights
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) expect(w1[i * 9 + j]!).toBeCloseTo(i === j ? 0 : (pats[0]![i]! * pats[0]![j]!) / 9, 7)
    const w = storkey(pats).weights
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) expect(w[i * 9 + j]).toBe(w[j * 9 + i])
  })

  it('the diagonal does not feed the off-diagonal weights', () => {
    const a = storkey(pats).weights
    const b = storkey(pats, { zeroDiagonal: false }).weights
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) if (i !== j) expect(b[i * 9 + j]).toBe(a[i * 9 + j])
    expect([...b].filter((_, k) => k % 10 === 0).some((v) => v !== 0)).toBe(true)
  })

  it('stores 20 random patterns of N = 100 as fixed points where Hebb keeps well under 80 % (same data)', () => {
    const r = new Rng(2024)
    let sFixed = 0
    let hFixed = 0
    for (let t = 0; t < 5; t++) {
      const p = randomPatterns(20, 100, r)
      const s = storkey(p)
      const h = hebb(p)
      sFixed += p.filter((x) => isFixedPoint(s, x)).length
      hFixed += p.filter((x) => isFixedPoint(h, x)).length
    }
    expect(sFixed / 100).toBeGreaterThanOrEqual(0.98)
    expect(hFixed / 100).toBeLessThan(0.8)
  })
})

describe('pseudo-inverse (projection) rule', () => {
  it('W ξ = ξ: every pattern a fixed point with net input exactly ±1, for P = 30, 60, 100 at N = 100', () => {
    const rng = new Rng(99)
    for (const P of [30, 60, 100]) {
      const pats = randomPatterns(P, 100, rng)
      const net = pseudoInverse(pats)
      for (const x of pats) {
        expect(isFixedPoint(net, x)).toBe(true)
        for (let i = 0; i < 100; i++) {
          let h = 0
          for (let j = 0; j < 100; j++) h += net.weights[i * 100 + j]! * x[j]!
          expect(h).toBeCloseTo(x[i]!, 3)
        }
      }
      // Trace of a projector = rank = P.
      let tr = 0
      for (let i = 0; i < 100; i++) tr += net.weights[i * 101]!
      expect(tr).toBeCloseTo(P, 2)
    }
  })

  it('zeroing the diagonal: fixed with margin 1 − w_ii while P < N; at P = N, W = I becomes 0', () => {
    const rng = new Rng(7)
    const pats = randomPatterns(30, 40, rng)
    const full = pseudoInverse(pats)
    const zero = pseudoInverse(pats, { zeroDiagonal: true })
    for (const x of pats) {
      expect(isFixedPoint(zero, x)).toBe(true)
      for (let i = 0; i < 40; i++) {
        let h = 0
        for (let j = 0; j < 40; j++) h += zero.weights[i * 40 + j]! * x[j]!
        expect(h * x[i]!).toBeCloseTo(1 - full.weights[i * 41]!, 4)
      }
    }
    const square = randomPatterns(40, 40, rng)
    const id = pseudoInverse(square)
    const z = pseudoInverse(square, { zeroDiagonal: true })
    for (let i = 0; i < 40; i++) for (let j = 0; j < 40; j++) expect(id.weights[i * 40 + j]!).toBeCloseTo(i === j ? 1 : 0, 4)
    expect(Math.max(...[...z.weights].map(Math.abs))).toBeLessThan(1e-4)
  })

  it('keeping the diagonal only adds fixed points: exhaustive check at N = 10, P = 3', () => {
    const rng = new Rng(13)
    const pats = randomPatterns(3, 10, rng)
    const full = pseudoInverse(pats)
    const zero = pseudoInverse(pats, { zeroDiagonal: true })
    let fz = 0
    let ff = 0
    for (let s = 0; s < 1024; s++) {
      const y = Array.from({ length: 10 }, (_, i) => ((s >> i) & 1 ? 1 : -1))
      const a = isFixedPoint(zero, y)
      const b = isFixedPoint(full, y)
      if (a) expect(b).toBe(true)
      fz += a ? 1 : 0
      ff += b ? 1 : 0
    }
    expect(fz).toBeGreaterThanOrEqual(6) // the 3 patterns and their negatives
    expect(ff).toBeGreaterThan(fz)
  })

  it('names a linearly dependent pattern and refuses P > N', () => {
    const a = [1, -1, 1, 1]
    const b = [1, 1, -1, 1]
    expect(() => pseudoInverse([a, b, a.map((v) => -v)])).toThrow(/pattern 2 is linearly dependent/)
    expect(() => pseudoInverse(randomPatterns(5, 4, new Rng(1)))).toThrow(/P ≤ N/)
  })
})

describe('trainRule', () => {
  it("'hebb' is 003's modified Hebb, unnormalised unless asked (the sweeps' sign dynamics do not depend on c)", () => {
    const pats = randomPatterns(3, 8, new Rng(4))
    expect([...trainRule('hebb', pats).weights]).toEqual([...hebb(pats).weights])
    expect(trainRule('hebb', pats).scale).toBe(1)
    const scaled = trainRule('hebb', pats, { normalisation: '1/N' })
    expect([...scaled.weights]).toEqual([...hebb(pats, { normalisation: '1/N' }).weights])
    expect(scaled.scale).toBe(1 / 8)
    expect(trainRule('storkey', pats).units).toBe(8)
    expect(trainRule('pseudo-inverse', pats).weights.length).toBe(64)
  })
})
