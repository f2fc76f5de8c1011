// A page reload in the middle of a training: the reopened session finds the job still running in the backend
// (jobs.list), redraws the live curves from every epoch so far, keeps following it, and can cancel it.
import { expect, test } from '@playwright/test'
import { configureRbm, url } from './helpers'

test('rbm: reloading the page mid-training picks the job up again with its live curves', async ({ page }) => {
  const t = (id: string) => page.getByTestId(id)
  const points = async (): Promise<number> => Number(await t('rbm-chart-recon').getAttribute('data-points'))
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('rbm-tab').click()
  // Epochs slow enough (400 hidden units) that the reload lands mid-run and the window is not flooded with epoch events.
  await configureRbm(page, { count: 2000, hidden: 400, epochs: 2000, batch: 50, lr: 0.1 })
  await t('rbm-train').click()
  await expect(t('rbm-training')).toHaveAttribute('data-live', 'true')
  await expect.poll(points, { timeout: 30_000 }).toBeGreaterThanOrEqual(2)

  // The session link in the address reopens the session after the reload; the job is still running.
  await page.reload()
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await expect(t('rbm-page')).toBeVisible()
  await expect(t('rbm-progress')).toHaveAttribute('data-status', 'running')
  await expect(t('rbm-training')).toHaveAttribute('data-live', 'true')
  await expect(t('rbm-live')).toContainText('/ 2000 epochs')
  // Every epoch finished before the reload is back on the chart, and new ones keep coming.
  await expect.poll(points).toBeGreaterThanOrEqual(2)
  const before = await points()
  await expect.poll(points, { timeout: 30_000 }).toBeGreaterThan(before)

  await t('rbm-cancel').click()
  await expect(t('rbm-info')).toHaveAttribute('data-partial', 'true')
  await expect(t('error-banner')).toHaveCount(0)
})
