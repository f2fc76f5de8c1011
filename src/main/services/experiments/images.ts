// The images sweep (004; Ramsauer et al. 2020 and its blog post's picture): the dataset's first P images stored as
// continuous patterns in a modern Hopfield net and, binarised, in the classical Hebbian net; each image cued with
// its lower half masked or with noise; the modern net at each β (a single image at large β, a blend of many at small
// β, the mean of them all as β → 0) against the classical net (mixtures and spurious states once P is well above
// 0.138·N, and sooner for correlated images). Float64 core throughout.
import { centredImage, effectiveCount, imageCue, meanImage, nearestImage, rms } from '../../../core/image-memory'
import { modernHopfield, retrieve } from '../../../core/modern-hopfield'
import { hebb, recallAsync } from '../../../core/hopfield'
import { capacityTheory } from '../../../core/sweeps'
import { checkCancel } from '../../../core/dynamics'
import { IMAGES_CLASSICAL_ORDER_STREAM } from '../../../core/rng-streams'
import type { SweepResult } from '../../../shared/spec'
import { CORE_PATH, requireData, type SweepRunner } from './common'

type ImagesResult = Extract<SweepResult, { type: 'images' }>

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4

export const runImagesSweep: SweepRunner<'images'> = (ctx) => {
  const { sweep, rng, hooks } = ctx
  const data = requireData(ctx)
  const grey = data.grey
  if (!grey) throw new Error('images sweep: the dataset has no grey levels')
  const { width, height } = data
  const x = grey.map((g) => centredImage(g))
  const P = x.length
  const d = x[0]!.length
  // Cues first, all from the spec's stream, so they do not depend on β or on the classical net.
  const cues = x.map((xi) => imageCue(xi, sweep.cue, width, height, sweep.noise, rng))
  const total = P * (sweep.betas.length + 1)
  let done = 0
  const tick = (): void => {
    done++
    hooks.onProgress?.(done / total)
  }
  const perCue: ImagesResult['cues'] = x.map((_, i) => ({ pattern: i, label: data.labels[i] ?? String(i), modern: [], classical: { nearest: 0, exact: false, stored: null, overlap: 0 } }))
  const examples: ImagesResult['examples'] = cues.slice(0, sweep.examples).map((c, i) => ({ pattern: i, cue: Array.from(c, round4), modern: [], classical: [] }))
  const mean = meanImage(x)
  const average = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length
  const modern = sweep.betas.map((beta) => {
    const mem = modernHopfield(x, beta)
    const toMean = cues.map((cue, i) => {
      checkCancel(hooks)
      const r = retrieve(mem, cue, { epsilon: sweep.epsilon, maxSteps: sweep.maxSteps, trace: false })
      perCue[i]!.modern.push({ nearest: nearestImage(x, r.state).index, error: rms(r.state, x[i]!), effective: effectiveCount(r.weights), ownWeight: r.weights[i]! })
      if (i < examples.length) examples[i]!.modern.push(Array.from(r.state, round4))
      tick()
      return rms(r.state, mean)
    })
    const at = perCue.map((c) => c.modern[c.modern.length - 1]!)
    return {
      beta,
      retrieved: average(at.map((m, i) => (m.nearest === i ? 1 : 0))),
      meanError: average(at.map((m) => m.error)),
      meanToMean: average(toMean),
      meanEffective: average(at.map((m) => m.effective)),
      meanOwnWeight: average(at.map((m) => m.ownWeight))
    }
  })
  // The classical net on the binarised images and the binarised cues (a masked pixel, 0, becomes paper, −1).
  const stored = data.stored
  const net = hebb(stored, { normalisation: 'none', zeroDiagonal: true, encoding: 'bipolar' })
  const orders = rng.fork(IMAGES_CLASSICAL_ORDER_STREAM)
  cues.forEach((cue, i) => {
    checkCancel(hooks)
    const final = recallAsync(net, Int8Array.from(cue, (v) => (v > 0 ? 1 : -1)), { rng: orders, order: 'random', maxSweeps: sweep.classicalSweeps }).final
    const hitAt = stored.findIndex((p) => p.every((v, k) => v === final[k]))
    // The overlap m_μ = x_μ·s / d with each binarised stored image; the nearest is the largest (the first of equals).
    const m = stored.map((p) => p.reduce((s, v, k) => s + v * final[k]!, 0) / d)
    const nearest = m.reduce((best, v, mu) => (v > m[best]! ? mu : best), 0)
    perCue[i]!.classical = { nearest, exact: hitAt === i, stored: hitAt >= 0 ? hitAt : null, overlap: m[i]! }
    if (i < examples.length) examples[i]!.classical = Array.from(final)
    tick()
  })
  const cl = perCue.map((c) => c.classical)
  const exact = average(cl.map((c) => (c.exact ? 1 : 0)))
  const other = average(cl.map((c) => (c.stored !== null && !c.exact ? 1 : 0)))
  const sweepResult: ImagesResult = {
    type: 'images',
    patterns: P,
    units: d,
    width,
    height,
    cue: sweep.cue,
    hebbCritical: capacityTheory(d).hebbCritical,
    mean: Array.from(mean, round4),
    modern,
    classical: { exact, otherPattern: other, spurious: 1 - exact - other, nearestOwn: average(cl.map((c, i) => (c.nearest === i ? 1 : 0))), meanOverlap: average(cl.map((c) => c.overlap)) },
    cues: perCue,
    examples
  }
  return { compute: CORE_PATH, sweep: sweepResult }
}
