// A char-LM training job above ENGINE_MONITOR_MIN_FLOP evaluates and samples on the engine (float32, RecurrentMonitor:
// one session each for the job, the weights fed) instead of the float64 core: its evaluation loss is the core's on the
// final weights to float32 rounding, its sample is core generate()'s text, its checkpoints carry the engine's evaluation;
// a small model stays on the core (the core's numbers exactly). recurrent.generate runs in the backend's thread and keeps
// the model's sampler session: a second call creates none; deleting the model or closing its session releases it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generate } from '../../src/core/recurrent'
import { Rng } from '../../src/core/rng'
import { ENGINE_MONITOR_MIN_FLOP, evalFlop, recurrentCoreSpec, recurrentEvalLoss, recurrentNetFromTensors, tokenize, trainRecurrentJob } from '../../src/main/services/recurrent'
import { recurrentModelSpecSchema, type RecurrentInfo } from '../../src/shared/families/recurrent'
import { recurrentSamplers } from '../../src/engine/recurrent-samplers'
import { relErr } from '../core/recurrent-helpers'
import { runModel, trainKind, withBackend } from '../helpers/backend'

const text = readFileSync(join(__dirname, '../../resources/corpora/sonnets.txt'), 'utf8')
const { vocab, tokens } = tokenize(text)

async function train(hiddenSize: number, sequenceLength: number, batch: number) {
  const spec = recurrentModelSpecSchema.parse({ kind: 'recurrent', cell: 'lstm', hiddenSize, sequenceLength, batch, steps: 12 })
  const checkpoints: RecurrentInfo[] = []
  const out = await trainRecurrentJob({ modelId: 'm', name: 'x', spec, seed: 3, textName: 'sonnets', vocab, tokens, provider: 'cpu' }, { onCheckpoint: (m) => checkpoints.push(m as RecurrentInfo) })
  const net = recurrentNetFromTensors(out.info, (n) => out.tensors[n]!)
  return { spec, out, net, checkpoints }
}

describe('the training job evaluates and samples on the engine for a large model', () => {
  it('H 64 / T 32 / B 32: evaluation loss = the core re-evaluating the final weights (float32), sample = core generate()', async () => {
    const { spec, out, net, checkpoints } = await train(64, 32, 32)
    expect(out.info.provider).toBe('engine (cpu)')
    expect(evalFlop(recurrentCoreSpec(spec, vocab.length), 32, 32)).toBeGreaterThanOrEqual(ENGINE_MONITOR_MIN_FLOP)
    const core = recurrentEvalLoss(net, tokens, 32, 32)
    expect(relErr([out.info.evalLoss], [core])).toBeLessThan(1e-5)
    expect(out.info.evalLoss).not.toBe(core)
    const g = generate(net, [tokens[0]!], 160, { temperature: 0.8 }, new Rng(3))
    expect(out.info.sample).toBe(vocab[tokens[0]!] + g.tokens.map((t) => vocab[t]).join(''))
    expect(checkpoints.length).toBeGreaterThan(0)
    for (const c of checkpoints) expect(Number.isFinite(c.evalLoss)).toBe(true)
  }, 60_000)

  it('a small model (H 16 / T 16 / B 8) stays on the float64 core: the evaluation is the core\'s exactly', async () => {
    const { spec, out, net } = await train(16, 16, 8)
    expect(evalFlop(recurrentCoreSpec(spec, vocab.length), 16, 8)).toBeLessThan(ENGINE_MONITOR_MIN_FLOP)
    expect(out.info.evalLoss).toBe(recurrentEvalLoss(net, tokens, 16, 8))
  }, 60_000)
})

const backend = withBackend('engram-recurrent-samplers-')

describe('recurrent.generate keeps the sampler session in the backend', () => {
  it('two generations from one model share one session; deleting the model or closing its session releases it', async () => {
    await recurrentSamplers.release()
    const s = await backend.call('sessions.create', { name: 'samplers' })
    const spec = { kind: 'recurrent' as const, cell: 'gru' as const, hiddenSize: 12, embeddingSize: 6, sequenceLength: 12, batch: 4, steps: 6 }
    const a = await trainKind(backend, { sessionId: s.id, model: spec, seed: 1 })
    const b = await trainKind(backend, { sessionId: s.id, model: spec, seed: 2 })
    const gen = (modelId: string, seed: number) => runModel(backend, { sessionId: s.id, modelId, run: { kind: 'recurrent.generate', prompt: 'Shall I ', length: 40, temperature: 0.8, topK: 0, seed } })
    const first = (await gen(a.id, 5)).result
    expect(first.computedBy).toMatch(/^engine/)
    expect(recurrentSamplers.size).toBe(1)
    expect((await gen(a.id, 5)).result.sample).toBe(first.sample)
    await gen(a.id, 6)
    expect(recurrentSamplers.size).toBe(1)
    await gen(b.id, 5)
    expect(recurrentSamplers.size).toBe(2)
    await backend.call('models.delete', { sessionId: s.id, modelId: a.id })
    expect(recurrentSamplers.size).toBe(1)
    await backend.call('sessions.close', { id: s.id })
    expect(recurrentSamplers.size).toBe(0)
  }, 60_000)
})
