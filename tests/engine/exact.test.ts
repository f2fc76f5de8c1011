// Every Hopfield recall path settles every cue alike, ties included, at sizes that are not powers of two (N = 100 with
// 1/N, P = 6 with 1/P): core (recallSyncBatch, recallSync, runHopfield, settle, isFixedPoint), the full-W engine
// program, the low-rank program and the exported ONNX run in its own onnxruntime-node session, against an exact
// integer reference written here. Ties (net input exactly θ at an update) are counted so the tie rule is exercised.
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { gridDenominator, hebb, isFixedPoint, recallAsync, recallSync, recallSyncBatch, type HebbOptions, type HopfieldNet } from '../../src/core/hopfield'
import { runHopfield, settle } from '../../src/core/dynamics'
import { pseudoInverse, storkey } from '../../src/core/rules'
import { trainEnergy } from '../../src/core/energy-training'
import { lettersDataset } from '../../src/core/datasets/letters'
import { Rng } from '../../src/core/rng'
import { exportHopfieldOnnx } from '../../src/engine/export'
import { recallBatch, type LowRankRecall } from '../../src/engine/recall'
import { prng } from './helpers'

const MAX_IT = 50

/** The net as exact integers: unit i compares Σ_j K_ji s_j + D·x_i with D·θ_i (θ float32, so D·θ is exact in float64). */
interface ExactNet {
  n: number
  k: Float64Array
  d: number
  theta: Float32Array
  lo: number
}

/** K from the patterns themselves (Σ_p ξ_pi ξ_pj, zero diagonal), independent of the net under test; checks the net holds K/D. */
function hebbExact(net: HopfieldNet, patterns: Int8Array[], d: number): ExactNet {
  const n = net.units
  const k = new Float64Array(n * n)
  for (const p of patterns) {
    const xi = Array.from(p, (v) => (net.encoding === 'binary' ? 2 * v - 1 : v))
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) k[i * n + j]! += xi[i]! * xi[j]!
  }
  for (let q = 0; q < n * n; q++) expect(net.weights[q]).toBe(Math.fround(k[q]! / d))
  return { n, k, d, theta: net.thresholds, lo: net.encoding === 'bipolar' ? -1 : 0 }
}

/** For rules with real-valued weights: the integers on the net's declared grid (each weight checked to lie on it). */
function gridExact(net: HopfieldNet): ExactNet {
  const d = gridDenominator(net)
  expect(d).toBeGreaterThan(0)
  const k = Float64Array.from(net.weights, (w) => Math.round(w * d))
  for (let q = 0; q < k.length; q++) expect(Math.fround(k[q]! / d)).toBe(net.weights[q])
  return { n: net.units, k, d, theta: net.thresholds, lo: net.encoding === 'bipolar' ? -1 : 0 }
}

/** Synchronous recall in exact integers; counts ties (margin exactly 0) over every unit update. */
function referenceSync(ex: ExactNet, cues: Int8Array, batch: number, external?: Int8Array): { final: Int8Array; iterations: Int32Array; ties: number } {
  const { n, k, d, theta, lo } = ex
  const final = new Int8Array(batch * n)
  const iterations = new Int32Array(batch)
  let ties = 0
  for (let b = 0; b < batch; b++) {
    let s = Array.from(cues.subarray(b * n, (b + 1) * n))
    let it = 0
    while (it < MAX_IT) {
      const next = s.map((si, i) => {
        let a = external ? external[b * n + i]! * d : 0
        for (let j = 0; j < n; j++) a += k[j * n + i]! * s[j]!
        const m = a - theta[i]! * d
        if (m === 0) ties++
        return m > 0 ? 1 : m < 0 ? lo : si
      })
      if (next.every((v, i) => v === s[i])) break
      s = next
      it++
    }
    final.set(s, b * n)
    iterations[b] = it
  }
  return { final, iterations, ties }
}

/** Asynchronous recall in exact integers, units in index order each sweep. */
function referenceAsync(ex: ExactNet, cue: Int8Array): { final: Int8Array; sweeps: number; ties: number } {
  const { n, k, d, theta, lo } = ex
  const s = Array.from(cue)
  let ties = 0
  let sweeps = 0
  while (sweeps < MAX_IT) {
    sweeps++
    let changed = false
    for (let i = 0; i < n; i++) {
      let a = 0
      for (let j = 0; j < n; j++) a += k[j * n + i]! * s[j]!
      const m = a - theta[i]! * d
      if (m === 0) ties++
      const v = m > 0 ? 1 : m < 0 ? lo : s[i]!
      if (v !== s[i]) changed = true
      s[i] = v
    }
    if (!changed) break
  }
  return { final: Int8Array.from(s), sweeps, ties }
}

/**
 * cuesPerPattern cues per pattern, each unit flipped with probability `fraction`. (A fixed even number of flips
 * would keep every overlap's parity, and at N = 100, P = 14 no net input could then be 0 at the cue.)
 */
function noisyCues(rand: () => number, patterns: Int8Array[], cuesPerPattern: number, fraction: number, encoding: 'bipolar' | 'binary'): Int8Array {
  const n = patterns[0]!.length
  const cues = new Int8Array(patterns.length * cuesPerPattern * n)
  let b = 0
  for (const p of patterns) {
    for (let c = 0; c < cuesPerPattern; c++, b++) {
      for (let i = 0; i < n; i++) {
        const v = p[i]!
        cues[b * n + i] = rand() < fraction ? (encoding === 'bipolar' ? -v : 1 - v) : v
      }
    }
  }
  return cues
}

function randomPatterns(rand: () => number, count: number, n: number, encoding: 'bipolar' | 'binary'): Int8Array[] {
  const lo = encoding === 'bipolar' ? -1 : 0
  return Array.from({ length: count }, () => Int8Array.from({ length: n }, () => (rand() < 0.5 ? lo : 1)))
}

/**
 * Bipolar Hebb at N even and P ≡ 2 (mod 4): h_i = 2·Σ_p ξ_pi u_p − P·s_i with u_p = ξ_p·s/2, so h_i = 0 needs
 * Σ_p u_p odd, and that parity is the parity of the patterns' total count of −1s whatever the state. Make it odd
 * (one unit of the last pattern flipped if needed), or no cue could ever tie.
 */
function tieable(patterns: Int8Array[]): Int8Array[] {
  const minus = patterns.reduce((s, p) => s + p.filter((v) => v === -1).length, 0)
  if (minus % 2 === 0) patterns.at(-1)![0] = -patterns.at(-1)![0]!
  return patterns
}

function letters(chars: string): Int8Array[] {
  const { patterns, labels } = lettersDataset()
  return [...chars].map((c) => patterns[labels.indexOf(c)]!)
}

/** Runs the exported bytes in a fresh onnxruntime-node session: nothing of the app's engine in between. */
async function runExported(net: HopfieldNet, cues: Int8Array, batch: number): Promise<{ final: number[]; iterations: number[] }> {
  const session = await ort.InferenceSession.create(exportHopfieldOnnx(net, { rule: 'test' }))
  try {
    const out = await session.run({
      state: new ort.Tensor('float32', Float32Array.from(cues), [batch, net.units]),
      max_iterations: new ort.Tensor('int64', BigInt64Array.of(BigInt(MAX_IT)), [])
    })
    return { final: Array.from(out.final_state!.data as Float32Array), iterations: Array.from(out.iterations!.data as Int32Array) }
  } finally {
    await session.release()
  }
}

interface PathOptions {
  lowRank?: LowRankRecall
  external?: boolean
}

/** Every path against the reference: final states and update counts. Returns the reference's tie count. */
async function expectAllPaths(net: HopfieldNet, ex: ExactNet, cues: Int8Array, opts: PathOptions = {}): Promise<number> {
  const n = net.units
  const batch = cues.length / n
  const x = opts.external ? cues : undefined
  const ref = referenceSync(ex, cues, batch, x)
  const want = { final: Array.from(ref.final), iterations: Array.from(ref.iterations) }
  const same = (got: { final: ArrayLike<number>; iterations: ArrayLike<number> }, path: string): void => {
    expect({ path, final: Array.from(got.final), iterations: Array.from(got.iterations) }).toEqual({ path, ...want })
  }

  same(recallSyncBatch(net, cues, batch, MAX_IT, x), 'core recallSyncBatch')
  same(await recallBatch(net, cues, batch, { maxIterations: MAX_IT, provider: 'cpu', chunk: 64, ...(x ? { external: x } : {}) }), 'full-W engine')
  if (opts.lowRank) same(await recallBatch(net, cues, batch, { maxIterations: MAX_IT, provider: 'cpu', lowRank: opts.lowRank }), 'low-rank engine')
  if (!x) same(await runExported(net, cues, batch), 'exported ONNX')

  // The one-cue core paths, on the rows that settled (they stop early on a 2-cycle, where the batch runs on).
  for (let b = 0; b < batch; b++) {
    if (ref.iterations[b]! >= MAX_IT) continue
    const cue = cues.subarray(b * n, (b + 1) * n)
    const xb = x?.subarray(b * n, (b + 1) * n)
    const expected = Array.from(ref.final.subarray(b * n, (b + 1) * n))
    const one = recallSync(net, cue, { maxIterations: MAX_IT, ...(xb ? { external: xb } : {}) })
    expect({ b, final: Array.from(one.final), iterations: one.iterations, outcome: one.outcome }).toEqual({ b, final: expected, iterations: ref.iterations[b], outcome: 'fixed-point' })
    const run = runHopfield(net, cue, { mode: 'sync', maxSteps: MAX_IT, ...(xb ? { external: xb } : {}) })
    expect({ b, final: Array.from(run.final), steps: run.steps }).toEqual({ b, final: expected, steps: ref.iterations[b] })
    expect(isFixedPoint(net, run.final, xb)).toBe(true)
    if (!xb) {
      const y = Int8Array.from(cue)
      settle(net, y, { mode: 'sync', maxSweeps: MAX_IT + 1 })
      expect({ b, settle: Array.from(y) }).toEqual({ b, settle: expected })
    }
  }
  return ref.ties
}

/** Asynchronous core paths (recallAsync, runHopfield async, settle async), in index order, against the reference. */
function expectAsyncPaths(net: HopfieldNet, ex: ExactNet, cues: Int8Array): number {
  const n = net.units
  let ties = 0
  for (let b = 0; b < cues.length / n; b++) {
    const cue = cues.subarray(b * n, (b + 1) * n)
    const ref = referenceAsync(ex, cue)
    ties += ref.ties
    const t = recallAsync(net, cue, { order: 'sequential', maxSweeps: MAX_IT })
    expect({ b, final: Array.from(t.final), sweeps: t.sweeps }).toEqual({ b, final: Array.from(ref.final), sweeps: ref.sweeps })
    const run = runHopfield(net, cue, { mode: 'async', order: 'sequential', maxSteps: MAX_IT })
    expect({ b, final: Array.from(run.final), steps: run.steps }).toEqual({ b, final: Array.from(ref.final), steps: ref.sweeps })
    const y = Int8Array.from(cue)
    const r = settle(net, y, { mode: 'async', order: 'sequential', maxSweeps: MAX_IT })
    expect({ b, final: Array.from(y), sweeps: r.sweeps }).toEqual({ b, final: Array.from(ref.final), sweeps: ref.sweeps })
  }
  return ties
}

/** Cues the same net without its grid (float64 over fl32(K/D), as before grids) settles differently from the reference. */
function legacyDisagreements(net: HopfieldNet, ex: ExactNet, cues: Int8Array): number {
  const { scale: _scale, ...legacy } = net
  const n = net.units
  const batch = cues.length / n
  const ref = referenceSync(ex, cues, batch)
  const old = recallSyncBatch(legacy, cues, batch, MAX_IT)
  let differ = 0
  for (let b = 0; b < batch; b++) {
    const a = old.final.subarray(b * n, (b + 1) * n)
    if (old.iterations[b] !== ref.iterations[b] || a.some((v, i) => v !== ref.final[b * n + i])) differ++
  }
  return differ
}

function packed(patterns: Int8Array[]): Int8Array {
  const n = patterns[0]!.length
  const out = new Int8Array(patterns.length * n)
  patterns.forEach((p, k) => out.set(p, k * n))
  return out
}

function denominator(normalisation: HebbOptions['normalisation'], n: number, count: number): number {
  return normalisation === '1/N' ? n : normalisation === '1/P' ? count : 1
}

describe('Hebb: every path settles alike at N = 100 and P = 6, 14, 30 (ties counted)', () => {
  const cases = [
    { name: 'random N=100, P=14, 1/N', patterns: tieable(randomPatterns(prng(1), 14, 100, 'bipolar')), normalisation: '1/N' as const, perPattern: 10 },
    { name: 'random N=100, P=30, 1/N', patterns: tieable(randomPatterns(prng(2), 30, 100, 'bipolar')), normalisation: '1/N' as const, perPattern: 10 },
    { name: 'random N=100, P=14, none', patterns: tieable(randomPatterns(prng(3), 14, 100, 'bipolar')), normalisation: 'none' as const, perPattern: 10 },
    { name: 'random N=100, P=14, 1/P', patterns: tieable(randomPatterns(prng(4), 14, 100, 'bipolar')), normalisation: '1/P' as const, perPattern: 10 },
    { name: 'letters A E I O U X, 1/P', patterns: letters('AEIOUX'), normalisation: '1/P' as const, perPattern: 20 },
    { name: 'letters A E I O U X, 1/N', patterns: letters('AEIOUX'), normalisation: '1/N' as const, perPattern: 20 }
  ]
  for (const c of cases) {
    it(`${c.name}, 10 % noise: core, full-W, low-rank and exported ONNX equal the exact reference`, async () => {
      const n = 100
      const count = c.patterns.length
      const net = hebb(c.patterns, { normalisation: c.normalisation })
      const d = denominator(c.normalisation, n, count)
      expect(net.scale).toBe(1 / d)
      const ex = hebbExact(net, c.patterns, d)
      const cues = noisyCues(prng(100 + count), c.patterns, c.perPattern, 0.1, 'bipolar')
      const ties = await expectAllPaths(net, ex, cues, { lowRank: { patterns: packed(c.patterns), count, scale: 1 / d } })
      expect(ties).toBeGreaterThan(0)
      // Stored patterns: fixed or not, the core says what the exact reference says.
      for (const p of c.patterns) expect(isFixedPoint(net, p)).toBe(referenceSync(ex, p, 1).iterations[0] === 0)
    })
  }

  it('the test has teeth: without its grid the float64 core settles some of these cues differently', () => {
    for (const c of [cases[0]!, cases[4]!]) {
      const net = hebb(c.patterns, { normalisation: c.normalisation })
      const ex = hebbExact(net, c.patterns, denominator(c.normalisation, 100, c.patterns.length))
      const cues = noisyCues(prng(100 + c.patterns.length), c.patterns, c.perPattern, 0.1, 'bipolar')
      expect(legacyDisagreements(net, ex, cues)).toBeGreaterThan(0)
    }
  })

  it('asynchronous core paths agree with the exact reference (1/N and 1/P, ties counted)', () => {
    let ties = 0
    for (const [patterns, normalisation] of [
      [tieable(randomPatterns(prng(5), 14, 100, 'bipolar')), '1/N'],
      [letters('AEIOUX'), '1/P']
    ] as const) {
      const net = hebb(patterns, { normalisation })
      const ex = hebbExact(net, patterns, denominator(normalisation, 100, patterns.length))
      ties += expectAsyncPaths(net, ex, noisyCues(prng(7), patterns, 4, 0.1, 'bipolar'))
    }
    expect(ties).toBeGreaterThan(0)
  })

  it('binary states with thresholds (integer and fractional D·θ), 1/N: ties at the integer ones', async () => {
    const patterns = randomPatterns(prng(8), 14, 100, 'binary')
    const net = hebb(patterns, { normalisation: '1/N', encoding: 'binary' })
    // D·θ ∈ {0, 25, −25, 50, 1.3…, −7.0…, 33.3…}: fl32(0.013) and fl32(1/3) times 100 are not integers.
    const choices = [0, 0.25, -0.25, 0.5, 0.013, -0.07, 1 / 3]
    net.thresholds = Float32Array.from({ length: 100 }, (_, i) => choices[i % choices.length]!)
    const ex = hebbExact(net, patterns, 100)
    const cues = noisyCues(prng(9), patterns, 10, 0.1, 'binary')
    const ties = await expectAllPaths(net, ex, cues, { lowRank: { patterns: packed(patterns), count: 14, scale: 1 / 100 } })
    expect(ties).toBeGreaterThan(0)
  })

  it('bipolar thresholds with 1/P (P = 6): D·θ = ±3 ties, 0.1 does not', async () => {
    const patterns = letters('AEIOUX')
    const net = hebb(patterns, { normalisation: '1/P' })
    net.thresholds = Float32Array.from({ length: 100 }, (_, i) => [0, 0.5, -0.5, 0.1][i % 4]!)
    const ex = hebbExact(net, patterns, 6)
    const cues = noisyCues(prng(10), patterns, 20, 0.1, 'bipolar')
    expect(await expectAllPaths(net, ex, cues, { lowRank: { patterns: packed(patterns), count: 6, scale: 1 / 6 } })).toBeGreaterThan(0)
  })

  it('external input x (the cue held on): core and full-W engine, bipolar 1/N and binary 1/P', async () => {
    let ties = 0
    const bipolar = tieable(randomPatterns(prng(11), 14, 100, 'bipolar'))
    const netB = hebb(bipolar, { normalisation: '1/N' })
    ties += await expectAllPaths(netB, hebbExact(netB, bipolar, 100), noisyCues(prng(12), bipolar, 10, 0.1, 'bipolar'), { external: true })
    const binary = letters('AEIOUX').map((p) => Int8Array.from(p, (v) => (v > 0 ? 1 : 0)))
    const netY = hebb(binary, { normalisation: '1/P', encoding: 'binary' })
    ties += await expectAllPaths(netY, hebbExact(netY, binary, 6), noisyCues(prng(13), binary, 20, 0.1, 'binary'), { external: true })
    expect(ties).toBeGreaterThan(0)
  })
})

describe('rules with real-valued weights: Storkey, pseudo-inverse and energy training on their grid', () => {
  const random14 = randomPatterns(prng(20), 14, 100, 'bipolar')
  const random30 = randomPatterns(prng(21), 30, 100, 'bipolar')

  it('Storkey (N = 100, P = 14 and 30): every path equal, with and without external input', async () => {
    for (const patterns of [random14, random30]) {
      const net = storkey(patterns)
      const ex = gridExact(net)
      const cues = noisyCues(prng(22), patterns, 10, 0.1, 'bipolar')
      await expectAllPaths(net, ex, cues)
      await expectAllPaths(net, ex, cues, { external: true })
      expectAsyncPaths(net, ex, cues.subarray(0, 20 * 100))
    }
  })

  it('pseudo-inverse (P = 30, diagonal kept and zeroed): stored patterns stay fixed points; every path equal', async () => {
    for (const zeroDiagonal of [false, true]) {
      const net = pseudoInverse(random30, { zeroDiagonal })
      const ex = gridExact(net)
      for (const p of random30) expect(isFixedPoint(net, p)).toBe(true)
      await expectAllPaths(net, ex, noisyCues(prng(23), random30, 10, 0.1, 'bipolar'))
    }
  })

  it('energy-trained net (letters and random P = 14): every path equal', async () => {
    for (const patterns of [letters('AEIOUX'), random14]) {
      const { net } = trainEnergy(patterns, { rng: new Rng(3), epochs: 4, valleys: 'targets', cueNoise: 0.1 })
      const ex = gridExact(net)
      await expectAllPaths(net, ex, noisyCues(prng(24), patterns, 10, 0.1, 'bipolar'))
    }
  })

  it('refuses an external input too large for the grid, naming the field', async () => {
    const net = storkey(random14)
    const cues = noisyCues(prng(27), random14.slice(0, 1), 1, 0.1, 'bipolar')
    const x = new Int8Array(100).fill(100)
    await expect(recallBatch(net, cues, 1, { maxIterations: 5, provider: 'cpu', external: x })).rejects.toThrow(/external: \|x\| up to 100 on the net's grid/)
  })

  it('Storkey binary states with thresholds', async () => {
    const patterns = randomPatterns(prng(25), 10, 100, 'binary')
    const net = storkey(patterns, { encoding: 'binary' })
    net.thresholds = Float32Array.from({ length: 100 }, (_, i) => [0, 0.1, -0.2, 0.013][i % 4]!)
    await expectAllPaths(net, gridExact(net), noisyCues(prng(26), patterns, 10, 0.1, 'binary'))
  })
})
