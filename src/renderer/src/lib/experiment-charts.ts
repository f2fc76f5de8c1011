// Chart options for experiment results (pure: results in, ECharts option out): capacity curves with
// the theory's capacities as labelled vertical lines, noisy/partial cue curves, basins, and the
// energy-training history of a model.
import { interactionLabel, type SweepResult } from '../../../shared/spec'
import type { LineSeriesOption } from 'echarts/charts'
import { AXIS_STYLE, MUTED, PALETTE, TEXT_STYLE, type ChartOption } from './charts'
import { DELAY_CELLS, type DelayCell } from './experiment-spec'

export type CapacitySweepResult = Extract<SweepResult, { type: 'capacity' }>
export type CueSweepResult = Extract<SweepResult, { type: 'noise' | 'partial' }>
export type BasinsSweepResult = Extract<SweepResult, { type: 'basins' }>
export type CensusSweepResult = Extract<SweepResult, { type: 'census' }>

/** One colour per rule, the same on every chart. */
export const RULE_COLORS: Readonly<Record<string, string>> = {
  hebb: PALETTE[0]!,
  storkey: PALETTE[1]!,
  'pseudo-inverse': PALETTE[4]!,
  energy: PALETTE[6]!
}
/** Runs overlaid on one capacity chart are told apart by their symbols. */
const SYMBOLS = ['circle', 'triangle', 'rect', 'diamond', 'pin', 'roundRect', 'arrow'] as const

function ruleColor(rule: string, k: number): string {
  return RULE_COLORS[rule] ?? PALETTE[(3 + k) % PALETTE.length]!
}

/** ECharts' "no value" marker: a gap in a line. */
const GAP = '-'
const val = (v: number | null): number | typeof GAP => (v === null || !Number.isFinite(v) ? GAP : v)

const percentAxisLabel = { ...AXIS_STYLE.axisLabel, formatter: (v: number) => `${Math.round(v * 100)}%` }
const tooltipValue = (v: unknown): string => (typeof v === 'number' ? v.toFixed(3) : String(v))

/** What every rate-against-fraction chart shares: no animation, the legend on top, an axis tooltip. */
const RATE_CHART = {
  animation: false,
  textStyle: TEXT_STYLE,
  grid: { left: 44, right: 18, top: 36, bottom: 34 },
  legend: { type: 'scroll', top: 0, left: 8, right: 8, itemWidth: 18, itemHeight: 8, textStyle: { fontSize: 10, color: MUTED } },
  tooltip: { trigger: 'axis', confine: true, valueFormatter: tooltipValue }
} satisfies ChartOption

export interface TheoryLine {
  /** Load α = P/N where the line is drawn. */
  alpha: number
  /** Patterns at that load (P = α N). */
  patterns: number
  units: number
  rule: 'hebb' | 'storkey' | 'pseudo-inverse'
  /** Short label drawn on the chart, along the line (the colour says the rule). */
  label: string
  /** The label with its rule, for the list under the chart. */
  name: string
  /** What the line means. */
  title: string
}

/** The theory's capacities for the rules of a sweep, as loads at N units. */
export function theoryLines(sweep: Pick<CapacitySweepResult, 'units' | 'theory'>, rules: readonly string[]): TheoryLine[] {
  const n = sweep.units
  const t = sweep.theory
  const out: TheoryLine[] = []
  const line = (rule: TheoryLine['rule'], patterns: number, label: string, name: string, title: string): void => {
    if (rules.includes(rule) && Number.isFinite(patterns) && n > 0) out.push({ alpha: patterns / n, patterns, units: n, rule, label, name, title })
  }
  line('hebb', t.hebbAllPatterns, 'N/(4 ln N)', 'Hebb N/(4 ln N)', 'Hebb: below N/(4 ln N) all patterns are fixed points (w.h.p.)')
  line('hebb', t.hebbPerPattern, 'N/(2 ln N)', 'Hebb N/(2 ln N)', 'Hebb: below N/(2 ln N) each pattern is a fixed point (w.h.p.)')
  line('hebb', t.hebbCritical, '0.138 N', 'Hebb 0.138 N', 'Hebb: recall breaks down above 0.138 N (Amit, Gutfreund & Sompolinsky)')
  line('storkey', t.storkey, 'N/√(2 ln N)', 'Storkey N/√(2 ln N)', 'Storkey: capacity N/√(2 ln N) (Storkey 1997)')
  line('pseudo-inverse', t.pseudoInverse, 'N', 'Pseudo-inverse N', 'Pseudo-inverse: any N linearly independent patterns are fixed points')
  return out
}

/** Top of the capacity chart's y axis: 100 % plus a band for the theory labels. */
export const CAPACITY_Y_MAX = 1.25

export interface CapacityRun {
  id: string
  label: string
  sweep: CapacitySweepResult
}

export interface CapacityChart {
  option: ChartOption
  rules: string[]
  /** Theory lines drawn on the chart. */
  lines: TheoryLine[]
  /** Theory lines beyond the loads swept (listed under the chart instead). */
  offChart: TheoryLine[]
  xMax: number
}

function rulesOf(sweep: CapacitySweepResult): string[] {
  return [...new Set(sweep.points.map((p) => p.rule))]
}

/** Tooltip of the capacity chart: per rule, fixed points / recall at the load under the pointer. */
function capacityTooltip(params: unknown): string {
  const items = (Array.isArray(params) ? params : [params]) as { seriesId?: string; seriesName?: string; value?: unknown; color?: unknown }[]
  const first = items[0]?.value
  const load = Array.isArray(first) ? Number(first[0]) : NaN
  const rows = new Map<string, { color: string; fixed?: unknown; recall?: unknown }>()
  for (const it of items) {
    const name = it.seriesName ?? ''
    const row = rows.get(name) ?? { color: typeof it.color === 'string' ? it.color : MUTED }
    const y = Array.isArray(it.value) ? it.value[1] : undefined
    if (it.seriesId?.endsWith(':recall')) row.recall = y
    else row.fixed = y
    rows.set(name, row)
  }
  const f = (v: unknown): string => (typeof v === 'number' ? `${(v * 100).toFixed(1)} %` : '–')
  const lines = [...rows].map(
    ([name, r]) => `<span style="display:inline-block;width:8px;height:8px;border-radius:4px;background:${r.color};margin-right:4px"></span>${name}: fixed ${f(r.fixed)} · recall ${f(r.recall)}`
  )
  return [`α = ${Number.isFinite(load) ? load.toFixed(3) : '?'}`, ...lines].join('<br>')
}

/**
 * Capacity: x = load P/N, y = fraction of stored patterns that are fixed points (solid) and recall
 * success from noisy cues (dashed); colour = rule, symbol = run. Both series of a rule share its
 * name, so its legend entry shows or hides the pair. The theory lines are dotted verticals in the
 * rule's colour, labelled along the line in a band above 100 %; those far beyond the swept loads
 * (the pseudo-inverse's α = 1 on a sweep to 0.4) would squash the data, so they come back in offChart.
 */
export function capacityChart(runs: readonly CapacityRun[]): CapacityChart {
  const maxLoad = Math.max(0, ...runs.flatMap((r) => r.sweep.points.map((p) => p.load)))
  const all = runs.flatMap((r) => theoryLines(r.sweep, rulesOf(r.sweep)))
  // One line per (N, rule, label) however many runs share it.
  const seen = new Set<string>()
  const unique = all.filter((l) => {
    const key = `${l.units}|${l.rule}|${l.label}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  const reach = maxLoad > 0 ? maxLoad * 1.25 : Infinity
  const lines = unique.filter((l) => l.alpha <= reach)
  const offChart = unique.filter((l) => l.alpha > reach)
  const top = Math.max(maxLoad, ...lines.map((l) => l.alpha))
  const xMax = top > 0 ? niceCeil(top * 1.04) : 1
  const unitsDiffer = new Set(runs.map((r) => r.sweep.units)).size > 1
  const rules = [...new Set(runs.flatMap((r) => rulesOf(r.sweep)))]
  const drawn = new Set<string>()

  const series: NonNullable<ChartOption['series']> = []
  runs.forEach((run, r) => {
    const suffix = runs.length > 1 ? ` · ${run.label}` : ''
    const symbol = SYMBOLS[r % SYMBOLS.length]!
    rulesOf(run.sweep).forEach((rule, k) => {
      const color = ruleColor(rule, k)
      const pts = run.sweep.points.filter((p) => p.rule === rule).sort((a, b) => a.load - b.load)
      const mine = lines.filter((l) => l.rule === rule && l.units === run.sweep.units && !drawn.has(`${l.units}|${l.rule}|${l.label}`))
      mine.forEach((l) => drawn.add(`${l.units}|${l.rule}|${l.label}`))
      series.push({
        id: `${run.id}:${rule}:fixed`,
        name: `${rule}${suffix}`,
        type: 'line',
        data: pts.map((p) => [p.load, val(p.fixedFraction)]),
        symbol,
        symbolSize: 6,
        lineStyle: { color, width: 2, type: 'solid' },
        itemStyle: { color },
        ...(mine.length
          ? {
              markLine: {
                silent: true,
                symbol: 'none',
                animation: false,
                lineStyle: { color, width: 1.2, type: 'dotted', opacity: 0.9 },
                label: { show: true, position: 'insideEndTop', color, fontSize: 9, distance: 2, formatter: '{b}' },
                data: mine.map((l) => ({ name: unitsDiffer ? `${l.label} · ${l.units}` : l.label, xAxis: l.alpha }))
              }
            }
          : {})
      })
      series.push({
        id: `${run.id}:${rule}:recall`,
        name: `${rule}${suffix}`,
        type: 'line',
        data: pts.map((p) => [p.load, val(p.recallSuccess)]),
        symbol,
        symbolSize: 5,
        lineStyle: { color, width: 1.5, type: 'dashed' },
        itemStyle: { color, opacity: 0.8 }
      })
    })
  })

  const option: ChartOption = {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 44, right: 18, top: 30, bottom: 34 },
    legend: { type: 'scroll', top: 2, left: 44, right: 8, itemWidth: 22, itemHeight: 10, textStyle: { fontSize: 11, color: MUTED } },
    tooltip: { trigger: 'axis', confine: true, formatter: capacityTooltip },
    xAxis: {
      type: 'value',
      name: 'load α = P/N',
      nameLocation: 'middle',
      nameGap: 20,
      min: 0,
      max: xMax,
      ...AXIS_STYLE
    },
    // The band above 100 % holds the theory labels.
    yAxis: {
      type: 'value',
      min: 0,
      max: CAPACITY_Y_MAX,
      interval: 0.25,
      ...AXIS_STYLE,
      axisLabel: { ...AXIS_STYLE.axisLabel, formatter: (v: number) => (v > 1 ? '' : `${Math.round(v * 100)}%`) }
    },
    series
  }
  return { option, rules, lines, offChart, xMax }
}

/** The smallest "nice" number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) at or above x. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(x))
  const f = x / p
  const step = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((s) => s >= f - 1e-12) ?? 10
  return Math.round(step * p * 1e9) / 1e9
}

export interface CueSweepRun {
  id: string
  label: string
  sweep: CueSweepResult
}

/** Noisy or partial cues: success (solid) and mean final overlap (dashed) against the fraction; colour = run. */
export function cueSweepChart(runs: readonly CueSweepRun[]): ChartOption {
  const kind = runs[0]?.sweep.type ?? 'noise'
  const maxFraction = Math.max(0.05, ...runs.flatMap((r) => r.sweep.points.map((p) => p.fraction)))
  const minOverlap = Math.min(0, ...runs.flatMap((r) => r.sweep.points.map((p) => p.meanOverlap ?? 0)))
  const series: NonNullable<ChartOption['series']> = []
  runs.forEach((run, r) => {
    const color = PALETTE[r % PALETTE.length]!
    const suffix = runs.length > 1 ? ` · ${run.label}` : ''
    const pts = [...run.sweep.points].sort((a, b) => a.fraction - b.fraction)
    series.push({
      id: `${run.id}:success`,
      name: `success${suffix}`,
      type: 'line',
      data: pts.map((p) => [p.fraction, val(p.success)]),
      symbolSize: 5,
      lineStyle: { color, width: 2 },
      itemStyle: { color }
    })
    series.push({
      id: `${run.id}:overlap`,
      name: `mean overlap${suffix}`,
      type: 'line',
      data: pts.map((p) => [p.fraction, val(p.meanOverlap)]),
      symbolSize: 4,
      lineStyle: { color, width: 1.5, type: 'dashed' },
      itemStyle: { color, opacity: 0.8 }
    })
  })
  return {
    ...RATE_CHART,
    xAxis: {
      type: 'value',
      name: kind === 'noise' ? 'fraction of units flipped' : 'fraction of units masked',
      nameLocation: 'middle',
      nameGap: 20,
      min: 0,
      max: niceCeil(maxFraction),
      ...AXIS_STYLE,
      axisLabel: percentAxisLabel
    },
    yAxis: { type: 'value', min: minOverlap < 0 ? -1 : 0, max: 1, ...AXIS_STYLE },
    series
  }
}

export function patternLabel(b: { pattern: number; label: string }): string {
  return `#${b.pattern} ${b.label}`.trim()
}

/** Basins: the radius per stored pattern (bars; −1 = not even the pattern itself is recalled). */
export function basinRadiusChart(sweep: BasinsSweepResult, units: number | null): ChartOption {
  const maxRadius = Math.max(1, ...sweep.basins.map((b) => b.radius))
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 40, right: 12, top: 24, bottom: 30 },
    tooltip: {
      trigger: 'axis',
      valueFormatter: (v) => (typeof v === 'number' ? `${v} units${units ? ` (${((v / units) * 100).toFixed(1)} %)` : ''}` : String(v))
    },
    xAxis: {
      type: 'category',
      data: sweep.basins.map(patternLabel),
      ...AXIS_STYLE,
      axisLabel: { ...AXIS_STYLE.axisLabel, interval: 'auto', hideOverlap: true }
    },
    yAxis: { type: 'value', name: 'radius (flips)', min: Math.min(0, ...sweep.basins.map((b) => b.radius)), max: maxRadius, ...AXIS_STYLE },
    series: [
      {
        id: 'radius',
        name: 'radius',
        type: 'bar',
        barMaxWidth: 22,
        data: sweep.basins.map((b, k) => ({ value: b.radius, itemStyle: { color: b.radius < 0 ? '#e15759' : PALETTE[k % PALETTE.length] } }))
      }
    ]
  }
}

/** Basins: recall success against the Hamming radius, one line per pattern, the threshold marked. */
export function basinSuccessChart(sweep: BasinsSweepResult): ChartOption {
  const longest = Math.max(1, ...sweep.basins.map((b) => b.success.length))
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 44, right: 18, top: 36, bottom: 34 },
    legend: { type: 'scroll', top: 0, left: 8, right: 8, itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 10, color: MUTED } },
    tooltip: { trigger: 'axis', confine: true, order: 'valueDesc', valueFormatter: tooltipValue },
    xAxis: { type: 'value', name: 'Hamming radius of the cue', nameLocation: 'middle', nameGap: 20, min: 0, max: longest - 1, minInterval: 1, ...AXIS_STYLE },
    yAxis: { type: 'value', min: 0, max: 1, interval: 0.25, ...AXIS_STYLE, axisLabel: percentAxisLabel },
    series: sweep.basins.map((b, k) => ({
      id: `p${b.pattern}`,
      name: patternLabel(b),
      type: 'line' as const,
      data: b.success.map((s, r) => [r, s]),
      showSymbol: b.success.length <= 40,
      symbolSize: 4,
      lineStyle: { width: 1.5, color: PALETTE[k % PALETTE.length] },
      itemStyle: { color: PALETTE[k % PALETTE.length] },
      ...(k === 0
        ? {
            markLine: {
              silent: true,
              symbol: 'none',
              animation: false,
              lineStyle: { color: MUTED, type: 'dashed', width: 1 },
              label: { show: true, position: 'insideStartBottom', formatter: `threshold ${Math.round(sweep.threshold * 100)} %`, color: MUTED, fontSize: 10 },
              data: [{ yAxis: sweep.threshold }]
            }
          }
        : {})
    }))
  }
}

export interface TrainingEpoch {
  epoch: number
  fixedTargets: number
  raised: number
}

/** Energy training: targets that are fixed points after each epoch (of P), and states raised. */
export function trainingChart(history: readonly TrainingEpoch[], patterns: number): ChartOption {
  const green = PALETTE[4]!
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 30, right: 34, top: 16, bottom: 22 },
    tooltip: { trigger: 'axis', confine: true },
    xAxis: { type: 'value', min: history[0]?.epoch ?? 0, max: Math.max(1, history[history.length - 1]?.epoch ?? 1), minInterval: 1, ...AXIS_STYLE },
    yAxis: [
      { type: 'value', min: 0, max: Math.max(1, patterns), minInterval: 1, ...AXIS_STYLE },
      { type: 'value', min: 0, minInterval: 1, ...AXIS_STYLE, splitLine: { show: false } }
    ],
    series: [
      {
        id: 'fixed',
        name: 'fixed targets',
        type: 'line',
        step: 'end',
        showSymbol: history.length <= 30,
        symbolSize: 4,
        data: history.map((h) => [h.epoch, h.fixedTargets]),
        lineStyle: { color: green, width: 2 },
        itemStyle: { color: green },
        markLine: {
          silent: true,
          symbol: 'none',
          animation: false,
          lineStyle: { color: MUTED, type: 'dashed', width: 1 },
          label: { show: true, position: 'insideStartTop', formatter: `P = ${patterns}`, color: MUTED, fontSize: 9 },
          data: [{ yAxis: patterns }]
        }
      },
      {
        id: 'raised',
        name: 'raised states',
        type: 'line',
        yAxisIndex: 1,
        showSymbol: false,
        data: history.map((h) => [h.epoch, h.raised]),
        lineStyle: { color: '#bab0ac', width: 1 },
        itemStyle: { color: '#bab0ac' }
      }
    ]
  }
}

/** Census rows in display order: stored, negative, mixture, other, cycle, unsettled; then by count. */
export const CENSUS_KINDS = ['stored', 'negative', 'mixture', 'other', 'cycle', 'unsettled'] as const

export function censusRows(sweep: CensusSweepResult): CensusSweepResult['attractors'] {
  const rank = (kind: string): number => {
    const i = (CENSUS_KINDS as readonly string[]).indexOf(kind)
    return i < 0 ? CENSUS_KINDS.length : i
  }
  return [...sweep.attractors].sort((a, b) => rank(a.kind) - rank(b.kind) || b.count - a.count || a.energy - b.energy || a.pattern - b.pattern)
}

/** "ξ2" for stored, "−ξ2" for a negative, "sign(ξ0 − ξ1 + ξ3)" for a mixture, "—" otherwise. */
export function describeAttractor(a: CensusSweepResult['attractors'][number], labels: readonly string[] = []): string {
  const name = (k: number): string => `ξ${k}${labels[k] ? ` ${labels[k]}` : ''}`
  if (a.kind === 'stored') return name(a.pattern)
  if (a.kind === 'negative') return `−${name(a.pattern)}`
  if (a.kind === 'mixture' && a.mixture) {
    const terms = a.mixture.patterns.map((p, i) => `${i === 0 ? (a.mixture!.signs[i]! < 0 ? '−' : '') : a.mixture!.signs[i]! < 0 ? ' − ' : ' + '}ξ${p}`)
    return `sign(${terms.join('')})`
  }
  return '—'
}

export type BamSweepResult = Extract<SweepResult, { type: 'bam' }>
export type AnnealSweepResult = Extract<SweepResult, { type: 'anneal' }>
export type HeteroSweepResult = Extract<SweepResult, { type: 'hetero' }>
export type RecurrentSweepResult = Extract<SweepResult, { type: 'recurrent' }>

function fractionAxis(name: string, maxFraction: number): NonNullable<ChartOption['xAxis']> {
  return { type: 'value', name, nameLocation: 'middle', nameGap: 20, min: 0, max: niceCeil(Math.max(0.05, maxFraction)), ...AXIS_STYLE, axisLabel: percentAxisLabel }
}

function rateSeries(id: string, name: string, data: [number, number][], color: string, dashed = false): LineSeriesOption {
  return { id, name, type: 'line', data, symbolSize: 5, lineStyle: { color, width: dashed ? 1.5 : 2, type: dashed ? 'dashed' : 'solid' }, itemStyle: { color } }
}

/** BAM sweep: pair recall, recall of the missing layer, and spurious states against the fraction of the cue flipped. */
export function bamSweepChart(sweep: BamSweepResult): ChartOption {
  const pts = [...sweep.points].sort((a, b) => a.fraction - b.fraction)
  const other = sweep.cue === 'x' ? 'Y' : 'X'
  return {
    ...RATE_CHART,
    xAxis: fractionAxis(`fraction of ${sweep.cue.toUpperCase()} flipped in the cue`, Math.max(...pts.map((p) => p.fraction))),
    yAxis: { type: 'value', min: 0, max: 1, ...AXIS_STYLE },
    series: [
      rateSeries('pair', 'pair recalled', pts.map((p) => [p.fraction, p.pairSuccess]), PALETTE[0]!),
      rateSeries('recall', `${other} recalled`, pts.map((p) => [p.fraction, p.recallSuccess]), PALETTE[4]!, true),
      rateSeries('spurious', 'spurious state', pts.map((p) => [p.fraction, p.spurious]), PALETTE[2]!)
    ]
  }
}

/** Annealing sweep: completion success with annealing and with deterministic descent against the cue fraction. */
export function annealChart(sweep: AnnealSweepResult): ChartOption {
  const pts = [...sweep.points].sort((a, b) => a.fraction - b.fraction)
  return {
    ...RATE_CHART,
    xAxis: fractionAxis(sweep.completion === 'noisy' ? 'fraction of units flipped' : 'fraction of units unknown (rest clamped)', Math.max(...pts.map((p) => p.fraction))),
    yAxis: { type: 'value', min: 0, max: 1, ...AXIS_STYLE },
    series: [
      rateSeries('annealed', 'annealed', pts.map((p) => [p.fraction, p.annealed]), PALETTE[1]!),
      rateSeries('deterministic', 'deterministic (T = 0)', pts.map((p) => [p.fraction, p.deterministic]), PALETTE[0]!, true)
    ]
  }
}

/** Hetero-associative net: recall success (output = the stored target) against the fraction of input bits flipped. */
export function heteroChart(sweep: HeteroSweepResult): ChartOption {
  const pts = [...sweep.points].sort((a, b) => a.fraction - b.fraction)
  return {
    ...RATE_CHART,
    xAxis: fractionAxis('fraction of input bits flipped', Math.max(...pts.map((p) => p.fraction))),
    yAxis: { type: 'value', min: 0, max: 1, ...AXIS_STYLE },
    series: [rateSeries('success', `target recalled (${sweep.inputs} → ${sweep.outputs})`, pts.map((p) => [p.fraction, p.success]), PALETTE[0]!)]
  }
}

type RecurrentPoint = RecurrentSweepResult['points'][number]

/**
 * Where the recurrent sweep's cues end, in stacking order (bottom first): the three stop reasons
 * (a stored pattern, a repeat, the limit) add up to 1; a stored-pattern stop is split into the cue's
 * own pattern (recovered) and another one (storedMatch − recovered).
 */
export const RECURRENT_OUTCOMES: readonly { key: string; short: string; name: string; color: string; value: (p: RecurrentPoint) => number }[] = [
  { key: 'recovered', short: 'recovered', name: 'recovered (its own stored pattern)', color: PALETTE[4]!, value: (p) => p.recovered },
  { key: 'otherStored', short: 'other stored', name: 'another stored pattern', color: PALETTE[0]!, value: (p) => Math.max(0, p.storedMatch - p.recovered) },
  { key: 'repeat', short: 'repeat', name: 'repeat of an earlier state', color: PALETTE[1]!, value: (p) => p.repeat },
  { key: 'maxIterations', short: 'limit', name: 'iteration limit', color: PALETTE[2]!, value: (p) => p.maxIterations }
]

/** Recurrent auto-associator: the outcome fractions stacked (they add up to 1) against the fraction of units missing or flipped. */
export function recurrentChart(sweep: RecurrentSweepResult, corruption: 'missing' | 'flip' = 'missing'): ChartOption {
  const pts = [...sweep.points].sort((a, b) => a.fraction - b.fraction)
  return {
    ...RATE_CHART,
    xAxis: fractionAxis(corruption === 'missing' ? 'fraction of units missing (0)' : 'fraction of units flipped', Math.max(...pts.map((p) => p.fraction))),
    yAxis: { type: 'value', min: 0, max: 1, ...AXIS_STYLE, axisLabel: percentAxisLabel },
    series: RECURRENT_OUTCOMES.map(
      (o): LineSeriesOption => ({
        id: o.key,
        name: o.name,
        type: 'line',
        stack: 'outcome',
        areaStyle: { color: o.color, opacity: 0.55 },
        symbolSize: 4,
        data: pts.map((p) => [p.fraction, o.value(p)]),
        lineStyle: { color: o.color, width: 1.5 },
        itemStyle: { color: o.color }
      })
    )
  }
}

/** The temperature schedule: T per step (a small chart beside the annealing result or form). */
export function scheduleChart(temperatures: readonly number[]): ChartOption {
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 40, right: 12, top: 10, bottom: 28 },
    tooltip: { trigger: 'axis', confine: true },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 16, min: 1, max: Math.max(1, temperatures.length), minInterval: 1, ...AXIS_STYLE },
    yAxis: { type: 'value', name: 'T', min: 0, ...AXIS_STYLE },
    series: [{ id: 'temperature', name: 'T', type: 'line', step: 'end', showSymbol: temperatures.length <= 40, symbolSize: 3, data: temperatures.map((t, k) => [k + 1, t]), lineStyle: { color: PALETTE[1]!, width: 1.5 }, itemStyle: { color: PALETTE[1]! } }]
  }
}

export type BoltzmannSweepResult = Extract<SweepResult, { type: 'boltzmann' }>

/**
 * Boltzmann machine learning: the exact log-likelihood of the stored patterns per epoch (left axis;
 * gaps where it was not computed, as in sampled mode on a big net) and the gradient norm (right axis, dashed).
 */
export function boltzmannChart(sweep: BoltzmannSweepResult): ChartOption {
  const h = [...sweep.history].sort((a, b) => a.epoch - b.epoch)
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 52, right: 52, top: 36, bottom: 34 },
    legend: { type: 'scroll', top: 0, left: 8, right: 8, itemWidth: 18, itemHeight: 8, textStyle: { fontSize: 10, color: MUTED } },
    tooltip: { trigger: 'axis', confine: true, valueFormatter: tooltipValue },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 20, min: 0, max: Math.max(1, ...h.map((e) => e.epoch)), minInterval: 1, ...AXIS_STYLE },
    yAxis: [
      { type: 'value', name: 'log L', scale: true, ...AXIS_STYLE },
      { type: 'value', name: '‖∇‖', scale: true, ...AXIS_STYLE, splitLine: { show: false } }
    ],
    series: [
      {
        id: 'logLikelihood',
        name: 'log-likelihood of the patterns (exact)',
        type: 'line',
        showSymbol: h.length <= 40,
        symbolSize: 4,
        connectNulls: false,
        data: h.map((e) => [e.epoch, val(e.logLikelihood)]),
        lineStyle: { color: PALETTE[0]!, width: 2 },
        itemStyle: { color: PALETTE[0]! }
      },
      {
        id: 'gradientNorm',
        name: 'gradient norm',
        type: 'line',
        yAxisIndex: 1,
        showSymbol: false,
        data: h.map((e) => [e.epoch, val(e.gradientNorm)]),
        lineStyle: { color: PALETTE[2]!, width: 1.5, type: 'dashed' },
        itemStyle: { color: PALETTE[2]! }
      }
    ]
  }
}

export type DenseCapacitySweepResult = Extract<SweepResult, { type: 'dense-capacity' }>
export type BetaSweepResult = Extract<SweepResult, { type: 'beta' }>

/**
 * Dense associative memory capacity: x = stored patterns P (log scale), y = share recalled exactly from noisy cues
 * (solid) and share that are fixed points (dashed), one colour per F; the theory as vertical lines (0.138 N for Hebb,
 * Krotov–Hopfield's N^(n−1) / (2 (2n−3)!! ln N) per polynomial degree).
 */
export function denseCapacityChart(sweep: DenseCapacitySweepResult): ChartOption {
  const keys = [...new Map(sweep.points.map((p) => [JSON.stringify(p.interaction), p.interaction])).values()]
  const series: LineSeriesOption[] = keys.flatMap((f, k) => {
    const pts = sweep.points.filter((p) => JSON.stringify(p.interaction) === JSON.stringify(f)).sort((a, b) => a.patterns - b.patterns)
    const color = PALETTE[k % PALETTE.length]!
    const name = interactionLabel(f)
    return [rateSeries(`${name}:recall`, name, pts.map((p) => [p.patterns, p.recalled]), color), rateSeries(`${name}:stable`, name, pts.map((p) => [p.patterns, p.stable]), color, true)]
  })
  const lines = [
    { xAxis: sweep.theory.hebbCritical, name: '0.138 N' },
    ...sweep.theory.krotovHopfield.filter((t) => t.degree > 2).map((t) => ({ xAxis: t.capacity, name: `n = ${t.degree}: N^${t.degree - 1}/(2(2n−3)!! ln N)` }))
  ]
  const maxP = Math.max(...sweep.points.map((p) => p.patterns), ...lines.map((l) => l.xAxis))
  const first = series[0]
  if (first) {
    first.markLine = {
      silent: true,
      symbol: 'none',
      lineStyle: { color: MUTED, type: 'dotted' },
      label: { formatter: '{b}', fontSize: 9, color: MUTED, position: 'insideEndTop' },
      data: lines.map((l) => ({ xAxis: l.xAxis, name: l.name }))
    }
  }
  return {
    ...RATE_CHART,
    xAxis: { type: 'log', name: `stored patterns P (N = ${sweep.units}, ${Math.round(sweep.noise * 100)} % noise)`, nameLocation: 'middle', nameGap: 20, min: 1, max: niceCeil(maxP * 1.1), ...AXIS_STYLE },
    yAxis: { type: 'value', min: 0, max: 1, ...AXIS_STYLE, axisLabel: percentAxisLabel },
    series
  }
}

/** β sweep: share retrieved (to its own pattern), share retrieved in one update, and the fixed-point kinds, against β (log). */
export function betaChart(sweep: BetaSweepResult): ChartOption {
  const pts = [...sweep.points].sort((a, b) => a.beta - b.beta)
  const share = (k: 'global' | 'metastable' | 'single') => pts.map((p): [number, number] => [p.beta, p.kinds[k] / sweep.cues])
  const retrieved = rateSeries('retrieved', 'its own pattern weighs most', pts.map((p) => [p.beta, p.retrieved]), PALETTE[0]!)
  // The classical Hebbian net on the same cues, as a level: what the modern net is compared with.
  if (sweep.classical) {
    retrieved.markLine = {
      silent: true,
      symbol: 'none',
      lineStyle: { color: MUTED, type: 'dotted' },
      label: { formatter: '{b}', fontSize: 9, color: MUTED, position: 'insideStartTop' },
      data: [{ yAxis: sweep.classical.retrieved, name: `Hebb net, same cues: ${Math.round(sweep.classical.retrieved * 100)} % retrieved` }]
    }
  }
  return {
    ...RATE_CHART,
    xAxis: { type: 'log', name: 'β (inverse temperature)', nameLocation: 'middle', nameGap: 20, ...AXIS_STYLE },
    yAxis: { type: 'value', min: 0, max: 1, ...AXIS_STYLE, axisLabel: percentAxisLabel },
    series: [
      retrieved,
      rateSeries('oneStep', 'in one update', pts.map((p) => [p.beta, p.oneStep]), PALETTE[0]!, true),
      rateSeries('single', 'fixed point: single pattern', share('single'), PALETTE[4]!),
      rateSeries('metastable', 'metastable', share('metastable'), PALETTE[1]!),
      rateSeries('global', 'global average', share('global'), PALETTE[2]!)
    ]
  }
}

export type DelaySweepResult = Extract<SweepResult, { type: 'delay' }>

/** One colour per recurrent cell, the same on both delay charts (the RNN, which fails, in red). */
export const DELAY_CELL_COLORS: Readonly<Record<DelayCell, string>> = { rnn: PALETTE[2]!, lstm: PALETTE[0]!, gru: PALETTE[4]! }

export function delayCellLabel(cell: DelayCell): string {
  return DELAY_CELLS.find((c) => c.id === cell)?.label ?? cell
}

/** The cells of a result, in the form's order. */
function delayCells(cells: readonly DelayCell[]): DelayCell[] {
  return DELAY_CELLS.map((c) => c.id).filter((c) => cells.includes(c))
}

/** Long-term dependencies: the share of fresh rows solved against the delay, one line per cell; the no-memory baseline dashed. */
export function delayAccuracyChart(sweep: DelaySweepResult): ChartOption {
  const series = delayCells(sweep.points.map((p) => p.cell)).map((cell) =>
    rateSeries(cell, delayCellLabel(cell), sweep.points.filter((p) => p.cell === cell).sort((a, b) => a.delay - b.delay).map((p) => [p.delay, p.accuracy]), DELAY_CELL_COLORS[cell])
  )
  const baseline = `no memory: ${(sweep.baseline.accuracy * 100).toFixed(2)} %`
  const first = series[0]
  if (first) {
    first.markLine = {
      silent: true,
      symbol: 'none',
      lineStyle: { color: MUTED, type: 'dashed', width: 1 },
      // At the left: the delays swept start above 0, so the lines leave room there.
      label: { formatter: '{b}', fontSize: 9, color: MUTED, position: 'insideStartTop' },
      data: [{ yAxis: sweep.baseline.accuracy, name: baseline }]
    }
  }
  const maxDelay = Math.max(1, ...sweep.points.map((p) => p.delay))
  return {
    ...RATE_CHART,
    grid: { ...RATE_CHART.grid, left: 52 },
    xAxis: { type: 'value', name: 'delay (steps between the first input and the answer)', nameLocation: 'middle', nameGap: 20, min: 0, max: niceCeil(maxDelay), ...AXIS_STYLE },
    yAxis: { type: 'value', name: 'rows solved', nameLocation: 'middle', nameGap: 36, min: 0, max: 1, interval: 0.25, ...AXIS_STYLE, axisLabel: percentAxisLabel },
    series
  }
}

/** A log axis's tick: 0.01, 0.1, 1, 10, 100 as they are, other powers of ten as 1e-60. */
export function powerLabel(v: number): string {
  return v >= 0.01 && v <= 100 ? String(Number(v.toPrecision(6))) : v.toExponential(0).replace('e+', 'e')
}

/**
 * The floor of the gradient chart's log axis: a log axis cannot show 0, and a vanished gradient (an RNN's after 40
 * steps is ~1e-60, and may underflow to a denormal or to 0) is drawn at this floor instead of breaking the line.
 */
export const GRADIENT_FLOOR = 1e-300

/**
 * The vanishing gradient: ‖∂ℓ/∂h_t‖ for t = 0 (the initial state) … T (the last step, where the loss is read), on a log
 * axis; per cell a solid line after training and a dashed one at initialisation. Zeros and values below GRADIENT_FLOOR
 * (denormals) are drawn at the floor; non-finite ones are gaps.
 */
export function delayGradientChart(sweep: DelaySweepResult): ChartOption {
  const series: LineSeriesOption[] = delayCells(sweep.profiles.map((p) => p.cell)).flatMap((cell) => {
    const profile = sweep.profiles.find((p) => p.cell === cell)!
    const color = DELAY_CELL_COLORS[cell]
    const points = (values: readonly number[]): [number, number | typeof GAP][] => values.map((v, t) => [t, Number.isFinite(v) ? Math.max(v, GRADIENT_FLOOR) : GAP])
    const line = (id: string, name: string, values: readonly number[], dashed: boolean): LineSeriesOption => ({
      id,
      name,
      type: 'line',
      data: points(values),
      showSymbol: values.length <= 30,
      symbolSize: 4,
      lineStyle: { color, width: dashed ? 1.2 : 2, type: dashed ? 'dashed' : 'solid' },
      itemStyle: { color }
    })
    return [line(`${cell}:trained`, `${delayCellLabel(cell)} (trained)`, profile.trained, false), line(`${cell}:initial`, `${delayCellLabel(cell)} (init)`, profile.initial, true)]
  })
  const steps = Math.max(1, ...sweep.profiles.map((p) => p.trained.length - 1))
  // The y range in whole decades around the data, ticks every 1, 2, 5, 10… decades (at most about five), the bottom on
  // a tick: ECharts' own log extent can add ten empty decades on top, and label an odd bottom such as 1e-38.
  const drawn = sweep.profiles.flatMap((p) => [...p.initial, ...p.trained]).filter(Number.isFinite).map((v) => Math.max(v, GRADIENT_FLOOR))
  const lowest = drawn.length ? Math.floor(Math.log10(Math.min(...drawn))) : -3
  const high = drawn.length ? Math.max(lowest + 1, Math.ceil(Math.log10(Math.max(...drawn)))) : 1
  const decades = [1, 2, 5, 10, 20, 50, 100].find((d) => (high - lowest) / d <= 5) ?? 100
  const low = Math.floor(lowest / decades) * decades
  return {
    ...RATE_CHART,
    grid: { ...RATE_CHART.grid, left: 58 },
    tooltip: { trigger: 'axis', confine: true, valueFormatter: (v) => (typeof v === 'number' ? v.toExponential(2) : String(v)) },
    xAxis: {
      type: 'value',
      name: `time step t (0: initial state; the loss is read at t = ${steps})`,
      nameLocation: 'middle',
      nameGap: 20,
      min: 0,
      max: steps,
      minInterval: 1,
      ...AXIS_STYLE,
      // T = 41 would print beside the tick at 40.
      axisLabel: { ...AXIS_STYLE.axisLabel, hideOverlap: true }
    },
    yAxis: {
      type: 'log',
      min: 10 ** low,
      max: 10 ** high,
      // In decades (ECharts takes a log axis's interval as an exponent).
      interval: decades,
      name: '‖∂ℓ/∂h_t‖',
      nameLocation: 'middle',
      nameGap: 44,
      ...AXIS_STYLE,
      // A top off the ticks (10 over ticks at 1, 1e-5, …) would print against the tick below it.
      axisLabel: { ...AXIS_STYLE.axisLabel, formatter: powerLabel, showMaxLabel: high % decades === 0 }
    },
    series
  }
}
