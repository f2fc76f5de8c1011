import { describe, expect, it } from 'vitest'
import { accuracyChart, compact, epochAxisMax, freeEnergyChart, pseudoLikelihoodChart, reconstructionChart } from '../../src/renderer/src/lib/rbm-charts'
import type { EpochPoint } from '../../src/renderer/src/lib/rbm-spec'

interface Series {
  id: string
  name: string
  data: [number, number][]
  yAxisIndex?: number
  lineStyle: { type?: string }
}

const history: EpochPoint[] = [
  { epoch: 1, reconstructionError: 0.08, pseudoLikelihood: -120, freeEnergyTrain: -40, freeEnergyHeldOut: -39 },
  { epoch: 2, reconstructionError: 0.06, pseudoLikelihood: -100, freeEnergyTrain: -60, freeEnergyHeldOut: -57 }
]

describe('RBM training charts', () => {
  it('reconstruction error per epoch, no animation, x axis to the planned epochs while training', () => {
    const option = reconstructionChart(history, { epochs: 10 })
    expect(option.animation).toBe(false)
    const series = option.series as Series[]
    expect(series).toHaveLength(1)
    expect(series[0]!.data).toEqual([
      [1, 0.08],
      [2, 0.06]
    ])
    expect(option.xAxis).toMatchObject({ min: 1, max: 10, minInterval: 1 })
    // Without a plan the axis ends at the last epoch (at least 2, so one point is not squeezed).
    expect(reconstructionChart(history.slice(0, 1)).xAxis).toMatchObject({ min: 1, max: 2 })
  })

  it('reaches ahead of the last epoch toward the plan, without squeezing a long run', () => {
    expect(epochAxisMax(1, 3)).toBe(3)
    expect(epochAxisMax(2, 10)).toBe(10)
    expect(epochAxisMax(12, 200)).toBe(18)
    expect(epochAxisMax(150, 200)).toBe(200)
    expect(epochAxisMax(30)).toBe(30)
    expect(epochAxisMax(1)).toBe(2)
  })

  it('pseudo-log-likelihood, named for Gaussian units as what the backend reports there', () => {
    const bernoulli = pseudoLikelihoodChart(history).series as Series[]
    expect(bernoulli[0]!.name).toBe('pseudo-log-likelihood')
    expect(bernoulli[0]!.data.map((d) => d[1])).toEqual([-120, -100])
    expect((pseudoLikelihoodChart(history, { gaussian: true }).series as Series[])[0]!.name).toContain('reconstruction')
  })

  it('free energy: train and held-out on the left, the gap dashed on the right', () => {
    const option = freeEnergyChart(history)
    expect(option.animation).toBe(false)
    const series = option.series as Series[]
    expect(series.map((s) => s.id)).toEqual(['fe-train', 'fe-held', 'fe-gap'])
    expect(series[2]!.data).toEqual([
      [1, 1],
      [2, 3]
    ])
    expect(series[2]!.yAxisIndex).toBe(1)
    expect(series[2]!.lineStyle.type).toBe('dashed')
    expect(option.yAxis).toHaveLength(2)
  })

  it('free energy without held-out rows: the training curve alone, one axis', () => {
    const option = freeEnergyChart(history.map((p) => ({ ...p, freeEnergyHeldOut: null })))
    expect((option.series as Series[]).map((s) => s.id)).toEqual(['fe-train'])
    expect(Array.isArray(option.yAxis)).toBe(false)
  })

  it('accuracy of a classification RBM in percent, train and held-out; none for a plain RBM', () => {
    const labelled: EpochPoint[] = [
      { ...history[0]!, accuracyTrain: 0.5, accuracyHeldOut: 0.45 },
      { ...history[1]!, accuracyTrain: 0.8, accuracyHeldOut: null }
    ]
    const option = accuracyChart(labelled, { epochs: 5 })
    const series = option.series as Series[]
    expect(series.map((s) => s.id)).toEqual(['acc-train', 'acc-held'])
    expect(series[0]!.data).toEqual([
      [1, 50],
      [2, 80]
    ])
    expect(series[1]!.data).toEqual([[1, 45]])
    expect(option.yAxis).toMatchObject({ min: 0, max: 100 })
    expect((accuracyChart(history).series as Series[])[0]!.data).toEqual([])
  })

  it('empty histories still give a drawable chart', () => {
    expect((reconstructionChart([]).series as Series[])[0]!.data).toEqual([])
    expect((freeEnergyChart([]).series as Series[]).map((s) => s.id)).toEqual(['fe-train'])
  })

  it('labels axes compactly', () => {
    expect([0.01234, 0.5, 3.14159, 153.2, -1234, 25000, 0].map(compact)).toEqual(['0.012', '0.5', '3.1', '153', '-1.2k', '25k', '0'])
  })
})
