// `engram serve` limits: a body or message over the size limit is refused unread, and no file-taking method or static
// path reaches outside its folder: `../` names, absolute paths and odd names are refused, naming the field.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { dirname, join, relative, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startServer, type RunningServer } from '../../src/main/server/server'
import type { Backend } from '../../src/main/services/backend'
import { makeBackend, tempDir, trainModel } from '../helpers/backend'

const LIMIT = 64 * 1024
const SECRET = 'engram-secret-outside-the-renderer'

let tmp: ReturnType<typeof tempDir>
let dataDir: string
let backend: Backend
let server: RunningServer

beforeAll(async () => {
  tmp = tempDir('engram-limits-')
  dataDir = join(tmp.dir, 'data')
  const staticDir = join(tmp.dir, 'renderer')
  mkdirSync(dataDir)
  mkdirSync(staticDir)
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Engram</title>')
  // What a traversal would be after: a file beside the renderer folder, and one at the top of the data directory.
  writeFileSync(join(tmp.dir, 'secret.txt'), SECRET)
  writeFileSync(join(dataDir, 'secret.txt'), SECRET)
  backend = makeBackend(dataDir)
  server = await startServer({ backend, port: 0, staticDir, maxBody: LIMIT })
})
afterAll(async () => {
  await server.close()
  await backend.close()
  tmp.cleanup()
})

/** Every file under the temporary root, relative to it (the session store's own files left out). */
function files(): string[] {
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (!/sessions\.sqlite/.test(name)) out.push(relative(tmp.dir, p))
    }
  }
  walk(tmp.dir)
  return out.sort()
}

interface Reply {
  status: number
  body: { result?: unknown; error?: { code: string; field?: string; message: string } }
}

/** A raw HTTP request (the path sent as written: no client-side normalisation of `..`). */
function raw(method: string, path: string, body?: string | string[], headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers: { Authorization: `Bearer ${server.token}`, ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    for (const part of Array.isArray(body) ? body : body === undefined ? [] : [body]) req.write(part)
    req.end()
  })
}

async function call(method: string, params: unknown): Promise<Reply> {
  const r = await fetch(`http://127.0.0.1:${server.port}/api/call/${method}`, { method: 'POST', body: JSON.stringify(params), headers: { Authorization: `Bearer ${server.token}` } })
  return { status: r.status, body: (await r.json()) as Reply['body'] }
}

const b64 = (text: string): string => Buffer.from(text).toString('base64')

describe('engram serve: request size', () => {
  it('refuses a body over the limit with 413 before reading it, and nothing is imported', async () => {
    const before = files()
    const big = JSON.stringify({ name: 'too-big', content: b64('x'.repeat(LIMIT)) })
    expect(big.length).toBeGreaterThan(LIMIT)
    const declared = await raw('POST', '/api/call/texts.import', big, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(big)) })
    expect(declared.status).toBe(413)
    expect(JSON.parse(declared.text)).toMatchObject({ error: { code: 'bad-request', message: expect.stringMatching(/over the 65536-byte limit/) } })
    // Without a Content-Length (chunked), the limit is counted as the body arrives.
    const chunks = Array.from({ length: Math.ceil(big.length / 16_384) }, (_, i) => big.slice(i * 16_384, (i + 1) * 16_384))
    const streamed = await raw('POST', '/api/call/texts.import', chunks, { 'Content-Type': 'application/json' })
    expect(streamed.status).toBe(413)
    expect(files()).toEqual(before)
    expect(((await call('texts.list', {})).body.result as { name: string }[]).map((t) => t.name)).not.toContain('too-big')
    // Under the limit the same call goes through.
    expect((await call('texts.import', { name: 'small', content: b64('a small text') })).status).toBe(200)
  })

  it('closes a WebSocket whose message is over the limit (1009) without running it', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${server.token}`)
    await new Promise((r) => ws.on('open', r))
    const replies: string[] = []
    ws.on('message', (d) => replies.push(String(d)))
    ws.send(JSON.stringify({ type: 'call', id: 1, method: 'texts.import', params: { name: 'ws-too-big', content: b64('y'.repeat(LIMIT)) } }))
    const code = await new Promise<number>((r) => ws.on('close', (c) => r(c)))
    expect(code).toBe(1009)
    expect(replies).toEqual([])
    expect(((await call('texts.list', {})).body.result as { name: string }[]).map((t) => t.name)).not.toContain('ws-too-big')
  })
})

describe('engram serve: no path traversal', () => {
  it('serves nothing outside the renderer folder, whatever the escapes', async () => {
    for (const path of ['/..%2fsecret.txt', '/..%2f..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/../secret.txt', '/%2e%2e/secret.txt', '//etc/passwd', '/%00', '/index.html%00.png', '/%E0%A4%A']) {
      const r = await raw('GET', path)
      expect([400, 403, 404], `${path} → ${r.status}`).toContain(r.status)
      expect(r.text).not.toContain(SECRET)
      expect(r.text).not.toContain('root:')
    }
    expect((await raw('GET', '/')).text).toContain('<title>Engram</title>')
  })

  const badNames = ['../evil', '../../secret.txt', '/etc/passwd', '/tmp/evil', 'C:\\Windows\\evil', '..\\..\\evil', 'a/b', '.', '..', '.hidden', 'con', 'NUL.txt', 'com1', 'LPT9', 'a\u0000b', 'tab\tname', 'x'.repeat(65), '']

  it('datasets.import and texts.import refuse path-like and odd names, naming params.name, and write nothing', async () => {
    const before = files()
    for (const name of badNames) {
      const dataset = await call('datasets.import', { name, images: b64('not read: the name is refused first') })
      expect(dataset.status, `datasets.import ${JSON.stringify(name)}`).toBe(400)
      expect(dataset.body.error?.field, `datasets.import ${JSON.stringify(name)}`).toBe('params.name')
      const text = await call('texts.import', { name, content: b64('some text') })
      expect(text.status, `texts.import ${JSON.stringify(name)}`).toBe(400)
      expect(text.body.error?.field, `texts.import ${JSON.stringify(name)}`).toBe('params.name')
    }
    // Names that only become odd as a folder name: 'con!' is the folder 'con', '-..-' is none at all.
    for (const name of ['con!', '-..-', '  ..  ']) {
      const r = await call('datasets.import', { name, images: b64('not read') })
      expect(r.body.error?.field, `datasets.import ${JSON.stringify(name)}`).toBe('params.name')
    }
    expect(files()).toEqual(before)
  })

  it('dataset ids, text ids and session ids that look like paths are refused or not found, naming the field', async () => {
    for (const id of ['user:../secret', '../secret', '/etc/passwd', 'user:/etc/passwd', 'user:..', 'user:.', 'user:..%2fsecret']) {
      for (const method of ['datasets.get', 'datasets.delete']) {
        const r = await call(method, { id })
        expect([400, 404], `${method} ${id}`).toContain(r.status)
        expect(r.body.error?.field, `${method} ${id}`).toBe('params.id')
      }
    }
    const session = (await call('sessions.create', { name: 'paths' })).body.result as { id: string }
    for (const builtin of ['user:../../secret', '/etc/passwd', 'user:..']) {
      const r = await call('models.train', { sessionId: session.id, dataset: { builtin }, model: { kind: 'hopfield' } })
      expect([400, 404], builtin).toContain(r.status)
      expect(r.body.error?.field, builtin).toBe('params.dataset.builtin')
    }
    for (const file of ['user-text:../secret', 'user-text:/etc/passwd', '../secret.txt', 'user-text:..']) {
      const r = await call('models.train', { sessionId: session.id, model: { kind: 'recurrent', text: { file } } })
      expect(r.status, file).toBe(400)
      expect(r.body.error?.field, file).toMatch(/^params\.model\.text/)
    }
    // Session ids are keys in the session store, never file names: a path is just an id that is not there.
    for (const id of ['../secret', '/etc/passwd', '..']) {
      for (const method of ['sessions.open', 'sessions.save']) {
        const r = await call(method, { id })
        expect(r.status, `${method} ${id}`).toBe(404)
        expect(r.body.error?.field, `${method} ${id}`).toBe('params.id')
      }
      expect((await call('sessions.delete', { id })).body.result).toEqual({ deleted: false })
    }
    expect(files().filter((f) => !f.startsWith('data/texts/'))).toEqual(['data/secret.txt', 'renderer/index.html', 'secret.txt'])
  })

  it('models.export writes inside the exports folder whatever the session is called', async () => {
    const session = (await call('sessions.create', { name: '../../../secret' })).body.result as { id: string }
    const model = await trainModel(backend, { sessionId: session.id, dataset: { builtin: 'seeds-003-auto' }, model: { kind: 'hopfield' } })
    const out = (await call('models.export', { sessionId: session.id, modelId: model.id, format: 'npz' })).body.result as { fileName: string; path: string }
    expect(out.fileName).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/)
    expect(dirname(out.path)).toBe(resolve(dataDir, 'exports'))
    const bad = await call('models.export', { sessionId: session.id, modelId: '../../secret', format: 'npz' })
    expect(bad.status).toBe(404)
    expect(bad.body.error?.field).toBe('params.modelId')
    const format = await call('models.export', { sessionId: session.id, modelId: model.id, format: '../x' })
    expect(format.status).toBe(400)
    expect(format.body.error?.field).toBe('params.format')
  })
})
