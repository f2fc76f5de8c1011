// Saved sessions in SQLite (better-sqlite3, WAL): state as JSON, tensors as blobs, one transaction per save.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { tensorFromBytes, type NamedTensor, type DType } from '../../core/safetensors'
import { DTYPES, STATE_DICT_DTYPES } from '../../shared/dtypes'
import { SESSION_SCHEMA_VERSION, sessionStateSchema, type SessionModel, type SessionState } from '../../shared/session'
import { describeZodError } from '../../shared/api'

/** The storage seam: SQLite today; node:sqlite could replace it with the same SQL. */
export interface SessionStore {
  list(): StoredSessionRow[]
  load(id: string): { state: SessionState; tensors: Map<string, NamedTensor> } | null
  /** Atomic: either the whole session (state and every tensor) is written, or the previous version stays. */
  save(state: SessionState, tensors: Map<string, NamedTensor>): void
  delete(id: string): boolean
  /** Renames the saved copy in place (its name and the name inside its state); false when it was never saved. */
  rename(id: string, name: string): boolean
  /**
   * Training checkpoints (one per job, replaced atomically by the next): what a crash of the app leaves of a training.
   * Optional: a store without them loses a running training with the process.
   */
  saveCheckpoint?(checkpoint: StoredCheckpoint): void
  checkpoints?(sessionId?: string): StoredCheckpoint[]
  deleteCheckpoint?(jobId: string): void
  close(): void
}

/** A training's last checkpoint: its job, its session (id and name, for a session never saved) and the model so far. */
export interface StoredCheckpoint {
  jobId: string
  sessionId: string
  sessionName: string
  createdAt: string
  model: SessionModel
  tensors: Map<string, NamedTensor>
}

export interface StoredSessionRow {
  id: string
  name: string
  createdAt: string
  updatedAt: string
  models: number
}

const STORE_FORMAT = 1

function tensorBytes(t: NamedTensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)
}

function tensorFromBlob(dtype: DType, shape: number[], blob: Buffer, name: string): NamedTensor {
  if (!STATE_DICT_DTYPES.includes(dtype)) throw new Error(`tensor '${name}': unknown dtype '${String(dtype)}' in the store`)
  const expected = shape.reduce((a, b) => a * b, 1) * DTYPES[dtype].bytes
  if (blob.byteLength !== expected) throw new Error(`tensor '${name}': ${blob.byteLength} bytes stored, ${expected} expected for ${dtype}${JSON.stringify(shape)}`)
  // tensorFromBytes copies: the blob's buffer may be shared and unaligned.
  return { dtype, shape, data: tensorFromBytes(dtype, blob) } as NamedTensor
}

/** Migrations from older session schema versions, applied in order on load (key: the version migrated from). */
const MIGRATIONS: Record<number, (state: Record<string, unknown>) => Record<string, unknown>> = {
  // v2 added the experiments list.
  1: (state) => ({ ...state, experiments: [] }),
  // v3 added trained RBMs and BAMs.
  2: (state) => ({ ...state, rbms: [], bams: [], bamRecall: null }),
  // v4: one models[] with each model's kind (the family registry), and the last recall results kept by run kind.
  3: (state) => {
    const { rbms, bams, asyncRecall, batchRecall, bamRecall, models, ...rest } = state
    const tag = (list: unknown[], kind: string): unknown[] => list.map((m) => ({ kind, ...(m as Record<string, unknown>) }))
    const results: Record<string, unknown> = {}
    if (asyncRecall) results['recall.async'] = { kind: 'recall.async', result: asyncRecall }
    if (batchRecall) results['recall.batch'] = { kind: 'recall.batch', result: batchRecall }
    if (bamRecall) results['bam.recall'] = { kind: 'bam.recall', result: bamRecall }
    // A damaged list stays as it is, so validation names it instead of the migration dropping it.
    const lists = Array.isArray(models) && Array.isArray(rbms) && Array.isArray(bams)
    return { ...rest, models: lists ? [...tag(models, 'hopfield'), ...tag(rbms, 'rbm'), ...tag(bams, 'bam')] : models, results }
  }
}

/** Tensor renames that go with the migrations (key: the version migrated from): v3 kept RBMs under rbm/, BAMs under bam/. */
const TENSOR_MIGRATIONS: Record<number, (name: string) => string> = {
  3: (name) => name.replace(/^(rbm|bam)\//, 'models/')
}

/** A stored tensor's name in the current schema, for a session stored at `version`. */
export function migrateTensorName(name: string, version: number): string {
  let out = name
  for (let v = version; v < SESSION_SCHEMA_VERSION; v++) out = TENSOR_MIGRATIONS[v]?.(out) ?? out
  return out
}

export function migrateSessionState(raw: unknown, id: string): SessionState {
  if (typeof raw !== 'object' || raw === null) throw new Error(`session ${id}: stored state is not an object`)
  let state = raw as Record<string, unknown>
  let version = state.schemaVersion
  if (typeof version !== 'number' || !Number.isInteger(version)) throw new Error(`session ${id}: schemaVersion is missing`)
  if (version > SESSION_SCHEMA_VERSION) {
    throw new Error(`session ${id}: written by a newer Engram (schema ${version}; this version reads up to ${SESSION_SCHEMA_VERSION})`)
  }
  while (version < SESSION_SCHEMA_VERSION) {
    const step = MIGRATIONS[version]
    if (!step) throw new Error(`session ${id}: no migration from schema ${version}`)
    state = step(state)
    version += 1
    state.schemaVersion = version
  }
  const parsed = sessionStateSchema.safeParse(state)
  if (!parsed.success) throw new Error(`session ${id}: stored state is invalid: ${describeZodError(parsed.error).message}`)
  return parsed.data
}

export class SqliteSessionStore implements SessionStore {
  private readonly db: Database.Database

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    this.db.pragma('foreign_keys = ON')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        models INTEGER NOT NULL,
        state_json TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS tensors (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        dtype TEXT NOT NULL,
        shape_json TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (session_id, name)
      );
      CREATE TABLE IF NOT EXISTS checkpoints (
        job_id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        session_name TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        model_json TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS checkpoint_tensors (
        job_id TEXT NOT NULL REFERENCES checkpoints(job_id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        dtype TEXT NOT NULL,
        shape_json TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (job_id, name)
      );
    `)
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('store_format') as { value: string } | undefined
    if (!row) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('store_format', String(STORE_FORMAT))
    else if (Number(row.value) > STORE_FORMAT) {
      this.db.close()
      throw new Error(`${file}: store format ${row.value} is newer than this Engram understands (${STORE_FORMAT})`)
    }
  }

  list(): StoredSessionRow[] {
    const rows = this.db
      .prepare('SELECT id, name, created_at, updated_at, models FROM sessions ORDER BY updated_at DESC')
      .all() as { id: string; name: string; created_at: string; updated_at: string; models: number }[]
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at, models: r.models }))
  }

  load(id: string): { state: SessionState; tensors: Map<string, NamedTensor> } | null {
    const row = this.db.prepare('SELECT state_json, schema_version FROM sessions WHERE id = ?').get(id) as { state_json: string; schema_version: number } | undefined
    if (!row) return null
    const state = migrateSessionState(JSON.parse(row.state_json), id)
    const tensors = new Map<string, NamedTensor>()
    const rows = this.db.prepare('SELECT name, dtype, shape_json, data FROM tensors WHERE session_id = ?').all(id) as {
      name: string
      dtype: DType
      shape_json: string
      data: Buffer
    }[]
    for (const t of rows) tensors.set(migrateTensorName(t.name, row.schema_version), tensorFromBlob(t.dtype, JSON.parse(t.shape_json) as number[], t.data, t.name))
    return { state, tensors }
  }

  save(state: SessionState, tensors: Map<string, NamedTensor>): void {
    const write = this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO sessions (id, name, schema_version, created_at, updated_at, models, state_json)
           VALUES (@id, @name, @schema_version, @created_at, @updated_at, @models, @state_json)
           ON CONFLICT(id) DO UPDATE SET name = excluded.name, schema_version = excluded.schema_version,
             updated_at = excluded.updated_at, models = excluded.models, state_json = excluded.state_json`
        )
        .run({
          id: state.id,
          name: state.name,
          schema_version: state.schemaVersion,
          created_at: state.createdAt,
          updated_at: state.updatedAt,
          models: state.models.length,
          state_json: JSON.stringify(state)
        })
      this.db.prepare('DELETE FROM tensors WHERE session_id = ?').run(state.id)
      const insert = this.db.prepare('INSERT INTO tensors (session_id, name, dtype, shape_json, data) VALUES (?, ?, ?, ?, ?)')
      for (const [name, t] of tensors) insert.run(state.id, name, t.dtype, JSON.stringify(t.shape), tensorBytes(t))
    })
    write()
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id).changes > 0
  }

  rename(id: string, name: string): boolean {
    const write = this.db.transaction(() => {
      const row = this.db.prepare('SELECT state_json FROM sessions WHERE id = ?').get(id) as { state_json: string } | undefined
      if (!row) return false
      const state = JSON.parse(row.state_json) as Record<string, unknown>
      state.name = name
      this.db.prepare('UPDATE sessions SET name = ?, state_json = ? WHERE id = ?').run(name, JSON.stringify(state), id)
      return true
    })
    return write()
  }

  /** Replaces the job's checkpoint in one transaction: a kill mid-write leaves the previous checkpoint whole. */
  saveCheckpoint(c: StoredCheckpoint): void {
    const write = this.db.transaction(() => {
      this.db.prepare('DELETE FROM checkpoints WHERE job_id = ?').run(c.jobId)
      this.db
        .prepare('INSERT INTO checkpoints (job_id, session_id, session_name, schema_version, created_at, model_json) VALUES (?, ?, ?, ?, ?, ?)')
        .run(c.jobId, c.sessionId, c.sessionName, SESSION_SCHEMA_VERSION, c.createdAt, JSON.stringify(c.model))
      const insert = this.db.prepare('INSERT INTO checkpoint_tensors (job_id, name, dtype, shape_json, data) VALUES (?, ?, ?, ?, ?)')
      for (const [name, t] of c.tensors) insert.run(c.jobId, name, t.dtype, JSON.stringify(t.shape), tensorBytes(t))
    })
    write()
  }

  /** The stored checkpoints (of one session, or all), oldest first; one from another session schema is skipped, not misread. */
  checkpoints(sessionId?: string): StoredCheckpoint[] {
    const rows = (
      sessionId === undefined
        ? this.db.prepare('SELECT * FROM checkpoints ORDER BY created_at').all()
        : this.db.prepare('SELECT * FROM checkpoints WHERE session_id = ? ORDER BY created_at').all(sessionId)
    ) as { job_id: string; session_id: string; session_name: string; schema_version: number; created_at: string; model_json: string }[]
    const tensorRows = this.db.prepare('SELECT name, dtype, shape_json, data FROM checkpoint_tensors WHERE job_id = ?')
    return rows
      .filter((r) => r.schema_version === SESSION_SCHEMA_VERSION)
      .map((r) => {
        const tensors = new Map<string, NamedTensor>()
        for (const t of tensorRows.all(r.job_id) as { name: string; dtype: DType; shape_json: string; data: Buffer }[]) {
          tensors.set(t.name, tensorFromBlob(t.dtype, JSON.parse(t.shape_json) as number[], t.data, t.name))
        }
        return { jobId: r.job_id, sessionId: r.session_id, sessionName: r.session_name, createdAt: r.created_at, model: JSON.parse(r.model_json) as SessionModel, tensors }
      })
  }

  deleteCheckpoint(jobId: string): void {
    this.db.prepare('DELETE FROM checkpoints WHERE job_id = ?').run(jobId)
  }

  close(): void {
    this.db.close()
  }
}
