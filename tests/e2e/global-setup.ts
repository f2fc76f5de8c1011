// Starts `engram serve` on a free port with a throwaway data directory; the URL (with its token)
// reaches the tests as ENGRAM_URL. The returned function is Playwright's teardown.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'

const ROOT = resolve(import.meta.dirname, '../..')
const CLI = join(ROOT, 'out/main/cli.js')
const RENDERER = join(ROOT, 'out/renderer/index.html')
const READY_TIMEOUT_MS = 60_000

function waitForUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`engram serve printed no URL within ${READY_TIMEOUT_MS / 1000} s\n${stderr}`)), READY_TIMEOUT_MS)
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (process.env.ENGRAM_E2E_LOG) process.stderr.write(d)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`engram serve exited (${code ?? signal}) before it was ready\n${stderr}`))
    })
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      const text = line.trim()
      if (!text.startsWith('{')) return
      try {
        const parsed = JSON.parse(text) as { url?: unknown }
        if (typeof parsed.url === 'string') {
          clearTimeout(timer)
          resolvePromise(parsed.url)
        }
      } catch {
        // not the ready line
      }
    })
  })
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(CLI) || !existsSync(RENDERER)) {
    throw new Error(`build first: ${existsSync(CLI) ? '' : 'out/main/cli.js '}${existsSync(RENDERER) ? '' : 'out/renderer/index.html '}missing (npx electron-vite build)`)
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'engram-e2e-'))
  // process.execPath: the Node that runs Playwright (the project's Node 24 under npx).
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--print-json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ENGRAM_DATA_DIR: dataDir }
  })
  let url: string
  try {
    url = await waitForUrl(child)
  } catch (error) {
    child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  process.env.ENGRAM_URL = url
  process.env.ENGRAM_E2E_DATA_DIR = dataDir

  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()))
      child.kill('SIGTERM')
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))
      if ((await Promise.race([exited, timeout])) === 'timeout') child.kill('SIGKILL')
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
}
