// The trainable Hopfield layer through the API: trained on the engine (live loss, held-out accuracy and the stored
// patterns per epoch), it beats the linear baseline on held-out data; the attention view equals the core on the
// exported weights; ONNX and safetensors exports; the same spec and seed give the same numbers; core and engine agree
// on the same weights and batches; cancel; bad input refused naming the field.
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { hopfieldLayerForward, matchedPatterns } from '../../src/core/hopfield-layer'
import { decodeSafetensors } from '../../src/core/safetensors'
import { hopfieldLayerParams, hopfieldLayerShape, trainHopfieldLayerJob, type HopfieldLayerTrainInput } from '../../src/main/services/hopfield-layer'
import type { Events } from '../../src/shared/api'
import { CancelledError } from '../../src/shared/errors'
import { asView } from '../../src/shared/families'
import { decodeStoredSnapshot, hopfieldLayerModelSpecSchema } from '../../src/shared/families/hopfield-layer'
import { cancelAfterFirstProgress, trainKind, withBackend } from '../helpers/backend'

const backend = withBackend('engram-hlayer-')
const small = { kind: 'hopfield-layer' as const, task: { width: 5, height: 5, train: 200, test: 300 }, storedPatterns: 12, epochs: 25 }

describe('hopfield layer through the API', () => {
  it('trains on the engine, beats the linear baseline, shows attention and stored patterns, exports', async () => {
    const s = await backend.call('sessions.create', { name: 'layer' })
    const progress: Events['job.progress'][] = []
    const off = backend.on('job.progress', (p) => progress.push(p))
    const model = await trainKind(backend, { sessionId: s.id, model: small, seed: 4 })
    off()
    expect(model).toMatchObject({ kind: 'hopfield-layer', epochsDone: 25, partial: false, fallbackReason: null, inputSize: 25, keySize: 25, beta: 1 / 5 })
    expect(model.provider).toMatch(/^engine/)
    // Live: one report per epoch with its metrics and the stored patterns.
    const live = progress.filter((p) => p.kind === 'hopfield-layer.train')
    expect(live.map((p) => p.metrics!.epoch)).toEqual(model.history.map((h) => h.epoch))
    const snaps = live.map((p) => decodeStoredSnapshot(p.text)!)
    expect(snaps.every((sn) => sn.count === 12 && sn.size === 25)).toBe(true)
    // The loss falls; the layer beats the linear read-out, which stays near chance (1/3) on sign-symmetric classes.
    expect(model.history.at(-1)!.loss).toBeLessThan(model.history[0]!.loss / 3)
    expect(model.testAccuracy).toBeGreaterThan(0.9)
    expect(model.baseline.testAccuracy).toBeLessThan(0.5)
    expect(model.storedClasses).toHaveLength(12)
    // The stored patterns learn the prototypes: their best match rises from the random start.
    expect(model.history.at(-1)!.prototypeMatch).toBeGreaterThan(model.history[0]!.prototypeMatch! + 0.2)

    // The session's weights (safetensors) on the core give the reported held-out accuracy's attention view.
    const st = await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'safetensors' })
    const dict = decodeSafetensors(new Uint8Array(Buffer.from(st.base64, 'base64')))
    expect(Object.keys(dict.tensors).sort()).toEqual(['stored_patterns', 'w_k', 'w_q', 'w_v'])
    expect(dict.tensors['stored_patterns']!.shape).toEqual([12, 25])
    const params = hopfieldLayerParams((n) => dict.tensors[n]!)
    // The last live snapshot is the final stored patterns to 4 bits.
    const lastSnap = snaps.at(-1)!
    const matched = matchedPatterns(hopfieldLayerShape(model.spec), params)
    for (const [got, want] of [[lastSnap.stored, params.stored_patterns], [lastSnap.matched, matched]] as const) {
      for (let j = 0; j < 12; j++) {
        const row = want.subarray(j * 25, (j + 1) * 25)
        const scale = Math.max(...row.map(Math.abs))
        row.forEach((v, i) => expect(Math.abs(got[j * 25 + i]! - v)).toBeLessThanOrEqual((scale * 1.002) / 14))
      }
    }

    const view = asView(await backend.call('models.view', { sessionId: s.id, modelId: model.id, view: { kind: 'hopfield-layer.attend', index: 3 } }), 'hopfield-layer.attend').result
    const shape = hopfieldLayerShape(model.spec)
    const f = hopfieldLayerForward(shape, params, model.beta, Float64Array.from(view.input), 1)
    expect(view.attention).toEqual(Array.from(f.attention))
    expect(view.matchedPatterns).toEqual(Array.from(matched))
    expect(view.attention.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    expect(view.modes).toHaveLength(6 * 25)
    expect(view.modeClasses[view.mode]).toBe(view.label)
    // Learned: several stored patterns match one prototype closely (cosine > 0.8), and each of those votes for its class
    // (the rest, diffuse, cover a 'default' class).
    const sharp = view.nearest.map((n, j) => ({ ...n, j })).filter((n) => n.cosine > 0.8)
    expect(sharp.length).toBeGreaterThanOrEqual(3)
    for (const n of sharp) expect(model.storedClasses[n.j], `stored pattern ${n.j}`).toBe(view.modeClasses[n.mode])
    await expect(backend.call('models.view', { sessionId: s.id, modelId: model.id, view: { kind: 'hopfield-layer.attend', index: 300 } })).rejects.toMatchObject({ field: 'params.view.index' })

    // ONNX: a fresh session on the exported bytes gives the view's logits.
    const onnx = await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'onnx' })
    const session = await ort.InferenceSession.create(new Uint8Array(Buffer.from(onnx.base64, 'base64')))
    const out = await session.run({ inputs: new ort.Tensor('float32', Float32Array.from(view.input), [1, 25]) })
    ;(out.logits!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(view.logits[i]!, 4))
    await session.release()
    await expect(backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'npz' })).rejects.toMatchObject({ field: 'params.format' })
  })

  it('refuses a bad spec naming the field, before any work', async () => {
    const s = await backend.call('sessions.create', { name: 'bad' })
    await expect(backend.call('models.train', { sessionId: s.id, model: { ...small, batch: 201 }, seed: 1 })).rejects.toMatchObject({ field: 'params.model.batch' })
    await expect(backend.call('models.train', { sessionId: s.id, model: { ...small, storedPatterns: 65 }, seed: 1 })).rejects.toMatchObject({ field: expect.stringMatching(/storedPatterns/) })
    await expect(backend.call('models.train', { sessionId: s.id, model: { ...small, task: { ...small.task, width: 11 } }, seed: 1 })).rejects.toMatchObject({ field: expect.stringMatching(/task\.width/) })
  })

  it('cancel after the first epoch keeps a partial model', async () => {
    const s = await backend.call('sessions.create', { name: 'cancel' })
    const { jobId } = await backend.call('models.train', { sessionId: s.id, model: { ...small, epochs: 500, task: { ...small.task, train: 5000 }, batch: 10 }, seed: 2 })
    const done = await cancelAfterFirstProgress(backend, jobId)
    expect(done.result.kind).toBe('hopfield-layer.train')
    if (done.result.kind !== 'hopfield-layer.train') return
    expect(done.result.model.partial).toBe(true)
    expect(done.result.model.epochsDone).toBeLessThan(500)
  })
})

describe('hopfield layer job', () => {
  const input = (over: Partial<HopfieldLayerTrainInput> = {}): HopfieldLayerTrainInput => ({
    modelId: 'm',
    name: 'm',
    spec: hopfieldLayerModelSpecSchema.parse({ ...small, epochs: 3 }),
    seed: 7,
    provider: 'cpu',
    ...over
  })

  it('is reproducible from spec and seed; another seed differs', async () => {
    const a = await trainHopfieldLayerJob(input(), {})
    const b = await trainHopfieldLayerJob(input(), {})
    const c = await trainHopfieldLayerJob(input({ seed: 8 }), {})
    expect(b.info.history).toEqual(a.info.history)
    expect(b.params.stored_patterns).toEqual(a.params.stored_patterns)
    expect(c.info.history[0]!.loss).not.toBe(a.info.history[0]!.loss)
  })

  it('the core and the engine agree on the same weights and batches (float32 tolerance)', async () => {
    const engine = await trainHopfieldLayerJob(input(), {})
    const core = await trainHopfieldLayerJob(input({ coreOnly: true }), {})
    expect(engine.info.provider).toMatch(/^engine/)
    expect(core.info).toMatchObject({ provider: 'core', fallbackReason: 'core requested' })
    engine.info.history.forEach((h, i) => expect(Math.abs(h.loss - core.info.history[i]!.loss)).toBeLessThan(1e-4))
    for (const k of ['stored_patterns', 'w_q', 'w_k', 'w_v'] as const) {
      const scale = Math.max(...core.params[k].map(Math.abs))
      engine.params[k].forEach((v, i) => expect(Math.abs(v - core.params[k][i]!), `${k}[${i}]`).toBeLessThan(2e-3 * scale))
    }
    // The linear baseline runs on the core in both: identical.
    expect(engine.info.history.map((h) => h.baselineTestAccuracy)).toEqual(core.info.history.map((h) => h.baselineTestAccuracy))
  })

  it('a cancel before the first epoch is a CancelledError', async () => {
    await expect(trainHopfieldLayerJob(input(), { shouldCancel: () => true })).rejects.toBeInstanceOf(CancelledError)
  })
})
