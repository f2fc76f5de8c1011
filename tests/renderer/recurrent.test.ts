// The recurrent page's pure parts: the char-LM form and the generation form as API params (checked by the shared
// schemas, the field in error named), live points from progress metrics, the chart, and the page state read back.
import { describe, expect, it } from 'vitest'
import { methods } from '../../src/shared/api'
import { runRequestSchema } from '../../src/shared/families'
import {
  applyTemplate,
  buildGenerate,
  buildPredict,
  buildRecurrentTrain,
  continueForm,
  defaultRecurrentUi,
  forecastOption,
  lossOption,
  pointFromMetrics,
  readRecurrentUi,
  TEMPLATES,
  taskCsv,
  templateOf,
  withTaskCsv,
  textSource,
  totalSteps
} from '../../src/renderer/src/lib/recurrent'
import { recurrentModelSpecSchema } from '../../src/shared/families/recurrent'

describe('recurrent forms', () => {
  it('builds models.train params the API accepts (no dataset), and names the field of a bad value', () => {
    const ui = defaultRecurrentUi()
    const ok = buildRecurrentTrain(ui.form)
    expect(ok.error).toBeUndefined()
    expect(ok.params!.model).toMatchObject({ kind: 'recurrent', text: { corpus: 'sonnets' }, cell: 'lstm', clipNorm: 5 })
    expect(methods['models.train'].params.safeParse({ sessionId: 's', ...ok.params }).success).toBe(true)
    expect(buildRecurrentTrain({ ...ui.form, textId: 'user-text:notes' }).params?.model.text).toEqual({ file: 'user-text:notes' })
    expect(buildRecurrentTrain({ ...ui.form, hiddenSize: 0 })).toMatchObject({ field: 'hiddenSize' })
    expect(buildRecurrentTrain({ ...ui.form, steps: 1e9 })).toMatchObject({ field: 'steps' })
    expect(buildRecurrentTrain({ ...ui.form, dropout: 2 })).toMatchObject({ field: 'dropout' })
    expect(buildRecurrentTrain({ ...ui.form, textId: 'nowhere' })).toMatchObject({ field: 'textId' })
    expect(buildRecurrentTrain({ ...ui.form, textId: 'user-text:../x' })).toMatchObject({ field: 'textId' })
    expect(buildRecurrentTrain({ ...ui.form, seed: -1 })).toMatchObject({ field: 'seed' })
    // The LSTM's boxes ticked, then GRU picked (they are hidden): only the GRU's settings go, so the API takes it.
    const gru = buildRecurrentTrain({ ...ui.form, peephole: true, coupled: true, nonlinearity: 'relu', cell: 'gru', gruForm: 'original' })
    expect(gru.params!.model).toMatchObject({ cell: 'gru', peephole: false, coupled: false, nonlinearity: 'tanh', gruForm: 'original' })
    expect(buildRecurrentTrain({ ...ui.form, peephole: true, coupled: true }).params!.model).toMatchObject({ cell: 'lstm', peephole: true, coupled: true })
    expect(textSource('corpus:sonnets')).toEqual({ corpus: 'sonnets' })
  })

  it('builds the generate run against the vocabulary', () => {
    const vocab = [' ', 'S', 'a', 'h', 'l', 'I']
    const ok = buildGenerate({ prompt: 'Shall I', length: 50, temperature: 0.7, topK: 3, seed: 4 }, vocab)
    expect(ok.params).toEqual({ kind: 'recurrent.generate', prompt: 'Shall I', length: 50, temperature: 0.7, topK: 3, seed: 4 })
    expect(runRequestSchema.safeParse(ok.params).success).toBe(true)
    expect(buildGenerate({ prompt: 'Shall x', length: 50, temperature: 0.7, topK: 0, seed: 4 }, vocab)).toMatchObject({ field: 'prompt' })
    expect(buildGenerate({ prompt: '', length: 50, temperature: 0.7, topK: 0, seed: 4 }, vocab)).toMatchObject({ field: 'prompt' })
    expect(buildGenerate({ prompt: 'a', length: 5000, temperature: 0.7, topK: 0, seed: 4 }, vocab)).toMatchObject({ field: 'length' })
    expect(buildGenerate({ prompt: 'a', length: 5, temperature: -1, topK: 0, seed: 4 }, vocab)).toMatchObject({ field: 'temperature' })
    expect(buildGenerate({ prompt: 'a', length: 5, temperature: 1, topK: 7, seed: 4 }, vocab)).toMatchObject({ field: 'topK' })
    // Past the schema's 512 too, the message is the vocabulary's bound.
    expect(buildGenerate({ prompt: 'a', length: 5, temperature: 1, topK: 999, seed: 4 }, vocab)).toEqual({ field: 'topK', error: `at most the vocabulary's ${vocab.length} characters (0 keeps all)` })
  })

  it('reads live points from progress metrics and draws loss and perplexity on two axes', () => {
    expect(pointFromMetrics({ step: 20, loss: 2, perplexity: Math.exp(2) })).toEqual({ step: 20, loss: 2, perplexity: Math.exp(2) })
    expect(pointFromMetrics({ epoch: 1 })).toBeNull()
    expect(pointFromMetrics(undefined)).toBeNull()
    const option = lossOption([{ step: 10, loss: 3, perplexity: 20 }, { step: 20, loss: 2, perplexity: 7.4 }], 100) as { series: { data: number[][] }[]; xAxis: { max: number } }
    expect(option.series.map((s) => s.data)).toEqual([[[10, 3], [20, 2]], [[10, 20], [20, 7.4]]])
    expect(option.xAxis.max).toBe(100)
  })

  it('reads the saved page state back field by field, keeping defaults for bad fields', () => {
    const d = defaultRecurrentUi()
    expect(readRecurrentUi(null)).toEqual(d)
    const ui = readRecurrentUi({
      form: { ...d.form, cell: 'gru', hiddenSize: 32, layers: 99, textId: 'user-text:notes', seed: 5, extra: 1 },
      generate: { ...d.generate, prompt: 'To be', length: -3 },
      selectedId: 'm1'
    })
    expect(ui.form).toMatchObject({ cell: 'gru', hiddenSize: 32, layers: d.form.layers, textId: 'user-text:notes', seed: 5 })
    expect(ui.form).not.toHaveProperty('extra')
    expect(ui.generate).toMatchObject({ prompt: 'To be', length: d.generate.length })
    expect(ui.selectedId).toBe('m1')
  })
})

describe('continuing a model from the form', () => {
  it('takes the model architecture, text and seed, keeps the form steps and rate, and counts every step', () => {
    const form = { ...defaultRecurrentUi().form, hiddenSize: 99, steps: 50, learningRate: 0.001, seed: 1 }
    const spec = recurrentModelSpecSchema.parse({ kind: 'recurrent', cell: 'gru', hiddenSize: 24, text: { file: 'user-text:poem' }, steps: 120 })
    const next = continueForm(form, { id: 'm1', spec, seed: 7 })
    expect(next).toMatchObject({ cell: 'gru', hiddenSize: 24, textId: 'user-text:poem', seed: 7, steps: 50, learningRate: 0.001, continueFrom: 'm1' })
    const built = buildRecurrentTrain(next)
    expect(built.params?.model).toMatchObject({ continueFrom: 'm1', text: { file: 'user-text:poem' }, steps: 50 })
    expect(totalSteps({ spec: { ...spec, steps: 50 }, continuedFrom: { id: 'm1', name: 'x', steps: 120, adamRestarted: false } })).toBe(170)
    expect(totalSteps({ spec, continuedFrom: undefined })).toBe(120)
  })
})

describe('recurrent task templates', () => {
  it('every template builds models.train params the API accepts, with its task', () => {
    const form = defaultRecurrentUi().form
    for (const t of TEMPLATES) {
      const f = applyTemplate(form, t.id, 'user-text:data.csv')
      expect(templateOf(f)).toBe(t.id)
      const b = buildRecurrentTrain(f)
      expect(b.error, t.id).toBeUndefined()
      expect(methods['models.train'].params.safeParse({ sessionId: 's', ...b.params }).success).toBe(true)
      expect(b.params!.model.task?.kind).toBe(t.id === 'char-lm' ? undefined : t.id.startsWith('forecast') ? 'forecast' : t.id === 'parity-tag' || t.id === 'tag-csv' ? 'tag' : 'classify')
    }
    // Back to the char-LM: no task, the default sizes.
    const back = applyTemplate(applyTemplate(form, 'parity'), 'char-lm')
    expect(back.task).toBeUndefined()
    expect(back.sequenceLength).toBe(form.sequenceLength)
  })

  it('bidirectional layers: a task builds them; the char-LM refuses them, and its template drops the box', () => {
    const reber = { ...applyTemplate(defaultRecurrentUi().form, 'reber'), bidirectional: true }
    expect(buildRecurrentTrain(reber).params!.model.bidirectional).toBe(true)
    const lm = applyTemplate(reber, 'char-lm')
    expect(lm.bidirectional).toBeUndefined()
    expect(buildRecurrentTrain(lm).params!.model.bidirectional).toBeUndefined()
    expect(buildRecurrentTrain({ ...lm, bidirectional: true })).toMatchObject({ field: 'bidirectional', error: expect.stringMatching(/left to right/) })
  })

  it('stateful training: the char-LM and a forecast build it; tasks of separate rows and bidirectional layers are refused naming the box; such a template drops it', () => {
    const lm = { ...defaultRecurrentUi().form, stateful: true }
    expect(buildRecurrentTrain(lm).params!.model.stateful).toBe(true)
    const sine = applyTemplate(lm, 'forecast-sine')
    expect(buildRecurrentTrain(sine).params!.model.stateful).toBe(true)
    expect(buildRecurrentTrain({ ...sine, bidirectional: true })).toMatchObject({ field: 'stateful', error: expect.stringMatching(/bidirectional/) })
    const parity = applyTemplate(lm, 'parity')
    expect(parity.stateful).toBeUndefined()
    expect(buildRecurrentTrain({ ...parity, stateful: true })).toMatchObject({ field: 'stateful', error: expect.stringMatching(/one long sequence/) })
  })

  it('names the task field in error, with its limit', () => {
    const sine = applyTemplate(defaultRecurrentUi().form, 'forecast-sine')
    const big = { ...sine, task: { ...sine.task!, series: { type: 'sine' as const, points: 1e9, period: 40, noise: 0.1 } } }
    const b = buildRecurrentTrain(big as typeof sine)
    expect(b.field).toBe('task.series.points')
    expect(b.error).toMatch(/200000/)
    // A CSV template before any CSV is imported: the file is named.
    expect(buildRecurrentTrain(applyTemplate(sine, 'classify-csv', '')).field).toMatch(/^task\.source/)
  })

  it('reads accuracy and RMSE points, draws them on the second axis, and the forecast over the truth', () => {
    expect(pointFromMetrics({ step: 5, loss: 0.6, accuracy: 0.75 })).toEqual({ step: 5, loss: 0.6, accuracy: 0.75 })
    expect(pointFromMetrics({ step: 5, loss: 0.6 })).toBeNull()
    const acc = lossOption([{ step: 5, loss: 0.6, accuracy: 0.75 }], 10) as { series: { name: string; data: number[][] }[]; yAxis: { max?: number }[] }
    expect(acc.series[1]).toMatchObject({ name: 'held-out accuracy', data: [[5, 0.75]] })
    expect(acc.yAxis[1]!.max).toBe(1)
    const rmse = lossOption([{ step: 5, loss: 0.02, rmse: 0.1 }], 10) as { series: { name: string }[] }
    expect(rmse.series[1]!.name).toBe('held-out RMSE')
    const f = forecastOption({
      kind: 'forecast', window: 3, horizon: 2, normalisation: { method: 'zscore', offset: 0, scale: 1 }, points: 10, trainEnd: 8, trainWindows: 4, validationWindows: 2,
      rmse: 0.1, mae: 0.1, persistence: { rmse: 0.5, mae: 0.5 }, times: [8, 9], truth: [1, 2], forecast: [1.1, 1.9], lastWindow: [0, 1, 2]
    }) as { series: { name: string; data: number[][] }[] }
    expect(f.series.map((s) => [s.name, s.data])).toEqual([['truth', [[8, 1], [9, 2]]], ['forecast (h 2)', [[8, 1.1], [9, 1.9]]]])
  })

  it('builds predict runs: characters for a classifier, a window of T numbers for a forecaster', () => {
    const parity = buildRecurrentTrain(applyTemplate(defaultRecurrentUi().form, 'parity')).params!.model
    expect(buildPredict('0110', { spec: parity }).params).toEqual({ kind: 'recurrent.predict', input: '0110' })
    expect(runRequestSchema.safeParse(buildPredict('0110', { spec: parity }).params).success).toBe(true)
    const sine = buildRecurrentTrain(applyTemplate(defaultRecurrentUi().form, 'forecast-sine')).params!.model
    const window = Array.from({ length: 20 }, (_, i) => i / 10)
    expect(buildPredict(window.join(', '), { spec: sine }).params).toEqual({ kind: 'recurrent.predict', input: window })
    expect(buildPredict('1, 2, 3', { spec: sine })).toMatchObject({ field: 'input', error: 'a window of exactly 20 numbers (got 3)' })
    expect(buildPredict('1, x', { spec: sine })).toMatchObject({ field: 'input', error: "'x' is not a number" })
    expect(buildPredict('abc', { spec: recurrentModelSpecSchema.parse({ kind: 'recurrent' }) }).field).toBe('input')
  })

  it('an imported CSV becomes the task\'s file, whichever task reads one', () => {
    const form = defaultRecurrentUi().form
    for (const id of ['classify-csv', 'tag-csv', 'forecast-csv'] as const) {
      const t = applyTemplate(form, id, 'user-text:a.csv').task!
      expect(taskCsv(t)).toBe('user-text:a.csv')
      expect(taskCsv(withTaskCsv(t, 'user-text:b.csv'))).toBe('user-text:b.csv')
    }
    const parity = applyTemplate(form, 'parity').task!
    expect(withTaskCsv(parity, 'user-text:b.csv')).toEqual(parity)
    expect(taskCsv(parity)).toBe('')
  })

  it('restores a saved task form; a bad task keeps the char-LM', () => {
    const f = applyTemplate(defaultRecurrentUi().form, 'reber')
    expect(readRecurrentUi({ form: f }).form.task).toEqual(f.task)
    expect(readRecurrentUi({ form: { ...f, task: { kind: 'classify', source: { type: 'sudoku' } } } }).form.task).toBeUndefined()
  })
})
