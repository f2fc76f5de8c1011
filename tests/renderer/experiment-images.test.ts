// The experiments page's images sweep: the form → a spec the contract accepts (fields named when wrong), the form read
// back from a session, and the picture rows and summary drawn from a real sweep result.
import { describe, expect, it } from 'vitest'
import { experimentSpecSchema } from '../../src/shared/spec'
import { buildExperimentSpec, defaultForm, readForm } from '../../src/renderer/src/lib/experiment-spec'
import { imageRows, imagesSummary, type ImagesSweepResult } from '../../src/renderer/src/lib/images'
import { runExperiment } from '../../src/main/services/experiments'
import { experimentData } from '../../src/main/services/experiments/data'
import { DatasetCatalog } from '../../src/main/services/datasets'

const DATASETS = [{ id: 'fashion', count: 300, width: 28, height: 28 }]

describe('images sweep on the experiments page', () => {
  const form = { ...defaultForm(), type: 'images' as const, source: 'custom' as const, custom: { ...defaultForm().custom, datasetId: 'fashion' as const, count: 12 } }
  it('builds a spec on the picked dataset (P = its count), refusing bad β lists by field', () => {
    const built = buildExperimentSpec(form, { model: null, datasets: DATASETS })
    expect(built.error).toBeUndefined()
    const spec = experimentSpecSchema.parse(built.spec)
    expect(spec.dataset).toMatchObject({ builtin: 'fashion', count: 12 })
    expect(spec.sweep).toEqual({ type: 'images', betas: [0.0001, 0.01, 1], cue: 'half', noise: 0.5, epsilon: 1e-4, maxSteps: 1, classicalSweeps: 30, examples: 4 })
    expect(buildExperimentSpec({ ...form, images: { ...form.images, betas: '0, 1' } }, { model: null, datasets: DATASETS })).toMatchObject({ field: 'images.betas' })
    expect(buildExperimentSpec({ ...form, images: { ...form.images, betas: '1,2,3,4,5,6,7,8,9,10,11' } }, { model: null, datasets: DATASETS })).toMatchObject({ field: 'images.betas' })
    expect(buildExperimentSpec({ ...form, images: { ...form.images, examples: 17 } }, { model: null, datasets: DATASETS }).field).toMatch(/examples/)
  })

  it('reads the form back, keeping only known cue kinds', () => {
    expect(readForm({ type: 'images', images: { cue: 'noise', noise: 0.3 } }).images).toMatchObject({ cue: 'noise', noise: 0.3, betas: '0.0001, 0.01, 1' })
    expect(readForm({ type: 'images', images: { cue: 'bogus' } }).images.cue).toBe('half')
  })

  it('lays out cue | modern at each β | classical per example, with verdicts from the result', async () => {
    const spec = experimentSpecSchema.parse(buildExperimentSpec({ ...form, images: { ...form.images, betas: '0.0001, 1', examples: 3 } }, { model: null, datasets: DATASETS }).spec)
    const r = (await runExperiment(spec, experimentData(spec, new DatasetCatalog(null)))).sweep as ImagesSweepResult
    const rows = imageRows(r)
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      expect(row.cells.map((c) => c.head)).toEqual(['cue', 'β = 0.0001', 'β = 1', 'classical'])
      // β = 0.0001: all 12 images blend (exp(H) ≈ 12).
      expect(row.cells[1]).toMatchObject({ verdict: 'blend', caption: 'blend of ≈12' })
      expect(row.cells[2]!.verdict).toBe(r.cues[row.pattern]!.modern[1]!.nearest === row.pattern && r.cues[row.pattern]!.modern[1]!.effective <= 2 ? 'right' : r.cues[row.pattern]!.modern[1]!.effective > 2 ? 'blend' : 'wrong')
      expect(row.cells[3]!.verdict).toBe(r.cues[row.pattern]!.classical.exact ? 'right' : r.cues[row.pattern]!.classical.stored !== null ? 'wrong' : 'mixture')
      row.cells.forEach((c) => expect(c.values).toHaveLength(784))
    }
    expect(rows[0]!.cells[0]!.caption).toBe('T-shirt/top #0')
    expect(imagesSummary(r)).toMatch(/^12 images of 28×28 \(below 0\.138·N = 108\), cue: lower half masked · classical net: /)
  })
})
