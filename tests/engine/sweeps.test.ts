// Core and engine give the same sweep numbers on the same settings (synchronous recall).
import { describe, expect, it } from 'vitest'
import { capacitySweep, noiseSweep, partialCueSweep, randomPatterns } from '../../src/core/sweeps'
import { trainRule } from '../../src/core/rules'
import { hebb } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'
import { capacitySweepEngine, cueSweepEngine } from '../../src/engine/sweeps'

describe('engine sweeps == core sweeps', () => {
  it('capacity sweep, three rules, including loads where sync recall 2-cycles', async () => {
    const settings = { units: 64, patternCounts: [4, 9, 14, 24], rules: ['hebb', 'storkey', 'pseudo-inverse'] as const, trials: 2, noise: 0.15, cuesPerPattern: 3 }
    const core = capacitySweep({ ...settings, rules: [...settings.rules], rng: new Rng(5), recall: { mode: 'sync', maxSweeps: 30 } })
    const engine = await capacitySweepEngine({ ...settings, rules: [...settings.rules], rng: new Rng(5), maxSweeps: 30, provider: 'cpu' })
    expect(engine.points).toEqual(core)
    // The sweep is informative: Hebb degrades with load, pseudo-inverse keeps every pattern fixed.
    const hebb = core.filter((p) => p.rule === 'hebb')
    expect(hebb[0]!.fixedFraction).toBeGreaterThan(hebb.at(-1)!.fixedFraction)
    for (const p of core.filter((q) => q.rule === 'pseudo-inverse')) expect(p.fixedFraction).toBe(1)
  })

  it('capacity sweep at N = 100 (the app default size), Hebb, Storkey and pseudo-inverse', async () => {
    const settings = { units: 100, patternCounts: [6, 14, 30], rules: ['hebb', 'storkey', 'pseudo-inverse'] as const, trials: 2, noise: 0.1, cuesPerPattern: 3 }
    const core = capacitySweep({ ...settings, rules: [...settings.rules], rng: new Rng(6), recall: { mode: 'sync', maxSweeps: 30 } })
    const engine = await capacitySweepEngine({ ...settings, rules: [...settings.rules], rng: new Rng(6), maxSweeps: 30, provider: 'cpu' })
    expect(engine.points).toEqual(core)
  })

  it('noise sweep at N = 100 with Hebb 1/N and 1/P (weights not exact in float32): engine == core', async () => {
    const stored = randomPatterns(14, 100, new Rng(9))
    const fractions = [0, 0.1, 0.2, 0.3]
    for (const normalisation of ['1/N', '1/P'] as const) {
      const net = hebb(stored, { normalisation })
      const core = noiseSweep(net, stored, { fractions, cuesPerPattern: 6, rng: new Rng(4), recall: { mode: 'sync', maxSweeps: 30 } })
      const engine = await cueSweepEngine(net, stored, { kind: 'noise', fractions, cuesPerPattern: 6, rng: new Rng(4), maxSweeps: 30, provider: 'cpu' })
      expect(engine.points).toEqual(core)
      // The same successes as the unnormalised net: a positive scale does not change sign dynamics.
      const plain = noiseSweep(hebb(stored), stored, { fractions, cuesPerPattern: 6, rng: new Rng(4), recall: { mode: 'sync', maxSweeps: 30 } })
      expect(core).toEqual(plain)
    }
  })

  it('noise and partial-cue sweeps', async () => {
    const stored = randomPatterns(6, 64, new Rng(8))
    const net = trainRule('hebb', stored)
    const fractions = [0, 0.1, 0.25, 0.4]
    const core = noiseSweep(net, stored, { fractions, cuesPerPattern: 4, rng: new Rng(2), recall: { mode: 'sync', maxSweeps: 20 } })
    const engine = await cueSweepEngine(net, stored, { kind: 'noise', fractions, cuesPerPattern: 4, rng: new Rng(2), maxSweeps: 20, provider: 'cpu' })
    expect(engine.points).toEqual(core)
    expect(core[0]!.success).toBe(1)
    const coreMask = partialCueSweep(net, stored, { fractions, cuesPerPattern: 4, rng: new Rng(3), fill: 'random', recall: { mode: 'sync', maxSweeps: 20 } })
    const engineMask = await cueSweepEngine(net, stored, { kind: 'partial', fill: 'random', fractions, cuesPerPattern: 4, rng: new Rng(3), maxSweeps: 20, provider: 'cpu' })
    expect(engineMask.points).toEqual(coreMask)
  })
})
