// The experiments page end to end: a small synchronous capacity sweep (chart with the theory
// lines), a noise sweep on the active model, cancelling a long asynchronous sweep, the default
// capacity sweep (the README screenshot), overlaying runs, the spec as JSON, save → reload → reopen.
import { resolve } from 'node:path'
import { expect, test, type Page } from '@playwright/test'

const SCREENSHOT = resolve(import.meta.dirname, '../../docs/screenshots/experiments.png')

function url(): string {
  const u = process.env.ENGRAM_URL
  if (!u) throw new Error('ENGRAM_URL is not set: the global setup did not start the backend')
  return u
}

async function setField(page: Page, testId: string, value: string): Promise<void> {
  const field = page.getByTestId(testId)
  await field.fill(value)
  await field.press('Enter')
  await expect(field).toHaveValue(value)
}

test('experiments: capacity sweep with theory lines, noise sweep on the model, cancel, overlay, save and reopen', async ({ page, context }) => {
  test.setTimeout(180_000)
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`)
  })
  const t = (id: string) => page.getByTestId(id)

  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')

  // A model to sweep later: five letters, pseudo-inverse.
  await t('dataset-select').selectOption('letters')
  await t('select-none').click()
  for (const i of [0, 1, 2, 3, 4]) await t(`pattern-thumb-${i}`).click()
  await t('model-rule').selectOption('pseudo-inverse')
  await t('train-button').click()
  await expect(t('model-fixed-points')).toContainText('5 / 5 stored')

  // The experiments page, with the capacity defaults.
  await expect(t('recall-tab')).toHaveAttribute('aria-selected', 'true')
  await t('exp-tab').click()
  await expect(t('exp-tab')).toHaveAttribute('aria-selected', 'true')
  await expect(t('exp-page')).toBeVisible()
  await expect(t('recall-panel')).toHaveCount(0)
  await expect.poll(() => new URL(page.url()).hash).toContain('page=experiments')
  await expect(t('exp-type')).toHaveValue('capacity')
  await expect(t('exp-units')).toHaveValue('100')
  await expect(t('exp-patterns')).toHaveValue('2..40:2')
  for (const r of ['hebb', 'storkey', 'pseudo-inverse']) await expect(t(`exp-rule-${r}`)).toBeChecked()
  await expect(t('exp-trials')).toHaveValue('5')
  await expect(t('exp-noise')).toHaveValue('0.1')
  await expect(t('exp-recall-mode')).toHaveValue('sync')
  await expect(t('exp-list-hint')).toContainText('20 values')

  // A small synchronous capacity sweep: N = 64, P ∈ {4, 8, 16, 32}, 2 trials.
  await setField(page, 'exp-units', '64')
  await setField(page, 'exp-patterns', '4, 8, 16, 32')
  await setField(page, 'exp-trials', '2')
  await expect(t('exp-list-hint')).toContainText('4 values')
  await expect(t('exp-compute')).toContainText('engine')
  await t('exp-run').click()
  await expect(t('exp-progress')).toHaveAttribute('data-status', 'done')
  const chart = t('capacity-chart')
  await expect(chart.locator('canvas').first()).toBeVisible()
  await expect(chart).toHaveAttribute('data-rules', 'hebb,storkey,pseudo-inverse')
  const theory = (await chart.getAttribute('data-theory'))!.split('|')
  expect(theory).toEqual(expect.arrayContaining(['N/(4 ln N)', 'N/(2 ln N)', '0.138 N', 'N/√(2 ln N)']))
  await expect(t('capacity-theory')).toContainText('Storkey N/√(2 ln N)')
  await expect(t('capacity-theory')).toContainText('Pseudo-inverse N')
  await expect(t('exp-result-compute')).toContainText('engine')
  await expect(t('exp-result')).toHaveAttribute('data-type', 'capacity')
  const smallId = (await t('exp-result').getAttribute('data-record-id'))!
  expect(smallId).not.toBe('')
  await expect(t(`exp-item-${smallId}`)).toHaveAttribute('aria-current', 'true')
  await expect(t('exp-spec')).toContainText('"type": "capacity"')
  await expect(t('exp-spec')).toContainText('"units": 64')

  // The spec goes to the clipboard as a file `engram run` takes.
  await t('exp-copy-spec').click()
  await expect(t('exp-copied')).toHaveAttribute('data-status', 'copied')
  const copied = JSON.parse(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())) as { sweep: { patternCounts: number[]; units: number; trials: number } }
  expect(copied.sweep).toMatchObject({ units: 64, patternCounts: [4, 8, 16, 32], trials: 2 })

  // A noise sweep on the active model (the pseudo-inverse letters).
  await t('exp-type').selectOption('noise')
  await expect(t('exp-source-model')).toBeChecked()
  await expect(t('exp-source-summary')).toContainText('pseudo-inverse')
  await expect(t('exp-source-summary')).toContainText('letters')
  await t('exp-run').click()
  await expect(t('exp-result')).toHaveAttribute('data-type', 'noise')
  await expect(t('cue-sweep-chart').locator('canvas').first()).toBeVisible()
  await expect(t('cue-sweep-chart')).toHaveAttribute('data-points', '11')
  await expect(t('cue-sweep-table').locator('tbody tr').first()).toContainText('100.0 %')
  await expect(t('exp-spec')).toContainText('"builtin": "letters"')
  await expect(t('exp-spec')).toContainText('"rule": "pseudo-inverse"')

  // A long asynchronous capacity sweep, cancelled: reported as such, and not kept.
  await t('exp-type').selectOption('capacity')
  await setField(page, 'exp-units', '1000')
  await setField(page, 'exp-patterns', '10..400:10')
  await setField(page, 'exp-trials', '50')
  await t('exp-recall-mode').selectOption('async')
  await expect(t('exp-compute')).toContainText('core')
  await t('exp-run').click()
  await expect(t('exp-progress')).toHaveAttribute('data-status', 'running')
  await t('exp-cancel').click()
  await expect(t('exp-cancelled')).toBeVisible()
  await expect(t('exp-run')).toBeEnabled()
  await expect(t('exp-list').locator('li')).toHaveCount(2)
  await expect(t('error-banner')).toHaveCount(0)

  // The default capacity sweep (N = 100, P = 2…40, three rules, 5 trials, synchronous): the screenshot.
  await setField(page, 'exp-units', '100')
  await setField(page, 'exp-patterns', '2..40:2')
  await setField(page, 'exp-trials', '5')
  await t('exp-recall-mode').selectOption('sync')
  await t('exp-run').click()
  await expect(t('exp-progress')).toHaveAttribute('data-status', 'done')
  await expect(t('exp-list').locator('li')).toHaveCount(3)
  await expect(chart).toHaveAttribute('data-rules', 'hebb,storkey,pseudo-inverse')
  await expect(chart).toHaveAttribute('data-runs', '1')
  const bigId = (await t('exp-result').getAttribute('data-record-id'))!
  expect(bigId).not.toBe(smallId)
  await page.mouse.move(0, 0)
  await page.screenshot({ path: SCREENSHOT })

  // Overlay the small run on it: two runs, lines for both N.
  await t(`exp-overlay-${smallId}`).check()
  await expect(chart).toHaveAttribute('data-runs', '2')
  await expect(t('capacity-theory')).toContainText('N=64')
  await t(`exp-overlay-${smallId}`).uncheck()
  await expect(chart).toHaveAttribute('data-runs', '1')

  // Save; a fresh load; reopen: the experiments are there and open again.
  // Session names default to the minute; other tests share the backend, so the
  // saved one gets its own (after the screenshot).
  const sessionName = `Experiments ${Date.now()}`
  await t('session-name').fill(sessionName)
  await t('session-name').press('Enter')
  await expect(t('session-name')).toHaveValue(sessionName)
  await t('save-session').click()
  await expect(t('dirty-indicator')).toHaveAttribute('data-dirty', 'false')
  const name = await t('session-name').inputValue()
  expect(name).toBe(sessionName)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await expect(t('session-name')).toHaveValue('')
  await t('open-session').click()
  await t('session-list').locator(`[data-session-name="${name}"]`).click()
  await expect(t('session-name')).toHaveValue(name)
  await t('exp-tab').click()
  await expect(t('exp-list').locator('li')).toHaveCount(3)
  await expect(t('exp-result')).toHaveAttribute('data-record-id', bigId)
  await t(`exp-open-${smallId}`).click()
  await expect(t('exp-result')).toHaveAttribute('data-record-id', smallId)
  await expect(chart.locator('canvas').first()).toBeVisible()
  await expect(chart).toHaveAttribute('data-rules', 'hebb,storkey,pseudo-inverse')
  await expect(t('exp-spec')).toContainText('"units": 64')
  const noise = t('exp-list').locator('li[data-type="noise"]')
  await expect(noise).toHaveCount(1)
  await noise.locator('button').click()
  await expect(t('cue-sweep-chart').locator('canvas').first()).toBeVisible()
  // The form came back with the session too.
  await expect(t('exp-type')).toHaveValue('capacity')
  await expect(t('exp-units')).toHaveValue('100')

  await expect(t('error-banner')).toHaveCount(0)
  expect(problems).toEqual([])
})

test('experiments: census and basins on a dataset picked on the page; a bad list names the field', async ({ page }) => {
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('exp-tab').click()

  // No session, no model: the dataset and the rule are picked here.
  await t('exp-type').selectOption('census')
  await expect(t('exp-form-error')).toHaveAttribute('data-field', 'source')
  await expect(t('exp-run')).toBeDisabled()
  await t('exp-source-custom').check()
  await t('exp-dataset').selectOption('letters')
  await setField(page, 'exp-count', '3')
  await t('exp-rule').selectOption('pseudo-inverse')
  await expect(t('exp-form-error')).toHaveCount(0)
  await t('exp-run').click()
  await expect(t('census-table')).toBeVisible()
  await expect(t('census-row-0')).toHaveAttribute('data-kind', 'stored')
  await expect(t('census-counts').locator('[data-kind="stored"]')).not.toHaveAttribute('data-count', '0')
  await expect(t('census-table').locator('canvas').first()).toBeVisible()

  await t('exp-type').selectOption('basins')
  await setField(page, 'exp-trials-per-radius', '5')
  await t('exp-run').click()
  await expect(t('exp-result')).toHaveAttribute('data-type', 'basins')
  await expect(t('basins-radius-chart')).toHaveAttribute('data-patterns', '3')
  await expect(t('basins-success-chart').locator('canvas').first()).toBeVisible()

  await t('exp-type').selectOption('noise')
  await setField(page, 'exp-fractions', '0..0.5')
  await expect(t('exp-form-error')).toHaveAttribute('data-field', 'noise.fractions')
  await expect(t('exp-form-error')).toContainText('step')
  await expect(t('exp-run')).toBeDisabled()
  await expect(t('error-banner')).toHaveCount(0)
})

test('experiments: a small annealing sweep (annealed vs deterministic, the schedule) and a BAM sweep', async ({ page }) => {
  test.setTimeout(180_000)
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('exp-tab').click()

  // Annealing on three letters (pseudo-inverse weights): a short geometric schedule, two fractions.
  await t('exp-type').selectOption('anneal')
  await t('exp-source-custom').check()
  await t('exp-dataset').selectOption('letters')
  await setField(page, 'exp-count', '3')
  await t('exp-rule').selectOption('hebb')
  await t('exp-anneal-schedule').selectOption('geometric')
  await setField(page, 'exp-anneal-start', '2')
  await setField(page, 'exp-anneal-end', '0.1')
  await setField(page, 'exp-anneal-steps', '8')
  await expect(t('exp-anneal-schedule-chart')).toHaveAttribute('data-steps', '8')
  await setField(page, 'exp-fractions', '0.1, 0.3')
  await setField(page, 'exp-cues', '3')
  // A custom schedule with a bad temperature names the field.
  await t('exp-anneal-schedule').selectOption('custom')
  await setField(page, 'exp-anneal-temperatures', '1, x')
  await expect(t('exp-form-error')).toHaveAttribute('data-field', 'anneal.schedule')
  await expect(t('exp-run')).toBeDisabled()
  await t('exp-anneal-schedule').selectOption('geometric')
  await expect(t('exp-form-error')).toHaveCount(0)
  await t('exp-run').click()
  await expect(t('exp-result')).toHaveAttribute('data-type', 'anneal')
  await expect(t('anneal-chart')).toHaveAttribute('data-points', '2')
  await expect(t('anneal-schedule-chart')).toHaveAttribute('data-steps', '8')
  await expect(t('anneal-table').locator('tbody tr')).toHaveCount(2)

  // A BAM sweep on the same letters, binary-index codes, noisy X.
  await t('exp-type').selectOption('bam')
  await t('exp-bam-codes').selectOption('dataset')
  await expect(t('exp-form-error')).toHaveAttribute('data-field', 'bam.codes')
  await t('exp-bam-codes').selectOption('binary-index')
  await setField(page, 'exp-fractions', '0, 0.2')
  await setField(page, 'exp-cues', '3')
  await expect(t('exp-form-error')).toHaveCount(0)
  await t('exp-run').click()
  await expect(t('exp-result')).toHaveAttribute('data-type', 'bam')
  await expect(t('bam-sweep-chart')).toHaveAttribute('data-points', '2')
  await expect(t('bam-sweep-table').locator('tbody tr')).toHaveCount(2)
  await expect(t('error-banner')).toHaveCount(0)
})

test("experiments: 003's recurrent auto-associator (missing units) and hetero-associative net (conditions)", async ({ page }) => {
  test.setTimeout(120_000)
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('exp-tab').click()

  // (1,1,1,−1) stored in the modified recurrent net: three of four units missing still come back.
  await t('exp-type').selectOption('recurrent')
  await t('exp-source-custom').check()
  await t('exp-dataset').selectOption('seeds-003-auto')
  await setField(page, 'exp-count', '1')
  await t('exp-recurrent-modified').selectOption('modified')
  await t('exp-recurrent-activation').selectOption('sign0')
  await t('exp-recurrent-corruption').selectOption('missing')
  await setField(page, 'exp-fractions', '0.75')
  await setField(page, 'exp-cues', '8')
  await setField(page, 'exp-recurrent-max-iterations', '20')
  await expect(t('exp-form-error')).toHaveCount(0)
  await t('exp-run').click()
  await expect(t('exp-result')).toHaveAttribute('data-type', 'recurrent')
  await expect(t('recurrent-chart')).toHaveAttribute('data-points', '1')
  await expect(t('recurrent-chart').locator('canvas').first()).toBeVisible()
  await expect(t('recurrent-table').locator('tbody tr')).toHaveCount(1)
  await expect(t('recurrent-table').getByTestId('recurrent-recovered')).toHaveText('100.0 %')
  await expect(t('recurrent-table').getByTestId('recurrent-maxIterations')).toHaveText('0.0 %')

  // The BAM letters A and C with their own codes in a one-layer net: A·C ≠ 0, so not orthogonal.
  await t('exp-type').selectOption('hetero')
  await t('exp-dataset').selectOption('letters')
  await t('exp-hetero-codes').selectOption('dataset')
  await expect(t('exp-form-error')).toHaveAttribute('data-field', 'hetero.codes')
  await t('exp-dataset').selectOption('seeds-003-bam')
  await setField(page, 'exp-count', '2')
  await setField(page, 'exp-fractions', '0, 0.2')
  await setField(page, 'exp-cues', '4')
  await expect(t('exp-form-error')).toHaveCount(0)
  await t('exp-run').click()
  await expect(t('exp-result')).toHaveAttribute('data-type', 'hetero')
  await expect(t('hetero-conditions')).toHaveAttribute('data-orthogonal', 'false')
  await expect(t('hetero-orthogonal')).toContainText('not orthogonal')
  await expect(t('hetero-violations').locator('tbody tr')).toHaveCount(1)
  await expect(t('hetero-bound')).toHaveAttribute('data-applies', 'false')
  await expect(t('hetero-bound')).toContainText('does not apply')
  await expect(t('hetero-chart')).toHaveAttribute('data-points', '2')
  await expect(t('hetero-table').locator('tbody tr').first()).toContainText('100.0 %')
  await expect(t('error-banner')).toHaveCount(0)
})

test("experiments: 004's Boltzmann machine with hidden units learns seed 000's nine-unit pattern exactly", async ({ page }) => {
  test.setTimeout(120_000)
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('exp-tab').click()

  await t('exp-type').selectOption('boltzmann')
  await expect(t('exp-type-caption')).toContainText('exact needs visible+hidden ≤ 20')
  await t('exp-source-custom').check()
  await t('exp-dataset').selectOption('seeds-000-nine')
  await setField(page, 'exp-count', '1')
  // 9 visible + 12 hidden is too big to enumerate: the form says so.
  await setField(page, 'exp-boltzmann-hidden', '12')
  await expect(t('exp-form-error')).toHaveAttribute('data-field', 'boltzmann.mode')
  await expect(t('exp-run')).toBeDisabled()
  await setField(page, 'exp-boltzmann-hidden', '2')
  await t('exp-boltzmann-mode').selectOption('exact')
  await setField(page, 'exp-boltzmann-epochs', '100')
  await setField(page, 'exp-boltzmann-eta', '0.5')
  await expect(t('exp-form-error')).toHaveCount(0)
  await t('exp-run').click()
  await expect(t('exp-result')).toHaveAttribute('data-type', 'boltzmann')
  await expect(t('boltzmann-chart')).toHaveAttribute('data-epochs', /^[1-9]\d*$/)
  await expect(t('boltzmann-chart').locator('canvas').first()).toBeVisible()
  const ll = Number(await t('boltzmann-chart').getAttribute('data-final-log-likelihood'))
  expect(Number.isFinite(ll)).toBe(true)
  expect(ll).toBeLessThanOrEqual(0)
  await expect(t('boltzmann-probabilities').locator('tbody tr')).toHaveCount(1)
  await expect(t('boltzmann-success')).toContainText('%')
  const success = Number(await t('boltzmann-completion').getAttribute('data-success'))
  expect(success).toBeGreaterThan(0)
  await expect(t('error-banner')).toHaveCount(0)
})
