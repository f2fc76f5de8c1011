// `engram run` on Hopfield layer specs (in process): the example trains the layer beside the linear baseline and writes
// a result whose exports (ONNX in a fresh onnxruntime session, safetensors) hold its weights; the same spec and seed give
// the same numbers; `engram export` takes the result file; a bad spec is refused naming the field before any training.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hopfieldLayerForward } from '../../src/core/hopfield-layer'
import { decodeSafetensors } from '../../src/core/safetensors'
import { hopfieldLayerParamsFromResult } from '../../src/main/services/hopfield-layer-run'
import { hopfieldLayerShape } from '../../src/main/services/hopfield-layer'
import { hopfieldPoolingForward } from '../../src/core/hopfield-pooling'
import { tensorFromJson } from '../../src/core/tensor-json'
import { hopfieldPoolingParams, hopfieldPoolingShape } from '../../src/main/services/hopfield-pooling'
import { hopfieldLayerRunResultSchema, type HopfieldLayerRunResult } from '../../src/shared/hopfield-layer-run'
import { tempDir } from '../helpers/backend'
import { inProcessCli } from '../helpers/cli'

const { run } = inProcessCli()
const example = join(import.meta.dirname, '..', '..', 'examples', 'hopfield-layer-prototypes.json')
const readResult = (path: string): HopfieldLayerRunResult => hopfieldLayerRunResultSchema.parse(JSON.parse(readFileSync(path, 'utf8')))

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir('engram-cli-hlayer-')
})
afterAll(() => tmp.cleanup())

describe('engram run: hopfield layer specs', () => {
  it('trains the example, beats the linear baseline, writes a reproducible result and its exports', async () => {
    const out = join(tmp.dir, 'a.result.json')
    const onnx = join(tmp.dir, 'a.onnx')
    const st = join(tmp.dir, 'a.safetensors')
    const r = await run(['run', example, '--out', out, '--export', onnx, '--export', st])
    expect(r.code, r.text).toBe(0)
    expect(r.text).toMatch(/held-out accuracy \d+\.\d% .* linear baseline \d+\.\d% · chance 33\.3%/)
    const result = readResult(out)
    expect(result.compute.path).toBe('engine')
    expect(result.metrics).toMatchObject({ epochs: 40 })
    expect(result.metrics.testAccuracy).toBeGreaterThan(0.9)
    expect(result.metrics.baselineTestAccuracy).toBeLessThan(0.5)
    expect(result.layer.history).toHaveLength(40)

    // safetensors holds the result's weights; ONNX gives the core's logits on them.
    const params = hopfieldLayerParamsFromResult(result)
    const dict = decodeSafetensors(readFileSync(st))
    expect(Array.from(dict.tensors['stored_patterns']!.data)).toEqual(Array.from(params.stored_patterns))
    const shape = hopfieldLayerShape(result.spec.model)
    const x = Float64Array.from({ length: 3 * 36 }, (_, i) => (i % 7 < 3 ? 1 : -1))
    const session = await ort.InferenceSession.create(readFileSync(onnx))
    const got = await session.run({ inputs: new ort.Tensor('float32', Float32Array.from(x), [3, 36]) })
    await session.release()
    const want = hopfieldLayerForward(shape, params, result.layer.beta, x, 3)
    ;(got.logits!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want.logits[i]!, 4))

    // The same spec and seed: the same curve and weights.
    const again = join(tmp.dir, 'b.result.json')
    expect((await run(['run', example, '--out', again, '--quiet'])).code).toBe(0)
    const b = readResult(again)
    expect(b.layer.history).toEqual(result.layer.history)
    expect(b.model.stateDict).toEqual(result.model.stateDict)

    // engram export on the result file.
    const exported = join(tmp.dir, 'c.onnx')
    const e = await run(['export', out, '--format', 'onnx', '--out', exported])
    expect(e.code, e.text).toBe(0)
    expect(readFileSync(exported)).toEqual(readFileSync(onnx))
  })

  it('trains the pooling example beside mean pooling; its ONNX takes bags of any size', async () => {
    const pooling = join(import.meta.dirname, '..', '..', 'examples', 'hopfield-layer-pooling.json')
    const out = join(tmp.dir, 'pool.result.json')
    const onnx = join(tmp.dir, 'pool.onnx')
    const r = await run(['run', pooling, '--out', out, '--export', onnx])
    expect(r.code, r.text).toBe(0)
    expect(r.text).toMatch(/held-out accuracy \d+\.\d% .* mean pooling \d+\.\d% · chance 50\.0% · key attention 0\.\d\d/)
    const result = readResult(out)
    expect(result.metrics.testAccuracy).toBeGreaterThan(0.85)
    expect(result.metrics.baselineTestAccuracy).toBeLessThan(0.6)
    expect(Object.keys(result.model.stateDict).sort()).toEqual(['bias', 'query', 'w_k', 'w_v'])
    const params = hopfieldPoolingParams((name) => tensorFromJson(result.model.stateDict[name]))
    const shape = hopfieldPoolingShape(result.spec.model)
    const session = await ort.InferenceSession.create(readFileSync(onnx))
    try {
      for (const length of [2, 17]) {
        const x = Float64Array.from({ length: 2 * length * 16 }, (_, i) => Math.fround(Math.sin(i)))
        const mask = Float64Array.from({ length: 2 * length }, (_, i) => (i % length < length - 1 || i < length ? 1 : 0))
        const got = await session.run({ bags: new ort.Tensor('float32', Float32Array.from(x), [2, length, 16]), mask: new ort.Tensor('float32', Float32Array.from(mask), [2, length]) })
        const want = hopfieldPoolingForward(shape, params, result.layer.beta, { x, mask: Uint8Array.from(mask), bags: 2, length })
        ;(got.logits!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want.logits[i]!, 4))
      }
    } finally {
      await session.release()
    }
    const exported = join(tmp.dir, 'pool-again.onnx')
    expect((await run(['export', out, '--format', 'onnx', '--out', exported])).code).toBe(0)
    expect(readFileSync(exported)).toEqual(readFileSync(onnx))
  })

  it('refuses a bad spec naming the field, before any training', async () => {
    const spec = JSON.parse(readFileSync(example, 'utf8')) as { model: Record<string, unknown> }
    const write = (name: string, model: Record<string, unknown>): string => {
      const p = join(tmp.dir, `${name}.json`)
      writeFileSync(p, JSON.stringify({ ...spec, model: { ...spec.model, ...model } }))
      return p
    }
    const out = join(tmp.dir, 'bad.result.json')
    const big = await run(['run', write('big', { batch: 101, task: { train: 100 } }), '--out', out])
    expect(big.code).toBe(1)
    expect(big.text).toMatch(/spec\.model\.batch: 101 is more than the 100 training samples/)
    const wide = await run(['run', write('wide', { task: { width: 11 } }), '--out', out])
    expect(wide.code).toBe(1)
    expect(wide.text).toMatch(/spec\.model\.task\.width/)
    const many = await run(['run', write('many', { storedPatterns: 65 }), '--out', out])
    expect(many.text).toMatch(/spec\.model\.storedPatterns/)
    const bags = await run(['run', write('bags', { bags: { minBag: 9, maxBag: 5 } }), '--out', out])
    expect(bags.text).toMatch(/spec\.model\.bags: only the pooling mode reads bags/)
    const order = await run(['run', write('order', { mode: 'pooling', bags: { minBag: 9, maxBag: 5 } }), '--out', out])
    expect(order.text).toMatch(/spec\.model\.bags\.minBag: 9 is more than bags\.maxBag \(5\)/)
    expect(existsSync(out)).toBe(false)
  })
})
