// The BAM page end to end, on seed 003's letters A and C (Examples 3.23 and 3.24): train with the
// dataset's own codes, recall from A's X (Y = (−1, 1), first net input (−14, 16)), recall from the
// half-known code (0, 1) (a spurious stable state), export safetensors, save → reload → reopen.
import { statSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { readmeScreenshot, saveReloadReopen, url, watchProblems } from './helpers'


test('bam: seed 003 letters A and C, recall both ways, spurious state, export, save and reopen', async ({ page }) => {
  const problems = watchProblems(page)
  const t = (id: string) => page.getByTestId(id)

  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('bam-tab').click()
  await expect(t('bam-tab')).toHaveAttribute('aria-selected', 'true')
  await expect(t('bam-page')).toBeVisible()
  await expect.poll(() => new URL(page.url()).hash).toContain('page=bam')

  // The defaults are seed 003's example; the dataset's codes need its own dataset.
  await expect(t('bam-dataset')).toHaveValue('seeds-003-bam')
  await expect(t('bam-codes')).toHaveValue('dataset')
  await expect(t('bam-encoding')).toHaveValue('bipolar')
  await t('bam-train').click()
  await expect(t('bam-info')).toBeVisible()
  await expect(t('bam-weights')).toContainText('W 15 × 2')
  await expect(t('bam-units')).toContainText('X 15 (3×5) · Y 2')
  const id = (await t('bam-info').getAttribute('data-model-id'))!
  expect(id).toBeTruthy()

  // Example 3.23: A's X as the cue (Y unknown) → Y = (−1, 1); the first half-step's net input (−14, 16).
  await t('bam-load-x').selectOption({ label: 'A' })
  await t('bam-clear-y').click()
  await expect(t('bam-cue-y')).toHaveAttribute('data-values', '0,0')
  await t('bam-recall').click()
  await expect(t('bam-outcome')).toHaveAttribute('data-outcome', 'pair')
  await expect(t('bam-outcome')).toContainText('A')
  await expect(t('bam-final-y')).toHaveText('-1, 1')
  await expect(t('bam-state-y')).toHaveAttribute('data-values', '-1,1')
  await t('bam-step-start').click()
  await expect(t('bam-position')).toHaveAttribute('data-t', '0')
  await t('bam-step-forward').click()
  await expect(t('bam-position')).toHaveAttribute('data-t', '1')
  await expect(t('bam-net-input')).toHaveAttribute('data-layer', 'y')
  await expect(t('bam-net-input')).toHaveAttribute('data-values', '-14,16')
  await expect(t('bam-energy-chart')).not.toHaveAttribute('data-points', '0')

  // The same W as 003's one-layer hetero-associative net: one pass x → y, and the pairs' sufficient conditions.
  await expect(t('bam-conditions')).toHaveAttribute('data-orthogonal', /true|false/)
  await expect(t('bam-disturbance')).toContainText('1.936')
  await t('bam-mode').selectOption('one-shot')
  await t('bam-recall').click()
  await expect(t('bam-half-steps')).toContainText('1 half-steps · one-shot')
  await expect(t('bam-outcome')).toContainText('code of A')
  await expect(t('bam-net-input')).toHaveAttribute('data-values', '-14,16')
  await t('bam-mode').selectOption('bam')

  // Example 3.24: only the second Y unit known, (0, 1) → a spurious stable state.
  await t('bam-clear-x').click()
  await expect(t('bam-cue-x-state')).toHaveText('unknown')
  await t('bam-y-unit-1').click() // 0 → +1
  await expect(t('bam-cue-y')).toHaveAttribute('data-values', '0,1')
  await t('bam-recall').click()
  await expect(t('bam-outcome')).toHaveAttribute('data-outcome', 'spurious')
  await expect(t('bam-outcome')).toContainText('SPURIOUS')
  await expect(t('bam-outcome')).toHaveAttribute('data-spurious', 'true')
  const spuriousY = await t('bam-final-y').textContent()
  const spuriousX = await t('bam-state-x').getAttribute('data-values')
  await readmeScreenshot(page, 'bam')

  // Export: safetensors only for a BAM.
  const [download] = await Promise.all([page.waitForEvent('download'), t('bam-export-safetensors').click()])
  expect(download.suggestedFilename()).toMatch(/\.safetensors$/)
  expect(statSync(await download.path()).size).toBeGreaterThan(0)
  await expect(t('bam-export-path')).toContainText('.safetensors')

  // Save; a fresh load; reopen: the BAM and the last recall come back.
  await saveReloadReopen(page, 'BAM')
  await t('bam-tab').click()
  await expect(t('bam-info')).toHaveAttribute('data-model-id', id)
  await expect(t('bam-weights')).toContainText('W 15 × 2')
  await expect(t('bam-outcome')).toHaveAttribute('data-outcome', 'spurious')
  await expect(t('bam-final-y')).toHaveText(spuriousY ?? '')
  await expect(t('bam-state-x')).toHaveAttribute('data-values', spuriousX ?? '')
  await expect(t('bam-cue-y')).toHaveAttribute('data-values', '0,1')
  await expect(t('bam-cue-x-state')).toHaveText('unknown')

  await expect(t('error-banner')).toHaveCount(0)
  expect(problems).toEqual([])
})
