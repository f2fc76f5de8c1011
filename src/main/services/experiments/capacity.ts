// Capacity sweep: random ±1 patterns, P/N on the x axis; fixed points and recall per rule (synchronous recall on the engine).
import { Rng } from '../../../core/rng'
import { capacityCellsLoop, capacitySweep, capacityTheory, coreSettle, runSweepAsync, type CapacityCell, type CapacityPoint, type CapacityTrial, type SettleBatch } from '../../../core/sweeps'
import { capacityCellsEngine, capacitySweepEngine } from '../../../engine/sweeps'
import type { ExperimentSpec, SweepResult } from '../../../shared/spec'
import type { FractionHooks } from '../hooks'
import { nextTurn, nullable, type ComputePath, type EngineChoice, type SweepRunner } from './common'
import { pointsRun, withCoreFallback } from './fallback'

type CapacitySpec = Extract<NonNullable<ExperimentSpec['sweep']>, { type: 'capacity' }>

/** The core/engine options of a capacity sweep spec (the rng aside). */
function capacitySettings(sweep: CapacitySpec, hooks: FractionHooks) {
  return { units: sweep.units, patternCounts: sweep.patternCounts, rules: sweep.rules, trials: sweep.trials, noise: sweep.noise, cuesPerPattern: sweep.cuesPerPattern, ...hooks }
}

export const runCapacitySweep: SweepRunner<'capacity'> = async ({ sweep, rng, hooks, engine }) => {
  const start = rng.getState()
  const settings = capacitySettings(sweep, hooks)
  const recall = { mode: sweep.recall.mode, maxSweeps: sweep.recall.maxSweeps }
  const { value: points, compute } = await withCoreFallback(
    recall.mode === 'sync',
    async () => pointsRun(await capacitySweepEngine({ ...settings, rng: Rng.fromState(start), ...engine, maxSweeps: recall.maxSweeps })),
    () => capacitySweep({ ...settings, rng: Rng.fromState(start), recall })
  )
  return { compute, sweep: capacitySweepResult(sweep.units, points) }
}

/** The result section of a capacity sweep from its points (JSON has no NaN: null where nothing ran). */
export function capacitySweepResult(units: number, points: CapacityPoint[]): SweepResult {
  return {
    type: 'capacity',
    units,
    theory: capacityTheory(units),
    points: points.map((p) => ({
      ...p,
      fixedFraction: nullable(p.fixedFraction),
      allFixedFraction: nullable(p.allFixedFraction),
      recallSuccess: nullable(p.recallSuccess),
      meanOverlap: nullable(p.meanOverlap)
    }))
  }
}

/** Back to the event loop before each batch: a queue worker renews its job lock and reads the cancel flag there. */
const yielding =
  (settle: SettleBatch) =>
  async (batch: Parameters<SettleBatch>[0]): Promise<Int8Array> => {
    await nextTurn()
    return settle(batch)
  }

/**
 * Some cells of a capacity sweep (a shard), by the same path as a local run (engine for synchronous recall, core
 * otherwise, the core if the engine fails): each cell draws only from the seed's fork for (pi, t), so the trials are
 * those of the whole sweep run here. It returns to the event loop between batches.
 */
export async function runCapacityCells(
  spec: ExperimentSpec,
  sweep: CapacitySpec,
  cells: readonly CapacityCell[],
  hooks: FractionHooks,
  engine: EngineChoice
): Promise<{ trials: CapacityTrial[]; compute: ComputePath }> {
  const start = new Rng(spec.seed).getState()
  const settings = capacitySettings(sweep, hooks)
  const recall = { mode: sweep.recall.mode, maxSweeps: sweep.recall.maxSweeps }
  const { value: trials, compute } = await withCoreFallback(
    recall.mode === 'sync',
    async () => pointsRun(await capacityCellsEngine({ ...settings, rng: Rng.fromState(start), ...engine, maxSweeps: recall.maxSweeps, yieldBetweenBatches: true }, cells)),
    () => runSweepAsync(capacityCellsLoop({ ...settings, rng: Rng.fromState(start), recall }, cells), yielding(coreSettle(recall)))
  )
  return { trials, compute }
}
