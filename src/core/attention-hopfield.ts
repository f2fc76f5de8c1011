// One attention head read as one modern Hopfield update on the same numbers (Ramsauer et al. 2020, eq. 10; seeds/004
// and seeds/002). The memory stores, for each stored pattern j, its key and value side by side, x_j = [k_j ; v_j]
// ∈ ℝ^(d_k + d_v); the state is the query padded with zeros, ξ_s = [q_s ; 0]. Then x_jᵀξ_s = k_jᵀq_s, so with
// β = the head's scale (1/√d_k) the update ξ_new = X softmax(β Xᵀξ) has the head's attention row as its weights and
// the head's output row Z_s = Σ_j A_sj v_j as its value part (its key part is Kᵀ A_s, the retrieved key). With the
// identity projections (Q = R, K = V = Y) the head is the plain autoassociative update ξ ← Yᵀ softmax(β Y ξ).
//
// The update is core/modern-hopfield.ts's (per-state sums), not the matrix products of core/attention.ts: the
// differences below compare two independent computations of the same quantity.
import type { AttentionHeadOutput, Matrix } from './attention'
import { modernHopfield, update } from './modern-hopfield'

export interface HeadAsHopfield {
  /** β of the update: the head's scale. */
  beta: number
  /** [S, T] the update's retrieval weights softmax(β Xᵀξ_s), one row per query. */
  weights: Matrix
  /** [S, d_k] the key part of ξ_new (the retrieved key). */
  keys: Matrix
  /** [S, d_v] the value part of ξ_new: the head's output by the Hopfield route. */
  output: Matrix
  /** max |A − p| and max |Z − value part| over all entries. */
  maxDiff: { weights: number; output: number }
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!))
  return m
}

/** The head's Q, K, V as one modern Hopfield update with β = head.scale, and how far it lies from the head's A and Z. */
export function headAsHopfield(head: AttentionHeadOutput): HeadAsHopfield {
  const { q, k, v, scale: beta } = head
  const T = k.rows
  const S = q.rows
  const dk = k.cols
  const dv = v.cols
  const width = dk + dv
  const stored = new Float64Array(T * width)
  for (let j = 0; j < T; j++) {
    stored.set(k.data.subarray(j * dk, (j + 1) * dk), j * width)
    stored.set(v.data.subarray(j * dv, (j + 1) * dv), j * width + dk)
  }
  const mem = modernHopfield({ data: stored, count: T, dim: width }, beta)
  const weights = new Float64Array(S * T)
  const keys = new Float64Array(S * dk)
  const output = new Float64Array(S * dv)
  const state = new Float64Array(width)
  for (let s = 0; s < S; s++) {
    state.fill(0)
    state.set(q.data.subarray(s * dk, (s + 1) * dk))
    const u = update(mem, state)
    weights.set(u.weights, s * T)
    keys.set(u.state.subarray(0, dk), s * dk)
    output.set(u.state.subarray(dk), s * dv)
  }
  return {
    beta,
    weights: { rows: S, cols: T, data: weights },
    keys: { rows: S, cols: dk, data: keys },
    output: { rows: S, cols: dv, data: output },
    maxDiff: { weights: maxAbsDiff(weights, head.weights.data), output: maxAbsDiff(output, head.output.data) }
  }
}
