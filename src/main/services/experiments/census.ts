// Spurious-state census: every start (N ≤ 20) or random starts, attractors classified with their basin sizes.
import { census } from '../../../core/census'
import { storedIn, trainHopfield } from '../hopfield'
import { CORE_PATH, requireData, type SweepRunner } from './common'

export const runCensusSweep: SweepRunner<'census'> = (ctx) => {
  const { spec, sweep, rng, hooks } = ctx
  const data = requireData(ctx)
  const trained = trainHopfield(data.stored, spec.model, spec.seed)
  const net = trained.net
  if (sweep.method === 'exhaustive' && net.units > 20) throw new Error(`spec.sweep.method: exhaustive census needs N ≤ 20 units (this model has ${net.units})`)
  const c = census(net, storedIn(net, data.stored), {
    ...(sweep.method === 'auto' ? {} : { method: sweep.method }),
    samples: sweep.samples,
    rng,
    dynamics: sweep.dynamics,
    maxSweeps: sweep.maxSweeps,
    ...hooks
  })
  return {
    compute: CORE_PATH,
    sweep: { type: 'census', method: c.method, starts: c.starts, countsByKind: c.countsByKind, attractors: c.attractors.map((a) => ({ ...a, state: Array.from(a.state) })) },
    hopfield: trained
  }
}
