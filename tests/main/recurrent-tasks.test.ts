// The recurrent family's sequence tasks through the API (spec.task): a Reber-grammar LSTM classifier and a sine GRU
// forecaster trained on the engine, their held-out scores recomputed by the core from the stored weights and set
// against the baselines (majority class; persistence), a CSV of text,label imported as a text, runs on the trained
// models (models.run recurrent.predict), the ONNX export against the core at two sequence lengths, the engine and the
// core fallback agreeing on the same rows, reproducibility by seed, and bad input refused naming the field.
import { describe, expect, it, vi } from 'vitest'
import * as trainStep from '../../src/engine/programs/train-step'
import { decodeSafetensors } from '../../src/core/safetensors'
import { Rng } from '../../src/core/rng'
import { argmaxRows, forward, isReber, softmaxCrossEntropy, syntheticClassBatch } from '../../src/core/recurrent'
import { prepareRecurrentTask, recurrentModelNet, trainRecurrentTaskJob, type RecurrentTaskSpec } from '../../src/main/services/recurrent-task'
import { recurrentModelSpecSchema } from '../../src/shared/families/recurrent'
import { keptResult } from '../../src/shared/session'
import type { Events } from '../../src/shared/api'
import { cancelAfterFirstProgress, runModel, trainKind, withBackend } from '../helpers/backend'
import { onnxLogitsError } from '../helpers/recurrent-onnx'

// In this process (not the backend's workers): the engine can be made to fail, so the core trains instead.
vi.mock('../../src/engine/programs/train-step', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/programs/train-step')>()
  const create = vi.fn(real.TrainStepRunner.create.bind(real.TrainStepRunner))
  return { ...real, TrainStepRunner: Object.assign(real.TrainStepRunner, { create }) }
})

const backend = withBackend('engram-recurrent-tasks-')
const reber = { kind: 'recurrent' as const, cell: 'lstm' as const, hiddenSize: 16, embeddingSize: 4, sequenceLength: 24, batch: 32, steps: 300, learningRate: 0.02, task: { kind: 'classify' as const, source: { type: 'reber' as const }, evalRows: 500 } }
const sine = { kind: 'recurrent' as const, cell: 'gru' as const, hiddenSize: 16, sequenceLength: 20, batch: 32, steps: 300, learningRate: 0.01, task: { kind: 'forecast' as const, series: { type: 'sine' as const, points: 800 }, horizon: 5 } }
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('recurrent tasks through the API', () => {
  it('a Reber-grammar LSTM classifier: beats the majority class, the core agrees with the scores, predict, ONNX at two lengths, reopen', async () => {
    const s = await backend.call('sessions.create', { name: 'reber' })
    const progress: Events['job.progress'][] = []
    const off = backend.on('job.progress', (p) => progress.push(p))
    const model = await trainKind(backend, { sessionId: s.id, model: reber, seed: 1 })
    off()
    expect(model).toMatchObject({ stepsDone: 300, partial: false, stopReason: null, fallbackReason: null, vocab: ['\u00b7', 'B', 'T', 'S', 'X', 'P', 'V', 'E'] })
    expect(model.provider).toMatch(/^engine/)
    const r = model.taskResult!
    if (r.kind !== 'classify') throw new Error('not a classifier')
    expect(r.classes).toEqual(['not grammatical', 'grammatical'])
    expect(r.evalRows).toBe(500)
    expect(r.accuracy).toBeGreaterThan(0.95)
    expect(r.baseline.accuracy).toBeLessThan(0.6)
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(500)
    expect((r.confusion[0]![0]! + r.confusion[1]![1]!) / 500).toBe(r.accuracy)
    // Live accuracy per report, on the first 256 held-out rows.
    const metrics = progress.filter((p) => p.kind === 'recurrent.train').map((p) => p.metrics!)
    expect(metrics.length).toBe(model.history.length)
    expect(metrics[0]!.accuracy).toBeLessThan(0.8)
    expect(metrics.at(-1)!.accuracy).toBeGreaterThan(0.9)

    // The stored weights (safetensors) on the core score the very held-out rows (the seed's fork 2) the same.
    const net = await storedNet(s.id, model)
    expect(Object.keys(net.params)).toContain('embedding.weight')
    const held = syntheticClassBatch('reber', 24, 500, new Rng(1).fork(2))
    const predicted = argmaxRows(forward(net, { steps: 24, batch: 500, tokens: held.tokens }).logits!, 2)
    expect(predicted.reduce((a, p, i) => a + (p === held.classes[i] ? 1 : 0), 0) / 500).toBe(r.accuracy)

    // Runs on the trained model: a grammatical string and a corrupted one.
    const run = (input: string) => runModel(backend, { sessionId: s.id, modelId: model.id, run: { kind: 'recurrent.predict', input } })
    const yes = (await run('BTSSXXTVVE')).result
    const no = (await run('BTSSXXTVSE')).result
    expect(isReber('BTSSXXTVVE') && !isReber('BTSSXXTVSE')).toBe(true)
    expect(yes).toMatchObject({ task: 'classify', label: 'grammatical' })
    expect(no.label).toBe('not grammatical')
    expect(yes.probabilities!.reduce((a, p) => a + p.p, 0)).toBeCloseTo(1, 12)

    // ONNX (standard LSTM op, head on the last step) against the core at the trained length and at twice it.
    const onnx = new Uint8Array(Buffer.from((await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'onnx' })).base64, 'base64'))
    for (const T of [24, 48]) {
      const d = syntheticClassBatch('reber', T, 3, new Rng(T))
      expect(await onnxLogitsError(onnx, net, d.tokens, T, 3)).toBeLessThan(1e-5)
    }

    await backend.call('sessions.save', { id: s.id })
    await backend.call('sessions.close', { id: s.id })
    const reopened = await backend.call('sessions.open', { id: s.id })
    expect(reopened.models.find((m) => m.id === model.id)).toMatchObject({ taskResult: r, spec: { task: { kind: 'classify' } } })
    expect(keptResult(reopened, 'recurrent.predict')?.result.label).toBe('not grammatical')
    expect((await run('BTSSXXTVVE')).result).toEqual(yes)
  }, 120_000)

  it('a sine GRU forecaster beats persistence; the forecast over the truth; predict from the last window; ONNX at two lengths', async () => {
    const s = await backend.call('sessions.create', { name: 'sine' })
    const model = await trainKind(backend, { sessionId: s.id, model: sine, seed: 2 })
    const r = model.taskResult!
    if (r.kind !== 'forecast') throw new Error('not a forecaster')
    expect(r).toMatchObject({ window: 20, horizon: 5, points: 800, trainEnd: 640, trainWindows: 640 - 24, validationWindows: 160 })
    expect(r.times[0]).toBe(640)
    expect(r.truth).toHaveLength(160)
    expect(r.rmse).toBeLessThan(0.5 * r.persistence.rmse)
    expect(r.mae).toBeLessThan(r.persistence.mae)
    // The series' noise is 0.1: no forecast can do much better than that.
    expect(r.rmse).toBeGreaterThan(0.08)
    // The z-score comes from the training split only: the sine's first 640 points (16 periods) have mean ≈ 0, std ≈ 1/√2.
    expect(Math.abs(r.normalisation.offset)).toBeLessThan(0.02)
    expect(r.normalisation.scale).toBeGreaterThan(0.69)
    // RMSE recomputed from the forecast points it keeps.
    expect(Math.sqrt(r.forecast.reduce((a, f, i) => a + (f - r.truth[i]!) ** 2, 0) / r.truth.length)).toBeCloseTo(r.rmse, 12)
    expect(model.history.every((h) => h.rmse !== undefined && h.perplexity === undefined)).toBe(true)

    // The stored weights on the core give the first kept forecast; a predict run from the series' last window.
    const net = await storedNet(s.id, model)
    const first = r.times[0]! - 5 - 20 + 1
    const prep = prepareRecurrentTask(model.spec as RecurrentTaskSpec, 2, () => {
      throw new Error('no CSV')
    }, 'spec')
    const window = Array.from(prep.forecast!.series.subarray(first, first + 20))
    const z = (v: number) => (v - r.normalisation.offset) / r.normalisation.scale
    const core = forward(net, { steps: 20, batch: 1, input: Float64Array.from(window, z) }).logits![0]! * r.normalisation.scale + r.normalisation.offset
    expect(core).toBeCloseTo(r.forecast[0]!, 12)
    const ahead = (await runModel(backend, { sessionId: s.id, modelId: model.id, run: { kind: 'recurrent.predict', input: window } })).result
    expect(ahead).toMatchObject({ task: 'forecast' })
    expect(ahead.value).toBeCloseTo(core, 12)
    expect(r.lastWindow).toEqual(Array.from(prep.forecast!.series.subarray(780)))

    const onnx = new Uint8Array(Buffer.from((await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'onnx' })).base64, 'base64'))
    for (const T of [20, 45]) {
      const x = Float64Array.from({ length: T * 2 }, (_, i) => Math.sin(i / 3))
      expect(await onnxLogitsError(onnx, net, x, T, 2)).toBeLessThan(1e-5)
    }
  }, 120_000)

  it('a CSV of text,label imported as a text: trains, holds rows out, predicts; bad columns and values are refused naming the field', async () => {
    const rng = new Rng(4)
    const rows = Array.from({ length: 240 }, () => {
      const n = 3 + rng.int(8)
      const t = Array.from({ length: n }, () => 'abc'[rng.int(3)]).join('')
      return `"${t}",${t.includes('c') ? 'has c' : 'no c'}`
    })
    await backend.call('texts.import', { name: 'letters.csv', content: b64(`text,label\n${rows.join('\n')}\n`) })
    const s = await backend.call('sessions.create', { name: 'csv' })
    const spec = { ...reber, steps: 150, sequenceLength: 12, task: { kind: 'classify' as const, source: { type: 'csv' as const, file: 'user-text:letters.csv' }, validationFraction: 0.25 } }
    const model = await trainKind(backend, { sessionId: s.id, model: spec, seed: 5 })
    const r = model.taskResult!
    if (r.kind !== 'classify') throw new Error('not a classifier')
    expect(r).toMatchObject({ classes: ['has c', 'no c'], trainRows: 180, evalRows: 60, truncated: 0 })
    expect(model.vocab).toEqual(['\u00b7', 'a', 'b', 'c'])
    expect(r.accuracy).toBeGreaterThan(r.baseline.accuracy)
    expect(r.accuracy).toBeGreaterThan(0.9)
    const p = (await runModel(backend, { sessionId: s.id, modelId: model.id, run: { kind: 'recurrent.predict', input: 'abcab' } })).result
    expect(p.label).toBe('has c')

    const refuse = async (call: Promise<unknown>, field: string) => {
      await expect(call).rejects.toMatchObject({ field })
      await expect(call).rejects.toThrow(field)
    }
    const train = (model: object) => backend.call('models.train', { sessionId: s.id, model: { ...spec, ...model } })
    await refuse(train({ task: { kind: 'classify', source: { type: 'csv', file: 'user-text:letters.csv', textColumn: 'words' } } }), 'params.model.task.source.textColumn')
    await refuse(train({ task: { kind: 'classify', source: { type: 'csv', file: 'user-text:nothere' } } }), 'params.model.task.source.file')
    await refuse(train({ task: { kind: 'classify', source: { type: 'csv', path: 'x.csv' } } }), 'params.model.task.source.path')
    await refuse(train({ task: { kind: 'classify', source: { type: 'csv' } } }), 'params.model.task.source.file')
    await refuse(train({ task: { kind: 'forecast', series: { type: 'csv', file: 'user-text:letters.csv', column: 'text' } } }), 'params.model.task.series.column')
    await refuse(train({ task: { kind: 'forecast', series: { type: 'sine', points: 60 } }, sequenceLength: 50 }), 'params.model.sequenceLength')
    await refuse(train({ task: { kind: 'forecast', series: { type: 'sine', points: 1e9 } } }), 'params.model.task.series.points')
    await refuse(train({ task: { kind: 'classify', source: { type: 'parity' }, evalRows: 1e6 } }), 'params.model.task.evalRows')
    await refuse(train({ task: { kind: 'classify', source: { type: 'reber' } }, sequenceLength: 4 }), 'params.model.sequenceLength')
    await refuse(train({ task: { kind: 'classify', source: { type: 'reber' } }, continueFrom: model.id }), 'params.model.continueFrom')
    await backend.call('texts.import', { name: 'one-label', content: b64('text,label\nab,x\nba,x\n') })
    await refuse(train({ task: { kind: 'classify', source: { type: 'csv', file: 'user-text:one-label' } } }), 'params.model.task.source.labelColumn')
    const predict = (input: string | number[]) => backend.call('models.run', { sessionId: s.id, modelId: model.id, run: { kind: 'recurrent.predict', input } })
    await refuse(predict('abz'), 'params.run.input')
    await refuse(predict([1, 2]), 'params.run.input')
    await refuse(backend.call('models.run', { sessionId: s.id, modelId: model.id, run: { kind: 'recurrent.generate', prompt: 'a' } }), 'params.run.kind')
  }, 120_000)

  it.each([
    ['a Reber classifier (head on the last step)', { ...reber, steps: 20, hiddenSize: 8, sequenceLength: 16 }],
    ['a parity tagger (head on every step)', { ...reber, cell: 'gru', steps: 20, hiddenSize: 8, sequenceLength: 6, task: { kind: 'tag', source: { type: 'parity' } } }],
    ['an RNN forecaster (MSE head)', { ...sine, cell: 'rnn', steps: 20, hiddenSize: 8 }],
    ['a bidirectional 2-layer LSTM classifier with dropout', { ...reber, steps: 20, hiddenSize: 8, sequenceLength: 16, layers: 2, dropout: 0.3, bidirectional: true }],
    ['a bidirectional GRU parity tagger', { ...reber, cell: 'gru', steps: 20, hiddenSize: 8, sequenceLength: 6, bidirectional: true, task: { kind: 'tag', source: { type: 'parity' } } }]
  ])('the engine and the core fallback train %s on the same rows to the same losses; the same seed gives the same numbers', async (_label, raw) => {
    const spec = recurrentModelSpecSchema.parse(raw) as RecurrentTaskSpec
    const input = { modelId: 'm', name: 'n', spec, seed: 9 }
    const engine = await trainRecurrentTaskJob({ ...input, provider: 'cpu' }, {})
    vi.mocked(trainStep.TrainStepRunner.create).mockRejectedValueOnce(new Error('no engine today'))
    const core = await trainRecurrentTaskJob({ ...input, provider: 'cpu' }, {})
    expect(engine.info.provider).toMatch(/^engine/)
    expect(core.info.provider).toBe('core')
    expect(core.info.fallbackReason).toBe('engine unavailable: no engine today')
    expect(core.info.history.length).toBe(engine.info.history.length)
    core.info.history.forEach((h, i) => expect(Math.abs(h.loss - engine.info.history[i]!.loss)).toBeLessThan(2e-4))
    const again = await trainRecurrentTaskJob({ ...input, provider: 'cpu' }, {})
    expect(again.info.history).toEqual(engine.info.history)
    expect(again.info.taskResult).toEqual(engine.info.taskResult)
    // A bidirectional net has its reverse direction's weights, in PyTorch's names.
    expect('weight_ih_l0_reverse' in engine.tensors).toBe(spec.bidirectional === true)
  }, 120_000)

  it('bidirectional layers are for sequence tasks: the char-LM refuses them, naming the field', async () => {
    const s = await backend.call('sessions.create', { name: 'bidirectional lm' })
    await expect(backend.call('models.train', { sessionId: s.id, model: { kind: 'recurrent', bidirectional: true, steps: 2 } })).rejects.toMatchObject({ field: 'params.model.bidirectional' })
  })
})

describe('cancel', () => {
  it('keeps the steps done as a partial model, scored on its held-out rows', async () => {
    const s = await backend.call('sessions.create', { name: 'cancel' })
    const { jobId } = await backend.call('models.train', { sessionId: s.id, model: { ...sine, steps: 50_000 } })
    const done = await cancelAfterFirstProgress(backend, jobId)
    const model = (done.result as { model: { partial: boolean; stepsDone: number; taskResult?: { kind: string; rmse: number } } }).model
    expect(model.partial).toBe(true)
    expect(model.stepsDone).toBeGreaterThan(0)
    expect(model.stepsDone).toBeLessThan(50_000)
    expect(model.taskResult?.kind).toBe('forecast')
    expect(Number.isFinite(model.taskResult!.rmse)).toBe(true)
  }, 60_000)
})

describe('many-to-many tagging', () => {
  it('tags the parity so far at every step of 8 bits (an LSTM), and its last step answers the many-to-one parity', async () => {
    const s = await backend.call('sessions.create', { name: 'tag' })
    const spec = { ...reber, sequenceLength: 8, steps: 600, task: { kind: 'tag' as const, source: { type: 'parity' as const }, evalRows: 500 } }
    const model = await trainKind(backend, { sessionId: s.id, model: spec, seed: 1 })
    const r = model.taskResult!
    if (r.kind !== 'tag') throw new Error('not a tagger')
    expect(r.accuracy).toBeGreaterThan(0.98)
    expect(r.lastStepAccuracy).toBeGreaterThan(0.95)
    expect(r.baseline.accuracy).toBeLessThan(0.55)
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(500 * 8)
    const run = (await runModel(backend, { sessionId: s.id, modelId: model.id, run: { kind: 'recurrent.predict', input: '1101' } })).result
    expect(run).toMatchObject({ task: 'tag', tags: ['odd', 'even', 'even', 'odd'], label: 'odd' })
    // ONNX: logits on every step, at T 8 and 12.
    const net = await storedNet(s.id, model)
    const onnx = new Uint8Array(Buffer.from((await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'onnx' })).base64, 'base64'))
    for (const T of [8, 12]) expect(await onnxLogitsError(onnx, net, syntheticClassBatch('parity', T, 3, new Rng(T)).tokens, T, 3)).toBeLessThan(1e-5)
  }, 120_000)
})

describe('tagging a CSV of tokens,tags', () => {
  it('learns tags that depend on the previous token; pad steps are left out of the scores; runs tag the tokens given', async () => {
    // A token's tag: 'N' after 'the', 'V' after a noun-like 'dog'/'cat', else 'X' — the tagger needs the step before.
    const rng = new Rng(6)
    const words = ['the', 'dog', 'cat', 'runs', 'and']
    const rows = Array.from({ length: 300 }, () => {
      const n = 3 + rng.int(6)
      const toks = Array.from({ length: n }, () => words[rng.int(words.length)]!)
      const tags = toks.map((_, i) => (i > 0 && toks[i - 1] === 'the' ? 'N' : i > 0 && (toks[i - 1] === 'dog' || toks[i - 1] === 'cat') ? 'V' : 'X'))
      return `${toks.join(' ')},${tags.join(' ')}`
    })
    await backend.call('texts.import', { name: 'tagged.csv', content: b64(`tokens,tags\n${rows.join('\n')}\n`) })
    const s = await backend.call('sessions.create', { name: 'csv-tag' })
    const spec = { ...reber, sequenceLength: 8, steps: 400, task: { kind: 'tag' as const, source: { type: 'csv' as const, file: 'user-text:tagged.csv' }, validationFraction: 0.2 } }
    const model = await trainKind(backend, { sessionId: s.id, model: spec, seed: 3 })
    const r = model.taskResult!
    if (r.kind !== 'tag') throw new Error('not a tagger')
    // No pad tag: the pad steps' target is ignored by the loss (−1), so the head has the three real tags.
    expect(r.classes).toEqual(['N', 'V', 'X'])
    expect(model.vocab).toEqual(['\u00b7', 'and', 'cat', 'dog', 'runs', 'the'])
    expect(r.evalRows).toBe(60)
    expect(r.accuracy).toBeGreaterThan(0.97)
    expect(r.accuracy).toBeGreaterThan(r.baseline.accuracy + 0.3)
    // The confusion counts only the tokens' steps (no row is longer than T here), each once.
    const data = prepareRecurrentTask(recurrentModelSpecSchema.parse(spec) as RecurrentTaskSpec, 3, () => ({ name: 'tagged.csv', text: `tokens,tags\n${rows.join('\n')}\n` }), 'spec')
    const realSteps = data.heldOut.classes!.filter((c) => c >= 0).length
    expect(realSteps).toBeLessThan(60 * 8)
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(realSteps)
    // The held-out loss is the mean over the real steps only: the core's loss with the pads ignored, on the stored weights.
    const net = await storedNet(s.id, model)
    const logits = forward(net, { steps: 8, batch: 60, tokens: data.heldOut.tokens! }).logits!
    expect(r.loss).toBeCloseTo(softmaxCrossEntropy(logits, data.heldOut.classes!, 3).loss, 12)
    const run = (await runModel(backend, { sessionId: s.id, modelId: model.id, run: { kind: 'recurrent.predict', input: 'the dog runs' } })).result
    expect(run).toMatchObject({ task: 'tag', tags: ['X', 'N', 'V'] })
    await expect(backend.call('models.run', { sessionId: s.id, modelId: model.id, run: { kind: 'recurrent.predict', input: 'the bird' } })).rejects.toMatchObject({ field: 'params.run.input' })
    await backend.call('texts.import', { name: 'uneven.csv', content: b64('tokens,tags\na b,X\n') })
    await expect(
      backend.call('models.train', { sessionId: s.id, model: { ...spec, task: { kind: 'tag', source: { type: 'csv', file: 'user-text:uneven.csv' } } } })
    ).rejects.toThrow(/params\.model\.task\.source\.tagsColumn: uneven\.csv row 2 has 2 tokens and 1 tags/)
  }, 120_000)
})

async function storedNet(sessionId: string, model: Parameters<typeof recurrentModelNet>[0] & { id: string }): Promise<ReturnType<typeof recurrentModelNet>> {
  const st = await backend.call('models.export', { sessionId, modelId: model.id, format: 'safetensors' })
  const dict = decodeSafetensors(new Uint8Array(Buffer.from(st.base64, 'base64')))
  return recurrentModelNet(model, (n) => dict.tensors[n]!)
}
