// The RBM page's hidden-layer view: p(h | v) and reconstructions on chosen rows, mean activations; a bad row list
// names its problem.
import { expect, test } from '@playwright/test'
import { configureRbm, url } from './helpers'

test('rbm: hidden units on data rows — inputs, reconstructions, p(h|v) grids and mean activations', async ({ page }) => {
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('rbm-tab').click()
  await configureRbm(page, { count: 300, hidden: 25, epochs: 2, batch: 20, lr: 0.1 })
  await t('rbm-train').click()
  await expect(t('rbm-info')).toBeVisible()
  await expect(t('rbm-hidden-panel')).toBeVisible()
  await t('rbm-hidden-rows').fill('0-3, 10')
  await t('rbm-hidden-show').click()
  await expect(t('rbm-hidden-rows-shown')).toHaveAttribute('data-count', '5')
  await expect(t('rbm-hidden-row-10')).toBeVisible()
  await expect(t('rbm-hidden-row-10').locator('canvas')).toHaveCount(2)
  await expect(t('rbm-hidden-row-0')).toContainText('#0')
  await expect(t('rbm-hidden-mean')).toHaveAttribute('data-dead', /\d+/)
  await expect(t('rbm-hidden-mean').locator('canvas').first()).toBeVisible()
  if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT, fullPage: true })
  await t('rbm-hidden-rows').fill('0-300')
  await t('rbm-hidden-show').click()
  await expect(t('error-banner')).toContainText('past the last row (299)')
})
