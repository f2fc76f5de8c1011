// The attention view's pure parts: the form as a models.view request the shared schema accepts (the cue form's
// corruption and seed on each listed pattern), the fields named in error, the heatmap's layout (rows the queries,
// columns the stored patterns, the weight as the value) and the lines shown to the user.
import { describe, expect, it } from 'vitest'
import { viewRequestSchema } from '../../src/shared/families'
import type { ModernAttentionResult, ModernInfo } from '../../src/shared/families/modern'
import { attentionHeatmapOption, buildAttentionView, defaultAttentionForm, equivalenceText, queryLabels, shapesText } from '../../src/renderer/src/lib/attention'
import { defaultModernUi } from '../../src/renderer/src/lib/modern'

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
