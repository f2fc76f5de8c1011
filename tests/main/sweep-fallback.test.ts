// Every engine path of an experiment reports where it ran: an engine that falls back by itself (provider unavailable)
// keeps its reason in compute.fallbackReason, and an engine that fails hands the sweep to the core, which gives the
// same numbers and says why. A cancel is never mistaken for an engine failure.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as recall from '../../src/engine/recall'
import * as stochastic from '../../src/engine/stochastic'
import { Rng } from '../../src/core/rng'
import { randomPatterns } from '../../src/core/sweeps'
import { runExperiment, type ExperimentData } from '../../src/main/services/experiments'
import { CancelledError } from '../../src/shared/errors'
import { experimentSpecSchema } from '../../src/shared/spec'

vi.mock('../../src/engine/recall', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/recall')>()
  return { ...real, recallBatch: vi.fn(real.recallBatch) }
})
vi.mock('../../src/engine/stochastic', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/stochastic')>()
  return { ...real, annealBatch: vi.fn(real.annealBatch) }
})

const realRecallBatch = (await vi.importActual<typeof import('../../src/engine/recall')>('../../src/engine/recall')).recallBatch
const recallBatch = vi.mocked(recall.recallBatch)
const annealBatch = vi.mocked(stochastic.annealBatch)
afterEach(() => {
  recallBatch.mockReset()
  recallBatch.mockImplementation(realRecallBatch)
  annealBatch.mockClear()
})

const n = 40
const data: ExperimentData = { stored: randomPatterns(5, n, new Rng(21)), labels: ['a', 'b', 'c', 'd', 'e'], width: n, height: 1 }
const spec = (sweep: object, provider = 'cpu') =>
  experimentSpecSchema.parse({ name: 'fallback', seed: 3, dataset: { builtin: 'letters' }, model: { kind: 'hopfield' }, engine: { provider }, sweep })
const noise = { type: 'noise', fractions: [0, 0.2, 0.4], cuesPerPattern: 3, recall: { mode: 'sync', maxSweeps: 20 } }
// N = 32: float32(K/N) is exact, so the core and the engine agree at ties too (see issue 8, 'exact at every size').
const capacity = { type: 'capacity', units: 32, patternCounts: [3, 6], rules: ['hebb', 'storkey'], trials: 2, noise: 0.1, cuesPerPattern: 2, recall: { mode: 'sync', maxSweeps: 20 } }

describe('compute.fallbackReason on sweep results', () => {
  it("keeps the engine's own provider fallback (a 'cuda' request where CUDA cannot load, or a reported one)", async () => {
    const cuda = await runExperiment(spec(noise, 'cuda'), data)
    if (cuda.compute.provider === 'cuda') expect(cuda.compute.fallbackReason).toBeUndefined()
    else expect(cuda.compute).toMatchObject({ path: 'engine', provider: 'cpu', fallbackReason: expect.stringMatching(/^cuda: .+/) })
    // Whatever this machine has: a provider fallback the engine reports reaches the result, for cue and capacity sweeps.
    recallBatch.mockImplementation(async (...args) => ({ ...(await realRecallBatch(...args)), fallbackReason: 'cuda: not here' }))
    for (const sweep of [noise, capacity]) {
      const r = await runExperiment(spec(sweep), data)
      expect(r.compute).toEqual({ path: 'engine', provider: 'cpu', fallbackReason: 'cuda: not here' })
    }
  })

  /** Runs the sweep on the engine, then again with `breakEngine` making it throw: the core's numbers, and the reason. */
  async function expectCoreFallback(sweep: object, breakEngine: () => void, message: string): Promise<void> {
    const onEngine = await runExperiment(spec(sweep), data)
    expect(onEngine.compute).toEqual({ path: 'engine', provider: 'cpu' })
    breakEngine()
    const fellBack = await runExperiment(spec(sweep), data)
    expect(fellBack.compute).toEqual({ path: 'core', provider: 'core', fallbackReason: `engine failed (${message}); ran on the core` })
    expect(fellBack.sweep).toEqual(onEngine.sweep)
  }

  it('an engine failure hands the sweep to the core: the same numbers, and the reason', async () => {
    for (const sweep of [noise, capacity, { ...noise, type: 'partial', fill: 'random' }]) {
      await expectCoreFallback(sweep, () => recallBatch.mockRejectedValueOnce(new Error('session lost')), 'session lost')
    }
  })

  it('anneal: an engine failure runs the core from the same rng state', async () => {
    const anneal = { type: 'anneal', fractions: [0.1, 0.3], cuesPerPattern: 2, schedule: { kind: 'geometric', start: 2, end: 0.05, steps: 6 } }
    await expectCoreFallback(anneal, () => annealBatch.mockRejectedValueOnce(new TypeError('x is undefined')), 'x is undefined')
  })

  it('a cancel on the engine is a cancel, not a fallback', async () => {
    let calls = 0
    const cancelled = runExperiment(spec(noise), data, { shouldCancel: () => ++calls > 4 })
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError)
    recallBatch.mockRejectedValue(new CancelledError())
    await expect(runExperiment(spec(capacity), data)).rejects.toBeInstanceOf(CancelledError)
  })
})
