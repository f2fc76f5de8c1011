// The stochastic-Hopfield sweep (004): annealed vs deterministic completion from the same cues.
import { describe, expect, it } from 'vitest'
import { runExperiment } from '../../src/main/services/experiments'
import { experimentSpecSchema } from '../../src/shared/spec'
import { randomPatterns } from '../../src/core/sweeps'
import { Rng } from '../../src/core/rng'

describe('anneal sweep', () => {
  it('recovers clean cues both ways, reports the schedule, and is reproducible', async () => {
    const stored = randomPatterns(3, 40, new Rng(1))
    const spec = experimentSpecSchema.parse({
      name: 'anneal',
      seed: 3,
      dataset: { builtin: 'letters' },
      model: { kind: 'hopfield', normalisation: '1/N' },
      sweep: { type: 'anneal', completion: 'clamped', fractions: [0, 0.3], cuesPerPattern: 4, schedule: { kind: 'geometric', start: 1, end: 0.05, steps: 10 } }
    })
    const data = { stored, labels: ['a', 'b', 'c'], width: 40, height: 1 }
    const a = await runExperiment(spec, data)
    const b = await runExperiment(spec, data)
    if (a.sweep?.type !== 'anneal') throw new Error('expected an anneal sweep')
    expect(a.sweep.temperatures).toHaveLength(10)
    expect(a.sweep.temperatures[0]).toBeCloseTo(1, 12)
    expect(a.sweep.temperatures[9]).toBeCloseTo(0.05, 12)
    expect(a.sweep.points[0]).toMatchObject({ fraction: 0, annealed: 1, deterministic: 1, cues: 12 })
    // Clamped completion with 70 % of the units seen recovers these three random patterns.
    expect(a.sweep.points[1]!.annealed).toBeGreaterThan(0.9)
    expect(b.sweep).toEqual(a.sweep)
  })
})
