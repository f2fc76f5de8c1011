// The trainable Hopfield layer on the engine: its train-step program (autodiff + in-graph Adam, K steps in a Loop)
// against the float64 core's analytic gradients and Adam, in float64 (to rounding) and float32 (to float32 tolerance);
// the ONNX export (MatMul–Softmax–MatMul, weights embedded, dynamic batch) in a fresh onnxruntime session against the
// core's forward at several batch sizes, and the onnx 1.12 checker.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { adamInit, adamStep, HOPFIELD_LAYER_PARAMS, hopfieldLayerForward, hopfieldLayerGradients, type HopfieldLayerParams, type HopfieldLayerShape } from '../../src/core/hopfield-layer'
import { Rng } from '../../src/core/rng'
import { decodeModel } from '../../src/engine/onnx/builder'
import { buildHopfieldLayerTrainStep, exportHopfieldLayerOnnx } from '../../src/engine/programs/hopfield-layer'
import { TrainStepRunner } from '../../src/engine/programs/train-step'
import { HAS_ONNX, onnxCheck } from './helpers'

const shape: HopfieldLayerShape = { inputSize: 6, storedPatterns: 5, keySize: 4, classes: 3 }
const beta = 0.8
const B = 4
const K = 3

function setup(seed: number) {
  const rng = new Rng(seed)
  const r = (n: number) => Float64Array.from({ length: n }, () => Math.fround(rng.normal()))
  const params: HopfieldLayerParams = { stored_patterns: r(5 * 6), w_q: r(6 * 4), w_k: r(6 * 4), w_v: r(4 * 3) }
  const x = r(K * B * 6)
  const y = Int32Array.from({ length: K * B }, () => rng.int(3))
  return { params, x, y }
}

/** K Adam steps of the core on the same batches. */
function coreSteps(params: HopfieldLayerParams, x: Float64Array, y: Int32Array, lr: number): { params: HopfieldLayerParams; losses: number[] } {
  const p = Object.fromEntries(HOPFIELD_LAYER_PARAMS.map((k) => [k, Float64Array.from(params[k])])) as HopfieldLayerParams
  const state = adamInit(p)
  const losses: number[] = []
  for (let s = 0; s < K; s++) {
    const g = hopfieldLayerGradients(shape, p, beta, x.subarray(s * B * 6, (s + 1) * B * 6), y.subarray(s * B, (s + 1) * B), B)
    losses.push(g.loss)
    adamStep(p, g.grads, state, lr)
  }
  return { params: p, losses }
}

describe('hopfield layer train-step program', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`${dtype}: K in-graph Adam steps equal the core's analytic gradients + Adam`, async () => {
      const { params, x, y } = setup(dtype === 'float64' ? 1 : 2)
      const lr = 0.05
      const program = buildHopfieldLayerTrainStep({ shape, beta, batch: B, steps: K, dtype })
      const runner = await TrainStepRunner.create(program, { params }, { provider: 'cpu' })
      try {
        const feedX = dtype === 'float64' ? Float64Array.from(x) : Float32Array.from(x)
        const r = await runner.run({ inputs: feedX, labels: BigInt64Array.from(y, (v) => BigInt(v)) }, lr)
        const ref = coreSteps(params, x, y, lr)
        // float64: rounding only (Adam's division amplifies it a little); float32: the engine's precision.
        const tol = dtype === 'float64' ? 1e-8 : 2e-4
        r.loss.forEach((l, i) => expect(Math.abs(l - ref.losses[i]!)).toBeLessThan(tol))
        const got = runner.getParams()
        for (const k of HOPFIELD_LAYER_PARAMS) {
          const moved = ref.params[k].reduce((m, v, i) => Math.max(m, Math.abs(v - params[k][i]!)), 0)
          expect(moved, `${k} moved`).toBeGreaterThan(1e-3)
          got[k]!.forEach((v, i) => expect(Math.abs(v - ref.params[k][i]!), `${k}[${i}]`).toBeLessThan(tol))
        }
      } finally {
        await runner.release()
      }
    })
  }
})

describe('hopfield layer ONNX export', () => {
  const { params } = setup(5)
  const bytes = exportHopfieldLayerOnnx(shape, beta, params, { kind: 'hopfield-layer' })

  it('is MatMul–Softmax–MatMul with the weights embedded and no label input', () => {
    const graph = decodeModel(bytes).graph!
    const ops = graph.node!.map((n) => n.opType)
    expect(ops).toContain('Softmax')
    expect(ops.filter((o) => o === 'MatMul').length).toBeGreaterThanOrEqual(4)
    expect(graph.input!.map((i) => i.name)).toEqual(['inputs'])
    expect(graph.output!.map((o) => o.name)).toEqual(['logits', 'attention'])
    expect(graph.initializer!.map((t) => t.name).sort()).toEqual([...HOPFIELD_LAYER_PARAMS].sort())
  })

  it('a fresh onnxruntime session gives the core forward at batch 1, 7 and 32', async () => {
    const session = await ort.InferenceSession.create(bytes)
    try {
      const rng = new Rng(9)
      for (const n of [1, 7, 32]) {
        const x = Float64Array.from({ length: n * 6 }, () => rng.normal())
        const out = await session.run({ inputs: new ort.Tensor('float32', Float32Array.from(x), [n, 6]) })
        // The core on the float32 weights and inputs the model holds.
        const ref = hopfieldLayerForward(shape, params, beta, Float64Array.from(x, Math.fround), n)
        expect(out.logits!.dims).toEqual([n, 3])
        expect(out.attention!.dims).toEqual([n, 5])
        ;(out.logits!.data as Float32Array).forEach((v, i) => expect(Math.abs(v - ref.logits[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(ref.logits[i]!))))
        ;(out.attention!.data as Float32Array).forEach((v, i) => expect(Math.abs(v - ref.attention[i]!)).toBeLessThan(1e-6))
      }
    } finally {
      await session.release()
    }
  })

  it.skipIf(!HAS_ONNX)('passes the onnx 1.12 checker (full_check)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'engram-hlayer-')), 'layer.onnx')
    writeFileSync(file, bytes)
    const r = onnxCheck(file)!
    expect(r.ok, r.output).toBe(true)
  })
})
