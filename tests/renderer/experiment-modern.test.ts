// The experiments page's modern Hopfield sweeps: the form → specs the contract accepts (fields named when wrong),
// forms read back from a session, and the charts drawn from real sweep results.
import { describe, expect, it } from 'vitest'
import { experimentSpecSchema, type SweepResult } from '../../src/shared/spec'
import { buildExperimentSpec, defaultForm, readForm } from '../../src/renderer/src/lib/experiment-spec'
import { betaChart, denseCapacityChart } from '../../src/renderer/src/lib/experiment-charts'
import { interactionLabel } from '../../src/shared/spec'

const model = { dataset: { builtin: 'letters' as const, count: 5, threshold: 0.5 }, spec: { kind: 'hopfield' as const, rule: 'hebb' as const, normalisation: 'none' as const }, seed: 1, name: 'M', patterns: 5, units: 100 }

describe('dense-capacity and beta sweeps on the experiments page', () => {
  it('builds a dense-capacity spec with the ticked F, no dataset needed', () => {
    const form = { ...defaultForm(), type: 'dense-capacity' as const }
    const built = buildExperimentSpec(form, { model: null })
    expect(built.error).toBeUndefined()
    const spec = experimentSpecSchema.parse(built.spec)
    expect(spec.sweep).toMatchObject({ type: 'dense-capacity', units: 100, patternCounts: [10, 20, 50, 100, 200, 400], interactions: [{ kind: 'polynomial', degree: 2 }, { kind: 'polynomial', degree: 3 }, { kind: 'exp' }] })
    expect(spec.dataset).toBeUndefined()
    expect(buildExperimentSpec({ ...form, denseCapacity: { ...form.denseCapacity, interactions: [] } }, { model: null })).toMatchObject({ field: 'denseCapacity.interactions' })
    expect(buildExperimentSpec({ ...form, denseCapacity: { ...form.denseCapacity, patterns: '0, 5' } }, { model: null })).toMatchObject({ field: 'denseCapacity.patterns' })
  })

  it('builds a beta sweep on the active model’s patterns, refusing β ≤ 0 by field', () => {
    const form = { ...defaultForm(), type: 'beta' as const }
    const built = buildExperimentSpec(form, { model })
    const spec = experimentSpecSchema.parse(built.spec)
    expect(spec.sweep).toMatchObject({ type: 'beta', betas: [0.0001, 0.001, 0.01, 0.03, 0.1, 0.3, 1], corruption: { type: 'flip', fraction: 0.2 } })
    expect(spec.dataset).toMatchObject({ builtin: 'letters', count: 5 })
    expect(buildExperimentSpec({ ...form, beta: { ...form.beta, betas: '0, 1' } }, { model })).toMatchObject({ field: 'beta.betas' })
    const masked = buildExperimentSpec({ ...form, beta: { ...form.beta, corruption: 'maskFraction' } }, { model })
    expect(masked.spec?.sweep).toMatchObject({ corruption: { type: 'maskFraction', fill: 0 } })
  })

  it('reads the forms back from a session, keeping only known interactions', () => {
    const form = readForm({ type: 'dense-capacity', denseCapacity: { units: 64, interactions: ['exp', 'nope', 'x3'] }, beta: { corruption: 'bogus', cuesPerPattern: 9 } })
    expect(form.type).toBe('dense-capacity')
    expect(form.denseCapacity).toMatchObject({ units: 64, interactions: ['x3', 'exp'] })
    expect(form.beta).toMatchObject({ corruption: 'flip', cuesPerPattern: 9 })
  })

  it('draws recall and fixed points per F with the theory lines, and the β sweep’s shares', () => {
    const dense: Extract<SweepResult, { type: 'dense-capacity' }> = {
      type: 'dense-capacity',
      units: 100,
      noise: 0.1,
      theory: { hebbCritical: 13.8, krotovHopfield: [{ degree: 2, capacity: 10.86 }, { degree: 3, capacity: 361.9 }] },
      points: [
        { interaction: { kind: 'polynomial', degree: 2 }, patterns: 10, trials: 1, recalled: 1, stable: 1 },
        { interaction: { kind: 'polynomial', degree: 2 }, patterns: 40, trials: 1, recalled: 0, stable: 0.1 },
        { interaction: { kind: 'exp' }, patterns: 40, trials: 1, recalled: 1, stable: 1 }
      ]
    }
    const c = denseCapacityChart(dense) as { series: { id: string; data: number[][]; markLine?: { data: { xAxis: number; name: string }[] } }[] }
    expect(c.series.map((s) => s.id)).toEqual(['x² (Hebb):recall', 'x² (Hebb):stable', 'exp(x):recall', 'exp(x):stable'])
    expect(c.series[1]!.data).toEqual([[10, 1], [40, 0.1]])
    expect(c.series[0]!.markLine!.data).toEqual([{ xAxis: 13.8, name: '0.138 N' }, { xAxis: 361.9, name: 'n = 3: N^2/(2(2n−3)!! ln N)' }])
    expect(interactionLabel({ kind: 'rectified-polynomial', degree: 3 })).toBe('max(x,0)³')
    const beta: Extract<SweepResult, { type: 'beta' }> = {
      type: 'beta',
      patterns: 5,
      units: 100,
      largestNorm: 10,
      minSeparation: 16,
      classical: { retrieved: 0.1, otherPattern: 0.2, spurious: 0.7 },
      cues: 10,
      points: [{ beta: 1, meanError: 0, retrieved: 1, oneStep: 0.9, meanSteps: 2, kinds: { global: 0, metastable: 2, single: 8 }, wellSeparatedThreshold: 4, wellSeparated: 5, sphereRadius: 0.02 }]
    }
    const b = betaChart(beta) as { series: { id: string; data: number[][]; markLine?: { data: { yAxis: number; name: string }[] } }[] }
    expect(b.series[0]!.markLine!.data).toEqual([{ yAxis: 0.1, name: 'Hebb net, same cues: 10 % retrieved' }])
    expect(b.series.find((s) => s.id === 'single')!.data).toEqual([[1, 0.8]])
    expect(b.series.find((s) => s.id === 'metastable')!.data).toEqual([[1, 0.2]])
  })
})
