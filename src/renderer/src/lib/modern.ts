// The modern Hopfield page's pure parts (004): the store form and the retrieval form as API params (or the field in
// error), the outcome in words, the charts (retrieval weights over the stored patterns at a step, the energy per
// step), and the page state (the store, retrieval and attention forms) read back from a session's ui record.
import type { ModernInfo, ModernModelSpec, ModernRetrieveResult } from '../../../shared/families/modern'
import { BUILTIN_DATASETS, type Corruption, type DatasetId } from '../../../shared/spec'
import { defaultAttentionForm, readAttentionForm, type AttentionForm } from './attention'
import { ACCENT, AXIS_STYLE, cursorMarkLine, MARKER, MUTED, TEXT_STYLE, type ChartOption } from './charts'
import { isObject } from './ui-record'

export type InteractionKind = ModernModelSpec['interaction']['kind']

export interface ModernForm {
  datasetId: DatasetId
  /** Patterns stored: the first `count` of the dataset. */
  count: number
  variant: ModernModelSpec['variant']
  beta: number
  values: ModernModelSpec['values']
  interaction: InteractionKind
  degree: number
}

export type CueKind = 'flip' | 'maskFraction' | 'lower-half'

export interface RetrieveForm {
  pattern: number
  cue: CueKind
  fraction: number
  seed: number
  /** β of the retrieval (continuous); null: the model's. */
  beta: number | null
  maxSteps: number
}

export interface ModernUi {
  form: ModernForm
  retrieve: RetrieveForm
  /** The attention view's form (queries, projections, given matrices). */
  attention: AttentionForm
  selectedId: string | null
}

export const INTERACTIONS: readonly { id: InteractionKind; label: string }[] = [
  { id: 'polynomial', label: 'F(x) = xⁿ (Krotov–Hopfield)' },
  { id: 'rectified-polynomial', label: 'F(x) = max(x, 0)ⁿ' },
  { id: 'exp', label: 'F(x) = exp(x) (Demircigil et al.)' }
]

export const CUE_KINDS: readonly { id: CueKind; label: string }[] = [
  { id: 'flip', label: 'flip a fraction' },
  { id: 'maskFraction', label: 'mask a fraction (0)' },
  { id: 'lower-half', label: 'mask the lower half (0)' }
]

export function defaultModernUi(): ModernUi {
  return {
    form: { datasetId: 'letters', count: 8, variant: 'continuous', beta: 0.5, values: 'bipolar', interaction: 'polynomial', degree: 3 },
    retrieve: { pattern: 0, cue: 'flip', fraction: 0.2, seed: 1, beta: null, maxSteps: 50 },
    attention: defaultAttentionForm(),
    selectedId: null
  }
}

type Built<P> = { params: P; error?: undefined; field?: undefined } | { params?: undefined; error: string; field: string }

/** models.train params of the store form (without the session), or the field in error. */
export function buildModernTrain(form: ModernForm, datasets: readonly { id: string; count: number }[] = []): Built<{ dataset: { builtin: DatasetId; count: number }; model: ModernModelSpec }> {
  if (!Number.isInteger(form.count) || form.count < 1) return { field: 'count', error: 'store at least one pattern' }
  const summary = datasets.find((d) => d.id === form.datasetId)
  if (summary && form.count > summary.count) return { field: 'count', error: `${form.datasetId} has ${summary.count} patterns, not ${form.count}` }
  if (!(form.beta > 0 && form.beta <= 1e4)) return { field: 'beta', error: 'β must be > 0 and ≤ 10⁴' }
  if (form.variant === 'dense' && form.interaction !== 'exp' && !(Number.isInteger(form.degree) && form.degree >= 2 && form.degree <= 10)) {
    return { field: 'degree', error: 'n must be an integer from 2 to 10' }
  }
  const interaction: ModernModelSpec['interaction'] = form.interaction === 'exp' ? { kind: 'exp' } : { kind: form.interaction, degree: form.degree }
  return {
    params: {
      dataset: { builtin: form.datasetId, count: form.count },
      model: { kind: 'modern', variant: form.variant, beta: form.beta, values: form.variant === 'dense' ? 'bipolar' : form.values, interaction }
    }
  }
}

/** The corruption the cue form describes, for a model's image size. */
export function cueCorruption(form: RetrieveForm, info: Pick<ModernInfo, 'width' | 'height'>): Corruption {
  if (form.cue === 'lower-half') {
    const top = Math.floor(info.height / 2)
    return { type: 'mask', x: 0, y: top, width: info.width, height: info.height - top, fill: 0 }
  }
  if (form.cue === 'maskFraction') return { type: 'maskFraction', fraction: form.fraction, fill: 0 }
  return { type: 'flip', fraction: form.fraction }
}

/** models.run's modern.retrieve request of the retrieval form, or the field in error. */
export function buildModernRetrieve(
  form: RetrieveForm,
  info: ModernInfo
): Built<{ kind: 'modern.retrieve'; pattern: number; corruption: Corruption; seed: number; maxSteps: number; beta?: number }> {
  if (!Number.isInteger(form.pattern) || form.pattern < 0 || form.pattern >= info.patterns) return { field: 'pattern', error: `pick one of the ${info.patterns} stored patterns` }
  if (form.cue !== 'lower-half' && !(form.fraction >= 0 && form.fraction <= 1)) return { field: 'fraction', error: 'the fraction must be from 0 to 1' }
  if (!Number.isInteger(form.seed) || form.seed < 0) return { field: 'seed', error: 'the seed is an integer ≥ 0' }
  if (!Number.isInteger(form.maxSteps) || form.maxSteps < 1 || form.maxSteps > 1000) return { field: 'maxSteps', error: 'steps: an integer from 1 to 1000' }
  const beta = info.spec.variant === 'continuous' && form.beta !== null ? form.beta : undefined
  if (beta !== undefined && !(beta > 0 && beta <= 1e4)) return { field: 'beta', error: 'β must be > 0 and ≤ 10⁴' }
  return { params: { kind: 'modern.retrieve', pattern: form.pattern, corruption: cueCorruption(form, info), seed: form.seed, maxSteps: form.maxSteps, ...(beta !== undefined ? { beta } : {}) } }
}

const FIXED_POINT_WORDS = {
  single: 'single pattern',
  metastable: 'metastable state',
  global: 'global average'
} as const

/** The retrieval's ending in words. */
export function modernOutcome(r: ModernRetrieveResult, labels: readonly string[]): { verdict: 'retrieved' | 'other' | 'mixture'; text: string } {
  const name = (i: number): string => labels[i] ?? `#${i}`
  if (r.fixedPoint && r.fixedPoint.kind !== 'single') {
    const over = r.fixedPoint.patterns.slice(0, 4).map(name).join(', ')
    if (r.fixedPoint.kind === 'global') return { verdict: 'mixture', text: `${FIXED_POINT_WORDS.global} over all stored patterns` }
    return { verdict: 'mixture', text: `${FIXED_POINT_WORDS.metastable} over ${over}${r.fixedPoint.patterns.length > 4 ? ', …' : ''}` }
  }
  if (r.retrieved === r.pattern && (r.hamming === null || r.hamming === 0)) return { verdict: 'retrieved', text: `retrieved ${name(r.pattern)}` }
  if (r.retrieved === r.pattern) return { verdict: 'other', text: `near ${name(r.pattern)}, ${r.hamming} units off` }
  return { verdict: 'other', text: `settled on ${name(r.retrieved)}, not ${name(r.pattern)}` }
}

/** The weights over the stored patterns at step t (softmax p, or the dense memory's overlaps m/d). */
export function weightsOption(r: ModernRetrieveResult, t: number, labels: readonly string[]): ChartOption {
  const step = r.steps[Math.min(t, r.steps.length - 1)]
  const data = (step?.weights ?? []).map((w, i) => ({ value: w, itemStyle: { color: i === r.pattern ? MARKER : ACCENT } }))
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 44, right: 12, top: 16, bottom: 30 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: labels.map((l, i) => l || `#${i}`), ...AXIS_STYLE },
    yAxis: r.variant === 'continuous' ? { type: 'value', name: 'p', min: 0, max: 1, ...AXIS_STYLE } : { type: 'value', name: 'm/d', min: -1, max: 1, ...AXIS_STYLE },
    series: [{ type: 'bar', name: r.variant === 'continuous' ? 'softmax weight' : 'overlap m/d', data }],
    color: [ACCENT, MUTED]
  }
}

/** The energy at the cue (step 0) and after each update or sweep, with the replay position marked. */
export function modernEnergyOption(r: ModernRetrieveResult, t: number): ChartOption {
  const data = r.steps.map((s, k) => [k, s.energy])
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 56, right: 12, top: 16, bottom: 30 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: r.variant === 'continuous' ? 'update' : 'sweep', nameLocation: 'middle', nameGap: 20, min: 0, max: Math.max(1, r.steps.length - 1), minInterval: 1, ...AXIS_STYLE },
    yAxis: { type: 'value', name: 'E', scale: true, ...AXIS_STYLE },
    series: [{ type: 'line', name: 'energy', data, symbolSize: 6, lineStyle: { color: ACCENT, width: 2 }, itemStyle: { color: ACCENT }, markLine: cursorMarkLine(t, `t=${t}`) }],
    color: [ACCENT, MUTED]
  }
}

/** β as people read it: 3 decimals from 0.01 up, else 1.5e-4. */
export function betaText(beta: number): string {
  return beta >= 0.01 ? String(Number(beta.toFixed(3))) : beta.toExponential(1)
}

/**
 * Theorem 5's bound in words: a number when it says something (below 2M, the largest distance between two states in
 * the patterns' ball), else that it is vacuous from this cue (the cue is too far from its pattern).
 */
export function boundText(bound: number | null, largestNorm: number): string | null {
  if (bound === null) return null
  return bound < 2 * largestNorm ? `one update's error ≤ ${bound.toPrecision(3)}` : 'vacuous from this cue (too far from its pattern)'
}

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0

/** The page state saved in a session's ui record, read back field by field over the defaults. */
export function readModernUi(raw: unknown): ModernUi {
  const ui = defaultModernUi()
  if (!isObject(raw)) return ui
  const f = raw.form
  if (isObject(f)) {
    if (typeof f.datasetId === 'string' && ((BUILTIN_DATASETS as readonly string[]).includes(f.datasetId) || /^user:/.test(f.datasetId))) ui.form.datasetId = f.datasetId as DatasetId
    if (isCount(f.count) && f.count > 0) ui.form.count = f.count
    if (f.variant === 'continuous' || f.variant === 'dense') ui.form.variant = f.variant
    if (typeof f.beta === 'number' && f.beta > 0) ui.form.beta = f.beta
    if (f.values === 'bipolar' || f.values === 'grey') ui.form.values = f.values
    if (INTERACTIONS.some((k) => k.id === f.interaction)) ui.form.interaction = f.interaction as InteractionKind
    if (isCount(f.degree) && f.degree >= 2) ui.form.degree = f.degree
  }
  const r = raw.retrieve
  if (isObject(r)) {
    if (isCount(r.pattern)) ui.retrieve.pattern = r.pattern
    if (CUE_KINDS.some((k) => k.id === r.cue)) ui.retrieve.cue = r.cue as CueKind
    if (typeof r.fraction === 'number' && r.fraction >= 0 && r.fraction <= 1) ui.retrieve.fraction = r.fraction
    if (isCount(r.seed)) ui.retrieve.seed = r.seed
    if (r.beta === null || (typeof r.beta === 'number' && r.beta > 0)) ui.retrieve.beta = r.beta
    if (isCount(r.maxSteps) && r.maxSteps > 0) ui.retrieve.maxSteps = r.maxSteps
  }
  ui.attention = readAttentionForm(raw.attention)
  if (typeof raw.selectedId === 'string') ui.selectedId = raw.selectedId
  return ui
}
