// What the recurrent benches share (bench/recurrent.ts, bench/recurrent-bound.ts): the sizes of issue 9, the app's spec,
// program, initial weights and batches for a size, a runner of the app's program, a 1024³ MatMul model and the FLOP
// count of a training step.
import { initRecurrentNet, type RecurrentNet } from '../src/core/recurrent'
import { Rng } from '../src/core/rng'
import { buildModel, GraphBuilder } from '../src/engine/onnx/builder'
import { adam } from '../src/engine/optim/optimiser'
import { buildRecurrentTrainStep, programParamName } from '../src/engine/programs/recurrent'
import { TrainStepRunner } from '../src/engine/programs/train-step'
import { recurrentCoreSpec, stepsPerRun } from '../src/main/services/recurrent'
import { recurrentModelSpecSchema, type RecurrentModelSpec } from '../src/shared/families/recurrent'

/** The app's default number of steps: K below is what trainRecurrentJob uses for it. */
export const APP_STEPS = 300
export const K = stepsPerRun(APP_STEPS)

export interface Size {
  id: string
  cell: 'lstm' | 'gru'
  H: number
  T: number
  B: number
  /** Timed steps per configuration and round (a multiple of K). */
  steps: number
}

/** The sizes; `quick` drops H 512 and times K steps only. */
export function benchSizes(quick: boolean): Size[] {
  return [
    { id: 'lstm-h128', cell: 'lstm', H: 128, T: 32, B: 32, steps: 48 },
    { id: 'lstm-h256', cell: 'lstm', H: 256, T: 64, B: 32, steps: 24 },
    { id: 'lstm-h512', cell: 'lstm', H: 512, T: 128, B: 32, steps: 12 },
    { id: 'gru-h256', cell: 'gru', H: 256, T: 64, B: 32, steps: 24 }
  ]
    .filter((s) => !quick || s.H < 512)
    .map((s) => ({ ...s, cell: s.cell as Size['cell'], steps: quick ? K : s.steps }))
}

/** The app's spec for a size (defaults for the rest: embedding 16, lr 0.005, clipping at 5, 1 layer). */
export const appSpec = (s: Size, steps = APP_STEPS): RecurrentModelSpec =>
  recurrentModelSpecSchema.parse({ kind: 'recurrent', cell: s.cell, hiddenSize: s.H, sequenceLength: s.T, batch: s.B, steps })

/** The app's training program (the options trainRecurrentJob passes for a 1-layer net without dropout). */
export function appProgram(spec: RecurrentModelSpec, V: number, k: number) {
  return buildRecurrentTrainStep({
    cell: spec.cell === 'gru' ? 'gru' : 'lstm',
    steps: spec.sequenceLength,
    batch: spec.batch,
    inputSize: spec.embeddingSize,
    hiddenSize: spec.hiddenSize,
    numLayers: spec.layers,
    bidirectional: false,
    outputSize: V,
    vocabSize: V,
    optimiser: adam({ maxGradNorm: spec.clipNorm }),
    ...(k > 1 ? { stepsPerRun: k } : {}),
    dtype: 'float32'
  })
}

/** The app's initial weights for a spec and seed (float32-rounded, as trainRecurrentJob holds them). */
export function appInit(spec: RecurrentModelSpec, V: number, seed: number): RecurrentNet {
  const net = initRecurrentNet(recurrentCoreSpec(spec, V), new Rng(seed))
  net.params = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, Float64Array.from(v, Math.fround)]))
  return net
}

/** `count` batches of windows drawn as trainRecurrentJob draws them: x, y int32 [count, T, B] (time-major). */
export function drawBatches(tokens: Int32Array, T: number, B: number, count: number, rng: Rng): { x: Int32Array; y: Int32Array } {
  const x = new Int32Array(count * T * B)
  const y = new Int32Array(count * T * B)
  for (let n = 0; n < count; n++) {
    const starts = Array.from({ length: B }, () => rng.int(tokens.length - T))
    starts.forEach((s, b) => {
      for (let t = 0; t < T; t++) {
        x[(n * T + t) * B + b] = tokens[s + t]!
        y[(n * T + t) * B + b] = tokens[s + t + 1]!
      }
    })
  }
  return { x, y }
}

/** A runner for the app's program with the given init; `feed(n)` runs batches n·K … n·K + K − 1 (cycling). */
export async function appRunner(spec: RecurrentModelSpec, V: number, net: RecurrentNet, k: number, threads: number, batches: { x: Int32Array; y: Int32Array }) {
  const init = Object.fromEntries(Object.entries(net.params).map(([name, v]) => [programParamName(name), v]))
  const runner = await TrainStepRunner.create(appProgram(spec, V, k), { params: init }, { provider: 'cpu', threads })
  const rows = spec.sequenceLength * spec.batch
  const count = batches.x.length / rows
  const zeros = new Float32Array(k * spec.layers * spec.batch * spec.hiddenSize)
  const feed = (n: number) => {
    // As the app does: BigInt copies of this run's K batches, zero initial states.
    const pick = (a: Int32Array) => BigInt64Array.from({ length: k * rows }, (_, i) => BigInt(a[(((n * k + Math.floor(i / rows)) % count) * rows) + (i % rows)]!))
    return runner.run({ tokens: pick(batches.x), h0: zeros, ...(spec.cell === 'lstm' ? { c0: zeros } : {}), targets: pick(batches.y) }, spec.learningRate)
  }
  return { runner, feed }
}

export function matmulModel(n: number): Uint8Array {
  const g = new GraphBuilder('matmul')
  const a = g.input('a', 'float32', [n, n])
  const b = g.input('b', 'float32', [n, n])
  g.output('y', 'float32', [n, n], { from: g.node('MatMul', [a, b]) })
  return buildModel({ graph: g })
}

export const flopPerStep = (s: Size, E: number, V: number): number => 3 * 2 * s.T * s.B * ((s.cell === 'lstm' ? 4 : 3) * s.H * (E + s.H) + s.H * V)
