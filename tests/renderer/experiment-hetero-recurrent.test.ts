// The hetero-associative and recurrent auto-associator sweeps (003) on the experiments page: spec
// building from the form, reading a saved form back, and their chart options.
import { describe, expect, it } from 'vitest'
import { experimentSpecSchema } from '../../src/shared/spec'
import { buildExperimentSpec, defaultForm, isGreyDataset, readForm, SWEEP_TYPES, type ExperimentForm } from '../../src/renderer/src/lib/experiment-spec'
import { heteroChart, RECURRENT_OUTCOMES, recurrentChart, type HeteroSweepResult, type RecurrentSweepResult } from '../../src/renderer/src/lib/experiment-charts'

function form(patch: (f: ExperimentForm) => void): ExperimentForm {
  const f = defaultForm()
  f.source = 'custom'
  patch(f)
  return f
}

type Series = { id: string; name: string; stack?: string; areaStyle?: unknown; data: [number, number][] }

describe('hetero and recurrent sweeps from the form', () => {
  it('are offered on the page', () => {
    expect(SWEEP_TYPES.map((t) => t.id)).toEqual(expect.arrayContaining(['hetero', 'recurrent']))
  })

  it('hetero: the dataset, codes, fractions and cues, valid against the contract', () => {
    const built = buildExperimentSpec(
      form((f) => {
        f.type = 'hetero'
        f.custom = { datasetId: 'seeds-003-bam', count: 3, threshold: 0.5, rule: 'hebb' }
        f.hetero = { codes: 'dataset', fractions: '0.2, 0..0.1:0.05', cuesPerPattern: 7 }
        f.seed = 9
      }),
      { model: null }
    )
    expect(built.error).toBeUndefined()
    expect(built.spec).toMatchObject({ seed: 9, dataset: { builtin: 'seeds-003-bam', count: 3 }, sweep: { type: 'hetero', codes: 'dataset', fractions: [0, 0.05, 0.1, 0.2], cuesPerPattern: 7 } })
    expect(experimentSpecSchema.safeParse(built.spec).success).toBe(true)
  })

  it("hetero: 'dataset' codes only on seeds-003-bam, and bad fractions name their field", () => {
    const codes = buildExperimentSpec(
      form((f) => {
        f.type = 'hetero'
        f.custom.datasetId = 'letters'
        f.hetero.codes = 'dataset'
      }),
      { model: null }
    )
    expect(codes.field).toBe('hetero.codes')
    const bad = buildExperimentSpec(
      form((f) => {
        f.type = 'hetero'
        f.hetero.fractions = '0, 2'
      }),
      { model: null }
    )
    expect(bad.field).toBe('hetero.fractions')
    expect(bad.error).toMatch(/outside 0…1/)
  })

  it('recurrent: modified, activation, corruption, fractions, cues and the iteration limit', () => {
    const built = buildExperimentSpec(
      form((f) => {
        f.type = 'recurrent'
        f.custom = { datasetId: 'seeds-003-auto', count: 1, threshold: 0.5, rule: 'hebb' }
        f.recurrent = { modified: false, activation: 'keep', corruption: 'flip', fractions: '0.75', cuesPerPattern: 4, maxIterations: 12 }
      }),
      { model: null }
    )
    expect(built.error).toBeUndefined()
    expect(built.spec?.sweep).toEqual({ type: 'recurrent', modified: false, activation: 'keep', corruption: 'flip', fractions: [0.75], cuesPerPattern: 4, maxIterations: 12 })
    expect(experimentSpecSchema.safeParse(built.spec).success).toBe(true)
    const bad = buildExperimentSpec(
      form((f) => {
        f.type = 'recurrent'
        f.recurrent.fractions = ''
      }),
      { model: null }
    )
    expect(bad.field).toBe('recurrent.fractions')
  })

  it("imported datasets ('user:<name>') can be picked, binarised at the form's threshold", () => {
    expect(isGreyDataset('user:mnist')).toBe(true)
    expect(isGreyDataset('digits')).toBe(true)
    expect(isGreyDataset('letters')).toBe(false)
    const built = buildExperimentSpec(
      form((f) => {
        f.type = 'recurrent'
        f.custom = { datasetId: 'user:tiny', count: 4, threshold: 0.3, rule: 'hebb' }
      }),
      { model: null, datasets: [{ id: 'user:tiny', count: 12, width: 5, height: 4 }] }
    )
    expect(built.error).toBeUndefined()
    expect(built.spec?.dataset).toEqual({ builtin: 'user:tiny', count: 4, threshold: 0.3 })
    const tooMany = buildExperimentSpec(
      form((f) => {
        f.type = 'recurrent'
        f.custom = { datasetId: 'user:tiny', count: 20, threshold: 0.5, rule: 'hebb' }
      }),
      { model: null, datasets: [{ id: 'user:tiny', count: 12, width: 5, height: 4 }] }
    )
    expect(tooMany.field).toBe('custom.count')
  })

  it('reads the new blocks back from a saved form, and keeps defaults for bad values', () => {
    const f = form((x) => {
      x.type = 'recurrent'
      x.custom.datasetId = 'user:tiny'
      x.hetero = { codes: 'one-hot', fractions: '0.1', cuesPerPattern: 3 }
      x.recurrent = { modified: false, activation: 'keep', corruption: 'flip', fractions: '0.5', cuesPerPattern: 2, maxIterations: 7 }
    })
    expect(readForm(JSON.parse(JSON.stringify(f)))).toEqual(f)
    const got = readForm({ type: 'hetero', custom: { datasetId: 'user:Bad Name' }, hetero: { codes: 'gray' }, recurrent: { activation: 'tanh', modified: 'yes' } })
    expect(got.type).toBe('hetero')
    expect(got.custom.datasetId).toBe(defaultForm().custom.datasetId)
    expect(got.hetero.codes).toBe(defaultForm().hetero.codes)
    expect(got.recurrent).toEqual(defaultForm().recurrent)
  })
})

describe('hetero and recurrent charts', () => {
  it('hetero: success against the fraction flipped, sorted, with the layer sizes', () => {
    const sweep: HeteroSweepResult = {
      type: 'hetero',
      inputs: 15,
      outputs: 3,
      conditions: { allOrthogonal: false, condition2: false, violations: [{ p1: 0, p2: 1, dot: 3, sameTarget: false }], minNormSquared: 15, disturbanceBound: 0.2, boundApplies: false },
      points: [
        { fraction: 0.2, success: 0.5, cues: 10 },
        { fraction: 0, success: 1, cues: 10 }
      ]
    }
    const option = heteroChart(sweep)
    const series = option.series as Series[]
    expect(series).toHaveLength(1)
    expect(series[0]!.data).toEqual([
      [0, 1],
      [0.2, 0.5]
    ])
    expect(series[0]!.name).toContain('15 → 3')
  })

  it('recurrent: recovered, another stored pattern (storedMatch − recovered), repeat and limit stacked to 1; x axis named by the corruption', () => {
    const sweep: RecurrentSweepResult = {
      type: 'recurrent',
      points: [
        { fraction: 0.75, recovered: 0.5, storedMatch: 0.6, repeat: 0.3, maxIterations: 0.1, meanIterations: 3, cues: 10 },
        { fraction: 0.25, recovered: 1, storedMatch: 1, repeat: 0, maxIterations: 0, meanIterations: 1, cues: 10 }
      ]
    }
    const option = recurrentChart(sweep, 'missing')
    const series = option.series as Series[]
    expect(series.map((s) => s.id)).toEqual(RECURRENT_OUTCOMES.map((o) => o.key))
    expect(series.every((s) => s.stack === 'outcome' && s.areaStyle)).toBe(true)
    expect(series[0]!.data).toEqual([
      [0.25, 1],
      [0.75, 0.5]
    ])
    expect(series[1]!.data.map((d) => d[1])).toEqual([0, expect.closeTo(0.1, 12)])
    expect(series.reduce((sum, s) => sum + s.data[0]![1], 0)).toBeCloseTo(1, 12)
    expect(series.reduce((sum, s) => sum + s.data[1]![1], 0)).toBeCloseTo(1, 12)
    expect((option.xAxis as { name: string }).name).toMatch(/missing/)
    expect((recurrentChart(sweep, 'flip').xAxis as { name: string }).name).toMatch(/flipped/)
  })
})
