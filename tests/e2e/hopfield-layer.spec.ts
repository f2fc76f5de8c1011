// The Hopfield layer page end to end (issue 10): train a small layer with the live chart and the stored patterns drawn
// as they are learned, see the loss fall and the layer beat the linear baseline on held-out data, look at one input's
// attention over the stored patterns, export ONNX, save and reopen.
import { statSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { readmeScreenshot, saveReloadReopen, setField, url, watchProblems } from './helpers'

test('hopfield layer: train with live loss and stored patterns, beat the baseline, attention, export, reopen', async ({ page }) => {
  const problems = watchProblems(page)
  const t = (id: string) => page.getByTestId(id)

  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('hlayer-tab').click()
  await expect(t('hlayer-page')).toBeVisible()
  await expect.poll(() => new URL(page.url()).hash).toContain('page=hopfield-layer')

  // A batch larger than the training set is refused before any work, naming the field.
  await setField(page, 'hl-train', '10')
  await expect(t('hl-form-error')).toHaveAttribute('data-field', 'batch')
  await setField(page, 'hl-train', '300')
  await expect(t('hl-form-error')).toHaveCount(0)

  await setField(page, 'hl-epochs', '60')
  await t('hl-train-run').click()
  // The stored patterns are drawn while the layer learns them.
  await expect(t('hl-stored-panel')).toHaveAttribute('data-live', 'true', { timeout: 30_000 })
  await expect(t('hl-info')).toBeVisible({ timeout: 60_000 })
  await expect(t('hl-stored-panel')).toHaveAttribute('data-epoch', '60')
  await expect(t('hl-chart')).toHaveAttribute('data-points', '60')
  const first = Number(await t('hl-chart').getAttribute('data-first-loss'))
  const last = Number(await t('hl-chart').getAttribute('data-last-loss'))
  expect(last).toBeLessThan(first / 3)
  expect(Number(await t('hl-info').getAttribute('data-test-accuracy'))).toBeGreaterThan(0.9)
  expect(Number(await t('hl-info').getAttribute('data-baseline-accuracy'))).toBeLessThan(0.5)

  // One held-out input's attention over the stored patterns.
  await expect(t('hl-attend-outcome')).toBeVisible()
  await setField(page, 'hl-index', '7')
  await expect(t('hl-attention')).not.toHaveAttribute('data-top', '-1')
  await readmeScreenshot(page, 'hopfield-layer')

  const [download] = await Promise.all([page.waitForEvent('download'), t('hl-export-onnx').click()])
  expect(download.suggestedFilename()).toMatch(/\.onnx$/)
  expect(statSync(await download.path()).size).toBeGreaterThan(0)

  await saveReloadReopen(page, 'Hopfield layer')
  await t('hlayer-tab').click()
  await expect(t('hl-info')).toBeVisible()
  await expect(t('hl-index')).toHaveValue('7')
  await expect(t('hl-attend-outcome')).toBeVisible()
  await expect(t('error-banner')).toHaveCount(0)
  expect(problems).toEqual([])
})

test('hopfield pooling: train over bags beside mean pooling, one bag’s attention with the key marked, reopen', async ({ page }) => {
  const problems = watchProblems(page)
  const t = (id: string) => page.getByTestId(id)

  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('hlayer-tab').click()
  await t('hl-mode').selectOption('pooling')
  await expect(t('hl-pooling-desc')).toBeVisible()
  await expect(t('hl-stored')).toHaveCount(0)

  // Bag sizes the wrong way round are refused before any work, naming the field.
  await setField(page, 'hl-min-bag', '13')
  await expect(t('hl-form-error')).toHaveAttribute('data-field', 'minBag')
  await setField(page, 'hl-min-bag', '4')
  await expect(t('hl-form-error')).toHaveCount(0)

  await t('hl-train-run').click()
  await expect(t('hl-info')).toBeVisible({ timeout: 60_000 })
  await expect(t('hl-chart')).toHaveAttribute('data-points', '40')
  expect(Number(await t('hl-info').getAttribute('data-test-accuracy'))).toBeGreaterThan(0.8)
  expect(Number(await t('hl-info').getAttribute('data-baseline-accuracy'))).toBeLessThan(0.6)
  await expect(t('hl-info-accuracy')).toContainText('mean pooling')

  // A held-out bag that holds the key: the key is marked and gets the most attention.
  await expect(t('hl-bag-outcome')).toBeVisible()
  await setField(page, 'hl-bag-index', '1')
  await expect(t('hl-bag-outcome')).toContainText('holds the key')
  await expect(t('hl-bag-attention')).toHaveAttribute('data-top-role', 'key')
  await expect(t('hl-bag-instances').locator('li[data-role="key"]')).toHaveCount(1)
  await readmeScreenshot(page, 'hopfield-pooling')

  const [download] = await Promise.all([page.waitForEvent('download'), t('hl-export-onnx').click()])
  expect(download.suggestedFilename()).toMatch(/pooling.*\.onnx$/)

  await saveReloadReopen(page, 'Hopfield pooling')
  await t('hlayer-tab').click()
  await expect(t('hl-mode')).toHaveValue('pooling')
  await expect(t('hl-bag-index')).toHaveValue('1')
  await expect(t('hl-bag-attention')).toHaveAttribute('data-top-role', 'key')
  await expect(t('error-banner')).toHaveCount(0)
  expect(problems).toEqual([])
})
