// NumPy .npz export of every model kind: the same tensors and metadata as the safetensors export, and NumPy reads it.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decodeNpz } from '../../src/core/npy'
import { decodeSafetensors } from '../../src/core/safetensors'
import { jobOutcome, withBackend, trainModel } from '../helpers/backend'

const backend = withBackend('engram-npz-')

async function both(sessionId: string, modelId: string) {
  const st = await backend.call('models.export', { sessionId, modelId, format: 'safetensors' })
  const npz = await backend.call('models.export', { sessionId, modelId, format: 'npz' })
  expect(npz.fileName).toMatch(/\.npz$/)
  const a = decodeSafetensors(new Uint8Array(readFileSync(st.path)))
  const b = decodeNpz(new Uint8Array(readFileSync(npz.path)))
  expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort())
  for (const [name, t] of Object.entries(a.tensors)) {
    expect({ name, dtype: b.tensors[name]!.dtype, shape: b.tensors[name]!.shape }).toEqual({ name, dtype: t.dtype, shape: t.shape })
    expect(Array.from(b.tensors[name]!.data)).toEqual(Array.from(t.data))
  }
  expect(b.metadata).toEqual(a.metadata)
  return npz.path
}

/** Sum of an array and the metadata's kind, as NumPy reads the file; null without numpy. */
function numpySum(path: string, name: string): { sum: number; kind: string } | null {
  if (spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status !== 0) return null
  const r = spawnSync('/usr/bin/python3', ['-c', `import json, numpy as np\nd = np.load(${JSON.stringify(path)})\nprint(json.dumps({"sum": float(d[${JSON.stringify(name)}].astype(np.float64).sum()), "kind": json.loads(str(d["metadata"]))["kind"]}))`], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as { sum: number; kind: string }
}

describe('export .npz', () => {
  it('Hopfield, RBM and BAM: same tensors and metadata as safetensors; NumPy loads them', async () => {
    const s = await backend.call('sessions.create', { name: 'npz' })
    const trained = await trainModel(backend, { sessionId: s.id, dataset: { builtin: 'letters', select: [0, 2, 8] }, model: { kind: 'hopfield', encoding: 'binary', threshold: 0.5 } })
    const hopfield = await both(s.id, trained.id)
    const { jobId } = await backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'digits', count: 100 }, model: { kind: 'rbm', hidden: 8, epochs: 1, batchSize: 20 }, seed: 1 })
    const done = await jobOutcome(backend, jobId)
    if (done.result.kind !== 'rbm.train') throw new Error('expected rbm.train')
    const rbm = await both(s.id, done.result.model.id)
    const bamModel = await trainModel(backend, { sessionId: s.id, dataset: { builtin: 'seeds-003-bam' }, model: { kind: 'bam', codes: 'dataset' } })
    const bam = await both(s.id, bamModel.id)

    const h = numpySum(hopfield, 'weights')
    if (h === null) {
      console.warn('skipping the NumPy check: /usr/bin/python3 has no numpy')
      return
    }
    // Hebb on three letters: W = Σ ξξᵀ with a zero diagonal; its sum is Σ_p (Σ_i ξ_i)² − 3·100.
    const page = await backend.call('datasets.get', { id: 'letters', offset: 0, limit: 26 })
    const expected = [0, 2, 8].reduce((acc, k) => acc + page.patterns[k]!.reduce((a, v) => a + v, 0) ** 2, 0) - 3 * 100
    expect(h).toEqual({ sum: expected, kind: 'hopfield' })
    expect(numpySum(rbm, 'weights')!.kind).toBe('rbm')
    expect(numpySum(bam, 'weights')).toEqual({ sum: expect.any(Number), kind: 'bam' })
    await expect(backend.call('models.export', { sessionId: s.id, modelId: bamModel.id, format: 'onnx' })).rejects.toMatchObject({ field: 'params.format' })
  })
})
