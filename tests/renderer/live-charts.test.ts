// A fast training's progress events make the page's view a new object each time: the live chart options must still
// change at most once per throttle interval (they used to be rebuilt on every event, and the window starved).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick, shallowRef, watch } from 'vue'
import { rbmLiveCharts, type RbmChartView } from '../../src/renderer/src/lib/live-charts'
import type { EpochPoint } from '../../src/renderer/src/lib/rbm-spec'

const point = (epoch: number): EpochPoint => ({ epoch, reconstructionError: 1 / epoch, pseudoLikelihood: -10 + epoch / 100, freeEnergyTrain: -epoch, freeEnergyHeldOut: null })

describe('rbmLiveCharts', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('rebuilds the options at most once per interval while events carry new view objects', async () => {
    const scope = effectScope()
    const view = shallowRef<RbmChartView | null>({ points: [], epochs: 200, gaussian: false, labels: false })
    const charts = scope.run(() => rbmLiveCharts(() => view.value, 250))!
    const rebuilt = { recon: 0, pll: 0, fe: 0, acc: 0 }
    scope.run(() => {
      for (const k of Object.keys(rebuilt) as (keyof typeof rebuilt)[]) watch(charts[k], () => rebuilt[k]++)
    })
    let points: EpochPoint[] = []
    // 40 events in 1 s, half of them plain progress (same points, yet a new view object), over 40 × 25 ms.
    for (let k = 1; k <= 40; k++) {
      if (k % 2 === 0) points = [...points, point(points.length + 1)]
      view.value = { points, epochs: 200, gaussian: false, labels: false }
      await nextTick()
      vi.advanceTimersByTime(25)
      await nextTick()
    }
    vi.advanceTimersByTime(250)
    await nextTick()
    for (const n of Object.values(rebuilt)) {
      expect(n).toBeGreaterThanOrEqual(3)
      expect(n).toBeLessThanOrEqual(5) // 1 s / 250 ms, plus the first change at once
    }
    // and the last option carries every point
    expect(charts.points.value).toHaveLength(20)
    const series = (charts.recon.value as { series: { data: unknown[] }[] }).series
    expect(series[0]!.data).toHaveLength(20)
    expect(charts.last.value?.epoch).toBe(20)
    scope.stop()
  })

  it('a change of the planned epochs or unit type still reaches the options', async () => {
    const scope = effectScope()
    const view = shallowRef<RbmChartView | null>({ points: [point(1)], epochs: 200, gaussian: false, labels: false })
    const charts = scope.run(() => rbmLiveCharts(() => view.value, 250))!
    const max = () => (charts.recon.value as { xAxis: { max: number } }).xAxis.max
    const name = () => (charts.pll.value as { series: { name: string }[] }).series[0]!.name
    expect(max()).toBe(10)
    expect(name()).toBe('pseudo-log-likelihood')
    view.value = { points: [point(1)], epochs: 5, gaussian: true, labels: true }
    await nextTick()
    expect(max()).toBe(5)
    expect(name()).toBe('reconstruction error (sample)')
    expect(charts.labelled.value).toBe(true)
    view.value = null
    await nextTick()
    vi.advanceTimersByTime(250)
    expect(charts.points.value).toEqual([])
    scope.stop()
  })
})
