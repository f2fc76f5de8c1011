// Shared steps of the end-to-end tests: the backend URL, typing into a field, and save → fresh load → reopen.
import { resolve } from 'node:path'
import { expect, type Page } from '@playwright/test'

export function url(): string {
  const u = process.env.ENGRAM_URL
  if (!u) throw new Error('ENGRAM_URL is not set: the global setup did not start the backend')
  return u
}

/**
 * A README screenshot (docs/screenshots/<name>.png): written only when ENGRAM_SCREENSHOTS=1 (`npm run screenshots`),
 * so a test run never rewrites tracked files.
 */
export async function readmeScreenshot(page: Page, name: string): Promise<void> {
  if (process.env.ENGRAM_SCREENSHOTS !== '1') return
  await page.screenshot({ path: resolve(import.meta.dirname, '../../docs/screenshots', `${name}.png`) })
}

export async function setField(page: Page, testId: string, value: string): Promise<void> {
  const field = page.getByTestId(testId)
  await field.fill(value)
  await field.press('Enter')
  await expect(field).toHaveValue(value)
}

/**
 * Names the session uniquely (tests share one backend), saves it, loads the bare URL (so the session link in
 * the fragment does not reopen it), checks nothing is open, and reopens it from the list. Returns the name.
 */
export async function saveReloadReopen(page: Page, prefix: string): Promise<string> {
  const t = (id: string) => page.getByTestId(id)
  const name = `${prefix} ${Date.now()}`
  await setField(page, 'session-name', name)
  await t('save-session').click()
  await expect(t('dirty-indicator')).toHaveAttribute('data-dirty', 'false')
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await expect(t('session-name')).toHaveValue('')
  await t('open-session').click()
  await expect(t('session-list')).toBeVisible()
  await t('session-list').locator(`[data-session-name="${name}"]`).click()
  await expect(t('session-name')).toHaveValue(name)
  return name
}

/** The RBM form's size and learning settings (the RBM page must be shown). */
export async function configureRbm(page: Page, o: { count: number; hidden: number; epochs: number; batch: number; lr: number }): Promise<void> {
  await setField(page, 'rbm-count', String(o.count))
  await setField(page, 'rbm-hidden', String(o.hidden))
  await setField(page, 'rbm-epochs', String(o.epochs))
  await setField(page, 'rbm-batch-size', String(o.batch))
  await setField(page, 'rbm-learning-rate', String(o.lr))
}

/** Page errors, console errors and CSP reports collected while a test runs; a clean run ends with []. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`)
  })
  return problems
}
