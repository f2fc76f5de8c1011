// Low-rank engine recall (Hebb nets through their stored patterns) against core's recallSyncBatch and the
// full-W engine program: final states and update counts bit for bit, ties, 2-cycles, thresholds, binary states.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gridDenominator, hebb, recallSyncBatch, type HebbOptions, type HopfieldNet } from '../../src/core/hopfield'
import { buildHopfieldRecallLowRankModel, lowRankSupported } from '../../src/engine/programs/hopfield-recall-lowrank'
import { firstInvalid, recallBatch, type LowRankRecall } from '../../src/engine/recall'
import { lettersDataset } from '../../src/core/datasets/letters'
import { HAS_ONNX, onnxCheck, prng, randomStates } from './helpers'

function rows(flat: Int8Array, count: number, n: number): Int8Array[] {
  return Array.from({ length: count }, (_, k) => flat.subarray(k * n, (k + 1) * n))
}

function scaleOf(opts: HebbOptions, n: number, count: number): number {
  return opts.normalisation === '1/N' ? 1 / n : opts.normalisation === '1/P' ? 1 / count : 1
}

/** Half the cues are stored patterns with ~15% of units flipped, the rest uniformly random. */
function cuesFor(rand: () => number, stored: Int8Array, count: number, n: number, batch: number, encoding: 'bipolar' | 'binary'): Int8Array {
  const lo = encoding === 'bipolar' ? -1 : 0
  const cues = randomStates(rand, batch, n, encoding)
  for (let b = 0; b < batch; b += 2) {
    const p = Math.floor(rand() * count)
    for (let i = 0; i < n; i++) {
      const v = stored[p * n + i]!
      cues[b * n + i] = rand() < 0.15 ? (v === 1 ? lo : 1) : v
    }
  }
  return cues
}

/**
 * Units whose net input equals their threshold at the cue: the tie rule decides them. Counted exactly, in units of
 * the net's grid 1/D (K·s against D·θ): fl32(K/D) summed in floating point would turn a tie into ±1e-8.
 */
function countTies(net: HopfieldNet, cues: Int8Array, batch: number): number {
  const n = net.units
  const d = gridDenominator(net)
  expect(d).toBeGreaterThan(0)
  let ties = 0
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      let ks = 0
      for (let j = 0; j < n; j++) ks += Math.round(net.weights[i * n + j]! * d) * cues[b * n + j]!
      if (ks === net.thresholds[i]! * d) ties++
    }
  }
  return ties
}

async function expectExact(net: HopfieldNet, lowRank: LowRankRecall, cues: Int8Array, batch: number, maxIterations: number, chunk?: number): Promise<void> {
  const core = recallSyncBatch(net, cues, batch, maxIterations)
  const got = await recallBatch(net, cues, batch, { maxIterations, provider: 'cpu', lowRank, ...(chunk ? { chunk } : {}) })
  expect(got.provider).toBe('cpu')
  expect(Array.from(got.final)).toEqual(Array.from(core.final))
  expect(Array.from(got.iterations)).toEqual(Array.from(core.iterations))
}

describe('recallBatch with lowRank vs core recallSyncBatch', () => {
  // Ties need h == 0 to be reachable: N odd or P even (h has the parity of P·(N−1)).
  const cases: { n: number; count: number; normalisation: HebbOptions['normalisation']; seed: number; ties: boolean }[] = [
    { n: 16, count: 2, normalisation: 'none', seed: 1, ties: true },
    { n: 33, count: 5, normalisation: 'none', seed: 2, ties: true },
    { n: 64, count: 8, normalisation: '1/N', seed: 3, ties: true },
    { n: 100, count: 12, normalisation: 'none', seed: 4, ties: true },
    { n: 128, count: 16, normalisation: '1/P', seed: 5, ties: true },
    { n: 30, count: 3, normalisation: 'none', seed: 6, ties: false },
    // Not powers of two: fl32(K/N) and fl32(K/P) are not exact, and the full-W program gets K itself. At N even and
    // P ≡ 2 (mod 4) h = 0 is reachable only if the patterns hold an odd number of −1s in all: seeds chosen so.
    { n: 100, count: 14, normalisation: '1/N', seed: 12, ties: true },
    { n: 100, count: 30, normalisation: '1/N', seed: 7, ties: true },
    { n: 100, count: 6, normalisation: '1/P', seed: 10, ties: true }
  ]
  for (const { n, count, normalisation, seed, ties: expectTies } of cases) {
    it(`bipolar N=${n}, P=${count}, ${normalisation}: states and update counts equal at batch 1, 7 and 64`, async () => {
      const rand = prng(seed)
      const stored = randomStates(rand, count, n, 'bipolar')
      const opts: HebbOptions = { normalisation }
      const net = hebb(rows(stored, count, n), opts)
      const lowRank = { patterns: stored, count, scale: scaleOf(opts, n, count) }
      let ties = 0
      for (const batch of [1, 7, 64]) {
        const cues = cuesFor(rand, stored, count, n, batch, 'bipolar')
        await expectExact(net, lowRank, cues, batch, 30, 16)
        // And against the full-W engine program on the same cues.
        const full = await recallBatch(net, cues, batch, { maxIterations: 30, provider: 'cpu' })
        const low = await recallBatch(net, cues, batch, { maxIterations: 30, provider: 'cpu', lowRank })
        expect(Array.from(low.final)).toEqual(Array.from(full.final))
        expect(Array.from(low.iterations)).toEqual(Array.from(full.iterations))
        ties += countTies(net, cues, batch)
      }
      if (expectTies) expect(ties).toBeGreaterThan(0)
    })
  }

  it('overloaded net (P/N = 0.5): many rows wander, some end in 2-cycles; counts still equal for every maxIterations', async () => {
    const rand = prng(17)
    const n = 24
    const count = 12
    const stored = randomStates(rand, count, n, 'bipolar')
    const net = hebb(rows(stored, count, n))
    const lowRank = { patterns: stored, count, scale: 1 }
    const batch = 200
    const cues = randomStates(rand, batch, n, 'bipolar')
    for (const maxIterations of [0, 1, 2, 7, 40]) await expectExact(net, lowRank, cues, batch, maxIterations)
    const core = recallSyncBatch(net, cues, batch, 40)
    expect(core.iterations.some((it) => it === 40)).toBe(true) // some rows never settle
  })

  it('2-cycle with unchanged overlaps: the exact state comparison keeps the row going', async () => {
    // One pattern (1, 1): W = [[0, 1], [1, 0]]. Cue (1, −1) swaps to (−1, 1) and back forever while its
    // overlap with the pattern stays 0, so the overlap test alone would call it settled.
    const stored = Int8Array.of(1, 1)
    const net = hebb([stored])
    const lowRank = { patterns: stored, count: 1, scale: 1 }
    const cues = Int8Array.of(1, -1, 1, 1, -1, -1, -1, 1)
    for (const maxIterations of [0, 1, 4, 5]) {
      const got = await recallBatch(net, cues, 4, { maxIterations, provider: 'cpu', lowRank })
      expect(Array.from(got.iterations)).toEqual([maxIterations, 0, 0, maxIterations])
      const odd = maxIterations % 2 === 1
      expect(Array.from(got.final)).toEqual([...(odd ? [-1, 1] : [1, -1]), 1, 1, -1, -1, ...(odd ? [1, -1] : [-1, 1])])
      await expectExact(net, lowRank, cues, 4, maxIterations)
    }
  })

  it('duplicated columns: null-space changes of the state are caught', async () => {
    // Units come in identical pairs, so swapping a split pair leaves every overlap unchanged.
    const rand = prng(23)
    const half = 10
    const count = 7
    const base = randomStates(rand, count, half, 'bipolar')
    const stored = new Int8Array(count * 2 * half)
    for (let k = 0; k < count; k++) for (let i = 0; i < half; i++) stored[k * 2 * half + 2 * i] = stored[k * 2 * half + 2 * i + 1] = base[k * half + i]!
    const net = hebb(rows(stored, count, 2 * half))
    const cues = randomStates(rand, 100, 2 * half, 'bipolar')
    await expectExact(net, { patterns: stored, count, scale: 1 }, cues, 100, 25)
  })

  it('letters A E I O U X with Hebb 1/P (P = 6) and 1/N (N = 100): full-W, low-rank and core equal, ties counted', async () => {
    const { patterns, labels } = lettersDataset()
    const letters = [...'AEIOUX'].map((c) => patterns[labels.indexOf(c)]!)
    const stored = new Int8Array(600)
    letters.forEach((p, k) => stored.set(p, k * 100))
    const rand = prng(12)
    let ties = 0
    for (const normalisation of ['1/P', '1/N'] as const) {
      const net = hebb(letters, { normalisation })
      const lowRank = { patterns: stored, count: 6, scale: scaleOf({ normalisation }, 100, 6) }
      const cues = cuesFor(rand, stored, 6, 100, 120, 'bipolar')
      await expectExact(net, lowRank, cues, 120, 30)
      const full = await recallBatch(net, cues, 120, { maxIterations: 30, provider: 'cpu' })
      const low = await recallBatch(net, cues, 120, { maxIterations: 30, provider: 'cpu', lowRank })
      expect(Array.from(low.final)).toEqual(Array.from(full.final))
      expect(Array.from(low.iterations)).toEqual(Array.from(full.iterations))
      ties += countTies(net, cues, 120)
    }
    expect(ties).toBeGreaterThan(0)
  })

  // θ/c exact in float32 at N = 32 (c = 1/32, so core's float comparison was exact even before grids); at N = 100
  // θ·100 ∈ {0, 25, −25, 50, 1.3…, 33.3…}, where fl32(0.013) and fl32(1/3) are not hundredths.
  const thresholdCases = [
    { n: 32, count: 4, seed: 31, theta: [-6, -2.5, -0.75, 0, 1.25, 1.75, 2, 4].map((t) => t / 32) },
    { n: 100, count: 6, seed: 32, theta: [0, 0.25, -0.25, 0.5, 0.013, 1 / 3] }
  ]
  for (const { n, count, seed, theta } of thresholdCases) {
    it(`thresholds at N = ${n}, 1/N: integer and fractional θ/c, ties at the integer ones; full-W equal too`, async () => {
      const rand = prng(seed)
      const stored = randomStates(rand, count, n, 'bipolar')
      const net = hebb(rows(stored, count, n), { normalisation: '1/N' })
      net.thresholds = Float32Array.from({ length: n }, (_, i) => theta[i % theta.length]!)
      const batch = 80
      const cues = cuesFor(rand, stored, count, n, batch, 'bipolar')
      await expectExact(net, { patterns: stored, count, scale: 1 / n }, cues, batch, 30)
      const full = await recallBatch(net, cues, batch, { maxIterations: 30, provider: 'cpu' })
      const core = recallSyncBatch(net, cues, batch, 30)
      expect(Array.from(full.final)).toEqual(Array.from(core.final))
      expect(Array.from(full.iterations)).toEqual(Array.from(core.iterations))
      expect(countTies(net, cues, batch)).toBeGreaterThan(0)
    })
  }

  it('binary states with thresholds (patterns stored through their bipolar images)', async () => {
    const rand = prng(41)
    const n = 24
    const count = 3
    const stored = randomStates(rand, count, n, 'binary')
    const net = hebb(rows(stored, count, n), { encoding: 'binary' })
    net.thresholds = Float32Array.from({ length: n }, () => [-2, -1.5, -1.25, 0, 0.5, 0.75, 1, 3][Math.floor(rand() * 8)]!)
    const batch = 60
    const cues = cuesFor(rand, stored, count, n, batch, 'binary')
    await expectExact(net, { patterns: stored, count, scale: 1 }, cues, batch, 30)
    expect(countTies(net, cues, batch)).toBeGreaterThan(0)
  })

  it('progress per chunk, cancellation, empty batch', async () => {
    const rand = prng(5)
    const n = 16
    const stored = randomStates(rand, 2, n, 'bipolar')
    const net = hebb(rows(stored, 2, n))
    const lowRank = { patterns: stored, count: 2, scale: 1 }
    const cues = randomStates(rand, 10, n, 'bipolar')
    const seen: number[] = []
    await recallBatch(net, cues, 10, { maxIterations: 5, provider: 'cpu', chunk: 4, lowRank, onProgress: (d) => seen.push(d) })
    expect(seen).toEqual([4, 8, 10])
    await expect(recallBatch(net, cues, 10, { maxIterations: 5, provider: 'cpu', chunk: 4, lowRank, shouldCancel: () => true })).rejects.toThrow('cancelled')
    const empty = await recallBatch(net, new Int8Array(0), 0, { maxIterations: 5, provider: 'cpu', lowRank })
    expect(empty.final.length).toBe(0)
  })

  it('rejects patterns that do not describe the net, and sizes beyond exact float32', async () => {
    const rand = prng(7)
    const n = 12
    const stored = randomStates(rand, 3, n, 'bipolar')
    const net = hebb(rows(stored, 3, n), { normalisation: '1/N' })
    const cues = randomStates(rand, 2, n, 'bipolar')
    const run = (lowRank: LowRankRecall, target = net) => recallBatch(target, cues, 2, { maxIterations: 5, provider: 'cpu', lowRank })
    await expect(run({ patterns: stored, count: 3, scale: 1 / 3 })).rejects.toThrow(/patterns and scale give/)
    await expect(run({ patterns: stored.slice(0, 2 * n), count: 2, scale: 1 / n })).rejects.toThrow(/patterns and scale give/)
    await expect(run({ patterns: stored, count: 2, scale: 1 / n })).rejects.toThrow(/expected 2×12/)
    await expect(run({ patterns: stored, count: 3, scale: 0.3 })).rejects.toThrow(/lowRank\.scale must be 1\/D/)
    await expect(run({ patterns: stored, count: 3, scale: 1 / n }, hebb(rows(stored, 3, n), { normalisation: '1/N', zeroDiagonal: false }))).rejects.toThrow(
      /zero diagonal/
    )
    const bad = stored.slice()
    bad[5] = 0
    await expect(run({ patterns: bad, count: 3, scale: 1 / n })).rejects.toThrow(/lowRank pattern 0, unit 5/)
    await expect(recallBatch(net, Int8Array.of(...cues.subarray(0, n - 1), 0), 1, { maxIterations: 1, lowRank: { patterns: stored, count: 3, scale: 1 / n } })).rejects.toThrow(
      /cue 0, unit 11/
    )
    expect(lowRankSupported(1024, 2000)).toBe(true)
    expect(lowRankSupported(1024, 2100)).toBe(false)
    expect(() => buildHopfieldRecallLowRankModel({ units: 1024, count: 2100 })).toThrow(RangeError)
  })
})

describe('buildHopfieldRecallLowRankModel', () => {
  it.skipIf(!HAS_ONNX)('passes the onnx 1.12 checker at full_check (Loop with sequence accumulators, opset 17)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-lowrank-'))
    try {
      for (const encoding of ['bipolar', 'binary'] as const) {
        const file = join(dir, `${encoding}.onnx`)
        writeFileSync(file, buildHopfieldRecallLowRankModel({ units: 16, count: 3, encoding }))
        expect({ encoding, ...onnxCheck(file) }).toEqual({ encoding, ok: true, output: '' })
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('firstInvalid (the fast cue check)', () => {
  it('finds every bad byte value at every alignment, for both encodings', () => {
    for (const encoding of ['bipolar', 'binary'] as const) {
      const good = encoding === 'bipolar' ? [-1, 1] : [0, 1]
      for (let v = -128; v < 128; v++) {
        for (const offset of [0, 1, 2, 3]) {
          const buf = new Int8Array(24).map((_, k) => good[k % 2]!)
          const view = buf.subarray(offset, 21)
          const at = 9 - offset + (v & 3)
          view[at] = v
          expect(firstInvalid(view, encoding)).toBe(good.includes(v) ? -1 : at)
        }
      }
    }
  })
})
