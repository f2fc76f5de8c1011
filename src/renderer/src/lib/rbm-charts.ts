// Chart options for RBM training (pure: epoch rows in, ECharts option out; animation off so live
// updates redraw at once): reconstruction error, pseudo-log-likelihood, and the free energy of
// training vs held-out rows with their gap (a growing gap means overfitting; Hinton 2010, §6).
import { AXIS_STYLE, PALETTE, TEXT_STYLE, type ChartOption } from './charts'
import type { EpochPoint } from './rbm-spec'

const BLUE = PALETTE[0]!
const GREEN = PALETTE[4]!
/** Free-energy chart colours (the page's legend uses them too). */
export const FREE_ENERGY_COLORS = { train: PALETTE[1]!, heldOut: PALETTE[6]!, gap: '#8a8f98' } as const

export interface EpochAxis {
  /**
   * Epochs planned: while training the x axis reaches ahead of the last epoch toward here (half as
   * far again, at least 10 epochs), so a short run shows its whole horizon and a long one is not squeezed.
   */
  epochs?: number
}

const tooltipValue = (v: unknown): string => (typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4)) : String(v))

/** The x axis's last epoch: see EpochAxis. */
export function epochAxisMax(last: number, planned?: number): number {
  const ahead = planned ? Math.min(planned, Math.max(10, Math.ceil(last * 1.5))) : 0
  return Math.max(2, last, ahead)
}

function xAxis(points: readonly EpochPoint[], axis: EpochAxis) {
  const last = points[points.length - 1]?.epoch ?? 1
  return { type: 'value' as const, min: 1, max: epochAxisMax(last, axis.epochs), minInterval: 1, ...AXIS_STYLE }
}

function base(points: readonly EpochPoint[], axis: EpochAxis, right: number): ChartOption {
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 44, right, top: 12, bottom: 20 },
    tooltip: { trigger: 'axis', confine: true, valueFormatter: tooltipValue },
    xAxis: xAxis(points, axis),
    yAxis: { type: 'value', scale: true, ...AXIS_STYLE, axisLabel: { ...AXIS_STYLE.axisLabel, formatter: compact } }
  }
}

/** Axis labels short enough for a narrow chart: 0.0123, 12.3, −153, 1.2k. */
export function compact(v: number): string {
  const a = Math.abs(v)
  if (a >= 10000) return `${(v / 1000).toFixed(0)}k`
  if (a >= 1000) return `${(v / 1000).toFixed(1)}k`
  if (a >= 100 || v === 0) return String(Math.round(v))
  if (a >= 1) return String(Math.round(v * 10) / 10)
  return String(Number(v.toPrecision(2)))
}

function line(id: string, name: string, color: string, data: [number, number][], n: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    name,
    type: 'line' as const,
    showSymbol: n <= 40,
    symbolSize: 5,
    data,
    lineStyle: { color, width: 2 },
    itemStyle: { color },
    ...extra
  }
}

/** Mean squared reconstruction error per epoch (averaged over the epoch's minibatches). */
export function reconstructionChart(points: readonly EpochPoint[], axis: EpochAxis = {}): ChartOption {
  return { ...base(points, axis, 10), series: [line('recon', 'reconstruction error', BLUE, points.map((p) => [p.epoch, p.reconstructionError]), points.length)] }
}

/** Stochastic pseudo-log-likelihood per row (higher is better); for Gaussian units the backend reports a reconstruction error there. */
export function pseudoLikelihoodChart(points: readonly EpochPoint[], axis: EpochAxis & { gaussian?: boolean } = {}): ChartOption {
  const name = axis.gaussian ? 'reconstruction error (sample)' : 'pseudo-log-likelihood'
  return { ...base(points, axis, 10), series: [line('pll', name, GREEN, points.map((p) => [p.epoch, p.pseudoLikelihood]), points.length)] }
}

/** Mean free energy of training and held-out rows (left axis) and the gap held-out − train (right axis, dashed). */
export function freeEnergyChart(points: readonly EpochPoint[], axis: EpochAxis = {}): ChartOption {
  const held = points.filter((p) => p.freeEnergyHeldOut !== null)
  const option = base(points, axis, held.length ? 40 : 10)
  const c = FREE_ENERGY_COLORS
  const series = [line('fe-train', 'train', c.train, points.map((p) => [p.epoch, p.freeEnergyTrain]), points.length)]
  if (held.length) {
    series.push(line('fe-held', 'held-out', c.heldOut, held.map((p) => [p.epoch, p.freeEnergyHeldOut!]), held.length))
    series.push(
      line('fe-gap', 'gap (held-out − train)', c.gap, held.map((p) => [p.epoch, p.freeEnergyHeldOut! - p.freeEnergyTrain]), held.length, {
        yAxisIndex: 1,
        symbolSize: 3,
        lineStyle: { color: c.gap, width: 1, type: 'dashed' }
      })
    )
  }
  return {
    ...option,
    yAxis: held.length
      ? [
          option.yAxis as object,
          { type: 'value', scale: true, ...AXIS_STYLE, splitLine: { show: false }, axisLabel: { ...AXIS_STYLE.axisLabel, formatter: compact } }
        ]
      : option.yAxis,
    series
  }
}

/** Accuracy chart colours (the page's legend uses them too). */
export const ACCURACY_COLORS = { train: PALETTE[0]!, heldOut: PALETTE[2]! } as const

/** Classification RBMs: accuracy per epoch (argmax p(y|x)) on training and held-out rows, as percentages from 0 to 100. */
export function accuracyChart(points: readonly EpochPoint[], axis: EpochAxis = {}): ChartOption {
  const withAcc = points.filter((p) => p.accuracyTrain !== undefined)
  const held = withAcc.filter((p) => typeof p.accuracyHeldOut === 'number')
  const option = base(points, axis, 10)
  const c = ACCURACY_COLORS
  const series = [line('acc-train', 'train accuracy', c.train, withAcc.map((p) => [p.epoch, 100 * p.accuracyTrain!]), withAcc.length)]
  if (held.length) series.push(line('acc-held', 'held-out accuracy', c.heldOut, held.map((p) => [p.epoch, 100 * p.accuracyHeldOut!]), held.length))
  return {
    ...option,
    tooltip: { trigger: 'axis', confine: true, valueFormatter: (v: unknown) => (typeof v === 'number' ? `${v.toFixed(1)} %` : String(v)) },
    yAxis: { type: 'value', min: 0, max: 100, ...AXIS_STYLE, axisLabel: { ...AXIS_STYLE.axisLabel, formatter: '{value}%' } },
    series
  }
}
