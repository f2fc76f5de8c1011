// Chart options that follow a live training. Progress events come many times a second and each makes the page's view
// a new object; an option computed from that object would be rebuilt (and its chart redrawn, ~10 ms each) on every
// event, which starved the window on a fast RBM training. Here the points pass a throttle and the rest is read as
// primitives, so the options change at most once per interval however fast the events come.
import { computed, type ComputedRef } from 'vue'
import type { ChartOption } from './charts'
import { accuracyChart, freeEnergyChart, pseudoLikelihoodChart, reconstructionChart } from './rbm-charts'
import type { EpochPoint } from './rbm-spec'
import { throttledRef } from './throttle'

/** Redraws of a live chart at most this often. */
export const LIVE_CHART_MS = 250

export interface RbmChartView {
  points: readonly EpochPoint[]
  epochs: number
  gaussian: boolean
  labels: boolean
}

export interface RbmLiveCharts {
  points: Readonly<{ value: readonly EpochPoint[] }>
  recon: ComputedRef<ChartOption>
  pll: ComputedRef<ChartOption>
  fe: ComputedRef<ChartOption>
  acc: ComputedRef<ChartOption>
  labelled: ComputedRef<boolean>
  last: ComputedRef<EpochPoint | null>
}

/** The RBM page's four learning-curve options from its view (call inside a component's setup or an effect scope). */
export function rbmLiveCharts(view: () => RbmChartView | null, ms = LIVE_CHART_MS): RbmLiveCharts {
  const points = throttledRef<readonly EpochPoint[]>(() => view()?.points ?? [], ms)
  const epochs = computed(() => view()?.epochs ?? 1)
  const gaussian = computed(() => view()?.gaussian ?? false)
  const labels = computed(() => view()?.labels === true)
  const axis = computed(() => ({ epochs: epochs.value }))
  return {
    points,
    recon: computed(() => reconstructionChart(points.value, axis.value)),
    pll: computed(() => pseudoLikelihoodChart(points.value, { ...axis.value, gaussian: gaussian.value })),
    fe: computed(() => freeEnergyChart(points.value, axis.value)),
    acc: computed(() => accuracyChart(points.value, axis.value)),
    labelled: computed(() => labels.value || points.value.some((p) => p.accuracyTrain !== undefined)),
    last: computed(() => points.value[points.value.length - 1] ?? null)
  }
}
