// Benchmark: sampled Boltzmann statistics (004: clamped phase with the visible units held at each training vector, free
// phase) — Engram's engine (the chains as one batch, src/engine/boltzmann.ts over programs/gibbs.ts) against the core
// (core sampledStatistics, one chain at a time) and a NumPy peer, in one run on the very same draws.
//
// Run: npx tsx bench/boltzmann.ts [--sizes 64+32,128+64,256+64,512+64] [--patterns 20] [--clamped 10] [--free 200]
//        [--rounds 2] [--out bench/results/boltzmann.json]
// Workload: binary machine, V visible + H hidden units, w_ij ~ N(0, 0.3²), biases 0; P random binary training vectors;
// K hidden samples per vector and M free samples, one sample per chain after 10 sweeps at T = 1 (sampledStatistics'
// defaults), a fresh random visit order per sweep and chain: P·K + M chains of 10 sweeps. The core draws everything from
// one seeded Rng, chain after chain; the engine replays those very draws (and must give identical statistics, checked);
// the NumPy peer gets the same initial states, visit orders and logit(u) values as arrays and must end every chain in
// the same state (checked through its statistics, which differ from the engine's only by summation order, < 1e-12,
// where one differing chain would move them by ≥ 1/(P·K)). Engine and core times include drawing the noise in JS; the
// peer's excludes loading its arrays.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { argValue, fastestKernel, median, PYTHON, ROOT, run, writeRecord } from './common'
import { PeerRunner } from './peer-runner'
import { boltzmannNet, createBoltzmann, sampledStatistics, type BoltzmannMachine, type BoltzmannStatistics } from '../src/core/boltzmann'
import { Rng } from '../src/core/rng'
import { uniformLogit } from '../src/core/stochastic'
import { sampledStatisticsEngine } from '../src/engine/boltzmann'


const CONFIG = {
  sizes: argValue('--sizes', '64+32,128+64,256+64,512+64')
    .split(',')
    .map((s) => s.split('+').map(Number) as [number, number]),
  patterns: Number(argValue('--patterns', '20')),
  clampedSamples: Number(argValue('--clamped', '10')),
  freeSamples: Number(argValue('--free', '200')),
  equilibrationSweeps: 10,
  initScale: 0.3,
  rounds: Number(argValue('--rounds', '2')),
  seed: 2027
}
const OUT = resolve(ROOT, argValue('--out', 'bench/results/boltzmann.json'))

function workload(V: number, H: number): { bm: BoltzmannMachine; data: Int8Array[]; seed: number } {
  const rng = new Rng(CONFIG.seed + V * 1000 + H)
  const bm = createBoltzmann({ visible: V, hidden: H, rng, initScale: CONFIG.initScale })
  const data = Array.from({ length: CONFIG.patterns }, () => Int8Array.from({ length: V }, () => (rng.next() < 0.5 ? 1 : 0)))
  return { bm, data, seed: rng.nextU32() }
}

const raw = (a: Float64Array | Int32Array | Int8Array | Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength)

/**
 * The peer's inputs, drawn exactly as core sampledStatistics draws them (one sample per chain): clamped chains vector by
 * vector, then free chains; per chain the random start of the unclamped units, then per sweep a permutation and N
 * uniforms. Orders and logits are laid out [sweep][chain][unit].
 */
function writePeerData(dir: string, bm: BoltzmannMachine, data: Int8Array[], rng: Rng): void {
  const V = bm.visible
  const n = V + bm.hidden
  const K = CONFIG.clampedSamples
  const M = CONFIG.freeSamples
  const S = CONFIG.equilibrationSweeps
  const C = data.length * K + M
  const initial = new Int8Array(C * n)
  const clamp = new Uint8Array(C * n)
  const phase = new Uint8Array(C)
  const weight = new Float64Array(C)
  const order = new Int32Array(S * C * n)
  const logits = new Float64Array(S * C * n)
  let c = 0
  const chain = (v: Int8Array | null): void => {
    const s = initial.subarray(c * n, (c + 1) * n)
    if (v) {
      s.set(v)
      clamp.fill(1, c * n, c * n + V)
      for (let i = V; i < n; i++) s[i] = rng.next() < 0.5 ? 1 : 0
      weight[c] = 1 / (data.length * K)
    } else {
      for (let i = 0; i < n; i++) s[i] = rng.next() < 0.5 ? 1 : 0
      phase[c] = 1
      weight[c] = 1 / M
    }
    for (let t = 0; t < S; t++) {
      const at = (t * C + c) * n
      order.set(rng.permutation(n), at)
      for (let i = 0; i < n; i++) logits[at + i] = uniformLogit(rng.next())
    }
    c++
  }
  for (const v of data) for (let k = 0; k < K; k++) chain(v)
  for (let m = 0; m < M; m++) chain(null)
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ chains: C, units: n, sweeps: S }))
  writeFileSync(join(dir, 'weights.f64'), raw(bm.weights))
  writeFileSync(join(dir, 'thresholds.f64'), raw(Float64Array.from(boltzmannNet(bm).thresholds)))
  writeFileSync(join(dir, 'initial.i8'), raw(initial))
  writeFileSync(join(dir, 'clamp.u8'), raw(clamp))
  writeFileSync(join(dir, 'phase.u8'), raw(phase))
  writeFileSync(join(dir, 'weight.f64'), raw(weight))
  writeFileSync(join(dir, 'order.i32'), raw(order))
  writeFileSync(join(dir, 'logits.f64'), raw(logits))
}


function sameStatistics(a: BoltzmannStatistics, b: BoltzmannStatistics): boolean {
  const eq = (x: Float64Array, y: Float64Array): boolean => x.length === y.length && x.every((v, k) => v === y[k])
  return eq(a.clamped.correlations, b.clamped.correlations) && eq(a.clamped.means, b.clamped.means) && eq(a.free.correlations, b.free.correlations) && eq(a.free.means, b.free.means)
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!))
  return m
}

interface Row {
  visible: number
  hidden: number
  chains: number
  sweeps: number
  engineSeconds: number[]
  coreSeconds: number[]
  numpySeconds: number[] | null
  engineEqualsCore: boolean
  numpyMaxDiff: number | null
  provider: string
}

async function main(): Promise<void> {
  // NumPy runs through a helper spawned before any engine session: a fork of this process between the engine's timed
  // runs would make ORT's arena copy-on-write (bench/peer-runner.ts).
  const peers = new PeerRunner()
  const rows: Row[] = []
  let blas: unknown = null
  const opts = { clampedSamples: CONFIG.clampedSamples, freeSamples: CONFIG.freeSamples, equilibrationSweeps: CONFIG.equilibrationSweeps }
  for (const [V, H] of CONFIG.sizes) {
    const { bm, data, seed } = workload(V, H)
    const n = V + H
    const chains = data.length * CONFIG.clampedSamples + CONFIG.freeSamples
    // Warm-up: session creation is not part of the figure.
    await sampledStatisticsEngine(bm, data.slice(0, 1), { rng: new Rng(0), clampedSamples: 1, freeSamples: 1, equilibrationSweeps: 1, provider: 'cpu' })
    const engineSeconds: number[] = []
    const coreSeconds: number[] = []
    let engine: BoltzmannStatistics | null = null
    let core: BoltzmannStatistics | null = null
    let provider = ''
    for (let r = 0; r < CONFIG.rounds; r++) {
      let t0 = performance.now()
      const e = await sampledStatisticsEngine(bm, data, { ...opts, rng: new Rng(seed), provider: 'cpu' })
      engineSeconds.push((performance.now() - t0) / 1000)
      engine = e
      provider = e.provider
      t0 = performance.now()
      core = sampledStatistics(bm, data, { ...opts, rng: new Rng(seed) })
      coreSeconds.push((performance.now() - t0) / 1000)
    }
    const engineEqualsCore = sameStatistics(engine!, core!)

    let numpySeconds: number[] | null = null
    let numpyMaxDiff: number | null = null
    const dir = mkdtempSync(join(tmpdir(), 'engram-boltzmann-'))
    try {
      writePeerData(dir, bm, data, new Rng(seed))
      // NumPy at its best: each BLAS kernel the machine offers, the faster reported.
      const best = await fastestKernel(async (kernel) => {
        const p = await peers.run([PYTHON, join(ROOT, 'bench', 'peers', 'boltzmann_numpy.py'), dir, String(CONFIG.rounds)], kernel.env)
        if (p.status !== 0) {
          console.error(`NumPy peer failed with ${kernel.label} (${p.status}): ${p.stderr}`)
          return null
        }
        const res = JSON.parse(p.stdout.trim().split('\n').pop()!) as { seconds: number[]; blas: unknown; numpy: string }
        const read = (name: string): Float64Array => {
          const b = readFileSync(join(dir, name))
          return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
        }
        const diff = Math.max(
          maxDiff(read('clamped_corr.f64'), engine!.clamped.correlations),
          maxDiff(read('clamped_mean.f64'), engine!.clamped.means),
          maxDiff(read('free_corr.f64'), engine!.free.correlations),
          maxDiff(read('free_mean.f64'), engine!.free.means)
        )
        return { ...res, diff }
      })
      if (best) {
        numpySeconds = best.result.seconds
        numpyMaxDiff = best.result.diff
        blas = { numpy: best.result.numpy, blas: best.result.blas, kernel: best.kernel }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    rows.push({ visible: V, hidden: H, chains, sweeps: CONFIG.equilibrationSweeps, engineSeconds, coreSeconds, numpySeconds, engineEqualsCore, numpyMaxDiff, provider })
    const fmt = (s: number): string => `${s.toFixed(3)} s`
    const both = (xs: number[]): string => `${fmt(median(xs))} (best ${fmt(Math.min(...xs))})`
    console.log(
      `V=${V} H=${H} (N=${n}) chains=${chains}: engine ${both(engineSeconds)} · core ${both(coreSeconds)} · numpy ${numpySeconds ? both(numpySeconds) : 'n/a'} · ` +
        `engine = core: ${engineEqualsCore} · |numpy − engine| ≤ ${numpyMaxDiff?.toExponential(1) ?? 'n/a'}`
    )
  }
  peers.close()
  writeRecord(OUT, { benchmark: 'boltzmann-sampled-statistics', config: CONFIG, peers: { python: PYTHON, ...(blas ? { numpy: blas } : {}) }, rows })
}

run(main)
