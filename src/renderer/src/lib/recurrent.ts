// The recurrent page's pure parts (issue 9): the char-LM form and the generation form as API params (checked by the
// family's own schemas, the field in error named), live points from progress metrics, the loss/perplexity chart, and
// the page state read back from a session's ui record.
import { recurrentGenerateRunSchema, recurrentModelSpecSchema, type RecurrentInfo, type RecurrentModelSpec, type RecurrentPoint } from '../../../shared/families/recurrent'
import { ACCENT, AXIS_STYLE, MARKER, MUTED, TEXT_STYLE, type ChartOption } from './charts'

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
  const parsed = recurrentModelSpecSchema.safeParse({ kind: 'recurrent', text, ...rest })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path[0] === 'text' ? 'textId' : String(issue.path[0] ?? 'form')
    return { field, error: issue.message }
  }
  return { params: { model: parsed.data, seed } }
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
  const parsed = recurrentGenerateRunSchema.safeParse({ kind: 'recurrent.generate', ...form })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return { field: String(issue.path[0] ?? 'form'), error: issue.message }
  }
  const known = new Set(vocab)
  const unknown = [...form.prompt].find((c) => !known.has(c))
  if (unknown !== undefined) return { field: 'prompt', error: `'${unknown}' is not in the model's vocabulary` }
  if (form.topK > vocab.length) return { field: 'topK', error: `at most the vocabulary's ${vocab.length} characters (0 keeps all)` }
  return { params: parsed.data }
}

/** A live point from a recurrent.train progress event's metrics (null when they are not one). */
export function pointFromMetrics(m: Record<string, number> | undefined): RecurrentPoint | null {
  if (!m || !Number.isInteger(m.step) || typeof m.loss !== 'number' || typeof m.perplexity !== 'number') return null
  return { step: m.step!, loss: m.loss, perplexity: m.perplexity }
}

/** Loss (nats per character) and perplexity per step, on two axes; the x axis runs to the planned steps. */
export function lossOption(points: readonly RecurrentPoint[], steps: number): ChartOption {
  return {
    animation: false,
    textStyle: TEXT_STYLE,
    grid: { left: 48, right: 52, top: 34, bottom: 30 },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, left: 'center', textStyle: TEXT_STYLE },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 20, min: 0, max: Math.max(1, steps), ...AXIS_STYLE },
    yAxis: [
      { type: 'value', name: 'loss', scale: true, ...AXIS_STYLE },
      { type: 'value', name: 'perplexity', scale: true, ...AXIS_STYLE, splitLine: { show: false } }
    ],
    series: [
      { type: 'line', name: 'loss', data: points.map((p) => [p.step, p.loss]), showSymbol: false, lineStyle: { color: ACCENT, width: 2 }, itemStyle: { color: ACCENT } },
      { type: 'line', name: 'perplexity', yAxisIndex: 1, data: points.map((p) => [p.step, p.perplexity]), showSymbol: false, lineStyle: { color: MARKER, width: 1.5 }, itemStyle: { color: MARKER } }
    ],
    color: [ACCENT, MARKER, MUTED]
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
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
    for (const key of Object.keys(ui.form) as (keyof RecurrentForm)[]) {
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
