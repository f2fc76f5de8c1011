// Capacity sweep: random ±1 patterns, P/N on the x axis; fixed points and recall per rule (synchronous recall on the engine).
import { Rng } from '../../../core/rng'
import { capacitySweep, capacityTheory } from '../../../core/sweeps'
import { capacitySweepEngine } from '../../../engine/sweeps'
import { nullable, type SweepRunner } from './common'
import { pointsRun, withCoreFallback } from './fallback'

export const runCapacitySweep: SweepRunner<'capacity'> = async ({ sweep, rng, hooks, engine }) => {
  const start = rng.getState()
  const settings = { units: sweep.units, patternCounts: sweep.patternCounts, rules: sweep.rules, trials: sweep.trials, noise: sweep.noise, cuesPerPattern: sweep.cuesPerPattern, ...hooks }
  const recall = { mode: sweep.recall.mode, maxSweeps: sweep.recall.maxSweeps }
  const { value: points, compute } = await withCoreFallback(
    recall.mode === 'sync',
    async () => pointsRun(await capacitySweepEngine({ ...settings, rng: Rng.fromState(start), ...engine, maxSweeps: recall.maxSweeps })),
    () => capacitySweep({ ...settings, rng: Rng.fromState(start), recall })
  )
  return {
    compute,
    sweep: {
      type: 'capacity',
      units: sweep.units,
      theory: capacityTheory(sweep.units),
      points: points.map((p) => ({
        ...p,
        fixedFraction: nullable(p.fixedFraction),
        allFixedFraction: nullable(p.allFixedFraction),
        recallSuccess: nullable(p.recallSuccess),
        meanOverlap: nullable(p.meanOverlap)
      }))
    }
  }
}
