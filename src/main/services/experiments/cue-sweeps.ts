// Noise and partial-cue sweeps on the spec's dataset and model: success vs fraction of flipped or masked units.
import { Rng } from '../../../core/rng'
import { noiseSweep, partialCueSweep } from '../../../core/sweeps'
import { cueSweepEngine } from '../../../engine/sweeps'
import { trainHopfield } from '../hopfield'
import type { SweepSpec } from '../../../shared/spec'
import { nullable, requireData, type SweepContext, type SweepOutput } from './common'
import { pointsRun, withCoreFallback } from './fallback'

export async function runCueSweep(ctx: SweepContext<Extract<SweepSpec, { type: 'noise' | 'partial' }>>): Promise<SweepOutput> {
  const { spec, sweep, rng, hooks, engine } = ctx
  const data = requireData(ctx)
  const trained = trainHopfield(data.stored, spec.model, spec.seed)
  const net = trained.net
  const fill = sweep.type === 'partial' ? sweep.fill : undefined
  const start = rng.getState()
  const common = { fractions: sweep.fractions, cuesPerPattern: sweep.cuesPerPattern, ...hooks }
  // The engine's cue sweeps take bipolar states; binary nets settle on the core (core/sweeps.ts maps the cues).
  const { value: points, compute } = await withCoreFallback(
    sweep.recall.mode === 'sync' && fill !== 0 && net.encoding === 'bipolar',
    async () =>
      pointsRun(
        await cueSweepEngine(net, data.stored, {
          kind: sweep.type,
          ...(fill !== undefined && fill !== 0 ? { fill } : {}),
          ...common,
          rng: Rng.fromState(start),
          maxSweeps: sweep.recall.maxSweeps,
          ...engine
        })
      ),
    () => {
      const opts = { ...common, rng: Rng.fromState(start), recall: sweep.recall }
      return sweep.type === 'noise' ? noiseSweep(net, data.stored, opts) : partialCueSweep(net, data.stored, { ...opts, fill })
    }
  )
  return {
    compute,
    sweep: { type: sweep.type, points: points.map((p) => ({ ...p, success: nullable(p.success), meanOverlap: nullable(p.meanOverlap) })) },
    hopfield: trained
  }
}
