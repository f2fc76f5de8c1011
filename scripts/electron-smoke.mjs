// Electron smoke test: launches the real app with Playwright's _electron where the Electron binary exists.
// Where it does not (machines that cannot download it), it says so and skips, exiting 0.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const electronDir = join(root, 'node_modules', 'electron')
const pathFile = join(electronDir, 'path.txt')
const binary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null

if (!binary || !existsSync(binary)) {
  console.log('electron smoke: SKIPPED — the Electron binary is not installed here (node_modules/electron/dist missing); the renderer was tested in Chromium in browser mode instead.')
  process.exit(0)
}

const { _electron } = await import('playwright-core')
const dataDir = mkdtempSync(join(tmpdir(), 'engram-electron-'))
const app = await _electron.launch({ executablePath: binary, args: [root], env: { ...process.env, ENGRAM_DATA_DIR: dataDir } })
try {
  const page = await app.firstWindow()
  await page.waitForSelector('[data-testid="dataset-select"]', { timeout: 30_000 })
  const info = await page.evaluate(() => window.engram.call('app.info', {}))
  if (info.transport !== 'ipc') throw new Error(`expected the IPC transport, got ${info.transport}`)
  console.log(`electron smoke: passed (Engram ${info.version}, engine ${info.engine.chosen})`)
} finally {
  await app.close()
  rmSync(dataDir, { recursive: true, force: true })
}
