// One attention head (core/attention.ts, matrix form) against one modern Hopfield update (core/modern-hopfield.ts,
// per-state sums) on the same numbers with β = 1/√d_k (Ramsauer et al. eq. 10), and against a hand example.
import { describe, expect, it } from 'vitest'
import { attentionHead, matmul, matrix, type Matrix } from '../../src/core/attention'
import { modernHopfield, update } from '../../src/core/modern-hopfield'
import { Rng } from '../../src/core/rng'

function randomMatrix(rng: Rng, rows: number, cols: number, scale = 1): Matrix {
  return matrix(rows, cols, Array.from({ length: rows * cols }, () => scale * rng.normal()))
}

function row(m: Matrix, i: number): Float64Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols)
}

describe('attention head', () => {
  it('a hand example: two keys, softmax of the scaled scores', () => {
    // Q = [[1, 0]], K = [[1, 0], [0, 1]], V = [[2, 0], [0, 4]]; scores [1, 0]/√2.
    const id = matrix(2, 2, [1, 0, 0, 1])
    const out = attentionHead({ queries: matrix(1, 2, [1, 0]), stored: id, wQ: id, wK: id, wV: matrix(2, 2, [2, 0, 0, 4]) })
    const a = 1 / (1 + Math.exp(-1 / Math.SQRT2))
    expect(out.scale).toBeCloseTo(Math.SQRT1_2, 15)
    expect(out.weights.data[0]).toBeCloseTo(a, 15)
    expect(Array.from(out.output.data).map((v) => +v.toFixed(14))).toEqual([+(2 * a).toFixed(14), +(4 * (1 - a)).toFixed(14)])
  })

  it('equals one modern Hopfield update with β = 1/√d_k: stored patterns K, state q, values V = K W', () => {
    const rng = new Rng(31)
    for (const [s, t, dr, dy, dk, dv] of [
      [5, 11, 6, 9, 3, 7],
      [1, 37, 13, 10, 6, 6],
      [17, 3, 5, 5, 11, 2]
    ] as const) {
      const queries = randomMatrix(rng, s, dr)
      const stored = randomMatrix(rng, t, dy)
      const wQ = randomMatrix(rng, dr, dk)
      const wK = randomMatrix(rng, dy, dk, 0.7)
      const w = randomMatrix(rng, dk, dv)
      // The paper's form: V = Y W_K W_V, so the values are the keys projected once more.
      const head = attentionHead({ queries, stored, wQ, wK, wV: matmul(wK, w) })
      const beta = 1 / Math.sqrt(dk)
      const keys = Array.from({ length: t }, (_, j) => Array.from(row(head.k, j)))
      const mem = modernHopfield(keys, beta)
      for (let i = 0; i < s; i++) {
        const u = update(mem, row(head.q, i))
        // weights: the softmax over stored patterns is the same row.
        for (let j = 0; j < t; j++) expect(head.weights.data[i * t + j]).toBeCloseTo(u.weights[j]!, 14)
        // output row = Wᵀ ξ_new (ξ_new in key space).
        const projected = matmul(matrix(1, dk, u.state), w)
        for (let c = 0; c < dv; c++) expect(head.output.data[i * dv + c]).toBeCloseTo(projected.data[c]!, 12)
      }
      // with W = I (V = K) the head's output is the Hopfield update itself.
      if (dk === dv) {
        const plain = attentionHead({ queries, stored, wQ, wK, wV: wK })
        for (let i = 0; i < s; i++) {
          const u = update(mem, row(plain.q, i)).state
          for (let c = 0; c < dk; c++) expect(plain.output.data[i * dk + c]).toBeCloseTo(u[c]!, 12)
        }
      }
    }
  })

  it('rejects mismatched shapes and a bad scale, naming them', () => {
    const a = matrix(2, 3, [1, 2, 3, 4, 5, 6])
    expect(() => matrix(2, 2, [1, 2, 3])).toThrow(/3 values, expected 2·2/)
    expect(() => attentionHead({ queries: a, stored: a, wQ: matrix(3, 2, [1, 0, 0, 1, 1, 1]), wK: matrix(3, 4, new Array(12).fill(1)), wV: matrix(3, 1, [1, 1, 1]) })).toThrow(/d_k/)
    expect(() => attentionHead({ queries: a, stored: a, wQ: matrix(2, 2, [1, 0, 0, 1]), wK: matrix(3, 2, [1, 0, 0, 1, 1, 1]), wV: matrix(3, 1, [1, 1, 1]) })).toThrow(/Q = R·W_Q/)
    const w = matrix(3, 2, [1, 0, 0, 1, 1, 1])
    expect(() => attentionHead({ queries: a, stored: a, wQ: w, wK: w, wV: w, scale: 0 })).toThrow(/scale/)
  })
})
