// The modern page's attention view, pure parts (issue 10; seeds/002 and 004): the form as a models.view request
// (queries: the cue form's corruption applied to a list of stored patterns; projections: identity or seeded random),
// the retrieval weights A as a heatmap (rows queries, columns stored patterns), and the "attention = Hopfield" line.
import { ATTENTION_LIMITS, type ModernAttentionResult, type ModernAttentionView, type ModernInfo } from '../../../shared/families/modern'
import { cueCorruption, type RetrieveForm } from './modern'
import { parseRowList } from './rows'
import { AXIS_STYLE, TEXT_STYLE, type ChartOption } from './charts'

export interface AttentionForm {
  /** Stored patterns to cue, e.g. "0-3, 7". */
  patterns: string
  projection: 'identity' | 'random'
  dk: number
  /** d_v of a random W_V; null: W_V = I (the output is a picture). */
  dv: number | null
  seed: number
}

export const defaultAttentionForm = (): AttentionForm => ({ patterns: '0-3', projection: 'identity', dk: 16, dv: null, seed: 0 })

type Built<P> = { params: P; error?: undefined; field?: undefined } | { params?: undefined; error: string; field: string }

const intIn = (v: number | null, lo: number, hi: number): boolean => v !== null && Number.isInteger(v) && v >= lo && v <= hi

/** The view request: the cue form's corruption and seed on each listed stored pattern. */
export function buildAttentionView(form: AttentionForm, cue: RetrieveForm, info: ModernInfo): Built<ModernAttentionView> {
  let patterns: number[]
  try {
    patterns = parseRowList(form.patterns, info.patterns, ATTENTION_LIMITS.queries)
  } catch (e) {
    return { field: 'patterns', error: (e as Error).message.replace(/^rows/, 'patterns') }
  }
  if (info.patterns > ATTENTION_LIMITS.stored) return { field: 'patterns', error: `the attention view draws at most ${ATTENTION_LIMITS.stored} stored patterns; this memory has ${info.patterns}` }
  if (cue.cue !== 'lower-half' && !(cue.fraction >= 0 && cue.fraction <= 1)) return { field: 'fraction', error: 'the cue fraction must be from 0 to 1' }
  if (!intIn(cue.seed, 0, 2 ** 32 - 1)) return { field: 'seed', error: 'the cue seed is an integer ≥ 0' }
  const queries = { from: 'cues' as const, patterns, corruption: cueCorruption(cue, info), seed: cue.seed }
  if (form.projection === 'identity') return { params: { kind: 'modern.attention', queries, projection: { kind: 'identity' } } }
  if (!intIn(form.dk, 1, ATTENTION_LIMITS.projected)) return { field: 'dk', error: `d_k: an integer from 1 to ${ATTENTION_LIMITS.projected}` }
  if (form.dv !== null && !intIn(form.dv, 1, ATTENTION_LIMITS.projected)) return { field: 'dv', error: `d_v: an integer from 1 to ${ATTENTION_LIMITS.projected}, or empty for W_V = I` }
  if (!intIn(form.seed, 0, 2 ** 32 - 1)) return { field: 'projectionSeed', error: 'the projection seed is an integer ≥ 0' }
  return { params: { kind: 'modern.attention', queries, projection: { kind: 'random', dk: form.dk, dv: form.dv, seed: form.seed } } }
}

const name = (labels: readonly string[], i: number): string => labels[i] || `#${i}`

/** Row labels: "cue of A (q0)". */
export function queryLabels(r: ModernAttentionResult, labels: readonly string[]): string[] {
  return r.queries.map((_, s) => (r.queryPatterns ? `q${s}: ${name(labels, r.queryPatterns[s]!)}` : `q${s}`))
}

/** A [S, T] as a heatmap: rows the queries (first at the top), columns the stored patterns, colour 0 … 1. */
export function attentionHeatmapOption(r: ModernAttentionResult, labels: readonly string[]): ChartOption {
  const data: [number, number, number][] = []
  r.weights.forEach((row, s) => row.forEach((a, t) => data.push([t, s, a])))
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 70, right: 16, top: 8, bottom: 58 },
    tooltip: { position: 'top', formatter: (p) => { const v = (p as unknown as { value: [number, number, number] }).value; return `${queryLabels(r, labels)[v[1]]} → ${name(labels, v[0])}: ${v[2].toFixed(4)}` } },
    xAxis: { type: 'category', data: r.weights[0]!.map((_, t) => name(labels, t)), name: 'stored patterns (keys)', nameLocation: 'middle', nameGap: 22, splitArea: { show: true }, ...AXIS_STYLE },
    yAxis: { type: 'category', data: queryLabels(r, labels), inverse: true, splitArea: { show: true }, ...AXIS_STYLE },
    visualMap: { type: 'continuous', min: 0, max: 1, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, itemWidth: 10, text: ['1', '0'], inRange: { color: ['#f4f6f9', '#2f6fde', '#12306b'] }, textStyle: TEXT_STYLE },
    series: [{ type: 'heatmap', name: 'attention weight', data, emphasis: { itemStyle: { borderColor: '#1f2733', borderWidth: 1 } } }]
  }
}

/** "attention = Hopfield update, max |Δ| = 2.2e-16": the larger of the weights' and the outputs' differences. */
export function equivalenceText(r: ModernAttentionResult): string {
  const d = Math.max(r.maxDiff.weights, r.maxDiff.output)
  return `attention = Hopfield update (β = 1/√${r.dims.dk} = ${r.scale.toPrecision(4)}), max |Δ| = ${d === 0 ? '0' : d.toExponential(1)}`
}

/** "Q 4×16 · K 8×16 · V 8×100 · A 4×8 · Z 4×100". */
export function shapesText(r: ModernAttentionResult): string {
  const { queries: S, stored: T, dk, dv } = r.dims
  return `Q ${S}×${dk} · K ${T}×${dk} · V ${T}×${dv} · A ${S}×${T} · Z ${S}×${dv}`
}
