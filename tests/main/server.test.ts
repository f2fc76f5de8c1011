// Browser-mode transport: token required, Host checked, calls and events over HTTP and WebSocket.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startServer, type RunningServer } from '../../src/main/server/server'
import type { Backend } from '../../src/main/services/backend'
import { makeBackend, tempDir } from '../helpers/backend'

let tmp: ReturnType<typeof tempDir>
let backend: Backend
let server: RunningServer

beforeAll(async () => {
  tmp = tempDir('engram-server-')
  backend = makeBackend(tmp.dir)
  server = await startServer({ backend, port: 0 })
})
afterAll(async () => {
  await server.close()
  await backend.close()
  tmp.cleanup()
})

const base = (): string => `http://127.0.0.1:${server.port}`

describe('engram serve transport', () => {
  it('binds 127.0.0.1 and prints a URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect(server.token.length).toBeGreaterThanOrEqual(32)
  })

  it('compares the token in constant time (timingSafeEqual, never ===)', () => {
    const source = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'main', 'server', 'server.ts'), 'utf8')
    expect(source).toMatch(/timingSafeEqual\(a, b\)/)
    expect(source).not.toMatch(/[!=]==?\s*(options\.)?token\b|\btoken\s*[!=]==?|\.get\('token'\)\s*[!=]==?/)
  })

  it('rejects API calls without the token or with a wrong one', async () => {
    const none = await fetch(`${base()}/api/call/datasets.list`, { method: 'POST', body: '{}' })
    expect(none.status).toBe(401)
    const wrong = await fetch(`${base()}/api/call/datasets.list`, { method: 'POST', body: '{}', headers: { Authorization: 'Bearer nope' } })
    expect(wrong.status).toBe(401)
    const ok = await fetch(`${base()}/api/call/datasets.list`, { method: 'POST', body: '{}', headers: { Authorization: `Bearer ${server.token}` } })
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { result: unknown[] }).result).toHaveLength(6)
  })

  it('answers bad params with 400 and the field', async () => {
    const r = await fetch(`${base()}/api/call/datasets.get`, { method: 'POST', body: JSON.stringify({ id: 'letters', limit: -1 }), headers: { Authorization: `Bearer ${server.token}` } })
    expect(r.status).toBe(400)
    expect(((await r.json()) as { error: { field: string } }).error.field).toBe('params.limit')
  })

  it('refuses WebSocket upgrades without the token, and serves calls and events with it', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`)
    const refusedFrames: string[] = []
    refused.on('message', (d) => refusedFrames.push(String(d)))
    const [code, reason] = await new Promise<[number, string]>((resolve) => refused.on('close', (c, r) => resolve([c, String(r)])))
    expect(code).toBe(4401)
    expect(reason).toMatch(/unauthorized/)
    expect(refusedFrames).toEqual([])
    const foreign = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${server.token}`, { headers: { Origin: 'http://evil.example' } })
    await expect(new Promise((resolve, reject) => (foreign.on('open', resolve), foreign.on('error', reject)))).rejects.toThrow(/403/)
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${server.token}`)
    await new Promise((resolve) => ws.on('open', resolve))
    const frames: { type: string; id?: number; result?: unknown; event?: string; payload?: unknown; error?: { message: string } }[] = []
    ws.on('message', (d) => frames.push(JSON.parse(String(d))))
    const call = async (id: number, method: string, params: unknown): Promise<(typeof frames)[number]> => {
      ws.send(JSON.stringify({ type: 'call', id, method, params }))
      for (let i = 0; i < 200; i++) {
        const f = frames.find((x) => x.id === id)
        if (f) return f
        await new Promise((r) => setTimeout(r, 25))
      }
      throw new Error(`no reply to ${method}`)
    }
    const created = (await call(1, 'sessions.create', { name: 'ws' })).result as { id: string }
    // Training is a job too: its job.done carries the model.
    const training = (await call(2, 'models.train', { sessionId: created.id, dataset: { builtin: 'seeds-003-auto' }, model: { kind: 'hopfield' } })).result as { jobId: string }
    for (let i = 0; i < 200 && !frames.some((f) => f.event === 'job.done'); i++) await new Promise((r) => setTimeout(r, 25))
    const trainedFrame = frames.find((f) => f.event === 'job.done' && (f.payload as { jobId: string }).jobId === training.jobId)
    if (!trainedFrame) expect.fail('no job.done for the training')
    frames.splice(frames.indexOf(trainedFrame), 1)
    const trained = (trainedFrame.payload as { result: { model: { id: string } } }).result.model
    const started = (await call(3, 'models.run', { sessionId: created.id, modelId: trained.id, run: { kind: 'recall.async', cue: [1, 1, -1, -1], seed: 1, order: 'sequential' } }))
      .result as { jobId: string }
    for (let i = 0; i < 200 && !frames.some((f) => f.event === 'job.done'); i++) await new Promise((r) => setTimeout(r, 25))
    const doneFrame = frames.find((f) => f.event === 'job.done')
    if (!doneFrame) expect.fail(`no job.done; events: ${JSON.stringify(frames.filter((f) => f.type === 'event'))}`)
    const done = doneFrame.payload as { jobId: string; result: { result: { final: number[] } } }
    expect(done.jobId).toBe(started.jobId)
    expect(done.result.result.final).toEqual([1, 1, 1, -1])
    const unknown = await call(4, 'nope.nothing', {})
    expect(unknown.error?.message).toMatch(/unknown method/)
    // Names that live on Object.prototype are not methods either.
    for (const [k, name] of ['constructor', '__proto__', 'toString', 'hasOwnProperty'].entries()) {
      expect((await call(10 + k, name, {})).error?.message).toMatch(/unknown method/)
    }
    // Garbage frames get an error frame, and the connection keeps serving.
    const before = frames.length
    ws.send('{not json')
    ws.send(JSON.stringify({ type: 'call', method: 'app.info', params: {} }))
    ws.send(JSON.stringify([1, 2, 3]))
    for (let i = 0; i < 200 && frames.length < before + 3; i++) await new Promise((r) => setTimeout(r, 25))
    const errors = frames.slice(before).map((f) => f.error?.message)
    expect(errors).toEqual(['message is not valid JSON', "type: expected 'call' with an id", "type: expected 'call' with an id"])
    expect((await call(20, 'sessions.list', {})).result).toEqual(expect.any(Array))
    ws.close()
  })

  it('rejects a foreign Host header (DNS rebinding)', async () => {
    const http = await import('node:http')
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/', headers: { Host: 'evil.example:80' } }, (res) => resolve(res.statusCode ?? 0))
    })
    expect(status).toBe(403)
  })
})
