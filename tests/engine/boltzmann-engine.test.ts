// Sampled Boltzmann learning on the engine (src/engine/boltzmann.ts) against the core (src/core/boltzmann.ts): the
// same rng state gives the same clamped and free statistics, bit for bit, and the same trained weights.
import { describe, expect, it } from 'vitest'
import { createBoltzmann, sampledStatistics, trainBoltzmann, type BoltzmannStatistics, type SamplingOptions } from '../../src/core/boltzmann'
import { Rng } from '../../src/core/rng'
import { sampledStatisticsEngine, trainBoltzmannEngine } from '../../src/engine/boltzmann'
import { annealBatch } from '../../src/engine/stochastic'
import { runExperiment } from '../../src/main/services/experiments'
import { randomPatterns } from '../../src/core/sweeps'
import { experimentSpecSchema } from '../../src/shared/spec'

const copy = (r: Rng): Rng => Rng.fromState(r.getState())

function dataset(count: number, V: number, encoding: 'binary' | 'bipolar', seed: number): Int8Array[] {
  const r = new Rng(seed)
  const lo = encoding === 'binary' ? 0 : -1
  return Array.from({ length: count }, () => Int8Array.from({ length: V }, () => (r.next() < 0.5 ? 1 : lo)))
}

function expectSameStatistics(engine: BoltzmannStatistics, core: BoltzmannStatistics): void {
  for (const phase of ['clamped', 'free'] as const) {
    expect(engine[phase].samples, `${phase} samples`).toBe(core[phase].samples)
    expect(Array.from(engine[phase].means), `${phase} means`).toEqual(Array.from(core[phase].means))
    expect(Array.from(engine[phase].correlations), `${phase} correlations`).toEqual(Array.from(core[phase].correlations))
  }
}

describe('sampled Boltzmann statistics: engine = core on the same rng', () => {
  const cases: { name: string; opts: Omit<SamplingOptions, 'rng'> }[] = [
    { name: 'defaults (random order, one sample per chain)', opts: { clampedSamples: 6, freeSamples: 40 } },
    { name: 'several samples per chain, sampled every 2 sweeps', opts: { clampedSamples: 7, freeSamples: 25, samplesPerChain: 3, sampleEvery: 2, equilibrationSweeps: 4 } },
    { name: 'sequential order, annealing start, T = 1.5', opts: { clampedSamples: 4, freeSamples: 20, order: 'sequential', anneal: { kind: 'geometric', start: 4, end: 1.5, steps: 5 }, temperature: 1.5 } }
  ]
  for (const encoding of ['binary', 'bipolar'] as const) {
    for (const c of cases) {
      it(`${encoding}: ${c.name}`, async () => {
        const data = dataset(5, 10, encoding, 7)
        const bm = createBoltzmann({ visible: 10, hidden: 4, encoding, rng: new Rng(3), initScale: 0.6 })
        const rng = new Rng(21)
        const coreRng = copy(rng)
        const core = sampledStatistics(bm, data, { ...c.opts, rng: coreRng })
        // A small group budget: the chains run in several groups, clamped and free chains side by side in one.
        const engine = await sampledStatisticsEngine(bm, data, { ...c.opts, rng, provider: 'cpu', groupValues: 4000 })
        expect(engine.provider).toBe('cpu')
        expectSameStatistics(engine, core)
        // The engine consumed the generator exactly as the core did.
        expect(rng.getState()).toEqual(coreRng.getState())
        // The clamped phase really sampled the hidden units: their means are strictly between the two states.
        const lo = encoding === 'binary' ? 0 : -1
        expect(core.clamped.means.slice(10).some((m) => m > lo && m < 1)).toBe(true)
      })
    }
  }
})

describe('sampled Boltzmann statistics at a larger size', () => {
  it('V = 30, H = 14, strong weights: the same statistics after ~4·10^4 decisions', async () => {
    const data = dataset(6, 30, 'binary', 13)
    const bm = createBoltzmann({ visible: 30, hidden: 14, rng: new Rng(14), initScale: 0.8 })
    for (let i = 0; i < 44; i++) bm.biases[i] = (i % 5) * 0.37 - 0.7
    const opts = { clampedSamples: 6, freeSamples: 60, equilibrationSweeps: 12 }
    const core = sampledStatistics(bm, data, { ...opts, rng: new Rng(15) })
    const engine = await sampledStatisticsEngine(bm, data, { ...opts, rng: new Rng(15), provider: 'cpu' })
    expectSameStatistics(engine, core)
  })
})

describe('sampled Boltzmann training: engine = core', () => {
  for (const encoding of ['binary', 'bipolar'] as const) {
    it(`${encoding}: a few epochs give identical weights, biases and history`, async () => {
      const data = dataset(4, 8, encoding, 11)
      const opts = { hidden: 3, encoding, epochs: 4, eta: 0.3, weightDecay: 0.01, mode: 'sampled', sampling: { clampedSamples: 5, freeSamples: 30, samplesPerChain: 2 } } as const
      const core = trainBoltzmann(data, { ...opts, rng: new Rng(5) })
      const engine = await trainBoltzmannEngine(data, { ...opts, rng: new Rng(5), provider: 'cpu' })
      expect(engine.provider).toBe('cpu')
      expect(Array.from(engine.machine.weights)).toEqual(Array.from(core.machine.weights))
      expect(Array.from(engine.machine.biases)).toEqual(Array.from(core.machine.biases))
      expect(engine.history).toEqual(core.history)
      // Learning happened: the weights moved from their start and the likelihood was tracked (N = 11 ≤ 16).
      expect(core.history.at(-1)!.logLikelihood).not.toBe(core.history[0]!.logLikelihood)
      expect(core.history.every((h) => h.logLikelihood !== null)).toBe(true)
    })
  }

  it('no hidden units: the clamped phase is the data itself, the free phase sampled on the engine', async () => {
    const data = dataset(3, 6, 'binary', 2)
    const opts = { hidden: 0, epochs: 3, mode: 'sampled', sampling: { freeSamples: 20 } } as const
    const core = trainBoltzmann(data, { ...opts, rng: new Rng(8) })
    const engine = await trainBoltzmannEngine(data, { ...opts, rng: new Rng(8), provider: 'cpu' })
    expect(Array.from(engine.machine.weights)).toEqual(Array.from(core.machine.weights))
    expect(Array.from(engine.machine.biases)).toEqual(Array.from(core.machine.biases))
  })
})

describe('bad inputs name the field', () => {
  const bm = createBoltzmann({ visible: 4, hidden: 2 })
  const data = [Int8Array.from([1, 0, 1, 0])]
  it.each([
    [{ clampedSamples: 0 }, /clampedSamples/],
    [{ freeSamples: 1.5 }, /freeSamples/],
    [{ equilibrationSweeps: -1 }, /equilibrationSweeps/],
    [{ sampleEvery: 0 }, /sampleEvery/],
    [{ groupValues: 0 }, /groupValues/],
    [{ temperature: 0 }, /temperature/]
  ])('%o', async (bad, message) => {
    await expect(sampledStatisticsEngine(bm, data, { rng: new Rng(1), provider: 'cpu', ...bad })).rejects.toThrow(message)
  })
  it('a data vector of the wrong length or encoding', async () => {
    await expect(sampledStatisticsEngine(bm, [Int8Array.from([1, 0, 1])], { rng: new Rng(1) })).rejects.toThrow(/data pattern 0/)
    await expect(sampledStatisticsEngine(bm, [Int8Array.from([1, -1, 1, 0])], { rng: new Rng(1) })).rejects.toThrow(/data pattern 0/)
  })
  it('annealBatch orders: a permutation per chain and sweep, only with a noise array', async () => {
    const net = { units: 3, weights: new Float64Array(9), thresholds: new Float64Array(3), encoding: 'binary' as const }
    const init = new Int8Array(6)
    const noise = new Float64Array(2 * 2 * 3).fill(0.5)
    const good = Int32Array.from([0, 1, 2, 2, 1, 0, 1, 0, 2, 0, 2, 1])
    await expect(annealBatch(net, init, 2, { schedule: [1, 1], noise, orders: good, provider: 'cpu' })).resolves.toBeTruthy()
    const bad = Int32Array.from(good)
    bad[7] = 1
    await expect(annealBatch(net, init, 2, { schedule: [1, 1], noise, orders: bad })).rejects.toThrow(/orders: sweep 0 of chain 1/)
    await expect(annealBatch(net, init, 2, { schedule: [1, 1], noise, orders: good.subarray(3) })).rejects.toThrow(/orders has 9 entries/)
    await expect(annealBatch(net, init, 2, { schedule: [1, 1], rngs: [new Rng(1), new Rng(2)], orders: good })).rejects.toThrow(/orders go with a noise array/)
  })
  it("mode 'exact' is refused by the engine trainer", async () => {
    await expect(trainBoltzmannEngine(data, { hidden: 1, epochs: 1, mode: 'exact' })).rejects.toThrow(/mode/)
  })
})

describe('Boltzmann sweep (services/experiments/boltzmann.ts) on the engine', () => {
  const stored = randomPatterns(3, 10, new Rng(41))
  const data = { stored, labels: ['a', 'b', 'c'], width: 10, height: 1 }
  const spec = experimentSpecSchema.parse({
    name: 'bm-engine',
    seed: 9,
    dataset: { builtin: 'letters' },
    model: { kind: 'hopfield' },
    engine: { provider: 'cpu' },
    sweep: { type: 'boltzmann', hidden: 3, mode: 'sampled', epochs: 4, eta: 0.3, clampedSamples: 4, freeSamples: 30, unseen: 0.3, cuesPerPattern: 3 }
  })

  it("provider 'cpu' trains on the engine and gives the core's result; 'auto' keeps this small net on the core", async () => {
    const progress: number[] = []
    const engine = await runExperiment(spec, data, { onProgress: (f) => progress.push(f) })
    expect(engine.compute).toMatchObject({ path: 'engine', provider: 'cpu' })
    expect(engine.compute.fallbackReason).toBeUndefined()
    expect(progress.at(-1)).toBe(1)
    const core = await runExperiment({ ...spec, engine: { provider: 'auto', threads: 0 } }, data)
    expect(core.compute).toMatchObject({ path: 'core', provider: 'core' })
    if (engine.sweep?.type !== 'boltzmann' || core.sweep?.type !== 'boltzmann') throw new Error('expected Boltzmann sweeps')
    expect(engine.sweep).toEqual(core.sweep)
    expect(engine.sweep.history).toHaveLength(5)
    expect(engine.sweep.history.at(-1)!.gradientNorm).toBeGreaterThan(0)
  })

  it("exact statistics stay on the core whatever the provider", async () => {
    const exact = await runExperiment({ ...spec, sweep: { ...spec.sweep!, mode: 'exact' } as never }, data)
    expect(exact.compute).toMatchObject({ path: 'core', provider: 'core' })
  })
})
