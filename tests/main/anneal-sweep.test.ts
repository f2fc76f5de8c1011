// The stochastic-Hopfield sweep (004): annealed vs deterministic completion from the same cues, on the spec's
// dataset, checked against the core's completePattern run cue by cue on the sweep's documented draws.
import { describe, expect, it } from 'vitest'
import { completePattern, temperatureSchedule } from '../../src/core/anneal'
import { Rng } from '../../src/core/rng'
import { runExperiment } from '../../src/main/services/experiments'
import { trainHopfield } from '../../src/main/services/hopfield'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { experimentSpecSchema, type ExperimentSpec } from '../../src/shared/spec'

// A, C, I: letters a Hebb net keeps as fixed points; 10×10 pixels.
const dataset = { builtin: 'letters', select: [0, 2, 8], threshold: 0.5 }
const d = new DatasetCatalog(null).resolve(dataset)
const data = { stored: d.patterns, labels: d.labels, width: d.summary.width, height: d.summary.height }

/**
 * The sweep's contract, written out: one Rng(seed); per fraction, per pattern p, per cue c: a permutation picks the
 * round(fraction·N) unknown units, each unknown unit gets a random ±1 (clamped completion), then the annealed chain
 * takes fork(p·65537 + c) and the T = 0 chain fork(p·65537 + c + 0x8000); success = the final state is pattern p.
 */
function reference(spec: ExperimentSpec): { fraction: number; annealed: number; deterministic: number; meanEnergyAnnealed: number; meanEnergyDeterministic: number; cues: number }[] {
  const sweep = spec.sweep
  if (sweep?.type !== 'anneal') throw new Error('expected an anneal sweep')
  const { net } = trainHopfield(data.stored, spec.model, spec.seed)
  const n = net.units
  const schedule = temperatureSchedule(sweep.schedule)
  const r = new Rng(spec.seed)
  return sweep.fractions.map((fraction) => {
    let annealed = 0
    let deterministic = 0
    let energyA = 0
    let energyD = 0
    data.stored.forEach((pattern, p) => {
      for (let c = 0; c < sweep.cuesPerPattern; c++) {
        const cue = Int8Array.from(pattern)
        const known = new Uint8Array(n).fill(1)
        for (const i of r.permutation(n).subarray(0, Math.round(fraction * n))) {
          known[i] = 0
          cue[i] = r.int(2) === 1 ? 1 : -1
        }
        const common = { mode: 'clamped' as const, known, sweepsPerTemperature: sweep.sweepsPerTemperature, stored: data.stored }
        const a = completePattern(net, cue, { ...common, schedule, averageLast: sweep.averageLast, rng: r.fork(p * 65537 + c) })
        const g = completePattern(net, cue, { ...common, schedule: new Float64Array(schedule.length), averageLast: 1, rng: r.fork(p * 65537 + c + 0x8000) })
        if (a.match === p) annealed++
        if (g.match === p) deterministic++
        energyA += a.finalEnergy
        energyD += g.finalEnergy
      }
    })
    const cues = data.stored.length * sweep.cuesPerPattern
    return { fraction, annealed: annealed / cues, deterministic: deterministic / cues, meanEnergyAnnealed: energyA / cues, meanEnergyDeterministic: energyD / cues, cues }
  })
}

describe('anneal sweep', () => {
  it('equals the core completePattern run cue by cue, on the core and on the engine, and reports the schedule', async () => {
    const base = {
      name: 'anneal',
      seed: 3,
      dataset,
      model: { kind: 'hopfield', normalisation: '1/N' },
      sweep: { type: 'anneal', completion: 'clamped', fractions: [0.3, 0.6], cuesPerPattern: 4, schedule: { kind: 'geometric', start: 1, end: 0.05, steps: 10 } }
    }
    const spec = experimentSpecSchema.parse(base)
    const want = reference(spec)
    // The reference is not degenerate: some completions fail, so equality says something.
    expect(want.some((p) => p.annealed < 1 || p.deterministic < 1)).toBe(true)
    expect(want.some((p) => p.annealed > 0)).toBe(true)
    // 'auto' keeps 100 units on the core; a named provider runs the chains on the engine.
    for (const provider of ['auto', 'cpu'] as const) {
      const r = await runExperiment(experimentSpecSchema.parse({ ...base, engine: { provider } }), data)
      if (r.sweep?.type !== 'anneal') throw new Error('expected an anneal sweep')
      expect(r.compute.path).toBe(provider === 'auto' ? 'core' : 'engine')
      expect(r.sweep.temperatures).toHaveLength(10)
      expect(r.sweep.temperatures[0]).toBeCloseTo(1, 12)
      expect(r.sweep.temperatures[9]).toBeCloseTo(0.05, 12)
      expect(r.sweep.points.map((p) => ({ ...p, meanEnergyAnnealed: round(p.meanEnergyAnnealed), meanEnergyDeterministic: round(p.meanEnergyDeterministic) }))).toEqual(
        want.map((p) => ({ ...p, meanEnergyAnnealed: round(p.meanEnergyAnnealed), meanEnergyDeterministic: round(p.meanEnergyDeterministic) }))
      )
    }
  })
})

/** Energies to 9 significant digits: the engine sums them in another order. */
function round(x: number): number {
  return Number(x.toPrecision(9))
}
