// Crash-safe file writes (exports, imported texts, result files): a temporary file beside the target, flushed, renamed.
import { randomUUID } from 'node:crypto'
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Writes a file so that a crash leaves either the old file or the new one, never half of it. */
export function writeFileAtomic(path: string, bytes: Uint8Array, mode?: number): void {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`
  writeFileSync(tmp, bytes, { flush: true, ...(mode !== undefined ? { mode } : {}) })
  renameSync(tmp, path)
}

/** Whether the process that wrote a temporary file (its pid in the name) is gone: a kill or crash left the file. */
export function writerGone(pid: number): boolean {
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/** Removes what killed writers left in a folder: the entries `pidOf` finds a pid in, whose process no longer runs. */
export function removeLeftovers(dir: string, pidOf: (name: string) => number | null): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const pid = pidOf(name)
    if (pid !== null && writerGone(pid)) rmSync(join(dir, name), { recursive: true, force: true })
  }
}

/** The pid in a writeFileAtomic temporary name (`<file>.<pid>.<8 hex>.tmp`), or null. */
export function atomicTempPid(name: string): number | null {
  const m = /\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name)
  return m ? Number(m[1]) : null
}
