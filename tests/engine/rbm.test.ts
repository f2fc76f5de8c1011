// Engine RBM programs against the core reference on the same noise: CD-1, CD-k, PCD, momentum/decay/sparsity,
// Gaussian and label units, the K-step Loop, whole epochs from one seed, Gibbs sampling; onnx checker; in-graph noise.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  cdStep,
  classProbabilities,
  cloneRbm,
  createTrainState,
  drawCdNoise,
  drawGibbsNoise,
  gibbsChain,
  initRbm,
  trainEpoch,
  withOneHotLabels,
  type CdOptions,
  type Rbm
} from '../../src/core/rbm'
import { reconstructionError } from '../../src/core/rbm-metrics'
import { Rng } from '../../src/core/rng'
import { buildRbmGibbsModel, buildRbmTrainModel } from '../../src/engine/programs/rbm'
import { engineGibbsChain, randomVisibleStates, RbmEngineTrainer, sampleRbm } from '../../src/engine/rbm'
import { hasOnnx, onnxCheck } from './helpers'

function randomRbm(V: number, H: number, seed: number, extra: Partial<Rbm> = {}): Rbm {
  const rng = new Rng(seed)
  const rbm = initRbm({ visible: V, hidden: H, weightScale: 0.5, ...extra }, rng)
  for (let i = 0; i < V; i++) rbm.visibleBias[i] = 0.3 * rng.normal()
  for (let j = 0; j < H; j++) rbm.hiddenBias[j] = 0.3 * rng.normal()
  return rbm
}

function binary(rng: Rng, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0))
}

/** max |a − b| / (1 + max |b|): float32 against float64. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  let scale = 0
  for (let k = 0; k < a.length; k++) {
    m = Math.max(m, Math.abs(a[k]! - b[k]!))
    scale = Math.max(scale, Math.abs(b[k]!))
  }
  return m / (1 + scale)
}

function expectSameModel(engine: RbmEngineTrainer, core: Rbm, tol = 2e-5): void {
  const p = engine.parameters()
  expect(relDiff(p.weights, core.weights), 'weights').toBeLessThan(tol)
  expect(relDiff(p.visibleBias, core.visibleBias), 'visibleBias').toBeLessThan(tol)
  expect(relDiff(p.hiddenBias, core.hiddenBias), 'hiddenBias').toBeLessThan(tol)
  if (core.logVariance) expect(relDiff(p.logVariance!, core.logVariance), 'logVariance').toBeLessThan(tol)
}

interface Case {
  name: string
  rbm: () => Rbm
  opts: CdOptions
  data: (rng: Rng, rows: number) => Float64Array
  chains?: number
}

const V = 20
const H = 10
const cases: Case[] = [
  { name: 'CD-1', rbm: () => randomRbm(V, H, 1), opts: { learningRate: 0.05 }, data: (r, n) => binary(r, n * V) },
  {
    name: 'CD-3, sampled visibles, momentum, weight decay, sparsity',
    rbm: () => randomRbm(V, H, 2),
    opts: { learningRate: 0.1, k: 3, sampleVisible: true, momentum: 0.6, weightDecay: 0.01, sparsity: { target: 0.1, cost: 0.3, decay: 0.8 } },
    data: (r, n) => binary(r, n * V)
  },
  { name: 'PCD-2 with momentum', rbm: () => randomRbm(V, H, 3), opts: { learningRate: 0.05, k: 2, persistent: true, momentum: 0.5 }, data: (r, n) => binary(r, n * V), chains: 7 },
  {
    name: 'Gaussian CD-2, learned σ, momentum',
    rbm: () => {
      const rbm = randomRbm(V, H, 4, { visibleUnits: 'gaussian' })
      rbm.weights.forEach((_, q) => (rbm.weights[q]! *= 0.3))
      return rbm
    },
    opts: { learningRate: 0.02, k: 2, momentum: 0.5, sigma: { learn: true, learningRateScale: 0.5 } },
    data: (r, n) => Float64Array.from({ length: n * V }, () => r.normal())
  },
  {
    name: 'Gaussian + 4 label units, sampled CD-1, fixed σ',
    rbm: () => {
      const rbm = randomRbm(V, H, 5, { visibleUnits: 'gaussian', labelUnits: 4 })
      rbm.weights.forEach((_, q) => (rbm.weights[q]! *= 0.3))
      rbm.logVariance!.fill(Math.log(0.8))
      for (let i = V - 4; i < V; i++) rbm.logVariance![i] = 0
      return rbm
    },
    opts: { learningRate: 0.05, sampleVisible: true },
    data: (r, n) =>
      withOneHotLabels(
        Float64Array.from({ length: n * (V - 4) }, () => r.normal()),
        Array.from({ length: n }, () => r.int(4)),
        n,
        4
      )
  },
  {
    // The app's classification RBM: mean-field reconstructions, so the label group's negative phase is its softmax.
    name: 'Bernoulli + 4 label units, CD-1, momentum, weight decay (classification RBM)',
    rbm: () => randomRbm(V, H, 7, { labelUnits: 4 }),
    opts: { learningRate: 0.1, momentum: 0.5, weightDecay: 0.001 },
    data: (r, n) => withOneHotLabels(binary(r, n * (V - 4)), Array.from({ length: n }, () => r.int(4)), n, 4)
  },
  {
    name: 'Bernoulli + 3 label units, PCD-1',
    rbm: () => randomRbm(V, H, 6, { labelUnits: 3 }),
    opts: { learningRate: 0.05, persistent: true },
    data: (r, n) => withOneHotLabels(binary(r, n * (V - 3)), Array.from({ length: n }, () => r.int(3)), n, 3),
    chains: 6
  }
]

describe('engine CD/PCD step == core cdStep on the same noise (float32 vs float64)', () => {
  for (const c of cases) {
    it(`${c.name}: 3 consecutive steps`, async () => {
      const rng = new Rng(100)
      const core = c.rbm()
      const coreState = createTrainState(core, c.chains ? { persistentChains: c.chains, sparsityTarget: 0.1 } : { sparsityTarget: 0.1 }, rng)
      const engineState = createTrainState(core, c.chains ? { persistentChains: c.chains, initialChains: coreState.chains!, sparsityTarget: 0.1 } : { sparsityTarget: 0.1 })
      const trainer = await RbmEngineTrainer.create(cloneRbm(core), { ...c.opts, threads: 1 }, engineState)
      expect(trainer.provider).toBe('cpu')
      const B = 5
      for (let s = 0; s < 3; s++) {
        const v0 = c.data(rng, B)
        const noise = drawCdNoise(core, c.chains ?? B, c.opts, rng)
        const view = cdStep(core, coreState, v0, B, c.opts, noise)
        const err = await trainer.step(v0, B, noise)
        if (view.reconstructionError === null) expect(err).toBeNaN()
        else expect(err).toBeCloseTo(view.reconstructionError, 5)
        expectSameModel(trainer, core)
      }
      if (coreState.chains) expect(relDiff(trainer.tensor('chains')!, coreState.chains)).toBeLessThan(1e-5)
      const back = createTrainState(core, c.chains ? { persistentChains: c.chains, initialChains: coreState.chains! } : {})
      trainer.writeBack(cloneRbm(core), back)
      if (c.opts.momentum) expect(relDiff(back.velocity.weights, coreState.velocity.weights)).toBeLessThan(2e-5)
      if (c.opts.sparsity) expect(relDiff(back.hiddenActivity, coreState.hiddenActivity)).toBeLessThan(1e-5)
      expect(back.step).toBe(3)
    })
  }
})

describe('whole epochs from one seed', () => {
  for (const [stepsPerRun, outerProduct] of [
    [1, 'accumulate'],
    [3, 'accumulate'],
    [4, 'concat']
  ] as const) {
    it(`engine trainEpoch (stepsPerRun=${stepsPerRun}, ${outerProduct}) == core trainEpoch, 23 rows in batches of 5`, async () => {
      const data = binary(new Rng(7), 23 * V)
      const opts: CdOptions = { learningRate: 0.1, momentum: 0.5, k: 2 }
      const core = randomRbm(V, H, 8)
      const coreState = createTrainState(core)
      const trainer = await RbmEngineTrainer.create(cloneRbm(core), { ...opts, stepsPerRun, outerProduct, threads: 1 }, createTrainState(core))
      const rngCore = new Rng(9)
      const rngEngine = new Rng(9)
      for (let e = 0; e < 2; e++) {
        const errCore = trainEpoch(core, coreState, data, 23, { ...opts, batchSize: 5 }, rngCore)
        const progress: number[] = []
        const errEngine = await trainer.trainEpoch(data, 23, rngEngine, { batchSize: 5, onProgress: (d) => progress.push(d) })
        expect(progress[progress.length - 1]).toBe(5)
        expect(relDiff(errEngine, errCore)).toBeLessThan(1e-5)
      }
      expectSameModel(trainer, core)
      expect(rngEngine.getState()).toEqual(rngCore.getState())
    })
  }

  it('a labelled epoch as the app runs it (10 steps per Loop, concat) == core, and both classify alike', async () => {
    const C = 4
    const r = new Rng(27)
    const labels = Array.from({ length: 43 }, () => r.int(C))
    const data = withOneHotLabels(binary(r, 43 * (V - C)), labels, 43, C)
    const opts: CdOptions = { learningRate: 0.1, momentum: 0.5, weightDecay: 0.0001 }
    const core = randomRbm(V, H, 28, { labelUnits: C })
    const coreState = createTrainState(core)
    const trainer = await RbmEngineTrainer.create(cloneRbm(core), { ...opts, stepsPerRun: 10, outerProduct: 'concat', threads: 1 }, createTrainState(core))
    const rc = new Rng(29)
    const re = new Rng(29)
    for (let e = 0; e < 2; e++) {
      const errCore = trainEpoch(core, coreState, data, 43, { ...opts, batchSize: 4 }, rc)
      const errEngine = await trainer.trainEpoch(data, 43, re, { batchSize: 4 })
      expect(relDiff(errEngine, errCore)).toBeLessThan(1e-5)
    }
    expectSameModel(trainer, core)
    const features = Float64Array.from({ length: 43 * (V - C) }, (_, k) => data[Math.floor(k / (V - C)) * V + (k % (V - C))]!)
    const pCore = classProbabilities(core, features, 43)
    expect(relDiff(classProbabilities(trainer.parameters(), features, 43), pCore)).toBeLessThan(1e-5)
  })

  it('PCD in a 5-step Loop over 20 rows == core', async () => {
    const data = binary(new Rng(17), 20 * V)
    const opts: CdOptions = { learningRate: 0.05, persistent: true }
    const core = randomRbm(V, H, 18)
    const coreState = createTrainState(core, { persistentChains: 4 }, new Rng(1))
    const trainer = await RbmEngineTrainer.create(
      cloneRbm(core),
      { ...opts, stepsPerRun: 5, threads: 1 },
      createTrainState(core, { persistentChains: 4, initialChains: coreState.chains! })
    )
    const rc = new Rng(2)
    const re = new Rng(2)
    trainEpoch(core, coreState, data, 20, { ...opts, batchSize: 4 }, rc)
    await trainer.trainEpoch(data, 20, re, { batchSize: 4 })
    expectSameModel(trainer, core)
    expect(relDiff(trainer.tensor('chains')!, coreState.chains!)).toBeLessThan(1e-6)
  })

  it('cancels between runs', async () => {
    const rbm = randomRbm(V, H, 1)
    const trainer = await RbmEngineTrainer.create(rbm, { learningRate: 0.1, threads: 1 }, createTrainState(rbm))
    await expect(trainer.trainEpoch(binary(new Rng(1), 10 * V), 10, new Rng(1), { batchSize: 5, shouldCancel: () => true })).rejects.toThrow('cancelled')
  })
})

describe('Gibbs sampling program', () => {
  it('engine chain == core gibbsChain on the same noise, with clamping and a label group', async () => {
    const rbm = randomRbm(V, H, 21, { labelUnits: 4 })
    const rng = new Rng(22)
    const B = 6
    const v0 = withOneHotLabels(binary(rng, B * (V - 4)), [0, 1, 2, 3, 0, 1], B, 4)
    const clamp = Float64Array.from({ length: B * V }, (_, q) => (q % V < 8 ? 1 : 0))
    const noise = drawGibbsNoise(rbm, B, 25, rng)
    const core = gibbsChain(rbm, v0, B, noise, clamp)
    const engine = await engineGibbsChain(rbm, v0, B, noise, { clamp, threads: 1 })
    expect(Array.from(engine.visible)).toEqual(Array.from(core.visible))
    expect(Array.from(engine.hidden)).toEqual(Array.from(core.hidden))
    expect(relDiff(engine.visibleMean, core.visibleMean)).toBeLessThan(1e-6)
  })

  it('sampleRbm in chunks == core gibbsChain over the same chunks (Gaussian units)', async () => {
    const rbm = randomRbm(V, H, 23, { visibleUnits: 'gaussian' })
    rbm.weights.forEach((_, q) => (rbm.weights[q]! *= 0.2))
    const B = 3
    const v0 = Float64Array.from({ length: B * V }, () => 0)
    const engine = await sampleRbm(rbm, v0, B, 7, new Rng(5), { chunkSteps: 3, threads: 1 })
    const rng = new Rng(5)
    let v: Float64Array = v0
    for (const n of [3, 3, 1]) v = gibbsChain(rbm, v, B, drawGibbsNoise(rbm, B, n, rng)).visible
    expect(relDiff(engine.visible, v)).toBeLessThan(1e-4)
  })

  it('generates from random starting states with a label clamped (label-conditioned generation)', async () => {
    const rbm = randomRbm(V, H, 24, { labelUnits: 2 })
    const B = 4
    const start = randomVisibleStates(rbm, B, new Rng(6))
    expect(start.every((x) => x === 0 || x === 1)).toBe(true)
    for (let r = 0; r < B; r++) {
      start[r * V + V - 2] = 1
      start[r * V + V - 1] = 0
    }
    const clamp = Float32Array.from({ length: B * V }, (_, q) => (q % V >= V - 2 ? 1 : 0))
    const out = await sampleRbm(rbm, start, B, 20, new Rng(7), { clamp, chunkSteps: 8, threads: 1 })
    for (let r = 0; r < B; r++) expect([out.visible[r * V + V - 2], out.visible[r * V + V - 1]]).toEqual([1, 0])
    expect(out.visibleMean.every((x) => x >= 0 && x <= 1)).toBe(true)
  })
})

describe('models', () => {
  it.skipIf(!hasOnnx())('pass the onnx 1.12 checker (full_check)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-rbm-'))
    const models = {
      cd1: buildRbmTrainModel({ visible: 12, hidden: 5 }),
      full: buildRbmTrainModel({ visible: 12, hidden: 5, k: 2, momentum: true, weightDecay: true, sparsity: true, sampleVisible: true, labelUnits: 3 }),
      gaussLoop: buildRbmTrainModel({ visible: 12, hidden: 5, visibleUnits: 'gaussian', learnSigma: true, momentum: true, stepsPerRun: 4 }),
      pcdGraphNoise: buildRbmTrainModel({ visible: 12, hidden: 5, persistent: true, noise: { seed: 3 }, stepsPerRun: 2, outerProduct: 'concat' }),
      gibbs: buildRbmGibbsModel({ visible: 12, hidden: 5, labelUnits: 2, clamp: true }),
      gibbsSeeded: buildRbmGibbsModel({ visible: 12, hidden: 5, noise: { seed: 1 } })
    }
    for (const [name, bytes] of Object.entries(models)) {
      const file = join(dir, `${name}.onnx`)
      writeFileSync(file, bytes)
      const r = onnxCheck(file)
      expect(r?.output, name).toBe('')
      expect(r?.ok, name).toBe(true)
    }
  })

  it('in-graph noise (seed attribute) trains: reconstruction error falls on structured data', async () => {
    const rows = 60
    const rng = new Rng(31)
    const protos = [binary(rng, V), binary(rng, V)]
    const data = new Float64Array(rows * V)
    for (let r = 0; r < rows; r++) data.set(protos[r % 2]!, r * V)
    const rbm = initRbm({ visible: V, hidden: H, data: { values: data, rows } }, rng)
    const before = reconstructionError(rbm, data, rows)
    const trainer = await RbmEngineTrainer.create(rbm, { learningRate: 0.2, noise: { seed: 77 }, stepsPerRun: 4, threads: 1 }, createTrainState(rbm))
    for (let e = 0; e < 10; e++) await trainer.trainEpoch(data, rows, rng, { batchSize: 5 })
    expect(reconstructionError(trainer.parameters(), data, rows)).toBeLessThan(0.5 * before)
  })

  it('rejects bad sizes and options', () => {
    expect(() => buildRbmTrainModel({ visible: 0, hidden: 3 })).toThrow(/visible/)
    expect(() => buildRbmTrainModel({ visible: 4, hidden: 3, labelUnits: 1 })).toThrow(/labelUnits/)
    expect(() => buildRbmTrainModel({ visible: 4, hidden: 3, learnSigma: true })).toThrow(/Gaussian/)
    expect(() => buildRbmTrainModel({ visible: 4, hidden: 3, k: 0 })).toThrow(/k must/)
  })
})
