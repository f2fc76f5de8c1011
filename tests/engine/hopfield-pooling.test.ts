// Hopfield pooling on the engine: the train-step program (masked softmax over padded bags, autodiff + in-graph Adam, K
// steps in a Loop) against the float64 core in float64 (to rounding) and float32; padding on the engine changes neither
// the output nor the gradient; the ONNX export (dynamic batch and bag size, weights embedded) in a fresh onnxruntime
// session against the core at several bag sizes, and the onnx 1.12 checker.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { adamInit, adamStep } from '../../src/core/hopfield-layer'
import { HOPFIELD_POOLING_PARAMS, hopfieldPoolingForward, hopfieldPoolingGradients, type BagBatch, type HopfieldPoolingParams, type HopfieldPoolingShape } from '../../src/core/hopfield-pooling'
import { Rng } from '../../src/core/rng'
import { decodeModel } from '../../src/engine/onnx/builder'
import { buildHopfieldPoolingTrainStep, exportHopfieldPoolingOnnx } from '../../src/engine/programs/hopfield-pooling'
import { TrainStepRunner } from '../../src/engine/programs/train-step'
import { randomBags } from '../helpers/fixtures'
import { HAS_ONNX, onnxCheck } from './helpers'

const shape: HopfieldPoolingShape = { inputSize: 5, keySize: 3, classes: 2 }
const beta = 0.9
const B = 4
const N = 6
const K = 3

function randomParams(rng: Rng): HopfieldPoolingParams {
  const r = (n: number) => Float64Array.from({ length: n }, () => Math.fround(rng.normal()))
  return { query: r(3), w_k: r(5 * 3), w_v: r(3 * 2), bias: r(2) }
}

const slice = (all: BagBatch, s: number): BagBatch => ({ x: all.x.subarray(s * B * N * 5, (s + 1) * B * N * 5), mask: all.mask.subarray(s * B * N, (s + 1) * B * N), bags: B, length: N })

describe('hopfield pooling train-step program', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`${dtype}: K in-graph Adam steps on padded bags equal the core's gradients + Adam`, async () => {
      const rng = new Rng(dtype === 'float64' ? 1 : 2)
      const params = randomParams(rng)
      const all = randomBags(rng, K * B, N, 5, 9, Math.fround)
      const y = Int32Array.from({ length: K * B }, () => rng.int(2))
      const lr = 0.05
      const runner = await TrainStepRunner.create(buildHopfieldPoolingTrainStep({ shape, beta, batch: B, bagLength: N, steps: K, dtype }), { params }, { provider: 'cpu' })
      try {
        const F = dtype === 'float64' ? Float64Array : Float32Array
        const r = await runner.run({ bags: F.from(all.x), mask: F.from(all.mask), labels: BigInt64Array.from(y, (v) => BigInt(v)) }, lr)
        const p = Object.fromEntries(HOPFIELD_POOLING_PARAMS.map((k) => [k, Float64Array.from(params[k])])) as HopfieldPoolingParams
        const state = adamInit(p)
        const losses: number[] = []
        for (let s = 0; s < K; s++) {
          const g = hopfieldPoolingGradients(shape, p, beta, slice(all, s), y.subarray(s * B, (s + 1) * B))
          losses.push(g.loss)
          adamStep(p, g.grads, state, lr)
        }
        const tol = dtype === 'float64' ? 1e-8 : 2e-4
        r.loss.forEach((l, i) => expect(Math.abs(l - losses[i]!), `loss ${i}`).toBeLessThan(tol))
        const got = runner.getParams()
        for (const k of HOPFIELD_POOLING_PARAMS) {
          const moved = p[k].reduce((m, v, i) => Math.max(m, Math.abs(v - params[k][i]!)), 0)
          expect(moved, `${k} moved`).toBeGreaterThan(1e-3)
          got[k]!.forEach((v, i) => expect(Math.abs(v - p[k][i]!), `${k}[${i}]`).toBeLessThan(tol))
        }
      } finally {
        await runner.release()
      }
    })
  }

  it('float64: one step on a bag padded to N gives the unpadded bag’s loss and weights (to rounding)', async () => {
    const rng = new Rng(3)
    const params = randomParams(rng)
    const n = 3
    const bag = Float64Array.from({ length: n * 5 }, () => rng.normal())
    const run = async (length: number) => {
      const x = new Float64Array(length * 5).fill(-7)
      x.set(bag)
      const mask = Float64Array.from({ length }, (_, i) => (i < n ? 1 : 0))
      const runner = await TrainStepRunner.create(buildHopfieldPoolingTrainStep({ shape, beta, batch: 1, bagLength: length, steps: 1, dtype: 'float64' }), { params }, { provider: 'cpu' })
      try {
        const r = await runner.run({ bags: x, mask, labels: BigInt64Array.from([1n]) }, 0.05)
        return { loss: r.loss[0]!, params: runner.getParams() }
      } finally {
        await runner.release()
      }
    }
    const plain = await run(n)
    const padded = await run(8)
    expect(Math.abs(padded.loss - plain.loss)).toBeLessThan(1e-14)
    for (const k of HOPFIELD_POOLING_PARAMS) padded.params[k]!.forEach((v, i) => expect(Math.abs(v - plain.params[k]![i]!), `${k}[${i}]`).toBeLessThan(1e-13))
  })
})

describe('hopfield pooling ONNX export', () => {
  const params = randomParams(new Rng(5))
  const bytes = exportHopfieldPoolingOnnx(shape, beta, params, { kind: 'hopfield-layer' })

  it('has the bags and mask inputs (no labels), logits and attention outputs, the weights embedded', () => {
    const graph = decodeModel(bytes).graph!
    expect(graph.node!.map((n) => n.opType)).toContain('Softmax')
    expect(graph.input!.map((i) => i.name)).toEqual(['bags', 'mask'])
    expect(graph.output!.map((o) => o.name)).toEqual(['logits', 'attention'])
    expect(graph.initializer!.map((t) => t.name).filter((n) => (HOPFIELD_POOLING_PARAMS as readonly (string | null | undefined)[]).includes(n)).sort()).toEqual([...HOPFIELD_POOLING_PARAMS].sort())
  })

  it('a fresh onnxruntime session gives the core forward at several batch and bag sizes, padded or not', async () => {
    const session = await ort.InferenceSession.create(bytes)
    try {
      const rng = new Rng(9)
      for (const [bags, length] of [[1, 1], [3, 4], [7, 11], [2, 40]] as const) {
        const batch = randomBags(rng, bags, length, 5, 9, Math.fround)
        const x = Float64Array.from(batch.x, Math.fround)
        const out = await session.run({ bags: new ort.Tensor('float32', Float32Array.from(x), [bags, length, 5]), mask: new ort.Tensor('float32', Float32Array.from(batch.mask), [bags, length]) })
        const ref = hopfieldPoolingForward(shape, params, beta, { ...batch, x })
        expect(out.logits!.dims).toEqual([bags, 2])
        expect(out.attention!.dims).toEqual([bags, length])
        ;(out.logits!.data as Float32Array).forEach((v, i) => expect(Math.abs(v - ref.logits[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(ref.logits[i]!))))
        ;(out.attention!.data as Float32Array).forEach((v, i) => {
          expect(Math.abs(v - ref.attention[i]!)).toBeLessThan(1e-6)
          if (!batch.mask[i]) expect(v).toBe(0)
        })
      }
    } finally {
      await session.release()
    }
  })

  it.skipIf(!HAS_ONNX)('passes the onnx 1.12 checker (full_check)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'engram-hpool-')), 'pooling.onnx')
    writeFileSync(file, bytes)
    const r = onnxCheck(file)!
    expect(r.ok, r.output).toBe(true)
  })
})
