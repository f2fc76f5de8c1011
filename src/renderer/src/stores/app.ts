// Backend identity (version, transport, engine provider), the connection's health, and the page shown.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { ApiError, type Result } from '../../../shared/api'
import { queueUrlProblem } from '../../../shared/queue-url'
import { getApi, getConnection, type ConnectionInfo } from '../api'
import { toApiError } from '../api/errors'

export type AppInfo = Result<'app.info'>
import type { Page } from '../pages'

export type { Page }

export const useAppStore = defineStore('app', () => {
  const info = shallowRef<AppInfo | null>(null)
  const connection = ref<ConnectionInfo>({ status: 'connecting', transport: 'websocket', retryAt: null, detail: '' })
  const page = ref<Page>('recall')
  let unwatch: (() => void) | null = null

  function watchConnection(): void {
    if (unwatch) return
    unwatch = getConnection().onStatus((next) => {
      const wasDown = connection.value.status !== 'open'
      connection.value = { ...next }
      // Reloading the identity after a reconnect picks up a restarted backend's provider.
      if (wasDown && next.status === 'open' && info.value) void loadInfo().catch(() => {})
    })
  }

  async function loadInfo(): Promise<AppInfo> {
    info.value = await getApi().call('app.info', {})
    return info.value
  }

  function retryNow(): void {
    getConnection().retryNow()
  }

  /** Where sweeps and batches run: null for this machine, else the queue's URL with its password masked. */
  const queue = ref<string | null>(null)

  async function loadSettings(): Promise<void> {
    queue.value = (await getApi().call('settings.get', {})).queue
  }

  /**
   * Sets where jobs run (null: this machine). A URL that is not a queue URL is refused here, and one the backend cannot
   * reach (refused, wrong password, TLS) there; either way the error says "Queue URL: …" and the setting is unchanged.
   */
  async function setQueue(url: string | null): Promise<void> {
    const typed = url?.trim() ?? null
    const problem = typed === null ? null : typed === '' ? 'enter a redis:// or rediss:// URL' : queueUrlProblem(typed)
    if (problem) throw new ApiError({ code: 'bad-request', field: 'queue', message: `Queue URL: ${problem}` })
    try {
      queue.value = (await getApi().call('settings.update', { queue: typed })).queue
    } catch (error) {
      const e = toApiError(error)
      if (e.field !== 'params.queue') throw e
      throw new ApiError({ code: 'bad-request', field: 'queue', message: `Queue URL: ${e.message.replace(/^(settings\.update: )?params\.queue: /, '')}` })
    }
  }

  return { info, connection, page, watchConnection, loadInfo, retryNow, queue, loadSettings, setQueue }
})
