// Basins of attraction: per stored pattern, the largest Hamming radius still recalled at the threshold.
import { basinEstimate } from '../../../core/sweeps'
import { trainHopfield } from '../hopfield'
import { CORE_PATH, requireData, type SweepRunner } from './common'

export const runBasinsSweep: SweepRunner<'basins'> = (ctx) => {
  const { spec, sweep, rng, hooks } = ctx
  const data = requireData(ctx)
  const trained = trainHopfield(data.stored, spec.model, spec.seed)
  const basins = basinEstimate(trained.net, data.stored, {
    rng,
    trialsPerRadius: sweep.trialsPerRadius,
    ...(sweep.maxRadius !== undefined ? { maxRadius: sweep.maxRadius } : {}),
    threshold: sweep.threshold,
    recall: sweep.recall,
    ...hooks
  })
  return {
    compute: CORE_PATH,
    sweep: { type: 'basins', threshold: sweep.threshold, basins: basins.map((b) => ({ ...b, label: data.labels[b.pattern] ?? String(b.pattern) })) },
    hopfield: trained
  }
}
