// Sessions saved by Engram with schema v3 (parallel models / rbms / bams arrays, tensors under rbm/ and bam/) open
// in v4 (one models[] with kinds, tensors under models/<id>/, kept results by run kind). The fixture was written by
// the v3 code itself (commit 2b5950e, scripts/make-v3-session.ts there), not by hand.
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../../src/main/services/backend'
import { asView } from '../../src/shared/families'
import { keptResult, modelsOf } from '../../src/shared/session'
import { SqliteSessionStore } from '../../src/main/services/store'
import { makeBackend, runModel, tempDir } from '../helpers/backend'

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'sessions-v3.sqlite')
const SESSION = 'dd8c6aff-e7ea-409a-85ab-73d5caa9c0bb'

let tmp: ReturnType<typeof tempDir>
let backend: Backend

beforeAll(() => {
  tmp = tempDir('engram-v3-')
  copyFileSync(FIXTURE, join(tmp.dir, 'sessions.sqlite'))
  backend = makeBackend(tmp.dir)
})
afterAll(async () => {
  await backend.close()
  tmp.cleanup()
})

describe('a v3 session file', () => {
  it('opens as v4: every model with its kind, tensors under models/<id>/, the last recalls kept by run kind', async () => {
    const [row] = await backend.call('sessions.list', {})
    expect(row).toMatchObject({ id: SESSION, name: 'v3 fixture', models: 3 })
    const s = await backend.call('sessions.open', { id: SESSION })
    expect(s.schemaVersion).toBe(4)
    expect(s.models.map((m) => m.kind)).toEqual(['hopfield', 'rbm', 'bam'])
    const [hopfield] = modelsOf(s, 'hopfield')
    const [rbm] = modelsOf(s, 'rbm')
    const [bam] = modelsOf(s, 'bam')
    expect(hopfield).toMatchObject({ units: 100, patterns: 6, spec: { rule: 'hebb', normalisation: '1/N' } })
    expect(rbm).toMatchObject({ visible: 100, hidden: 8 })
    expect(rbm!.history).toHaveLength(2)
    expect(bam).toMatchObject({ xUnits: 15, yUnits: 2, labels: ['A', 'C'] })
    expect(s.activeModelId).toBe(hopfield!.id)
    expect(keptResult(s, 'recall.async')?.result.modelId).toBe(hopfield!.id)
    expect(keptResult(s, 'recall.batch')?.result.cues).toBe(18)
    expect(keptResult(s, 'bam.recall')?.result).toMatchObject({ cue: { x: null, y: [0, 1] }, spurious: true })
    expect(s.experiments).toHaveLength(1)
    expect(s.ui).toEqual({ workbench: { rule: 'hebb' } })

    // The renamed tensors are where every family's service looks for them: each model runs and exports.
    const recall = await runModel(backend, { sessionId: SESSION, modelId: hopfield!.id, run: { kind: 'recall.async', cue: keptResult(s, 'recall.async')!.result.initial, seed: 3 } })
    expect(recall.result.final).toEqual(keptResult(s, 'recall.async')!.result.final)
    const fields = asView(await backend.call('models.view', { sessionId: SESSION, modelId: rbm!.id, view: { kind: 'rbm.filters', limit: 8 } }), 'rbm.filters')
    expect(fields.filters).toHaveLength(8)
    const again = await runModel(backend, { sessionId: SESSION, modelId: bam!.id, run: { kind: 'bam.recall', y: [0, 1] } })
    expect(again.result).toEqual(keptResult(s, 'bam.recall')!.result)
    for (const [id, format] of [
      [hopfield!.id, 'onnx'],
      [rbm!.id, 'onnx'],
      [bam!.id, 'npz']
    ] as const) {
      const out = await backend.call('models.export', { sessionId: SESSION, modelId: id, format })
      expect(out.bytes).toBeGreaterThan(0)
    }
  })

  it('is written back as v4, tensors renamed, nothing lost', async () => {
    await backend.call('sessions.save', { id: SESSION })
    const db = new Database(join(tmp.dir, 'sessions.sqlite'), { readonly: true })
    try {
      const row = db.prepare('SELECT schema_version, models FROM sessions WHERE id = ?').get(SESSION) as { schema_version: number; models: number }
      expect(row).toEqual({ schema_version: 4, models: 3 })
      const stored = (db.prepare('SELECT name FROM tensors WHERE session_id = ?').all(SESSION) as { name: string }[]).map((r) => r.name)
      expect(stored).toHaveLength(7)
      expect(stored.every((n) => n.startsWith('models/'))).toBe(true)
    } finally {
      db.close()
    }
    const store = new SqliteSessionStore(join(tmp.dir, 'sessions.sqlite'))
    try {
      const loaded = store.load(SESSION)!
      expect(loaded.state.models.map((m) => m.kind)).toEqual(['hopfield', 'rbm', 'bam'])
      expect([...loaded.tensors.keys()].sort()).toEqual(v4TensorNames(loaded.state.models.map((m) => m.id)))
    } finally {
      store.close()
    }
  })

  it('from a newer Engram is refused with a message, and left as it is', async () => {
    const dir = tempDir('engram-v5-')
    try {
      const file = join(dir.dir, 'sessions.sqlite')
      copyFileSync(FIXTURE, file)
      const db = new Database(file)
      const state = JSON.parse((db.prepare('SELECT state_json FROM sessions WHERE id = ?').get(SESSION) as { state_json: string }).state_json) as Record<string, unknown>
      db.prepare('UPDATE sessions SET schema_version = 5, state_json = ? WHERE id = ?').run(JSON.stringify({ ...state, schemaVersion: 5 }), SESSION)
      db.close()
      const newer = makeBackend(dir.dir)
      try {
        await expect(newer.call('sessions.open', { id: SESSION })).rejects.toThrow(`session ${SESSION}: written by a newer Engram (schema 5; this version reads up to 4)`)
        expect(await newer.call('sessions.list', {})).toMatchObject([{ id: SESSION }])
      } finally {
        await newer.close()
      }
      const after = new Database(file, { readonly: true })
      expect((after.prepare('SELECT schema_version FROM sessions WHERE id = ?').get(SESSION) as { schema_version: number }).schema_version).toBe(5)
      after.close()
    } finally {
      dir.cleanup()
    }
  })
})

/** The tensor names a v3 fixture's three models have in v4. */
function v4TensorNames(ids: string[]): string[] {
  const [h, r, b] = ids
  return [`models/${h}/patterns`, `models/${h}/thresholds`, `models/${h}/weights`, `models/${r}/hidden_bias`, `models/${r}/visible_bias`, `models/${r}/weights`, `models/${b}/weights`].sort()
}
