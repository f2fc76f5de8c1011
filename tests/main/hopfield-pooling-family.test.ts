// The Hopfield layer's pooling mode through the API: trained on the engine on the key-instance bags, it beats mean
// pooling (which stays near chance) and puts its attention on the key; the bag view equals the core on the exported
// weights; the ONNX export runs in a fresh onnxruntime session at other bag sizes (padded or not); the same spec and
// seed give the same numbers; core and engine agree; views of the other mode and bad specs refused naming the field.
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { hopfieldPoolingForward } from '../../src/core/hopfield-pooling'
import { decodeSafetensors } from '../../src/core/safetensors'
import { hopfieldPoolingParams, hopfieldPoolingShape, trainHopfieldPoolingJob } from '../../src/main/services/hopfield-pooling'
import type { HopfieldLayerTrainInput } from '../../src/main/services/hopfield-layer'
import { CancelledError } from '../../src/shared/errors'
import { asView } from '../../src/shared/families'
import { hopfieldLayerModelSpecSchema } from '../../src/shared/families/hopfield-layer'
import { trainKind, withBackend } from '../helpers/backend'

const backend = withBackend('engram-hpool-')
const pooling = { kind: 'hopfield-layer' as const, mode: 'pooling' as const, bags: { size: 16, minBag: 3, maxBag: 10, train: 300, test: 300 }, epochs: 20 }

describe('hopfield pooling through the API', () => {
  it('trains on the engine, beats mean pooling, attends to the key, shows a bag, exports', async () => {
    const s = await backend.call('sessions.create', { name: 'pooling' })
    const model = await trainKind(backend, { sessionId: s.id, model: pooling, seed: 3 })
    expect(model).toMatchObject({ kind: 'hopfield-layer', epochsDone: 20, partial: false, fallbackReason: null, inputSize: 16, keySize: 16, beta: 1 / 4, storedClasses: [] })
    expect(model.provider).toMatch(/^engine/)
    expect(model.testAccuracy).toBeGreaterThan(0.85)
    expect(model.baseline.testAccuracy).toBeLessThan(0.6)
    // The query starts near 0 (uniform attention: mean pooling) and learns to pick the key.
    expect(model.history[0]!.keyAttention!).toBeLessThan(model.history.at(-1)!.keyAttention!)
    expect(model.history.at(-1)!.keyAttention!).toBeGreaterThan(0.6)

    const st = await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'safetensors' })
    const dict = decodeSafetensors(new Uint8Array(Buffer.from(st.base64, 'base64')))
    expect(Object.keys(dict.tensors).sort()).toEqual(['bias', 'query', 'w_k', 'w_v'])
    const params = hopfieldPoolingParams((n) => dict.tensors[n]!)
    const shape = hopfieldPoolingShape(model.spec)

    // A positive bag: the key is there once, and gets the most attention.
    let view = asView(await backend.call('models.view', { sessionId: s.id, modelId: model.id, view: { kind: 'hopfield-layer.bag', index: 0 } }), 'hopfield-layer.bag').result
    for (let i = 1; view.label !== 1; i++) view = asView(await backend.call('models.view', { sessionId: s.id, modelId: model.id, view: { kind: 'hopfield-layer.bag', index: i } }), 'hopfield-layer.bag').result
    expect(view.roles.filter((r) => r === 'key')).toHaveLength(1)
    expect(view.instances).toHaveLength(view.size * 16)
    const keyAt = view.roles.indexOf('key')
    expect(view.attention.indexOf(Math.max(...view.attention))).toBe(keyAt)
    const f = hopfieldPoolingForward(shape, params, model.beta, { x: Float64Array.from(view.instances), mask: new Uint8Array(view.size).fill(1), bags: 1, length: view.size })
    expect(view.attention).toEqual(Array.from(f.attention))
    expect(view.logits).toEqual(Array.from(f.logits))
    expect(view.key).toHaveLength(16)
    await expect(backend.call('models.view', { sessionId: s.id, modelId: model.id, view: { kind: 'hopfield-layer.bag', index: 300 } })).rejects.toMatchObject({ field: 'params.view.index' })
    await expect(backend.call('models.view', { sessionId: s.id, modelId: model.id, view: { kind: 'hopfield-layer.attend', index: 0 } })).rejects.toMatchObject({ field: 'params.view.kind' })

    // ONNX with a dynamic bag size: the bag alone, and padded to 20 with junk rows masked out.
    const onnx = await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'onnx' })
    const session = await ort.InferenceSession.create(new Uint8Array(Buffer.from(onnx.base64, 'base64')))
    try {
      for (const length of [view.size, 20]) {
        const x = new Float32Array(length * 16).fill(5)
        x.set(view.instances)
        const mask = Float32Array.from({ length }, (_, i) => (i < view.size ? 1 : 0))
        const out = await session.run({ bags: new ort.Tensor('float32', x, [1, length, 16]), mask: new ort.Tensor('float32', mask, [1, length]) })
        ;(out.logits!.data as Float32Array).forEach((v, i) => expect(Math.abs(v - view.logits[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(view.logits[i]!))))
        ;(out.attention!.data as Float32Array).forEach((v, i) => expect(Math.abs(v - (view.attention[i] ?? 0))).toBeLessThan(1e-5))
      }
    } finally {
      await session.release()
    }
  })

  it('a lookup layer has no bag view', async () => {
    const s = await backend.call('sessions.create', { name: 'lookup' })
    const model = await trainKind(backend, { sessionId: s.id, model: { kind: 'hopfield-layer', task: { width: 3, height: 3, train: 40, test: 20 }, storedPatterns: 4, epochs: 1 }, seed: 1 })
    await expect(backend.call('models.view', { sessionId: s.id, modelId: model.id, view: { kind: 'hopfield-layer.bag', index: 0 } })).rejects.toMatchObject({ field: 'params.view.kind' })
  })

  it('refuses a bad pooling spec naming the field, before any work', async () => {
    const s = await backend.call('sessions.create', { name: 'bad' })
    const train = (model: unknown) => backend.call('models.train', { sessionId: s.id, model: model as never, seed: 1 })
    await expect(train({ ...pooling, bags: { ...pooling.bags, minBag: 11 } })).rejects.toMatchObject({ field: 'params.model.bags.minBag' })
    await expect(train({ ...pooling, batch: 301 })).rejects.toMatchObject({ field: 'params.model.batch' })
    await expect(train({ ...pooling, mode: 'lookup' })).rejects.toMatchObject({ field: 'params.model.bags' })
    await expect(train({ ...pooling, bags: { ...pooling.bags, maxBag: 65 } })).rejects.toMatchObject({ field: expect.stringMatching(/bags\.maxBag/) })
    await expect(train({ ...pooling, bags: { ...pooling.bags, minBag: 1 } })).rejects.toMatchObject({ field: expect.stringMatching(/bags\.minBag/) })
    await expect(train({ ...pooling, mode: 'max' })).rejects.toMatchObject({ field: expect.stringMatching(/mode/) })
  })
})

describe('hopfield pooling job', () => {
  const input = (over: Partial<HopfieldLayerTrainInput> = {}): HopfieldLayerTrainInput => ({
    modelId: 'm',
    name: 'm',
    spec: hopfieldLayerModelSpecSchema.parse({ ...pooling, epochs: 3 }),
    seed: 7,
    provider: 'cpu',
    ...over
  })

  it('is reproducible from spec and seed; another seed differs', async () => {
    const a = await trainHopfieldPoolingJob(input(), {})
    const b = await trainHopfieldPoolingJob(input(), {})
    const c = await trainHopfieldPoolingJob(input({ seed: 8 }), {})
    expect(b.info.history).toEqual(a.info.history)
    expect(b.tensors.query!.data).toEqual(a.tensors.query!.data)
    expect(c.info.history[0]!.loss).not.toBe(a.info.history[0]!.loss)
  })

  it('the core and the engine agree on the same weights and batches (float32 tolerance)', async () => {
    const engine = await trainHopfieldPoolingJob(input(), {})
    const core = await trainHopfieldPoolingJob(input({ coreOnly: true }), {})
    expect(engine.info.provider).toMatch(/^engine/)
    expect(core.info).toMatchObject({ provider: 'core', fallbackReason: 'core requested' })
    engine.info.history.forEach((h, i) => expect(Math.abs(h.loss - core.info.history[i]!.loss), `epoch ${i + 1}`).toBeLessThan(1e-4))
    for (const k of ['query', 'w_k', 'w_v', 'bias'] as const) {
      const want = core.tensors[k]!.data as Float32Array
      const scale = Math.max(...Array.from(want, Math.abs))
      ;(engine.tensors[k]!.data as Float32Array).forEach((v, i) => expect(Math.abs(v - want[i]!), `${k}[${i}]`).toBeLessThan(2e-3 * scale))
    }
    expect(engine.info.history.map((h) => h.baselineTestAccuracy)).toEqual(core.info.history.map((h) => h.baselineTestAccuracy))
  })

  it('a cancel before the first epoch is a CancelledError', async () => {
    await expect(trainHopfieldPoolingJob(input(), { shouldCancel: () => true })).rejects.toBeInstanceOf(CancelledError)
  })
})
