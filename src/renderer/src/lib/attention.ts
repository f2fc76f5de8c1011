// The modern page's attention view, pure parts (issue 10; seeds/002 and 004): the form as a models.view request
// (queries: the cue form's corruption applied to a list of stored patterns; projections: identity or seeded random),
// the retrieval weights A as a heatmap (rows queries, columns stored patterns), and the "attention = Hopfield" line.
// Given projections: W_Q, W_K, W_V pasted or imported as CSV or JSON, parsed and checked against the shapes the model
// needs ([d, d_k], [d, d_k], [d, d_v]), an error naming the matrix, the row and the column. The form is saved with the
// session (the modern page's ui record), read back field by field.
import { ATTENTION_LIMITS, type ModernAttentionResult, type ModernAttentionView, type ModernInfo } from '../../../shared/families/modern'
import { cueCorruption, type RetrieveForm } from './modern'
import { parseRowList } from './rows'
import { AXIS_STYLE, TEXT_STYLE, type ChartOption } from './charts'
import { isObject } from './ui-record'

export const ATTENTION_PROJECTIONS = ['identity', 'random', 'given'] as const
/** The given matrices' form fields and their names in messages. */
export const GIVEN_MATRICES = [
  { field: 'wQ', name: 'W_Q' },
  { field: 'wK', name: 'W_K' },
  { field: 'wV', name: 'W_V' }
] as const
export type GivenField = (typeof GIVEN_MATRICES)[number]['field']
/** A given matrix's text is saved with the session up to this many characters (a larger one must be imported again). */
export const GIVEN_TEXT_SAVED_MAX = 1_000_000

export interface AttentionForm {
  /** Stored patterns to cue, e.g. "0-3, 7". */
  patterns: string
  projection: (typeof ATTENTION_PROJECTIONS)[number]
  dk: number
  /** d_v of a random W_V; null: W_V = I (the output is a picture). */
  dv: number | null
  seed: number
  /** Given W_Q, W_K, W_V as pasted or imported text (CSV rows, or a JSON array of rows). */
  wQ: string
  wK: string
  wV: string
}

export const defaultAttentionForm = (): AttentionForm => ({ patterns: '0-3', projection: 'identity', dk: 16, dv: null, seed: 0, wQ: '', wK: '', wV: '' })

type Parsed = { rows: number[][]; error?: undefined } | { rows?: undefined; error: string }

/**
 * A matrix from CSV (one row per line; values separated by commas, semicolons, tabs or spaces; blank lines and lines
 * starting with # skipped) or JSON (an array of rows, each an array of numbers). Errors name the matrix, the row and the
 * column, counting from 1.
 */
export function parseMatrixText(text: string, name: string): Parsed {
  const t = text.trim()
  if (t === '') return { error: `${name} is empty: paste or import its rows (CSV or JSON)` }
  if (t.startsWith('[') || t.startsWith('{')) {
    let json: unknown
    try {
      json = JSON.parse(t)
    } catch (e) {
      return { error: `${name}: not valid JSON (${(e as Error).message})` }
    }
    if (!Array.isArray(json)) return { error: `${name}: a JSON matrix is an array of rows, each an array of numbers` }
    const rows: number[][] = []
    for (let r = 0; r < json.length; r++) {
      const row: unknown = json[r]
      if (!Array.isArray(row)) return { error: `${name} row ${r + 1}: not an array of numbers` }
      for (let c = 0; c < row.length; c++) {
        const v: unknown = row[c]
        if (typeof v !== 'number' || !Number.isFinite(v)) return { error: `${name} row ${r + 1}, column ${c + 1}: ${JSON.stringify(v) ?? String(v)} is not a finite number` }
      }
      rows.push(row as number[])
    }
    return { rows }
  }
  const rows: number[][] = []
  const lines = t.split(/\r?\n/)
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const cells = line.split(/\s*[,;\t]\s*|\s+/)
    const row: number[] = []
    for (let c = 0; c < cells.length; c++) {
      const v = cells[c]!.trim() === '' ? NaN : Number(cells[c])
      if (!Number.isFinite(v)) return { error: `${name} row ${rows.length + 1} (line ${l + 1}), column ${c + 1}: '${cells[c]}' is not a finite number` }
      row.push(v)
    }
    rows.push(row)
  }
  return { rows }
}

/** The three given matrices, parsed and checked against d (rows), a shared d_k (W_Q, W_K) and d_v (W_V); or the matrix in error. */
export function buildGivenProjection(form: Pick<AttentionForm, GivenField>, d: number): { params: { kind: 'given'; wQ: number[][]; wK: number[][]; wV: number[][] }; error?: undefined; field?: undefined } | { params?: undefined; error: string; field: GivenField } {
  const out: Partial<Record<GivenField, number[][]>> = {}
  for (const { field, name } of GIVEN_MATRICES) {
    const p = parseMatrixText(form[field], name)
    if (p.error !== undefined) return { field, error: p.error }
    const rows = p.rows
    const want = field === 'wV' ? 'd_v' : 'd_k'
    if (rows.length !== d) return { field, error: `${name} has ${rows.length} rows; it needs d = ${d} rows (one per pattern component), each of ${want} columns` }
    const cols = rows[0]!.length
    if (cols < 1 || cols > ATTENTION_LIMITS.projected) return { field, error: `${name} row 1 has ${cols} columns; ${want} is from 1 to ${ATTENTION_LIMITS.projected}` }
    const r = rows.findIndex((row) => row.length !== cols)
    if (r >= 0) return { field, error: `${name} row ${r + 1} has ${rows[r]!.length} columns; row 1 has ${cols} (${want}): the shape must be [${d}, ${want}]` }
    if (field === 'wK' && cols !== out.wQ![0]!.length) return { field, error: `${name} has ${cols} columns; it needs d_k = ${out.wQ![0]!.length} like W_Q (shape [${d}, ${out.wQ![0]!.length}])` }
    out[field] = rows
  }
  return { params: { kind: 'given', wQ: out.wQ!, wK: out.wK!, wV: out.wV! } }
}

type Built<P> = { params: P; error?: undefined; field?: undefined } | { params?: undefined; error: string; field: string }

const intIn = (v: number | null, lo: number, hi: number): boolean => v !== null && Number.isInteger(v) && v >= lo && v <= hi

/** The view request: the cue form's corruption and seed on each listed stored pattern. */
export function buildAttentionView(form: AttentionForm, cue: RetrieveForm, info: ModernInfo): Built<ModernAttentionView> {
  let patterns: number[]
  try {
    patterns = parseRowList(form.patterns, info.patterns, ATTENTION_LIMITS.queries)
  } catch (e) {
    return { field: 'patterns', error: (e as Error).message.replace(/^rows/, 'patterns') }
  }
  if (info.patterns > ATTENTION_LIMITS.stored) return { field: 'patterns', error: `the attention view draws at most ${ATTENTION_LIMITS.stored} stored patterns; this memory has ${info.patterns}` }
  if (cue.cue !== 'lower-half' && !(cue.fraction >= 0 && cue.fraction <= 1)) return { field: 'fraction', error: 'the cue fraction must be from 0 to 1' }
  if (!intIn(cue.seed, 0, 2 ** 32 - 1)) return { field: 'seed', error: 'the cue seed is an integer ≥ 0' }
  const queries = { from: 'cues' as const, patterns, corruption: cueCorruption(cue, info), seed: cue.seed }
  if (form.projection === 'identity') return { params: { kind: 'modern.attention', queries, projection: { kind: 'identity' } } }
  if (form.projection === 'given') {
    const g = buildGivenProjection(form, info.units)
    return g.error !== undefined ? { field: g.field, error: g.error } : { params: { kind: 'modern.attention', queries, projection: g.params } }
  }
  if (!intIn(form.dk, 1, ATTENTION_LIMITS.projected)) return { field: 'dk', error: `d_k: an integer from 1 to ${ATTENTION_LIMITS.projected}` }
  if (form.dv !== null && !intIn(form.dv, 1, ATTENTION_LIMITS.projected)) return { field: 'dv', error: `d_v: an integer from 1 to ${ATTENTION_LIMITS.projected}, or empty for W_V = I` }
  if (!intIn(form.seed, 0, 2 ** 32 - 1)) return { field: 'projectionSeed', error: 'the projection seed is an integer ≥ 0' }
  return { params: { kind: 'modern.attention', queries, projection: { kind: 'random', dk: form.dk, dv: form.dv, seed: form.seed } } }
}

const intOk = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi

/** The form as saved with the session: a given matrix's text over GIVEN_TEXT_SAVED_MAX characters is left out. */
export function savedAttentionForm(form: AttentionForm): AttentionForm {
  const keep = (t: string) => (t.length <= GIVEN_TEXT_SAVED_MAX ? t : '')
  return { ...form, wQ: keep(form.wQ), wK: keep(form.wK), wV: keep(form.wV) }
}

/** A saved attention form read back field by field over the defaults (a bad field keeps its default). */
export function readAttentionForm(raw: unknown): AttentionForm {
  const f = defaultAttentionForm()
  if (!isObject(raw)) return f
  if (typeof raw.patterns === 'string' && raw.patterns.length <= 200) f.patterns = raw.patterns
  if ((ATTENTION_PROJECTIONS as readonly unknown[]).includes(raw.projection)) f.projection = raw.projection as AttentionForm['projection']
  if (intOk(raw.dk, 1, ATTENTION_LIMITS.projected)) f.dk = raw.dk
  if (raw.dv === null || intOk(raw.dv, 1, ATTENTION_LIMITS.projected)) f.dv = raw.dv as number | null
  if (intOk(raw.seed, 0, 2 ** 32 - 1)) f.seed = raw.seed
  for (const { field } of GIVEN_MATRICES) {
    const t = raw[field]
    if (typeof t === 'string' && t.length <= GIVEN_TEXT_SAVED_MAX) f[field] = t
  }
  return f
}

const name = (labels: readonly string[], i: number): string => labels[i] || `#${i}`

/** Row labels: "cue of A (q0)". */
export function queryLabels(r: ModernAttentionResult, labels: readonly string[]): string[] {
  return r.queries.map((_, s) => (r.queryPatterns ? `q${s}: ${name(labels, r.queryPatterns[s]!)}` : `q${s}`))
}

/** A [S, T] as a heatmap: rows the queries (first at the top), columns the stored patterns, colour 0 … 1. */
export function attentionHeatmapOption(r: ModernAttentionResult, labels: readonly string[]): ChartOption {
  const data: [number, number, number][] = []
  r.weights.forEach((row, s) => row.forEach((a, t) => data.push([t, s, a])))
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 70, right: 16, top: 8, bottom: 58 },
    tooltip: { position: 'top', formatter: (p) => { const v = (p as unknown as { value: [number, number, number] }).value; return `${queryLabels(r, labels)[v[1]]} → ${name(labels, v[0])}: ${v[2].toFixed(4)}` } },
    xAxis: { type: 'category', data: r.weights[0]!.map((_, t) => name(labels, t)), name: 'stored patterns (keys)', nameLocation: 'middle', nameGap: 22, splitArea: { show: true }, ...AXIS_STYLE },
    yAxis: { type: 'category', data: queryLabels(r, labels), inverse: true, splitArea: { show: true }, ...AXIS_STYLE },
    visualMap: { type: 'continuous', min: 0, max: 1, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, itemWidth: 10, text: ['1', '0'], inRange: { color: ['#f4f6f9', '#2f6fde', '#12306b'] }, textStyle: TEXT_STYLE },
    series: [{ type: 'heatmap', name: 'attention weight', data, emphasis: { itemStyle: { borderColor: '#1f2733', borderWidth: 1 } } }]
  }
}

/** "attention = Hopfield update, max |Δ| = 2.2e-16": the larger of the weights' and the outputs' differences. */
export function equivalenceText(r: ModernAttentionResult): string {
  const d = Math.max(r.maxDiff.weights, r.maxDiff.output)
  return `attention = Hopfield update (β = 1/√${r.dims.dk} = ${r.scale.toPrecision(4)}), max |Δ| = ${d === 0 ? '0' : d.toExponential(1)}`
}

/** "Q 4×16 · K 8×16 · V 8×100 · A 4×8 · Z 4×100". */
export function shapesText(r: ModernAttentionResult): string {
  const { queries: S, stored: T, dk, dv } = r.dims
  return `Q ${S}×${dk} · K ${T}×${dk} · V ${T}×${dv} · A ${S}×${T} · Z ${S}×${dv}`
}
