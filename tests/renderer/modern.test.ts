// The modern Hopfield page's pure parts: the forms as API params (checked by the shared schemas), the cue's mask
// geometry, the outcome in words, and the page state read back from a session.
import { describe, expect, it } from 'vitest'
import { modelSpecSchema, runRequestSchema } from '../../src/shared/families'
import type { ModernInfo, ModernRetrieveResult } from '../../src/shared/families/modern'
import { betaText, boundText, buildModernRetrieve, buildModernTrain, cueCorruption, defaultModernUi, modernEnergyOption, modernOutcome, readModernUi, weightsOption } from '../../src/renderer/src/lib/modern'

const info = {
  kind: 'modern',
  id: 'm1',
  name: 'M',
  spec: { kind: 'modern', variant: 'continuous', beta: 0.5, values: 'bipolar', interaction: { kind: 'polynomial', degree: 3 } },
  dataset: { builtin: 'letters', count: 3, threshold: 0.5 },
  units: 35,
  patterns: 3,
  width: 5,
  height: 7,
  labels: ['A', 'B', 'C'],
  largestNorm: Math.sqrt(35),
  separations: [10, 12, 10],
  wellSeparatedThreshold: 20,
  capacityEstimate: null,
  createdAt: '2026-12-05T00:00:00Z'
} satisfies ModernInfo

describe('modern Hopfield forms', () => {
  it('builds models.train params the shared schema accepts, and names the field of a bad value', () => {
    const ui = defaultModernUi()
    const ok = buildModernTrain(ui.form, [{ id: 'letters', count: 26 }])
    expect(ok.error).toBeUndefined()
    expect(modelSpecSchema.parse(ok.params!.model)).toMatchObject({ kind: 'modern', variant: 'continuous', beta: 0.5 })
    expect(buildModernTrain({ ...ui.form, count: 27 }, [{ id: 'letters', count: 26 }])).toMatchObject({ field: 'count' })
    expect(buildModernTrain({ ...ui.form, beta: 0 })).toMatchObject({ field: 'beta' })
    expect(buildModernTrain({ ...ui.form, beta: Number.NaN })).toMatchObject({ field: 'beta' })
    expect(buildModernTrain({ ...ui.form, variant: 'dense', degree: 1 })).toMatchObject({ field: 'degree' })
    // The dense memory stores ±1 patterns whatever the values field says; exp has no degree.
    const dense = buildModernTrain({ ...ui.form, variant: 'dense', values: 'grey', interaction: 'exp', degree: 1 })
    expect(dense.params?.model).toMatchObject({ variant: 'dense', values: 'bipolar', interaction: { kind: 'exp' } })
  })

  it('masks the lower half of a 5×7 image from row 3 down (4 rows), and builds runs the schema accepts', () => {
    const form = { ...defaultModernUi().retrieve, cue: 'lower-half' as const }
    expect(cueCorruption(form, info)).toEqual({ type: 'mask', x: 0, y: 3, width: 5, height: 4, fill: 0 })
    const run = buildModernRetrieve({ ...form, beta: 2 }, info)
    expect(runRequestSchema.parse(run.params)).toMatchObject({ kind: 'modern.retrieve', beta: 2, pattern: 0 })
    expect(buildModernRetrieve({ ...form, pattern: 3 }, info)).toMatchObject({ field: 'pattern' })
    expect(buildModernRetrieve({ ...form, cue: 'flip', fraction: 1.5 }, info)).toMatchObject({ field: 'fraction' })
    expect(buildModernRetrieve({ ...form, maxSteps: 0 }, info)).toMatchObject({ field: 'maxSteps' })
    // The dense memory has no β: the form's β is not sent.
    const dense = { ...info, spec: { ...info.spec, variant: 'dense' as const } }
    expect(buildModernRetrieve({ ...form, beta: 2 }, dense).params).not.toHaveProperty('beta')
  })

  it('says how a retrieval ended, and draws one bar per stored pattern with the cue’s pattern marked', () => {
    const base: ModernRetrieveResult = {
      modelId: 'm1',
      variant: 'continuous',
      beta: 0.5,
      pattern: 1,
      cue: [],
      steps: [
        { state: [], weights: [0.2, 0.6, 0.2], energy: 3 },
        { state: [], weights: [0, 1, 0], energy: 1 }
      ],
      converged: true,
      retrieved: 1,
      error: 0,
      hamming: 0,
      fixedPoint: { kind: 'single', patterns: [1], effectiveCount: 1 },
      errorBound: 0.1
    }
    expect(modernOutcome(base, info.labels)).toEqual({ verdict: 'retrieved', text: 'retrieved B' })
    expect(modernOutcome({ ...base, fixedPoint: { kind: 'global', patterns: [0, 1, 2], effectiveCount: 3 } }, info.labels).text).toBe('global average over all stored patterns')
    expect(modernOutcome({ ...base, fixedPoint: { kind: 'metastable', patterns: [2, 0], effectiveCount: 2 } }, info.labels).text).toBe('metastable state over C, A')
    expect(modernOutcome({ ...base, retrieved: 2, fixedPoint: { kind: 'single', patterns: [2], effectiveCount: 1 } }, info.labels).text).toBe('settled on C, not B')
    expect(betaText(0.5)).toBe('0.5')
    expect(betaText(3.2e-4)).toBe('3.2e-4')
    expect(boundText(0.01, 10)).toBe("one update's error ≤ 0.0100")
    expect(boundText(1e34, 10)).toBe('vacuous from this cue (too far from its pattern)')
    const bars = weightsOption(base, 0, info.labels) as { series: { data: { value: number }[] }[] }
    expect(bars.series[0]!.data.map((d) => d.value)).toEqual([0.2, 0.6, 0.2])
    const energy = modernEnergyOption(base, 1) as { series: { data: number[][] }[] }
    expect(energy.series[0]!.data).toEqual([[0, 3], [1, 1]])
  })

  it('reads the page state back field by field, ignoring what does not fit', () => {
    const ui = readModernUi({ form: { datasetId: 'digits', count: 5, variant: 'dense', beta: -1, interaction: 'exp' }, retrieve: { cue: 'lower-half', fraction: 2, beta: null }, selectedId: 'x' })
    expect(ui.form).toMatchObject({ datasetId: 'digits', count: 5, variant: 'dense', beta: 0.5, interaction: 'exp' })
    expect(ui.retrieve).toMatchObject({ cue: 'lower-half', fraction: 0.2, beta: null })
    expect(ui.selectedId).toBe('x')
    expect(readModernUi('junk')).toEqual(defaultModernUi())
  })
})
