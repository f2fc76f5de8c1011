// ECharts, tree-shaken: only what the workbench draws (lines, bars, heatmaps with their colour scale, marker lines,
// legend, zoom).
import { use, type ComposeOption } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import { BarChart, HeatmapChart, LineChart, type BarSeriesOption, type HeatmapSeriesOption, type LineSeriesOption } from 'echarts/charts'
import {
  DataZoomInsideComponent,
  GridComponent,
  LegendScrollComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  type DataZoomComponentOption,
  type GridComponentOption,
  type LegendComponentOption,
  type MarkLineComponentOption,
  type TooltipComponentOption,
  type VisualMapComponentOption
} from 'echarts/components'

use([CanvasRenderer, LineChart, BarChart, HeatmapChart, VisualMapContinuousComponent, GridComponent, TooltipComponent, LegendScrollComponent, MarkLineComponent, DataZoomInsideComponent])

export type ChartOption = ComposeOption<
  | LineSeriesOption
  | BarSeriesOption
  | HeatmapSeriesOption
  | VisualMapComponentOption
  | GridComponentOption
  | TooltipComponentOption
  | LegendComponentOption
  | MarkLineComponentOption
  | DataZoomComponentOption
>

export const INK = '#1f2733'
export const MUTED = '#6b7583'
export const GRID_LINE = '#e3e6ea'
export const ACCENT = '#2f6fde'
export const MARKER = '#e0671f'

/** Distinct, print-safe series colours (Tableau 10). */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac']

export const AXIS_STYLE = {
  axisLine: { lineStyle: { color: '#b9bec6' } },
  axisTick: { lineStyle: { color: '#b9bec6' } },
  axisLabel: { color: MUTED, fontSize: 10 },
  splitLine: { lineStyle: { color: GRID_LINE } },
  nameTextStyle: { color: MUTED, fontSize: 10 }
} as const

export const TEXT_STYLE = { fontFamily: 'Inter, "Segoe UI", system-ui, sans-serif', fontSize: 11, color: INK }

/** The vertical marker at the replay position. */
export function cursorMarkLine(x: number, label: string): MarkLineComponentOption {
  return {
    silent: true,
    symbol: 'none',
    animation: false,
    lineStyle: { color: MARKER, width: 1.5, type: 'solid' },
    label: { show: true, formatter: label, color: MARKER, fontSize: 10, position: 'end', distance: 2 },
    data: [{ xAxis: x }]
  }
}
