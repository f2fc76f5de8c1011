import { describe, expect, it } from 'vitest'
import { bamBackward, bamEnergy, bamForward, bamHebb, bamRecall } from '../../src/core/bam'

// 003 Example 3.23: 5×3 letters, row-major, '#' = 1, '.' = −1.
//   A: .#. #.# ### #.# #.#      C: .## #.. #.. #.. .##
const A = [-1, 1, -1, 1, -1, 1, 1, 1, 1, 1, -1, 1, 1, -1, 1]
const C = [-1, 1, 1, 1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, 1]
const codeA = [-1, 1]
const codeC = [1, 1]
const W_PRINTED = [
  [0, -2],
  [0, 2],
  [2, 0],
  [0, 2],
  [0, -2],
  [-2, 0],
  [0, 2],
  [-2, 0],
  [-2, 0],
  [0, 2],
  [0, -2],
  [-2, 0],
  [-2, 0],
  [2, 0],
  [0, 2]
]
const stored = { inputs: [A, C], targets: [codeA, codeC] }

describe('003 Example 3.23: BAM for letters A → (−1, 1), C → (1, 1)', () => {
  const net = bamHebb([A, C], [codeA, codeC])

  it('W = Aᵀ(−1,1) + Cᵀ(1,1) is the printed 15×2 matrix', () => {
    expect([...net.weights]).toEqual(W_PRINTED.flat())
  })

  it('A·W = (−14, 16) → (−1, 1) and C·W = (14, 16) → (1, 1)', () => {
    expect([...bamForward(net, A)]).toEqual([-14, 16])
    expect([...bamForward(net, C)]).toEqual([14, 16])
    const ra = bamRecall(net, { x: A }, { stored })
    expect([...ra.y]).toEqual(codeA)
    expect(ra.match).toBe(0)
    expect([...bamRecall(net, { x: C }, { stored }).y]).toEqual(codeC)
  })

  it('backwards: (−1, 1)Wᵀ → A and (1, 1)Wᵀ → C', () => {
    expect([...bamRecall(net, { y: codeA }, { stored }).x]).toEqual(A)
    const rc = bamRecall(net, { y: codeC }, { stored })
    expect([...rc.x]).toEqual(C)
    expect(rc.match).toBe(1)
    expect(rc.spurious).toBe(false)
  })

  it('C is recoverable from W and A: W − Aᵀ(−1, 1) = Cᵀ(1, 1)', () => {
    const rest = W_PRINTED.map((row, i) => [row[0]! - A[i]! * codeA[0]!, row[1]! - A[i]! * codeA[1]!])
    expect(rest.map((r) => r[0])).toEqual(C)
    expect(rest.map((r) => r[1])).toEqual(C)
  })

  it('L = −xWyᵀ = −30 at both stored pairs, the lower bound −Σ|w_ij|', () => {
    const bound = -W_PRINTED.flat().reduce((s, v) => s + Math.abs(v), 0)
    expect(bound).toBe(-30)
    expect(bamEnergy(net, A, codeA)).toBe(-30)
    expect(bamEnergy(net, C, codeC)).toBe(-30)
    // Hamming distance A↔C: positions 3, 6, 8, 9, 12, 13, 14 (7/15).
    expect(A.map((v, i) => (v !== C[i] ? i + 1 : 0)).filter((i) => i > 0)).toEqual([3, 6, 8, 9, 12, 13, 14])
  })
})

describe('003 Example 3.24: BAM with noisy and partial input', () => {
  const net = bamHebb([A, C], [codeA, codeC])

  it('y = (0, 1) alone, x = 0: converges to a spurious stable state', () => {
    const r = bamRecall(net, { y: [0, 1] }, { stored })
    // (0,1)Wᵀ = column 2 of W; zero net inputs leave x_i at 0.
    expect([...r.steps[0]!.netInput]).toEqual([-2, 2, 0, 2, -2, 0, 2, 0, 0, 2, -2, 0, 0, 0, 2])
    expect([...r.x]).toEqual([-1, 1, 0, 1, -1, 0, 1, 0, 0, 1, -1, 0, 0, 0, 1])
    // Sent back: x W = (0, 16) → y stays (0, 1).
    expect([...r.steps[1]!.netInput]).toEqual([0, 16])
    expect([...r.y]).toEqual([0, 1])
    expect(r.outcome).toBe('stable')
    expect(r.spurious).toBe(true)
    expect(r.match).toBe(-1)
  })

  it('y = (0, 1), x = (0 0 −1 0 0 1 0 1 1 0 0 1 1 −1 0): (0, 1)Wᵀ gives pattern A', () => {
    const x = [0, 0, -1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, -1, 0]
    const r = bamRecall(net, { x, y: [0, 1] }, { stored, first: 'x' })
    expect([...r.steps[0]!.state]).toEqual(A)
    expect([...r.y]).toEqual(codeA)
    expect(r.match).toBe(0)
    // 003's step order (Y first) reaches the same pair: xW = (−14, 0) → y = (−1, 1), then 2A → A.
    const r2 = bamRecall(net, { x, y: [0, 1] }, { stored })
    expect([...r2.steps[0]!.netInput]).toEqual([-14, 0])
    expect([...r2.x]).toEqual(A)
    expect(r2.match).toBe(0)
  })

  it('less information, x = (0 0 −1 0 0 1 0 1 0 0 0 0 0 0 0): "not quite A", then A after one more round', () => {
    const x = [0, 0, -1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    const r = bamRecall(net, { x, y: [0, 1] }, { stored, first: 'x' })
    expect([...r.steps[0]!.state]).toEqual([-1, 1, -1, 1, -1, 1, 1, 1, 0, 1, -1, 0, 0, 0, 1])
    expect([...r.steps[1]!.netInput]).toEqual([-6, 16])
    expect([...r.steps[1]!.state]).toEqual(codeA)
    expect([...r.steps[2]!.state]).toEqual(A)
    expect(r.match).toBe(0)
  })

  it('energy never rises along the ping-pong', () => {
    const x = [0, 0, -1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    const r = bamRecall(net, { x, y: [0, 1] }, { stored, first: 'x' })
    for (let k = 1; k < r.steps.length; k++) expect(r.steps[k]!.energy).toBeLessThanOrEqual(r.steps[k - 1]!.energy)
    expect(r.steps.at(-1)!.energy).toBe(-30)
  })

  it('negatives of stored pairs are stable and reported as such', () => {
    const r = bamRecall(net, { x: A.map((v) => -v) }, { stored })
    expect([...r.y]).toEqual([1, -1])
    expect(r.negativeMatch).toBe(0)
    expect(r.spurious).toBe(false)
  })
})

describe('binary BAM', () => {
  const bin = (v: number[]) => v.map((s) => (s + 1) / 2)
  const net = bamHebb([bin(A), bin(C)], [bin(codeA), bin(codeC)], 'binary')

  it('stores through 2s − 1 (same W as bipolar) and recalls binary codes both ways', () => {
    expect([...net.weights]).toEqual(W_PRINTED.flat())
    const r = bamRecall(net, { x: bin(A) }, { stored: { inputs: [bin(A), bin(C)], targets: [bin(codeA), bin(codeC)] } })
    expect([...r.y]).toEqual([0, 1])
    expect(r.match).toBe(0)
    // (1,1)Wᵀ = 2C (never 0), so C comes back whole from its binary code.
    expect([...bamBackward(net, [1, 1])]).toEqual(C.map((v) => 2 * v))
    expect([...bamRecall(net, { y: [1, 1] }).x]).toEqual(bin(C))
  })

  it('rejects values outside the alphabet, naming the unit', () => {
    expect(() => bamRecall(net, { x: [...bin(A).slice(0, 14), -1] })).toThrow(/x cue, unit 14/)
    expect(() => bamHebb([[1, 2]], [[1]])).toThrow(/X pattern 0, unit 1/)
  })
})
