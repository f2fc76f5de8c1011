// The recurrent family through the API: a tiny char-LSTM trained on the shipped corpus on the engine (loss falls, live
// metrics and samples), its stored weights re-evaluated by the core, generation reproducible by seed, the ONNX export
// in onnxruntime-node against the core's logits, safetensors with PyTorch names, a reopened session, an imported text,
// and bad input refused naming the field.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { generate } from '../../src/core/recurrent'
import { Rng } from '../../src/core/rng'
import { decodeSafetensors } from '../../src/core/safetensors'
import { recurrentCoreSpec, recurrentEvalLoss, recurrentNetFromTensors, tokenize } from '../../src/main/services/recurrent'
import { keptResult } from '../../src/shared/session'
import type { Events } from '../../src/shared/api'
import { cancelAfterFirstProgress, runModel, trainKind, withBackend } from '../helpers/backend'
import { onnxLogitsError } from '../helpers/recurrent-onnx'

const backend = withBackend('engram-recurrent-')
const sonnets = readFileSync(new URL('../../resources/corpora/sonnets.txt', import.meta.url), 'utf8')
const tiny = { kind: 'recurrent' as const, cell: 'lstm' as const, hiddenSize: 16, embeddingSize: 8, sequenceLength: 16, batch: 8, steps: 60, learningRate: 0.02 }

describe('recurrent family through the API', () => {
  it('trains a char-LSTM on the shipped corpus: loss falls, the core re-evaluates the weights, generation, export, reopen', async () => {
    const s = await backend.call('sessions.create', { name: 'rnn' })
    const progress: Events['job.progress'][] = []
    const off = backend.on('job.progress', (p) => progress.push(p))
    const model = await trainKind(backend, { sessionId: s.id, model: tiny, seed: 3 })
    off()
    const { vocab, tokens } = tokenize(sonnets)
    expect(model).toMatchObject({ kind: 'recurrent', stepsDone: 60, partial: false, stopReason: null, fallbackReason: null, textChars: tokens.length, vocab })
    expect(model.provider).toMatch(/^engine/)
    // Live metrics: loss and perplexity per report, and samples along the way.
    const metrics = progress.filter((p) => p.kind === 'recurrent.train').map((p) => p.metrics!)
    expect(metrics.length).toBe(model.history.length)
    expect(metrics.at(-1)!.perplexity).toBeCloseTo(Math.exp(metrics.at(-1)!.loss!), 10)
    expect(progress.some((p) => typeof p.text === 'string' && p.text.length > 100)).toBe(true)
    // Loss falls from about ln V.
    expect(model.history[0]!.loss).toBeGreaterThan(Math.log(vocab.length) - 0.5)
    expect(model.history.at(-1)!.loss).toBeLessThan(model.history[0]!.loss - 0.5)

    // The weights in the session (safetensors export, PyTorch names) re-evaluated by the core give the reported loss.
    const st = await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'safetensors' })
    const dict = decodeSafetensors(new Uint8Array(Buffer.from(st.base64, 'base64')))
    expect(Object.keys(dict.tensors).sort()).toEqual(['bias_hh_l0', 'bias_ih_l0', 'embedding.weight', 'head.bias', 'head.weight', 'weight_hh_l0', 'weight_ih_l0'])
    expect(dict.tensors['weight_ih_l0']!.shape).toEqual([4 * 16, 8])
    const net = recurrentNetFromTensors(model, (n) => dict.tensors[n]!)
    expect(recurrentEvalLoss(net, tokens, 16, 8)).toBe(model.evalLoss)
    expect(model.evalLoss).toBeLessThan(model.history[0]!.loss - 0.5)

    // Generation: reproducible by seed, another seed differs, temperature 0 is the argmax line.
    const gen = (seed: number, temperature = 0.8) => runModel(backend, { sessionId: s.id, modelId: model.id, run: { kind: 'recurrent.generate', prompt: 'Shall I ', length: 80, temperature, topK: 5, seed } })
    const a = (await gen(7)).result
    const b = (await gen(7)).result
    const c = (await gen(8)).result
    expect(a.sample).toHaveLength(80)
    expect(b.sample).toBe(a.sample)
    expect(c.sample).not.toBe(a.sample)
    expect(a.computedBy).toMatch(/^engine \(in-graph/)
    // The in-graph sample is core generate()'s for the same seed (its draws fed as uniforms).
    const index = new Map(vocab.map((ch, i) => [ch, i]))
    const coreGen = generate(net, [...'Shall I '].map((ch) => index.get(ch)!), 80, { temperature: 0.8, topK: 5 }, new Rng(7))
    expect(a.sample).toBe(coreGen.tokens.map((i) => vocab[i]).join(''))
    expect(a.argmax).toBe(coreGen.argmax.map((i) => vocab[i]).join(''))
    const greedy = (await gen(1, 0)).result
    expect(greedy.sample).toBe(greedy.argmax)

    // ONNX export in onnxruntime-node equals the core's logits (float32).
    const onnx = await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'onnx' })
    const toks = Int32Array.from({ length: 24 * 2 }, (_, i) => tokens[(i * 37) % tokens.length]!)
    expect(await onnxLogitsError(new Uint8Array(Buffer.from(onnx.base64, 'base64')), net, toks, 24, 2)).toBeLessThan(1e-5)

    // Save and reopen: the model, its vocabulary and weights, the kept generation.
    await backend.call('sessions.save', { id: s.id })
    await backend.call('sessions.close', { id: s.id })
    const reopened = await backend.call('sessions.open', { id: s.id })
    const kept = reopened.models.find((m) => m.id === model.id)
    expect(kept).toMatchObject({ kind: 'recurrent', vocab, evalLoss: model.evalLoss })
    expect(keptResult(reopened, 'recurrent.generate')?.result.sample).toBe(greedy.sample)
    expect((await gen(7)).result.sample).toBe(a.sample)
  }, 120_000)

  it('same spec and seed give the same numbers', async () => {
    const s = await backend.call('sessions.create', { name: 'repro' })
    const spec = { ...tiny, cell: 'gru' as const, steps: 12, hiddenSize: 8, layers: 2, dropout: 0.2 }
    const m1 = await trainKind(backend, { sessionId: s.id, model: spec, seed: 11 })
    const m2 = await trainKind(backend, { sessionId: s.id, model: spec, seed: 11 })
    expect(m2.history).toEqual(m1.history)
    expect(m2.evalLoss).toBe(m1.evalLoss)
    expect(m2.sample).toBe(m1.sample)
  }, 60_000)

  it('imports a UTF-8 text and trains an RNN on it; bad input names the field before any work', async () => {
    const s = await backend.call('sessions.create', { name: 'bad' })
    const text = 'abcabcabd\u00e9\u00e9 '.repeat(20)
    const summary = await backend.call('texts.import', { name: 'abc', content: Buffer.from(text).toString('base64') })
    expect(summary).toMatchObject({ id: 'user-text:abc', chars: [...text].length })
    expect((await backend.call('texts.list', {})).map((t) => t.id)).toEqual(['corpus:sonnets', 'user-text:abc'])
    const m = await trainKind(backend, { sessionId: s.id, model: { ...tiny, cell: 'rnn', nonlinearity: 'relu', text: { file: 'user-text:abc' }, steps: 8 } })
    expect(m.vocab).toEqual([' ', 'a', 'b', 'c', 'd', '\u00e9'])

    const refuse = async (call: Promise<unknown>, field: string) => {
      await expect(call).rejects.toMatchObject({ field })
      await expect(call).rejects.toThrow(field)
    }
    await refuse(backend.call('texts.import', { name: 'bin', content: Buffer.from([0xff, 0xfe, 0x00, 0xc3]).toString('base64') }), 'params.content')
    await refuse(backend.call('texts.import', { name: 'blank', content: Buffer.from('   \n').toString('base64') }), 'params.content')
    await refuse(backend.call('texts.import', { name: '../x', content: Buffer.from('abc').toString('base64') }), 'params.name')
    await refuse(backend.call('models.train', { sessionId: s.id, model: { ...tiny, hiddenSize: 0 } }), 'params.model.hiddenSize')
    await refuse(backend.call('models.train', { sessionId: s.id, model: { ...tiny, steps: 1e9 } }), 'params.model.steps')
    await refuse(backend.call('models.train', { sessionId: s.id, model: { ...tiny, text: { file: 'user-text:nothere' } } }), 'params.model.text.file')
    await refuse(backend.call('models.train', { sessionId: s.id, model: { ...tiny, text: { file: 'user-text:abc' }, sequenceLength: 500 } }), 'params.model.sequenceLength')
    await refuse(backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'letters' }, model: tiny }), 'params')
    // A family that trains on a dataset names it when it is missing.
    await refuse(backend.call('models.train', { sessionId: s.id, model: { kind: 'modern' } }), 'params.dataset')
    await refuse(backend.call('models.run', { sessionId: s.id, modelId: m.id, run: { kind: 'recurrent.generate', prompt: 'xyz' } }), 'params.run.prompt')
    await refuse(backend.call('models.run', { sessionId: s.id, modelId: m.id, run: { kind: 'recurrent.generate', prompt: 'a', length: 5000 } }), 'params.run.length')
    await refuse(backend.call('models.export', { sessionId: s.id, modelId: m.id, format: 'npz' }), 'params.format')
    expect(recurrentCoreSpec(m.spec, m.vocab.length).nonlinearity).toBe('relu')
  }, 60_000)

  it('a NaN/Inf stops the run naming the step and the tensor, keeping the last good weights', async () => {
    const s = await backend.call('sessions.create', { name: 'nan' })
    // A relu RNN without clipping at learning rate 1 blows up at once.
    const spec = { ...tiny, cell: 'rnn' as const, nonlinearity: 'relu' as const, hiddenSize: 32, sequenceLength: 64, batch: 4, steps: 40, learningRate: 1, clipNorm: 0 }
    const m = await trainKind(backend, { sessionId: s.id, model: spec, seed: 1 })
    expect(m.partial).toBe(true)
    expect(m.stopReason).toMatch(new RegExp(`non-finite (loss|\\S+) .* step ${m.stepsDone + 1}; weights kept from step ${m.stepsDone}`))
    expect(m.stepsDone).toBeLessThan(40)
    expect(Number.isFinite(m.evalLoss)).toBe(true)
    const st = await backend.call('models.export', { sessionId: s.id, modelId: m.id, format: 'safetensors' })
    const dict = decodeSafetensors(new Uint8Array(Buffer.from(st.base64, 'base64')))
    for (const [name, t] of Object.entries(dict.tensors)) expect(Array.from(t.data as Float32Array).every(Number.isFinite), name).toBe(true)
  }, 60_000)

  it('cancel keeps the last good weights as a partial model', async () => {
    const s = await backend.call('sessions.create', { name: 'cancel' })
    const { jobId } = await backend.call('models.train', { sessionId: s.id, model: { ...tiny, steps: 4000 } })
    const done = await cancelAfterFirstProgress(backend, jobId)
    const model = (done.result as { model: { partial: boolean; stepsDone: number } }).model
    expect(model.partial).toBe(true)
    expect(model.stepsDone).toBeGreaterThan(0)
    expect(model.stepsDone).toBeLessThan(4000)
  }, 60_000)
})
