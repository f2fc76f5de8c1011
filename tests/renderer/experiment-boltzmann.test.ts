// The Boltzmann machine sweep (004) on the experiments page: spec building from the form, the exact
// mode's size limit, reading a saved form back, and the learning chart.
import { describe, expect, it } from 'vitest'
import { experimentSpecSchema } from '../../src/shared/spec'
import { buildExperimentSpec, defaultForm, readForm, SWEEP_TYPES, type ExperimentForm } from '../../src/renderer/src/lib/experiment-spec'
import { boltzmannChart, type BoltzmannSweepResult } from '../../src/renderer/src/lib/experiment-charts'

const DATASETS = [
  { id: 'seeds-000-nine', count: 1, width: 3, height: 3 },
  { id: 'letters', count: 26, width: 10, height: 10 }
]

function form(patch: (f: ExperimentForm) => void): ExperimentForm {
  const f = defaultForm()
  f.source = 'custom'
  f.type = 'boltzmann'
  f.custom = { datasetId: 'seeds-000-nine', count: 1, threshold: 0.5, rule: 'hebb' }
  patch(f)
  return f
}

type Series = { id: string; yAxisIndex?: number; data: [number, number | string][] }

describe('Boltzmann sweep from the form', () => {
  it('is offered on the page with its caption', () => {
    const t = SWEEP_TYPES.find((s) => s.id === 'boltzmann')
    expect(t?.caption).toContain('exact needs visible+hidden ≤ 20')
  })

  it('exact: hidden units, epochs, η, decay, unseen share and cues, valid against the contract', () => {
    const built = buildExperimentSpec(
      form((f) => {
        f.boltzmann = { ...f.boltzmann, hidden: 2, mode: 'exact', epochs: 100, eta: 0.5, weightDecay: 0.001, unseen: 0.4, cuesPerPattern: 6 }
        f.seed = 3
      }),
      { model: null, datasets: DATASETS }
    )
    expect(built.error).toBeUndefined()
    expect(built.spec).toMatchObject({ seed: 3, dataset: { builtin: 'seeds-000-nine', count: 1 } })
    expect(built.spec?.sweep).toEqual({
      type: 'boltzmann',
      hidden: 2,
      mode: 'exact',
      epochs: 100,
      eta: 0.5,
      weightDecay: 0.001,
      clampedSamples: 10,
      freeSamples: 100,
      unseen: 0.4,
      cuesPerPattern: 6
    })
    expect(experimentSpecSchema.safeParse(built.spec).success).toBe(true)
  })

  it('exact needs visible + hidden ≤ 20; sampled does not', () => {
    const big = (mode: 'exact' | 'sampled') =>
      buildExperimentSpec(
        form((f) => {
          f.custom = { datasetId: 'letters', count: 2, threshold: 0.5, rule: 'hebb' }
          f.boltzmann.mode = mode
        }),
        { model: null, datasets: DATASETS }
      )
    expect(big('exact')).toMatchObject({ field: 'boltzmann.mode' })
    expect(big('exact').error).toContain('100 + 2')
    expect(big('sampled').error).toBeUndefined()
    expect(big('sampled').spec?.sweep).toMatchObject({ type: 'boltzmann', mode: 'sampled', clampedSamples: 10, freeSamples: 100 })
    // 9 visible + 12 hidden = 21 units: too many to enumerate.
    expect(buildExperimentSpec(form((f) => (f.boltzmann.hidden = 12)), { model: null, datasets: DATASETS })).toMatchObject({ field: 'boltzmann.mode' })
    expect(buildExperimentSpec(form((f) => (f.boltzmann.hidden = 11)), { model: null, datasets: DATASETS }).error).toBeUndefined()
  })

  it('out-of-range values name their field', () => {
    expect(buildExperimentSpec(form((f) => (f.boltzmann.eta = 0)), { model: null, datasets: DATASETS })).toMatchObject({ field: 'sweep.eta' })
    expect(buildExperimentSpec(form((f) => (f.boltzmann.unseen = 2)), { model: null, datasets: DATASETS })).toMatchObject({ field: 'sweep.unseen' })
  })

  it('reads a saved form back, dropping what does not fit', () => {
    const got = readForm({ type: 'boltzmann', boltzmann: { hidden: 3, mode: 'annealed', epochs: 50, eta: 'fast' } })
    expect(got.type).toBe('boltzmann')
    expect(got.boltzmann).toEqual({ ...defaultForm().boltzmann, hidden: 3, epochs: 50 })
  })
})

describe('Boltzmann chart', () => {
  it('log-likelihood per epoch on the left axis (gaps where null), gradient norm on the right', () => {
    const sweep: BoltzmannSweepResult = {
      type: 'boltzmann',
      visible: 9,
      hidden: 2,
      mode: 'exact',
      history: [
        { epoch: 2, logLikelihood: -3, gradientNorm: 0.4 },
        { epoch: 1, logLikelihood: -6, gradientNorm: 0.9 },
        { epoch: 3, logLikelihood: null, gradientNorm: 0.2 }
      ],
      patternProbabilities: [0.6],
      completion: { unseen: 0.3, success: 1, cues: 10 }
    }
    const series = boltzmannChart(sweep).series as Series[]
    expect(series.map((s) => s.id)).toEqual(['logLikelihood', 'gradientNorm'])
    expect(series[0]!.data).toEqual([
      [1, -6],
      [2, -3],
      [3, '-']
    ])
    expect(series[1]!.yAxisIndex).toBe(1)
    expect(series[1]!.data.map((d) => d[1])).toEqual([0.9, 0.4, 0.2])
  })
})
