// Recurrent core: sampling (temperature, top-k, argmax) against closed-form distributions and seeded frequencies;
// generation from a prompt (teacher forcing, state carried step by step) against one forward pass over the whole
// sequence; seeded dropout; a char model that learns a repeating text.
import { describe, expect, it } from 'vitest'
import { Rng } from '../../src/core/rng'
import {
  argmax,
  forward,
  generate,
  initRecurrentNet,
  RecurrentSpecError,
  RecurrentTrainer,
  samplingProbabilities,
  sampleToken,
  teacherForcingInputs,
  type RecurrentSpec
} from '../../src/core/recurrent'
import { relErr } from './recurrent-helpers'

const logits = [0.3, -1.2, 2.1, 0.7, 2.1 - 1e-3, -0.4, 1.5]

describe('sampling distributions', () => {
  it('temperature: softmax(logits / τ), written out', () => {
    for (const tau of [1, 0.5, 1.7]) {
      const e = logits.map((l) => Math.exp(l / tau))
      const z = e.reduce((a, b) => a + b, 0)
      expect(relErr(samplingProbabilities(logits, { temperature: tau }), e.map((v) => v / z))).toBeLessThan(1e-15)
    }
  })

  it('top-k keeps the k largest logits, renormalised', () => {
    const p = samplingProbabilities(logits, { topK: 3 })
    const keep = [2, 4, 6]
    const z = keep.reduce((a, i) => a + Math.exp(logits[i]!), 0)
    expect(relErr(p, logits.map((l, i) => (keep.includes(i) ? Math.exp(l) / z : 0)))).toBeLessThan(1e-15)
  })

  it('temperature 0 is argmax (lowest id on ties) and draws nothing', () => {
    const rng = new Rng(1)
    const before = rng.getState()
    expect(sampleToken(logits, { temperature: 0 }, rng)).toBe(2)
    expect(rng.getState()).toEqual(before)
    expect(argmax([1, 3, 3, 0])).toBe(1)
  })

  it('seeded draws: reproducible, and frequencies within 4.5σ of the distribution (τ 0.8, top-5)', () => {
    const o = { temperature: 0.8, topK: 5 }
    const p = samplingProbabilities(logits, o)
    const draws = (seed: number, n: number) => {
      const rng = new Rng(seed)
      return Array.from({ length: n }, () => sampleToken(logits, o, rng))
    }
    expect(draws(7, 50)).toEqual(draws(7, 50))
    expect(draws(7, 50)).not.toEqual(draws(8, 50))
    const n = 40000
    const counts = new Array<number>(logits.length).fill(0)
    for (const t of draws(3, n)) counts[t]!++
    counts.forEach((c, i) => {
      const sigma = Math.sqrt(n * p[i]! * (1 - p[i]!))
      if (p[i] === 0) expect(c).toBe(0)
      else expect(Math.abs(c - n * p[i]!)).toBeLessThan(4.5 * sigma)
    })
  })

  it('bad sampling options name the field', () => {
    expect(() => samplingProbabilities(logits, { temperature: -1 })).toThrow(/sampling\.temperature/)
    expect(() => samplingProbabilities(logits, { topK: 1.5 })).toThrow(/sampling\.topK/)
  })
})

const charSpec: RecurrentSpec = { cell: 'lstm', inputSize: 5, hiddenSize: 9, numLayers: 2, bidirectional: false, dropout: 0.25, vocabSize: 6, head: { outputSize: 6, loss: 'softmax-ce', on: 'all' } }

describe('generation', () => {
  it('step-by-step generation with carried state equals one forward pass over prompt + generated tokens', () => {
    const net = initRecurrentNet(charSpec, new Rng(11))
    const prompt = [1, 4, 2]
    const g = generate(net, prompt, 9, { temperature: 1.3 }, new Rng(12))
    expect(g.tokens).toHaveLength(9)
    // The same seed gives the same sample; τ 0 gives the argmax line.
    expect(generate(net, prompt, 9, { temperature: 1.3 }, new Rng(12))).toEqual(g)
    const greedy = generate(net, prompt, 9, { temperature: 0 }, new Rng(12))
    expect(greedy.tokens).toEqual(greedy.argmax)
    // Teacher forcing: feed the whole sequence at once; the argmax at each generated position matches.
    const seq = [...prompt, ...g.tokens.slice(0, -1)]
    const f = forward(net, { steps: seq.length, batch: 1, tokens: Int32Array.from(seq) })
    const V = 6
    const expected = g.tokens.map((_, n) => argmax(f.logits!.subarray((prompt.length - 1 + n) * V, (prompt.length + n) * V)))
    expect(g.argmax).toEqual(expected)
  })

  it('teacherForcingInputs shifts the targets one step and starts with the start token', () => {
    // [T = 3, B = 2]
    expect(Array.from(teacherForcingInputs(Int32Array.of(1, 2, 3, 4, 5, 0), 2, 9))).toEqual([9, 9, 1, 2, 3, 4])
  })

  it('generation needs a token net with a softmax head over the vocabulary', () => {
    const net = initRecurrentNet({ ...charSpec, head: { outputSize: 6, loss: 'mse', on: 'all' } }, new Rng(1))
    expect(() => generate(net, [1], 3, {}, new Rng(1))).toThrow(RecurrentSpecError)
  })
})

describe('dropout between layers', () => {
  it('is seeded, only in training mode, and scales kept units by 1/(1 − p)', () => {
    const net = initRecurrentNet(charSpec, new Rng(21))
    const batch = { steps: 40, batch: 5, tokens: Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 6) }
    const a = forward(net, batch, { train: true, rng: new Rng(5) })
    const b = forward(net, batch, { train: true, rng: new Rng(5) })
    const c = forward(net, batch, { train: true, rng: new Rng(6) })
    const evalMode = forward(net, batch)
    expect(Array.from(a.output)).toEqual(Array.from(b.output))
    expect(Array.from(a.output)).not.toEqual(Array.from(c.output))
    expect(Array.from(evalMode.output)).toEqual(Array.from(forward({ ...net, spec: { ...charSpec, dropout: 0 } }, batch, { train: true }).output))
    const mask = a.cache.layers[0]!.mask!
    const dropped = mask.filter((m) => m === 0).length / mask.length
    expect(Math.abs(dropped - 0.25)).toBeLessThan(4.5 * Math.sqrt((0.25 * 0.75) / mask.length))
    expect(new Set(mask)).toEqual(new Set([0, 1 / 0.75]))
    expect(() => forward(net, batch, { train: true })).toThrow(/rng/)
  })
})

describe('training', () => {
  it('a char LSTM learns a repeating text with stateful truncated BPTT (loss from ln 6 to < 0.1)', () => {
    const text = 'abcdefabcdefabcdef'.repeat(20)
    const ids = Array.from(text, (ch) => ch.charCodeAt(0) - 97)
    const spec: RecurrentSpec = { ...charSpec, dropout: 0 }
    const net = initRecurrentNet(spec, new Rng(31))
    const tr = new RecurrentTrainer(net, { kind: 'adam', learningRate: 0.03 }, true)
    const W = 10
    const B = 2
    const half = ids.length / B
    let first = 0
    let last = 0
    for (let epoch = 0; epoch < 3; epoch++) {
      tr.resetState()
      for (let s = 0; s + W + 1 <= half; s += W) {
        const tokens = new Int32Array(W * B)
        const classes = new Int32Array(W * B)
        for (let t = 0; t < W; t++) {
          for (let b = 0; b < B; b++) {
            tokens[t * B + b] = ids[b * half + s + t]!
            classes[t * B + b] = ids[b * half + s + t + 1]!
          }
        }
        const r = tr.step({ steps: W, batch: B, tokens }, { classes })
        if (r.step === 1) first = r.loss
        last = r.loss
      }
    }
    expect(Math.abs(first - Math.log(6))).toBeLessThan(0.3)
    expect(last).toBeLessThan(0.1)
    const g = generate(net, [0, 1, 2], 12, { temperature: 0 }, new Rng(1))
    expect(g.tokens).toEqual([3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1, 2])
  })

  it('a trainer saved mid-run and restored (Adam moments, step, carried state) continues exactly', () => {
    const spec: RecurrentSpec = { cell: 'gru', inputSize: 4, hiddenSize: 7, numLayers: 2, bidirectional: false, dropout: 0, head: { outputSize: 3, loss: 'mse', on: 'all' } }
    const rng = new Rng(77)
    const windows = Array.from({ length: 5 }, () => ({
      batch: { steps: 4, batch: 2, input: Float64Array.from({ length: 32 }, () => rng.normal()) },
      targets: { values: Float64Array.from({ length: 24 }, () => rng.normal()) }
    }))
    const opt = { kind: 'adam' as const, learningRate: 0.05, clipNorm: 1 }
    const straight = new RecurrentTrainer(initRecurrentNet(spec, new Rng(3)), opt, true)
    const lossesStraight = windows.map((w) => straight.step(w.batch, w.targets).loss)
    const first = new RecurrentTrainer(initRecurrentNet(spec, new Rng(3)), opt, true)
    windows.slice(0, 3).forEach((w) => first.step(w.batch, w.targets))
    // Through JSON, as a saved session would hold it.
    const saved = JSON.parse(JSON.stringify(first.getState(), (_, v) => (v instanceof Float64Array ? Array.from(v) : v)))
    const revive = (o: Record<string, number[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Float64Array.from(v)]))
    const resumed = RecurrentTrainer.restore(
      spec,
      { step: saved.step, params: revive(saved.params), moments: { exp_avg: revive(saved.moments.exp_avg), exp_avg_sq: revive(saved.moments.exp_avg_sq) }, h: Float64Array.from(saved.h) },
      opt,
      true
    )
    const lossesResumed = windows.slice(3).map((w) => resumed.step(w.batch, w.targets).loss)
    expect(lossesResumed).toEqual(lossesStraight.slice(3))
    expect(resumed.stepCount).toBe(5)
    for (const [k, v] of Object.entries(straight.net.params)) expect(Array.from(resumed.net.params[k]!)).toEqual(Array.from(v))
    expect(() => RecurrentTrainer.restore(spec, { ...first.getState(), step: -1 })).toThrow(/state\.step/)
  })
})
