import { describe, expect, it } from 'vitest'
import type { ModelInfo } from '../../src/shared/session'
import { experimentSpecSchema } from '../../src/shared/spec'
import { annealChart, bamSweepChart, scheduleChart, type AnnealSweepResult, type BamSweepResult } from '../../src/renderer/src/lib/experiment-charts'
import { buildExperimentSpec, buildSchedule, defaultForm, readForm, scheduleTemperatures, type ExperimentForm } from '../../src/renderer/src/lib/experiment-spec'

const model: ModelInfo = {
  kind: 'hopfield',
  id: 'm1',
  name: 'Hopfield · letters · 3',
  spec: { kind: 'hopfield', rule: 'hebb', normalisation: 'none' },
  dataset: { builtin: 'letters', count: 3, threshold: 0.5 },
  units: 35,
  patterns: 3,
  patternIndices: [0, 1, 2],
  width: 5,
  height: 7,
  storedFixedPoints: 3,
  seed: 4,
  createdAt: '2026-01-01T00:00:00.000Z'
}

function form(patch: (f: ExperimentForm) => void): ExperimentForm {
  const f = defaultForm()
  patch(f)
  return f
}

describe('bam sweep spec', () => {
  it('builds a valid spec on the active model’s dataset', () => {
    const b = buildExperimentSpec(
      form((f) => {
        f.type = 'bam'
        f.bam.cue = 'y'
        f.bam.fractions = '0..0.2:0.1'
      }),
      { model }
    )
    expect(b.error).toBeUndefined()
    expect(b.spec!.dataset).toEqual(model.dataset)
    expect(b.spec!.sweep).toEqual({ type: 'bam', bam: { kind: 'bam', codes: 'binary-index', encoding: 'bipolar' }, cue: 'y', fractions: [0, 0.1, 0.2], cuesPerPattern: 20, maxIterations: 100 })
    expect(experimentSpecSchema.safeParse(b.spec).success).toBe(true)
  })

  it("names the field: the dataset's codes off seeds-003-bam, a bad fraction list", () => {
    expect(buildExperimentSpec(form((f) => ((f.type = 'bam'), (f.bam.codes = 'dataset'))), { model }).field).toBe('bam.codes')
    const ok = buildExperimentSpec(
      form((f) => {
        f.type = 'bam'
        f.bam.codes = 'dataset'
        f.source = 'custom'
        f.custom.datasetId = 'seeds-003-bam'
        f.custom.count = 2
      }),
      { model: null }
    )
    expect(ok.error).toBeUndefined()
    expect(buildExperimentSpec(form((f) => ((f.type = 'bam'), (f.bam.fractions = '0..2:0.5'))), { model }).field).toBe('bam.fractions')
  })
})

describe('anneal sweep spec', () => {
  it('builds each schedule kind', () => {
    const a = defaultForm().anneal
    expect(buildSchedule(a).schedule).toEqual({ kind: 'geometric', start: 2, end: 0.05, steps: 30 })
    expect(buildSchedule({ ...a, schedule: 'linear', start: 1, end: 0, steps: 5 }).schedule).toEqual({ kind: 'linear', start: 1, end: 0, steps: 5 })
    expect(buildSchedule({ ...a, schedule: 'constant', temperature: 0.3, steps: 4 }).schedule).toEqual({ kind: 'constant', temperature: 0.3, steps: 4 })
    expect(buildSchedule({ ...a, schedule: 'custom', temperatures: '2 1, 0.5' }).schedule).toEqual({ kind: 'custom', temperatures: [2, 1, 0.5] })
    expect(buildSchedule({ ...a, schedule: 'custom', temperatures: '1, -2' }).error).toContain("'-2'")
    expect(buildSchedule({ ...a, schedule: 'geometric', end: 0 }).error).toContain('above 0')
  })

  it('gives the temperatures of a schedule', () => {
    expect(scheduleTemperatures({ kind: 'linear', start: 1, end: 0, steps: 5 })).toEqual([1, 0.75, 0.5, 0.25, 0])
    const g = scheduleTemperatures({ kind: 'geometric', start: 2, end: 0.02, steps: 3 })
    expect(g[0]).toBeCloseTo(2)
    expect(g[1]).toBeCloseTo(0.2)
    expect(g[2]).toBeCloseTo(0.02)
    expect(scheduleTemperatures({ kind: 'constant', temperature: 0.5, steps: 3 })).toEqual([0.5, 0.5, 0.5])
    expect(scheduleTemperatures({ kind: 'geometric', start: 2, end: 1, steps: 1 })).toEqual([2])
  })

  it('builds a valid spec, and names the schedule field on a bad list', () => {
    const b = buildExperimentSpec(
      form((f) => {
        f.type = 'anneal'
        f.anneal.completion = 'clamped'
        f.anneal.fractions = '0.1, 0.3'
        f.anneal.cuesPerPattern = 3
      }),
      { model }
    )
    expect(b.error).toBeUndefined()
    expect(b.spec!.sweep).toEqual({
      type: 'anneal',
      completion: 'clamped',
      schedule: { kind: 'geometric', start: 2, end: 0.05, steps: 30 },
      sweepsPerTemperature: 2,
      averageLast: 5,
      fractions: [0.1, 0.3],
      cuesPerPattern: 3
    })
    expect(experimentSpecSchema.safeParse(b.spec).success).toBe(true)
    const bad = buildExperimentSpec(form((f) => ((f.type = 'anneal'), (f.anneal.schedule = 'custom'), (f.anneal.temperatures = 'hot'))), { model })
    expect(bad.field).toBe('anneal.schedule')
  })

  it('reads both blocks back from a saved form', () => {
    const f = readForm({ type: 'anneal', bam: { cue: 'y', codes: 'bogus' }, anneal: { schedule: 'custom', temperatures: '3, 1', completion: 'x', steps: 7 } })
    expect(f.type).toBe('anneal')
    expect(f.bam.cue).toBe('y')
    expect(f.bam.codes).toBe('binary-index')
    expect(f.anneal.schedule).toBe('custom')
    expect(f.anneal.temperatures).toBe('3, 1')
    expect(f.anneal.completion).toBe('noisy')
    expect(f.anneal.steps).toBe(7)
  })
})

describe('bam and anneal charts', () => {
  it('plots pair recall, the other layer and spurious states against the fraction', () => {
    const sweep: BamSweepResult = {
      type: 'bam',
      xUnits: 35,
      yUnits: 2,
      cue: 'x',
      points: [
        { fraction: 0.2, pairSuccess: 0.5, recallSuccess: 0.6, spurious: 0.3, meanHalfSteps: 3, cues: 10 },
        { fraction: 0, pairSuccess: 1, recallSuccess: 1, spurious: 0, meanHalfSteps: 2, cues: 10 }
      ]
    }
    const o = bamSweepChart(sweep)
    const series = o.series as { id: string; name: string; data: number[][] }[]
    expect(series.map((s) => s.id)).toEqual(['pair', 'recall', 'spurious'])
    expect(series[0]!.data).toEqual([
      [0, 1],
      [0.2, 0.5]
    ])
    expect(series[1]!.name).toBe('Y recalled')
    expect(series[2]!.data[1]).toEqual([0.2, 0.3])
    expect((o.xAxis as { name: string }).name).toContain('X flipped')
  })

  it('plots annealed against deterministic success, and the schedule', () => {
    const sweep: AnnealSweepResult = {
      type: 'anneal',
      completion: 'clamped',
      temperatures: [2, 1, 0.5],
      points: [
        { fraction: 0.1, annealed: 0.9, deterministic: 0.7, meanEnergyAnnealed: -10, meanEnergyDeterministic: -8, cues: 5 },
        { fraction: 0.3, annealed: 0.6, deterministic: 0.2, meanEnergyAnnealed: -9, meanEnergyDeterministic: -5, cues: 5 }
      ]
    }
    const o = annealChart(sweep)
    const series = o.series as { id: string; data: number[][] }[]
    expect(series.map((s) => s.id)).toEqual(['annealed', 'deterministic'])
    expect(series[0]!.data).toEqual([
      [0.1, 0.9],
      [0.3, 0.6]
    ])
    expect(series[1]!.data[1]).toEqual([0.3, 0.2])
    expect((o.xAxis as { name: string }).name).toContain('unknown')
    const s = scheduleChart(sweep.temperatures)
    expect((s.series as { data: number[][] }[])[0]!.data).toEqual([
      [1, 2],
      [2, 1],
      [3, 0.5]
    ])
    expect((s.xAxis as { max: number }).max).toBe(3)
  })
})
