// Child process for the crash-safety test: saves version 1 of a session, then saves version 2 with large
// tensors over and over; the parent SIGKILLs it mid-save.
import { SqliteSessionStore } from '../../src/main/services/store'
import { emptySessionState, type SessionState } from '../../src/shared/session'
import type { NamedTensor } from '../../src/core/safetensors'

const file = process.argv[2]!
const store = new SqliteSessionStore(file)
const state = (name: string): SessionState => ({ ...emptySessionState('crash', name, '2026-11-22T00:00:00.000Z'), updatedAt: new Date().toISOString() })
const small = new Map<string, NamedTensor>([['w', { dtype: 'float32', shape: [2], data: Float32Array.from([1, 2]) }]])
store.save(state('version 1'), small)
process.stdout.write('saved-1\n')
const big = new Map<string, NamedTensor>()
for (let k = 0; k < 40; k++) big.set(`t${k}`, { dtype: 'float32', shape: [1024, 1024], data: new Float32Array(1024 * 1024).fill(k) })
for (let round = 2; ; round++) {
  store.save(state(`version ${round}`), big)
}
