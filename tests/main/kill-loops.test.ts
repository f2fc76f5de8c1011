// Kill loops (issue 11): seeded trials that SIGKILL a child process in the middle of a session save, a dataset import,
// a text import and a training (an RBM's and a recurrent network's), and then check what is on disk. Each kill is
// proven to land mid-work, not after a fixed delay: the child stops itself at the named point and says so (inside a
// save's or a checkpoint's transaction, inside an import's writes), or the parent kills it at a seeded step of a
// running training it follows line by line (and checks afterwards that the training had not finished).
// After each kill: the store opens, the previous version is intact, nothing half-written is visible, and a training
// is back from its last checkpoint, exactly (its tensors equal those of an uninterrupted run at that step); it
// resumes from it (an RBM's and a recurrent network's alike) and ends where the uninterrupted run ends.
// ENGRAM_KILL_TRIALS sets the trials per kind (default: 4 saves, 4 dataset imports (one per stage), 2 text imports
// (one per stage), 2 trainings of each family (one killed mid-training, one inside a checkpoint)); the figures are
// printed at the end. A trial costs a child process (about 2 s to start on a loaded 2-core machine).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Rng } from '../../src/core/rng'
import { decodeSafetensors, type NamedTensor } from '../../src/core/safetensors'
import { Backend } from '../../src/main/services/backend'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { SqliteSessionStore, type StoredCheckpoint } from '../../src/main/services/store'
import { TextCatalog } from '../../src/main/services/texts'
import { SESSIONS_DB } from '../../src/main/paths'
import type { SessionModel } from '../../src/shared/session'
import { jobOutcome, makeBackend, tempDir, trainKind } from '../helpers/backend'
import { sourceWorker } from '../helpers/worker-entry'
import { KILL_RBM, KILL_RNN, killDataset, killText } from '../helpers/kill-fixtures'

const root = join(import.meta.dirname, '..', '..')
const TRIALS = Number(process.env.ENGRAM_KILL_TRIALS ?? 4)
const SHORT_TRIALS = Number(process.env.ENGRAM_KILL_TRIALS ?? 2)
const tally: Record<string, { trials: number; kills: number; survived: number; lost: number; points: string[] }> = {}
const count = (kind: string) => (tally[kind] ??= { trials: 0, kills: 0, survived: 0, lost: 0, points: [] })

afterAll(() => {
  for (const [kind, t] of Object.entries(tally)) {
    console.log(`kill loop ${kind}: ${t.trials} trials, ${t.kills} kills landed mid-work, ${t.survived} survived, data lost ${t.lost} (${t.points.join('; ')})`)
  }
})

/** A child running tests/helpers/kill-child.ts (or save-child.ts), its stdout kept line by line. */
function child(script: string, args: string[]): { proc: ChildProcess; lines: string[]; line: (match: RegExp) => Promise<RegExpMatchArray>; kill: () => Promise<void> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--import', join(root, 'tests', 'helpers', 'raw-hooks.mjs'), join(root, 'tests', 'helpers', script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  const waiting: { match: RegExp; resolve: (m: RegExpMatchArray) => void }[] = []
  let partial = ''
  let exited = false
  const exit = new Promise<void>((resolve) => proc.on('exit', () => ((exited = true), resolve())))
  proc.stdout!.on('data', (d: Buffer) => {
    partial += String(d)
    const parts = partial.split('\n')
    partial = parts.pop()!
    for (const l of parts) {
      lines.push(l)
      for (const w of [...waiting]) {
        const m = l.match(w.match)
        if (m) {
          waiting.splice(waiting.indexOf(w), 1)
          w.resolve(m)
        }
      }
    }
  })
  return {
    proc,
    lines,
    line: (match) =>
      new Promise((resolve, reject) => {
        const seen = lines.map((l) => l.match(match)).find(Boolean)
        if (seen) return resolve(seen)
        waiting.push({ match, resolve })
        void exit.then(() => reject(new Error(`the child exited before '${match.source}': ${lines.join(' | ')}`)))
      }),
    kill: async () => {
      expect(exited, `the child had exited before the kill: ${lines.join(' | ')}`).toBe(false)
      proc.kill('SIGKILL')
      await exit
      expect(proc.signalCode).toBe('SIGKILL')
    }
  }
}

const bytesOf = (t: NamedTensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)
const sameTensors = (a: Map<string, NamedTensor> | Record<string, NamedTensor>, b: Map<string, NamedTensor> | Record<string, NamedTensor>): boolean => {
  const ea = a instanceof Map ? [...a] : Object.entries(a)
  const mb = b instanceof Map ? b : new Map(Object.entries(b))
  return ea.length === mb.size && ea.every(([k, t]) => mb.has(k) && t.dtype === mb.get(k)!.dtype && bytesOf(t).equals(bytesOf(mb.get(k)!)))
}

describe('kill loops: saves and imports', () => {
  it(`a session save killed inside its transaction, ${TRIALS} seeded trials: the previous version loads whole`, async () => {
    const rng = new Rng(11)
    const t = count('session save')
    for (let trial = 0; trial < TRIALS; trial++) {
      const tmp = tempDir('engram-kill-save-')
      try {
        const file = join(tmp.dir, 'sessions.sqlite')
        // Seeded: after how many of the 40 tensors (64 Ki floats each) the save stops.
        const stopAfter = rng.int(40)
        const c = child('save-child.ts', [file, String(stopAfter), String(64 * 1024)])
        await c.line(new RegExp(`^inside-save ${stopAfter}$`))
        expect(c.lines).toContain('saved-1')
        await c.kill()
        t.trials++
        t.kills++
        const store = new SqliteSessionStore(file)
        const loaded = store.load('crash')
        store.close()
        const whole = loaded?.state.name === 'version 1' && [...loaded.tensors.keys()].join() === 'w' && Array.from(loaded.tensors.get('w')!.data).join() === '1,2'
        if (whole) t.survived++
        else t.lost++
        t.points.push(`after ${stopAfter}/40 tensors`)
        expect(whole).toBe(true)
      } finally {
        tmp.cleanup()
      }
    }
  }, 120_000)

  it(`a dataset import killed mid-write, ${TRIALS} seeded trials: no half dataset listed, the earlier one intact, the import works again`, async () => {
    const rng = new Rng(12)
    const stages = ['images-part', 'labels', 'meta', 'rename']
    const t = count('dataset import')
    const tmp = tempDir('engram-kill-import-')
    try {
      const before = killDataset('before')
      new DatasetCatalog(tmp.dir).import('before', before.images, before.labels)
      const patterns = (catalog: DatasetCatalog) => JSON.stringify(catalog.patterns('user:before', 0, 40))
      const expected = patterns(new DatasetCatalog(tmp.dir))
      // Every stage once per four trials, from a seeded first one.
      const first = rng.int(4)
      for (let trial = 0; trial < TRIALS; trial++) {
        const stage = stages[(trial + first) % 4]!
        const c = child('kill-child.ts', ['dataset', tmp.dir, stage])
        const [, , path, half] = await c.line(/^inside (\S+) (.+?)(?: (\d+))?$/)
        // The partial state is on disk: the temporary folder, with the images half written or whole.
        expect(existsSync(path!.endsWith('.idx') || path!.endsWith('.json') ? join(path!, '..') : path!)).toBe(true)
        if (half) expect(statSync(path!).size).toBe(Number(half))
        await c.kill()
        t.trials++
        t.kills++
        const catalog = new DatasetCatalog(tmp.dir)
        const ids = catalog.list().map((d) => d.id)
        const intact = ids.includes('user:before') && !ids.includes('user:after') && patterns(catalog) === expected
        // The same import, again, in a process that runs to the end: the leftovers of the killed one are in no way.
        const after = killDataset('after')
        catalog.import('after', after.images, after.labels)
        const again = new DatasetCatalog(tmp.dir)
        const reimported = again.patterns('user:after', 0, 40).patterns.length === 40 && again.list().filter((d) => d.id === 'user:after').length === 1
        again.delete('user:after')
        if (intact && reimported) t.survived++
        else t.lost++
        t.points.push(stage)
        expect({ intact, reimported }).toEqual({ intact: true, reimported: true })
      }
      // What the kills left (hidden temporary folders, never listed) went with the next import.
      expect(readdirSync(join(tmp.dir, 'datasets'))).toEqual(['before'])
    } finally {
      tmp.cleanup()
    }
  }, 120_000)

  it(`a text import killed mid-write, ${SHORT_TRIALS} seeded trials: the text reads as its earlier version, whole`, async () => {
    const rng = new Rng(13)
    const t = count('text import')
    const tmp = tempDir('engram-kill-text-')
    try {
      const texts = new TextCatalog(tmp.dir)
      texts.import('notes', new TextEncoder().encode(killText('version 1')), 'params')
      const first = rng.int(2)
      for (let trial = 0; trial < SHORT_TRIALS; trial++) {
        const stage = (trial + first) % 2 === 0 ? 'tmp-part' : 'rename'
        const c = child('kill-child.ts', ['text', tmp.dir, stage])
        const [, , path, half] = await c.line(/^inside (\S+) (.+?)(?: (\d+))?$/)
        if (half) expect(statSync(path!).size).toBe(Number(half))
        else expect(statSync(path!).size).toBe(new TextEncoder().encode(killText('version 2')).byteLength)
        await c.kill()
        t.trials++
        t.kills++
        const after = new TextCatalog(tmp.dir)
        const listed = after.list().filter((x) => x.id.startsWith('user-text:'))
        const intact = after.read({ file: 'user-text:notes' }, 'text').text === killText('version 1') && listed.length === 1
        // The killed import's temporary file goes with the next import (here: another text, then removed).
        after.import('other', new TextEncoder().encode('another text'), 'params')
        rmSync(join(tmp.dir, 'texts', 'other.txt'))
        if (intact) t.survived++
        else t.lost++
        t.points.push(stage)
        expect(intact).toBe(true)
      }
      expect(readdirSync(join(tmp.dir, 'texts'))).toEqual(['notes.txt'])
    } finally {
      tmp.cleanup()
    }
  }, 120_000)
})

/** A store that keeps every checkpoint written (the uninterrupted reference run's, by step). */
class KeepingStore extends SqliteSessionStore {
  readonly kept: StoredCheckpoint[] = []
  override saveCheckpoint(c: StoredCheckpoint): void {
    this.kept.push({ ...c, tensors: new Map(c.tensors) })
    super.saveCheckpoint(c)
  }
}

const stepsOf = (m: SessionModel): number => ('stepsDone' in m ? m.stepsDone : 'history' in m ? m.history.length : -1)

describe.each([
  ['rbm', KILL_RBM],
  ['recurrent', KILL_RNN]
] as const)('kill loops: %s training', (family, params) => {
  let reference: { backend: Backend; store: KeepingStore; sessionId: string; model: SessionModel; cleanup: () => void }
  let work: ReturnType<typeof tempDir>
  let savedState: string

  beforeAll(async () => {
    const tmp = tempDir(`engram-kill-ref-${family}-`)
    const store = new KeepingStore(join(tmp.dir, SESSIONS_DB))
    const backend = new Backend({ dataDir: tmp.dir, transport: 'websocket', worker: sourceWorker(), provider: 'cpu', store })
    const s = await backend.call('sessions.create', { name: 'reference' })
    const { jobId } = await backend.call('models.train', { sessionId: s.id, ...params } as never)
    const done = await jobOutcome(backend, jobId)
    const model = (done.result as { model: SessionModel }).model
    reference = { backend, store, sessionId: s.id, model, cleanup: tmp.cleanup }
    // The session the trials train in: saved once (version 1), before any trial.
    work = tempDir(`engram-kill-${family}-`)
    const setup = makeBackend(work.dir)
    const w = await setup.call('sessions.create', { name: 'kill trial' })
    await setup.call('sessions.save', { id: w.id })
    await setup.close()
    const st = new SqliteSessionStore(join(work.dir, SESSIONS_DB))
    savedState = JSON.stringify(st.load(w.id)!.state)
    st.close()
  }, 120_000)

  afterAll(async () => {
    await reference?.backend.close()
    reference?.cleanup()
    work?.cleanup()
  })

  it(`killed mid-training or inside a checkpoint, ${SHORT_TRIALS} seeded trials: the session opens with the training back from its last checkpoint`, async () => {
    const rng = new Rng(family === 'rbm' ? 14 : 15)
    const t = count(`${family} training`)
    const refCheckpoints = reference.store.kept.filter((c) => 'partial' in c.model && c.model.partial)
    const total = stepsOf(reference.model)
    expect(refCheckpoints.length).toBeGreaterThanOrEqual(3)
    for (let trial = 0; trial < SHORT_TRIALS; trial++) {
      // Seeded: half the trials kill at a step of the running training, half inside the 2nd or 3rd checkpoint's transaction.
      const inCheckpoint = trial % 2 === 1
      const stop = inCheckpoint ? `checkpoint:${2 + rng.int(2)}:${rng.int(3)}` : 'none'
      const c = child('kill-child.ts', ['train', work.dir, family, stop])
      let killedAt: string
      if (inCheckpoint) {
        await c.line(/^inside checkpoint/)
        killedAt = `inside checkpoint ${stop.split(':')[1]}`
      } else {
        const first = Number((await c.line(/^checkpoint 1 (\d+)$/))[1])
        // A seeded step between the first checkpoint and the last quarter of the training.
        const at = first + 1 + rng.int(Math.max(1, Math.floor(total * 0.75) - first - 1))
        await c.line(new RegExp(`^progress ${at}$`))
        killedAt = `step ${at}`
      }
      await c.kill()
      t.trials++
      // Mid-training: the child never saw the job end, and no final model was being stored.
      const ended = c.lines.some((l) => l === 'done' || l.startsWith('failed') || / final$/.test(l))
      if (!ended) t.kills++
      expect(ended, c.lines.join(' | ')).toBe(false)
      const committed = c.lines.filter((l) => /^checkpoint \d+ /.test(l)).map((l) => Number(l.split(' ')[2]))
      const begun = c.lines.filter((l) => l.startsWith('checkpoint-begin')).map((l) => Number(l.split(' ')[2]))
      // Inside a checkpoint: the previous one stays. Otherwise the last one committed, or one begun as the kill came.
      const expected = inCheckpoint ? [committed.at(-1)!] : [committed.at(-1)!, begun.at(-1)!]

      // The store opens; the saved version is intact; the checkpoint is whole and equals the reference at its step.
      const raw = new SqliteSessionStore(join(work.dir, SESSIONS_DB))
      const stored = raw.checkpoints()
      const intactSave = raw.list().length === 1 && JSON.stringify(raw.load(JSON.parse(savedState).id)!.state) === savedState
      raw.close()
      expect(stored).toHaveLength(1)
      const cp = stored[0]!
      const step = stepsOf(cp.model)
      expect(expected).toContain(step)
      const ref = refCheckpoints.find((r) => stepsOf(r.model) === step)
      const exact = ref !== undefined && sameTensors(cp.tensors, ref.tensors)

      // The app opens the session with the training back as a partial model; a recurrent network resumes from it.
      const backend = makeBackend(work.dir)
      try {
        const sessions = await backend.call('sessions.list', {})
        expect(sessions.map((s) => s.name)).toEqual(['kill trial'])
        const state = await backend.call('sessions.open', { id: sessions[0]!.id })
        expect(state.models).toHaveLength(1)
        const recovered = state.models[0]!
        expect(recovered).toMatchObject({ id: cp.model.id, partial: true, name: expect.stringMatching(/· recovered$/) })
        expect(stepsOf(recovered)).toBe(step)
        // Both families resume from the recovered model and end where the uninterrupted run ends, bit for bit.
        const next =
          family === 'recurrent'
            ? await trainKind(backend, { sessionId: state.id, model: { ...KILL_RNN.model, steps: total - step, continueFrom: recovered.id }, seed: KILL_RNN.seed })
            : await trainKind(backend, { sessionId: state.id, dataset: KILL_RBM.dataset, model: { ...KILL_RBM.model, continueFrom: recovered.id }, seed: KILL_RBM.seed })
        const exported = await backend.call('models.export', { sessionId: state.id, modelId: next.id, format: 'safetensors' })
        const refExport = await reference.backend.call('models.export', { sessionId: reference.sessionId, modelId: reference.model.id, format: 'safetensors' })
        const resumed =
          stepsOf(next) === total &&
          sameTensors(decodeSafetensors(new Uint8Array(Buffer.from(exported.base64, 'base64'))).tensors, decodeSafetensors(new Uint8Array(Buffer.from(refExport.base64, 'base64'))).tensors)
        // Discarding the session's changes drops the recovered checkpoint: the next trial starts from version 1 again.
        await backend.call('sessions.close', { id: state.id })
        if (intactSave && exact && resumed) t.survived++
        else t.lost++
        t.points.push(`${killedAt} → back at ${family === 'rbm' ? 'epoch' : 'step'} ${step}, resumed to ${total}`)
        expect({ intactSave, exact, resumed }).toEqual({ intactSave: true, exact: true, resumed: true })
      } finally {
        await backend.close()
      }
      const after = new SqliteSessionStore(join(work.dir, SESSIONS_DB))
      expect(after.checkpoints()).toHaveLength(0)
      after.close()
    }
  }, 300_000)
})
