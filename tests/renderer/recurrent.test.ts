// The recurrent page's pure parts: the char-LM form and the generation form as API params (checked by the shared
// schemas, the field in error named), live points from progress metrics, the chart, and the page state read back.
import { describe, expect, it } from 'vitest'
import { methods } from '../../src/shared/api'
import { runRequestSchema } from '../../src/shared/families'
import { buildGenerate, buildRecurrentTrain, continueForm, defaultRecurrentUi, lossOption, pointFromMetrics, readRecurrentUi, textSource, totalSteps } from '../../src/renderer/src/lib/recurrent'
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
