// The anneal sweep (services/experiments/anneal.ts) on the engine: reports the engine path and gives exactly the numbers of the core
// algorithm it replaced (completePattern per cue, same rng forks), for noisy and clamped completion.
import { describe, expect, it } from 'vitest'
import { completePattern, temperatureSchedule } from '../../src/core/anneal'
import { Rng } from '../../src/core/rng'
import { annealChainStream, descentChainStream } from '../../src/core/rng-streams'
import { randomPatterns } from '../../src/core/sweeps'
import { runExperiment } from '../../src/main/services/experiments'
import { trainHopfield } from '../../src/main/services/hopfield'
import { experimentSpecSchema, type ExperimentSpec } from '../../src/shared/spec'

/** The core loop the sweep ran before the engine path (kept here as the reference), on the sweep's named rng streams. */
function coreReference(spec: ExperimentSpec, stored: Int8Array[]): unknown[] {
  const sweep = spec.sweep
  if (sweep?.type !== 'anneal') throw new Error('anneal sweep expected')
  const { net } = trainHopfield(stored, spec.model, spec.seed)
  const rng = new Rng(spec.seed)
  const temperatures = temperatureSchedule(sweep.schedule)
  const greedy = new Float64Array(temperatures.length)
  const n = net.units
  return sweep.fractions.map((fraction) => {
    let annealed = 0
    let deterministic = 0
    let energyA = 0
    let energyD = 0
    let cues = 0
    stored.forEach((p, pi) => {
      for (let c = 0; c < sweep.cuesPerPattern; c++) {
        const chosen = rng.permutation(n).subarray(0, Math.round(fraction * n))
        const cue = Int8Array.from(p)
        const known = new Uint8Array(n).fill(1)
        for (const i of chosen) {
          if (sweep.completion === 'noisy') cue[i] = -cue[i]!
          else {
            known[i] = 0
            cue[i] = rng.int(2) === 1 ? 1 : -1
          }
        }
        const common = { mode: sweep.completion, ...(sweep.completion === 'clamped' ? { known } : {}), sweepsPerTemperature: sweep.sweepsPerTemperature, stored }
        const a = completePattern(net, cue, { ...common, schedule: temperatures, averageLast: sweep.averageLast, rng: rng.fork(annealChainStream(pi, c)) })
        const d = completePattern(net, cue, { ...common, schedule: greedy, averageLast: 1, rng: rng.fork(descentChainStream(pi, c)) })
        if (a.match === pi) annealed++
        if (d.match === pi) deterministic++
        energyA += a.finalEnergy
        energyD += d.finalEnergy
        cues++
      }
    })
    return { fraction, annealed: annealed / cues, deterministic: deterministic / cues, meanEnergyAnnealed: energyA / cues, meanEnergyDeterministic: energyD / cues, cues }
  })
}

describe('anneal sweep on the engine', () => {
  for (const completion of ['noisy', 'clamped'] as const) {
    it(`${completion} completion: engine path, the core's numbers`, async () => {
      const n = 48
      const stored = randomPatterns(4, n, new Rng(31))
      const spec = experimentSpecSchema.parse({
        name: 'anneal',
        seed: 5,
        dataset: { builtin: 'letters' },
        model: { kind: 'hopfield', normalisation: '1/N' },
        engine: { provider: 'cpu' },
        sweep: { type: 'anneal', completion, fractions: [0.1, 0.3, 0.5], cuesPerPattern: 5, schedule: { kind: 'geometric', start: 2, end: 0.05, steps: 12 }, averageLast: 4 }
      })
      const progress: number[] = []
      const result = await runExperiment(spec, { stored, labels: ['a', 'b', 'c', 'd'], width: n, height: 1 }, { onProgress: (f) => progress.push(f) })
      expect(result.compute).toMatchObject({ path: 'engine', provider: 'cpu' })
      if (result.sweep?.type !== 'anneal') throw new Error('expected an anneal sweep')
      expect(result.sweep.points).toEqual(coreReference(spec, stored))
      expect(progress.at(-1)).toBe(1)
      // 'auto' keeps a net this small on the core (faster there): the same numbers.
      const auto = await runExperiment({ ...spec, engine: { provider: 'auto', threads: 0 } }, { stored, labels: ['a', 'b', 'c', 'd'], width: n, height: 1 })
      expect(auto.compute).toMatchObject({ path: 'core', provider: 'core' })
      if (auto.sweep?.type !== 'anneal') throw new Error('expected an anneal sweep')
      expect(auto.sweep.points).toEqual(result.sweep.points)
    })
  }
})
