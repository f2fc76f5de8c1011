// The modern Hopfield sweeps (004): dense associative memory capacity (F = xⁿ, rectified, exp; F = x² is Hebb) on
// random patterns, and the continuous net's β sweep on the dataset's patterns. Float64 core throughout.
// Legend (dense capacity): a cell is (ii, pi, t), trial t at the pi-th pattern count of the ii-th interaction; cells
// run alone (shards.ts splits a sweep into runs of trials at one (ii, pi)).
import { capacityTrial, krotovHopfieldCapacity } from '../../../core/dense-am'
import { corrupt } from '../../../core/corrupt'
import { betaSweep, largestNorm, modernHopfield, separations, sphereRadius, wellSeparatedThreshold } from '../../../core/modern-hopfield'
import { BETA_CLASSICAL_ORDER_STREAM, denseCapacityTrialStream } from '../../../core/rng-streams'
import { hebb, recallAsync } from '../../../core/hopfield'
import { capacityTheory } from '../../../core/sweeps'
import { checkCancel } from '../../../core/dynamics'
import type { Rng } from '../../../core/rng'
import type { SweepResult, SweepSpec } from '../../../shared/spec'
import type { FractionHooks } from '../hooks'
import { CORE_PATH, nextTurn, requireData, type SweepRunner } from './common'

type DenseCapacitySweep = Extract<SweepSpec, { type: 'dense-capacity' }>

/** A dense-capacity cell: trial t at the pi-th pattern count of the ii-th interaction. */
export interface DenseCapacityCell {
  ii: number
  pi: number
  t: number
}

/** A cell's counts: stored patterns recalled exactly from their cue, and stored patterns that are fixed points. */
export interface DenseCapacityTrial extends DenseCapacityCell {
  recalled: number
  stable: number
}

/** Every cell of a sweep in local order (interaction, then pattern count, then trial). */
export function denseCapacityCells(sweep: DenseCapacitySweep): DenseCapacityCell[] {
  return sweep.interactions.flatMap((_, ii) => sweep.patternCounts.flatMap((_, pi) => Array.from({ length: sweep.trials }, (_, t) => ({ ii, pi, t }))))
}

/**
 * Some cells of a sweep (all of them for a local run, a shard's for a queue worker), each alone: a cell draws only from
 * the seed's fork for (ii, pi, t), so it gives the same counts anywhere. `seed` is the spec's seed Rng (not advanced).
 * It returns to the event loop before each cell (a cell is one synchronous trial).
 */
export async function runDenseCapacityCells(sweep: DenseCapacitySweep, seed: Rng, cells: readonly DenseCapacityCell[], hooks: FractionHooks): Promise<DenseCapacityTrial[]> {
  const out: DenseCapacityTrial[] = []
  for (const { ii, pi, t } of cells) {
    await nextTurn()
    checkCancel(hooks)
    const rng = seed.fork(denseCapacityTrialStream(ii, pi, t))
    const r = capacityTrial({ units: sweep.units, count: sweep.patternCounts[pi]!, interaction: sweep.interactions[ii]!, noise: sweep.noise, maxSweeps: sweep.maxSweeps, rng, shouldCancel: hooks.shouldCancel })
    out.push({ ii, pi, t, recalled: r.recalled, stable: r.stable })
    hooks.onProgress?.(out.length / cells.length)
  }
  return out
}

/** The result section from every cell's counts (each cell once): shares per (interaction, pattern count). */
export function denseCapacityResult(sweep: DenseCapacitySweep, trials: readonly DenseCapacityTrial[]): SweepResult {
  // Integer counts: their sums do not depend on the order the cells came in.
  const np = sweep.patternCounts.length
  const recalled = new Array<number>(sweep.interactions.length * np).fill(0)
  const stable = [...recalled]
  for (const r of trials) {
    recalled[r.ii * np + r.pi]! += r.recalled
    stable[r.ii * np + r.pi]! += r.stable
  }
  const points = sweep.interactions.flatMap((interaction, ii) =>
    sweep.patternCounts.map((patterns, pi) => {
      const n = patterns * sweep.trials
      return { interaction, patterns, trials: sweep.trials, recalled: recalled[ii * np + pi]! / n, stable: stable[ii * np + pi]! / n }
    })
  )
  const degrees = [...new Set(sweep.interactions.flatMap((f) => (f.kind === 'polynomial' ? [f.degree] : [])))].sort((a, b) => a - b)
  return {
    type: 'dense-capacity',
    units: sweep.units,
    noise: sweep.noise,
    theory: { hebbCritical: capacityTheory(sweep.units).hebbCritical, krotovHopfield: degrees.map((degree) => ({ degree, capacity: krotovHopfieldCapacity(sweep.units, degree) })) },
    points
  }
}

export const runDenseCapacitySweep: SweepRunner<'dense-capacity'> = async ({ sweep, rng, hooks }) => {
  return { compute: CORE_PATH, sweep: denseCapacityResult(sweep, await runDenseCapacityCells(sweep, rng, denseCapacityCells(sweep), hooks)) }
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
