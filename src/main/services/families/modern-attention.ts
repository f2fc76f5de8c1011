// The modern family's attention view (models.view 'modern.attention'; issue 10, seeds/002 and 004): the stored
// patterns as keys and values, the user's cues as queries, Q/K/V projections (identity, seeded random, or given);
// one attention head's A = softmax(Q Kᵀ/√d_k) and Z = A V on core/attention.ts, and the same head as one modern
// Hopfield update with β = 1/√d_k on core/modern-hopfield.ts, with the largest difference between the two.
import { ApiError } from '../../../shared/api'
import { ATTENTION_LIMITS, type ModernAttentionResult, type ModernAttentionView, type ModernInfo } from '../../../shared/families/modern'
import { attend, matmul, matrix, type Matrix } from '../../../core/attention'
import { headAsHopfield } from '../../../core/attention-hopfield'
import { Rng } from '../../../core/rng'
import { corruptValues } from './modern'

const bad = (field: string, message: string): ApiError => new ApiError({ code: 'bad-request', field, message: `${field}: ${message}` })

const rowsOf = (m: Matrix): number[][] => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)))

function gaussian(rng: Rng, rows: number, cols: number): Matrix {
  const sd = 1 / Math.sqrt(cols)
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => sd * rng.normal()) }
}

function given(m: number[][], rows: number, field: string): Matrix {
  if (m.length !== rows) throw bad(field, `has ${m.length} rows, expected d = ${rows} (one per pattern component)`)
  const cols = m[0]!.length
  const k = m.findIndex((r) => r.length !== cols)
  if (k >= 0) throw bad(`${field}[${k}]`, `has ${m[k]!.length} columns, expected ${cols} like row 0`)
  return matrix(rows, cols, m.flat(), field)
}

/** R [S, d] from the view's queries: cues drawn from one stream, or the given rows checked against d. */
function queriesOf(view: ModernAttentionView, info: ModernInfo, stored: Float64Array, field: string): { r: Matrix; from: number[] | null } {
  const d = info.units
  const q = view.queries
  if (q.from === 'given') {
    const k = q.values.findIndex((row) => row.length !== d)
    if (k >= 0) throw bad(`${field}.queries.values[${k}]`, `has ${q.values[k]!.length} values, expected d = ${d}`)
    return { r: matrix(q.values.length, d, q.values.flat()), from: null }
  }
  const k = q.patterns.findIndex((p) => p >= info.patterns)
  if (k >= 0) throw bad(`${field}.queries.patterns[${k}]`, `${q.patterns[k]} is out of range (the model stores ${info.patterns} patterns)`)
  const rng = new Rng(q.seed)
  const data = new Float64Array(q.patterns.length * d)
  q.patterns.forEach((p, i) => data.set(corruptValues(stored.subarray(p * d, (p + 1) * d), q.corruption, info.width, info.height, rng), i * d))
  return { r: { rows: q.patterns.length, cols: d, data }, from: [...q.patterns] }
}

/** The view; `stored` is the model's [T, d] patterns. Checks everything (and the work's size) before computing. */
export function attentionView(info: ModernInfo, stored: Float64Array, view: ModernAttentionView, field: string): ModernAttentionResult {
  const T = info.patterns
  const d = info.units
  if (T > ATTENTION_LIMITS.stored) throw bad('params.modelId', `the attention view draws at most ${ATTENTION_LIMITS.stored} stored patterns; this model stores ${T}`)
  const { r, from } = queriesOf(view, info, stored, field)
  const S = r.rows
  const y: Matrix = { rows: T, cols: d, data: stored }
  const p = view.projection
  let w: { q: Matrix; k: Matrix; v: Matrix } | null = null
  if (p.kind === 'random') {
    const rng = new Rng(p.seed)
    w = { q: gaussian(rng, d, p.dk), k: gaussian(rng, d, p.dk), v: p.dv === null ? { rows: d, cols: d, data: new Float64Array(0) } : gaussian(rng, d, p.dv) }
  } else if (p.kind === 'given') {
    w = { q: given(p.wQ, d, `${field}.projection.wQ`), k: given(p.wK, d, `${field}.projection.wK`), v: given(p.wV, d, `${field}.projection.wV`) }
    if (w.q.cols !== w.k.cols) throw bad(`${field}.projection.wK`, `projects to d_k = ${w.k.cols}, but wQ to ${w.q.cols}: they must agree`)
  }
  const dk = w ? w.q.cols : d
  const dv = w ? w.v.cols : d
  const identityV = !w || (p.kind === 'random' && p.dv === null)
  const work = (w ? S * d * dk + T * d * dk + (identityV ? 0 : T * d * dv) : 0) + S * T * (dk + dv)
  if (work > ATTENTION_LIMITS.work) {
    throw bad(`${field}.projection`, `this head needs ${work.toExponential(2)} multiply-adds, more than the view's ${ATTENTION_LIMITS.work.toExponential(0)}: use fewer patterns, queries or a smaller d_k / d_v`)
  }
  const head = w ? attend(matmul(r, w.q, false, 'Q = R·W_Q'), matmul(y, w.k, false, 'K = Y·W_K'), identityV ? y : matmul(y, w.v, false, 'V = Y·W_V')) : attend(r, y, y)
  const hop = headAsHopfield(head)
  const argmax = Array.from({ length: S }, (_, s) => {
    const row = head.weights.data.subarray(s * T, (s + 1) * T)
    return row.reduce((best, v, j) => (v > row[best]! ? j : best), 0)
  })
  return {
    kind: 'modern.attention',
    projection: p.kind,
    dims: { queries: S, stored: T, d, dk, dv },
    width: info.width,
    height: info.height,
    queryPatterns: from,
    queries: rowsOf(r),
    q: rowsOf(head.q),
    k: rowsOf(head.k),
    v: rowsOf(head.v),
    weights: rowsOf(head.weights),
    output: rowsOf(head.output),
    scale: head.scale,
    hopfieldOutput: rowsOf(hop.output),
    maxDiff: hop.maxDiff,
    argmax
  }
}
