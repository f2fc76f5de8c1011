// RBM training resumes exactly (issue 11): N epochs in one run equal k epochs, a stop (a cancel mid-epoch, or a
// checkpoint taken mid-run) and a continuation to N, bit for bit: weights, biases, momentum velocities, persistent
// chains, the sparsity estimate and the per-epoch metrics (the metric generator continues too). On the float32 engine
// and the float64 core, for CD-k and PCD with momentum, at sizes that are no power of two (42 pixels, 13 hidden units,
// 270 training rows in minibatches of 14: 19 whole ones, 10 of them in one engine run, and a last one of 4). Then the
// app's path (models.train with continueFrom, through the session and the worker), a spec file continuing an earlier
// result file (engram run), the core fallback when the engine cannot start, and every refusal naming its field.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { RbmEngineTrainer } from '../../src/engine/rbm'
import { Rng } from '../../src/core/rng'
import type { NamedTensor } from '../../src/core/safetensors'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { SqliteSessionStore } from '../../src/main/services/store'
import { SESSIONS_DB } from '../../src/main/paths'
import { rbmResume, trainRbmJob, type RbmData, type RbmTrainInput } from '../../src/main/services/rbm'
import { runRbmSpec } from '../../src/main/services/rbm-run'
import { rbmRunSpecSchema } from '../../src/shared/rbm-run'
import type { ComputeHooks } from '../../src/main/services/hooks'
import { ApiError } from '../../src/shared/api'
import type { RbmInfo } from '../../src/shared/session'
import { rbmModelSpecSchema, type RbmModelSpec } from '../../src/shared/spec'
import { makeBackend, tempDir, trainKind, withBackend } from '../helpers/backend'

const N = 7
const K = 3
const SEED = 31
const dataset = { builtin: 'letters', threshold: 0.5 } as RbmInfo['dataset']

/** 300 rows of 6×7 grey levels: three noisy prototypes, so the machine has something to learn. */
function makeData(): RbmData {
  const rng = new Rng(5)
  const V = 42
  const rows = 300
  const protos = Array.from({ length: 3 }, () => Float32Array.from({ length: V }, () => rng.next()))
  const values = new Float32Array(rows * V)
  for (let r = 0; r < rows; r++) for (let i = 0; i < V; i++) values[r * V + i] = Math.min(1, Math.max(0, protos[r % 3]![i]! + 0.3 * (rng.next() - 0.5)))
  return { values, rows, visible: V, width: 6, height: 7, labels: Array.from({ length: rows }, (_, r) => String(r % 3)) }
}
const data = makeData()

const VARIANTS = {
  'CD-2': { kind: 'rbm', hidden: 13, k: 2, momentum: 0.5, batchSize: 14, learningRate: 0.1, epochs: N },
  'PCD-1 with sparsity': { kind: 'rbm', hidden: 13, k: 1, persistent: true, momentum: 0.5, batchSize: 14, learningRate: 0.05, epochs: N, sparsity: { target: 0.1, cost: 0.01 } }
} as const

type Out = Awaited<ReturnType<typeof trainRbmJob>>

function train(spec: RbmModelSpec, path: 'engine' | 'core', hooks: ComputeHooks = {}, resume?: RbmTrainInput['resume']): Promise<Out> {
  return trainRbmJob({ modelId: resume ? 'continued' : 'm', name: 'rbm', dataset, spec, seed: SEED, data, engine: { provider: 'cpu' }, path, ...(resume ? { resume } : {}) }, hooks)
}

/** The continuation of `from` (a partial model or a checkpoint) to N epochs, resumed as the app resumes it. */
function continueFrom(spec: RbmModelSpec, path: 'engine' | 'core', from: { info: RbmInfo; tensors: Record<string, NamedTensor> }): Promise<Out> {
  const next = { ...spec, continueFrom: from.info.id }
  return train(next, path, {}, rbmResume(from.info, (name) => from.tensors[name], { spec: next, seed: SEED, dataset, data }, 'params'))
}

const bytes = (t: NamedTensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)

/** Every tensor equal bit for bit (same names, dtypes, shapes and bytes), and the same per-epoch figures. */
function expectSame(a: Out, b: Out, dtype: 'float32' | 'float64'): void {
  expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort())
  for (const [name, t] of Object.entries(a.tensors)) {
    const u = b.tensors[name]!
    expect({ name, dtype: u.dtype, shape: u.shape }).toEqual({ name, dtype, shape: t.shape })
    expect(bytes(u).equals(bytes(t)), `${name} differs`).toBe(true)
  }
  const figures = (o: Out) => o.info.history.map(({ seconds: _s, ...rest }) => rest)
  expect(figures(b)).toEqual(figures(a))
  expect(b.info.trainState).toEqual(a.info.trainState)
}

describe.each(['engine', 'core'] as const)('RBM resume on the %s', (path) => {
  const dtype = path === 'engine' ? 'float32' : 'float64'
  it.each(Object.keys(VARIANTS) as (keyof typeof VARIANTS)[])(`%s: cancel after ${K} epochs or a checkpoint, then continue: equal to one run bit for bit`, async (variant) => {
    const spec = rbmModelSpecSchema.parse(VARIANTS[variant])
    // The uninterrupted run, keeping its checkpoints (one every epoch: N/10 rounds to 1).
    const checkpoints: { info: RbmInfo; tensors: Record<string, NamedTensor> }[] = []
    const whole = await train(spec, path, { onCheckpoint: (info, tensors) => checkpoints.push({ info: info as RbmInfo, tensors }) })
    expect(whole.info).toMatchObject({ partial: false, provider: path === 'engine' ? 'cpu' : 'core' })
    expect(whole.info.history).toHaveLength(N)
    expect(whole.tensors['optim/velocity_weights']).toBeDefined()
    expect(whole.tensors['optim/chains'] !== undefined).toBe(spec.persistent)
    expect(whole.tensors['optim/hidden_activity'] !== undefined).toBe(spec.sparsity !== undefined)

    // Cancelled in the middle of epoch K+1 (after its first progress report: 10 updates on the engine, 1 on the core): the partial model is the state after epoch K.
    let cancel = false
    const stopped = await train(spec, path, {
      onProgress: (_f, _d, _t, message) => {
        if (message.startsWith(`epoch ${K + 1}/${N}, step `)) cancel = true
      },
      shouldCancel: () => cancel
    })
    expect(stopped.info).toMatchObject({ partial: true })
    expect(stopped.info.history).toHaveLength(K)
    const atK = checkpoints.find((c) => c.info.history.length === K)!
    expect(atK.info.partial).toBe(true)
    // The cancel kept the end of epoch K, not the updates made since: equal to the checkpoint at K.
    for (const [name, t] of Object.entries(atK.tensors)) expect(bytes(stopped.tensors[name]!).equals(bytes(t)), name).toBe(true)

    const fromCancel = await continueFrom(spec, path, stopped)
    expect(fromCancel.info.continuedFrom).toEqual({ id: 'm', name: 'rbm', epochs: K })
    expectSame(whole, fromCancel, dtype)
    // From a checkpoint taken mid-run (epoch K+2), too.
    const mid = checkpoints.find((c) => c.info.history.length === K + 2)!
    expectSame(whole, await continueFrom(spec, path, mid), dtype)
    // Continuing a finished model: 7 then 9 equals one run of 9.
    const longer = { ...spec, epochs: N + 2 }
    const nine = await train(longer, path)
    const next = { ...longer, continueFrom: 'm' }
    expectSame(nine, await train(next, path, {}, rbmResume(whole.info, (name) => whole.tensors[name], { spec: next, seed: SEED, dataset, data }, 'params')), dtype)
  }, 120_000)
})

describe('RBM training when the engine cannot start', () => {
  it('falls back to the float64 core, says why, and its model continues on the core exactly', async () => {
    const spec = rbmModelSpecSchema.parse(VARIANTS['CD-2'])
    const spy = vi.spyOn(RbmEngineTrainer, 'create').mockRejectedValue(new Error('no runtime here'))
    try {
      let cancel = false
      const stopped = await train(spec, 'engine', { onProgress: (_f, _d, _t, message) => void (cancel ||= message.startsWith(`epoch ${K + 1}/`)), shouldCancel: () => cancel })
      expect(stopped.info).toMatchObject({ provider: 'core (engine unavailable: no runtime here)', partial: true })
      expect(stopped.info.history).toHaveLength(K)
      expect(stopped.tensors.weights!.dtype).toBe('float64')
      const resumed = await continueFrom(spec, 'engine', stopped)
      expect(resumed.info.provider).toBe('core')
      expectSame(await train(spec, 'core'), resumed, 'float64')
    } finally {
      spy.mockRestore()
    }
  }, 60_000)
})

describe('RBM resume: refusals name the field', () => {
  const spec = rbmModelSpecSchema.parse(VARIANTS['CD-2'])
  let done: Out | undefined
  const resumeWith = async (change: Partial<RbmModelSpec>, info?: Partial<RbmInfo>, seed = SEED, tensors?: Record<string, NamedTensor>) => {
    done ??= await train(spec, 'engine')
    const prior = { ...done.info, ...info }
    const t = tensors ?? done.tensors
    return () => rbmResume(prior, (name) => t[name], { spec: { ...spec, continueFrom: 'm', epochs: N + 1, ...change }, seed, dataset, data }, 'params')
  }
  const refused = async (run: () => unknown, field: string, words: RegExp) => {
    let caught: unknown
    try {
      run()
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ApiError)
    expect((caught as ApiError).field).toBe(field)
    expect((caught as ApiError).message).toMatch(words)
  }

  it('refuses a changed shape or option, another seed, too few epochs, graph noise, and a model saved without its state', async () => {
    expect((await resumeWith({}))().epochs).toBe(N)
    await refused(await resumeWith({ hidden: 12 }), 'params.model.hidden', /must stay 13/)
    await refused(await resumeWith({ persistent: true }), 'params.model.persistent', /must stay false/)
    await refused(await resumeWith({ batchSize: 15 }), 'params.model.batchSize', /must stay 14/)
    await refused(await resumeWith({}, {}, SEED + 1), 'params.seed', /must stay 31/)
    await refused(await resumeWith({ epochs: N }), 'params.model.epochs', /must exceed the 7 epochs/)
    await refused(await resumeWith({}, { visible: 43 }), 'params.dataset', /dataset has changed/)
    // An old model: no trainState (saved before Engram kept it).
    const old = await resumeWith({}, { trainState: undefined })
    await refused(old, 'params.model.continueFrom', /saved without its training state/)
    // Its velocities missing from the tensors.
    const { 'optim/velocity_weights': _v, ...without } = done!.tensors
    await refused(await resumeWith({}, {}, SEED, without), 'params.model.continueFrom', /no tensor 'optim\/velocity_weights'/)
    await refused(await resumeWith({ noise: 'graph' }, { spec: { ...spec, noise: 'graph' } }), 'params.model.continueFrom', /noise: graph/)
    // The learning rate, momentum and weight decay may change.
    expect((await resumeWith({ learningRate: 0.02, momentum: 0.9, weightDecay: 0 }))().state.step).toBe(done!.info.trainState!.updates)
  }, 60_000)
})

describe('RBM resume in the app (models.train with continueFrom)', () => {
  const backend = withBackend('engram-rbm-resume-')
  const digits = { builtin: 'digits', count: 120 } as const
  const model = { kind: 'rbm', hidden: 19, epochs: 4, batchSize: 18, learningRate: 0.1, momentum: 0.5, persistent: true } as const

  it('continues a session model to more epochs and ends where one longer run ends; refuses an unknown model', async () => {
    const s = await backend.call('sessions.create', { name: 'resume' })
    const first = await trainKind(backend, { sessionId: s.id, dataset: digits, model, seed: 3 })
    const next = await trainKind(backend, { sessionId: s.id, dataset: digits, model: { ...model, epochs: 6, continueFrom: first.id }, seed: 3 })
    expect(next).toMatchObject({ continuedFrom: { id: first.id, epochs: 4 }, partial: false, name: expect.stringMatching(/continued to 6 epochs$/) })
    expect(next.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6])
    const whole = await trainKind(backend, { sessionId: s.id, dataset: digits, model: { ...model, epochs: 6 }, seed: 3 })
    const exported = async (id: string) => (await backend.call('models.export', { sessionId: s.id, modelId: id, format: 'safetensors' })).base64
    const [a, b] = await Promise.all([exported(next.id), exported(whole.id)])
    // The exports differ only in their metadata (the spec with continueFrom): compare the tensors' bytes.
    const tail = (b64: string) => {
      const buf = Buffer.from(b64, 'base64')
      return buf.subarray(8 + Number(buf.readBigUInt64LE(0)))
    }
    expect(tail(a).equals(tail(b))).toBe(true)
    await expect(backend.call('models.train', { sessionId: s.id, dataset: digits, model: { ...model, epochs: 6, continueFrom: 'nope' }, seed: 3 })).rejects.toThrow(
      /params\.model\.continueFrom: no model 'nope' in this session/
    )
    await expect(backend.call('models.train', { sessionId: s.id, dataset: digits, model: { ...model, epochs: 4, continueFrom: first.id }, seed: 3 })).rejects.toThrow(
      /params\.model\.epochs: must exceed the 4 epochs/
    )
  }, 180_000)
})

describe('RBM resume from a spec file (engram run, model.continueFrom: a result file)', () => {
  it('continues a result file to more epochs and ends where one longer run ends; a missing file or another seed is refused', async () => {
    const tmp = tempDir('engram-rbm-resume-cli-')
    try {
      const catalog = new DatasetCatalog(tmp.dir)
      const head = { version: 1, dataset: { builtin: 'digits', count: 90 } }
      const model = { kind: 'rbm', hidden: 11, epochs: 3, batchSize: 12, momentum: 0.5, k: 2 }
      const spec = (name: string, m: object, seed = 2) => rbmRunSpecSchema.parse({ ...head, name, seed, model: { ...model, ...m } })
      writeFileSync(join(tmp.dir, 'three.json'), JSON.stringify(await runRbmSpec(spec('three', {}), catalog)))
      const five = await runRbmSpec(spec('five', { epochs: 5, continueFrom: 'three.json' }), catalog, {}, tmp.dir)
      const whole = await runRbmSpec(spec('whole', { epochs: 5 }), catalog)
      expect(five.rbm.continuedFrom).toMatchObject({ id: 'three', epochs: 3 })
      expect(five.metrics.epochs).toBe(5)
      expect(five.model.stateDict).toEqual(whole.model.stateDict)
      await expect(runRbmSpec(spec('x', { epochs: 5, continueFrom: 'nothing.json' }), catalog, {}, tmp.dir)).rejects.toThrow(/^spec\.model\.continueFrom: result .*nothing\.json: cannot read/)
      await expect(runRbmSpec(spec('x', { epochs: 5, continueFrom: 'three.json' }, 3), catalog, {}, tmp.dir)).rejects.toThrow(/^spec\.seed: must stay 2/)
    } finally {
      tmp.cleanup()
    }
  }, 120_000)
})

describe('RBM resume: a session saved before Engram kept the training state', () => {
  it('opens, its RBM is usable, and continuing it is refused saying why', async () => {
    const tmp = tempDir('engram-rbm-resume-old-')
    try {
      const digits = { builtin: 'digits', count: 60 } as const
      const model = { kind: 'rbm', hidden: 9, epochs: 2, batchSize: 20 } as const
      const a = makeBackend(tmp.dir)
      const s = await a.call('sessions.create', { name: 'old' })
      const trained = await trainKind(a, { sessionId: s.id, dataset: digits, model, seed: 1 })
      await a.call('sessions.save', { id: s.id })
      await a.close()
      // What an older Engram wrote: the model without trainState, the weights without the optim/ tensors.
      const store = new SqliteSessionStore(join(tmp.dir, SESSIONS_DB))
      const saved = store.load(s.id)!
      const { trainState: _t, ...old } = saved.state.models[0] as RbmInfo
      saved.state.models[0] = old
      for (const name of [...saved.tensors.keys()]) if (name.includes('/optim/')) saved.tensors.delete(name)
      store.save(saved.state, saved.tensors)
      store.close()
      const b = makeBackend(tmp.dir)
      try {
        const state = await b.call('sessions.open', { id: s.id })
        expect(state.models[0]).toMatchObject({ id: trained.id, kind: 'rbm' })
        expect('trainState' in state.models[0]!).toBe(false)
        const filters = await b.call('models.view', { sessionId: s.id, modelId: trained.id, view: { kind: 'rbm.filters', offset: 0, limit: 9 } })
        expect(filters).toMatchObject({ kind: 'rbm.filters', hidden: 9 })
        await expect(b.call('models.train', { sessionId: s.id, dataset: digits, model: { ...model, epochs: 3, continueFrom: trained.id }, seed: 1 })).rejects.toThrow(
          /params\.model\.continueFrom: .* was saved without its training state .* so it cannot be continued/
        )
      } finally {
        await b.close()
      }
    } finally {
      tmp.cleanup()
    }
  }, 60_000)
})
