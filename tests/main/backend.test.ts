// Integration: services + worker jobs + store + export round trip (exported ONNX == in-app recall).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import type { Backend } from '../../src/main/services/backend'
import { netFromTensors } from '../../src/main/services/backend'
import { ApiError } from '../../src/shared/api'
import { keptResult } from '../../src/shared/session'
import { decodeSafetensors } from '../../src/core/safetensors'
import { matchStored, recallSyncBatch, recallAsync } from '../../src/core/hopfield'
import { drawCues } from '../../src/core/corrupt'
import { Rng } from '../../src/core/rng'
import { createSession } from '../../src/engine/ort'
import { migrateSessionState, SqliteSessionStore } from '../../src/main/services/store'
import { trainHopfield } from '../../src/main/services/hopfield'
import { join } from 'node:path'
import { jobOutcome, makeBackend, tempDir, trainModel } from '../helpers/backend'

let tmp: ReturnType<typeof tempDir>
let backend: Backend

beforeAll(() => {
  tmp = tempDir()
  backend = makeBackend(tmp.dir)
})
afterAll(async () => {
  await backend.close()
  tmp.cleanup()
})

async function trainedSession(
  select = [0, 1, 2],
  builtin: 'digits' | 'letters' = 'digits',
  normalisation: 'none' | '1/N' | '1/P' = 'none'
): Promise<{ id: string; modelId: string }> {
  const s = await backend.call('sessions.create', { name: 'integration' })
  const trained = await trainModel(backend, {
    sessionId: s.id,
    dataset: { builtin, select },
    model: { kind: 'hopfield', rule: 'hebb', normalisation, zeroDiagonal: true }
  })
  return { id: s.id, modelId: trained.id }
}

describe('backend', () => {
  it('lists the built-in datasets with their sizes', async () => {
    const list = await backend.call('datasets.list', {})
    const byId = Object.fromEntries(list.map((d) => [d.id, d]))
    expect(byId.letters).toMatchObject({ count: 26, width: 10, height: 10 })
    expect(byId.digits).toMatchObject({ width: 28, height: 28 })
    expect(byId.digits!.count).toBeGreaterThanOrEqual(8000)
    expect(byId['seeds-003-auto']).toMatchObject({ count: 1, width: 4, height: 1 })
    const page = await backend.call('datasets.get', { id: 'digits', offset: 10, limit: 10 })
    expect(page.labels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(page.patterns[0]!.every((v) => v === 1 || v === -1)).toBe(true)
    expect(byId.fashion).toMatchObject({ count: 300, width: 28, height: 28 })
    expect((await backend.call('datasets.get', { id: 'fashion', offset: 8, limit: 3 })).labels).toEqual(['Bag', 'Ankle boot', 'T-shirt/top'])
  })

  it('rejects bad params with an error naming the field, and keeps the session intact', async () => {
    const { id } = await trainedSession()
    const before = await backend.call('sessions.open', { id })
    await expect(backend.call('models.train', { sessionId: id, dataset: { builtin: 'letters', select: [0, 99] }, model: { kind: 'hopfield' } })).rejects.toMatchObject({
      code: 'bad-request',
      field: 'params.dataset.select.1'
    })
    await expect(backend.call('datasets.get', { id: 'nope' } as never)).rejects.toThrow(/params\.id/)
    await expect(backend.call('models.run', { sessionId: id, modelId: before.activeModelId!, run: { kind: 'recall.async', cue: [1, -1], seed: 1 } })).rejects.toThrow(
      /params\.run\.cue: 2 values, the model has 784 units/
    )
    await expect(
      backend.call('models.run', { sessionId: id, modelId: before.activeModelId!, run: { kind: 'recall.async', cue: [0, ...new Array(783).fill(1)], seed: 1 } })
    ).rejects.toMatchObject({ field: 'params.run.cue.0' })
    const after = await backend.call('sessions.open', { id })
    expect(after.models).toHaveLength(before.models.length)
    expect(after.activeModelId).toBe(before.activeModelId)
  })

  it('runs a traced asynchronous recall in a worker, identical to the core', async () => {
    const { id, modelId } = await trainedSession([0, 1, 2])
    const page = await backend.call('datasets.get', { id: 'digits', offset: 1, limit: 1 })
    const cue = page.patterns[0]!.map((v, i) => (i % 7 === 0 ? -v : v))
    const { jobId } = await backend.call('models.run', { sessionId: id, modelId, run: { kind: 'recall.async', cue, seed: 7, order: 'random', maxSweeps: 20 } })
    const done = await jobOutcome(backend, jobId)
    expect(done.result.kind).toBe('recall.async')
    if (done.result.kind !== 'recall.async') return
    const r = done.result.result
    // Same computation in-process from the session's own tensors.
    const open = (backend as unknown as { open: Map<string, { tensors: Map<string, never> }> }).open.get(id)!
    const { net, stored } = netFromTensors(open.tensors, modelId)
    const ref = recallAsync(net, cue, { rng: new Rng(7), order: 'random', maxSweeps: 20, stored })
    expect(r.final).toEqual(Array.from(ref.final))
    expect(r.energy).toEqual(Array.from(ref.energy))
    for (let t = 1; t < r.energy.length; t++) expect(r.energy[t]!).toBeLessThanOrEqual(r.energy[t - 1]! + 1e-9)
    expect(r.outcome).toBe('fixed-point')
    const session = await backend.call('sessions.open', { id })
    expect(keptResult(session, 'recall.async')?.result.final).toEqual(r.final)
  })

  it('runs batch recall on the engine with progress, and matches the core reference', async () => {
    // A, C, I, V: the largest letter set whose Hebb net keeps every letter a fixed point.
    const { id, modelId } = await trainedSession([0, 2, 8, 21], 'letters')
    const progress: number[] = []
    const off = backend.on('job.progress', (p) => progress.push(p.fraction))
    const { jobId } = await backend.call('models.run', { sessionId: id, modelId, run: { kind: 'recall.batch', corruption: { type: 'flip', fraction: 0.1 }, cuesPerPattern: 20, seed: 3, maxIterations: 30 } })
    const done = await jobOutcome(backend, jobId)
    off()
    expect(done.result.kind).toBe('recall.batch')
    if (done.result.kind !== 'recall.batch') return
    const r = done.result.result
    expect(r.cues).toBe(80)
    expect(r.provider).toBe('cpu')
    expect(progress.at(-1)).toBe(1)
    // The same cues through the core's synchronous reference give the same successes.
    const open = (backend as unknown as { open: Map<string, { tensors: Map<string, never> }> }).open.get(id)!
    const { net, stored } = netFromTensors(open.tensors, modelId)
    const { cues, sources } = drawCues(stored, { type: 'flip', fraction: 0.1 }, 20, 10, 10, new Rng(3))
    const ref = recallSyncBatch(net, cues, sources.length, 30)
    let hits = 0
    for (let c = 0; c < sources.length; c++) if (matchStored(ref.final.subarray(c * 100, (c + 1) * 100), stored) === sources[c]) hits++
    expect(r.successRate).toBe(hits / sources.length)
    expect(r.successRate).toBeGreaterThan(0.5)
  })

  it('cancels a running job and survives a crashing worker', async () => {
    const jobs = (backend as unknown as { jobs: { start: (task: unknown, cb: unknown) => string; cancel: (id: string) => boolean } }).jobs
    const cancelled = new Promise<[string, boolean]>((resolve) => {
      const id = jobs.start({ kind: 'test.spin' }, { onProgress() {}, onDone() {}, onFailed: (e: string, c: boolean) => resolve([e, c]) })
      setTimeout(() => jobs.cancel(id), 50)
    })
    expect(await cancelled).toEqual(['cancelled', true])
    const crashed = new Promise<[string, boolean]>((resolve) => {
      jobs.start({ kind: 'test.crash' }, { onProgress() {}, onDone() {}, onFailed: (e: string, c: boolean) => resolve([e, c]) })
    })
    const [message, wasCancel] = await crashed
    expect(message).toMatch(/worker crashed: worker crashed on purpose/)
    expect(wasCancel).toBe(false)
    // The backend still answers.
    expect((await backend.call('datasets.list', {})).length).toBe(6)
  })

  it('saves a session atomically and reopens it from a fresh backend with weights, cue and results', async () => {
    const { id, modelId } = await trainedSession([3, 4])
    const cue = { source: 0, corruption: { type: 'flip' as const, fraction: 0.2 }, seed: 11, state: new Array(784).fill(1) }
    await backend.call('sessions.update', { id, patch: { cue, ui: { tab: 'recall' } } })
    const { jobId } = await backend.call('models.run', { sessionId: id, modelId, run: { kind: 'recall.async', cue: cue.state, seed: 5, order: 'random', maxSweeps: 10 } })
    await jobOutcome(backend, jobId)
    const saved = await backend.call('sessions.save', { id })
    expect(saved.dirty).toBe(false)
    const again = makeBackend(tmp.dir)
    try {
      const reopened = await again.call('sessions.open', { id })
      const original = await backend.call('sessions.open', { id })
      expect(reopened).toEqual(original)
      expect(reopened.cue).toEqual(cue)
      expect(reopened.ui).toEqual({ tab: 'recall' })
      expect(keptResult(reopened, 'recall.async')?.result.modelId).toBe(modelId)
      const store = new SqliteSessionStore(join(tmp.dir, 'sessions.sqlite'))
      const loaded = store.load(id)!
      store.close()
      const openTensors = (backend as unknown as { open: Map<string, { tensors: Map<string, { data: Float32Array }> }> }).open.get(id)!.tensors
      expect(Array.from(loaded.tensors.get(`models/${modelId}/weights`)!.data as Float32Array)).toEqual(Array.from(openTensors.get(`models/${modelId}/weights`)!.data))
    } finally {
      await again.close()
    }
  })

  it('exports ONNX that gives the same final states as the app, and safetensors with the weights', async () => {
    const { id, modelId } = await trainedSession([0, 1, 2, 3])
    const onnx = await backend.call('models.export', { sessionId: id, modelId, format: 'onnx' })
    const bytes = new Uint8Array(readFileSync(onnx.path))
    expect(bytes.byteLength).toBe(onnx.bytes)
    const open = (backend as unknown as { open: Map<string, { tensors: Map<string, never> }> }).open.get(id)!
    const { net, stored } = netFromTensors(open.tensors, modelId)
    const n = net.units
    const batch = 8
    const rng = new Rng(99)
    const cues = new Int8Array(batch * n)
    for (let b = 0; b < batch; b++) {
      const src = stored[b % stored.length]!
      for (let i = 0; i < n; i++) cues[b * n + i] = rng.next() < 0.15 ? -src[i]! : src[i]!
    }
    const { session } = await createSession(bytes, { provider: 'cpu' })
    const out = await session.run({
      state: { type: 'float32', data: Float32Array.from(cues), dims: [batch, n] },
      max_iterations: { type: 'int64', data: BigInt64Array.from([50n]), dims: [] }
    })
    const ref = recallSyncBatch(net, cues, batch, 50)
    expect(Array.from(out.final_state!.data as Float32Array)).toEqual(Array.from(ref.final))
    await session.release()

    const st = await backend.call('models.export', { sessionId: id, modelId, format: 'safetensors' })
    const decoded = decodeSafetensors(new Uint8Array(readFileSync(st.path)))
    expect(decoded.tensors.weights!.shape).toEqual([n, n])
    expect(Array.from(decoded.tensors.weights!.data)).toEqual(Array.from(net.weights))
    expect(decoded.metadata.kind).toBe('hopfield')
    expect(Buffer.from(st.base64, 'base64').byteLength).toBe(st.bytes)
  })

  // A E I O U X at N = 100: neither 1/N nor 1/P (P = 6) is exact in float32, and h = 0 ties are reachable.
  for (const normalisation of ['1/N', '1/P'] as const) {
    it(`Hebb ${normalisation} on letters A E I O U X: batch recall (low-rank), the core and the exported ONNX settle every cue alike`, async () => {
      const { id, modelId } = await trainedSession([0, 4, 8, 14, 20, 23], 'letters', normalisation)
      const open = (backend as unknown as { open: Map<string, { tensors: Map<string, { data: ArrayLike<number> }> }> }).open.get(id)!
      const { net, stored } = netFromTensors(open.tensors as never, modelId)
      // The session keeps the weights' grid, so a reopened model still decides ties exactly.
      expect(net.scale).toBe(normalisation === '1/N' ? 1 / 100 : 1 / 6)
      const { jobId } = await backend.call('models.run', { sessionId: id, modelId, run: { kind: 'recall.batch', corruption: { type: 'flip', fraction: 0.1 }, cuesPerPattern: 40, seed: 5, maxIterations: 30 } })
      const done = await jobOutcome(backend, jobId)
      if (done.result.kind !== 'recall.batch') throw new Error(`unexpected result ${done.result.kind}`)
      const r = done.result.result
      const { cues, sources } = drawCues(stored, { type: 'flip', fraction: 0.1 }, 40, 10, 10, new Rng(5))
      const batch = sources.length
      const ref = recallSyncBatch(net, cues, batch, 30)
      let hits = 0
      let iterations = 0
      for (let c = 0; c < batch; c++) {
        if (matchStored(ref.final.subarray(c * 100, (c + 1) * 100), stored) === sources[c]) hits++
        iterations += ref.iterations[c]!
      }
      expect(r.successRate).toBe(hits / batch)
      expect(r.meanIterations).toBe(iterations / batch)
      // Ties at the cues, counted on the integer grid: the tie rule decides some of these units.
      const d = Math.round(1 / net.scale!)
      let ties = 0
      for (let c = 0; c < batch; c++) {
        for (let i = 0; i < 100; i++) {
          let ks = 0
          for (let j = 0; j < 100; j++) ks += Math.round(net.weights[j * 100 + i]! * d) * cues[c * 100 + j]!
          if (ks === 0) ties++
        }
      }
      expect(ties).toBeGreaterThan(0)
      const onnx = await backend.call('models.export', { sessionId: id, modelId, format: 'onnx' })
      const { session } = await createSession(new Uint8Array(readFileSync(onnx.path)), { provider: 'cpu' })
      const out = await session.run({
        state: { type: 'float32', data: Float32Array.from(cues), dims: [batch, 100] },
        max_iterations: { type: 'int64', data: BigInt64Array.from([30n]), dims: [] }
      })
      await session.release()
      expect(Array.from(out.final_state!.data as Float32Array)).toEqual(Array.from(ref.final))
      expect(Array.from(out.iterations!.data as Int32Array)).toEqual(Array.from(ref.iterations))
      // A session saved before grids has no scale tensor: it still loads, and its Hebb weights (exactly fl32(K/D))
      // are recognised as K/D; weights on no such grid load without one.
      const old = new Map(open.tensors)
      old.delete(`models/${modelId}/scale`)
      expect(netFromTensors(old as never, modelId).net.scale).toBe(net.scale)
      const w = Float32Array.from(net.weights)
      w[1] = Math.fround(w[1]! + 1e-3)
      old.set(`models/${modelId}/weights`, { data: w })
      expect(netFromTensors(old as never, modelId).net.scale).toBeUndefined()
    })
  }

  it('names the error for unknown sessions and models', async () => {
    await expect(backend.call('sessions.open', { id: 'missing' })).rejects.toBeInstanceOf(ApiError)
    await expect(backend.call('sessions.open', { id: 'missing' })).rejects.toThrow("params.id: no session 'missing'")
  })
})

describe('app.info', () => {
  it('reports the provider that really works here, with the reason for skipping the others', async () => {
    const info = await backend.call('app.info', {})
    expect(info.engine.available).toContain('cpu')
    expect(info.engine.chosen).toBe('cpu')
    expect(info.rng).toMatch(/xoshiro128\*\*/)
  })
})

describe('experiments and session migration', () => {
  it('runs a sweep as a job with progress and keeps its result in the session', async () => {
    const s = await backend.call('sessions.create', { name: 'sweeps' })
    const fractions: number[] = []
    const off = backend.on('job.progress', (p) => fractions.push(p.fraction))
    const { jobId } = await backend.call('jobs.start', {
      sessionId: s.id,
      spec: {
        kind: 'experiment',
        spec: { name: 'noise', seed: 4, dataset: { builtin: 'letters', select: [0, 2, 8, 21] }, model: { kind: 'hopfield', rule: 'pseudo-inverse' }, sweep: { type: 'noise', fractions: [0, 0.1, 0.3], cuesPerPattern: 5 } }
      }
    })
    const done = await jobOutcome(backend, jobId)
    off()
    if (done.result.kind !== 'experiment') throw new Error('expected an experiment result')
    const sweep = done.result.record.result.sweep
    expect(sweep?.type).toBe('noise')
    if (sweep?.type !== 'noise') return
    expect(sweep.points.map((p) => p.fraction)).toEqual([0, 0.1, 0.3])
    expect(sweep.points[0]!.success).toBe(1)
    expect(fractions.at(-1)).toBe(1)
    const state = await backend.call('sessions.open', { id: s.id })
    expect(state.experiments).toHaveLength(1)
    expect(state.experiments[0]!.result.model).toBeUndefined()
  })

  it('migrates a schema-1 session forward and refuses one from a newer Engram', () => {
    const v1 = {
      schemaVersion: 1,
      id: 'old',
      name: 'old session',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      dataset: null,
      models: [],
      activeModelId: null,
      cue: null,
      asyncRecall: null,
      batchRecall: null,
      ui: {}
    }
    expect(migrateSessionState(v1, 'old').experiments).toEqual([])
    expect(() => migrateSessionState({ ...v1, schemaVersion: 99 }, 'new')).toThrow(/newer Engram \(schema 99/)
    expect(() => migrateSessionState({ ...v1, models: 'x' }, 'bad')).toThrow(/session bad: stored state is invalid: models/)
  })
})

describe('energy training', () => {
  it('trains in a worker and gives the same weights as the core in-process', async () => {
    const s = await backend.call('sessions.create', { name: 'energy' })
    const model = { kind: 'hopfield' as const, rule: 'energy' as const, energy: { valleys: 'few-steps' as const, epochs: 20, eta: 0.01, mode: 'sgd' as const, evolutionSteps: 2, cueNoise: 0 } }
    const trained = await trainModel(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 6 }, model, seed: 4 })
    if (trained.kind !== 'hopfield') throw new Error('expected a Hopfield net')
    const info = trained
    expect(info.training?.history.length).toBeGreaterThan(0)
    const open = (backend as unknown as { open: Map<string, { tensors: Map<string, never> }> }).open.get(s.id)!
    const { net, stored } = netFromTensors(open.tensors, info.id)
    const ref = trainHopfield(stored, { ...model, normalisation: 'none' }, 4)
    expect(Array.from(net.weights)).toEqual(Array.from(ref.net.weights))
    expect(info.training?.history).toEqual(ref.history)
  })
})
