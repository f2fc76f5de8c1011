// Backend identity (version, transport, engine provider), the connection's health, and the page shown.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { Result } from '../../../shared/api'
import { getApi, getConnection, type ConnectionInfo } from '../api'

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

  return { info, connection, page, watchConnection, loadInfo, retryNow }
})
