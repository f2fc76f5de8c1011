// Importing an IDX dataset in the app: a tiny images file (12 images of 4×5, built here) and labels
// uploaded through the dataset panel, listed as user:<name> with thumbnails, usable on the other
// pages and for training; a file that is not IDX gets an error naming params.images.
import { expect, test, type Page } from '@playwright/test'
import { url, watchProblems } from './helpers'

const N = 12
const ROWS = 4
const COLS = 5

/** An IDX images file: magic 0x00000803, dims N, rows, cols (big-endian int32), then N·rows·cols uint8. */
function idxImages(): Buffer {
  const header = Buffer.alloc(16)
  header.writeUInt32BE(0x00000803, 0)
  header.writeUInt32BE(N, 4)
  header.writeUInt32BE(ROWS, 8)
  header.writeUInt32BE(COLS, 12)
  const pixels = Buffer.alloc(N * ROWS * COLS)
  for (let i = 0; i < N; i++) for (let k = 0; k < ROWS * COLS; k++) pixels[i * ROWS * COLS + k] = (i + k) % 3 === 0 || (i * 7 + k) % 5 === 0 ? 230 : 10
  return Buffer.concat([header, pixels])
}

/** An IDX labels file: magic 0x00000801, N, then N uint8 labels. */
function idxLabels(): Buffer {
  const header = Buffer.alloc(8)
  header.writeUInt32BE(0x00000801, 0)
  header.writeUInt32BE(N, 4)
  return Buffer.concat([header, Buffer.from(Array.from({ length: N }, (_, i) => i % 10))])
}

/** Number of distinct colours of the canvas inside a test id (a blank one has one or two). */
async function colours(page: Page, testId: string): Promise<number> {
  return page
    .getByTestId(testId)
    .locator('canvas')
    .evaluate((el) => {
      type Canvas = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } }
      const c = el as unknown as Canvas
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      const set = new Set<number>()
      for (let i = 0; i < d.length; i += 4) set.add(d[i]! * 65536 + d[i + 1]! * 256 + d[i + 2]!)
      return set.size
    })
}

test('datasets: import a tiny IDX file, browse it, use it on every page; a bad file names params.images', async ({ page }) => {
  test.setTimeout(120_000)
  const problems = watchProblems(page)
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')

  await t('dataset-import-toggle').click()
  await expect(t('dataset-import-run')).toBeDisabled()
  await t('dataset-import-images').setInputFiles({ name: 'tiny-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: idxImages() })
  // The name comes from the file name; labels are optional (given here).
  await expect(t('dataset-import-name')).toHaveValue('tiny-images')
  await t('dataset-import-labels').setInputFiles({ name: 'tiny-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: idxLabels() })
  await t('dataset-import-name').fill('tiny-e2e')
  await t('dataset-import-run').click()

  // Listed, selected and browsed: 12 thumbnails of 5×4, labelled, drawn.
  await expect(t('dataset-select')).toHaveValue('user:tiny-e2e')
  await expect(t('dataset-import')).toHaveCount(0)
  await expect(t('dataset-panel').locator('.head-meta')).toContainText('12 patterns · 5×4 = 20 units')
  await expect(t('pattern-grid').locator('button.thumb')).toHaveCount(N)
  await expect(t('pattern-thumb-11')).toContainText('1')
  expect(await colours(page, 'pattern-thumb-0')).toBeGreaterThan(1)
  expect(await colours(page, 'pattern-thumb-5')).toBeGreaterThan(1)
  // Grey images: the threshold applies.
  await expect(t('dataset-threshold')).toBeVisible()

  // Train a Hebbian memory on three of its images.
  await t('select-none').click()
  for (const i of [0, 1, 2]) await t(`pattern-thumb-${i}`).click()
  await expect(t('selection-count')).toHaveText('3 selected')
  await t('model-rule').selectOption('hebb')
  await t('train-button').click()
  await expect(t('model-units')).toContainText('20')
  await expect(t('model-patterns')).toContainText('3')

  // Offered wherever a dataset is picked.
  await t('exp-tab').click()
  await t('exp-type').selectOption('recurrent')
  await t('exp-source-custom').check()
  await t('exp-dataset').selectOption('user:tiny-e2e')
  await expect(t('exp-threshold')).toBeVisible()
  await t('rbm-tab').click()
  await expect(t('rbm-dataset').locator('option[value="user:tiny-e2e"]')).toHaveCount(1)
  await t('bam-tab').click()
  await expect(t('bam-dataset').locator('option[value="user:tiny-e2e"]')).toHaveCount(1)
  await expect(t('error-banner')).toHaveCount(0)

  // Random bytes are no IDX file: the banner names params.images, nothing new is listed.
  await t('recall-tab').click()
  const before = await t('dataset-select').locator('option').count()
  await t('dataset-import-toggle').click()
  const junk = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 151 + 7) & 0xff))
  await t('dataset-import-images').setInputFiles({ name: 'junk.bin', mimeType: 'application/octet-stream', buffer: junk })
  await t('dataset-import-name').fill('junk')
  await t('dataset-import-run').click()
  await expect(t('error-banner')).toBeVisible()
  await expect(t('error-banner').getByTestId('error-field').last()).toHaveText('params.images')
  await expect(t('error-banner').getByTestId('error-message').last()).toContainText('params.images')
  await expect(t('dataset-import-status')).toContainText('failed')
  await expect(t('dataset-select').locator('option')).toHaveCount(before)
  await expect(t('dataset-select')).toHaveValue('user:tiny-e2e')
  expect(problems).toEqual([])
})
