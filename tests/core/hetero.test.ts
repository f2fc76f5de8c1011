import { describe, expect, it } from 'vitest'
import { heteroConditions, heteroHebb, heteroRecall } from '../../src/core/hetero'
import { Rng } from '../../src/core/rng'

// 003 Example (1): four binary inputs, two binary targets.
const S = [
  [1, 0, 0, 0],
  [1, 1, 0, 0],
  [0, 0, 0, 1],
  [0, 0, 1, 1]
]
const T = [
  [1, 0],
  [1, 0],
  [0, 1],
  [0, 1]
]

describe('003 hetero-associative Example (1)', () => {
  const net = heteroHebb(S, T, { encoding: 'binary' })

  it('W = Σ s(p) t(p)ᵀ = [[2,0],[1,0],[0,1],[0,2]]', () => {
    expect([...net.weights]).toEqual([2, 0, 1, 0, 0, 1, 0, 2])
  })

  it('net inputs [2,0], [3,0], [0,2], [0,3] and outputs t(1)..t(4)', () => {
    const printed = [
      [2, 0],
      [3, 0],
      [0, 2],
      [0, 3]
    ]
    S.forEach((s, p) => {
      const r = heteroRecall(net, s)
      expect([...r.netInput]).toEqual(printed[p])
      expect([...r.output]).toEqual(T[p])
    })
  })

  it('inputs are not all orthogonal, but sufficient condition 2 holds; δ̄ = 1/√10', () => {
    const c = heteroConditions(S, T)
    expect(c.allOrthogonal).toBe(false)
    expect(c.condition2).toBe(true)
    // s(1)·s(2) = 1 and s(3)·s(4) = 1, both with equal targets; every cross-target pair is orthogonal.
    expect(c.violations).toEqual([
      { p1: 0, p2: 1, dot: 1, sameTarget: true },
      { p1: 2, p2: 3, dot: 1, sameTarget: true }
    ])
    expect(c.minNormSquared).toBe(1)
    // Σ|s(p)| = (2, 1, 1, 2), norm √10.
    expect(c.disturbanceBound).toBeCloseTo(1 / Math.sqrt(10), 12)
    expect(c.boundApplies).toBe(false)
  })

  it('condition 2 fails when inputs with different targets overlap', () => {
    const c = heteroConditions([[1, 1, 0], [0, 1, 1]], [[1, 0], [0, 1]])
    expect(c.condition2).toBe(false)
    expect(c.violations).toEqual([{ p1: 0, p2: 1, dot: 1, sameTarget: false }])
  })
})

describe('003 input-disturbance bound on orthogonal bipolar inputs', () => {
  // Rows of a 4×4 Hadamard matrix: mutually orthogonal, ‖s‖² = 4, Σ|s| = (4,4,4,4) → δ̄ = 4/8 = 0.5.
  const H = [
    [1, 1, 1, 1],
    [1, -1, 1, -1],
    [1, 1, -1, -1],
    [1, -1, -1, 1]
  ]
  const targets = [
    [1, -1, 1],
    [-1, -1, 1],
    [1, 1, -1],
    [-1, 1, 1]
  ]
  const net = heteroHebb(H, targets)

  it('s(p)ᵀW = ‖s(p)‖² t(p) and δ̄ = 0.5', () => {
    H.forEach((s, p) => expect([...heteroRecall(net, s).netInput]).toEqual(targets[p]!.map((t) => 4 * t)))
    const c = heteroConditions(H, targets)
    expect(c.allOrthogonal).toBe(true)
    expect(c.boundApplies).toBe(true)
    expect(c.disturbanceBound).toBe(0.5)
  })

  it('every real disturbance with ‖δ‖ < δ̄ still gives t(p) (2000 random δ)', () => {
    const rng = new Rng(3)
    for (let k = 0; k < 2000; k++) {
      const p = rng.int(4)
      const d = Array.from({ length: 4 }, () => rng.normal())
      const norm = Math.hypot(...d)
      const r = 0.4999 * rng.next()
      const x = H[p]!.map((v, i) => v + (r * d[i]!) / norm)
      expect([...heteroRecall(net, x).output]).toEqual(targets[p])
    }
  })

  it('the bound is a sufficient condition, not slack-free: a disturbance of norm 2 can flip an output', () => {
    // δ = −2·e₁ turns s(1) = (1,1,1,1) into (−1,1,1,1): xᵀW = 4t(1) − 2·row 1 of W.
    const x = [-1, 1, 1, 1]
    expect([...heteroRecall(net, x).output]).not.toEqual(targets[0])
  })
})

describe('bipolar images for binary pairs', () => {
  it("storeAs 'bipolar-images' equals storing 2s − 1 → 2t − 1", () => {
    const a = heteroHebb(S, T, { encoding: 'binary', storeAs: 'bipolar-images' })
    const b = heteroHebb(
      S.map((s) => s.map((v) => 2 * v - 1)),
      T.map((t) => t.map((v) => 2 * v - 1))
    )
    expect([...a.weights]).toEqual([...b.weights])
  })

  it('bipolar sign(0) = 0 and bad input lengths are named', () => {
    const net = heteroHebb([[1, 1]], [[1, -1]])
    expect([...heteroRecall(net, [1, -1]).output]).toEqual([0, 0])
    expect(() => heteroRecall(net, [1])).toThrow(/length 1, expected 2/)
    expect(() => heteroHebb([[1, 1]], [[1], [1]])).toThrow(/1 inputs but 2 targets/)
  })
})
