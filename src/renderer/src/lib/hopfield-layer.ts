// The Hopfield layer page's pure parts: the form as models.train params (checked by the family's schema, the field in
// error named), live points from progress metrics, the loss / held-out accuracy chart beside the linear baseline, the
// attention bars, stored patterns scaled for drawing, and the page state read back from a session's ui record.
import {
  HOPFIELD_LAYER_MODES,
  hopfieldLayerBagsSchema,
  hopfieldLayerModelSpecSchema,
  hopfieldLayerSpecProblem,
  hopfieldLayerTaskSchema,
  type HopfieldLayerBagResult,
  type HopfieldLayerModelSpec,
  type HopfieldLayerPoint
} from '../../../shared/families/hopfield-layer'
import { ACCENT, AXIS_STYLE, MARKER, MUTED, PALETTE, TEXT_STYLE, type ChartOption } from './charts'
import { isObject } from './ui-record'

/**
 * The form: the mode, the task's (lookup) or the bags' (pooling) fields and the layer's side by side; null keySize / beta
 * take their defaults (d, 1/√k).
 */
export interface HopfieldLayerForm {
  mode: (typeof HOPFIELD_LAYER_MODES)[number]
  /** The pooling mode's bags: instance size d, bag sizes, the key's noise σ, training and held-out bags. */
  bagSize: number
  minBag: number
  maxBag: number
  bagNoise: number
  bagTrain: number
  bagTest: number
  classes: number
  pairs: number
  width: number
  height: number
  flip: number
  train: number
  test: number
  storedPatterns: number
  keySize: number | null
  beta: number | null
  epochs: number
  batch: number
  learningRate: number
  seed: number
}

export interface HopfieldLayerUi {
  form: HopfieldLayerForm
  selectedId: string | null
  /** The held-out sample whose attention is shown. */
  index: number
}

const TASK_KEYS = ['classes', 'pairs', 'width', 'height', 'flip', 'train', 'test'] as const
const LAYER_KEYS = ['storedPatterns', 'epochs', 'batch', 'learningRate'] as const
/** Form field → the bags task's field. */
const BAG_FIELDS = { bagSize: 'size', minBag: 'minBag', maxBag: 'maxBag', bagNoise: 'noise', bagTrain: 'train', bagTest: 'test' } as const
const BAG_KEYS = Object.keys(BAG_FIELDS) as (keyof typeof BAG_FIELDS)[]
const formFieldOfBag = (field: string): string => BAG_KEYS.find((k) => BAG_FIELDS[k] === field) ?? 'bags'

export function defaultHopfieldLayerUi(): HopfieldLayerUi {
  const spec = hopfieldLayerModelSpecSchema.parse({ kind: 'hopfield-layer' })
  const { kind: _k, ...task } = spec.task
  const bags = hopfieldLayerBagsSchema.parse({})
  return {
    form: {
      mode: 'lookup',
      ...(Object.fromEntries(BAG_KEYS.map((k) => [k, bags[BAG_FIELDS[k]]])) as Pick<HopfieldLayerForm, (typeof BAG_KEYS)[number]>),
      ...task,
      storedPatterns: spec.storedPatterns,
      keySize: null,
      beta: null,
      epochs: spec.epochs,
      batch: spec.batch,
      learningRate: spec.learningRate,
      seed: 0
    },
    selectedId: null,
    index: 0
  }
}

type Built<P> = { params: P; error?: undefined; field?: undefined } | { params?: undefined; error: string; field: string }

/** models.train params of the form (without the session), or the form field in error. */
export function buildHopfieldLayerTrain(form: HopfieldLayerForm): Built<{ model: HopfieldLayerModelSpec; seed: number }> {
  const { seed, keySize, beta } = form
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) return { field: 'seed', error: 'the seed is an integer from 0 to 2³²−1' }
  const pooling = form.mode === 'pooling'
  // Each mode sends its own task; the pooling mode has no stored patterns.
  const taskPart = pooling
    ? { mode: 'pooling', bags: Object.fromEntries(BAG_KEYS.map((k) => [BAG_FIELDS[k], form[k]])) }
    : { task: Object.fromEntries(TASK_KEYS.map((k) => [k, form[k]])), storedPatterns: form.storedPatterns }
  const layer = Object.fromEntries(LAYER_KEYS.filter((k) => k !== 'storedPatterns').map((k) => [k, form[k]]))
  const parsed = hopfieldLayerModelSpecSchema.safeParse({ kind: 'hopfield-layer', ...taskPart, ...layer, ...(keySize !== null ? { keySize } : {}), ...(beta !== null ? { beta } : {}) })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    // A task field is a form field of its own name; a bags field is its bag* form field.
    const [head, sub] = issue.path.map(String)
    const field = head === 'task' ? (sub ?? 'task') : head === 'bags' ? formFieldOfBag(sub ?? '') : (head ?? 'form')
    return { field, error: issue.message }
  }
  const problem = hopfieldLayerSpecProblem(parsed.data, 'model')
  if (problem) {
    const path = problem.field.slice('model.'.length)
    return { field: path.startsWith('bags.') ? formFieldOfBag(path.slice('bags.'.length)) : path, error: problem.message.slice(problem.field.length + 2) }
  }
  return { params: { model: parsed.data, seed } }
}

/** A live point from a hopfield-layer.train progress event's metrics (null when they are not one). */
export function pointFromMetrics(m: Record<string, number> | undefined): HopfieldLayerPoint | null {
  if (!m || !Number.isInteger(m.epoch)) return null
  const { loss, testAccuracy, baselineTestAccuracy, prototypeMatch, keyAttention } = m
  if (typeof loss !== 'number' || typeof testAccuracy !== 'number' || typeof baselineTestAccuracy !== 'number') return null
  if (typeof prototypeMatch === 'number') return { epoch: m.epoch!, loss, testAccuracy, baselineTestAccuracy, prototypeMatch }
  if (typeof keyAttention === 'number') return { epoch: m.epoch!, loss, testAccuracy, baselineTestAccuracy, keyAttention }
  return null
}

/**
 * Loss per epoch (left axis); held-out accuracy of the layer and of the baseline, and how well the stored patterns match
 * the task's prototypes (lookup) or how much attention the key instance gets (pooling) (right axis, 0–1).
 */
export function layerTrainingOption(points: readonly HopfieldLayerPoint[], epochs: number, classes: number, pooling = false): ChartOption {
  const line = (name: string, axis: number, data: [number, number][], color: string, dashed = false) =>
    ({ type: 'line' as const, name, yAxisIndex: axis, data, showSymbol: false, lineStyle: { color, width: 2, ...(dashed ? { type: 'dashed' as const } : {}) }, itemStyle: { color } })
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 48, right: 52, top: 34, bottom: 30 },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, left: 'center', textStyle: TEXT_STYLE },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 20, min: 0, max: Math.max(1, epochs), ...AXIS_STYLE },
    yAxis: [
      { type: 'value', name: 'loss', scale: true, ...AXIS_STYLE },
      { type: 'value', name: 'accuracy · match', min: 0, max: 1, ...AXIS_STYLE, splitLine: { show: false } }
    ],
    series: [
      line('loss', 0, points.map((p) => [p.epoch, p.loss]), MUTED),
      line(pooling ? 'Hopfield pooling' : 'Hopfield layer', 1, points.map((p) => [p.epoch, p.testAccuracy]), ACCENT),
      {
        ...line(pooling ? 'mean pooling' : 'linear baseline', 1, points.map((p) => [p.epoch, p.baselineTestAccuracy]), MARKER, true),
        markLine: { silent: true, symbol: 'none', label: { formatter: 'chance', color: MUTED, fontSize: 10 }, lineStyle: { color: MUTED, type: 'dotted' }, data: [{ yAxis: 1 / classes }] }
      },
      pooling
        ? line('attention on the key', 1, points.map((p) => [p.epoch, p.keyAttention ?? 0]), PALETTE[4]!, true)
        : line('stored ↔ prototypes', 1, points.map((p) => [p.epoch, p.prototypeMatch ?? 0]), PALETTE[4]!, true)
    ]
  }
}

/** The attention over the stored patterns as bars, coloured by each stored pattern's class vote. */
export function attentionOption(attention: readonly number[], storedClasses: readonly number[]): ChartOption {
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 40, right: 12, top: 12, bottom: 30 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', name: 'stored pattern', nameLocation: 'middle', nameGap: 20, data: attention.map((_, j) => String(j)), ...AXIS_STYLE },
    yAxis: { type: 'value', min: 0, max: 1, ...AXIS_STYLE },
    series: [{ type: 'bar', name: 'attention', data: attention.map((a, j) => ({ value: a, itemStyle: { color: PALETTE[(storedClasses[j] ?? 0) % PALETTE.length] } })) }]
  }
}

/** The pooling's attention over one bag's instances as bars: the key instance in the accent colour, the decoys marked, the clutter muted. */
export function bagAttentionOption(bag: Pick<HopfieldLayerBagResult, 'attention' | 'roles'>): ChartOption {
  const colour = { key: ACCENT, decoy: MARKER, clutter: MUTED } as const
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 40, right: 12, top: 12, bottom: 30 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', name: 'instance', nameLocation: 'middle', nameGap: 20, data: bag.roles.map((r, i) => (r === 'clutter' ? String(i) : `${i} ${r}`)), ...AXIS_STYLE },
    yAxis: { type: 'value', min: 0, max: 1, ...AXIS_STYLE },
    series: [{ type: 'bar', name: 'attention', data: bag.attention.map((a, i) => ({ value: a, itemStyle: { color: colour[bag.roles[i] ?? 'clutter'] } })) }]
  }
}

/** Rows of an [n, size] matrix, each scaled by its largest |value| into [−1, 1] (a stored pattern's picture). */
export function scaledRows(values: ArrayLike<number>, n: number, size: number): Float32Array[] {
  return Array.from({ length: n }, (_, j) => {
    const row = Float32Array.from({ length: size }, (_, i) => values[j * size + i]!)
    const m = row.reduce((a, v) => Math.max(a, Math.abs(v)), 0)
    return m > 0 ? row.map((v) => v / m) : row
  })
}

/** The page state saved in a session's ui record, read back field by field over the defaults (a bad field keeps its default). */
export function readHopfieldLayerUi(raw: unknown): HopfieldLayerUi {
  const ui = defaultHopfieldLayerUi()
  if (!isObject(raw)) return ui
  const f = raw.form
  if (isObject(f)) {
    const taskShape = hopfieldLayerTaskSchema.shape
    const shape = hopfieldLayerModelSpecSchema.shape
    const put = (key: keyof HopfieldLayerForm, ok: boolean, value: unknown): void => {
      if (key in f && ok) (ui.form as unknown as Record<string, unknown>)[key] = value
    }
    for (const key of TASK_KEYS) put(key, taskShape[key].safeParse(f[key]).success, f[key])
    const bagShape = hopfieldLayerBagsSchema.shape
    for (const key of BAG_KEYS) put(key, bagShape[BAG_FIELDS[key]].safeParse(f[key]).success, f[key])
    put('mode', HOPFIELD_LAYER_MODES.includes(f.mode as never), f.mode)
    for (const key of LAYER_KEYS) put(key, shape[key].safeParse(f[key]).success, f[key])
    put('keySize', f.keySize === null || shape.keySize.safeParse(f.keySize).success, f.keySize)
    put('beta', f.beta === null || shape.beta.safeParse(f.beta).success, f.beta)
    put('seed', Number.isInteger(f.seed) && (f.seed as number) >= 0 && (f.seed as number) <= 2 ** 32 - 1, f.seed)
  }
  if (typeof raw.selectedId === 'string') ui.selectedId = raw.selectedId
  if (Number.isInteger(raw.index) && (raw.index as number) >= 0) ui.index = raw.index as number
  return ui
}
