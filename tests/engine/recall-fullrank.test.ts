// Full-W engine recall (rows leave the Loop as they settle) against core's recallSyncBatch on Storkey and
// pseudo-inverse weights, and against the program it replaced (whole batch every update) bit for bit.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { recallSyncBatch, type HopfieldNet } from '../../src/core/hopfield'
import { pseudoInverse, storkey } from '../../src/core/rules'
import { exportHopfieldOnnx } from '../../src/engine/export'
import { createSession } from '../../src/engine/ort'
import { recallBatch } from '../../src/engine/recall'
import { onnxCheck, prng, randomStates } from './helpers'
import { buildLegacyRecallModel } from './legacy-hopfield-recall'

type Encoding = 'bipolar' | 'binary'

const hasOnnx = spawnSync('/usr/bin/python3', ['-c', 'import onnx']).status === 0

/** Stored patterns with 10–40 % of the units redrawn (rows that settle after different numbers of updates), then random cues. */
function cuesFor(rand: () => number, stored: Int8Array[], n: number, batch: number, encoding: Encoding): Int8Array {
  const lo = encoding === 'bipolar' ? -1 : 0
  const cues = randomStates(rand, batch, n, encoding)
  for (let b = 0; b < Math.floor((batch * 3) / 4); b++) {
    const p = stored[b % stored.length]!
    const noise = 0.1 + 0.3 * rand()
    for (let i = 0; i < n; i++) cues[b * n + i] = rand() < noise ? (rand() < 0.5 ? lo : 1) : p[i]!
  }
  return cues
}

function histogram(iterations: Int32Array): Map<number, number> {
  const h = new Map<number, number>()
  for (const it of iterations) h.set(it, (h.get(it) ?? 0) + 1)
  return h
}

/** The replaced program on one whole batch (float32 states in and out). */
async function legacyRecall(net: HopfieldNet, cues: Int8Array, batch: number, maxIterations: number, external: Float32Array | null, threads = 1) {
  const n = net.units
  const { session } = await createSession(buildLegacyRecallModel(n, net.encoding, external !== null), { provider: 'cpu', threads })
  const out = await session.run({
    state: { type: 'float32', data: Float32Array.from(cues), dims: [batch, n] },
    max_iterations: { type: 'int64', data: BigInt64Array.of(BigInt(maxIterations)), dims: [] },
    ...(external ? { external: { type: 'float32', data: external, dims: [batch, n] } as const } : {}),
    weights: { type: 'float32', data: net.weights, dims: [n, n] },
    thresholds: { type: 'float32', data: net.thresholds, dims: [n] }
  })
  await session.release()
  return { final: Int8Array.from(out.final_state!.data as Float32Array), iterations: Int32Array.from(out.iterations!.data as Int32Array) }
}

describe('full-W recall on Storkey and pseudo-inverse weights vs core recallSyncBatch', () => {
  const rules = { storkey, pseudoInverse } as const
  const cases = [
    { rule: 'storkey', n: 100, count: 12 },
    { rule: 'storkey', n: 257, count: 30 },
    { rule: 'pseudoInverse', n: 100, count: 30 },
    { rule: 'pseudoInverse', n: 257, count: 60 }
  ] as const
  for (const { rule, n, count } of cases) {
    for (const encoding of ['bipolar', 'binary'] as const) {
      it(`${rule} N=${n} P=${count} ${encoding}: thresholds, external input, settled rows and 2-cycles`, async () => {
        const rand = prng(n * 31 + count + (encoding === 'binary' ? 7 : 0) + (rule === 'storkey' ? 0 : 1000))
        const stored = Array.from({ length: count }, () => randomStates(rand, 1, n, encoding))
        const net = rules[rule](stored, { encoding })
        // Fractional thresholds on a third of the units (not exact in binary: no tie can be forced through them).
        net.thresholds = Float32Array.from({ length: n }, () => (rand() < 1 / 3 ? (rand() - 0.5) * 0.3 : 0))
        const batch = 150
        const cues = cuesFor(rand, stored, n, batch, encoding)
        const maxIterations = 25
        // Without external input, in chunks of 64 (three runs, the last one short).
        const plain = await recallBatch(net, cues, batch, { maxIterations, provider: 'cpu', chunk: 64 })
        const core = recallSyncBatch(net, cues, batch, maxIterations)
        expect(Array.from(plain.final)).toEqual(Array.from(core.final))
        expect(Array.from(plain.iterations)).toEqual(Array.from(core.iterations))
        // External input: the cue held on, scaled down, on a random half of the rows.
        const external = new Int8Array(batch * n)
        for (let b = 0; b < batch; b += 2) external.set(cues.subarray(b * n, (b + 1) * n), b * n)
        const withInput = await recallBatch(net, cues, batch, { maxIterations, provider: 'cpu', external })
        const coreInput = recallSyncBatch(net, cues, batch, maxIterations, external)
        expect(Array.from(withInput.final)).toEqual(Array.from(coreInput.final))
        expect(Array.from(withInput.iterations)).toEqual(Array.from(coreInput.iterations))
        expect(Array.from(withInput.final)).not.toEqual(Array.from(plain.final))
        // Rows settled after different numbers of updates within one run.
        for (const r of [plain, withInput]) expect(histogram(r.iterations).size).toBeGreaterThanOrEqual(3)
        // The replaced program gives the same answers (whole batch, one run).
        const legacy = await legacyRecall(net, cues, batch, maxIterations, Float32Array.from(external))
        expect(Array.from(withInput.final)).toEqual(Array.from(legacy.final))
        expect(Array.from(withInput.iterations)).toEqual(Array.from(legacy.iterations))
      })
    }
  }

  it('2-cycles run to maxIterations (odd and even) while rows beside them settle, at N = 100 and 257', async () => {
    for (const n of [100, 257]) {
      // Two blocks of units that inhibit each other (w = −1 between blocks): a cue with both blocks high flips
      // both every update, a cue with one block high is a fixed point, and random cues settle in between.
      const half = n >> 1
      const weights = new Float32Array(n * n)
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i < half !== j < half) weights[i * n + j] = -1
      const net: HopfieldNet = { units: n, weights, thresholds: new Float32Array(n), encoding: 'bipolar' }
      const rand = prng(n)
      const batch = 40
      const cues = randomStates(rand, batch, n, 'bipolar')
      cues.fill(1, 0, n) // both blocks high: a 2-cycle
      cues.fill(1, n, n + half).fill(-1, n + half, 2 * n) // one block high: fixed
      for (const maxIterations of [7, 8]) {
        const got = await recallBatch(net, cues, batch, { maxIterations, provider: 'cpu' })
        const core = recallSyncBatch(net, cues, batch, maxIterations)
        expect(Array.from(got.final)).toEqual(Array.from(core.final))
        expect(Array.from(got.iterations)).toEqual(Array.from(core.iterations))
        expect(got.iterations[0]).toBe(maxIterations)
        expect(got.iterations[1]).toBe(0)
        expect(got.final[0]).toBe(maxIterations % 2 === 1 ? -1 : 1)
        expect(histogram(got.iterations).size).toBeGreaterThanOrEqual(3)
      }
    }
  })
})

describe('full-W recall vs the replaced program when rounding decides', () => {
  /**
   * A row whose later updates hinge on how the float32 sums are grouped. Unit 0 sends +1 and unit L sends −1 to
   * every unit (L = N − 1, or 256 for N > 128, in the third K block); the units of a "tiny" range, clamped by
   * the external input, each add −2⁻²⁵. With s_0 = s_L the ±1 cancel and the tiny terms decide: summed one by one
   * after the +1 they are lost (a tie: the row settles); summed apart from it (in their own K block of 128, as
   * MLAS does on one thread, or in groups of four by MLAS's one-row kernel) they leave −m·2⁻²³ and the row moves on.
   * The tiny range lies in the +1's block for N ≤ 128 (so only the one-row kernel differs) and in the second
   * block for N > 128 (so only a wider K block, MLAS splitting a small batch over threads along N, differs).
   */
  function roundingCase(rand: () => number, n: number, batch: number, movers: number) {
    const tiny = 2 ** -25
    const last = n > 128 ? 256 : n - 1
    const [from, to] = n > 128 ? [128, 192] : [4, 64]
    const cues = randomStates(rand, batch, n, 'bipolar')
    cues[0] = 1
    cues[last] = -1
    for (let b = 1; b < movers; b++) cues.copyWithin(b * n, 0, n)
    const weights = new Float32Array(n * n)
    for (let i = 0; i < n; i++) {
      weights[i] = 1
      weights[last * n + i] = -1
      for (let j = from; j < to; j++) weights[j * n + i] = -tiny * cues[j]!
    }
    // Rows from `movers` on are held in place by a strong external input (they settle at once); the movers (copies
    // of row 0) only on the tiny range.
    const external = new Int8Array(batch * n)
    for (let k = movers * n; k < batch * n; k++) external[k] = 8 * cues[k]!
    for (let b = 0; b < movers; b++) for (let j = from; j < to; j++) external[b * n + j] = 8 * cues[j]!
    const net: HopfieldNet = { units: n, weights, thresholds: new Float32Array(n), encoding: 'bipolar' }
    return { net, cues, external }
  }

  for (const n of [100, 257, 300]) {
    it(`N=${n}: rows left running after the others settled are computed as in the whole batch, at 1, 2 and 4 threads`, async () => {
      // One mover for N ≤ 128 (it is left alone: MLAS's one-row kernel), five above (left as a five-row batch, which
      // MLAS splits along N on four threads).
      const batch = 24
      const movers = n > 128 ? 5 : 1
      const { net, cues, external } = roundingCase(prng(n + 5), n, batch, movers)
      const maxIterations = 12
      const reference = await legacyRecall(net, cues, batch, maxIterations, Float32Array.from(external))
      expect(Array.from(reference.iterations.subarray(movers))).toEqual(new Array<number>(batch - movers).fill(0))
      expect(Array.from(reference.iterations.subarray(0, movers))).toEqual(new Array<number>(movers).fill(n > 128 ? 2 : 1))
      if (n <= 128) {
        // Teeth: the same row recalled on its own (MLAS's one-row kernel) goes on past the first update.
        const alone = await legacyRecall(net, cues.slice(0, n), 1, maxIterations, Float32Array.from(external.subarray(0, n)))
        expect(alone.iterations[0]).toBeGreaterThan(reference.iterations[0]!)
      } else {
        // Teeth: a five-row batch on four threads, which MLAS splits along N and sums in wider K blocks, takes
        // another path (some units tie at the second update, so the row needs a third).
        const few = await legacyRecall(net, cues.slice(0, 5 * n), 5, maxIterations, Float32Array.from(external.subarray(0, 5 * n)), 4)
        expect(few.iterations[0]).not.toBe(reference.iterations[0])
      }
      for (const threads of [1, 2, 4]) {
        const got = await recallBatch(net, cues, batch, { maxIterations, provider: 'cpu', threads, external })
        expect(Array.from(got.final)).toEqual(Array.from(reference.final))
        expect(Array.from(got.iterations)).toEqual(Array.from(reference.iterations))
      }
    })
  }

  const storkeyExport = (): { net: HopfieldNet; stored: Int8Array[]; model: Uint8Array; rand: () => number } => {
    const rand = prng(99)
    const stored = Array.from({ length: 20 }, () => randomStates(rand, 1, 257, 'binary'))
    const net = storkey(stored, { encoding: 'binary' })
    return { net, stored, model: exportHopfieldOnnx(net, { rule: 'storkey' }), rand }
  }

  it.skipIf(!hasOnnx)('the exported model at N=257 (K in blocks, weights embedded) passes the onnx 1.12 checker', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-fullrank-'))
    try {
      const file = join(dir, 'storkey.onnx')
      writeFileSync(file, storkeyExport().model)
      expect(onnxCheck(file)).toEqual({ ok: true, output: '' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('the exported model (float32 states) gives the in-app answers at N=257', async () => {
    const n = 257
    const { net, stored, model, rand } = storkeyExport()
    const batch = 40
    const cues = cuesFor(rand, stored, n, batch, 'binary')
    const { session } = await createSession(model, { provider: 'cpu' })
    const out = await session.run({
      state: { type: 'float32', data: Float32Array.from(cues), dims: [batch, n] },
      max_iterations: { type: 'int64', data: BigInt64Array.of(30n), dims: [] }
    })
    await session.release()
    const inApp = await recallBatch(net, cues, batch, { maxIterations: 30, provider: 'cpu' })
    expect(Array.from(out.final_state!.data as Float32Array)).toEqual(Array.from(inApp.final))
    expect(Array.from(out.iterations!.data as Int32Array)).toEqual(Array.from(inApp.iterations))
  })
})
