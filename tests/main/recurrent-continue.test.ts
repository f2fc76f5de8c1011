// A trained char-LM reloads from a saved session and keeps training (issue 9): its weights, Adam moments and step count
// are kept with it, and the continuation trains on the windows one longer run would have seen — so 2 × 20 steps give
// the weights and curve of one 40-step run, on the engine and on the core; a reopened session continues the same way;
// a continuation that changes what it cannot is refused naming the field.
import { describe, expect, it, vi } from 'vitest'
import { decodeSafetensors } from '../../src/core/safetensors'
import * as trainStep from '../../src/engine/programs/train-step'
import { tokenize, trainRecurrentJob, type RecurrentTrainInput } from '../../src/main/services/recurrent'
import { recurrentModelSpecSchema } from '../../src/shared/families/recurrent'
import { cancelAfterFirstProgress, trainKind, withBackend } from '../helpers/backend'

vi.mock('../../src/engine/programs/train-step', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/programs/train-step')>()
  const create = vi.fn(real.TrainStepRunner.create.bind(real.TrainStepRunner))
  return { ...real, TrainStepRunner: Object.assign(real.TrainStepRunner, { create }) }
})

const backend = withBackend('engram-recurrent-continue-')
const tiny = { kind: 'recurrent' as const, cell: 'lstm' as const, hiddenSize: 12, embeddingSize: 6, sequenceLength: 12, batch: 4, learningRate: 0.02 }

async function weights(sessionId: string, modelId: string): Promise<Record<string, number[]>> {
  const st = await backend.call('models.export', { sessionId, modelId, format: 'safetensors' })
  const dict = decodeSafetensors(new Uint8Array(Buffer.from(st.base64, 'base64')))
  return Object.fromEntries(Object.entries(dict.tensors).map(([k, t]) => [k, Array.from(t.data as Float32Array)]))
}

describe('continuing a trained recurrent network', () => {
  it('two runs of 20 steps equal one run of 40 (weights, curve, step count), also after save and reopen', async () => {
    const s = await backend.call('sessions.create', { name: 'continue' })
    // 20 and 40 steps make the same K (steps per engine run: 1), so even the points of the curve are the same.
    const whole = await trainKind(backend, { sessionId: s.id, model: { ...tiny, steps: 40 }, seed: 4 })
    const first = await trainKind(backend, { sessionId: s.id, model: { ...tiny, steps: 20 }, seed: 4 })
    // Save and reopen between the two halves: the Adam state travels with the model.
    await backend.call('sessions.save', { id: s.id })
    await backend.call('sessions.close', { id: s.id })
    await backend.call('sessions.open', { id: s.id })
    const second = await trainKind(backend, { sessionId: s.id, model: { ...tiny, steps: 20, continueFrom: first.id }, seed: 4 })
    expect(second.stepsDone).toBe(40)
    expect(second.continuedFrom).toEqual({ id: first.id, name: first.name, steps: 20, adamRestarted: false })
    expect(second.name).toMatch(/continued to 40 steps$/)
    expect(second.history.map((p) => p.step)).toEqual(whole.history.map((p) => p.step))
    expect(second.history).toEqual(whole.history)
    expect(await weights(s.id, second.id)).toEqual(await weights(s.id, whole.id))
    expect(second.evalLoss).toBe(whole.evalLoss)
    // The first model is still there, unchanged.
    expect((await backend.call('sessions.open', { id: s.id })).models.find((m) => m.id === first.id)).toMatchObject({ stepsDone: 20 })
  }, 120_000)

  it('refuses what would not be a continuation, naming the field', async () => {
    const s = await backend.call('sessions.create', { name: 'refuse' })
    const m = await trainKind(backend, { sessionId: s.id, model: { ...tiny, steps: 6 }, seed: 2 })
    const refuse = async (params: object, field: string, message: RegExp) => {
      const call = backend.call('models.train', { sessionId: s.id, seed: 2, ...params } as never)
      await expect(call).rejects.toMatchObject({ field })
      await expect(call).rejects.toThrow(message)
    }
    await refuse({ model: { ...tiny, steps: 6, continueFrom: 'nope' } }, 'params.model.continueFrom', /no model 'nope' in this session/)
    await refuse({ model: { ...tiny, steps: 6, hiddenSize: 16, continueFrom: m.id } }, 'params.model.hiddenSize', /must stay 12 to continue/)
    await refuse({ model: { ...tiny, steps: 6, batch: 8, continueFrom: m.id } }, 'params.model.batch', /must stay 4/)
    await refuse({ model: { ...tiny, steps: 6, cell: 'gru', continueFrom: m.id } }, 'params.model.cell', /must stay "lstm"/)
    await refuse({ model: { ...tiny, steps: 6, continueFrom: m.id }, seed: 3 }, 'params.seed', /must stay 2/)
    // The learning rate may change (a lower rate to fine-tune).
    const slower = await trainKind(backend, { sessionId: s.id, model: { ...tiny, steps: 6, learningRate: 0.005, continueFrom: m.id }, seed: 2 })
    expect(slower.stepsDone).toBe(12)
    expect(slower.spec.learningRate).toBe(0.005)
  }, 60_000)

  it('another cell\'s setting is refused; a model saved with one (the form sent them before) still continues', async () => {
    const s = await backend.call('sessions.create', { name: 'variants' })
    const gru = { ...tiny, cell: 'gru' as const, steps: 4 }
    const call = backend.call('models.train', { sessionId: s.id, seed: 1, model: { ...gru, peephole: true } })
    await expect(call).rejects.toMatchObject({ field: 'params.model.peephole' })
    await expect(call).rejects.toThrow("peepholes are an LSTM variant; cell 'gru' has no peephole")
    const m = await trainKind(backend, { sessionId: s.id, model: gru, seed: 1 })
    // What an older version saved when the LSTM's box was left ticked and GRU picked: the setting, unused.
    const open = (backend as unknown as { open: Map<string, { state: { models: { id: string; spec: Record<string, unknown> }[] } }> }).open
    open.get(s.id)!.state.models.find((x) => x.id === m.id)!.spec.peephole = true
    const next = await trainKind(backend, { sessionId: s.id, model: { ...gru, continueFrom: m.id }, seed: 1 })
    expect(next.stepsDone).toBe(8)
  }, 60_000)

  it('a cancelled (partial) model continues from the steps it finished', async () => {
    const s = await backend.call('sessions.create', { name: 'partial' })
    const { jobId } = await backend.call('models.train', { sessionId: s.id, model: { ...tiny, steps: 6000 }, seed: 5 })
    const done = await cancelAfterFirstProgress(backend, jobId)
    if (done.result?.kind !== 'recurrent.train') throw new Error('expected a recurrent model')
    const partial = done.result.model
    expect(partial.partial).toBe(true)
    const next = await trainKind(backend, { sessionId: s.id, model: { ...tiny, steps: 25, continueFrom: partial.id }, seed: 5 })
    expect(next.stepsDone).toBe(partial.stepsDone + 25)
    expect(next.history.slice(0, partial.history.length)).toEqual(partial.history)
    expect(next.partial).toBe(false)
  }, 60_000)
})

describe('continuing on the core (the engine unavailable)', () => {
  it('one run of 20 core steps equals 10 + 10 with the moments carried, to float32 storage of the moments', async () => {
    vi.mocked(trainStep.TrainStepRunner.create).mockRejectedValue(new Error('no engine'))
    try {
      const { vocab, tokens } = tokenize('the quick brown fox jumps over the lazy dog; '.repeat(8))
      const spec = recurrentModelSpecSchema.parse({ ...tiny, cell: 'gru', steps: 20 })
      const input = (steps: number, extra: Partial<RecurrentTrainInput> = {}): RecurrentTrainInput => ({
        modelId: `m${steps}`, name: 'x', spec: { ...spec, steps }, seed: 9, textName: 'fox', vocab, tokens, provider: 'cpu', ...extra
      })
      const whole = await trainRecurrentJob(input(20), {})
      expect(whole.info.provider).toBe('core')
      const first = await trainRecurrentJob(input(10), {})
      const moments = Object.fromEntries(Object.entries(first.tensors).filter(([k]) => k.startsWith('optim/')).map(([k, t]) => [k.slice('optim/'.length), Float64Array.from(t.data as Float32Array)]))
      expect(Object.keys(moments)).toHaveLength(2 * Object.keys(first.tensors).filter((k) => !k.startsWith('optim/')).length)
      const params = Object.fromEntries(Object.entries(first.tensors).filter(([k]) => !k.startsWith('optim/')).map(([k, t]) => [k, Float64Array.from(t.data as Float32Array)]))
      const second = await trainRecurrentJob(input(10, { resume: { id: 'm10', name: 'x', params, moments, stepsTaken: 10, history: first.info.history } }), {})
      expect(second.info.stepsDone).toBe(20)
      expect(second.info.history.map((p) => p.step)).toEqual(whole.info.history.map((p) => p.step))
      // The core trains in float64; the session keeps weights and moments in float32, so the halves agree closely, not bit for bit.
      for (const [k, t] of Object.entries(whole.tensors)) {
        if (k.startsWith('optim/')) continue
        const a = t.data as Float32Array
        const b = second.tensors[k]!.data as Float32Array
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `${k}[${i}]`).toBeLessThan(1e-4)
      }
      expect(Math.abs(second.info.history.at(-1)!.loss - whole.info.history.at(-1)!.loss)).toBeLessThan(1e-4)
    } finally {
      vi.mocked(trainStep.TrainStepRunner.create).mockReset()
    }
  }, 60_000)
})
