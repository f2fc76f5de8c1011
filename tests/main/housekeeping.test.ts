// Housekeeping through the API: sessions renamed (the saved copy at once) and deleted, empty unsaved sessions kept
// out of the Open list, experiments renamed and deleted, imported datasets deleted (built-ins refused); every result
// checked against the contract's schemas, every bad call refused with the field named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { encodeIdx } from '../../src/core/data/idx'
import { methods } from '../../src/shared/api'
import type { Backend } from '../../src/main/services/backend'
import { SqliteSessionStore } from '../../src/main/services/store'
import { jobOutcome, makeBackend, tempDir, trainModel } from '../helpers/backend'

let tmp: ReturnType<typeof tempDir>
let backend: Backend

beforeAll(() => {
  tmp = tempDir('engram-housekeeping-')
  backend = makeBackend(tmp.dir)
})
afterAll(async () => {
  await backend.close()
  tmp.cleanup()
})

const ids = async (): Promise<string[]> => (await backend.call('sessions.list', {})).map((r) => r.id)

describe('sessions', () => {
  it('keeps an empty session that was never saved out of the Open list, and lists it once it holds work or is saved', async () => {
    const empty = await backend.call('sessions.create', { name: 'nothing yet' })
    expect(await ids()).not.toContain(empty.id)
    const worked = await backend.call('sessions.create', { name: 'with a model' })
    await trainModel(backend, { sessionId: worked.id, dataset: { builtin: 'letters', select: [0, 1] }, model: { kind: 'hopfield' } })
    expect(await ids()).toContain(worked.id)
    await backend.call('sessions.save', { id: empty.id })
    expect(await ids()).toContain(empty.id)
  })

  it('renames the saved copy at once, without other unsaved changes going with it', async () => {
    const s = await backend.call('sessions.create', { name: 'before' })
    await backend.call('sessions.save', { id: s.id })
    await trainModel(backend, { sessionId: s.id, dataset: { builtin: 'letters', select: [0, 1] }, model: { kind: 'hopfield' } })
    const row = await backend.call('sessions.rename', { id: s.id, name: '  after  ' })
    expect(methods['sessions.rename'].result.parse(row)).toMatchObject({ id: s.id, name: 'after', dirty: true, models: 1 })
    expect((await backend.call('sessions.open', { id: s.id })).name).toBe('after')
    const store = new SqliteSessionStore(join(tmp.dir, 'sessions.sqlite'))
    try {
      const saved = store.load(s.id)
      expect(saved?.state.name).toBe('after')
      expect(saved?.state.models).toHaveLength(0)
      expect(store.list().find((r) => r.id === s.id)?.name).toBe('after')
    } finally {
      store.close()
    }
    await expect(backend.call('sessions.rename', { id: s.id, name: '   ' })).rejects.toMatchObject({ code: 'bad-request', field: 'params.name' })
    await expect(backend.call('sessions.rename', { id: 'nope', name: 'x' })).rejects.toMatchObject({ code: 'not-found', field: 'params.id' })
  })

  it('deletes the saved and the open copy, and cancels the jobs of the deleted session', async () => {
    const s = await backend.call('sessions.create', { name: 'doomed' })
    await trainModel(backend, { sessionId: s.id, dataset: { builtin: 'letters', select: [0, 1] }, model: { kind: 'hopfield' } })
    await backend.call('sessions.save', { id: s.id })
    const { jobId } = await backend.call('jobs.start', {
      sessionId: s.id,
      spec: { kind: 'experiment', spec: { seed: 1, model: { kind: 'hopfield' }, sweep: { type: 'capacity', units: 400, patternCounts: [10, 20, 30, 40, 50, 60], rules: ['hebb', 'storkey'], trials: 50 } } }
    })
    const outcome = jobOutcome(backend, jobId).catch((e: unknown) => e)
    expect(await backend.call('sessions.delete', { id: s.id })).toEqual({ deleted: true })
    await outcome
    // Cancelled (or finished first): either way nothing of it is left running, and its result did not bring the session back.
    expect(await backend.call('jobs.list', { sessionId: s.id })).toEqual([])
    expect(await ids()).not.toContain(s.id)
    await expect(backend.call('sessions.open', { id: s.id })).rejects.toMatchObject({ code: 'not-found' })
    expect(await backend.call('sessions.delete', { id: s.id })).toEqual({ deleted: false })
  })
})

describe('experiments', () => {
  it('renames and deletes an experiment of the history', async () => {
    const s = await backend.call('sessions.create', { name: 'experiments' })
    const { jobId } = await backend.call('jobs.start', {
      sessionId: s.id,
      spec: { kind: 'experiment', spec: { seed: 1, model: { kind: 'hopfield' }, sweep: { type: 'capacity', units: 20, patternCounts: [1, 2], rules: ['hebb'], trials: 1 } } }
    })
    await jobOutcome(backend, jobId)
    const [record] = (await backend.call('sessions.open', { id: s.id })).experiments
    if (!record) throw new Error('no experiment landed')
    const renamed = methods['experiments.rename'].result.parse(await backend.call('experiments.rename', { sessionId: s.id, experimentId: record.id, name: 'capacity, small' }))
    expect(renamed.experiments[0]?.name).toBe('capacity, small')
    await expect(backend.call('experiments.rename', { sessionId: s.id, experimentId: 'nope', name: 'x' })).rejects.toMatchObject({ code: 'not-found', field: 'params.experimentId' })
    const after = await backend.call('experiments.delete', { sessionId: s.id, experimentId: record.id })
    expect(after.experiments).toHaveLength(0)
    await expect(backend.call('experiments.delete', { sessionId: s.id, experimentId: record.id })).rejects.toMatchObject({ code: 'not-found' })
  })
})

describe('datasets', () => {
  it('deletes an imported dataset and refuses built-ins and unknown ids', async () => {
    const images = encodeIdx({ dtype: 'uint8', dims: [3, 2, 2], data: Uint8Array.from({ length: 12 }, (_, i) => (i % 2) * 255) })
    await backend.call('datasets.import', { name: 'junk', images: Buffer.from(images).toString('base64') })
    expect((await backend.call('datasets.list', {})).map((d) => d.id)).toContain('user:junk')
    expect(await backend.call('datasets.delete', { id: 'user:junk' })).toEqual({ deleted: true })
    expect((await backend.call('datasets.list', {})).map((d) => d.id)).not.toContain('user:junk')
    expect(readdirSync(join(tmp.dir, 'datasets'))).toEqual([])
    expect(existsSync(join(tmp.dir, 'datasets', 'junk'))).toBe(false)
    await expect(backend.call('datasets.delete', { id: 'letters' })).rejects.toMatchObject({ code: 'bad-request', field: 'params.id' })
    await expect(backend.call('datasets.delete', { id: 'user:junk' })).rejects.toMatchObject({ code: 'not-found', field: 'params.id' })
  })
})
