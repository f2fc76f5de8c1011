// The recall lab end to end: dataset → train (pseudo-inverse, so every stored letter is a fixed
// point) → cue → async recall back to the source letter, replay → batch recall → save → reload and
// reopen → export, in Chromium against `engram serve` (see global-setup.ts). Also energy training's history.
import { statSync } from 'node:fs'
import { expect, test, type Page } from '@playwright/test'
import { readmeScreenshot, saveReloadReopen, url, watchProblems } from './helpers'


async function replayT(page: Page): Promise<number> {
  return Number(await page.getByTestId('replay-position').getAttribute('data-t'))
}

test('recall lab: train, recall, replay, batch, save, reopen, export', async ({ page }) => {
  const problems = watchProblems(page)
  const t = (id: string) => page.getByTestId(id)

  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await expect(t('engine-provider')).toContainText(/engine \S+/)

  // Dataset: letters, five of them.
  await t('dataset-select').selectOption('letters')
  await expect(t('pattern-thumb-25')).toBeVisible()
  await t('select-none').click()
  for (const i of [0, 1, 2, 3, 4]) await t(`pattern-thumb-${i}`).click()
  await expect(t('selection-count')).toHaveText('5 selected')
  await expect(t('pattern-thumb-2')).toHaveAttribute('aria-pressed', 'true')

  // Train with the pseudo-inverse rule: the projection keeps every stored letter a fixed point
  // (Hebb would not: the five letters overlap too much).
  await expect(t('model-rule')).toBeEnabled()
  await t('model-rule').selectOption('pseudo-inverse')
  await expect(t('model-rule-caption')).toContainText('fixed point')
  await expect(t('model-normalisation')).toHaveCount(0)
  await expect(t('model-zero-diagonal')).not.toBeChecked()
  await t('train-button').click()
  await expect(t('model-info')).toBeVisible()
  await expect(t('model-patterns')).toContainText('5')
  await expect(t('model-units')).toContainText('100')
  await expect(t('model-spec')).toContainText('pseudo-inverse')
  await expect(t('model-fixed-points')).toContainText('5 / 5 stored')
  const modelId = await t('model-info').getAttribute('data-model-id')
  expect(modelId).toBeTruthy()

  // Cue: stored letter #2 (C), 20 % of the units flipped.
  await t('cue-source').selectOption('2')
  await t('corrupt-type').selectOption('flip')
  await t('corrupt-flip-fraction').fill('0.2')
  await expect(t('corrupt-percent')).toHaveValue('20')
  await t('apply-corruption').click()
  await expect(t('cue-summary')).toContainText('flip 20 %')
  await expect(t('cue-summary')).toContainText('20.0 % differs')
  // Set in the editor but not applied: the header still says what made the cue (issue 11).
  await t('corrupt-flip-fraction').fill('0.4')
  await expect(t('corrupt-percent')).toHaveValue('40')
  await expect(t('cue-summary')).toContainText('flip 20 %')
  await t('corrupt-flip-fraction').fill('0.2')

  // Asynchronous recall and its replay: back to the source letter.
  await t('run-recall').click()
  await expect(t('recall-outcome')).toHaveText('fixed point')
  await expect(t('recall-recalled')).toHaveAttribute('data-recalled', '2')
  await expect(t('recall-recalled')).toContainText('#2 C')
  await expect(t('recall-hamming')).toContainText('0 to target')
  await expect(t('energy-chart').locator('canvas').first()).toBeVisible()
  await expect(t('overlap-chart').locator('canvas').first()).toBeVisible()
  await expect(t('state-grid')).toBeVisible()
  const end = await replayT(page)
  expect(end).toBeGreaterThan(0)
  await readmeScreenshot(page, 'recall-lab')

  await t('replay-start').click()
  expect(await replayT(page)).toBe(0)
  for (let k = 0; k < 3; k++) await t('step-forward').click()
  expect(await replayT(page)).toBe(3)
  await t('step-back').click()
  expect(await replayT(page)).toBe(2)
  await t('next-flip').click()
  expect(await replayT(page)).toBeGreaterThan(2)
  await t('replay-slider').fill(String(Math.floor(end / 2)))
  expect(await replayT(page)).toBe(Math.floor(end / 2))
  await t('replay-start').click()
  await t('play-pause').click()
  await expect.poll(() => replayT(page)).toBeGreaterThan(0)
  await t('play-pause').click()
  await t('replay-end').click()
  expect(await replayT(page)).toBe(end)
  const outcome = await t('recall-outcome').textContent()
  const recalled = await t('recall-recalled').getAttribute('data-recalled')

  // Batch recall.
  await t('batch-cues').fill('20')
  await t('batch-cues').press('Enter')
  await t('batch-run').click()
  await expect(t('batch-success-rate')).toHaveText(/^\d+(\.\d)? %$/)
  await expect(t('batch-provider')).not.toBeEmpty()
  await expect(t('batch-cue-count')).toContainText('100')
  const rate = await t('batch-success-rate').textContent()

  // Save.
  // Session names default to the minute; other tests share the backend, so the
  // saved one gets its own (after the screenshot).
  await saveReloadReopen(page, 'Recall lab')
  await expect(t('model-info')).toHaveAttribute('data-model-id', modelId!)
  await expect(t('model-patterns')).toContainText('5')
  await expect(t('model-rule')).toHaveValue('pseudo-inverse')
  await expect(t('selection-count')).toHaveText('5 selected')
  await expect(t('cue-source')).toHaveValue('2')
  await expect(t('cue-summary')).toContainText('flip 20 %')
  await expect(t('cue-summary')).toContainText('20.0 % differs')
  await expect(t('recall-outcome')).toHaveText(outcome!)
  await expect(t('recall-recalled')).toHaveAttribute('data-recalled', recalled!)
  await expect(t('replay-position')).toHaveAttribute('data-t', String(end))
  await expect(t('energy-chart').locator('canvas').first()).toBeVisible()
  await expect(t('batch-success-rate')).toHaveText(rate!)
  await expect(t('dirty-indicator')).toHaveAttribute('data-dirty', 'false')

  // Export ONNX: a browser download, and the path the backend wrote.
  const [download] = await Promise.all([page.waitForEvent('download'), t('export-onnx').click()])
  expect(download.suggestedFilename()).toMatch(/\.onnx$/)
  const file = await download.path()
  expect(statSync(file).size).toBeGreaterThan(0)
  await expect(t('export-path')).toContainText('.onnx')
  // And the weights for NumPy.
  const [npz] = await Promise.all([page.waitForEvent('download'), t('export-npz').click()])
  expect(npz.suggestedFilename()).toMatch(/\.npz$/)
  await expect(t('export-path')).toContainText('.npz')

  await expect(t('error-banner')).toHaveCount(0)
  expect(problems).toEqual([])
})

test('a session link reopens the session; a bad one shows a dismissable error naming the field', async ({ page }) => {
  const t = (id: string) => page.getByTestId(id)
  await page.goto(`${url()}#session=no-such-session`)
  await expect(t('error-banner')).toBeVisible()
  await expect(t('error-field')).toHaveText('params.id')
  await expect(t('error-message')).toContainText('no-such-session')
  await t('error-dismiss').click()
  await expect(t('error-banner')).toHaveCount(0)
  await expect(t('session-name')).toHaveValue('')

  // A new session puts itself in the URL, so a reload comes back to it.
  await t('new-session').click()
  await expect(t('session-name')).not.toHaveValue('')
  await expect(t('dirty-indicator')).toHaveAttribute('data-dirty', 'true')
  const name = await t('session-name').inputValue()
  await expect.poll(() => new URL(page.url()).hash).toMatch(/^#session=/)
  await page.reload()
  await expect(t('session-name')).toHaveValue(name)
})

test('energy training: its options, the training seed, and the fixed targets per epoch', async ({ page }) => {
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('dataset-select').selectOption('letters')
  await t('select-none').click()
  for (const i of [0, 1, 2, 3]) await t(`pattern-thumb-${i}`).click()
  await t('model-rule').selectOption('energy')
  await expect(t('model-rule-caption')).toContainText('raises the valleys')
  await expect(t('model-zero-diagonal')).toBeChecked()
  await expect(t('model-zero-diagonal')).toBeDisabled()
  await t('model-energy-valleys').selectOption('few-steps')
  await t('model-energy-epochs').fill('30')
  await t('model-energy-epochs').press('Enter')
  await t('model-energy-eta').fill('0.05')
  await t('model-energy-eta').press('Enter')
  await t('model-seed').fill('42')
  await t('model-seed').press('Enter')
  await t('train-button').click()
  await expect(t('model-spec')).toContainText('energy')
  await expect(t('model-spec')).toContainText('30 ep')
  await expect(t('model-spec')).toContainText('seed 42')
  await expect(t('training-summary')).toContainText('30 epochs')
  await expect(t('training-chart').locator('canvas').first()).toBeVisible()
  await expect(t('model-fixed-points')).toContainText('/ 4 stored')
  await expect(t('error-banner')).toHaveCount(0)
})

test("003's discrete Hopfield net: binary states, the cue as input, order 1, 4, 3, 2; then the recurrent auto-associator step by step", async ({ page }) => {
  const t = (id: string) => page.getByTestId(id)
  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('dataset-select').selectOption('seeds-003-auto')
  await t('pattern-thumb-0').click()
  await expect(t('selection-count')).toHaveText('1 selected')

  // Binary {0,1} states: s = (1, 1, 1, 0) stored through its bipolar image.
  await t('model-encoding').selectOption('binary')
  await t('train-button').click()
  await expect(t('model-spec')).toContainText('binary {0,1}')
  await expect(t('model-fixed-points')).toContainText('1 / 1 stored')

  // Cue (0, 0, 1, 0): the stored (1, 1, 1, 0) with units 1 and 2 painted off (the grid shows 0 as −1).
  const cell = async (u: number): Promise<void> => {
    const box = (await t('cue-grid').boundingBox())!
    await t('cue-grid').click({ position: { x: ((u + 0.5) * box.width) / 4, y: box.height / 2 } })
  }
  await cell(0)
  await cell(1)
  await expect(t('cue-summary')).toContainText('50.0 % differs')

  await t('recall-order').selectOption('given')
  await t('recall-order-text').fill('1, 4, 3, 2')
  await t('recall-external').check()
  await t('run-recall').click()
  await expect(t('recall-outcome')).toHaveAttribute('data-outcome', 'fixed-point')
  await expect(t('recall-recalled')).toHaveAttribute('data-recalled', '0')
  await expect(t('recall-binary')).toBeVisible()
  // Update 1 turns unit 1 on (E −1 → −2); update 4 turns unit 2 on (E → −4), as printed in 003.
  await t('replay-start').click()
  await expect(t('replay-position')).toContainText('E = -1')
  await t('step-forward').click()
  await expect(t('replay-position')).toContainText('unit 0')
  await expect(t('replay-position')).toContainText('flipped')
  await expect(t('replay-position')).toContainText('E = -2')
  for (let k = 0; k < 3; k++) await t('step-forward').click()
  await expect(t('replay-position')).toContainText('unit 1')
  await expect(t('replay-position')).toContainText('E = -4')

  // Batch recall of one-unit errors with the cue held on (on the engine): every one comes back, as in 003.
  await t('batch-corrupt-type').selectOption('flip')
  await t('batch-corrupt-flip-fraction').fill('0.25')
  await t('batch-corrupt-flip-fraction').press('Enter')
  await t('batch-external').check()
  await t('batch-run').click()
  await expect(t('batch-success-rate')).toHaveAttribute('data-value', '1')

  // A bad order names the field's problem.
  await t('recall-order-text').fill('1, 4, 4, 2')
  await t('run-recall').click()
  await expect(t('error-banner')).toContainText('order')
  await page.getByRole('button', { name: 'Dismiss' }).click()
  await expect(t('error-banner')).toHaveCount(0)
  await t('recall-order').selectOption('sequential')

  // 003's recurrent auto-associator on the bipolar net: (−1, −1, 1, 1) → (−1, −1, −1, 1) twice, "Not OK" (a repeat).
  await t('model-encoding').selectOption('bipolar')
  await t('train-button').click()
  await expect(t('model-spec')).not.toContainText('binary')
  // From the stored (1, 1, 1, −1): units 1, 2 and 4 painted over.
  for (const u of [0, 1, 3]) await cell(u)
  await expect(t('cue-summary')).toContainText('75.0 % differs')
  await t('recall-mode').selectOption('recurrent')
  await expect(t('recall-head')).toContainText('recurrent auto-associator')
  await t('run-recall').click()
  await expect(t('recall-outcome')).toHaveAttribute('data-outcome', 'repeat')
  await expect(t('recall-repeat-of')).toContainText('step 1')
  await t('replay-start').click()
  await t('step-forward').click()
  await expect(t('recall-net-inputs')).toContainText('(-1, -1, -3, 1)')
  await expect(t('replay-changed')).toContainText('1 changed')
  await readmeScreenshot(page, 'recall-recurrent')

  // A cue with missing components, as 003 feeds it: (1, 0, 0, 0) = the stored vector with units 2–4 masked to 0.
  await t('corrupt-type').selectOption('mask')
  await t('corrupt-mask-x').fill('1')
  await t('corrupt-mask-x').press('Enter')
  await t('corrupt-mask-w').fill('3')
  await t('corrupt-mask-w').press('Enter')
  await t('corrupt-fill').selectOption('0')
  await t('apply-corruption').click()
  await t('run-recall').click()
  await expect(t('recall-outcome')).toHaveAttribute('data-outcome', 'stored-match')
  await t('replay-start').click()
  await t('step-forward').click()
  await expect(t('recall-net-inputs')).toContainText('(0, 1, 1, -1)')
  await t('step-forward').click()
  await expect(t('recall-net-inputs')).toContainText('(3, 2, 2, -2)')
  // A 0 is not a state of asynchronous or synchronous dynamics: say so by the field.
  await t('recall-mode').selectOption('sync')
  await t('run-recall').click()
  await expect(t('error-banner')).toContainText('params.run.cue.1')
  await page.getByRole('button', { name: 'Dismiss' }).click()

  // Synchronous dynamics from the stored vector with unit 1 flipped, stepped with the pair energy L.
  await t('corrupt-type').selectOption('none')
  await t('apply-corruption').click()
  await cell(0)
  await t('run-recall').click()
  await expect(t('recall-outcome')).toHaveAttribute('data-outcome', /fixed-point|cycle/)
  await t('replay-start').click()
  await t('step-forward').click()
  await expect(t('replay-position')).toContainText('L =')
})
