// The app on a remote backend (issue 12), in browser mode with two `engram serve` processes: the global setup's one
// acts as "this computer", and this spec starts a second one as the "remote" GPU box, with its own data directory and
// token (ENGRAM_TOKEN) and --allow-origin for the first one's page (both are on loopback here). Proven: the Backend
// chip says which backend is in use; Test connection tells a wrong token and an unreachable server apart and accepts
// the right one; after switching, the sessions listed, a training job and the session it lands in are the remote's
// (checked through each server's own HTTP API); the choice survives a reload; switching back shows the local ones.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { expect, test, type Page } from '@playwright/test'
import { setField, url, watchProblems } from './helpers'

const ROOT = resolve(import.meta.dirname, '../..')
const TOKEN = `remote-e2e-${Date.now()}-token`

let child: ChildProcess
let remoteDir: string
let remoteOrigin: string

async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => r(port))
    })
  })
}

/** A call on a server's HTTP API with its token (the test's own view of each backend, not through the page). */
async function call(origin: string, token: string, method: string, params: unknown = {}): Promise<unknown> {
  const res = await fetch(`${origin}/api/call/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(params) })
  const body = (await res.json()) as { result?: unknown; error?: { message: string } }
  if (!res.ok) throw new Error(`${method}: ${body.error?.message}`)
  return body.result
}
const local = (): { origin: string; token: string } => {
  const u = new URL(url())
  return { origin: u.origin, token: u.searchParams.get('token')! }
}
const sessionNames = async (origin: string, token: string): Promise<string[]> => ((await call(origin, token, 'sessions.list')) as { name: string }[]).map((s) => s.name)

test.beforeAll(async () => {
  remoteDir = mkdtempSync(join(tmpdir(), 'engram-e2e-remote-'))
  child = spawn(process.execPath, [join(ROOT, 'out/main/cli.js'), 'serve', '--port', '0', '--data-dir', remoteDir, '--print-json', '--allow-origin', local().origin], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ENGRAM_DATA_DIR: remoteDir, ENGRAM_TOKEN: TOKEN }
  })
  remoteOrigin = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the remote engram serve printed no URL')), 60_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return
      clearTimeout(timer)
      ok(new URL((JSON.parse(line) as { url: string }).url).origin)
    })
  })
  // Something to tell the two apart: a saved session that exists only on the remote.
  const s = (await call(remoteOrigin, TOKEN, 'sessions.create', { name: 'on the GPU box' })) as { id: string }
  await call(remoteOrigin, TOKEN, 'sessions.save', { id: s.id })
})
test.afterAll(async () => {
  child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 500))
  if (child.exitCode === null) child.kill('SIGKILL')
  rmSync(remoteDir, { recursive: true, force: true })
})

async function openPanel(page: Page): Promise<void> {
  await page.getByTestId('backend-where').click()
  await expect(page.getByTestId('backend-settings')).toBeVisible()
}

/** The saved sessions the page lists, once `expected` is among them (the list loads after the menu opens). */
async function listed(page: Page, expected: string): Promise<string[]> {
  await page.getByTestId('open-session').click()
  const list = page.getByTestId('session-list')
  await expect(list.locator(`[data-session-name="${expected}"]`)).toBeVisible()
  const names = await list.locator('[data-session-name]').evaluateAll((els) => els.map((e) => e.getAttribute('data-session-name') ?? ''))
  await page.getByTestId('open-session').click()
  return names
}

test('the Backend setting: test, switch to a remote engram serve, its sessions and jobs, and back', async ({ page }) => {
  const problems = watchProblems(page)
  const $ = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect($('connection-status')).toHaveAttribute('data-status', 'open')
  await expect($('backend-where')).toHaveText('⌂')
  await expect($('backend-where')).toHaveAccessibleName('backend: this computer')
  await expect($('backend-where')).toHaveAttribute('data-backend', 'local')

  // A session of this computer's, saved.
  const localName = `local only ${Date.now()}`
  await $('new-session').click()
  await setField(page, 'session-name', localName)
  await $('save-session').click()
  await expect($('dirty-indicator')).toHaveAttribute('data-dirty', 'false')

  // Test connection: an unreachable server, a wrong token, then the printed URL pasted whole (its token is taken).
  await openPanel(page)
  await $('backend-remote').check()
  const closed = await freePort()
  await $('backend-url').fill(`http://127.0.0.1:${closed}`)
  await $('backend-token').fill('whatever')
  await $('backend-test').click()
  await expect($('backend-error')).toHaveAttribute('data-reason', 'unreachable')
  await expect($('backend-error')).toContainText(`cannot reach http://127.0.0.1:${closed}`)
  await $('backend-url').fill(remoteOrigin)
  await $('backend-token').fill('wrong-token')
  await $('backend-test').click()
  await expect($('backend-error')).toHaveText(`${remoteOrigin} refused the token (wrong or missing token)`)
  await expect($('backend-error')).toHaveAttribute('data-reason', 'unauthorized')
  // Switching with the wrong token is refused the same way, and nothing changes.
  await $('backend-apply').click()
  await expect($('backend-error')).toHaveAttribute('data-reason', 'unauthorized')
  await expect($('backend-where')).toHaveAttribute('data-backend', 'local')
  await $('backend-url').fill(`${remoteOrigin}/?token=${TOKEN}`)
  await expect($('backend-url')).toHaveValue(remoteOrigin)
  await expect($('backend-token')).toHaveValue(TOKEN)
  await $('backend-test').click()
  await expect($('backend-ok')).toHaveText(/^✓ Engram \S+ at http:\/\/127\.0\.0\.1:\d+, token accepted$/)
  await page.screenshot({ path: test.info().outputPath('backend-panel.png') })

  // Switch: the page reloads on the remote backend, and says so.
  await $('backend-apply').click()
  await expect($('backend-where')).toHaveAttribute('data-backend', remoteOrigin)
  await expect($('backend-where')).toHaveText('⇄127.0.0.1')
  await expect($('backend-where')).toHaveAccessibleName(`backend: ${remoteOrigin}`)
  await expect($('connection-status')).toHaveAttribute('data-status', 'open')
  const onRemote = await listed(page, 'on the GPU box')
  expect(onRemote).toContain('on the GPU box')
  expect(onRemote).not.toContain(localName)
  // The local session's link (#session=…) was dropped on the way: nothing tried to open it on the remote.
  await expect($('error-banner')).toHaveCount(0)

  // A training job started here runs on the remote and lands in a remote session.
  const remoteName = `trained remotely ${Date.now()}`
  await $('new-session').click()
  await setField(page, 'session-name', remoteName)
  await $('dataset-select').selectOption('letters')
  await expect($('pattern-thumb-4')).toBeVisible()
  await $('select-none').click()
  for (const i of [0, 1, 2]) await $(`pattern-thumb-${i}`).click()
  await expect($('selection-count')).toHaveText('3 selected')
  await $('train-button').click()
  await expect($('model-info')).toBeVisible()
  await $('save-session').click()
  await expect($('dirty-indicator')).toHaveAttribute('data-dirty', 'false')
  const remoteSessions = (await call(remoteOrigin, TOKEN, 'sessions.list')) as { name: string; models: number }[]
  expect(remoteSessions.find((s) => s.name === remoteName)?.models).toBe(1)
  expect(await sessionNames(local().origin, local().token)).not.toContain(remoteName)
  await page.screenshot({ path: test.info().outputPath('on-remote.png') })

  // Kept on this machine: a reload stays on the remote.
  await page.reload()
  await expect($('backend-where')).toHaveAttribute('data-backend', remoteOrigin)
  await expect($('connection-status')).toHaveAttribute('data-status', 'open')

  // Back to this computer.
  await openPanel(page)
  await expect($('backend-url')).toHaveValue(remoteOrigin)
  await $('backend-local').check()
  await $('backend-apply').click()
  await expect($('backend-where')).toHaveAttribute('data-backend', 'local')
  await expect($('connection-status')).toHaveAttribute('data-status', 'open')
  const back = await listed(page, localName)
  expect(back).toContain(localName)
  expect(back).not.toContain('on the GPU box')
  expect(back).not.toContain(remoteName)
  await expect($('error-banner')).toHaveCount(0)
  // Chromium reports the failed connection to the closed port itself; nothing else may complain.
  expect(problems.filter((p) => !p.includes(`WebSocket connection to 'ws://127.0.0.1:${closed}/api/ws`))).toEqual([])
})
