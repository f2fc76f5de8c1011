// `engram export` as a service: a saved session's Hopfield model by session name, errors that name what is missing,
// and a result file without a model.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeSafetensors } from '../../src/core/safetensors'
import { SESSIONS_DB } from '../../src/main/paths'
import { runExperiment } from '../../src/main/services/experiments'
import { exportResultFile, exportSessionModel } from '../../src/main/services/model-export'
import { SqliteSessionStore } from '../../src/main/services/store'
import { experimentSpecSchema } from '../../src/shared/spec'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { makeBackend, tempDir, trainKind } from '../helpers/backend'

const tmp = tempDir('engram-export-')
afterAll(() => tmp.cleanup())

describe('model export service', () => {
  it("exports a saved session's active Hopfield model, found by the session's name", async () => {
    const backend = makeBackend(tmp.dir)
    let units: number
    try {
      const s = await backend.call('sessions.create', { name: 'letters net' })
      const model = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 4 }, model: { kind: 'hopfield' }, seed: 1 })
      units = model.units
      await backend.call('sessions.save', { id: s.id })
    } finally {
      await backend.close()
    }
    const store = new SqliteSessionStore(join(tmp.dir, SESSIONS_DB))
    const datasets = new DatasetCatalog(tmp.dir)
    try {
      const out = exportSessionModel(store, datasets, 'letters net', undefined, 'safetensors')
      expect(out.description).toMatch(/^safetensors, Hopfield network '.+'$/)
      const dict = decodeSafetensors(out.bytes)
      expect(dict.tensors.weights!.shape).toEqual([units, units])
      expect(dict.metadata).toMatchObject({ kind: 'hopfield', rule: 'hebb', session: 'letters net', dataset: 'letters', patterns: '4' })
      expect(() => exportSessionModel(store, datasets, 'letters net', 'nosuch', 'onnx')).toThrow(/--model: session 'letters net' has no model 'nosuch'/)
      expect(() => exportSessionModel(store, datasets, 'other', undefined, 'onnx')).toThrow(/no saved session with id or name 'other'/)
    } finally {
      store.close()
    }
  })

  it('refuses a result file that holds no model (a capacity sweep)', async () => {
    const spec = experimentSpecSchema.parse({ name: 'cap', seed: 1, model: { kind: 'hopfield' }, sweep: { type: 'capacity', units: 16, patternCounts: [2], rules: ['hebb'], trials: 1, cuesPerPattern: 1 } })
    const path = join(tmp.dir, 'cap.result.json')
    writeFileSync(path, JSON.stringify(await runExperiment(spec, null)))
    expect(() => exportResultFile(path, 'onnx')).toThrow(/holds no model/)
  })
})
