// The workbench keeps what the user typed and what they saved: number fields refuse bad values in place (the action
// waits), sessions are renamed and deleted from the Open list, "New" over unsaved work asks, charts and tables leave
// the app as files, and a URL without its token gets one clear message.
import { readFileSync } from 'node:fs'
import { expect, test, type Page } from '@playwright/test'
import { url, watchProblems } from './helpers'

const t = (page: Page) => (id: string) => page.getByTestId(id)

async function trainLetters(page: Page, patterns: number[]): Promise<void> {
  const $ = t(page)
  await $('dataset-select').selectOption('letters')
  await $('select-none').click()
  for (const i of patterns) await $(`pattern-thumb-${i}`).click()
  await $('train-button').click()
  await expect($('model-patterns')).toContainText(String(patterns.length))
}

test('number fields show the limit and hold the action; the summary is what would run', async ({ page }) => {
  const problems = watchProblems(page)
  const $ = t(page)
  await page.goto(url())
  await expect($('connection-status')).toHaveAttribute('data-status', 'open')
  await $('rbm-tab').click()
  await expect($('rbm-train')).toBeEnabled()
  for (const [value, message] of [
    ['-5', '-5 is too small: at least 1'],
    ['0', '0 is too small: at least 1'],
    ['1e9', 'is too large: at most 10000'],
    ['2.5', 'not a whole number']
  ] as const) {
    await $('rbm-hidden').fill(value)
    await expect($('rbm-hidden-error')).toContainText(message)
    await expect($('rbm-hidden')).toHaveValue(value)
    await expect($('rbm-train')).toBeDisabled()
  }
  await $('rbm-hidden').fill('-5')
  await expect($('rbm-plan')).toContainText('× -5 hidden')
  await $('rbm-learning-rate').fill('0')
  await expect($('rbm-learning-rate-error')).toContainText('above 0')
  await $('rbm-hidden').fill('37')
  await $('rbm-learning-rate').fill('0.05')
  await expect($('rbm-hidden-error')).toHaveCount(0)
  await expect($('rbm-plan')).toContainText('× 37 hidden')
  await expect($('rbm-train')).toBeEnabled()
  // The experiments page states the capacity sweep's limit from the same contract.
  await $('exp-tab').click()
  await $('exp-units').fill('5000')
  await expect($('exp-units-error')).toContainText('at most 4096')
  await expect($('exp-run')).toBeDisabled()
  expect(problems).toEqual([])
})

test('sessions: New asks over unsaved work, empty sessions stay out of the list, rename and delete from the list', async ({ page }) => {
  const problems = watchProblems(page)
  const $ = t(page)
  await page.goto(url())
  await expect($('connection-status')).toHaveAttribute('data-status', 'open')
  await trainLetters(page, [0, 1])
  const name = `Trust ${Date.now()}`
  await $('session-name').fill(name)
  await $('session-name').press('Enter')
  await $('save-session').click()
  await expect($('dirty-indicator')).toHaveAttribute('data-dirty', 'false')

  await trainLetters(page, [0, 1, 2])
  await expect($('dirty-indicator')).toHaveAttribute('data-dirty', 'true')
  await $('new-session').click()
  await expect($('confirm-dialog')).toBeVisible()
  await expect($('confirm-message')).toContainText(name)
  await $('confirm-cancel').click()
  await expect($('confirm-dialog')).toHaveCount(0)
  await expect($('session-name')).toHaveValue(name)
  await $('new-session').click()
  await $('confirm-discard').click()
  await expect($('session-name')).not.toHaveValue(name)

  // The new, empty session is not in the list; the saved one is, without the discarded model.
  await $('open-session').click()
  const item = $('session-list').locator(`[data-session-name="${name}"]`)
  await expect(item).toContainText('1 model ')
  // By id: other specs share the backend and their sessions may carry the same timestamped name.
  const emptyId = decodeURIComponent(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('session') ?? '')
  expect(emptyId).not.toBe('')
  await expect($(`session-item-${emptyId}`)).toHaveCount(0)
  const id = (await item.getAttribute('data-testid'))!.replace('session-item-', '')

  await $(`session-item-${id}-rename`).click()
  await $(`session-item-${id}-rename-input`).fill(`${name} renamed`)
  await $(`session-item-${id}-rename-input`).press('Enter')
  await expect($(`session-item-${id}`)).toHaveAttribute('data-session-name', `${name} renamed`)

  await $(`session-item-${id}-delete`).click()
  await expect($('confirm-title')).toContainText(`${name} renamed`)
  await $('confirm-delete').click()
  await $('open-session').click()
  await expect($(`session-item-${id}`)).toHaveCount(0)
  expect(problems).toEqual([])
})

test('results leave the app: a chart as PNG, SVG and CSV', async ({ page }) => {
  const problems = watchProblems(page)
  const $ = t(page)
  await page.goto(url())
  await expect($('connection-status')).toHaveAttribute('data-status', 'open')
  await trainLetters(page, [0, 1, 2])
  await $('batch-cues').fill('5')
  await $('batch-run').click()
  await expect($('batch-chart')).toBeVisible()
  await $('batch-chart').hover()
  for (const [kind, check] of [
    ['csv', (text: string) => expect(text.split('\r\n')[0]).toBe('x,success')],
    ['svg', (text: string) => expect(text.startsWith('<svg')).toBe(true)],
    ['png', (text: string) => expect(text.slice(1, 4)).toBe('PNG')]
  ] as const) {
    const download = page.waitForEvent('download')
    await $(`batch-chart-${kind}`).click()
    const file = await download
    expect(file.suggestedFilename()).toBe(`batch-chart.${kind}`)
    check(readFileSync((await file.path())!, kind === 'png' ? 'latin1' : 'utf8'))
  }
  expect(problems).toEqual([])
})

test('the URL without its token gets one clear message, no pile of lost connections', async ({ page }) => {
  const bare = new URL(url())
  bare.searchParams.delete('token')
  await page.goto(bare.toString())
  await expect(page.getByTestId('unauthorized')).toBeVisible()
  await expect(page.getByTestId('unauthorized')).toContainText('?token=')
  await expect(page.getByTestId('error-banner')).toHaveCount(0)
})
