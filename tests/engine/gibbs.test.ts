// Engine Gibbs sweeps (programs/gibbs.ts via engine/stochastic.ts) against core anneal / completePattern: the same
// seed-fed noise gives identical states, chain by chain (exact by design: float64 fields, logit decisions).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { anneal, completePattern, type AnnealOptions } from '../../src/core/anneal'
import { hebb, type HopfieldNet } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'
import type { StochasticNet } from '../../src/core/stochastic'
import { randomPatterns } from '../../src/core/sweeps'
import { buildGibbsModel } from '../../src/engine/programs/gibbs'
import { annealBatch, type AnnealBatchOptions, type AnnealBatchResult } from '../../src/engine/stochastic'
import { hasOnnx, hebbNet, onnxCheck, prng, randomStates } from './helpers'

const copy = (r: Rng): Rng => Rng.fromState(r.getState())
const chainRngs = (count: number, seed: number): Rng[] => Array.from({ length: count }, (_, b) => new Rng(seed).fork(b))

function hopfield(n: number, p: number, seed: number, encoding: 'bipolar' | 'binary' = 'bipolar'): HopfieldNet {
  const patterns = randomPatterns(p, n, new Rng(seed))
  const net = hebb(patterns, { normalisation: '1/N' })
  return { ...net, encoding }
}

function randomInitial(net: StochasticNet, chains: number, seed: number): Int8Array {
  return randomStates(prng(seed), chains, net.units, net.encoding)
}

/** Runs core anneal per chain with a copy of that chain's generator and checks the engine's result against it. */
function expectSameAsCore(
  net: StochasticNet,
  initial: Int8Array,
  chains: number,
  engine: AnnealBatchResult,
  coreOpts: (b: number) => AnnealOptions
): void {
  const n = net.units
  for (let b = 0; b < chains; b++) {
    const c = anneal(net, initial.subarray(b * n, (b + 1) * n), coreOpts(b))
    const S = c.sweeps
    expect(engine.sweeps).toBe(S)
    expect(Array.from(engine.final.subarray(b * n, (b + 1) * n)), `final of chain ${b}`).toEqual(Array.from(c.final))
    expect(Array.from(engine.last.subarray(b * n, (b + 1) * n)), `last of chain ${b}`).toEqual(Array.from(c.last))
    expect(Array.from(engine.meanActivation.subarray(b * n, (b + 1) * n)), `mean of chain ${b}`).toEqual(Array.from(c.meanActivation))
    expect(Array.from(engine.flips.subarray(b * S, (b + 1) * S)), `flips of chain ${b}`).toEqual(Array.from(c.flips))
    expect(engine.finalEnergy[b]).toBe(c.finalEnergy)
    const e = engine.energy.subarray(b * (S + 1), (b + 1) * (S + 1))
    for (let t = 0; t <= S; t++) expect(e[t]).toBeCloseTo(c.energy[t]!, 9)
  }
}

describe('engine Gibbs sweeps = core anneal on the same noise', () => {
  it('constant temperature, bipolar, random order per sweep and chain', async () => {
    const net = hopfield(48, 4, 1)
    const B = 12
    const init = randomInitial(net, B, 2)
    const rngs = chainRngs(B, 3)
    const opts = { schedule: { kind: 'constant', temperature: 0.6, steps: 20 }, averageLast: 6 } as const
    const e = await annealBatch(net, init, B, { ...opts, rngs: rngs.map(copy), sweepsPerRun: 7 })
    expect(e.provider).toBeTruthy()
    expect(e.temperatures.every((t) => t === 0.6)).toBe(true)
    expectSameAsCore(net, init, B, e, (b) => ({ ...opts, rng: rngs[b]! }))
    // The chains really were stochastic: units kept flipping at T = 0.6.
    expect(e.flips.reduce((s, f) => s + f, 0)).toBeGreaterThan(B * 20)
  })

  it('annealing schedule with L sweeps per temperature and the mean of the last M sweeps', async () => {
    const net = hopfield(64, 5, 4)
    const B = 16
    const init = randomInitial(net, B, 5)
    const rngs = chainRngs(B, 6)
    const opts = { schedule: { kind: 'geometric', start: 2, end: 0.05, steps: 30 }, sweepsPerTemperature: 2, averageLast: 5 } as const
    const e = await annealBatch(net, init, B, { ...opts, rngs: rngs.map(copy) })
    expectSameAsCore(net, init, B, e, (b) => ({ ...opts, rng: rngs[b]! }))
    // Averages over M = 5 sweeps take the values k/5.
    expect(e.meanActivation.every((p) => Number.isInteger(Math.round(p * 5 * 1e9) / 1e9))).toBe(true)
  })

  it('clamped completion: per-chain known units held, the rest annealed — as core completePattern', async () => {
    const n = 60
    const patterns = randomPatterns(3, n, new Rng(7))
    const net = hebb(patterns, { normalisation: '1/N' })
    const B = 9
    const cueRng = new Rng(8)
    const init = new Int8Array(B * n)
    const known = new Uint8Array(B * n)
    for (let b = 0; b < B; b++) {
      const p = patterns[b % 3]!
      const hidden = cueRng.permutation(n).subarray(0, 25)
      const cue = Int8Array.from(p)
      const mask = new Uint8Array(n).fill(1)
      for (const i of hidden) {
        mask[i] = 0
        cue[i] = cueRng.int(2) === 1 ? 1 : -1
      }
      init.set(cue, b * n)
      known.set(mask, b * n)
    }
    const rngs = chainRngs(B, 9)
    const opts = { schedule: { kind: 'geometric', start: 1, end: 0.05, steps: 12 }, sweepsPerTemperature: 2, averageLast: 3 } as const
    const e = await annealBatch(net, init, B, { ...opts, rngs: rngs.map(copy), clamped: known })
    for (let b = 0; b < B; b++) {
      const c = completePattern(net, init.subarray(b * n, (b + 1) * n), { ...opts, mode: 'clamped', known: known.subarray(b * n, (b + 1) * n), rng: rngs[b]!, stored: patterns })
      expect(Array.from(e.final.subarray(b * n, (b + 1) * n)), `chain ${b}`).toEqual(Array.from(c.final))
      expect(e.finalEnergy[b]).toBe(c.finalEnergy)
      for (let i = 0; i < n; i++) if (known[b * n + i]) expect(e.last[b * n + i]).toBe(init[b * n + i])
    }
  })

  it('binary {0,1} units with thresholds, a non-zero diagonal and external input; sequential order', async () => {
    const n = 40
    const rand = prng(10)
    // Float32 weights with a diagonal (the ½w_ii term of the binary gap), thresholds and a per-chain external field.
    const w = new Float32Array(n * n)
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const v = Math.fround((rand() - 0.5) * 0.8)
        w[i * n + j] = v
        w[j * n + i] = v
      }
    }
    const thresholds = Float32Array.from({ length: n }, () => Math.fround((rand() - 0.5) * 0.6))
    const net: StochasticNet = { units: n, weights: w, thresholds, encoding: 'binary' }
    const B = 10
    const init = randomInitial(net, B, 11)
    const external = Float32Array.from({ length: B * n }, () => Math.fround(rand() - 0.5))
    const rngs = chainRngs(B, 12)
    const opts = { schedule: { kind: 'linear', start: 1.5, end: 0.1, steps: 15 }, sweepsPerTemperature: 2, averageLast: 4, order: 'sequential' } as const
    const e = await annealBatch(net, init, B, { ...opts, rngs: rngs.map(copy), external, sweepsPerRun: 4 })
    expectSameAsCore(net, init, B, e, (b) => ({ ...opts, rng: rngs[b]!, external: external.subarray(b * n, (b + 1) * n) }))
    expect(e.final.every((v) => v === 0 || v === 1)).toBe(true)
  })

  it('binary and bipolar nets from the same patterns, fixed permutation, noise arrays instead of generators', async () => {
    for (const encoding of ['binary', 'bipolar'] as const) {
      const net = hopfield(32, 3, 13, encoding)
      const n = net.units
      const B = 6
      const S = 24
      const init = randomInitial(net, B, 14)
      const rand = prng(15)
      const noise = Float64Array.from({ length: B * S * n }, () => rand())
      const order = new Rng(16).permutation(n)
      const opts = { schedule: { kind: 'geometric', start: 1.2, end: 0.1, steps: 12 }, sweepsPerTemperature: 2, averageLast: 3, order } as const
      const e = await annealBatch(net, init, B, { ...opts, noise, sweepsPerRun: 5 })
      expectSameAsCore(net, init, B, e, (b) => ({ ...opts, noise: noise.subarray(b * S * n, (b + 1) * S * n) }))
    }
  })

  it('T = 0 stages are deterministic descent with ties kept (integer weights, many exact ties)', async () => {
    const n = 30
    const patterns = randomStates(prng(17), 4, n, 'bipolar')
    const net = hebbNet(patterns, 4, n) // even number of patterns: integer fields, ties at 0 are common
    const B = 20
    const init = randomInitial(net, B, 18)
    const rngs = chainRngs(B, 19)
    const opts = { schedule: [0.8, 0.3, 0, 0], sweepsPerTemperature: 2, averageLast: 2 }
    const e = await annealBatch(net, init, B, { ...opts, rngs: rngs.map(copy) })
    expectSameAsCore(net, init, B, e, (b) => ({ ...opts, rng: rngs[b]! }))
  })

  it('random float32 weights of mixed magnitudes agree too', async () => {
    const n = 50
    const rng = new Rng(20)
    const w = new Float32Array(n * n)
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const v = Math.fround(rng.normal() * 0.3)
        w[i * n + j] = v
        w[j * n + i] = v
      }
    }
    const net: StochasticNet = { units: n, weights: w, thresholds: Float32Array.from({ length: n }, () => Math.fround(rng.normal() * 0.1)), encoding: 'bipolar' }
    const B = 24
    const init = randomInitial(net, B, 21)
    const rngs = chainRngs(B, 22)
    const opts = { schedule: { kind: 'geometric', start: 3, end: 0.2, steps: 10 }, sweepsPerTemperature: 3, averageLast: 5 } as const
    const e = await annealBatch(net, init, B, { ...opts, rngs: rngs.map(copy) })
    expectSameAsCore(net, init, B, e, (b) => ({ ...opts, rng: rngs[b]! }))
  })

  it('reports progress per run and stops between runs when cancelled', async () => {
    const net = hopfield(20, 2, 23)
    const B = 3
    const init = randomInitial(net, B, 24)
    const seen: [number, number][] = []
    await annealBatch(net, init, B, { schedule: [1, 0.5, 0.25], sweepsPerTemperature: 3, rngs: chainRngs(B, 25), sweepsPerRun: 4, onProgress: (d, t) => seen.push([d, t]) })
    expect(seen).toEqual([
      [4, 9],
      [8, 9],
      [9, 9]
    ])
    let calls = 0
    await expect(
      annealBatch(net, init, B, { schedule: [1, 0.5, 0.25], sweepsPerTemperature: 3, rngs: chainRngs(B, 25), sweepsPerRun: 2, shouldCancel: () => ++calls > 2 })
    ).rejects.toThrow('cancelled')
    expect(calls).toBe(3)
  })

  it('rejects bad inputs with an error that names the field', async () => {
    const net = hopfield(10, 2, 26)
    const n = 10
    const B = 2
    const init = randomInitial(net, B, 27)
    const base: AnnealBatchOptions = { schedule: [1, 0.5], rngs: chainRngs(B, 28) }
    await expect(annealBatch(net, init.subarray(0, 15), B, base)).rejects.toThrow(/initial has 15 entries, expected 2×10/)
    const bad = Int8Array.from(init)
    bad[13] = 0
    await expect(annealBatch(net, bad, B, base)).rejects.toThrow(/initial state of chain 1, unit 3/)
    await expect(annealBatch(net, init, B, { ...base, clamped: new Uint8Array(n) })).rejects.toThrow(/clamped has 10 entries, expected 2×10/)
    await expect(annealBatch(net, init, B, { ...base, external: new Float32Array(3) })).rejects.toThrow(/external has 3 entries/)
    await expect(annealBatch(net, init, B, { ...base, rngs: chainRngs(1, 28) })).rejects.toThrow(/rngs has 1 generators, expected one per chain \(2\)/)
    await expect(annealBatch(net, init, B, { schedule: [1, 0.5], order: 'sequential', noise: new Float64Array(30) })).rejects.toThrow(/noise has 30 uniforms, expected 2×2×10/)
    await expect(annealBatch(net, init, B, { schedule: [1, 0.5], noise: new Float64Array(40) })).rejects.toThrow(/order 'random' cannot be reproduced/)
    await expect(annealBatch(net, init, B, { ...base, averageLast: 3 })).rejects.toThrow(/averageLast \(3\) exceeds the 2 sweeps/)
    await expect(annealBatch(net, init, B, { ...base, schedule: [1, -1] })).rejects.toThrow(/schedule.temperatures\[1\]/)
    await expect(annealBatch(net, init, B, { ...base, order: [0, 1, 2] })).rejects.toThrow(/order must be/)
    await expect(annealBatch({ ...net, weights: new Float32Array(99) }, init, B, base)).rejects.toThrow(/weights have 99 entries, expected 10×10/)
    await expect(annealBatch({ ...net, thresholds: new Float32Array(9) }, init, B, base)).rejects.toThrow(/thresholds/)
    await expect(annealBatch(net, init, 0, base)).rejects.toThrow(/chains must be a positive integer/)
    expect(() => buildGibbsModel({ units: 0, encoding: 'bipolar' })).toThrow(/units must be a positive integer/)
  })

  it.skipIf(!hasOnnx())('the program passes the onnx checker (full_check)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gibbs-'))
    try {
      for (const [name, bytes] of [
        ['bipolar', buildGibbsModel({ units: 7, encoding: 'bipolar' })],
        ['binary-external', buildGibbsModel({ units: 5, encoding: 'binary', external: true })]
      ] as const) {
        const file = join(dir, `${name}.onnx`)
        writeFileSync(file, bytes)
        const r = onnxCheck(file)
        expect(r?.output, name).toBe('')
        expect(r?.ok, name).toBe(true)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
