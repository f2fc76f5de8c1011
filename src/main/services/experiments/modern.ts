// The modern Hopfield sweeps (004): dense associative memory capacity (F = xⁿ, rectified, exp; F = x² is Hebb) on
// random patterns, and the continuous net's β sweep on the dataset's patterns. Float64 core throughout.
import { capacityTrial, krotovHopfieldCapacity } from '../../../core/dense-am'
import { corrupt } from '../../../core/corrupt'
import { betaSweep, largestNorm, modernHopfield, separations, sphereRadius, wellSeparatedThreshold } from '../../../core/modern-hopfield'
import { BETA_CLASSICAL_ORDER_STREAM, denseCapacityTrialStream } from '../../../core/rng-streams'
import { hebb, recallAsync } from '../../../core/hopfield'
import { capacityTheory } from '../../../core/sweeps'
import { checkCancel } from '../../../core/dynamics'
import { CORE_PATH, requireData, type SweepRunner } from './common'

export const runDenseCapacitySweep: SweepRunner<'dense-capacity'> = ({ sweep, rng, hooks }) => {
  const total = sweep.interactions.length * sweep.patternCounts.length * sweep.trials
  let done = 0
  const points = sweep.interactions.flatMap((interaction, ii) =>
    sweep.patternCounts.map((patterns, pi) => {
      let recalled = 0
      let stable = 0
      for (let t = 0; t < sweep.trials; t++) {
        checkCancel(hooks)
        const r = capacityTrial({ units: sweep.units, count: patterns, interaction, noise: sweep.noise, maxSweeps: sweep.maxSweeps, rng: rng.fork(denseCapacityTrialStream(ii, pi, t)), shouldCancel: hooks.shouldCancel })
        recalled += r.recalled
        stable += r.stable
        hooks.onProgress?.(++done / total)
      }
      const n = patterns * sweep.trials
      return { interaction, patterns, trials: sweep.trials, recalled: recalled / n, stable: stable / n }
    })
  )
  const degrees = [...new Set(sweep.interactions.flatMap((f) => (f.kind === 'polynomial' ? [f.degree] : [])))].sort((a, b) => a - b)
  return {
    compute: CORE_PATH,
    sweep: {
      type: 'dense-capacity',
      units: sweep.units,
      noise: sweep.noise,
      theory: { hebbCritical: capacityTheory(sweep.units).hebbCritical, krotovHopfield: degrees.map((degree) => ({ degree, capacity: krotovHopfieldCapacity(sweep.units, degree) })) },
      points
    }
  }
}

export const runBetaSweep: SweepRunner<'beta'> = (ctx) => {
  const { sweep, rng, hooks } = ctx
  const data = requireData(ctx)
  const mem = modernHopfield(data.stored, sweep.betas[0]!)
  const cues: Float64Array[] = []
  const targets: number[] = []
  data.stored.forEach((p, i) => {
    for (let c = 0; c < sweep.cuesPerPattern; c++) {
      cues.push(Float64Array.from(corrupt(p, sweep.corruption, data.width, data.height, rng)))
      targets.push(i)
    }
  })
  const m = largestNorm(mem)
  const seps = separations(mem)
  const finite = Array.from(seps).filter((d) => Number.isFinite(d))
  const points = sweep.betas.map((beta, k) => {
    checkCancel(hooks)
    const [p] = betaSweep(mem, { betas: [beta], cues, targets, epsilon: sweep.epsilon, maxSteps: sweep.maxSteps })
    hooks.onProgress?.((k + 1) / sweep.betas.length)
    const threshold = mem.count >= 2 ? wellSeparatedThreshold(beta, mem.count, m) : null
    return {
      ...p!,
      wellSeparatedThreshold: threshold,
      wellSeparated: threshold === null ? mem.count : seps.filter((d) => d >= threshold).length,
      sphereRadius: sphereRadius({ ...mem, beta })
    }
  })
  // The classical Hopfield net on the very same cues: where it lands (004's picture: mixtures where the modern net retrieves).
  const net = hebb(data.stored, { normalisation: 'none', zeroDiagonal: true, encoding: 'bipolar' })
  const orders = rng.fork(BETA_CLASSICAL_ORDER_STREAM)
  let own = 0
  let other = 0
  cues.forEach((cue, c) => {
    checkCancel(hooks)
    const final = recallAsync(net, Int8Array.from(cue), { rng: orders, order: 'random', maxSweeps: sweep.maxSteps }).final
    const hit = data.stored.findIndex((p) => p.every((v, i) => v === final[i]))
    if (hit === targets[c]) own++
    else if (hit >= 0) other++
  })
  const n = cues.length
  return {
    compute: CORE_PATH,
    sweep: {
      type: 'beta',
      patterns: mem.count,
      units: mem.dim,
      largestNorm: m,
      minSeparation: finite.length ? Math.min(...finite) : null,
      classical: { retrieved: own / n, otherPattern: other / n, spurious: (n - own - other) / n },
      points,
      cues: n
    }
  }
}
