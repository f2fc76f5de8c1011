// Stateful truncated BPTT in the app's jobs (model.stateful): the char-LM and a forecaster train on B streams of
// consecutive windows with the state carried; the engine and the core fallback (the very same windows, the state
// carried and reset at each pass on both) give the same losses; a continued stateful char-LM resumes the carried state
// and equals one longer run; bad specs are refused naming the field before any training.
import { describe, expect, it, vi } from 'vitest'
import * as trainStep from '../../src/engine/programs/train-step'
import { predictInput, prepareRecurrentTask, trainRecurrentTaskJob, type RecurrentTaskSpec } from '../../src/main/services/recurrent-task'
import { statefulWindows, textTokens, trainRecurrentJob, type RecurrentResume } from '../../src/main/services/recurrent'
import { recurrentModelSpecSchema } from '../../src/shared/families/recurrent'
import { relErr } from '../core/recurrent-helpers'

vi.mock('../../src/engine/programs/train-step', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/programs/train-step')>()
  const create = vi.fn(real.TrainStepRunner.create.bind(real.TrainStepRunner))
  return { ...real, TrainStepRunner: Object.assign(real.TrainStepRunner, { create }) }
})

const TEXT = 'abcab cabca bcabc. '.repeat(20) + 'the end of the text, after which it starts again. '.repeat(3)
const lm = recurrentModelSpecSchema.parse({ kind: 'recurrent', cell: 'lstm', hiddenSize: 12, embeddingSize: 6, sequenceLength: 8, batch: 4, steps: 24, learningRate: 0.02, stateful: true })
const { vocab, tokens } = textTokens('t', TEXT, lm.sequenceLength, 'text', 'sequenceLength', { batch: lm.batch, field: 'model.stateful' })
const lmInput = (spec = lm, resume?: RecurrentResume) => ({ modelId: 'm', name: 'm', spec, seed: 5, textName: 't', vocab, tokens, provider: 'cpu' as const, ...(resume ? { resume } : {}) })
const failEngineOnce = () => vi.mocked(trainStep.TrainStepRunner.create).mockRejectedValueOnce(new Error('no engine here'))

describe('stateful char-LM', () => {
  it('the engine and the core fallback train the same streams to the same losses and weights (state carried, reset each pass)', async () => {
    // 24 steps over W = ⌊⌊(N − 1)/4⌋/8⌋ windows per pass: more than one pass, so the reset is exercised.
    const { windows } = statefulWindows(tokens.length - 1, 8, 4, 'text', 'f')
    expect(windows).toBeLessThan(24)
    const engine = await trainRecurrentJob(lmInput(), {})
    failEngineOnce()
    const core = await trainRecurrentJob(lmInput(), {})
    expect(engine.info.provider).toMatch(/^engine/)
    expect(core.info.fallbackReason).toMatch(/no engine here/)
    expect(relErr(engine.info.history.map((p) => p.loss), core.info.history.map((p) => p.loss))).toBeLessThan(2e-5)
    expect(relErr(engine.tensors['weight_hh_l0']!.data as Float32Array, core.tensors['weight_hh_l0']!.data as Float32Array)).toBeLessThan(2e-4)
    // The carried state is saved beside the Adam moments (for a continuation), on both paths.
    expect(engine.tensors['optim/state.h0']!.shape).toEqual([1, 4, 12])
    expect(relErr(engine.tensors['optim/state.c0']!.data as Float32Array, core.tensors['optim/state.c0']!.data as Float32Array)).toBeLessThan(2e-4)
    // Stateless on the same seed is another training.
    const plain = await trainRecurrentJob(lmInput({ ...lm, stateful: false }), {})
    expect(relErr(plain.info.history.map((p) => p.loss), engine.info.history.map((p) => p.loss))).toBeGreaterThan(1e-3)
    expect(plain.tensors['optim/state.h0']).toBeUndefined()
  }, 60_000)

  it('a continued stateful run (weights, Adam moments, carried state) equals one longer run', async () => {
    const whole = await trainRecurrentJob(lmInput({ ...lm, steps: 24 }), {})
    const first = await trainRecurrentJob(lmInput({ ...lm, steps: 12 }), {})
    const t = first.tensors
    const f64 = (k: string) => Float64Array.from(t[k]!.data as Float32Array)
    const names = Object.keys(t).filter((k) => !k.startsWith('optim/'))
    const resume: RecurrentResume = {
      id: 'm',
      name: 'm',
      params: Object.fromEntries(names.map((k) => [k, f64(k)])),
      moments: Object.fromEntries(Object.keys(t).filter((k) => /\.exp_avg(_sq)?$/.test(k)).map((k) => [k.slice('optim/'.length), f64(k)])),
      stepsTaken: 12,
      history: first.info.history,
      carry: { h0: f64('optim/state.h0'), c0: f64('optim/state.c0') }
    }
    const second = await trainRecurrentJob(lmInput({ ...lm, steps: 12 }, resume), {})
    expect(relErr(second.info.history.map((p) => p.loss), whole.info.history.map((p) => p.loss))).toBeLessThan(1e-6)
    expect(relErr(second.tensors['weight_hh_l0']!.data as Float32Array, whole.tensors['weight_hh_l0']!.data as Float32Array)).toBeLessThan(1e-6)
  }, 60_000)

  it('refuses a text too short for two windows per stream, naming the field', () => {
    // 70 characters: 69 pairs in 4 streams of 17, two windows of 8 each; 60: streams of 14, one window.
    expect(() => textTokens('t', TEXT.slice(0, 70), 8, 'text', 'sequenceLength', { batch: 4, field: 'params.model.stateful' })).not.toThrow()
    expect(() => textTokens('t', TEXT.slice(0, 60), 8, 'text', 'sequenceLength', { batch: 4, field: 'params.model.stateful' })).toThrow(
      /params\.model\.stateful: 't' \(60 characters\) in 4 streams \(the batch\) leaves 14 steps per stream, 1 window of 8; .*needs at least 2/
    )
  })
})

const sine = { kind: 'recurrent', cell: 'gru', hiddenSize: 12, sequenceLength: 10, batch: 4, steps: 40, learningRate: 0.02, stateful: true, task: { kind: 'forecast', series: { type: 'sine', points: 400, period: 40 }, horizon: 3 } }
const taskSpec = (raw: object) => recurrentModelSpecSchema.parse(raw) as RecurrentTaskSpec
const noCsv = () => {
  throw new Error('no CSV')
}

describe('stateful forecasting', () => {
  it('engine and core fallback agree; the held-out windows are read after the values before them; a predict reads a longer history', async () => {
    const spec = taskSpec(sine)
    const engine = await trainRecurrentTaskJob({ modelId: 'f', name: 'f', spec, seed: 2, provider: 'cpu' }, {})
    failEngineOnce()
    const core = await trainRecurrentTaskJob({ modelId: 'f', name: 'f', spec, seed: 2, provider: 'cpu' }, {})
    expect(core.info.provider).toBe('core')
    expect(relErr(engine.info.history.map((p) => p.loss), core.info.history.map((p) => p.loss))).toBeLessThan(2e-5)
    const r = engine.info.taskResult!
    if (r.kind !== 'forecast') throw new Error('not a forecast')
    expect(r.rmse).toBeLessThan(r.persistence.rmse)
    const info = { id: 'f', vocab: [], spec, taskResult: r }
    expect(predictInput(info, new Array<number>(25).fill(0.5), 'input').steps).toBe(25)
    expect(() => predictInput(info, [1, 2], 'input')).toThrow(/input: a stateful forecast reads at least 10 numbers/)
  }, 60_000)

  it('refuses stateful for tasks of separate rows and with bidirectional layers, naming model.stateful', () => {
    const parity = taskSpec({ ...sine, task: { kind: 'classify', source: { type: 'parity' } } })
    expect(() => prepareRecurrentTask(parity, 1, noCsv, 'params')).toThrow(/params\.model\.stateful: stateful training carries the state along one long sequence .* a classify task's rows are separate sequences/)
    expect(() => prepareRecurrentTask(taskSpec({ ...sine, bidirectional: true }), 1, noCsv, 'params')).toThrow(/params\.model\.stateful: .*bidirectional layers/)
    // 320 training windows (of 400 points less the validation 80 and the window) in 64 streams: 5 steps each, no window of 10.
    expect(() => prepareRecurrentTask(taskSpec({ ...sine, batch: 64 }), 1, noCsv, 'params')).toThrow(/params\.model\.stateful: .*in 64 streams/)
  })
})
