// A classification RBM end to end in browser mode: label units on the digits, the accuracy curve growing live while it
// trains, cancel keeps the finished epochs, the confusion matrix of the held-out rows, and all of it after save → reopen.
import { expect, test } from '@playwright/test'
import { configureRbm, saveReloadReopen, url, watchProblems } from './helpers'

test('rbm: classification RBM on the digits — live accuracy, confusion matrix, saved with the session', async ({ page }) => {
  const problems = watchProblems(page)
  const t = (id: string) => page.getByTestId(id)
  const numbers = async (id: string, attr: string): Promise<number[]> => {
    const raw = (await t(id).getAttribute(attr)) ?? ''
    return raw ? raw.split(',').filter((x) => x !== '').map(Number) : []
  }

  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('rbm-tab').click()

  // The letters have no class labels: the form says so (the backend would refuse it naming model.labels).
  await t('rbm-dataset').selectOption('letters')
  await t('rbm-labels').check()
  await expect(t('rbm-labels-missing')).toBeVisible()
  // AIS needs an RBM without label units.
  await expect(t('rbm-ais')).toHaveCount(0)
  await expect(t('rbm-ais-labels')).toBeVisible()
  await t('rbm-dataset').selectOption('digits')
  await expect(t('rbm-labels-missing')).toHaveCount(0)

  // 1000 digits (900 train, 100 held out), 64 hidden, batch 20: long enough to watch it live, then cancel.
  await configureRbm(page, { count: 1000, hidden: 64, epochs: 2000, batch: 20, lr: 0.1 })
  await expect(t('rbm-plan')).toContainText('784 + label visible × 64 hidden')
  await t('rbm-train').click()
  await expect(t('rbm-training')).toHaveAttribute('data-live', 'true')
  await expect(t('rbm-chart-accuracy')).toBeVisible()
  await expect.poll(async () => Number(await t('rbm-chart-accuracy').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThanOrEqual(3)
  await t('rbm-cancel').click()
  await expect(t('rbm-info')).toHaveAttribute('data-partial', 'true')
  await expect(t('rbm-training')).toHaveAttribute('data-live', 'false')

  // The kept epochs carry their accuracies: well above chance (10 %) and rising.
  const train = await numbers('rbm-chart-accuracy', 'data-train')
  const held = await numbers('rbm-chart-accuracy', 'data-held-out')
  expect(train.length).toBeGreaterThanOrEqual(3)
  expect(held).toHaveLength(train.length)
  expect(train[train.length - 1]!).toBeGreaterThan(0.6)
  expect(held[held.length - 1]!).toBeGreaterThan(0.5)
  expect(held[held.length - 1]!).toBeGreaterThan(held[0]! - 0.05)
  await expect(t('rbm-last-accuracy')).toContainText('held out')
  await expect(t('rbm-info-units')).toContainText('784 visible (28×28, bernoulli) + 10 label units × 64 hidden')

  // The confusion matrix of the 100 held-out rows, for the weights kept (the cancelled epoch's finished updates
  // included, so it can differ a little from the last full epoch's held-out accuracy).
  const confusion = t('rbm-confusion')
  await expect(confusion).toHaveAttribute('data-split', 'held-out')
  await expect(confusion).toHaveAttribute('data-rows', '100')
  const accuracy = Number(await confusion.getAttribute('data-accuracy'))
  expect(accuracy).toBeGreaterThan(0.5)
  expect(Math.abs(accuracy - held[held.length - 1]!)).toBeLessThan(0.15)
  await expect(confusion.locator('tbody tr')).toHaveCount(10)
  await expect(t('rbm-confusion-row-7')).toBeVisible()
  await expect(t('rbm-confusion-accuracy')).toContainText('chance 10 %')
  await expect(t('rbm-info-accuracy')).toContainText('100 held-out rows · 10 classes')
  const id = (await t('rbm-info').getAttribute('data-model-id'))!

  // Saved and reopened: the accuracies and the confusion matrix come back.
  await saveReloadReopen(page, 'RBM classes')
  await t('rbm-tab').click()
  await expect(t('rbm-info')).toHaveAttribute('data-model-id', id)
  await expect(t('rbm-labels')).toBeChecked()
  expect(await numbers('rbm-chart-accuracy', 'data-held-out')).toEqual(held)
  await expect(t('rbm-confusion')).toHaveAttribute('data-accuracy', String(accuracy))
  await expect(t('error-banner')).toHaveCount(0)
  expect(problems).toEqual([])
})
