// Runs a whole experiment spec: the recall experiment, or one sweep through the runner table. Same spec + seed = same numbers.
import { Rng } from '../../../core/rng'
import type { ExperimentResult, ExperimentSpec } from '../../../shared/spec'
import type { ComputeHooks } from '../hooks'
import { modelSection, resultHeader, type ExperimentData, type SweepContext, type SweepRunner, type SweepType } from './common'
import { runAnnealSweep } from './anneal'
import { runBamSweep } from './bam'
import { runBasinsSweep } from './basins'
import { runBoltzmannSweep } from './boltzmann'
import { runCapacitySweep } from './capacity'
import { runCensusSweep } from './census'
import { runCueSweep } from './cue-sweeps'
import { runDelaySweep, runGradientFlowSweep } from './delay'
import { runHeteroSweep } from './hetero'
import { runImagesSweep } from './images'
import { runBetaSweep, runDenseCapacitySweep } from './modern'
import { runRecallExperiment } from './recall'
import { runRecurrentSweep } from './recurrent'

export type { ExperimentData } from './common'
export { GIBBS_ENGINE_MIN_UNITS } from './common'

/** One runner per sweep type: capacity (random patterns), noise / partial cues, basins, census, and the 003/004 classics. */
const SWEEP_RUNNERS: { [T in SweepType]: SweepRunner<T> } = {
  capacity: runCapacitySweep,
  noise: runCueSweep,
  partial: runCueSweep,
  basins: runBasinsSweep,
  census: runCensusSweep,
  anneal: runAnnealSweep,
  bam: runBamSweep,
  hetero: runHeteroSweep,
  recurrent: runRecurrentSweep,
  boltzmann: runBoltzmannSweep,
  'dense-capacity': runDenseCapacitySweep,
  beta: runBetaSweep,
  images: runImagesSweep,
  delay: runDelaySweep,
  'gradient-flow': runGradientFlowSweep
}

export async function runExperiment(spec: ExperimentSpec, data: ExperimentData | null, hooks: ComputeHooks = {}): Promise<ExperimentResult> {
  const sweep = spec.sweep
  if (!sweep) return runRecallExperiment(spec, data, hooks)
  const ctx: SweepContext = {
    spec,
    sweep,
    data,
    rng: new Rng(spec.seed),
    hooks: { onProgress: (f) => hooks.onProgress?.(f, Math.round(f * 1000), 1000, sweep.type), shouldCancel: hooks.shouldCancel },
    engine: { provider: spec.engine.provider, threads: spec.engine.threads }
  }
  // The table pairs each type with its runner; TypeScript cannot follow that pairing through the union, hence the cast.
  const run = SWEEP_RUNNERS[sweep.type] as SweepRunner<SweepType>
  const out = await run(ctx)
  const trained = out.hopfield
  return {
    ...resultHeader(spec, out.compute),
    sweep: out.sweep,
    ...(out.worked ? { worked: out.worked } : {}),
    ...(trained?.history ? { training: { history: trained.history } } : {}),
    ...(trained && data ? { model: modelSection(spec.model, trained.net, data) } : {})
  }
}
