// The RBM page end to end: train a small RBM on digits (curves per epoch, reconstruction error
// falling, receptive fields drawn), sample it from noise, export ONNX, save → reload → reopen;
// cancel a long training after its first epoch (kept as partial) and continue it; a longer run for the screenshot.
import { statSync } from 'node:fs'
import { expect, test, type Page } from '@playwright/test'
import { readmeScreenshot, configureRbm, saveReloadReopen, setField, url, watchProblems } from './helpers'


/** Size and number of distinct colours of a canvas (a blank one has one or two). */
async function canvasStats(page: Page, testId: string): Promise<{ width: number; height: number; colours: number }> {
  return page.getByTestId(testId).evaluate((el) => {
    type Canvas = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } }
    const c = el as unknown as Canvas
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
    const colours = new Set<number>()
    for (let i = 0; i < d.length; i += 4) colours.add(d[i]! * 65536 + d[i + 1]! * 256 + d[i + 2]!)
    return { width: c.width, height: c.height, colours: colours.size }
  })
}

async function values(page: Page): Promise<number[]> {
  const raw = (await page.getByTestId('rbm-chart-recon').getAttribute('data-values')) ?? ''
  return raw ? raw.split(',').map(Number) : []
}


test('rbm: train on digits, curves, receptive fields, samples, export, save and reopen', async ({ page }) => {
  const problems = watchProblems(page)
  const t = (id: string) => page.getByTestId(id)

  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('rbm-tab').click()
  await expect(t('rbm-tab')).toHaveAttribute('aria-selected', 'true')
  await expect(t('rbm-page')).toBeVisible()
  await expect(t('recall-panel')).toHaveCount(0)
  await expect.poll(() => new URL(page.url()).hash).toContain('page=rbm')

  // The defaults: digits, 2000 rows, 100 hidden units, CD-1.
  await expect(t('rbm-dataset')).toHaveValue('digits')
  await expect(t('rbm-count')).toHaveValue('2000')
  await expect(t('rbm-hidden')).toHaveValue('100')
  await expect(t('rbm-algorithm')).toHaveValue('cd')
  await expect(t('rbm-k')).toHaveValue('1')
  // Gaussian visible units: the caption on standardisation and σ; no binarisation.
  await t('rbm-visible-units').selectOption('gaussian')
  await expect(t('rbm-gaussian-caption')).toContainText('standardised')
  await expect(t('rbm-gaussian-caption')).toContainText('σ is fixed')
  await expect(t('rbm-binarise')).toHaveCount(0)
  // AIS needs Bernoulli units: no checkbox for Gaussian ones.
  await expect(t('rbm-ais')).toHaveCount(0)
  await expect(t('rbm-ais-gaussian')).toBeVisible()
  await t('rbm-visible-units').selectOption('bernoulli')
  await expect(t('rbm-gaussian-caption')).toHaveCount(0)
  await expect(t('rbm-ais')).not.toBeChecked()
  await expect(t('rbm-ais-runs')).toHaveValue('16')
  await expect(t('rbm-ais-steps')).toHaveValue('300')

  // A small RBM: 500 digits (450 train, 50 held out), 36 hidden, 3 epochs of batch 50.
  await configureRbm(page, { count: 500, hidden: 36, epochs: 3, batch: 50, lr: 0.1 })
  await expect(t('rbm-plan')).toContainText('784 visible × 36 hidden')
  await expect(t('rbm-plan')).toContainText('9 steps/epoch')
  // With a small AIS estimate of log Z after training.
  await t('rbm-ais').check()
  await setField(page, 'rbm-ais-runs', '8')
  await setField(page, 'rbm-ais-steps', '100')
  await t('rbm-train').click()
  await expect(t('rbm-progress')).toHaveAttribute('data-status', 'done')
  const info = t('rbm-info')
  await expect(info).toHaveAttribute('data-partial', 'false')
  await expect(t('rbm-info-epochs')).toContainText('3 / 3 epochs')
  await expect(t('rbm-info-units')).toContainText('784 visible (28×28, bernoulli) × 36 hidden')
  const likelihood = t('rbm-likelihood')
  await expect(likelihood).toContainText('log Ẑ')
  await expect(likelihood).toContainText('ESS')
  await expect(likelihood).toContainText('100 steps')
  const ll = Number(await likelihood.getAttribute('data-train'))
  expect(Number.isFinite(ll)).toBe(true)
  expect(ll).toBeLessThan(0)
  const id = (await info.getAttribute('data-model-id'))!
  expect(id).toBeTruthy()
  await expect(t(`rbm-item-${id}`)).toHaveAttribute('aria-current', 'true')

  // One point per epoch on every chart; the reconstruction error falls.
  await expect(t('rbm-chart-recon')).toHaveAttribute('data-points', '3')
  await expect(t('rbm-chart-pll')).toHaveAttribute('data-points', '3')
  await expect(t('rbm-chart-free-energy')).toHaveAttribute('data-points', '3')
  await expect(t('rbm-chart-recon').locator('canvas').first()).toBeVisible()
  const errors = await values(page)
  expect(errors).toHaveLength(3)
  expect(errors[2]!).toBeLessThan(errors[0]!)
  await expect(t('rbm-last-epoch')).toContainText('epoch 3')
  await expect(t('rbm-last-epoch')).toContainText('gap')

  // Receptive fields: 36 tiles of 28×28, drawn.
  const filters = t('rbm-filters')
  await expect(filters).toHaveAttribute('data-model-id', id)
  await expect(filters).toHaveAttribute('data-count', '36')
  const fieldStats = await canvasStats(page, 'rbm-filters')
  expect(fieldStats.width).toBe(6 * 29 + 1)
  expect(fieldStats.colours).toBeGreaterThan(50)

  // 16 samples from noise.
  await setField(page, 'rbm-sample-count', '16')
  await t('rbm-sample-from').selectOption('noise')
  await t('rbm-sample-run').click()
  await expect(t('rbm-sample-progress')).toHaveAttribute('data-status', 'done')
  await expect(t('rbm-samples')).toHaveAttribute('data-count', '16')
  await expect(t('rbm-samples')).toHaveAttribute('data-model-id', id)
  expect((await canvasStats(page, 'rbm-samples')).colours).toBeGreaterThan(3)

  // Export ONNX: a browser download, and the path the backend wrote.
  const [download] = await Promise.all([page.waitForEvent('download'), t('rbm-export-onnx').click()])
  expect(download.suggestedFilename()).toMatch(/\.onnx$/)
  expect(statSync(await download.path()).size).toBeGreaterThan(0)
  await expect(t('rbm-export-path')).toContainText('.onnx')

  // Save; a fresh load; reopen: the RBM, its curves and its fields come back.
  await saveReloadReopen(page, 'RBM')
  await t('rbm-tab').click()
  await expect(t(`rbm-item-${id}`)).toHaveAttribute('aria-current', 'true')
  await expect(t('rbm-info')).toHaveAttribute('data-model-id', id)
  await expect(t('rbm-chart-recon')).toHaveAttribute('data-points', '3')
  expect(await values(page)).toEqual(errors)
  await expect(t('rbm-filters')).toHaveAttribute('data-model-id', id)
  expect((await canvasStats(page, 'rbm-filters')).colours).toBeGreaterThan(50)
  // The form came back with the session too.
  await expect(t('rbm-hidden')).toHaveValue('36')
  await expect(t('rbm-count')).toHaveValue('500')
  await expect(t('rbm-sample-count')).toHaveValue('16')
  await expect(t('dirty-indicator')).toHaveAttribute('data-dirty', 'false')

  await expect(t('error-banner')).toHaveCount(0)
  expect(problems).toEqual([])
})

test('rbm: cancelling a long training after its first epoch keeps it, marked partial', async ({ page }) => {
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('rbm-tab').click()
  // Long enough (2000 rows × 200 epochs) that the cancel lands well before the end.
  await configureRbm(page, { count: 2000, hidden: 100, epochs: 200, batch: 50, lr: 0.1 })
  await t('rbm-train').click()
  await expect(t('rbm-progress')).toHaveAttribute('data-status', 'running')
  // The live curves: the first epoch shows while the job still runs.
  await expect(t('rbm-training')).toHaveAttribute('data-live', 'true')
  await expect(t('rbm-item-live')).toBeVisible()
  await expect.poll(async () => Number(await t('rbm-chart-recon').getAttribute('data-points'))).toBeGreaterThanOrEqual(1)
  await expect(t('rbm-live')).toContainText('/ 200 epochs')
  await expect(t('rbm-progress-rate')).toContainText('steps/s')
  await t('rbm-cancel').click()

  await expect(t('rbm-info')).toHaveAttribute('data-partial', 'true')
  await expect(t('rbm-partial')).toBeVisible()
  await expect(t('rbm-stopped')).toContainText('kept as partial')
  await expect(t('rbm-info-epochs')).toContainText('/ 200 epochs')
  const done = Number((await t('rbm-info-epochs').textContent())!.trim().split(' ')[0])
  expect(done).toBeGreaterThanOrEqual(1)
  expect(done).toBeLessThan(200)
  await expect(t('rbm-chart-recon')).toHaveAttribute('data-points', String(done))
  const id = (await t('rbm-info').getAttribute('data-model-id'))!
  await expect(t(`rbm-item-${id}`)).toHaveAttribute('data-partial', 'true')
  await expect(t(`rbm-item-${id}`).getByTestId('rbm-partial-tag')).toBeVisible()
  await expect(t('rbm-training')).toHaveAttribute('data-live', 'false')
  await expect(t('rbm-filters')).toHaveAttribute('data-model-id', id)
  await expect(t('rbm-train')).toBeEnabled()

  // Continue training the partial RBM for 2 more epochs: a new model, from where the cancel left it.
  await expect(t('rbm-continue-epochs')).toHaveValue('5')
  await setField(page, 'rbm-continue-epochs', '2')
  await expect(t('rbm-continue-row')).toContainText(`epochs → ${done + 2}`)
  await t('rbm-continue').click()
  await expect(t('rbm-info')).not.toHaveAttribute('data-model-id', id)
  await expect(t('rbm-info')).toHaveAttribute('data-partial', 'false')
  await expect(t('rbm-info-epochs')).toContainText(`${done + 2} / ${done + 2} epochs`)
  await expect(t('rbm-continued-from')).toContainText(`after epoch ${done}`)
  await expect(t('rbm-chart-recon')).toHaveAttribute('data-points', String(done + 2))
  await expect(t(`rbm-item-${id}`)).toHaveAttribute('data-partial', 'true')
  await expect(t('error-banner')).toHaveCount(0)
})

test('rbm: Gaussian visible units on grey levels: their curves and samples', async ({ page }) => {
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('rbm-tab').click()
  await t('rbm-visible-units').selectOption('gaussian')
  await configureRbm(page, { count: 300, hidden: 16, epochs: 2, batch: 50, lr: 0.005 })
  await t('rbm-train').click()
  await expect(t('rbm-progress')).toHaveAttribute('data-status', 'done')
  await expect(t('rbm-info-units')).toContainText('gaussian')
  await expect(t('rbm-chart-recon')).toHaveAttribute('data-points', '2')
  // For Gaussian units the backend reports a reconstruction error where the pseudo-likelihood would be.
  await expect(t('rbm-training')).toContainText('metric rows')
  await expect(t('rbm-filters')).toHaveAttribute('data-count', '16')
  await setField(page, 'rbm-sample-count', '9')
  await setField(page, 'rbm-sample-steps', '50')
  await t('rbm-sample-run').click()
  await expect(t('rbm-samples')).toHaveAttribute('data-count', '9')
  expect((await canvasStats(page, 'rbm-samples')).colours).toBeGreaterThan(3)
  await expect(t('error-banner')).toHaveCount(0)
})

test('rbm: a longer training learns stroke-like receptive fields (the screenshot)', async ({ page }) => {
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('rbm-tab').click()
  await configureRbm(page, { count: 8000, hidden: 64, epochs: 15, batch: 20, lr: 0.1 })
  await t('rbm-train').click()
  await expect(t('rbm-progress')).toHaveAttribute('data-status', 'done', { timeout: 60_000 })
  await expect(t('rbm-chart-recon')).toHaveAttribute('data-points', '15')
  await expect(t('rbm-filters')).toHaveAttribute('data-count', '64')
  await setField(page, 'rbm-sample-count', '36')
  await t('rbm-sample-from').selectOption('data')
  await t('rbm-sample-run').click()
  await expect(t('rbm-samples')).toHaveAttribute('data-count', '36')
  const errors = await values(page)
  expect(errors[errors.length - 1]!).toBeLessThan(errors[0]!)
  await page.mouse.move(0, 0)
  await readmeScreenshot(page, 'rbm')
})
