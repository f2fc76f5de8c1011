// A batch of training runs started from the app (issue 12), on the RNN page in browser mode: the page's form is the
// base; seeds and a grid over the cell give the runs, counted as typed; bad seeds and a grid value the family refuses
// are named before anything starts; the batch runs (on this machine: the jobs setting's default) with aggregated
// progress; the results table has one row per run (CSV and JSON exports hold them) and Open selects that run's model.
// A second, longer batch is cancelled and leaves no models.
import { readFileSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { setField, url, watchProblems } from './helpers'

test('RNN page: define, check, run, cancel and open a batch of training runs', async ({ page }) => {
  const problems = watchProblems(page)
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('rnn-tab').click()
  await expect(t('rnn-page')).toBeVisible()
  await t('rnn-text').selectOption('corpus:sonnets')
  await setField(page, 'rnn-hidden', '8')
  await setField(page, 'rnn-embedding', '4')
  await setField(page, 'rnn-seq', '8')
  await setField(page, 'rnn-batch', '4')
  await setField(page, 'rnn-steps', '12')
  await setField(page, 'rnn-seed', '5')

  const panel = t('recurrent-batch')
  await panel.scrollIntoViewIfNeeded()
  // The default: the form's seed and the two after it, no grid.
  await expect(t('tb-seeds')).toHaveValue('5, 6, 7')
  await expect(t('tb-count')).toHaveAttribute('data-runs', '3')
  await expect(t('tb-count')).toContainText('1 grid point × 3 seeds = 3 runs · runs on this machine')

  // Refused with the field named, before any call.
  await t('tb-seeds').fill('1, 1')
  await expect(t('tb-error')).toHaveText('Seeds: seed 1 is given twice (its runs would be the same)')
  await expect(t('tb-error')).toHaveAttribute('data-field', 'seeds')
  await expect(t('tb-start')).toBeDisabled()
  await t('tb-seeds').fill('1-65')
  await expect(t('tb-error')).toHaveText('Seeds: at most 64 seeds')
  await t('tb-seeds').fill('1, 2')
  await t('tb-grid-field-0').selectOption('hiddenSize')
  await t('tb-grid-values-0').fill('8, 4096')
  await expect(t('tb-error')).toHaveText('spec.batch.grid.hiddenSize.1: Too big: expected number to be <=1024 (grid point 1)')
  await expect(t('tb-error')).toHaveAttribute('data-field', 'grid.0')
  await t('tb-grid-field-0').selectOption('cell')
  await t('tb-grid-values-0').fill('rnn, gru')
  await expect(t('tb-error')).toHaveCount(0)
  await expect(t('tb-count')).toHaveAttribute('data-runs', '4')
  await expect(t('tb-count')).toContainText('2 grid points × 2 seeds = 4 runs')
  await t('tb-name').fill('cells')

  await t('tb-start').click()
  await expect(t('tb-progress')).toBeVisible()
  await expect(t('tb-results')).toHaveAttribute('data-runs', '4', { timeout: 90_000 })
  await expect(t('tb-progress')).toHaveAttribute('data-status', 'done')
  const rows = t('tb-results').locator('tbody tr')
  await expect(rows).toHaveCount(4)
  // Point-major: (rnn, 1), (rnn, 2), (gru, 1), (gru, 2).
  await expect(rows.nth(0).locator('td').nth(1)).toHaveText('1')
  await expect(rows.nth(0).locator('td').nth(2)).toHaveText('rnn')
  await expect(rows.nth(3).locator('td').nth(1)).toHaveText('2')
  await expect(rows.nth(3).locator('td').nth(2)).toHaveText('gru')
  await expect(t('tb-results').locator('thead')).toContainText('loss')
  await t('tb-results').scrollIntoViewIfNeeded()
  await page.screenshot({ path: test.info().outputPath('batch-results.png') })

  // Exports hold the table.
  const [csv] = await Promise.all([page.waitForEvent('download'), t('tb-table-csv').click()])
  const text = readFileSync((await csv.path())!, 'utf8').trim().split('\n')
  expect(text).toHaveLength(5)
  expect(text[0]).toMatch(/^run,seed,cell,loss/)
  expect(text[4]).toMatch(/^4,2,gru,/)
  const [json] = await Promise.all([page.waitForEvent('download'), t('tb-table-json').click()])
  expect(JSON.stringify(JSON.parse(readFileSync((await json.path())!, 'utf8')))).toContain('gru')

  // None of the batch's models is the page's yet: the list says so instead of showing a blank.
  await expect(t('rnn-select').locator('option:checked')).toHaveText('pick a model (4 in this session)')
  await expect(t('rnn-info')).toHaveCount(0)
  // Open: the run's model becomes the page's model.
  await t('tb-open-2').click()
  await expect(t('rnn-info')).toBeVisible()
  const opened = await t('rnn-info').getAttribute('data-model-id')
  await expect(t('rnn-select').locator('option:checked')).toContainText('cells run 3/4 (seed 1, cell gru)')
  expect(opened).toBeTruthy()

  // A longer batch, cancelled: no new models.
  const before = await t('rnn-select').locator('option').count()
  await setField(page, 'rnn-steps', '4000')
  await t('tb-name').fill('cancelled')
  await t('tb-start').click()
  await expect(t('tb-cancel')).toBeVisible()
  await expect(t('tb-progress')).toHaveAttribute('data-status', 'running')
  await t('tb-cancel').click()
  await expect(t('tb-cancelled')).toBeVisible({ timeout: 60_000 })
  await expect(t('rnn-select').locator('option')).toHaveCount(before)
  // The last finished batch's table stays.
  await expect(t('tb-results')).toHaveAttribute('data-runs', '4')
  expect(problems).toEqual([])
})
