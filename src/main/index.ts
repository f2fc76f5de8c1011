// Electron shell: one hardened window on the renderer bundle; all work goes to the Backend services.
import { app, BrowserWindow, session, shell } from 'electron'
import { join } from 'node:path'
import { Backend } from './services/backend'
import { registerIpc } from './ipc/register'
import { defaultDataDir } from './paths'

const devUrl = process.env.ELECTRON_RENDERER_URL

async function createWindow(): Promise<void> {
  const backend = new Backend({
    dataDir: defaultDataDir(),
    transport: 'ipc',
    worker: { url: new URL('./job-worker.js', import.meta.url) },
    // Where shardable sweeps run: this machine unless ENGRAM_QUEUE names a queue (a settings page is to come).
    ...(process.env.ENGRAM_QUEUE ? { queue: process.env.ENGRAM_QUEUE } : {})
  })
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Engram',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true
    }
  })
  const unregister = registerIpc(backend, window, devUrl)
  window.on('ready-to-show', () => window.show())
  window.on('closed', () => {
    unregister()
    void backend.close()
  })
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event, url) => {
    if (!(devUrl && url.startsWith(devUrl))) event.preventDefault()
  })
  if (devUrl) await window.loadURL(devUrl)
  else await window.loadFile(join(import.meta.dirname, '../renderer/index.html'))
}

app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  await createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
