// Recurrent export to ONNX with the standard LSTM/GRU/RNN operators, run in a fresh onnxruntime-node session: nets
// trained a few steps by the core (every cell and variant: peepholes, coupled gates, both GRU forms, RNN tanh/relu,
// stacked, bidirectional, embedding + softmax head, many-to-one head) give the core's float64 outputs, final states
// and logits to 1e-5 at batch 1, 3 and 8 and at sequence lengths up to 8× the training length; the onnx checker.
// In-graph sampling (one run() for a whole sample): the same tokens and argmax line as core generate() with the same
// uniforms, at several temperatures and top-k, batch 1 and 3; with the prompt run in the graph too, from kept sessions
// (recurrentSamplers: hits, new weights, eviction, release) and with the weights fed (RecurrentMonitor, whose evaluation
// loss is the core's in float32).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { relErr } from '../core/recurrent-helpers'
import { Rng } from '../../src/core/rng'
import { forward, generate, initRecurrentNet, RecurrentTrainer, softmaxCrossEntropy, type RecurrentNet, type RecurrentSpec, type SequenceBatch, type Targets } from '../../src/core/recurrent'
import { decodeModel, readModelMetadata } from '../../src/engine/onnx/builder'
import { buildRecurrentSampler, exportRecurrentOnnx } from '../../src/engine/recurrent-export'
import { RecurrentMonitor, RecurrentSamplerCache, recurrentWeightsDigest, runSampler } from '../../src/engine/recurrent-samplers'
import { HAS_ONNX, onnxCheck } from './helpers'

const I = 3
const H = 6
const T_TRAIN = 5

function f32(n: number, f: () => number): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround(f()))
}

function randomBatch(spec: RecurrentSpec, rng: Rng, steps: number, batch: number): SequenceBatch {
  const S = spec.numLayers * (spec.bidirectional ? 2 : 1) * batch * H
  const b: SequenceBatch = { steps, batch, h0: f32(S, () => 0.5 * rng.normal()) }
  if (spec.vocabSize !== undefined) b.tokens = Int32Array.from({ length: steps * batch }, () => rng.int(spec.vocabSize!))
  else b.input = f32(steps * batch * I, () => rng.normal())
  if (spec.cell === 'lstm') b.c0 = f32(S, () => 0.5 * rng.normal())
  return b
}

function randomTargets(spec: RecurrentSpec, rng: Rng, steps: number, batch: number): Targets {
  const head = spec.head!
  const rows = head.on === 'all' ? steps * batch : batch
  return head.loss === 'softmax-ce'
    ? { classes: Int32Array.from({ length: rows }, () => rng.int(head.outputSize)) }
    : { values: Float64Array.from({ length: rows * head.outputSize }, () => rng.normal()) }
}

/** A net trained 12 Adam steps by the core, its weights then rounded to float32 (what the export embeds). */
function trainedNet(spec: RecurrentSpec, seed: number): RecurrentNet {
  const rng = new Rng(seed)
  const net = initRecurrentNet(spec, rng)
  if (spec.head) {
    const tr = new RecurrentTrainer(net, { kind: 'adam', learningRate: 0.02, clipNorm: 5 }, true)
    for (let s = 0; s < 12; s++) tr.step(randomBatch(spec, rng, T_TRAIN, 4), randomTargets(spec, rng, T_TRAIN, 4), { train: true, rng })
  }
  for (const a of Object.values(net.params)) for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]!)
  return net
}

const base = { inputSize: I, hiddenSize: H, dropout: 0.2 }
const CASES: [string, RecurrentSpec][] = [
  ['char-LM: embedding + 2-layer LSTM + softmax head', { ...base, cell: 'lstm', numLayers: 2, bidirectional: false, vocabSize: 11, head: { outputSize: 11, loss: 'softmax-ce', on: 'all' } }],
  ['LSTM peephole, 2 layers, bidirectional', { ...base, cell: 'lstm', peephole: true, numLayers: 2, bidirectional: true, head: { outputSize: 2, loss: 'mse', on: 'all' } }],
  ['LSTM coupled, many-to-one', { ...base, cell: 'lstm', coupled: true, numLayers: 1, bidirectional: false, head: { outputSize: 2, loss: 'mse', on: 'last' } }],
  ['LSTM peephole + coupled, bidirectional', { ...base, cell: 'lstm', peephole: true, coupled: true, numLayers: 1, bidirectional: true, head: { outputSize: 4, loss: 'softmax-ce', on: 'last' } }],
  ['GRU pytorch form, 2 layers, bidirectional', { ...base, cell: 'gru', gruForm: 'pytorch', numLayers: 2, bidirectional: true, head: { outputSize: 2, loss: 'mse', on: 'all' } }],
  ['GRU original form, 2 layers', { ...base, cell: 'gru', gruForm: 'original', numLayers: 2, bidirectional: false, head: { outputSize: 3, loss: 'softmax-ce', on: 'all' } }],
  ['RNN tanh, 2 layers, bidirectional', { ...base, cell: 'rnn', nonlinearity: 'tanh', numLayers: 2, bidirectional: true, head: { outputSize: 2, loss: 'mse', on: 'all' } }],
  ['RNN relu, no head (untrained)', { ...base, cell: 'rnn', nonlinearity: 'relu', numLayers: 2, bidirectional: false }]
]

async function runOnnx(session: ort.InferenceSession, spec: RecurrentSpec, b: SequenceBatch): Promise<Record<string, Float32Array>> {
  const S = spec.numLayers * (spec.bidirectional ? 2 : 1)
  const feeds: Record<string, ort.Tensor> = { h0: new ort.Tensor('float32', Float32Array.from(b.h0!), [S, b.batch, H]) }
  if (b.tokens) feeds.tokens = new ort.Tensor('int64', BigInt64Array.from(b.tokens, (v) => BigInt(v)), [b.steps, b.batch])
  else feeds.input = new ort.Tensor('float32', Float32Array.from(b.input!), [b.steps, b.batch, I])
  if (b.c0) feeds.c0 = new ort.Tensor('float32', Float32Array.from(b.c0), [S, b.batch, H])
  const out = await session.run(feeds)
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]))
}

describe('exportRecurrentOnnx round trip in onnxruntime-node', () => {
  CASES.forEach(([label, spec], k) => {
    it(`${label}: the core's outputs to 1e-5 at batch 1, 3, 8 and sequence lengths 5, 13, 40`, async () => {
      const net = trainedNet(spec, 300 + k)
      const model = exportRecurrentOnnx(net, { metadata: { engram_version: 'test' } })
      const ops = decodeModel(model).graph!.node!.map((n) => n.opType)
      expect(ops).toContain(spec.cell === 'lstm' ? 'LSTM' : spec.cell === 'gru' ? 'GRU' : 'RNN')
      const meta = readModelMetadata(model)
      expect(JSON.parse(meta.engram_recurrent_spec!)).toEqual(spec)
      expect(meta.engram_version).toBe('test')
      const session = await ort.InferenceSession.create(model)
      try {
        const rng = new Rng(900 + k)
        let worst = 0
        for (const batch of [1, 3, 8]) {
          for (const steps of [T_TRAIN, 13, 40]) {
            const b = randomBatch(spec, rng, steps, batch)
            const core = forward(net, b)
            const got = await runOnnx(session, spec, b)
            worst = Math.max(worst, relErr(got.output!, core.output), relErr(got.hn!, core.hn))
            if (core.cn) worst = Math.max(worst, relErr(got.cn!, core.cn))
            if (core.logits) worst = Math.max(worst, relErr(got.logits!, core.logits))
            else expect(got.logits).toBeUndefined()
          }
        }
        expect(worst).toBeLessThan(1e-5)
      } finally {
        await session.release()
      }
    })
  })

  it.skipIf(!HAS_ONNX)('every exported model passes the onnx 1.12 checker (full_check)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-rnn-onnx-'))
    CASES.forEach(([label, spec], k) => {
      const file = join(dir, `m${k}.onnx`)
      writeFileSync(file, exportRecurrentOnnx(trainedNet(spec, 300 + k)))
      const r = onnxCheck(file)!
      expect(r.ok, `${label}: ${r.output}`).toBe(true)
    })
    SAMPLERS.forEach(([label, spec], k) => {
      const file = join(dir, `s${k}.onnx`)
      writeFileSync(file, buildRecurrentSampler(trainedNet(spec, 700 + k)))
      const r = onnxCheck(file)!
      expect(r.ok, `sampler ${label}: ${r.output}`).toBe(true)
    })
  })
})

const SAMPLERS: [string, RecurrentSpec][] = [
  ['2-layer LSTM', { ...base, cell: 'lstm', numLayers: 2, bidirectional: false, vocabSize: 11, head: { outputSize: 11, loss: 'softmax-ce', on: 'all' } }],
  ['GRU', { ...base, cell: 'gru', numLayers: 1, bidirectional: false, vocabSize: 11, head: { outputSize: 11, loss: 'softmax-ce', on: 'all' } }],
  ['LSTM peephole + coupled', { ...base, cell: 'lstm', peephole: true, coupled: true, numLayers: 1, bidirectional: false, vocabSize: 11, head: { outputSize: 11, loss: 'softmax-ce', on: 'all' } }]
]

describe('in-graph sampling (buildRecurrentSampler)', () => {
  SAMPLERS.forEach(([label, spec], k) => {
    it(`${label}: one run gives core generate()'s tokens and argmax line (τ 1, τ 0.7 top-4, τ 0; batch 1 and 3)`, async () => {
      const net = trainedNet(spec, 700 + k)
      const session = await ort.InferenceSession.create(buildRecurrentSampler(net))
      const L = spec.numLayers
      const N = 60
      try {
        for (const o of [{ temperature: 1 }, { temperature: 0.7, topK: 4 }, { temperature: 0 }]) {
          const prompts = [[3, 1, 4], [9, 2, 6], [5]]
          for (const rows of [prompts.slice(0, 1), prompts]) {
            const Bn = rows.length
            const h0 = new Float32Array(L * Bn * H)
            const c0 = new Float32Array(L * Bn * H)
            const uniforms = new Float32Array(N * Bn)
            const expected = rows.map((prompt, b) => {
              if (prompt.length > 1) {
                const f = forward(net, { steps: prompt.length - 1, batch: 1, tokens: Int32Array.from(prompt.slice(0, -1)) })
                for (let l = 0; l < L; l++) {
                  h0.set(f.hn.subarray(l * H, (l + 1) * H), (l * Bn + b) * H)
                  if (f.cn) c0.set(f.cn.subarray(l * H, (l + 1) * H), (l * Bn + b) * H)
                }
              }
              const u = new Rng(1000 + b)
              for (let n = 0; n < N; n++) uniforms[n * Bn + b] = u.next()
              return generate(net, prompt, N, o, new Rng(1000 + b))
            })
            const feeds: Record<string, ort.Tensor> = {
              token: new ort.Tensor('int64', BigInt64Array.from(rows, (p) => BigInt(p[p.length - 1]!)), [Bn]),
              h0: new ort.Tensor('float32', h0, [L, Bn, H]),
              uniforms: new ort.Tensor('float32', uniforms, [N, Bn]),
              temperature: new ort.Tensor('float32', Float32Array.of(o.temperature), []),
              top_k: new ort.Tensor('int64', BigInt64Array.of(BigInt(o.topK ?? 11)), [1])
            }
            if (spec.cell === 'lstm') feeds.c0 = new ort.Tensor('float32', c0, [L, Bn, H])
            const out = await session.run(feeds)
            const tokens = Array.from(out.tokens!.data as BigInt64Array, Number)
            const argmax = Array.from(out.argmax!.data as BigInt64Array, Number)
            expected.forEach((e, b) => {
              expect(tokens.filter((_, i) => i % Bn === b), `tokens row ${b} ${JSON.stringify(o)}`).toEqual(e.tokens)
              expect(argmax.filter((_, i) => i % Bn === b), `argmax row ${b}`).toEqual(e.argmax)
            })
            if (o.temperature === 0) expect(tokens).toEqual(argmax)
            else expect(tokens).not.toEqual(argmax) // real draws, not the argmax line
          }
        }
      } finally {
        await session.release()
      }
    })
  })
})

describe('the sampler with its prompt input, kept sessions (recurrentSamplers) and the job monitor (weights as inputs)', () => {
  const netOf = (k: number) => trainedNet(SAMPLERS[k]![1], 700 + k)
  const runs = [
    { length: 50, temperature: 0.9, topK: 0, seed: 5 },
    { length: 40, temperature: 0.7, topK: 4, seed: 6 },
    { length: 30, temperature: 0, topK: 0, seed: 7 }
  ]
  const core = (net: RecurrentNet, prompt: number[], r: (typeof runs)[number]) => generate(net, prompt, r.length, { temperature: r.temperature, ...(r.topK ? { topK: r.topK } : {}) }, new Rng(r.seed))

  SAMPLERS.forEach(([label], k) => {
    it(`${label}: the prompt run in the graph (embedded weights, and weights fed) gives core generate()'s tokens and argmax line`, async () => {
      const net = netOf(k)
      const cache = new RecurrentSamplerCache()
      const monitor = new RecurrentMonitor(net, { provider: 'cpu' })
      try {
        for (const prompt of [[3, 1, 4, 1, 5, 9, 2], [7]]) {
          for (const r of runs) {
            const want = core(net, prompt, r)
            const { session } = await cache.get('m', net, { provider: 'cpu' })
            expect(await runSampler(session, net, prompt, r), `embedded, prompt ${prompt.length}, ${JSON.stringify(r)}`).toEqual(want)
            expect(await monitor.sample(net, prompt, r), `fed, prompt ${prompt.length}, ${JSON.stringify(r)}`).toEqual(want)
          }
        }
        expect(cache.size).toBe(1)
      } finally {
        await cache.release()
        await monitor.release()
      }
    })
  })

  it('a kept session per owner and weights: the same weights hit, changed weights get a new session, bounded, released by owner', async () => {
    const net = netOf(1)
    const changed: RecurrentNet = { spec: net.spec, params: { ...net.params, 'head.bias': net.params['head.bias']!.map((v, i) => (i === 0 ? v + 0.5 : v)) } }
    const cache = new RecurrentSamplerCache(2)
    try {
      const first = cache.get('a', net, { provider: 'cpu' })
      expect(cache.get('a', { spec: net.spec, params: Object.fromEntries(Object.entries(net.params).map(([n, v]) => [n, Float64Array.from(v)])) }, { provider: 'cpu' })).toBe(first)
      const other = cache.get('a', changed, { provider: 'cpu' })
      expect(other).not.toBe(first)
      expect(recurrentWeightsDigest(changed)).not.toBe(recurrentWeightsDigest(net))
      // The changed weights' session samples from the changed weights.
      const r = runs[0]!
      expect(await runSampler((await other).session, changed, [4, 2], r)).toEqual(core(changed, [4, 2], r))
      expect(cache.size).toBe(2)
      cache.get('b', net, { provider: 'cpu' })
      expect(cache.size).toBe(2) // the least recently used ('a', net) went
      expect(cache.get('a', changed, { provider: 'cpu' })).toBe(other)
      await cache.release('a')
      expect(cache.size).toBe(1)
      await cache.release()
      expect(cache.size).toBe(0)
      expect(() => new RecurrentSamplerCache(0)).toThrow(/maxEntries/)
    } finally {
      await cache.release()
    }
  })

  it('a session in use is released only after its run: an eviction or release() during use() does not pull it from under the run', async () => {
    const net = netOf(0)
    const other = netOf(1)
    const r = runs[1]!
    const want = core(net, [2, 7], r)
    const cache = new RecurrentSamplerCache(1)
    const released: string[] = []
    try {
      const got = await cache.use('a', net, { provider: 'cpu' }, async ({ session }) => {
        const release = session.release.bind(session)
        session.release = () => {
          released.push('a')
          return release()
        }
        // A second owner's session evicts 'a' (maxEntries 1) while this run holds it, and a release() of every session follows.
        await cache.use('b', other, { provider: 'cpu' }, async ({ session: s2 }) => runSampler(s2, other, [1], r))
        await cache.release()
        expect(cache.size).toBe(0)
        expect(released).toEqual([])
        return runSampler(session, net, [2, 7], r)
      })
      expect(got).toEqual(want)
      expect(released).toEqual(['a'])
      // Gone from the cache: the next use() makes a new session and samples the same tokens.
      expect(await cache.use('a', net, { provider: 'cpu' }, ({ session }) => runSampler(session, net, [2, 7], r))).toEqual(want)
      expect(cache.size).toBe(1)
    } finally {
      await cache.release()
    }
  })

  it("the monitor's evaluation loss is the core's mean cross-entropy in float32 (1e-5), for each version of the weights fed", async () => {
    const net = netOf(0)
    const monitor = new RecurrentMonitor(net, { provider: 'cpu' })
    const rng = new Rng(31)
    const [T, B] = [9, 4]
    const x = Int32Array.from({ length: T * B }, () => rng.int(11))
    const y = Int32Array.from({ length: T * B }, () => rng.int(11))
    try {
      for (const scale of [1, 1.5]) {
        const w: RecurrentNet = { spec: net.spec, params: Object.fromEntries(Object.entries(net.params).map(([n, v]) => [n, v.map((a) => Math.fround(a * scale))])) }
        const want = softmaxCrossEntropy(forward(w, { steps: T, batch: B, tokens: x }).logits!, y, 11).loss
        const got = await monitor.loss(w, x, y, T, B)
        expect(relErr([got], [want]), `scale ${scale}`).toBeLessThan(1e-5)
        expect(got).not.toBe(want) // float32 on the engine, not the core
      }
    } finally {
      await monitor.release()
    }
  })
})
