// Child process for the crash-safety test: saves version 1 of a session, then starts saving version 2 with large
// tensors and stops inside that save's transaction: after `stopAfter` tensors (argv[3]) have gone to SQLite it
// prints "inside-save N" and blocks, so the parent's SIGKILL provably lands mid-transaction. argv[4]: floats per
// tensor (default 1 Mi: 4 MiB each).
import { writeSync } from 'node:fs'
import { SqliteSessionStore } from '../../src/main/services/store'
import { emptySessionState, type SessionState } from '../../src/shared/session'
import type { NamedTensor } from '../../src/core/safetensors'

const file = process.argv[2]!
const stopAfter = Number(process.argv[3] ?? 20)
const floats = Number(process.argv[4] ?? 1024 * 1024)
const store = new SqliteSessionStore(file)
const state = (name: string): SessionState => ({ ...emptySessionState('crash', name, '2026-11-22T00:00:00.000Z'), updatedAt: new Date().toISOString() })
const small = new Map<string, NamedTensor>([['w', { dtype: 'float32', shape: [2], data: Float32Array.from([1, 2]) }]])
store.save(state('version 1'), small)
process.stdout.write('saved-1\n')

/** The save walks its tensors with this iterator, inside the transaction: the hook runs between two inserts. */
class StoppingMap extends Map<string, NamedTensor> {
  override *[Symbol.iterator](): MapIterator<[string, NamedTensor]> {
    let given = 0
    for (const entry of super.entries()) {
      if (given === stopAfter) {
        // Synchronous write: the marker must be out before the block (process.stdout may buffer on a pipe).
        writeSync(1, `inside-save ${given}\n`)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
      }
      given++
      yield entry
    }
  }
}
const big = new StoppingMap()
for (let k = 0; k < 40; k++) big.set(`t${k}`, { dtype: 'float32', shape: [floats], data: new Float32Array(floats).fill(k) })
store.save(state('version 2'), big)
process.stdout.write('saved-2\n')
