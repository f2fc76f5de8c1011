// Errors in the sweep loops: only the documented "cannot store" case (pseudo-inverse with P > N or dependent
// patterns) skips a trial; any other error of a learning rule fails the sweep on the core and on the engine, and a
// cancel is a CancelledError on both paths.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as rules from '../../src/core/rules'
import { Rng } from '../../src/core/rng'
import { cannotStore, capacitySweep, noiseSweep, randomPatterns } from '../../src/core/sweeps'
import { capacitySweepEngine, cueSweepEngine } from '../../src/engine/sweeps'
import { runExperiment } from '../../src/main/services/experiments'
import { CancelledError } from '../../src/shared/errors'
import { experimentSpecSchema } from '../../src/shared/spec'

vi.mock('../../src/core/rules', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/rules')>()
  return { ...real, trainRule: vi.fn(real.trainRule) }
})
const realTrainRule = (await vi.importActual<typeof import('../../src/core/rules')>('../../src/core/rules')).trainRule
const trainRule = vi.mocked(rules.trainRule)
afterEach(() => trainRule.mockImplementation(realTrainRule))

const settings = { units: 24, patternCounts: [2, 4], rules: ['hebb', 'storkey'] as rules.LearningRule[], trials: 2, noise: 0.1, cuesPerPattern: 2 }

describe('cannotStore: the one reason a trial is skipped', () => {
  const a = Int8Array.of(1, -1, 1, -1)
  const b = Int8Array.of(1, 1, -1, -1)
  it('pseudo-inverse: P > N, or a pattern that depends on the ones before it', () => {
    expect(cannotStore('pseudo-inverse', [a, b, a, b, a])).toBe('P > N (5 > 4)')
    expect(cannotStore('pseudo-inverse', [a, b, Int8Array.from(a, (v) => -v)])).toBe('pattern 2 depends on the patterns before it')
    expect(cannotStore('pseudo-inverse', [a, b])).toBeNull()
  })
  it('Hebb and Storkey store anything', () => {
    expect(cannotStore('hebb', [a, a, a, a, a])).toBeNull()
    expect(cannotStore('storkey', [a, a])).toBeNull()
  })
  it('dependent pattern sets are skipped, not failed, by the sweep (N = 2: P = 2 of 4 states is often dependent)', () => {
    const points = capacitySweep({ units: 2, patternCounts: [2], rules: ['pseudo-inverse'], trials: 20, noise: 0, cuesPerPattern: 1, rng: new Rng(1) })
    expect(points[0]!.skipped).toBeGreaterThan(0)
    expect(points[0]!.trials).toBeGreaterThan(0)
    expect(points[0]!.skipped + points[0]!.trials).toBe(20)
  })
})

describe('a learning rule that throws fails the sweep (it is never counted as skipped)', () => {
  const bug = (): void => {
    trainRule.mockImplementation((rule, patterns, opts) => {
      if (rule === 'storkey') throw new TypeError("Cannot read properties of undefined (reading 'length')")
      return realTrainRule(rule, patterns, opts)
    })
  }

  it('core capacity sweep', () => {
    bug()
    expect(() => capacitySweep({ ...settings, rng: new Rng(2) })).toThrow(TypeError)
  })

  it('engine capacity sweep', async () => {
    bug()
    await expect(capacitySweepEngine({ ...settings, rng: new Rng(2), maxSweeps: 10, provider: 'cpu' })).rejects.toThrow(TypeError)
  })

  it('capacity experiment with synchronous recall: the core fallback fails too, with the rule error', async () => {
    bug()
    const spec = experimentSpecSchema.parse({ name: 'bug', seed: 1, engine: { provider: 'cpu' }, model: { kind: 'hopfield' }, sweep: { type: 'capacity', ...settings, recall: { mode: 'sync', maxSweeps: 10 } } })
    await expect(runExperiment(spec, null)).rejects.toThrow(/reading 'length'/)
  })
})

describe('cancel', () => {
  it('is a CancelledError on the core and on the engine', async () => {
    let n = 0
    expect(() => capacitySweep({ ...settings, rng: new Rng(3), shouldCancel: () => ++n > 2 })).toThrow(CancelledError)
    await expect(capacitySweepEngine({ ...settings, rng: new Rng(3), maxSweeps: 10, provider: 'cpu', shouldCancel: () => true })).rejects.toBeInstanceOf(CancelledError)
    const stored = randomPatterns(3, 24, new Rng(4))
    const net = realTrainRule('hebb', stored)
    expect(() => noiseSweep(net, stored, { fractions: [0.1], cuesPerPattern: 2, rng: new Rng(5), shouldCancel: () => true })).toThrow(CancelledError)
    await expect(cueSweepEngine(net, stored, { kind: 'noise', fractions: [0.1], cuesPerPattern: 2, rng: new Rng(5), maxSweeps: 10, shouldCancel: () => true })).rejects.toBeInstanceOf(CancelledError)
  })
})
