// Bad input through the transport the UI uses (issue 11): the browser-mode WebSocket of `engram serve`, which calls the
// same backend dispatcher as Electron's IPC. Seeded and bounded in time:
// - every API method's valid params mutated (values dropped, scaled, resized, replaced by odd values, keys added): each
//   call is answered, accepted or refused with one error naming the field (bad-request / not-found, its message one
//   line that starts with the field), never an internal error, and the server keeps serving;
// - texts.import given binary garbage, invalid UTF-8, huge lines, empty and BOM-only files, UTF-16, NULs and
//   path-like names: accepted (and then read back exactly) or refused naming params.content or params.name, nothing
//   written when refused;
// - datasets.import given truncated, bit-flipped and gzip-damaged IDX files: accepted as a whole dataset or refused
//   naming params.images / params.labels, nothing written when refused.
// Figures (inputs tried, accepted, refused) are printed at the end.
import { gzipSync } from 'node:zlib'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { Rng } from '../../src/core/rng'
import { startServer, type RunningServer } from '../../src/main/server/server'
import type { Backend } from '../../src/main/services/backend'
import type { MethodName } from '../../src/shared/api'
import { jobOutcome, makeBackend, tempDir, trainModel } from '../helpers/backend'
import { killDataset } from '../helpers/kill-fixtures'
import { mutate, type Json } from '../helpers/mutate'

const TIME_BUDGET_MS = Number(process.env.ENGRAM_FUZZ_MS ?? 2500)
const MUTATIONS = 150
const figures: string[] = []

let tmp: ReturnType<typeof tempDir>
let backend: Backend
let server: RunningServer
let ws: WebSocket
let nextId = 1
const pending = new Map<number, (frame: Frame) => void>()
type Frame = { type: string; id?: number; result?: unknown; error?: { code: string; message: string; field?: string } }

/** One call over the WebSocket: its result or its error frame. */
function call(method: string, params: unknown): Promise<Frame> {
  const id = nextId++
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${method}: no answer in 30 s`)), 30_000)
    pending.set(id, (f) => (clearTimeout(timer), resolve(f)))
    ws.send(JSON.stringify({ type: 'call', id, method, params }))
  })
}

beforeAll(async () => {
  tmp = tempDir('engram-api-fuzz-')
  backend = makeBackend(tmp.dir)
  server = await startServer({ backend, port: 0 })
  ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${server.token}`)
  ws.on('message', (d) => {
    const f = JSON.parse(String(d)) as Frame
    if (f.id !== undefined) pending.get(f.id)?.(f)
  })
  await new Promise((resolve) => ws.on('open', resolve))
})
afterAll(async () => {
  console.log(figures.join('\n'))
  ws?.close()
  await server?.close()
  await backend?.close()
  tmp?.cleanup()
})

/** What an error frame must be: a refusal naming the field, in one line that starts with it; never an internal error. */
function problemWith(frame: Frame): string | null {
  const e = frame.error
  if (!e) return null
  if (e.code !== 'bad-request' && e.code !== 'not-found') return `code ${e.code}: ${e.message}`
  if (!e.field) return `no field: ${e.message}`
  if (e.message.includes('\n')) return `more than one line: ${e.message}`
  if (!new RegExp(`^([\\w.]+: )?${e.field.replace(/[.[\]]/g, '\\$&')}`).test(e.message)) return `the message does not start with the field ${e.field}: ${e.message}`
  return null
}

const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64')

describe('API params fuzz over the WebSocket', () => {
  it('the check itself catches an internal error, a missing field, a stack and a message about something else', () => {
    const frame = (error: Frame['error']): Frame => ({ type: 'error', id: 1, error })
    expect(problemWith(frame({ code: 'failed', message: 'x is undefined' }))).toMatch(/^code failed/)
    expect(problemWith(frame({ code: 'bad-request', message: 'bad' }))).toMatch(/^no field/)
    expect(problemWith(frame({ code: 'bad-request', field: 'params.id', message: 'params.id: bad\n    at f (x.ts:1)' }))).toMatch(/one line/)
    expect(problemWith(frame({ code: 'bad-request', field: 'params.id', message: 'params.name: bad' }))).toMatch(/does not start/)
    expect(problemWith(frame({ code: 'not-found', field: 'params.id', message: "sessions.open: params.id: no session 'x'" }))).toBeNull()
  })

  it('every method: mutated valid params are accepted or refused naming the field; the server keeps serving', async () => {
    const s = (await call('sessions.create', { name: 'fuzz' })).result as { id: string }
    const hop = await trainModel(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 5 }, model: { kind: 'hopfield' } })
    const rbm = await trainModel(backend, { sessionId: s.id, dataset: { builtin: 'digits', count: 40 }, model: { kind: 'rbm', hidden: 8, epochs: 1, batchSize: 20 }, seed: 1 })
    const sweep = { kind: 'experiment', spec: { name: 'noise', seed: 4, dataset: { builtin: 'letters', select: [0, 2] }, model: { kind: 'hopfield' }, sweep: { type: 'noise', fractions: [0, 0.1], cuesPerPattern: 2 } } }
    const { jobId } = (await call('jobs.start', { sessionId: s.id, spec: sweep })).result as { jobId: string }
    const done = await jobOutcome(backend, jobId)
    const experimentId = done.result.kind === 'experiment' ? done.result.record.id : ''
    const idx = killDataset('fuzz', 4, 4)
    const sid = s.id
    const valid: [MethodName, Json][] = [
      ['app.info', {}],
      ['datasets.list', {}],
      ['datasets.get', { id: 'letters', offset: 0, limit: 5, threshold: 0.5 }],
      ['datasets.import', { name: 'fuzz-set', images: b64(idx.images), labels: b64(idx.labels) }],
      ['texts.list', {}],
      ['texts.import', { name: 'fuzz-text', content: b64('to be or not to be') }],
      ['sessions.list', {}],
      ['sessions.create', { name: 'another' }],
      ['sessions.open', { id: sid }],
      ['sessions.update', { id: sid, patch: { name: 'fuzzed', activeModelId: hop.id, ui: { tab: 'recall' } } }],
      ['sessions.save', { id: sid }],
      ['sessions.rename', { id: sid, name: 'renamed' }],
      ['experiments.rename', { sessionId: sid, experimentId, name: 'sweep' }],
      ['models.train', { sessionId: sid, dataset: { builtin: 'letters', count: 5 }, model: { kind: 'hopfield', rule: 'storkey' } }],
      ['models.train', { sessionId: sid, dataset: { builtin: 'digits', count: 40 }, model: { kind: 'rbm', hidden: 8, epochs: 1, batchSize: 20, learningRate: 0.1 }, seed: 2 }],
      ['models.train', { sessionId: sid, model: { kind: 'recurrent', cell: 'gru', hiddenSize: 8, embeddingSize: 4, sequenceLength: 8, batch: 2, steps: 4 }, seed: 3 }],
      ['models.train', { sessionId: sid, dataset: { builtin: 'letters', count: 5 }, model: { kind: 'modern', beta: 1 } }],
      ['models.run', { sessionId: sid, modelId: hop.id, run: { kind: 'recall.batch', corruption: { type: 'flip', fraction: 0.1 }, cuesPerPattern: 3, seed: 1, maxIterations: 10 } }],
      ['models.run', { sessionId: sid, modelId: hop.id, run: { kind: 'recall.async', cue: Array.from({ length: 100 }, (_, i) => (i % 3 ? 1 : -1)), seed: 1, order: 'random', maxSweeps: 5 } }],
      ['models.run', { sessionId: sid, modelId: rbm.id, run: { kind: 'rbm.sample', count: 2, steps: 5, from: 'noise', seed: 1 } }],
      ['models.view', { sessionId: sid, modelId: rbm.id, view: { kind: 'rbm.filters', limit: 4 } }],
      ['models.rename', { sessionId: sid, modelId: hop.id, name: 'letters net' }],
      ['models.export', { sessionId: sid, modelId: hop.id, format: 'onnx' }],
      ['jobs.start', { sessionId: sid, spec: sweep as Json }],
      ['jobs.list', { sessionId: sid }],
      ['jobs.cancel', { jobId: 'no-such-job' }],
      // Last: what deletes (a mutation never leaves the valid id and adds nothing, so the fixtures stay).
      ['experiments.delete', { sessionId: sid, experimentId }],
      ['models.delete', { sessionId: sid, modelId: hop.id }],
      ['datasets.delete', { id: 'user:fuzz-set' }],
      ['sessions.close', { id: sid }],
      ['sessions.delete', { id: sid }]
    ]
    const problems: string[] = []
    let tried = 0
    let refused = 0
    const settle = async (frame: Frame) => {
      // A job a mutation started is cancelled and waited for, so the jobs do not pile up.
      const started = (frame.result as { jobId?: string } | undefined)?.jobId
      if (!started) return
      const outcome = jobOutcome(backend, started).catch(() => undefined)
      await call('jobs.cancel', { jobId: started })
      await outcome
    }
    for (const [k, [method, params]] of valid.entries()) {
      if (!method.endsWith('.delete') && method !== 'sessions.close') {
        const ok = await call(method, params)
        expect(ok.error, `${method} with its valid params`).toBeUndefined()
        await settle(ok)
      }
      const rng = new Rng(1000 + k)
      const start = Date.now()
      for (let trial = 0; trial < MUTATIONS && Date.now() - start < TIME_BUDGET_MS / 4; trial++) {
        const { doc, what } = mutate({ params } as Json, rng)
        const frame = await call(method, (doc as { params?: Json }).params)
        tried++
        if (frame.error) refused++
        const problem = problemWith(frame)
        if (problem) problems.push(`${method} (seed ${1000 + k}, trial ${trial}: ${what}): ${problem}`)
        await settle(frame)
      }
    }
    figures.push(`API params: ${valid.length} method calls × mutations = ${tried} tried, ${refused} refused naming their field, ${tried - refused} accepted, ${problems.length} problems`)
    expect(problems).toEqual([])
    expect((await call('app.info', {})).result).toMatchObject({ transport: 'websocket' })
  }, 300_000)
})

describe('imports fuzz over the WebSocket', () => {
  const textsDir = () => join(tmp.dir, 'texts')
  const files = (dir: string) => {
    try {
      return readdirSync(dir).sort()
    } catch {
      return []
    }
  }

  it('texts.import: garbage, bad UTF-8, huge lines, empty, BOMs and path-like names are read back exactly or refused naming the field', async () => {
    const rng = new Rng(21)
    const enc = (t: string) => new TextEncoder().encode(t)
    const cases: [string, string, Uint8Array][] = [
      ['empty', 'empty', new Uint8Array(0)],
      ['a BOM only', 'bom', Uint8Array.of(0xef, 0xbb, 0xbf)],
      ['a BOM and text', 'bomtext', Uint8Array.of(0xef, 0xbb, 0xbf, ...enc('hello'))],
      ['white space only', 'blank', enc(' \n\t\r\n  ')],
      ['binary garbage', 'garbage', Uint8Array.from({ length: 4096 }, () => rng.int(256))],
      ['a lone continuation byte', 'lone', Uint8Array.of(0x61, 0x80, 0x62)],
      ['an overlong encoding', 'overlong', Uint8Array.of(0xc0, 0xaf)],
      ['a UTF-16 surrogate in UTF-8', 'surrogate', Uint8Array.of(0xed, 0xa0, 0x80)],
      ['a truncated sequence', 'truncated', Uint8Array.of(0x61, 0xe2, 0x82)],
      ['UTF-16 LE with its BOM', 'utf16', Uint8Array.of(0xff, 0xfe, 0x61, 0x00, 0x62, 0x00)],
      ['NUL bytes in text', 'nuls', enc('a\u0000b\u0000c')],
      ['one huge line (1 MB)', 'hugeline', enc('x'.repeat(1_000_000))],
      ['over the size limit', 'toolarge', new Uint8Array(8_000_001).fill(0x61)],
      ['astral characters', 'astral', enc('🂡🂢🂣 ok')]
    ]
    for (const name of ['../escape', '/etc/passwd', 'C:\\win', 'a/b', '.hidden', '..', 'CON', 'nul.txt', 'tab\tname', 'x'.repeat(65), '']) {
      cases.push([`name ${JSON.stringify(name)}`, name, enc('fine text')])
    }
    let accepted = 0
    for (const [what, name, bytes] of cases) {
      const before = files(textsDir())
      const frame = await call('texts.import', { name, content: b64(bytes) })
      const problem = problemWith(frame)
      expect(problem, what).toBeNull()
      if (frame.error) {
        expect(['params.content', 'params.name'], what).toContain(frame.error.field)
        expect(files(textsDir()), `${what}: nothing written`).toEqual(before)
      } else {
        accepted++
        // What was accepted reads back as the file's text (its BOM dropped), character for character.
        const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '')
        const listed = ((await call('texts.list', {})).result as { id: string; chars: number }[]).find((t) => t.id === `user-text:${name}`)
        expect(listed?.chars, what).toBe([...text].length)
      }
    }
    figures.push(`texts.import: ${cases.length} damaged or odd files tried, ${accepted} accepted and read back exactly, ${cases.length - accepted} refused naming params.content or params.name`)
    expect(accepted).toBeGreaterThan(0)
    expect(accepted).toBeLessThan(cases.length)
  }, 120_000)

  it('datasets.import: truncated, bit-flipped and gzip-damaged IDX files are imported whole or refused naming the file', async () => {
    const rng = new Rng(22)
    const valid = killDataset('idx fuzz', 6, 5)
    const datasetsDir = join(tmp.dir, 'datasets')
    let tried = 0
    let accepted = 0
    const start = Date.now()
    for (; tried < 300 && Date.now() - start < TIME_BUDGET_MS; tried++) {
      const target = rng.int(2) === 0 ? 'images' : 'labels'
      const bytes = target === 'images' ? valid.images : valid.labels
      const kind = rng.int(4)
      let damaged: Uint8Array
      if (kind === 0) damaged = bytes.slice(0, rng.int(bytes.length))
      else if (kind === 1) damaged = gzipSync(bytes).slice(0, 12 + rng.int(20))
      else {
        damaged = Uint8Array.from(bytes)
        // Flips in the header (magic, dims) as often as in the data.
        for (let k = 1 + rng.int(3); k > 0; k--) damaged[kind === 2 ? rng.int(Math.min(16, damaged.length)) : rng.int(damaged.length)] = rng.int(256)
      }
      const before = files(datasetsDir).filter((f) => !f.startsWith('.'))
      const name = `idx-${tried}`
      const frame = await call('datasets.import', { name, images: b64(target === 'images' ? damaged : valid.images), labels: b64(target === 'labels' ? damaged : valid.labels) })
      const problem = problemWith(frame)
      expect(problem, `trial ${tried}`).toBeNull()
      if (frame.error) {
        expect(frame.error.field, `trial ${tried}`).toBe(`params.${target}`)
        expect(files(datasetsDir).filter((f) => !f.startsWith('.'))).toEqual(before)
      } else {
        accepted++
        // Accepted: a whole dataset, every image readable.
        const got = (await call('datasets.get', { id: `user:${name}`, offset: 0, limit: 100 })).result as { summary: { count: number }; patterns: number[][] }
        expect(got.patterns).toHaveLength(got.summary.count)
        await call('datasets.delete', { id: `user:${name}` })
      }
    }
    figures.push(`datasets.import: ${tried} damaged IDX files tried, ${accepted} accepted whole, ${tried - accepted} refused naming params.images or params.labels`)
    expect(tried).toBeGreaterThanOrEqual(50)
  }, 120_000)
})
