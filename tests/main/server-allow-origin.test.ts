// `engram serve --allow-origin`: on loopback the WebSocket takes the server's own page origin and the ones named, and
// still refuses any other (403 before the upgrade) and a wrong token (close 4401) from a named one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startServer, type RunningServer } from '../../src/main/server/server'
import type { Backend } from '../../src/main/services/backend'

let server: RunningServer
const backend = { call: async () => ({ version: 'x' }), on: () => () => {} } as unknown as Backend

beforeAll(async () => {
  server = await startServer({ backend, port: 0, token: 'tok', allowOrigins: ['http://127.0.0.1:5555'] })
})
afterAll(() => server.close())

/** 'open', a close code, or the refused upgrade's HTTP status. */
function connect(origin: string, token = 'tok'): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${token}`, { origin })
    ws.on('open', () => {
      ws.on('close', (code) => resolve(`close ${code}`))
      setTimeout(() => (ws.close(), resolve('open')), 100)
    })
    ws.on('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`))
    ws.on('error', () => {})
  })
}

describe('allowOrigins on a loopback server', () => {
  it('accepts a named origin and its own, refuses others, and still wants the token', async () => {
    expect(await connect('http://127.0.0.1:5555')).toBe('open')
    expect(await connect(`http://127.0.0.1:${server.port}`)).toBe('open')
    expect(await connect('http://127.0.0.1:5556')).toBe('http 403')
    expect(await connect('http://evil.example')).toBe('http 403')
    expect(await connect('http://127.0.0.1:5555', 'wrong')).toBe('close 4401')
  })
})
