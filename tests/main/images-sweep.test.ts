// The images sweep (004; Ramsauer et al. 2020 and its blog post's picture) and the Fashion-MNIST subset it runs on:
// the committed bytes as the catalog serves them; β → 0 gives the mean of the stored images (closed form, and a
// rigorous bound at small β); at large β one update lands within the retrieval-error theorem's bound of the cued
// image; the classical net at P = 200 > 0.138·784 settles on no stored image where the modern net retrieves.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DatasetCatalog, FASHION_CLASSES } from '../../src/main/services/datasets'
import { experimentData } from '../../src/main/services/experiments/data'
import { runExperiment } from '../../src/main/services/experiments'
import { experimentResultSchema, experimentSpecSchema } from '../../src/shared/spec'
import { centredImage, imageCue, meanImage } from '../../src/core/image-memory'
import { largestNorm, modernHopfield, retrievalErrorBound } from '../../src/core/modern-hopfield'
import { Rng } from '../../src/core/rng'
import { CancelledError } from '../../src/shared/errors'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const catalog = new DatasetCatalog(null)

async function run(dataset: Record<string, unknown>, sweep: Record<string, unknown>, seed = 3) {
  const spec = experimentSpecSchema.parse({ name: 'images', seed, dataset, model: { kind: 'hopfield' }, sweep: { type: 'images', ...sweep } })
  const data = experimentData(spec, catalog)!
  const result = experimentResultSchema.parse(await runExperiment(spec, data))
  if (result.sweep?.type !== 'images') throw new Error('not an images result')
  return { r: result.sweep, data, spec }
}

describe('the Fashion-MNIST subset', () => {
  it('serves the committed bytes: 300 images, 30 per class interleaved, grey = byte/255, class names, binarised at the threshold', () => {
    const bytes = Buffer.from(readFileSync(join(ROOT, 'resources/datasets/fashion-mnist-300.b64.txt'), 'utf8').trim(), 'base64')
    expect(bytes.length).toBe(300 * 784)
    expect(catalog.summary('fashion')).toMatchObject({ id: 'fashion', count: 300, width: 28, height: 28 })
    const g = catalog.greyRows({ builtin: 'fashion', threshold: 0.5, select: [0, 9, 10, 299] })
    expect(g.labels).toEqual(['T-shirt/top', 'Ankle boot', 'T-shirt/top', 'Ankle boot'])
    expect(g.classLabels).toBe(true)
    ;[0, 9, 10, 299].forEach((img, r) => {
      for (let k = 0; k < 784; k++) expect(g.values[r * 784 + k]).toBe(Math.fround(bytes[img * 784 + k]! / 255))
    })
    const p = catalog.resolve({ builtin: 'fashion', threshold: 0.5, count: 10 })
    expect(p.labels).toEqual([...FASHION_CLASSES])
    p.patterns.forEach((row, i) => row.forEach((v, k) => expect(v).toBe(bytes[i * 784 + k]! / 255 >= 0.5 ? 1 : -1)))
  })
})

describe('images sweep', () => {
  it('β → 0: the modern result is the mean of the stored images (closed form), within M(e^{βR} − 1) at small β', async () => {
    const { r, data, spec } = await run({ builtin: 'fashion', count: 10 }, { cue: 'noise', noise: 0.3, betas: [1e-12, 1e-5, 1], examples: 10 })
    const x = data.grey!.map((g) => centredImage(g))
    const mean = meanImage(x)
    expect(r.mean).toEqual(Array.from(mean, (v) => Math.round(v * 1e4) / 1e4))
    // β = 1e−12: softmax weights 1/P to rounding, so ξ_new = (1/P) Σ x_μ, the mean image.
    expect(r.modern[0]!.meanToMean).toBeLessThan(1e-9)
    r.examples.forEach((e) => e.modern[0]!.forEach((v, k) => expect(Math.abs(v - mean[k]!)).toBeLessThanOrEqual(5e-5 + 1e-9)))
    r.cues.forEach((c) => expect(c.modern[0]!.effective).toBeCloseTo(10, 9))
    // β = 1e−5: p_μ/p_ν ≤ e^{βR} (R the cue's score range), so ‖ξ_new − mean‖ ≤ Σ|p_μ − 1/P| ‖x_μ‖ ≤ M (e^{βR} − 1).
    const rng = new Rng(spec.seed)
    const cues = x.map((xi) => imageCue(xi, 'noise', 28, 28, 0.3, rng))
    const M = largestNorm(modernHopfield(x, 1))
    const bounds = cues.map((c) => {
      const z = x.map((xi) => xi.reduce((s, v, k) => s + v * c[k]!, 0))
      return (M * Math.expm1(1e-5 * (Math.max(...z) - Math.min(...z)))) / Math.sqrt(784)
    })
    expect(r.modern[1]!.meanToMean).toBeGreaterThan(0)
    expect(r.modern[1]!.meanToMean).toBeLessThanOrEqual(bounds.reduce((a, b) => a + b, 0) / bounds.length)
    // At β = 1 the same cues are retrieved, none is the mean.
    expect(r.modern[2]).toMatchObject({ retrieved: 1 })
    expect(r.modern[2]!.meanToMean).toBeGreaterThan(0.3)
  })

  it('large β, well-separated images (one per class): one update lands within the theorem’s bound of the cued image', async () => {
    const { r, data, spec } = await run({ builtin: 'fashion', count: 10 }, { cue: 'noise', noise: 0.02, betas: [1] })
    const x = data.grey!.map((g) => centredImage(g))
    const mem = modernHopfield(x, 1)
    const rng = new Rng(spec.seed)
    const cues = x.map((xi) => imageCue(xi, 'noise', 28, 28, 0.02, rng))
    r.cues.forEach((c, i) => {
      const bound = retrievalErrorBound(mem, i, cues[i]!)
      // The bound is informative here (Δ_i well above 2 M ‖ξ − x_i‖), and the error (RMS·√d, Euclidean) is below it.
      expect(bound, `image ${i}`).toBeLessThan(1e-3)
      expect(c.modern[0]!.error * Math.sqrt(784)).toBeLessThanOrEqual(bound)
      expect(c.modern[0]!.nearest).toBe(i)
    })
    expect(r.modern[0]).toMatchObject({ retrieved: 1 })
  })

  it('P = 200 digits, lower half masked: the classical net lands on no stored image; the modern net retrieves at β = 1, blends at β = 0.01', async () => {
    const { r } = await run({ builtin: 'digits', count: 200 }, { cue: 'half', betas: [0.01, 1], classicalSweeps: 20, examples: 2 })
    expect(r).toMatchObject({ patterns: 200, units: 784, width: 28, height: 28 })
    expect(200).toBeGreaterThan(r.hebbCritical)
    expect(r.classical.exact).toBe(0)
    expect(r.classical.spurious).toBeGreaterThanOrEqual(0.9)
    expect(r.modern[1]!.retrieved).toBeGreaterThanOrEqual(0.95)
    expect(r.modern[1]!.meanEffective).toBeLessThan(1.5)
    // β = 0.01: a blend of many digits (exp(H) in the hundreds), nearest to the cued one for few cues.
    expect(r.modern[0]!.meanEffective).toBeGreaterThan(100)
    expect(r.modern[0]!.retrieved).toBeLessThan(0.1)
    // The pictures: cue, one modern image per β, the classical state (±1).
    expect(r.examples).toHaveLength(2)
    expect(r.examples[0]!.modern).toHaveLength(2)
    expect(r.examples[0]!.cue.slice(14 * 28).every((v) => v === 0)).toBe(true)
    expect(r.examples[0]!.classical.every((v) => v === 1 || v === -1)).toBe(true)
  })

  it('reports progress and stops with CancelledError when asked', async () => {
    const spec = experimentSpecSchema.parse({ name: 'images', seed: 1, dataset: { builtin: 'fashion', count: 20 }, model: { kind: 'hopfield' }, sweep: { type: 'images', betas: [0.1, 1] } })
    const seen: number[] = []
    let cancel = false
    const run = runExperiment(spec, experimentData(spec, catalog), {
      onProgress: (f) => {
        seen.push(f)
        cancel = true
      },
      shouldCancel: () => cancel
    })
    await expect(run).rejects.toBeInstanceOf(CancelledError)
    expect(seen.length).toBeGreaterThanOrEqual(1)
    expect(seen[0]).toBeCloseTo(1 / 60, 12)
  })

  it('is reproducible from spec and seed, and refuses a spec without a dataset naming the field', async () => {
    const a = await run({ builtin: 'fashion', count: 5 }, { cue: 'noise', betas: [0.1] }, 11)
    const b = await run({ builtin: 'fashion', count: 5 }, { cue: 'noise', betas: [0.1] }, 11)
    expect(b.r).toEqual(a.r)
    const bad = experimentSpecSchema.safeParse({ name: 'x', seed: 1, model: { kind: 'hopfield' }, sweep: { type: 'images' } })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.path).toEqual(['dataset'])
    expect(experimentSpecSchema.safeParse({ name: 'x', seed: 1, dataset: { builtin: 'fashion' }, model: { kind: 'hopfield' }, sweep: { type: 'images', betas: new Array(11).fill(1) } }).success).toBe(false)
  })
})
