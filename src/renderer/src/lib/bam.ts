// The BAM page's pure parts (seed 003): the training form, the cue editor's unit cycle and seeded
// flips, the half-step frames of a recall (both layers at every half-step), its outcome in words,
// the energy chart, and the page state read back from a session's ui record.
import { Rng } from '../../../core/rng'
import type { BamInfo, BamRecallResult } from '../../../shared/session'
import { BUILTIN_DATASETS, type BamModelSpec, type DatasetId } from '../../../shared/spec'
import { ACCENT, AXIS_STYLE, cursorMarkLine, MUTED, TEXT_STYLE, type ChartOption } from './charts'
import { isObject } from './ui-record'

export type BamCodes = BamModelSpec['codes']
export type BamEncoding = BamModelSpec['encoding']
export type Layer = 'x' | 'y'

export interface BamForm {
  datasetId: DatasetId
  /** Patterns stored: the first `count` of the dataset. */
  count: number
  codes: BamCodes
  encoding: BamEncoding
}

export const BAM_CODES: readonly { id: BamCodes; label: string }[] = [
  { id: 'dataset', label: "the dataset's own Y (seeds-003-bam)" },
  { id: 'binary-index', label: 'pattern index in binary (±1 bits)' },
  { id: 'one-hot', label: 'one-hot' }
]

/** Seed 003's example: letters A and C with their codes (−1, 1) and (1, 1). */
export function defaultBamForm(): BamForm {
  return { datasetId: 'seeds-003-bam', count: 2, codes: 'dataset', encoding: 'bipolar' }
}

/** The bam.train params the form describes (without the session), or the field in error. */
export function buildBamTrain(
  form: BamForm,
  datasets: readonly { id: string; count: number }[] = []
): { params: { dataset: { builtin: DatasetId; count: number }; model: BamModelSpec }; error?: undefined; field?: undefined } | { params?: undefined; error: string; field: string } {
  if (form.codes === 'dataset' && form.datasetId !== 'seeds-003-bam') return { field: 'codes', error: "only seeds-003-bam has its own Y codes: pick 'binary-index' or 'one-hot'" }
  if (!Number.isInteger(form.count) || form.count < 1) return { field: 'count', error: 'store at least one pair' }
  const summary = datasets.find((d) => d.id === form.datasetId)
  if (summary && form.count > summary.count) return { field: 'count', error: `${form.datasetId} has ${summary.count} patterns, not ${form.count}` }
  return { params: { dataset: { builtin: form.datasetId, count: form.count }, model: { kind: 'bam', codes: form.codes, encoding: form.encoding } } }
}

/** One click on a cue unit: bipolar −1 → 0 (unknown) → +1 → −1; binary 0 ↔ 1. */
export function cycleUnit(v: number, encoding: BamEncoding): number {
  if (encoding === 'binary') return v === 1 ? 0 : 1
  return v === -1 ? 0 : v === 0 ? 1 : -1
}

/** The layer with round(fraction·n) units flipped (seeded; unknown units stay unknown but count). */
export function flipUnits(state: readonly number[], fraction: number, seed: number, encoding: BamEncoding): number[] {
  const out = [...state]
  const k = Math.round(Math.max(0, Math.min(1, fraction)) * out.length)
  const order = new Rng(seed).permutation(out.length)
  for (let i = 0; i < k; i++) {
    const j = order[i]!
    const v = out[j]!
    out[j] = encoding === 'binary' ? 1 - v : -v
  }
  return out.map((v) => (v === 0 ? 0 : v)) // no −0
}

/** The layer as sent to bam.recall: left out when nothing of it is known (a bipolar layer all 0). */
export function cueLayer(state: readonly number[], given: boolean, encoding: BamEncoding): number[] | undefined {
  if (!given) return undefined
  if (encoding === 'bipolar' && state.every((v) => v === 0)) return undefined
  return [...state]
}

export interface BamFrame {
  /** 0: the cue; k ≥ 1: after half-step k. */
  t: number
  x: number[]
  y: number[]
  /** The layer updated at this half-step (null for the cue). */
  layer: Layer | null
  netInput: number[] | null
  energy: number | null
  /** Units of the updated layer that changed at this half-step. */
  changed: number[]
}

/** Both layers at every half-step: the cue (unknown layers all 0), then one layer updated at a time. */
export function bamFrames(result: BamRecallResult, xUnits: number, yUnits: number): BamFrame[] {
  let x = result.cue.x ? [...result.cue.x] : new Array<number>(xUnits).fill(0)
  let y = result.cue.y ? [...result.cue.y] : new Array<number>(yUnits).fill(0)
  const frames: BamFrame[] = [{ t: 0, x, y, layer: null, netInput: null, energy: null, changed: [] }]
  result.steps.forEach((s, k) => {
    const before = s.layer === 'x' ? x : y
    const changed = s.state.flatMap((v, i) => (v !== before[i] ? [i] : []))
    if (s.layer === 'x') x = [...s.state]
    else y = [...s.state]
    frames.push({ t: k + 1, x, y, layer: s.layer, netInput: s.netInput, energy: s.energy, changed })
  })
  return frames
}

export type BamVerdict = 'pair' | 'negative' | 'spurious' | 'max-iterations'

/** The recall's ending in words: the stored pair (label) it matched, its negative, or a spurious stable state. */
export function bamOutcome(result: BamRecallResult, labels: readonly string[]): { verdict: BamVerdict; text: string } {
  const name = (i: number): string => labels[i] ?? `pair ${i}`
  if (result.outcome === 'one-shot') {
    return result.match >= 0
      ? { verdict: 'pair', text: `one pass: Y is the code of ${name(result.match)}` }
      : { verdict: 'spurious', text: 'one pass: Y is no stored code (association failed)' }
  }
  if (result.match >= 0) return { verdict: 'pair', text: `stored pair ${name(result.match)}` }
  if (result.negativeMatch >= 0) return { verdict: 'negative', text: `negative of stored pair ${name(result.negativeMatch)}` }
  if (result.outcome === 'max-iterations') return { verdict: 'max-iterations', text: `no stable state after ${result.halfSteps} half-steps` }
  return { verdict: 'spurious', text: 'SPURIOUS stable state: not a stored pair nor its negative' }
}

/** W's shape and parameter count, e.g. "W 15 × 2 · 30 weights". */
export function weightSize(info: Pick<BamInfo, 'xUnits' | 'yUnits'>): string {
  return `W ${info.xUnits} × ${info.yUnits} · ${(info.xUnits * info.yUnits).toLocaleString('en')} weights`
}

/** L = −x W yᵀ per half-step, with the replay position marked. */
export function bamEnergyOption(result: BamRecallResult, t: number): ChartOption {
  const data = result.steps.map((s, k) => [k + 1, s.energy])
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 44, right: 12, top: 16, bottom: 30 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: 'half-step', nameLocation: 'middle', nameGap: 20, min: 1, max: Math.max(1, result.steps.length), minInterval: 1, ...AXIS_STYLE },
    yAxis: { type: 'value', name: 'L', scale: true, ...AXIS_STYLE },
    series: [
      {
        type: 'line',
        name: 'energy L',
        data,
        step: 'end',
        symbolSize: 6,
        lineStyle: { color: ACCENT, width: 2 },
        itemStyle: { color: ACCENT },
        ...(t >= 1 ? { markLine: cursorMarkLine(t, `t=${t}`) } : {})
      }
    ],
    color: [ACCENT, MUTED]
  }
}

export interface BamUi {
  form: BamForm
  selectedId: string | null
  first: Layer
  maxIterations: number
  flipFraction: number
  flipSeed: number
  /** bam: ping-pong until stable; one-shot: the hetero-associative net's single X → Y pass (003). */
  mode: 'bam' | 'one-shot'
}

export function defaultBamUi(): BamUi {
  return { form: defaultBamForm(), selectedId: null, first: 'x', maxIterations: 100, flipFraction: 0.2, flipSeed: 1, mode: 'bam' }
}

/** The page state saved in a session's ui record, read back field by field over the defaults. */
export function readBamUi(raw: unknown): BamUi {
  const ui = defaultBamUi()
  if (!isObject(raw)) return ui
  const f = raw.form
  if (isObject(f)) {
    if (typeof f.datasetId === 'string' && ((BUILTIN_DATASETS as readonly string[]).includes(f.datasetId) || /^user:/.test(f.datasetId))) ui.form.datasetId = f.datasetId as DatasetId
    if (Number.isInteger(f.count) && (f.count as number) > 0) ui.form.count = f.count as number
    if (BAM_CODES.some((c) => c.id === f.codes)) ui.form.codes = f.codes as BamCodes
    if (f.encoding === 'bipolar' || f.encoding === 'binary') ui.form.encoding = f.encoding
  }
  if (typeof raw.selectedId === 'string') ui.selectedId = raw.selectedId
  if (raw.first === 'x' || raw.first === 'y') ui.first = raw.first
  if (Number.isInteger(raw.maxIterations) && (raw.maxIterations as number) > 0) ui.maxIterations = raw.maxIterations as number
  if (typeof raw.flipFraction === 'number' && raw.flipFraction >= 0 && raw.flipFraction <= 1) ui.flipFraction = raw.flipFraction
  if (Number.isInteger(raw.flipSeed) && (raw.flipSeed as number) >= 0) ui.flipSeed = raw.flipSeed as number
  if (raw.mode === 'bam' || raw.mode === 'one-shot') ui.mode = raw.mode
  return ui
}
