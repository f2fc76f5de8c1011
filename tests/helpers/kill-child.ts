// Child process for the kill loops (tests/main/kill-loops.test.ts). It does one piece of work the parent kills with
// SIGKILL, and proves where the kill lands: it stops itself at a named point (inside an import's write, inside a
// checkpoint's transaction) and says so on stdout with a synchronous write before blocking, or it reports the
// training's progress and checkpoints as they happen, so the parent kills at a seeded step of a running training.
//
//   kill-child.ts dataset DATA_DIR STAGE      STAGE: images-part | labels | meta | rename
//   kill-child.ts text DATA_DIR STAGE         STAGE: tmp-part | rename
//   kill-child.ts train DATA_DIR FAMILY STOP  FAMILY: rbm | recurrent; STOP: 'none' or 'checkpoint:M:N' (block inside the
//                                             M-th checkpoint's transaction after N tensors)
import fs, { writeSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { join } from 'node:path'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { TextCatalog } from '../../src/main/services/texts'
import { SqliteSessionStore, type StoredCheckpoint } from '../../src/main/services/store'
import { SESSIONS_DB } from '../../src/main/paths'
import type { NamedTensor } from '../../src/core/safetensors'
import type { SessionModel } from '../../src/shared/session'
import { KILL_RBM, KILL_RNN, killDataset, killText } from './kill-fixtures'

const [mode, dataDir, ...rest] = process.argv.slice(2) as [string, string, ...string[]]
const say = (line: string): void => void writeSync(1, `${line}\n`)
const block = (): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)

/** Replaces fs.NAME (and its ESM named export) by a version that runs `stop` on the matching call before the real one. */
function stopAt<K extends 'writeFileSync' | 'renameSync'>(name: K, matches: (target: string) => boolean, stop: (args: Parameters<(typeof fs)[K]>) => void): void {
  const real = fs[name] as (...args: unknown[]) => unknown
  ;(fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    if (matches(String(args[0]))) stop(args as Parameters<(typeof fs)[K]>)
    return real(...args)
  }
  syncBuiltinESMExports()
}

/** Writes the first half of a file's bytes (flushed), says so, and blocks: the kill lands with the file half written. */
function halfWrite(stage: string) {
  return ([path, bytes]: unknown[]): void => {
    const data = bytes as Uint8Array
    const fd = fs.openSync(String(path), 'w')
    fs.writeSync(fd, data, 0, data.byteLength >> 1)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    say(`inside ${stage} ${String(path)} ${data.byteLength >> 1}`)
    block()
  }
}
const stopHere = (stage: string) => (args: unknown[]): void => {
  say(`inside ${stage} ${String(args[0])}`)
  block()
}

const steps = (m: SessionModel): number => ('stepsDone' in m ? m.stepsDone : 'history' in m ? m.history.length : -1)

/** A store that reports each checkpoint before and after its transaction, and can stop inside one. */
class ReportingStore extends SqliteSessionStore {
  private count = 0
  constructor(file: string, private readonly stop: { at: number; after: number } | null) {
    super(file)
  }
  override saveCheckpoint(c: StoredCheckpoint): void {
    this.count++
    say(`checkpoint-begin ${this.count} ${steps(c.model)} ${'partial' in c.model && c.model.partial ? 'partial' : 'final'}`)
    if (this.stop?.at === this.count) {
      const { after } = this.stop
      // The save walks the tensors inside its transaction: block between two inserts.
      const stopping = new (class extends Map<string, NamedTensor> {
        override *[Symbol.iterator](): MapIterator<[string, NamedTensor]> {
          let given = 0
          for (const entry of super.entries()) {
            if (given++ === after) {
              say(`inside checkpoint ${this.size}`)
              block()
            }
            yield entry
          }
        }
      })(c.tensors)
      super.saveCheckpoint({ ...c, tensors: stopping })
    } else super.saveCheckpoint(c)
    say(`checkpoint ${this.count} ${steps(c.model)}`)
  }
}

async function main(): Promise<void> {
  if (mode === 'dataset') {
    // The catalog the backend's datasets.import calls (after decoding its base64), without the rest of the app.
    const catalog = new DatasetCatalog(dataDir)
    const stage = rest[0]!
    const inImport = (p: string): boolean => p.includes(`${join('datasets', '.import-')}`)
    if (stage === 'images-part') stopAt('writeFileSync', (p) => inImport(p) && p.endsWith('images.idx'), halfWrite(stage))
    else if (stage === 'labels') stopAt('writeFileSync', (p) => inImport(p) && p.endsWith('labels.idx'), stopHere(stage))
    else if (stage === 'meta') stopAt('writeFileSync', (p) => inImport(p) && p.endsWith('dataset.json'), stopHere(stage))
    else stopAt('renameSync', inImport, stopHere(stage))
    const after = killDataset('after')
    catalog.import('after', after.images, after.labels)
    say('imported')
  } else if (mode === 'text') {
    const texts = new TextCatalog(dataDir)
    const stage = rest[0]!
    const isTmp = (p: string): boolean => p.includes(join('texts', 'notes.txt.')) && p.endsWith('.tmp')
    if (stage === 'tmp-part') stopAt('writeFileSync', isTmp, halfWrite(stage))
    else stopAt('renameSync', isTmp, stopHere(stage))
    texts.import('notes', new TextEncoder().encode(killText('version 2')), 'params')
    say('imported')
  } else if (mode === 'train') {
    const [family, stopSpec] = rest as [string, string]
    const [, at, after] = stopSpec.split(':')
    // Loaded here: the import trials start faster without the rest of the app.
    const { Backend } = await import('../../src/main/services/backend')
    const { sourceWorker } = await import('./worker-entry')
    const store = new ReportingStore(join(dataDir, SESSIONS_DB), stopSpec === 'none' ? null : { at: Number(at), after: Number(after) })
    const backend = new Backend({ dataDir, transport: 'websocket', worker: sourceWorker(), provider: 'cpu', store })
    const session = (await backend.call('sessions.list', {})).find((s) => s.name === 'kill trial')!
    await backend.call('sessions.open', { id: session.id })
    const params = family === 'rbm' ? KILL_RBM : KILL_RNN
    const { jobId } = await backend.call('models.train', { sessionId: session.id, ...params } as never)
    backend.on('job.progress', (p) => {
      if (p.jobId === jobId && p.metrics) say(`progress ${family === 'rbm' ? p.metrics.epoch : p.metrics.step}`)
    })
    backend.on('job.done', () => say('done'))
    backend.on('job.failed', (p) => say(`failed ${p.error}`))
    say('training')
  } else throw new Error(`kill-child: unknown mode ${mode}`)
}

main().catch((error: unknown) => {
  say(`error ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
