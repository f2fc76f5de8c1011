// Recurrent training on the engine without unrolling (forward Loop + reverse Loop, big MatMuls outside, in-graph
// optimiser) against the core reference (src/core/recurrent): LSTM (peepholes, coupled gates), GRU (PyTorch and original
// form), RNN tanh/relu; stacked,
// bidirectional, token embedding, dropout masks between layers, softmax and MSE heads on every step or the last. Float64 gradients to 1e-12; float32 Adam with global-norm clipping over K steps in one
// run to 5e-6; graph size independent of T.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Rng } from '../../src/core/rng'
import {
  initRecurrentNet,
  lossAndGradients,
  RecurrentTrainer,
  type ForwardOptions,
  type RecurrentNet,
  type RecurrentSpec,
  type SequenceBatch,
  type Targets
} from '../../src/core/recurrent'
import { decodeModel } from '../../src/engine/onnx/builder'
import type { OnnxProto } from '../../src/engine/onnx/proto'
import { adam, sgd } from '../../src/engine/optim/optimiser'
import { buildRecurrentTrainStep, programParamName, type EngineCell, type RecurrentTrainSpec } from '../../src/engine/programs/recurrent'
import { TrainStepRunner } from '../../src/engine/programs/train-step'
import { relErr } from '../core/recurrent-helpers'
import { HAS_ONNX, onnxCheck } from './helpers'

const T = 7
const B = 3
const I = 5
const H = 6
const O = 5

interface Case {
  label: string
  cell: EngineCell
  layers: number
  bidirectional: boolean
  vocab?: number
  head?: { loss: 'softmax-ce' | 'mse'; on: 'all' | 'last' }
  dropout?: number
  peephole?: boolean
  coupled?: boolean
}

const CASES: Case[] = [
  { label: 'LSTM, 2 layers', cell: 'lstm', layers: 2, bidirectional: false },
  { label: 'GRU, 2 layers, bidirectional', cell: 'gru', layers: 2, bidirectional: true },
  { label: 'RNN tanh, bidirectional', cell: 'rnn-tanh', layers: 1, bidirectional: true },
  { label: 'RNN relu, 2 layers', cell: 'rnn-relu', layers: 2, bidirectional: false },
  { label: 'LSTM, bidirectional, token embedding', cell: 'lstm', layers: 1, bidirectional: true, vocab: 7 },
  { label: 'GRU, token embedding', cell: 'gru', layers: 1, bidirectional: false, vocab: 7 },
  { label: 'LSTM, 2 layers, bidirectional, dropout mask, many-to-one MSE head', cell: 'lstm', layers: 2, bidirectional: true, head: { loss: 'mse', on: 'last' }, dropout: 0.3 },
  { label: 'GRU, 3 layers, dropout mask, MSE head on every step', cell: 'gru', layers: 3, bidirectional: false, head: { loss: 'mse', on: 'all' }, dropout: 0.4 },
  { label: 'RNN tanh, many-to-one softmax head', cell: 'rnn-tanh', layers: 1, bidirectional: false, head: { loss: 'softmax-ce', on: 'last' } },
  { label: 'LSTM peephole, 2 layers, bidirectional', cell: 'lstm', layers: 2, bidirectional: true, peephole: true },
  { label: 'LSTM coupled', cell: 'lstm', layers: 1, bidirectional: false, coupled: true },
  { label: 'LSTM peephole + coupled, 2 layers, bidirectional', cell: 'lstm', layers: 2, bidirectional: true, peephole: true, coupled: true },
  { label: 'GRU original form, 2 layers, bidirectional', cell: 'gru-original', layers: 2, bidirectional: true }
]

function coreSpec(c: Case): RecurrentSpec {
  const cell = c.cell.startsWith('rnn') ? 'rnn' : c.cell.startsWith('gru') ? 'gru' : 'lstm'
  return {
    cell,
    ...(cell === 'rnn' ? { nonlinearity: c.cell === 'rnn-relu' ? ('relu' as const) : ('tanh' as const) } : {}),
    ...(cell === 'gru' ? { gruForm: c.cell === 'gru-original' ? ('original' as const) : ('pytorch' as const) } : {}),
    ...(c.peephole ? { peephole: true } : {}),
    ...(c.coupled ? { coupled: true } : {}),
    inputSize: I,
    hiddenSize: H,
    numLayers: c.layers,
    bidirectional: c.bidirectional,
    dropout: c.dropout ?? 0,
    ...(c.vocab ? { vocabSize: c.vocab } : {}),
    head: { outputSize: O, loss: c.head?.loss ?? 'softmax-ce', on: c.head?.on ?? 'all' }
  }
}

function programSpec(c: Case, extra: Partial<RecurrentTrainSpec> & Pick<RecurrentTrainSpec, 'optimiser'>): RecurrentTrainSpec {
  return {
    cell: c.cell, steps: T, batch: B, inputSize: I, hiddenSize: H, numLayers: c.layers, bidirectional: c.bidirectional, outputSize: O,
    ...(c.vocab ? { vocabSize: c.vocab } : {}),
    ...(c.head ? { headLoss: c.head.loss, headOn: c.head.on } : {}),
    ...(c.dropout ? { dropoutMask: true } : {}),
    ...(c.peephole ? { peephole: true } : {}),
    ...(c.coupled ? { coupled: true } : {}),
    ...extra
  }
}

interface Data {
  batch: SequenceBatch
  targets: Targets
  masks: Float64Array[] | null
}

function data(c: Case, rng: Rng): Data {
  const f = (n: number, s: number) => Float64Array.from({ length: n }, () => Math.fround(s * rng.normal()))
  const S = c.layers * (c.bidirectional ? 2 : 1) * B * H
  const batch: SequenceBatch = { steps: T, batch: B, h0: f(S, 0.5) }
  if (c.vocab) batch.tokens = Int32Array.from({ length: T * B }, () => rng.int(c.vocab!))
  else batch.input = f(T * B * I, 1)
  if (c.cell === 'lstm') batch.c0 = f(S, 0.5)
  const rows = c.head?.on === 'last' ? B : T * B
  const targets: Targets = c.head?.loss === 'mse' ? { values: f(rows * O, 1) } : { classes: Int32Array.from({ length: rows }, () => rng.int(O)) }
  const D = c.bidirectional ? 2 : 1
  const masks = c.dropout && c.layers > 1 ? Array.from({ length: c.layers - 1 }, () => Float64Array.from({ length: T * B * D * H }, () => (rng.next() < c.dropout! ? 0 : Math.fround(1 / (1 - c.dropout!))))) : null
  return { batch, targets, masks }
}

function netF32(c: Case, seed: number): RecurrentNet {
  const net = initRecurrentNet(coreSpec(c), new Rng(seed))
  for (const a of Object.values(net.params)) for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]! * 1.5)
  return net
}

function programParams(net: RecurrentNet): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(net.params).map(([k, v]) => [programParamName(k), v]))
}

function feeds(ds: Data[], dtype: 'float32' | 'float64') {
  const cat = (xs: Float64Array[]) => (dtype === 'float64' ? Float64Array.from(xs.flatMap((x) => Array.from(x))) : Float32Array.from(xs.flatMap((x) => Array.from(x))))
  const b0 = ds[0]!.batch
  return {
    ...(b0.tokens ? { tokens: BigInt64Array.from(ds.flatMap((e) => Array.from(e.batch.tokens!, (v) => BigInt(v)))) } : { x: cat(ds.map((e) => e.batch.input!)) }),
    h0: cat(ds.map((e) => e.batch.h0!)),
    ...(b0.c0 ? { c0: cat(ds.map((e) => e.batch.c0!)) } : {}),
    ...(ds[0]!.masks ? { dropout_mask: cat(ds.flatMap((e) => e.masks!)) } : {}),
    targets: ds[0]!.targets.values ? cat(ds.map((e) => e.targets.values!)) : BigInt64Array.from(ds.flatMap((e) => Array.from(e.targets.classes!, (v) => BigInt(v))))
  }
}

function opts(d: Data): ForwardOptions {
  return d.masks ? { train: true, dropoutMasks: d.masks } : {}
}

function nodeCount(graph: OnnxProto.IGraphProto): number {
  let n = 0
  for (const node of graph.node ?? []) {
    n++
    for (const a of node.attribute ?? []) if (a.g) n += nodeCount(a.g)
  }
  return n
}

describe('recurrent BPTT on the engine (forward Loop + reverse Loop) against the core', () => {
  CASES.forEach((c, n) => {
    it(`${c.label}: float64 loss and every weight gradient to 1e-12 (SGD lr 1 exposes the gradient)`, async () => {
      const net = netF32(c, 40 + n)
      const d = data(c, new Rng(60 + n))
      const runner = await TrainStepRunner.create(buildRecurrentTrainStep(programSpec(c, { optimiser: sgd(), dtype: 'float64' })), { params: programParams(net) })
      try {
        const r = await runner.run(feeds([d], 'float64'), 1)
        const core = lossAndGradients(net, d.batch, d.targets, opts(d))
        expect(relErr(r.loss, [core.loss])).toBeLessThan(1e-13)
        const after = runner.getParams()
        for (const [k, g] of Object.entries(core.grads.params)) {
          const engineGrad = net.params[k]!.map((v, i) => v - after[programParamName(k)]![i]!)
          expect(relErr(engineGrad, g), k).toBeLessThan(1e-12)
        }
      } finally {
        await runner.release()
      }
    })
  })

  for (const c of [CASES[0]!, CASES[1]!, CASES[4]!, CASES[6]!, CASES[11]!, CASES[12]!]) {
    it(`${c.label}: float32, 4 Adam steps with global-norm clipping in one run follow the core trainer to 5e-6`, async () => {
      const net = netF32(c, 51)
      const rng = new Rng(52)
      const K = 4
      const ds = Array.from({ length: K }, () => data(c, rng))
      // Clip below the first steps' norms so clipping takes part.
      const probe = lossAndGradients(net, ds[0]!.batch, ds[0]!.targets, opts(ds[0]!))
      const clip = 0.8 * Math.sqrt(Object.values(probe.grads.params).reduce((s, g) => s + g.reduce((a, v) => a + v * v, 0), 0))
      const runner = await TrainStepRunner.create(buildRecurrentTrainStep(programSpec(c, { optimiser: adam({ maxGradNorm: clip }), stepsPerRun: K })), { params: programParams(net) })
      try {
        const r = await runner.run(feeds(ds, 'float32'), 0.01)
        const tr = new RecurrentTrainer(net, { kind: 'adam', learningRate: 0.01, clipNorm: clip })
        const reports = ds.map((e) => tr.step(e.batch, e.targets, opts(e)))
        expect(reports[0]!.clipped).toBe(true)
        expect(relErr(r.loss, reports.map((x) => x.loss))).toBeLessThan(5e-6)
        expect(relErr(r.gradNorm!, reports.map((x) => x.gradNorm))).toBeLessThan(5e-6)
        const after = runner.getParams()
        for (const [k, w] of Object.entries(net.params)) expect(relErr(after[programParamName(k)]!, w), k).toBeLessThan(5e-6)
      } finally {
        await runner.release()
      }
    })
  }

  // T = 7 is a multiple of none of these: the T mod U last steps run outside the loops (all 7 when U = 8).
  for (const n of [0, 1, 3, 9, 12]) {
    const c = CASES[n]!
    it(`${c.label}: U steps per Loop iteration (U = 2, 3, 4, 8 at T = 7) give the U = 1 program's float64 loss and gradients, and the core's to 1e-12`, async () => {
      const net = netF32(c, 80 + n)
      const d = data(c, new Rng(90 + n))
      const core = lossAndGradients(net, d.batch, d.targets, opts(d))
      const gradsAt = async (unroll: number) => {
        const runner = await TrainStepRunner.create(buildRecurrentTrainStep(programSpec(c, { optimiser: sgd(), dtype: 'float64', unroll })), { params: programParams(net) })
        try {
          const r = await runner.run(feeds([d], 'float64'), 1)
          return { loss: r.loss[0]!, after: runner.getParams() }
        } finally {
          await runner.release()
        }
      }
      const one = await gradsAt(1)
      expect(relErr([one.loss], [core.loss])).toBeLessThan(1e-13)
      for (const [k, g] of Object.entries(core.grads.params)) expect(relErr(net.params[k]!.map((v, i) => v - one.after[programParamName(k)]![i]!), g), k).toBeLessThan(1e-12)
      for (const unroll of [2, 3, 4, 8]) {
        const u = await gradsAt(unroll)
        expect(u.loss, `unroll ${unroll}`).toBe(one.loss)
        for (const k of Object.keys(core.grads.params)) expect(u.after[programParamName(k)], `unroll ${unroll}: ${k}`).toEqual(one.after[programParamName(k)])
      }
    })
  }

  it('the graph does not grow with T (no unrolling), and bad sizes name the field', () => {
    const count = (steps: number) => nodeCount(decodeModel(buildRecurrentTrainStep({ ...programSpec(CASES[1]!, { optimiser: adam() }), steps }).model).graph as OnnxProto.IGraphProto)
    expect(count(8)).toBe(count(200))
    expect(() => buildRecurrentTrainStep({ ...programSpec(CASES[0]!, { optimiser: adam() }), hiddenSize: 0 })).toThrow(/hiddenSize/)
    expect(() => buildRecurrentTrainStep({ ...programSpec(CASES[0]!, { optimiser: adam() }), unroll: 0 })).toThrow(/unroll/)
  })

  it.skipIf(!HAS_ONNX)('the training programs (single step and K-step Loop) pass the onnx 1.12 checker (full_check)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-rnn-train-'))
    // One of each cell, variant, head, input and dropout (each check starts a python process).
    ;[0, 1, 3, 4, 5, 6, 7, 10, 11, 12].forEach((n) => {
      const c = CASES[n]!
      const file = join(dir, `train${n}.onnx`)
      writeFileSync(file, buildRecurrentTrainStep(programSpec(c, { optimiser: adam({ maxGradNorm: 5 }), ...(n % 2 ? { stepsPerRun: 3 } : {}) })).model)
      const r = onnxCheck(file)!
      expect(r.ok, `${c.label}: ${r.output}`).toBe(true)
    })
  })
})
