// Saved sessions are crash-safe: a SIGKILL in the middle of a save leaves a complete version behind.
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { SqliteSessionStore } from '../../src/main/services/store'
import { tempDir } from '../helpers/backend'

const root = join(import.meta.dirname, '..', '..')

describe('session store', () => {
  it('survives kill -9 during a save: the session loads whole, old or new, never mixed', async () => {
    const tmp = tempDir('engram-crash-')
    try {
      const file = join(tmp.dir, 'sessions.sqlite')
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'tests', 'helpers', 'save-child.ts'), file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
      await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => String(d).includes('saved-1') && resolve()))
      // Let it get well into writing 160 MB of tensors, then kill it without warning.
      await new Promise((r) => setTimeout(r, 700))
      child.kill('SIGKILL')
      await new Promise((r) => child.on('exit', r))
      const store = new SqliteSessionStore(file)
      const loaded = store.load('crash')!
      store.close()
      expect(loaded).not.toBeNull()
      const name = loaded.state.name
      expect(name).toMatch(/^version \d+$/)
      if (name === 'version 1') {
        expect([...loaded.tensors.keys()]).toEqual(['w'])
        expect(Array.from(loaded.tensors.get('w')!.data)).toEqual([1, 2])
      } else {
        expect(loaded.tensors.size).toBe(40)
        for (let k = 0; k < 40; k++) {
          const t = loaded.tensors.get(`t${k}`)!.data as Float32Array
          expect(t.length).toBe(1024 * 1024)
          expect(t[0]).toBe(k)
          expect(t[t.length - 1]).toBe(k)
        }
      }
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
