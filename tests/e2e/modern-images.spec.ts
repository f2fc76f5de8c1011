// The images sweep end to end (004; the blog post's picture): 120 Fashion-MNIST images (above 0.138·784), the lower
// half masked; the page shows cue | modern at β = 0.0001 (a blend of all of them) | modern at β = 1 | classical net,
// side by side, and the table per β.
import { expect, test } from '@playwright/test'
import { readmeScreenshot, setField, url, watchProblems } from './helpers'

test('images sweep: Fashion-MNIST, half masked, modern at small and large β against the classical net', async ({ page }) => {
  test.setTimeout(120_000)
  const problems = watchProblems(page)
  const t = (id: string) => page.getByTestId(id)

  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('exp-tab').click()
  await t('exp-type').selectOption('images')
  await t('exp-source-custom').check()
  await t('exp-dataset').selectOption('fashion')
  await setField(page, 'exp-count', '120')
  await t('exp-images-betas').fill('0.0001, 1')
  await t('exp-images-betas').blur()
  await expect(t('exp-form-error')).toHaveCount(0)
  await t('exp-run').click()

  await expect(t('images-result')).toHaveAttribute('data-patterns', '120', { timeout: 60_000 })
  await expect(t('images-summary')).toContainText('120 images of 28×28 (above 0.138·N = 108)')
  // Example 0 (a T-shirt): cue, a blend of all 120 at β = 0.0001, the classical net in a mixture.
  await expect(t('images-cell-0-0')).toHaveAttribute('data-verdict', 'cue')
  await expect(t('images-cell-0-1')).toHaveAttribute('data-verdict', 'blend')
  await expect(t('images-cell-0-1')).toContainText('blend of ≈120')
  await expect(t('images-cell-0-3')).toHaveAttribute('data-verdict', 'mixture')
  await expect(t('images-table').locator('tbody tr')).toHaveCount(3)
  await page.mouse.move(0, 0)
  await readmeScreenshot(page, 'modern-images')
  expect(problems).toEqual([])
})
