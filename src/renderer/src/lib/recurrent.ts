// The recurrent page's pure parts (issue 9): the char-LM form and the generation form as API params (checked by the
// family's own schemas, the field in error named), live points from progress metrics, the loss/perplexity chart, and
// the page state read back from a session's ui record.
import {
  recurrentGenerateRunSchema,
  recurrentModelSpecSchema,
  recurrentPredictRunSchema,
  recurrentTaskSchema,
  withCellVariants,
  type RecurrentInfo,
  type RecurrentModelSpec,
  type RecurrentPoint,
  type RecurrentTask
} from '../../../shared/families/recurrent'
import { ACCENT, AXIS_STYLE, MARKER, MUTED, TEXT_STYLE, type ChartOption } from './charts'
import { isObject } from './ui-record'

/** The form: the spec's fields, with the text source as one id ('corpus:<id>' or 'user-text:<name>'). */
export type RecurrentForm = Omit<RecurrentModelSpec, 'kind' | 'text'> & { textId: string; seed: number }

export interface GenerateForm {
  prompt: string
  length: number
  temperature: number
  topK: number
  seed: number
}

export interface RecurrentUi {
  form: RecurrentForm
  generate: GenerateForm
  selectedId: string | null
}

export const CELLS: readonly { id: RecurrentModelSpec['cell']; label: string }[] = [
  { id: 'lstm', label: 'LSTM' },
  { id: 'gru', label: 'GRU' },
  { id: 'rnn', label: 'vanilla RNN' }
]

/** The page's templates: the char-LM and the sequence tasks, each with a form that trains well on it. */
export const TEMPLATES = [
  { id: 'char-lm', label: 'Char language model' },
  { id: 'parity', label: 'Parity (many-to-one)' },
  { id: 'parity-tag', label: 'Parity so far (many-to-many)' },
  { id: 'tag-csv', label: 'Tag a CSV of tokens,tags (many-to-many)' },
  { id: 'reber', label: 'Reber grammar (many-to-one)' },
  { id: 'adding', label: 'Adding problem (many-to-one)' },
  { id: 'classify-csv', label: 'Classify a CSV of text,label' },
  { id: 'forecast-sine', label: 'Forecast a noisy sine' },
  { id: 'forecast-csv', label: 'Forecast a CSV column' }
] as const
export type TemplateId = (typeof TEMPLATES)[number]['id']

/** The imported CSV a task reads ('' for none). */
export function taskCsv(t: RecurrentTask | undefined): string {
  if (!t) return ''
  const source = t.kind === 'forecast' ? t.series : t.source
  return source.type === 'csv' ? (source.file ?? '') : ''
}

/** The task with its CSV set to an imported text (a task without a CSV as it is). */
export function withTaskCsv(t: RecurrentTask, file: string): RecurrentTask {
  const id = file as `user-text:${string}`
  if (t.kind === 'forecast') return t.series.type === 'csv' ? { ...t, series: { ...t.series, file: id } } : t
  if (t.kind === 'tag') return t.source.type === 'csv' ? { ...t, source: { ...t.source, file: id } } : t
  return t.source.type === 'csv' ? { ...t, source: { ...t.source, file: id } } : t
}

/** The template a form is on (from its task). */
export function templateOf(form: Pick<RecurrentForm, 'task'>): TemplateId {
  const t = form.task
  if (!t) return 'char-lm'
  if (t.kind === 'forecast') return t.series.type === 'csv' ? 'forecast-csv' : 'forecast-sine'
  if (t.kind === 'tag') return t.source.type === 'csv' ? 'tag-csv' : 'parity-tag'
  return t.source.type === 'csv' ? 'classify-csv' : t.source.type
}

/**
 * The form switched to a template: its task (a CSV task takes the first imported text, `csv`) and the sizes, window,
 * steps and learning rate that train it well (docs/recurrent.md has the figures); the cell and the seed stay.
 */
export function applyTemplate(form: RecurrentForm, id: TemplateId, csv = ''): RecurrentForm {
  const { task: _task, ...rest } = form
  const file = csv as `user-text:${string}`
  const tasks: Record<Exclude<TemplateId, 'char-lm'>, { task: unknown; sizes: Partial<RecurrentForm> }> = {
    parity: { task: { kind: 'classify', source: { type: 'parity' } }, sizes: { hiddenSize: 16, embeddingSize: 4, sequenceLength: 4, batch: 32, steps: 600, learningRate: 0.02 } },
    'parity-tag': { task: { kind: 'tag', source: { type: 'parity' } }, sizes: { hiddenSize: 16, embeddingSize: 4, sequenceLength: 8, batch: 32, steps: 600, learningRate: 0.02 } },
    'tag-csv': { task: { kind: 'tag', source: { type: 'csv', file } }, sizes: { hiddenSize: 32, embeddingSize: 8, sequenceLength: 16, batch: 32, steps: 400, learningRate: 0.01 } },
    reber: { task: { kind: 'classify', source: { type: 'reber' } }, sizes: { hiddenSize: 16, embeddingSize: 4, sequenceLength: 24, batch: 32, steps: 300, learningRate: 0.02 } },
    adding: { task: { kind: 'classify', source: { type: 'adding' } }, sizes: { hiddenSize: 32, sequenceLength: 20, batch: 32, steps: 2000, learningRate: 0.005 } },
    'classify-csv': { task: { kind: 'classify', source: { type: 'csv', file } }, sizes: { hiddenSize: 32, embeddingSize: 8, sequenceLength: 32, batch: 32, steps: 300, learningRate: 0.01 } },
    'forecast-sine': { task: { kind: 'forecast', series: { type: 'sine' }, horizon: 5 }, sizes: { hiddenSize: 16, sequenceLength: 20, batch: 32, steps: 300, learningRate: 0.01 } },
    'forecast-csv': { task: { kind: 'forecast', series: { type: 'csv', file, column: 'value' }, horizon: 1 }, sizes: { hiddenSize: 16, sequenceLength: 20, batch: 32, steps: 300, learningRate: 0.01 } }
  }
  if (id === 'char-lm') {
    const d = defaultRecurrentUi().form
    // A language model reads left to right: the bidirectional box belongs to the tasks.
    const { bidirectional: _bidirectional, ...lm } = rest
    return { ...lm, hiddenSize: d.hiddenSize, embeddingSize: d.embeddingSize, sequenceLength: d.sequenceLength, batch: d.batch, steps: d.steps, learningRate: d.learningRate }
  }
  const t = tasks[id]
  // Stateful training is for one long sequence: a template of separate rows drops the box.
  if (!id.startsWith('forecast')) delete rest.stateful
  // The task through the schema for its defaults; a CSV task with no text yet keeps its raw form (Train names the field).
  const parsed = recurrentTaskSchema.safeParse(t.task)
  return { ...rest, ...t.sizes, task: parsed.success ? parsed.data : (t.task as RecurrentTask) }
}

export function defaultRecurrentUi(): RecurrentUi {
  const { kind: _kind, text: _text, ...spec } = recurrentModelSpecSchema.parse({ kind: 'recurrent' })
  return {
    form: { ...spec, textId: 'corpus:sonnets', seed: 0 },
    generate: { prompt: 'Shall I ', length: 200, temperature: 0.8, topK: 0, seed: 1 },
    selectedId: null
  }
}

type Built<P> = { params: P; error?: undefined; field?: undefined } | { params?: undefined; error: string; field: string }

/** The text source of a text id. */
export function textSource(id: string): RecurrentModelSpec['text'] | null {
  if (id.startsWith('corpus:')) return { corpus: id.slice('corpus:'.length) as 'sonnets' }
  if (id.startsWith('user-text:')) return { file: id }
  return null
}

/** models.train params of the form (without the session), or the form field in error. */
export function buildRecurrentTrain(form: RecurrentForm): Built<{ model: RecurrentModelSpec; seed: number }> {
  const text = textSource(form.textId)
  if (!text) return { field: 'textId', error: 'pick a text' }
  const { textId: _textId, seed, ...rest } = form
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) return { field: 'seed', error: 'the seed is an integer from 0 to 2³²−1' }
  if (form.bidirectional && !form.task) return { field: 'bidirectional', error: 'a language model reads left to right: bidirectional layers are for the sequence tasks' }
  if (form.stateful && form.bidirectional) return { field: 'stateful', error: 'stateful training carries the state forward from window to window: not with bidirectional layers' }
  if (form.stateful && form.task && form.task.kind !== 'forecast') return { field: 'stateful', error: "stateful training needs one long sequence (the char-LM, a forecast); this task's rows are separate sequences" }
  // The form keeps every cell's settings while another cell is picked (its boxes hidden); only this cell's are sent.
  const parsed = recurrentModelSpecSchema.safeParse(withCellVariants({ kind: 'recurrent', text, ...rest }))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path[0] === 'text' ? 'textId' : issue.path.length ? issue.path.join('.') : 'form'
    return { field, error: issue.message }
  }
  return { params: { model: parsed.data, seed } }
}

/**
 * The unit of a task model's held-out loss, by its task: a classifier and a tagger are trained on softmax cross-entropy
 * (nats), the adding problem's regressor on the MSE of its raw target, a forecaster on the MSE of the normalised series.
 */
export const TASK_LOSS_UNIT: Record<NonNullable<RecurrentInfo['taskResult']>['kind'], string> = {
  classify: 'nats (cross-entropy)',
  tag: 'nats (cross-entropy, per step)',
  regress: '(MSE)',
  forecast: '(MSE, normalised)'
}

/** Every step a model has taken or plans to: a continued model's earlier steps plus its own. */
export function totalSteps(m: Pick<RecurrentInfo, 'spec' | 'continuedFrom'>): number {
  return (m.continuedFrom?.steps ?? 0) + m.spec.steps
}

/**
 * The form set to continue a trained model: its architecture, text, batch, window, dropout and seed (what a
 * continuation must keep), the form's own steps, learning rate and clipping, and continueFrom.
 */
export function continueForm(form: RecurrentForm, m: Pick<RecurrentInfo, 'id' | 'spec' | 'seed'>): RecurrentForm {
  const { kind: _kind, text, continueFrom: _c, steps: _s, learningRate: _lr, clipNorm: _clip, ...kept } = m.spec
  const textId = 'corpus' in text ? `corpus:${text.corpus}` : text.file
  return { ...form, ...kept, textId, seed: m.seed, continueFrom: m.id }
}

/** models.run's recurrent.generate request of the generation form, or the field in error (prompt: every character in the vocabulary). */
export function buildGenerate(form: GenerateForm, vocab: readonly string[]): Built<{ kind: 'recurrent.generate'; prompt: string; length: number; temperature: number; topK: number; seed: number }> {
  // The model's own bound first: a top-k past its vocabulary says so, not just the schema's upper limit.
  if (Number.isInteger(form.topK) && form.topK > vocab.length) return { field: 'topK', error: `at most the vocabulary's ${vocab.length} characters (0 keeps all)` }
  const parsed = recurrentGenerateRunSchema.safeParse({ kind: 'recurrent.generate', ...form })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return { field: String(issue.path[0] ?? 'form'), error: issue.message }
  }
  const known = new Set(vocab)
  const unknown = [...form.prompt].find((c) => !known.has(c))
  if (unknown !== undefined) return { field: 'prompt', error: `'${unknown}' is not in the model's vocabulary` }
  return { params: parsed.data }
}

/** A live point from a recurrent.train progress event's metrics (null when they are not one). */
export function pointFromMetrics(m: Record<string, number> | undefined): RecurrentPoint | null {
  if (!m || !Number.isInteger(m.step) || typeof m.loss !== 'number') return null
  const extra = (['perplexity', 'accuracy', 'rmse'] as const).filter((k) => typeof m[k] === 'number')
  if (!extra.length) return null
  return { step: m.step!, loss: m.loss, ...Object.fromEntries(extra.map((k) => [k, m[k]!])) }
}

/** What a run's second axis shows: the char-LM's perplexity, a classifier's held-out accuracy, a forecaster's RMSE. */
function secondMetric(points: readonly RecurrentPoint[]): { key: 'perplexity' | 'accuracy' | 'rmse'; name: string } {
  const p = points[0]
  if (p?.accuracy !== undefined) return { key: 'accuracy', name: 'held-out accuracy' }
  if (p?.rmse !== undefined) return { key: 'rmse', name: 'held-out RMSE' }
  return { key: 'perplexity', name: 'perplexity' }
}

/** Loss and perplexity (a task: held-out accuracy or RMSE) per step, on two axes; the x axis runs to the planned steps. */
export function lossOption(points: readonly RecurrentPoint[], steps: number): ChartOption {
  const second = secondMetric(points)
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 48, right: 52, top: 34, bottom: 30 },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, left: 'center', textStyle: TEXT_STYLE },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 20, min: 0, max: Math.max(1, steps), ...AXIS_STYLE },
    yAxis: [
      { type: 'value', name: 'loss', scale: true, ...AXIS_STYLE },
      { type: 'value', name: second.name, scale: second.key !== 'accuracy', ...(second.key === 'accuracy' ? { min: 0, max: 1 } : {}), ...AXIS_STYLE, splitLine: { show: false } }
    ],
    series: [
      { type: 'line', name: 'loss', data: points.map((p) => [p.step, p.loss]), showSymbol: false, lineStyle: { color: ACCENT, width: 2 }, itemStyle: { color: ACCENT } },
      { type: 'line', name: second.name, yAxisIndex: 1, data: points.map((p) => [p.step, p[second.key]]), showSymbol: false, lineStyle: { color: MARKER, width: 1.5 }, itemStyle: { color: MARKER } }
    ],
    color: [ACCENT, MARKER, MUTED]
  }
}

type ForecastResult = Extract<NonNullable<RecurrentInfo['taskResult']>, { kind: 'forecast' }>

/** The forecast over the truth on the validation split (time index on x), with the persistence RMSE in the title. */
export function forecastOption(r: ForecastResult): ChartOption {
  const line = (name: string, values: readonly number[], color: string, width: number) => ({
    type: 'line' as const,
    name,
    data: values.map((v, i) => [r.times[i]!, v]),
    showSymbol: false,
    lineStyle: { color, width },
    itemStyle: { color }
  })
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 48, right: 16, top: 34, bottom: 30 },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, left: 'center', textStyle: TEXT_STYLE },
    xAxis: { type: 'value', name: 't', nameLocation: 'middle', nameGap: 20, min: r.times[0] ?? 0, max: r.times[r.times.length - 1] ?? 1, ...AXIS_STYLE },
    yAxis: { type: 'value', scale: true, ...AXIS_STYLE },
    series: [line('truth', r.truth, MUTED, 1.5), line(`forecast (h ${r.horizon})`, r.forecast, ACCENT, 2)],
    color: [MUTED, ACCENT]
  }
}

/** A predict run's input from the page's text box: characters to classify, or comma/space-separated numbers (forecast, adding). */
export function buildPredict(text: string, m: Pick<RecurrentInfo, 'spec'>): Built<{ kind: 'recurrent.predict'; input: string | number[] }> {
  const t = m.spec.task
  if (!t) return { field: 'input', error: 'the char-LM generates text: use Generate' }
  const numeric = t.kind === 'forecast' || t.source.type === 'adding'
  let input: string | number[] = text
  if (numeric) {
    const parts = text.split(/[\s,;]+/).filter((x) => x !== '')
    input = parts.map(Number)
    const bad = parts.find((x) => !Number.isFinite(Number(x)))
    if (bad !== undefined) return { field: 'input', error: `'${bad}' is not a number` }
    if (t.kind === 'forecast' && input.length !== m.spec.sequenceLength) return { field: 'input', error: `a window of exactly ${m.spec.sequenceLength} numbers (got ${input.length})` }
  }
  const parsed = recurrentPredictRunSchema.safeParse({ kind: 'recurrent.predict', input })
  if (!parsed.success) return { field: 'input', error: parsed.error.issues[0]!.message }
  return { params: parsed.data }
}

/** The page state saved in a session's ui record, read back field by field over the defaults (a bad field keeps its default). */
export function readRecurrentUi(raw: unknown): RecurrentUi {
  const ui = defaultRecurrentUi()
  if (!isObject(raw)) return ui
  const f = raw.form
  if (isObject(f)) {
    if (typeof f.textId === 'string' && textSource(f.textId)) ui.form.textId = f.textId
    if (Number.isInteger(f.seed) && (f.seed as number) >= 0 && (f.seed as number) <= 2 ** 32 - 1) ui.form.seed = f.seed as number
    const shape = recurrentModelSpecSchema.shape
    if ('task' in f) {
      const task = shape.task.safeParse(f.task)
      if (task.success && task.data) ui.form.task = task.data
    }
    // The optional boxes too (absent from the defaults).
    for (const key of [...Object.keys(ui.form), 'bidirectional', 'stateful'] as (keyof RecurrentForm)[]) {
      if (key === 'textId' || key === 'seed' || !(key in f)) continue
      const field = shape[key as keyof typeof shape].safeParse(f[key])
      if (field.success) (ui.form as Record<string, unknown>)[key] = field.data
    }
  }
  const g = raw.generate
  if (isObject(g)) {
    const shape = recurrentGenerateRunSchema.shape
    for (const key of Object.keys(ui.generate) as (keyof GenerateForm)[]) {
      const field = shape[key].safeParse(g[key])
      if (key in g && field.success) (ui.generate as unknown as Record<string, unknown>)[key] = field.data
    }
  }
  if (typeof raw.selectedId === 'string') ui.selectedId = raw.selectedId
  return ui
}
