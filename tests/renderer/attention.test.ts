// The attention view's pure parts: the form as a models.view request the shared schema accepts (the cue form's
// corruption and seed on each listed pattern), the fields named in error, the heatmap's layout (rows the queries,
// columns the stored patterns, the weight as the value) and the lines shown to the user.
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it } from 'vitest'
import { useModernStore } from '../../src/renderer/src/stores/modern'
import { viewRequestSchema } from '../../src/shared/families'
import type { ModernAttentionResult, ModernInfo } from '../../src/shared/families/modern'
import {
  attentionHeatmapOption,
  buildAttentionView,
  defaultAttentionForm,
  equivalenceText,
  GIVEN_TEXT_SAVED_MAX,
  parseMatrixText,
  queryLabels,
  readAttentionForm,
  savedAttentionForm,
  shapesText
} from '../../src/renderer/src/lib/attention'
import { defaultModernUi, readModernUi } from '../../src/renderer/src/lib/modern'

const info = {
  kind: 'modern', id: 'm1', name: 'M',
  spec: { kind: 'modern', variant: 'continuous', beta: 0.5, values: 'bipolar', interaction: { kind: 'polynomial', degree: 3 } },
  dataset: { builtin: 'letters', count: 5, threshold: 0.5 },
  units: 35, patterns: 5, width: 5, height: 7, labels: ['A', 'B', 'C', 'D', 'E'],
  largestNorm: Math.sqrt(35), separations: [], wellSeparatedThreshold: null, capacityEstimate: null, createdAt: '2026-12-05T00:00:00Z'
} satisfies ModernInfo

describe('attention form', () => {
  const cue = defaultModernUi().retrieve
  it('builds a request the shared view schema accepts: identity, and random d_k with W_V = I or a d_v', () => {
    const id = buildAttentionView(defaultAttentionForm(), { ...cue, cue: 'lower-half', seed: 4 }, info)
    expect(id.error).toBeUndefined()
    expect(viewRequestSchema.parse(id.params)).toEqual({
      kind: 'modern.attention',
      queries: { from: 'cues', patterns: [0, 1, 2, 3], corruption: { type: 'mask', x: 0, y: 3, width: 5, height: 4, fill: 0 }, seed: 4 },
      projection: { kind: 'identity' }
    })
    const rand = buildAttentionView({ ...defaultAttentionForm(), patterns: '4, 1', projection: 'random', dk: 3, dv: null, seed: 9 }, cue, info)
    expect(viewRequestSchema.parse(rand.params)).toMatchObject({ queries: { patterns: [4, 1], corruption: { type: 'flip', fraction: 0.2 } }, projection: { kind: 'random', dk: 3, dv: null, seed: 9 } })
    expect(buildAttentionView({ ...defaultAttentionForm(), projection: 'random', dv: 6 }, cue, info).params?.projection).toEqual({ kind: 'random', dk: 16, dv: 6, seed: 0 })
  })

  it('names the field in error', () => {
    const f = defaultAttentionForm()
    expect(buildAttentionView({ ...f, patterns: '0-5' }, cue, info)).toMatchObject({ field: 'patterns', error: expect.stringMatching(/past the last/) })
    expect(buildAttentionView({ ...f, patterns: '' }, cue, info)).toMatchObject({ field: 'patterns' })
    expect(buildAttentionView({ ...f, projection: 'random', dk: 0 }, cue, info)).toMatchObject({ field: 'dk' })
    expect(buildAttentionView({ ...f, projection: 'random', dk: 2.5 }, cue, info)).toMatchObject({ field: 'dk' })
    expect(buildAttentionView({ ...f, projection: 'random', dv: 2000 }, cue, info)).toMatchObject({ field: 'dv' })
    expect(buildAttentionView(f, { ...cue, fraction: 1.5 }, info)).toMatchObject({ field: 'fraction' })
    expect(buildAttentionView(f, { ...cue, seed: -1 }, info)).toMatchObject({ field: 'seed' })
    expect(buildAttentionView(f, cue, { ...info, patterns: 513 })).toMatchObject({ field: 'patterns', error: expect.stringMatching(/512/) })
  })
})

describe('given projections (CSV or JSON)', () => {
  const cue = defaultModernUi().retrieve
  const csv = (rows: number, cols: number, at = (r: number, c: number) => (r + 1) / 10 + c) => Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => at(r, c)).join(', ')).join('\n')
  const json = (rows: number, cols: number) => JSON.stringify(Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => r - c)))

  it('parses CSV (commas, semicolons, tabs or spaces; blank and # lines skipped) and JSON', () => {
    expect(parseMatrixText('# W\n1, 2,3\n\n4;5\t6\n 7 8 9 \n', 'W_Q')).toEqual({ rows: [[1, 2, 3], [4, 5, 6], [7, 8, 9]] })
    expect(parseMatrixText('1e-3,-2.5\r\n0,1', 'W_Q')).toEqual({ rows: [[0.001, -2.5], [0, 1]] })
    expect(parseMatrixText(' [[1, 2], [3, 4]] ', 'W_K')).toEqual({ rows: [[1, 2], [3, 4]] })
  })

  it('builds a given projection the shared view schema accepts, from CSV and JSON alike', () => {
    const f = { ...defaultAttentionForm(), projection: 'given' as const, wQ: csv(35, 4), wK: json(35, 4), wV: csv(35, 2) }
    const b = buildAttentionView(f, cue, info)
    expect(b.error).toBeUndefined()
    const parsed = viewRequestSchema.parse(b.params) as { projection: { kind: string; wQ: number[][]; wK: number[][]; wV: number[][] } }
    expect(parsed.projection.kind).toBe('given')
    expect(parsed.projection.wQ[2]).toEqual([0.3, 1.3, 2.3, 3.3])
    expect(parsed.projection.wK[3]).toEqual([3, 2, 1, 0])
    expect(parsed.projection.wV).toHaveLength(35)
  })

  it('names the matrix, the row and the column, and the shape expected', () => {
    const f = { ...defaultAttentionForm(), projection: 'given' as const, wQ: csv(35, 4), wK: csv(35, 4), wV: csv(35, 2) }
    const err = (over: Partial<typeof f>) => buildAttentionView({ ...f, ...over }, cue, info)
    expect(err({ wQ: '' })).toMatchObject({ field: 'wQ', error: 'W_Q is empty: paste or import its rows (CSV or JSON)' })
    expect(err({ wK: csv(35, 4).replace('0.2, 1.2, 2.2', '0.2, 1.2, x') })).toMatchObject({ field: 'wK', error: "W_K row 2 (line 2), column 3: 'x' is not a finite number" })
    expect(err({ wV: '[[1, 2], [3, "a"]]' })).toMatchObject({ field: 'wV', error: 'W_V row 2, column 2: "a" is not a finite number' })
    expect(err({ wV: '[[1, 2], 3]' })).toMatchObject({ field: 'wV', error: 'W_V row 2: not an array of numbers' })
    expect(err({ wV: '{"a": 1}' })).toMatchObject({ field: 'wV', error: expect.stringMatching(/array of rows/) })
    expect(err({ wV: '[[1, 2]' })).toMatchObject({ field: 'wV', error: expect.stringMatching(/^W_V: not valid JSON/) })
    expect(err({ wQ: csv(34, 4) })).toMatchObject({ field: 'wQ', error: 'W_Q has 34 rows; it needs d = 35 rows (one per pattern component), each of d_k columns' })
    expect(err({ wV: csv(36, 2) })).toMatchObject({ field: 'wV', error: 'W_V has 36 rows; it needs d = 35 rows (one per pattern component), each of d_v columns' })
    expect(err({ wQ: `${csv(34, 4)}\n1, 2, 3` })).toMatchObject({ field: 'wQ', error: 'W_Q row 35 has 3 columns; row 1 has 4 (d_k): the shape must be [35, d_k]' })
    expect(err({ wK: csv(35, 5) })).toMatchObject({ field: 'wK', error: 'W_K has 5 columns; it needs d_k = 4 like W_Q (shape [35, 4])' })
    expect(err({ wV: csv(35, 1025) })).toMatchObject({ field: 'wV', error: 'W_V row 1 has 1025 columns; d_v is from 1 to 1024' })
  })

  it('the form is saved with the page state and read back field by field (a bad field keeps its default)', () => {
    const f = { ...defaultAttentionForm(), patterns: '1, 3', projection: 'given' as const, dk: 5, dv: 7, seed: 3, wQ: '1,2', wK: '[[1]]', wV: '3 4' }
    expect(readAttentionForm(JSON.parse(JSON.stringify(savedAttentionForm(f))))).toEqual(f)
    expect(readAttentionForm({ ...f, projection: 'learned', dk: 0, dv: 'x', seed: -1, wQ: 5 })).toEqual({ ...f, projection: 'identity', dk: 16, dv: null, seed: 0, wQ: '' })
    expect(readAttentionForm(null)).toEqual(defaultAttentionForm())
    // A given matrix too large to save is left out (imported again), the others kept.
    const big = 'x'.repeat(GIVEN_TEXT_SAVED_MAX + 1)
    expect(savedAttentionForm({ ...f, wV: big })).toEqual({ ...f, wV: '' })
    // In the modern page's ui record beside the store and retrieval forms.
    expect(readModernUi({ attention: { ...f } }).attention).toEqual(f)
    expect(readModernUi({}).attention).toEqual(defaultAttentionForm())
  })
})

describe('the attention form in the session', () => {
  it("is part of the modern page's saved state: a reopened session gets it back", () => {
    setActivePinia(createPinia())
    const before = useModernStore()
    before.attentionForm.patterns = '2, 4'
    before.attentionForm.projection = 'given'
    before.attentionForm.wQ = '1, 0\n0, 1'
    before.attentionForm.dv = 3
    // What the session's ui record holds goes through JSON.
    const saved = JSON.parse(JSON.stringify(before.snapshot())) as unknown
    setActivePinia(createPinia())
    const after = useModernStore()
    expect(after.attentionForm).toEqual(defaultAttentionForm())
    after.restore(saved)
    expect(after.attentionForm).toEqual({ ...defaultAttentionForm(), patterns: '2, 4', projection: 'given', wQ: '1, 0\n0, 1', dv: 3 })
  })
})

describe('attention heatmap and lines', () => {
  const r: ModernAttentionResult = {
    kind: 'modern.attention', projection: 'random', dims: { queries: 2, stored: 3, d: 35, dk: 4, dv: 35 }, width: 5, height: 7,
    queryPatterns: [2, 0], queries: [[], []], q: [], k: [], v: [],
    weights: [[0.1, 0.2, 0.7], [0.8, 0.15, 0.05]], output: [[], []], scale: 0.5, hopfieldOutput: [[], []],
    maxDiff: { weights: 5.6e-17, output: 2.2e-16 }, argmax: [2, 0]
  }
  it('rows are the queries, columns the stored patterns, each cell its weight', () => {
    const o = attentionHeatmapOption(r, info.labels) as { series: { data: number[][] }[]; xAxis: { data: string[] }; yAxis: { data: string[]; inverse: boolean }; visualMap: { min: number; max: number } }
    expect(o.series[0]!.data).toEqual([[0, 0, 0.1], [1, 0, 0.2], [2, 0, 0.7], [0, 1, 0.8], [1, 1, 0.15], [2, 1, 0.05]])
    expect(o.xAxis.data).toEqual(['A', 'B', 'C'])
    expect(o.yAxis).toMatchObject({ data: ['q0: C', 'q1: A'], inverse: true })
    expect(o.visualMap).toMatchObject({ min: 0, max: 1 })
    expect(queryLabels({ ...r, queryPatterns: null }, info.labels)).toEqual(['q0', 'q1'])
  })
  it('says attention = Hopfield with β = 1/√d_k and the largest difference, and the Q/K/V sizes', () => {
    expect(equivalenceText(r)).toBe('attention = Hopfield update (β = 1/√4 = 0.5000), max |Δ| = 2.2e-16')
    expect(equivalenceText({ ...r, maxDiff: { weights: 0, output: 0 } })).toMatch(/max \|Δ\| = 0$/)
    expect(shapesText(r)).toBe('Q 2×4 · K 3×4 · V 3×35 · A 2×3 · Z 2×35')
  })
})
