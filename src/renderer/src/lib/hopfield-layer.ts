// The Hopfield layer page's pure parts: the form as models.train params (checked by the family's schema, the field in
// error named), live points from progress metrics, the loss / held-out accuracy chart beside the linear baseline, the
// attention bars, stored patterns scaled for drawing, and the page state read back from a session's ui record.
import { hopfieldLayerModelSpecSchema, hopfieldLayerSpecProblem, hopfieldLayerTaskSchema, type HopfieldLayerModelSpec, type HopfieldLayerPoint } from '../../../shared/families/hopfield-layer'
import { ACCENT, AXIS_STYLE, MARKER, MUTED, PALETTE, TEXT_STYLE, type ChartOption } from './charts'

/** The form: the task's and the layer's fields side by side; null keySize / beta take their defaults (d, 1/√k). */
export interface HopfieldLayerForm {
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

export function defaultHopfieldLayerUi(): HopfieldLayerUi {
  const spec = hopfieldLayerModelSpecSchema.parse({ kind: 'hopfield-layer' })
  const { kind: _k, ...task } = spec.task
  return { form: { ...task, storedPatterns: spec.storedPatterns, keySize: null, beta: null, epochs: spec.epochs, batch: spec.batch, learningRate: spec.learningRate, seed: 0 }, selectedId: null, index: 0 }
}

type Built<P> = { params: P; error?: undefined; field?: undefined } | { params?: undefined; error: string; field: string }

/** models.train params of the form (without the session), or the form field in error. */
export function buildHopfieldLayerTrain(form: HopfieldLayerForm): Built<{ model: HopfieldLayerModelSpec; seed: number }> {
  const { seed, keySize, beta } = form
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) return { field: 'seed', error: 'the seed is an integer from 0 to 2³²−1' }
  const task = Object.fromEntries(TASK_KEYS.map((k) => [k, form[k]]))
  const layer = Object.fromEntries(LAYER_KEYS.map((k) => [k, form[k]]))
  const parsed = hopfieldLayerModelSpecSchema.safeParse({ kind: 'hopfield-layer', task, ...layer, ...(keySize !== null ? { keySize } : {}), ...(beta !== null ? { beta } : {}) })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    // A task field is a form field of its own name.
    const field = String(issue.path[0] === 'task' ? (issue.path[1] ?? 'task') : (issue.path[0] ?? 'form'))
    return { field, error: issue.message }
  }
  const problem = hopfieldLayerSpecProblem(parsed.data, 'model')
  if (problem) return { field: problem.field.slice('model.'.length), error: problem.message.slice(problem.field.length + 2) }
  return { params: { model: parsed.data, seed } }
}

/** A live point from a hopfield-layer.train progress event's metrics (null when they are not one). */
export function pointFromMetrics(m: Record<string, number> | undefined): HopfieldLayerPoint | null {
  if (!m || !Number.isInteger(m.epoch)) return null
  const { loss, testAccuracy, baselineTestAccuracy, prototypeMatch } = m
  if (typeof loss !== 'number' || typeof testAccuracy !== 'number' || typeof baselineTestAccuracy !== 'number' || typeof prototypeMatch !== 'number') return null
  return { epoch: m.epoch!, loss, testAccuracy, baselineTestAccuracy, prototypeMatch }
}

/**
 * Loss per epoch (left axis); held-out accuracy of the layer and of the linear baseline, and how well the stored
 * patterns match the task's prototypes (right axis, 0–1).
 */
export function layerTrainingOption(points: readonly HopfieldLayerPoint[], epochs: number, classes: number): ChartOption {
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
      line('Hopfield layer', 1, points.map((p) => [p.epoch, p.testAccuracy]), ACCENT),
      {
        ...line('linear baseline', 1, points.map((p) => [p.epoch, p.baselineTestAccuracy]), MARKER, true),
        markLine: { silent: true, symbol: 'none', label: { formatter: 'chance', color: MUTED, fontSize: 10 }, lineStyle: { color: MUTED, type: 'dotted' }, data: [{ yAxis: 1 / classes }] }
      },
      line('stored ↔ prototypes', 1, points.map((p) => [p.epoch, p.prototypeMatch]), PALETTE[4]!, true)
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

/** Rows of an [n, size] matrix, each scaled by its largest |value| into [−1, 1] (a stored pattern's picture). */
export function scaledRows(values: ArrayLike<number>, n: number, size: number): Float32Array[] {
  return Array.from({ length: n }, (_, j) => {
    const row = Float32Array.from({ length: size }, (_, i) => values[j * size + i]!)
    const m = row.reduce((a, v) => Math.max(a, Math.abs(v)), 0)
    return m > 0 ? row.map((v) => v / m) : row
  })
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
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
    for (const key of LAYER_KEYS) put(key, shape[key].safeParse(f[key]).success, f[key])
    put('keySize', f.keySize === null || shape.keySize.safeParse(f.keySize).success, f.keySize)
    put('beta', f.beta === null || shape.beta.safeParse(f.beta).success, f.beta)
    put('seed', Number.isInteger(f.seed) && (f.seed as number) >= 0 && (f.seed as number) <= 2 ** 32 - 1, f.seed)
  }
  if (typeof raw.selectedId === 'string') ui.selectedId = raw.selectedId
  if (Number.isInteger(raw.index) && (raw.index as number) >= 0) ui.index = raw.index as number
  return ui
}
