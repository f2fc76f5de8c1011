// The experiments page's images sweep: the form → a spec the contract accepts (fields named when wrong), the form read
// back from a session, and the picture rows (verdicts, captions) and the summary line.
import { describe, expect, it } from 'vitest'
import { experimentSpecSchema } from '../../src/shared/spec'
import { buildExperimentSpec, defaultForm, readForm } from '../../src/renderer/src/lib/experiment-spec'
import { imageRows, imagesSummary, type ImagesSweepResult } from '../../src/renderer/src/lib/images'

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

  it('lays out cue | modern at each β | classical per example, with verdicts and captions from the result', () => {
    const px = (v: number): number[] => new Array<number>(4).fill(v)
    const r: ImagesSweepResult = {
      type: 'images', patterns: 3, units: 4, width: 2, height: 2, cue: 'half', hebbCritical: 0.552, mean: px(0),
      modern: [
        { beta: 0.0001, retrieved: 0, meanError: 1, meanToMean: 0, meanEffective: 3, meanOwnWeight: 1 / 3 },
        { beta: 1, retrieved: 0.5, meanError: 0.1, meanToMean: 0.5, meanEffective: 1, meanOwnWeight: 0.9 }
      ],
      classical: { exact: 0.5, otherPattern: 0, spurious: 0.5, nearestOwn: 0.5, meanOverlap: 0.5 },
      cues: [
        { pattern: 0, label: 'T-shirt/top', modern: [{ nearest: 1, error: 1, effective: 2.99, ownWeight: 0.33 }, { nearest: 0, error: 0, effective: 1.01, ownWeight: 0.99 }], classical: { nearest: 0, exact: true, stored: 0, overlap: 1 } },
        { pattern: 1, label: 'Trouser', modern: [{ nearest: 1, error: 1, effective: 3, ownWeight: 0.33 }, { nearest: 2, error: 1, effective: 1.2, ownWeight: 0.1 }], classical: { nearest: 2, exact: false, stored: null, overlap: 0.25 } },
        { pattern: 2, label: 'Pullover', modern: [{ nearest: 2, error: 1, effective: 3, ownWeight: 0.33 }, { nearest: 2, error: 0, effective: 1, ownWeight: 1 }], classical: { nearest: 1, exact: false, stored: 1, overlap: 0 } }
      ],
      examples: [0, 1, 2].map((p) => ({ pattern: p, cue: px(0.5), modern: [px(0), px(1)], classical: px(-1) }))
    }
    const rows = imageRows(r)
    expect(rows.map((row) => row.cells.map((c) => c.head))).toEqual(new Array(3).fill(['cue', 'β = 0.0001', 'β = 1', 'classical']))
    expect(rows.map((row) => row.cells.map((c) => c.verdict))).toEqual([
      ['cue', 'blend', 'right', 'right'],
      ['cue', 'blend', 'wrong', 'mixture'],
      ['cue', 'blend', 'right', 'wrong']
    ])
    expect(rows[0]!.cells.map((c) => c.caption)).toEqual(['T-shirt/top #0', 'blend of ≈3', '→ T-shirt/top #0', '→ T-shirt/top exactly'])
    expect(rows[1]!.cells.map((c) => c.caption)).toEqual(['Trouser #1', 'blend of ≈3', '→ Pullover #2', 'mixture / spurious (m = 0.25)'])
    expect(rows[2]!.cells[3]!.caption).toBe('→ #1 exactly')
    expect(rows[0]!.cells[2]!.values).toEqual(px(1))
    expect(imagesSummary(r)).toBe('3 images of 2×2 (above 0.138·N = 1), cue: lower half masked · classical net: 50.0 % the right image exactly, 0.0 % another, 50.0 % a mixture or other spurious state')
  })
})
