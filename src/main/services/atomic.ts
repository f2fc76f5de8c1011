// Crash-safe file writes (exports, imported texts, result files): a temporary file beside the target, flushed, renamed.
import { randomUUID } from 'node:crypto'
import { renameSync, writeFileSync } from 'node:fs'

/** Writes a file so that a crash leaves either the old file or the new one, never half of it. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`
  writeFileSync(tmp, bytes, { flush: true })
  renameSync(tmp, path)
}
