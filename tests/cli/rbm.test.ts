// `engram run` on RBM specs end to end (the example: a classification RBM on the digits), the result file, its
// exports (ONNX class probabilities == core classProbabilities; safetensors == the result's weights), and errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { classProbabilities } from '../../src/core/rbm'
import { decodeSafetensors } from '../../src/core/safetensors'
import { createSession } from '../../src/engine/ort'
import { rbmRunResultSchema, rbmRunSpecSchema } from '../../src/shared/rbm-run'
import { rbmFromResult } from '../../src/main/services/rbm-run'
import { jobOutcome, makeBackend, tempDir } from '../helpers/backend'

const root = join(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'engram.mjs')

function engram(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  if (!existsSync(join(root, 'out', 'main', 'cli.js'))) throw new Error('build first: npm run build')
  tmp = tempDir('engram-cli-rbm-')
})
afterAll(() => tmp.cleanup())

describe('engram run: RBM specs', () => {
  it('trains the example classification RBM, prints epochs and accuracy, writes the result and the exports', async () => {
    const out = join(tmp.dir, 'rbm.result.json')
    const onnx = join(tmp.dir, 'rbm.onnx')
    const r = engram(['run', 'examples/rbm-digits.json', '--out', out, '--export', onnx])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe(out)
    expect(r.stderr).toMatch(/epoch 1\/3: reconstruction error [\d.]+ · PLL -[\d.]+ · F train -?[\d.]+ · accuracy [\d.]+% train, [\d.]+% held out/)
    expect(r.stderr).toMatch(/RBM 784 \+ 10 label visible × 64 hidden, 1800 train \+ 200 held-out rows, 3 epochs \(270 updates\)/)
    expect(r.stderr).toMatch(/accuracy [\d.]+% train · [\d.]+% on 200 held-out rows \(chance 10\.0%\)/)
    const result = rbmRunResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')))
    expect(result.spec.model).toMatchObject({ kind: 'rbm', hidden: 64, labels: true })
    expect(result.rbm.history.map((h) => h.epoch)).toEqual([1, 2, 3])
    // Accuracy well above chance (10 %): this seed gives 84.4 % on the training rows and 79.5 % held out.
    expect(result.metrics.accuracyTrain!).toBeGreaterThan(0.75)
    expect(result.metrics.accuracyHeldOut!).toBeGreaterThan(0.7)
    expect(result.rbm.classification!.accuracy).toBe(result.metrics.accuracyHeldOut)
    expect(result.model.metadata).toMatchObject({ kind: 'rbm', label_units: '10' })

    // The ONNX written by --export gives the core's class probabilities for the result's weights.
    const rbm = rbmFromResult(result)
    const { session } = await createSession(new Uint8Array(readFileSync(onnx)), { provider: 'cpu' })
    const batch = 4
    const v = new Float32Array(batch * 794).map((_, i) => (i % 794 < 784 && (i * 31) % 7 < 2 ? 1 : 0))
    const got = (await session.run({ visible: { type: 'float32', data: v, dims: [batch, 794] } })).class_probabilities!.data as Float32Array
    const features = Float32Array.from({ length: batch * 784 }, (_, k) => v[Math.floor(k / 784) * 794 + (k % 784)]!)
    const expected = classProbabilities(rbm, features, batch)
    for (let q = 0; q < expected.length; q++) expect(got[q]!).toBeCloseTo(expected[q]!, 5)
    await session.release()

    // engram export reads RBM results too.
    const st = join(tmp.dir, 'rbm.safetensors')
    const ex = engram(['export', out, '--format', 'safetensors', '--out', st])
    expect(ex.status, ex.stderr).toBe(0)
    expect(ex.stdout).toMatch(/safetensors, RBM 794×64/)
    const dict = decodeSafetensors(new Uint8Array(readFileSync(st)))
    expect(dict.tensors.weights!.shape).toEqual([794, 64])
    expect(Array.from(dict.tensors.weights!.data)).toEqual(Array.from(rbm.weights))
  })

  it('gives the same numbers for the same spec and seed (a plain RBM, quiet)', () => {
    const spec = join(tmp.dir, 'small.json')
    writeFileSync(spec, JSON.stringify({ name: 'small', seed: 3, dataset: { builtin: 'digits', count: 200 }, model: { kind: 'rbm', hidden: 16, epochs: 2, batchSize: 20 }, engine: { provider: 'cpu' } }))
    const a = join(tmp.dir, 'a.json')
    const b = join(tmp.dir, 'b.json')
    for (const out of [a, b]) {
      const r = engram(['run', spec, '--out', out, '--quiet'])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
    }
    const ra = rbmRunResultSchema.parse(JSON.parse(readFileSync(a, 'utf8')))
    const rb = rbmRunResultSchema.parse(JSON.parse(readFileSync(b, 'utf8')))
    const numbers = (h: typeof ra.rbm.history) => h.map(({ seconds: _s, ...rest }) => rest)
    expect(numbers(ra.rbm.history)).toEqual(numbers(rb.rbm.history))
    expect(ra.model.stateDict).toEqual(rb.model.stateDict)
    expect(ra.rbm.history[0]!.accuracyTrain).toBeUndefined()
    expect(ra.rbm.classification).toBeUndefined()
  })

  it('exports an RBM of a saved session (engram export <session> --model <rbm id>)', async () => {
    const dataDir = join(tmp.dir, 'sessions')
    const backend = makeBackend(dataDir)
    let id: string
    try {
      const s = await backend.call('sessions.create', { name: 'cli rbm' })
      const { jobId } = await backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'digits', count: 60 }, model: { kind: 'rbm', hidden: 6, epochs: 1, batchSize: 20, labels: true }, seed: 2 })
      const done = await jobOutcome(backend, jobId)
      if (done.result.kind !== 'rbm.train') throw new Error('expected rbm.train')
      id = done.result.model.id
      await backend.call('sessions.save', { id: s.id })
    } finally {
      await backend.close()
    }
    const st = join(tmp.dir, 'session-rbm.safetensors')
    const r = engram(['export', 'cli rbm', '--model', id, '--format', 'safetensors', '--out', st, '--data-dir', dataDir])
    expect(r.status, r.stderr).toBe(0)
    const dict = decodeSafetensors(new Uint8Array(readFileSync(st)))
    expect(dict.tensors.weights!.shape).toEqual([794, 6])
    expect(dict.metadata).toMatchObject({ kind: 'rbm', label_units: '10', session: 'cli rbm' })
  })

  it('names the field of a bad RBM spec, and of labels on a dataset without classes; writes nothing', () => {
    const bad = join(tmp.dir, 'bad-rbm.json')
    const out = join(tmp.dir, 'bad-rbm.result.json')
    const base = rbmRunSpecSchema.parse(JSON.parse(readFileSync(join(root, 'examples', 'rbm-digits.json'), 'utf8')))
    writeFileSync(bad, JSON.stringify({ ...base, model: { ...base.model, hidden: 0 } }))
    const r1 = engram(['run', bad, '--out', out])
    expect(r1.status).toBe(1)
    expect(r1.stderr).toMatch(/spec\.model\.hidden: /)
    writeFileSync(bad, JSON.stringify({ ...base, dataset: { builtin: 'letters' } }))
    const r2 = engram(['run', bad, '--out', out])
    expect(r2.status).toBe(1)
    expect(r2.stderr).toMatch(/spec\.model\.labels: dataset 'letters' has no class labels/)
    expect(engram(['run', bad, '--export', join(tmp.dir, 'x.npy')]).stderr).toMatch(/--export .*x\.npy: the file must end in \.onnx, \.safetensors or \.npz/)
    expect(existsSync(out)).toBe(false)
  })
})
