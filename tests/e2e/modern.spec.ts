// The modern Hopfield page end to end (004): store 8 letters, retrieve a 20 %-flipped A (one pattern, weights on A),
// turn β down until the fixed point is the global average, the attention view (identity and random Q/K/V), the dense memory with F = exp, export ONNX, save and reopen.
import { statSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { readmeScreenshot, saveReloadReopen, url, watchProblems } from './helpers'

test('modern hopfield: store letters, retrieve, β down to the global average, dense memory, export, save and reopen', async ({ page }) => {
  const problems = watchProblems(page)
  const t = (id: string) => page.getByTestId(id)

  await page.goto(url())
  await expect(t('connection-status')).toHaveAttribute('data-status', 'open')
  await t('modern-tab').click()
  await expect(t('modern-page')).toBeVisible()
  await expect.poll(() => new URL(page.url()).hash).toContain('page=modern')

  await t('modern-train').click()
  await expect(t('modern-info')).toBeVisible()
  await expect(t('modern-size')).toContainText('N = 8 patterns of d = 100')
  await expect(t('modern-well-separated')).toContainText('of 8 well separated')

  await t('modern-retrieve').click()
  await expect(t('modern-outcome')).toHaveAttribute('data-verdict', 'retrieved')
  await expect(t('modern-outcome')).toHaveAttribute('data-kind', 'single')
  await expect(t('modern-outcome')).toContainText('retrieved A')
  // At the end all the softmax mass is on A (weights listed in stored order).
  await expect(t('modern-weights')).toHaveAttribute('data-values', /^1\.0000,0\.0000/)
  await t('modern-step-start').click()
  await expect(t('modern-position')).toHaveAttribute('data-t', '0')

  // β = 10^−3.5 and half the image masked: every pattern takes part (the global fixed point).
  await t('modern-run-beta').fill('-3.5')
  await expect(t('modern-run-beta-value')).toHaveText('3.2e-4')
  await t('modern-cue-kind').selectOption('lower-half')
  await t('modern-retrieve').click()
  await expect(t('modern-outcome')).toHaveAttribute('data-kind', 'global')
  await readmeScreenshot(page, 'modern')

  // The attention view on cues of A–D (the lower half masked), identity projections: one head is one modern Hopfield
  // update with β = 1/√d_k = 1/√100, to rounding; then seeded random projections to d_k = 12 (W_V = I).
  await t('attention-show').click()
  await expect(t('attention-equivalence')).toContainText('attention = Hopfield update (β = 1/√100 = 0.1000), max |Δ| =')
  expect(Number(await t('attention-equivalence').getAttribute('data-max-diff'))).toBeLessThan(1e-12)
  await expect(t('attention-heatmap')).toHaveAttribute('data-rows', '4')
  await expect(t('attention-heatmap')).toHaveAttribute('data-cols', '8')
  await expect(t('attention-heatmap').locator('canvas').first()).toBeVisible()
  await expect(t('attention-outputs').locator('figure')).toHaveCount(4)
  await t('attention-projection').selectOption('random')
  await t('attention-dk').fill('12')
  await t('attention-show').click()
  await expect(t('attention-shapes')).toHaveText('Q 4×12 · K 8×12 · V 8×100 · A 4×8 · Z 4×100')
  expect(Number(await t('attention-equivalence').getAttribute('data-max-diff'))).toBeLessThan(1e-12)

  // Given projections: W_Q and W_K pasted (CSV, JSON), W_V imported from a file; a bad entry and a wrong shape are
  // named with the matrix, the row and the column.
  const csv = (rows: number, cols: number) => Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => ((r * 7 + c * 3) % 11) / 10 - 0.5).join(',')).join('\n')
  await t('attention-projection').selectOption('given')
  await expect(t('attention-error')).toHaveAttribute('data-field', 'wQ')
  await t('attention-wQ').fill(csv(100, 6).replace(/^([^\n]*\n[^,]*),/, '$1,oops,'))
  await expect(t('attention-error')).toContainText("W_Q row 2 (line 2), column 2: 'oops' is not a finite number")
  await t('attention-wQ').fill(csv(99, 6))
  await expect(t('attention-error')).toContainText('W_Q has 99 rows; it needs d = 100 rows')
  await t('attention-wQ').fill(csv(100, 6))
  await t('attention-wK').fill(JSON.stringify(Array.from({ length: 100 }, (_, r) => Array.from({ length: 5 }, (_, c) => (r + c) % 3))))
  await expect(t('attention-error')).toContainText('W_K has 5 columns; it needs d_k = 6 like W_Q (shape [100, 6])')
  await t('attention-wK').fill(JSON.stringify(Array.from({ length: 100 }, (_, r) => Array.from({ length: 6 }, (_, c) => ((r + c) % 3) - 1))))
  await t('attention-wV-file').setInputFiles({ name: 'wv.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(100, 4)) })
  await expect(t('attention-wV-shape')).toHaveText('100 × 4 read')
  await expect(t('attention-error')).toHaveCount(0)
  await t('attention-show').click()
  await expect(t('attention-shapes')).toHaveText('Q 4×6 · K 8×6 · V 8×4 · A 4×8 · Z 4×4')
  expect(Number(await t('attention-equivalence').getAttribute('data-max-diff'))).toBeLessThan(1e-12)
  await readmeScreenshot(page, 'modern-attention-given')

  const [download] = await Promise.all([page.waitForEvent('download'), t('modern-export-onnx').click()])
  expect(download.suggestedFilename()).toMatch(/\.onnx$/)
  expect(statSync(await download.path()).size).toBeGreaterThan(0)

  // The dense memory with F = exp retrieves A from 10 % flips.
  await t('modern-variant').selectOption('dense')
  await t('modern-interaction').selectOption('exp')
  await t('modern-train').click()
  await expect(t('modern-size')).toBeVisible()
  await t('modern-cue-kind').selectOption('flip')
  await t('modern-fraction').fill('0.1')
  await t('modern-retrieve').click()
  await expect(t('modern-outcome')).toHaveAttribute('data-verdict', 'retrieved')
  await expect(t('modern-export-onnx')).toHaveCount(0)

  await saveReloadReopen(page, 'Modern')
  await t('modern-tab').click()
  await expect(t('modern-outcome')).toHaveAttribute('data-verdict', 'retrieved')
  // The attention form came back with the session: the continuous net's view shows the given matrices again.
  const continuous = await t('modern-select').locator('option:not([disabled])').first().getAttribute('value')
  await t('modern-select').selectOption(continuous!)
  await expect(t('attention-projection')).toHaveValue('given')
  await expect(t('attention-wQ')).toHaveValue(csv(100, 6))
  await expect(t('attention-wV-shape')).toHaveText('100 × 4 read')
  await t('attention-show').click()
  await expect(t('attention-shapes')).toHaveText('Q 4×6 · K 8×6 · V 8×4 · A 4×8 · Z 4×4')
  expect(problems).toEqual([])
})
