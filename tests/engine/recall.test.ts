// Engine recall (ONNX Loop on ORT CPU) against a float64 reference and core's recallSyncBatch: states and iteration counts.
import { describe, expect, it } from 'vitest'
import { hebb, recallSyncBatch, type HopfieldNet } from '../../src/core/hopfield'
import { lettersDataset } from '../../src/core/datasets/letters'
import { recallBatch } from '../../src/engine/recall'
import { hebbNet, prng, randomStates, referenceRecall, type RefNet } from './helpers'

/** Cues: stored patterns with ~15% of units flipped, plus fully random ones. */
function noisyCues(rand: () => number, net: RefNet, stored: Int8Array, count: number, batch: number): Int8Array {
  const n = net.units
  const lo = net.encoding === 'bipolar' ? -1 : 0
  const cues = randomStates(rand, batch, n, net.encoding)
  for (let b = 0; b < batch; b += 2) {
    const p = Math.floor(rand() * count)
    for (let i = 0; i < n; i++) {
      const v = stored[p * n + i]!
      cues[b * n + i] = rand() < 0.15 ? (v === 1 ? lo : 1) : v
    }
  }
  return cues
}

/** Engine (CPU) and core recallSyncBatch of `net` both equal the float64 reference run on `refNet`: states and counts. */
async function expectEngineAndCore(net: HopfieldNet, refNet: RefNet, cues: Int8Array, batch: number, chunk: number): Promise<void> {
  const ref = referenceRecall(refNet, cues, batch, 50)
  const got = await recallBatch(net, cues, batch, { maxIterations: 50, provider: 'cpu', chunk })
  expect(got.provider).toBe('cpu')
  expect(Array.from(got.final)).toEqual(Array.from(ref.final))
  expect(Array.from(got.iterations)).toEqual(Array.from(ref.iterations))
  const core = recallSyncBatch(net, cues, batch, 50)
  expect(Array.from(core.final)).toEqual(Array.from(ref.final))
  expect(Array.from(core.iterations)).toEqual(Array.from(ref.iterations))
}

describe('recallBatch (engine) vs reference', () => {
  // h_i = Σ_p ξ_pi Σ_{j≠i} ξ_pj s_j has a parity fixed by N and P, so only some (N, P) pairs can
  // produce h == 0 at all; the `ties` cases do (asserted below), N=30, P=4 never does.
  const cases = [
    { n: 16, patterns: 2, seed: 1, ties: true },
    { n: 30, patterns: 4, seed: 2, ties: false },
    { n: 33, patterns: 5, seed: 6, ties: true },
    { n: 64, patterns: 8, seed: 3, ties: true },
    { n: 100, patterns: 12, seed: 4, ties: true }
  ]
  for (const { n, patterns, seed, ties: expectTies } of cases) {
    it(`bipolar N=${n}, P=${patterns}: states and iterations equal at batch 1, 7 and 64`, async () => {
      const rand = prng(seed)
      const stored = randomStates(rand, patterns, n, 'bipolar')
      const net = hebbNet(stored, patterns, n)
      let ties = 0
      for (const batch of [1, 7, 64]) {
        const cues = noisyCues(rand, net, stored, patterns, batch)
        await expectEngineAndCore(net, net, cues, batch, 16)
        ties += countTies(net, cues, batch)
      }
      // The tie rule is only tested if some cue actually has a zero net input somewhere.
      if (expectTies) expect(ties).toBeGreaterThan(0)
    })
  }

  it('Hebb 1/N at N = 100 and 1/P at P = 6 (weights not exact in float32): engine and core equal the integer reference, ties counted', async () => {
    const { patterns, labels } = lettersDataset()
    const letters = [...'AEIOUX'].map((c) => patterns[labels.indexOf(c)]!)
    const rand = prng(41)
    // Seed 12 gives 14 patterns with an odd number of −1s, which N = 100, P = 14 needs for h = 0 to be reachable.
    const random = Array.from({ length: 14 }, (_, k) => randomStates(prng(12), 14, 100, 'bipolar').subarray(k * 100, (k + 1) * 100))
    let ties = 0
    for (const [stored, normalisation] of [
      [letters, '1/P'],
      [letters, '1/N'],
      [random, '1/N']
    ] as const) {
      const count = stored.length
      const flat = new Int8Array(count * 100)
      stored.forEach((p, k) => flat.set(p, k * 100))
      // The reference runs on the integer K = Σ ξξᵀ: sign dynamics do not depend on the positive 1/N or 1/P.
      const integer = hebbNet(flat, count, 100)
      const net = hebb(stored, { normalisation })
      const batch = 100
      const cues = noisyCues(rand, integer, flat, count, batch)
      await expectEngineAndCore(net, integer, cues, batch, 32)
      ties += countTies(integer, cues, batch)
    }
    expect(ties).toBeGreaterThan(0)
  })

  it('tie rule: h == θ keeps the previous state (Sign alone would give 0)', async () => {
    // Two units coupled with weight 1 and θ = 1: h = 1 = θ for every unit in state (1, 1) and h = −1 ≠ θ for (−1, −1).
    const net: RefNet = { units: 2, weights: Float32Array.of(0, 1, 1, 0), thresholds: Float32Array.of(1, 1), encoding: 'bipolar' }
    const cues = Int8Array.of(1, 1, 1, -1, -1, -1)
    const got = await recallBatch(net, cues, 3, { maxIterations: 10, provider: 'cpu' })
    const ref = referenceRecall(net, cues, 3, 10)
    expect(Array.from(got.final)).toEqual([1, 1, -1, -1, -1, -1])
    expect(Array.from(got.final)).toEqual(Array.from(ref.final))
    expect(Array.from(got.iterations)).toEqual(Array.from(ref.iterations))
  })

  it('2-cycle runs to maxIterations; settled rows in the same batch keep their own counts', async () => {
    // w12 = w21 = −1: (1, 1) ↔ (−1, −1) forever under synchronous updates; (1, −1) is a fixed point.
    const net: RefNet = { units: 2, weights: Float32Array.of(0, -1, -1, 0), thresholds: new Float32Array(2), encoding: 'bipolar' }
    const cues = Int8Array.of(1, 1, 1, -1, -1, -1)
    for (const maxIterations of [0, 1, 5, 6]) {
      const got = await recallBatch(net, cues, 3, { maxIterations, provider: 'cpu' })
      const ref = referenceRecall(net, cues, 3, maxIterations)
      expect(Array.from(got.iterations)).toEqual([maxIterations, 0, maxIterations])
      expect(Array.from(got.final)).toEqual(Array.from(ref.final))
      const flip = maxIterations % 2 === 1
      expect(Array.from(got.final.subarray(0, 2))).toEqual(flip ? [-1, -1] : [1, 1])
    }
  })

  it('asymmetric weights follow core\'s convention h_i = Σ_j s_j w_ji', async () => {
    const rand = prng(21)
    const n = 12
    const net: RefNet = {
      units: n,
      weights: Float32Array.from({ length: n * n }, () => Math.floor(rand() * 7) - 3),
      thresholds: new Float32Array(n),
      encoding: 'bipolar'
    }
    const batch = 20
    const cues = randomStates(rand, batch, n, 'bipolar')
    const ref = referenceRecall(net, cues, batch, 25)
    const got = await recallBatch(net, cues, batch, { maxIterations: 25, provider: 'cpu' })
    expect(Array.from(got.final)).toEqual(Array.from(ref.final))
    expect(Array.from(got.iterations)).toEqual(Array.from(ref.iterations))
    // Core follows the same convention everywhere (h_i = Σ_j s_j w_ji, 003 step 4), asymmetric weights included.
    const core = recallSyncBatch(net, cues, batch, 25)
    expect(Array.from(core.final)).toEqual(Array.from(ref.final))
    expect(Array.from(core.iterations)).toEqual(Array.from(ref.iterations))
    // With Wᵀ instead of W some row would differ: the test has teeth.
    const transposed = { ...net, weights: Float32Array.from({ length: n * n }, (_, k) => net.weights[(k % n) * n + Math.floor(k / n)]!) }
    expect(Array.from(referenceRecall(transposed, cues, batch, 25).final)).not.toEqual(Array.from(ref.final))
  })

  it('binary encoding with thresholds matches the reference', async () => {
    const rand = prng(11)
    const n = 24
    const stored = randomStates(rand, 3, n, 'binary')
    const net = hebbNet(stored, 3, n, 'binary')
    // Integer thresholds so h == θ ties stay exact in float32.
    net.thresholds = Float32Array.from({ length: n }, () => Math.floor(rand() * 5) - 2)
    const batch = 40
    const cues = noisyCues(rand, net, stored, 3, batch)
    const ref = referenceRecall(net, cues, batch, 30)
    const got = await recallBatch(net, cues, batch, { maxIterations: 30, provider: 'cpu' })
    expect(Array.from(got.final)).toEqual(Array.from(ref.final))
    expect(Array.from(got.iterations)).toEqual(Array.from(ref.iterations))
  })

  it('external input x (the cue held on, 003) matches core recallSyncBatch, binary and bipolar', async () => {
    for (const encoding of ['binary', 'bipolar'] as const) {
      const rand = prng(encoding === 'binary' ? 31 : 32)
      const n = 20
      const stored = randomStates(rand, 3, n, encoding)
      const net = hebbNet(stored, 3, n, encoding)
      net.thresholds = Float32Array.from({ length: n }, () => Math.floor(rand() * 3) - 1)
      const batch = 30
      const cues = noisyCues(rand, net, stored, 3, batch)
      const core = recallSyncBatch(net, cues, batch, 30, cues)
      const got = await recallBatch(net, cues, batch, { maxIterations: 30, provider: 'cpu', external: cues, chunk: 8 })
      expect(Array.from(got.final)).toEqual(Array.from(core.final))
      expect(Array.from(got.iterations)).toEqual(Array.from(core.iterations))
      // The input changes the outcome somewhere, so the test has teeth.
      expect(Array.from(recallSyncBatch(net, cues, batch, 30).final)).not.toEqual(Array.from(core.final))
    }
    await expect(recallBatch(hebbNet(new Int8Array(4).fill(1), 1, 4), new Int8Array(4).fill(1), 1, { maxIterations: 3, external: new Int8Array(3) })).rejects.toThrow(
      /external has 3 entries, expected 1×4/
    )
  })

  it('reports progress per chunk and cancels between chunks', async () => {
    const rand = prng(5)
    const n = 16
    const net = hebbNet(randomStates(rand, 2, n, 'bipolar'), 2, n)
    const cues = randomStates(rand, 10, n, 'bipolar')
    const seen: [number, number][] = []
    await recallBatch(net, cues, 10, { maxIterations: 5, provider: 'cpu', chunk: 4, onProgress: (d, t) => seen.push([d, t]) })
    expect(seen).toEqual([
      [4, 10],
      [8, 10],
      [10, 10]
    ])
    let chunks = 0
    await expect(
      recallBatch(net, cues, 10, { maxIterations: 5, provider: 'cpu', chunk: 4, onProgress: () => chunks++, shouldCancel: () => chunks >= 1 })
    ).rejects.toThrow('cancelled')
    expect(chunks).toBe(1)
  })

  it('rejects cues outside the encoding and mismatched sizes', async () => {
    const net: RefNet = { units: 2, weights: new Float32Array(4), thresholds: new Float32Array(2), encoding: 'bipolar' }
    await expect(recallBatch(net, Int8Array.of(1, 0), 1, { maxIterations: 1 })).rejects.toThrow(/cue 0, unit 1/)
    await expect(recallBatch(net, Int8Array.of(1, 1, 1), 1, { maxIterations: 1 })).rejects.toThrow(/expected 1×2/)
  })
})

function countTies(net: RefNet, cues: Int8Array, batch: number): number {
  const n = net.units
  let ties = 0
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      let h = 0
      for (let j = 0; j < n; j++) h += cues[b * n + j]! * net.weights[j * n + i]!
      if (h === net.thresholds[i]) ties++
    }
  }
  return ties
}
