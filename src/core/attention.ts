// One attention head, written in matrix form, as the transformer's scaled dot-product attention.
// Reference: seeds/002 (self-attention: Softmax(Q·Kᵀ/√d_k)·V = A(Q, K, V)); Vaswani et al. (2017); Ramsauer et al. (2020)
// eq. (10): Z = softmax(β R W_Q W_Kᵀ Yᵀ) Y W_K W_V is one modern Hopfield update with β = 1/√d_k.
// Legend: R [S, d_r] the state (query) patterns, Y [T, d_y] the stored (key) patterns, W_Q [d_r, d_k], W_K [d_y, d_k],
// W_V [d_y, d_v]; Q = R W_Q [S, d_k], K = Y W_K [T, d_k], V = Y W_V [T, d_v]; A [S, T] the attention weights (row s is
// the softmax over the T stored patterns for query s); Z = A V [S, d_v]. All matrices row-major Float64Array.
//
// Kept apart from modern-hopfield.ts on purpose (matrix products here, per-state sums there): the tests check one
// against the other on the same numbers.

export interface Matrix {
  rows: number
  cols: number
  data: Float64Array
}

export function matrix(rows: number, cols: number, data: ArrayLike<number>, field = 'matrix'): Matrix {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) throw new RangeError(`${field}: shape must be positive integers, got [${rows}, ${cols}]`)
  if (data.length !== rows * cols) throw new RangeError(`${field} has ${data.length} values, expected ${rows}·${cols} = ${rows * cols}`)
  const out = Float64Array.from(data)
  for (let k = 0; k < out.length; k++) if (!Number.isFinite(out[k]!)) throw new RangeError(`${field}[${Math.floor(k / cols)}, ${k % cols}] is not finite (${out[k]})`)
  return { rows, cols, data: out }
}

/** A·B, or A·Bᵀ when transposeB. */
export function matmul(a: Matrix, b: Matrix, transposeB = false, what = 'matmul'): Matrix {
  const inner = transposeB ? b.cols : b.rows
  const cols = transposeB ? b.rows : b.cols
  if (a.cols !== inner) throw new RangeError(`${what}: inner dimensions differ (${a.cols} and ${inner})`)
  const out = new Float64Array(a.rows * cols)
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0
      for (let k = 0; k < inner; k++) s += a.data[i * a.cols + k]! * (transposeB ? b.data[j * b.cols + k]! : b.data[k * b.cols + j]!)
      out[i * cols + j] = s
    }
  }
  return { rows: a.rows, cols, data: out }
}

/** Row-wise softmax(scale · S), each row shifted by its maximum. */
export function rowSoftmax(s: Matrix, scale: number): Matrix {
  const out = new Float64Array(s.data.length)
  for (let i = 0; i < s.rows; i++) {
    const row = s.data.subarray(i * s.cols, (i + 1) * s.cols)
    const max = Math.max(...row)
    let sum = 0
    for (let j = 0; j < s.cols; j++) sum += out[i * s.cols + j] = Math.exp(scale * (row[j]! - max))
    for (let j = 0; j < s.cols; j++) out[i * s.cols + j]! /= sum
  }
  return { rows: s.rows, cols: s.cols, data: out }
}

export interface AttentionHeadInput {
  /** R [S, d_r]. */
  queries: Matrix
  /** Y [T, d_y]. */
  stored: Matrix
  wQ: Matrix
  wK: Matrix
  wV: Matrix
  /** Default 1/√d_k. Must be > 0. */
  scale?: number
}

export interface AttentionHeadOutput {
  q: Matrix
  k: Matrix
  v: Matrix
  /** A [S, T]: the retrieval weights over the stored patterns, one row per query (the heatmap). */
  weights: Matrix
  /** Z = A V [S, d_v]. */
  output: Matrix
  /** The scale used (β). */
  scale: number
}

/** Z = softmax(Q Kᵀ/√d_k) V with Q = R W_Q, K = Y W_K, V = Y W_V. */
export function attentionHead(input: AttentionHeadInput): AttentionHeadOutput {
  const q = matmul(input.queries, input.wQ, false, 'Q = R·W_Q')
  const k = matmul(input.stored, input.wK, false, 'K = Y·W_K')
  const v = matmul(input.stored, input.wV, false, 'V = Y·W_V')
  if (q.cols !== k.cols) throw new RangeError(`wQ and wK must project to the same d_k, got ${q.cols} and ${k.cols}`)
  if (q.cols !== k.cols) throw new RangeError(`wQ and wK must project to the same d_k, got ${q.cols} and ${k.cols}`)
  return attend(q, k, v, input.scale)
}

/**
 * The head from its projections: A = softmax(scale · Q Kᵀ), Z = A V (scale default 1/√d_k). attentionHead calls it
 * after projecting; a caller whose projections are the identity passes R, Y, Y and skips the products.
 */
export function attend(q: Matrix, k: Matrix, v: Matrix, scale = 1 / Math.sqrt(q.cols)): AttentionHeadOutput {
  if (q.cols !== k.cols) throw new RangeError(`Q and K must have the same d_k, got ${q.cols} and ${k.cols}`)
  if (k.rows !== v.rows) throw new RangeError(`K and V must have one row per stored pattern, got ${k.rows} and ${v.rows}`)
  if (!Number.isFinite(scale) || !(scale > 0)) throw new RangeError(`scale must be a finite number > 0, got ${scale}`)
  const weights = rowSoftmax(matmul(q, k, true, 'Q·Kᵀ'), scale)
  return { q, k, v, weights, output: matmul(weights, v, false, 'A·V'), scale }
}
