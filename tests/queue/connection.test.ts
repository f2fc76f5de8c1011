// Queue URLs: redis:// and rediss:// (TLS) with passwords, parsed into connection options with errors naming the
// option; an unreachable queue or a wrong password fails at once with the reason instead of retrying for ever.
import { describe, expect, it } from 'vitest'
import { checkQueue, connectionFromUrl, redactUrl } from '../../src/main/queue/connection'
import { freePort, haveRedis, startRedis } from '../helpers/queue-pool'

describe('queue URLs', () => {
  it('reads host, port, database, user, password and TLS', () => {
    expect(connectionFromUrl('redis://127.0.0.1:6390')).toEqual({ host: '127.0.0.1', port: 6390, db: 0, maxRetriesPerRequest: null })
    expect(connectionFromUrl('rediss://worker:p%40ss%3Aw%2Frd@queue.lan:6380/2')).toEqual({
      host: 'queue.lan',
      port: 6380,
      db: 2,
      username: 'worker',
      password: 'p@ss:w/rd',
      tls: { servername: 'queue.lan' },
      maxRetriesPerRequest: null
    })
    expect(connectionFromUrl('redis://:secret@[::1]')).toMatchObject({ host: '::1', port: 6379, password: 'secret' })
  })

  it('refuses other URLs naming the option', () => {
    expect(() => connectionFromUrl('http://127.0.0.1:6379')).toThrow("--queue: expected a redis:// or rediss:// URL, got 'http:'")
    expect(() => connectionFromUrl('127.0.0.1:6379', 'queue')).toThrow("queue: '127.0.0.1:6379' is not a URL")
    expect(() => connectionFromUrl('not a url')).toThrow(/--queue: 'not a url' is not a URL/)
    expect(() => connectionFromUrl('redis://h:6379/x')).toThrow("--queue: 'x' is not a database number")
  })

  it('never prints the password', () => {
    expect(redactUrl('rediss://:secret@queue.lan:6380')).toBe('rediss://:***@queue.lan:6380')
  })

  it('fails at once, with the reason, when nothing listens', async () => {
    const port = await freePort()
    await expect(checkQueue(`redis://127.0.0.1:${port}`)).rejects.toThrow(`queue redis://127.0.0.1:${port}: cannot connect (connect ECONNREFUSED 127.0.0.1:${port})`)
  })

  it.skipIf(!haveRedis)('accepts the right password and refuses a wrong one with the reason', async () => {
    const redis = await startRedis('s3cret pass')
    try {
      const port = new URL(redis.url).port
      await expect(checkQueue(`redis://:s3cret%20pass@127.0.0.1:${port}`)).resolves.toBeUndefined()
      await expect(checkQueue(`redis://:wrong@127.0.0.1:${port}`)).rejects.toThrow(`queue redis://:***@127.0.0.1:${port}: cannot connect (WRONGPASS`)
    } finally {
      redis.stop()
    }
  })
})
