// The app's "jobs run on" setting (TopBar → QueueSetting.vue, app store): this machine or a queue URL. A URL that is
// not a redis:// / rediss:// one is refused before any call, naming the field; one the backend cannot reach comes back
// with the backend's reason under the same name; the setting shows the URL as the backend gives it (password masked).
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError } from '../../src/shared/api'
import { setApi } from '../../src/renderer/src/api'
import { useAppStore } from '../../src/renderer/src/stores/app'
import { FakeApi } from './fake-api'

let api: FakeApi
let stored: string | null

beforeEach(() => {
  stored = null
  api = new FakeApi()
    .handle('settings.get', () => ({ queue: stored }))
    .handle('settings.update', (p) => {
      if (p.queue?.includes('unreachable')) {
        throw new ApiError({ code: 'bad-request', field: 'params.queue', message: 'settings.update: params.queue: queue redis://:***@unreachable:6379: cannot connect (getaddrinfo ENOTFOUND unreachable)' })
      }
      stored = p.queue ? p.queue.replace(/:[^:@/]*@/, ':***@') : null
      return { queue: stored }
    })
  setApi(api)
  setActivePinia(createPinia())
})

describe('the queue setting in the app', () => {
  it('starts as this machine, takes a queue URL with a password (shown masked) and goes back', async () => {
    const app = useAppStore()
    await app.loadSettings()
    expect(app.queue).toBeNull()
    await app.setQueue('  redis://:s3cret@10.0.0.5:6379 ')
    expect(api.callsOf('settings.update')).toEqual([{ queue: 'redis://:s3cret@10.0.0.5:6379' }])
    expect(app.queue).toBe('redis://:***@10.0.0.5:6379')
    await app.setQueue(null)
    expect(app.queue).toBeNull()
  })

  it('refuses a URL that is not a queue URL before calling the backend, naming the field', async () => {
    const app = useAppStore()
    await expect(app.setQueue('http://10.0.0.5:6379')).rejects.toMatchObject({ field: 'queue', message: "Queue URL: expected a redis:// or rediss:// URL, got 'http:'" })
    await expect(app.setQueue('10.0.0.5:6379')).rejects.toThrow("Queue URL: '10.0.0.5:6379' is not a URL (expected redis://HOST:PORT or rediss://:PASSWORD@HOST:PORT)")
    await expect(app.setQueue(' ')).rejects.toThrow('Queue URL: enter a redis:// or rediss:// URL')
    await expect(app.setQueue('redis://host:6379/x')).rejects.toThrow("Queue URL: 'x' is not a database number")
    expect(api.callsOf('settings.update')).toEqual([])
  })

  it("shows the backend's reason when it cannot reach the queue, and keeps the setting", async () => {
    const app = useAppStore()
    await app.setQueue('rediss://:pw@queue.lan:6380')
    await expect(app.setQueue('redis://:pw@unreachable:6379')).rejects.toMatchObject({
      field: 'queue',
      message: 'Queue URL: queue redis://:***@unreachable:6379: cannot connect (getaddrinfo ENOTFOUND unreachable)'
    })
    expect(app.queue).toBe('rediss://:***@queue.lan:6380')
  })
})
