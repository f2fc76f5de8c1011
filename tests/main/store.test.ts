// Saved sessions are crash-safe: a SIGKILL in the middle of a save leaves the previous version behind, whole.
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { SqliteSessionStore } from '../../src/main/services/store'
import { tempDir } from '../helpers/backend'

const root = join(import.meta.dirname, '..', '..')

describe('session store', () => {
  it('survives kill -9 inside a save transaction: the previous version loads whole', async () => {
    const tmp = tempDir('engram-crash-')
    try {
      const file = join(tmp.dir, 'sessions.sqlite')
      // The child saves version 1, then blocks inside version 2's transaction after 20 of its 40 tensors (4 MiB each).
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'tests', 'helpers', 'save-child.ts'), file, '20'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += String(d)
          if (out.includes('inside-save 20')) resolve()
        })
        child.on('exit', () => reject(new Error(`save child exited before the save: ${out}`)))
      })
      expect(out).toContain('saved-1')
      const exited = new Promise((r) => child.on('exit', r))
      child.kill('SIGKILL')
      await exited
      // The half-written transaction reached the disk (WAL frames without a commit: most of the 20 tensors' 80 MiB,
      // the rest still in the page cache), so recovery has uncommitted work to throw away.
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(10 * 4 * 1024 * 1024)
      const store = new SqliteSessionStore(file)
      const loaded = store.load('crash')
      store.close()
      expect(loaded?.state.name).toBe('version 1')
      expect([...loaded!.tensors.keys()]).toEqual(['w'])
      expect(Array.from(loaded!.tensors.get('w')!.data)).toEqual([1, 2])
    } finally {
      tmp.cleanup()
    }
  })

  it('refuses a store written by a newer Engram instead of misreading it', () => {
    const tmp = tempDir('engram-format-')
    try {
      const file = join(tmp.dir, 'sessions.sqlite')
      const store = new SqliteSessionStore(file)
      store.close()
      // Simulate a future store format.
      const raw = new SqliteSessionStore(file) as unknown as { db: { prepare: (s: string) => { run: (...a: unknown[]) => void }; close: () => void } }
      raw.db.prepare("UPDATE meta SET value = '99' WHERE key = 'store_format'").run()
      raw.db.close()
      expect(() => new SqliteSessionStore(file)).toThrow(/store format 99 is newer/)
    } finally {
      tmp.cleanup()
    }
  })
})
