// The Backend setting's renderer side (src/renderer/src/api/backend.ts, api/index.ts) without a browser: the browser
// host keeps the choice in localStorage only once a remote server passed its test, reloads on a change, and reads a
// damaged entry as this computer; prepareApi + getApi then talk to the chosen server with its token (a fake socket
// records the URL); the probe's three failures are told apart from what the socket does (Node-side probing against a
// real server: tests/main/electron-remote-backend.test.ts).
import { afterEach, describe, expect, it } from 'vitest'
import { activeBackend, getApi, prepareApi } from '../../src/renderer/src/api'
import { BACKEND_KEY, browserHost, RENDERER_VERSION, type BackendHost } from '../../src/renderer/src/api/backend'
import { probeBackend, type ProbeSocket } from '../../src/shared/remote-backend'

type Script = (s: FakeSocket) => void

/** A socket that plays a script once its handlers are set (the probe sets them right after creating it). */
class FakeSocket implements ProbeSocket {
  sent: string[] = []
  onopen: ((ev: unknown) => void) | null = null
  onclose: ((ev: { code: number; reason: string }) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  constructor(
    readonly url: string,
    script: Script
  ) {
    queueMicrotask(() => script(this))
  }
  send(data: string): void {
    this.sent.push(data)
  }
  close(): void {}
}

const answering =
  (version: string): Script =>
  (s) => {
    s.onopen?.({})
    const call = JSON.parse(s.sent[0]!) as { id: number; method: string }
    expect(call.method).toBe('app.info')
    s.onmessage?.({ data: JSON.stringify({ type: 'result', id: call.id, result: { version } }) })
  }

function env(script: Script) {
  const store = new Map<string, string>()
  const sockets: FakeSocket[] = []
  const e = {
    reloads: 0,
    store,
    sockets,
    localStorage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) },
    location: { reload: () => void e.reloads++ },
    createSocket: (u: string) => {
      const s = new FakeSocket(u, script)
      sockets.push(s)
      return s
    }
  }
  return e
}

afterEach(async () => {
  await prepareApi(null)
})

describe('probing a remote engram serve', () => {
  const probe = (script: Script, expectedVersion = '1.2.3') => probeBackend('http://gpu-box:8765', 'tok en', { expectedVersion, createSocket: (u) => new FakeSocket(u, script) })

  it('asks app.info on the WebSocket endpoint with the token, and accepts the same version', async () => {
    const sockets: FakeSocket[] = []
    const result = await probeBackend('http://gpu-box:8765/?token=x', 'tok en', { expectedVersion: '1.2.3', createSocket: (u) => (sockets.push(new FakeSocket(u, answering('1.2.3'))), sockets[0]!) })
    expect(result).toEqual({ ok: true, origin: 'http://gpu-box:8765', version: '1.2.3' })
    expect(sockets[0]!.url).toBe('ws://gpu-box:8765/api/ws?token=tok%20en')
  })

  it('tells unreachable, wrong token, another version and not-Engram apart', async () => {
    expect(await probe((s) => s.onclose?.({ code: 1006, reason: '' }))).toMatchObject({ reason: 'unreachable', message: 'cannot reach http://gpu-box:8765 (connection closed, code 1006): is `engram serve` running there, listening beyond loopback (--host), and is the port open?' })
    expect(await probe((s) => (s.onopen?.({}), s.onclose?.({ code: 4401, reason: 'unauthorized' })))).toMatchObject({ reason: 'unauthorized', message: 'http://gpu-box:8765 refused the token (wrong or missing token)' })
    expect(await probe(answering('9.9.9'))).toMatchObject({ reason: 'version', message: 'http://gpu-box:8765 runs Engram 9.9.9, this app is 1.2.3: run the same version on both' })
    expect(await probe((s) => (s.onopen?.({}), s.onmessage?.({ data: '<html>' })))).toMatchObject({ reason: 'protocol', message: 'http://gpu-box:8765 answered, but not as an Engram server' })
  })

  it('gives up after its timeout when nothing answers', async () => {
    const result = await probeBackend('https://gpu.example.org', 't', { expectedVersion: '1', timeoutMs: 20, createSocket: (u) => new FakeSocket(u, () => {}) })
    expect(result).toMatchObject({ ok: false, reason: 'unreachable', origin: 'https://gpu.example.org', message: expect.stringContaining('(no answer within 0 s)') })
  })

  it('refuses a bad URL or token before connecting, naming the field', async () => {
    const never = (): ProbeSocket => {
      throw new Error('must not connect')
    }
    const bad = (url: string, token = 't') => probeBackend(url, token, { expectedVersion: '1', createSocket: never })
    expect(await bad('gpu-box:8765')).toMatchObject({ reason: 'invalid', message: "Server URL: expected an http:// or https:// URL, got 'gpu-box:'" })
    expect(await bad('not a url')).toMatchObject({ reason: 'invalid', message: "Server URL: 'not a url' is not a URL (expected http://HOST:PORT or https://HOST)" })
    expect(await bad('http://user:pw@gpu-box')).toMatchObject({ reason: 'invalid', message: 'Server URL: the URL holds a user name or password; give the token in the Token field' })
    expect(await bad('http://gpu-box', '')).toMatchObject({ reason: 'invalid', message: 'Token: the token is empty' })
    expect(await bad('http://gpu-box', 'x'.repeat(513))).toMatchObject({ reason: 'invalid', message: expect.stringMatching(/^Token: /) })
  })
})

describe('the browser host', () => {
  it('keeps a remote choice only after its test passes, then reloads; back to local removes it', async () => {
    const bad = env((s) => s.onclose?.({ code: 4401, reason: '' }))
    const host = browserHost(bad)
    expect(await host.apply({ mode: 'remote', url: 'http://gpu-box:8765', token: 'wrong' })).toMatchObject({ ok: false, reason: 'unauthorized' })
    expect(bad.store.size).toBe(0)
    expect(bad.reloads).toBe(0)

    const good = env(answering(RENDERER_VERSION))
    const ok = browserHost(good)
    expect(await ok.apply({ mode: 'remote', url: 'https://gpu.example.org:8443', token: 'secret' })).toEqual({ ok: true })
    expect(JSON.parse(good.store.get(BACKEND_KEY)!)).toEqual({ mode: 'remote', url: 'https://gpu.example.org:8443', token: 'secret' })
    expect(good.reloads).toBe(1)
    expect(await ok.load()).toEqual({ mode: 'remote', url: 'https://gpu.example.org:8443', token: 'secret' })
    expect(await ok.apply({ mode: 'local' })).toEqual({ ok: true })
    expect(good.store.has(BACKEND_KEY)).toBe(false)
    expect(good.reloads).toBe(2)
    expect(await ok.load()).toEqual({ mode: 'local' })
  })

  it('reads a damaged entry as this computer', async () => {
    const e = env(() => {})
    e.store.set(BACKEND_KEY, '{"mode":"remote","url":"ftp://x","token":"t"}')
    expect(await browserHost(e).load()).toEqual({ mode: 'local' })
    e.store.set(BACKEND_KEY, 'not json')
    expect(await browserHost(e).load()).toEqual({ mode: 'local' })
  })
})

describe('the API on the chosen backend', () => {
  it('connects the WebSocket client to the remote server with its token, and says so without the token', async () => {
    const created: string[] = []
    const OriginalWebSocket = globalThis.WebSocket
    // The client's default socket factory is the global WebSocket: record the URL, never connect.
    globalThis.WebSocket = class {
      constructor(u: string) {
        created.push(u)
      }
      close(): void {}
    } as unknown as typeof WebSocket
    try {
      const host: BackendHost = { kind: 'browser', load: async () => ({ mode: 'remote', url: 'https://gpu.example.org:8443', token: 's3cret' }), test: async () => ({ ok: true, origin: '', version: '' }), apply: async () => ({ ok: true }) }
      await prepareApi(host)
      expect(activeBackend()).toEqual({ mode: 'remote', origin: 'https://gpu.example.org:8443' })
      expect(JSON.stringify(activeBackend())).not.toContain('s3cret')
      getApi()
      expect(created).toEqual(['wss://gpu.example.org:8443/api/ws?token=s3cret'])
    } finally {
      globalThis.WebSocket = OriginalWebSocket
    }
  })
})
