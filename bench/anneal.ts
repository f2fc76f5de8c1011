// Benchmark: simulated annealing of many independent chains (stochastic Hopfield, 004) — Engram's engine (batched Gibbs
// sweeps, programs/gibbs.ts) against the core (one chain at a time) and a NumPy peer, in one run on the very same noise.
//
// Run: npx tsx bench/anneal.ts [--units 100,200,400] [--chains 300] [--rounds 2] [--out bench/results/anneal.json]
// Workload: Hebb 1/N net of P = N/20 random ±1 patterns (zero diagonal); B chains start from the patterns with 20 % of
// the bits flipped; geometric schedule 2 → 0.05 over 30 temperatures × 2 sweeps (S = 60), random visit order per sweep
// and chain, final state from the mean of the last 5 sweeps. Chain b draws from fork b of one seeded Rng, as core anneal
// would; the NumPy peer gets the same visit orders and logit(u) values as arrays, so all three must end in the same
// states (checked). Engine time includes drawing the noise in JS; the peer's excludes loading its arrays.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { argValue, fastestKernel, median, PYTHON, ROOT, run, writeRecord } from './common'
import { PeerRunner } from './peer-runner'
import { anneal, temperatureSchedule } from '../src/core/anneal'
import { hebb, type HopfieldNet } from '../src/core/hopfield'
import { Rng } from '../src/core/rng'
import { uniformLogit } from '../src/core/stochastic'
import { annealBatch } from '../src/engine/stochastic'


const CONFIG = {
  units: argValue('--units', '100,200,400').split(',').map(Number),
  chains: Number(argValue('--chains', '300')),
  rounds: Number(argValue('--rounds', '2')),
  schedule: { kind: 'geometric', start: 2, end: 0.05, steps: 30 } as const,
  sweepsPerTemperature: 2,
  averageLast: 5,
  flipFraction: 0.2,
  seed: 2026
}
const OUT = resolve(ROOT, argValue('--out', 'bench/results/anneal.json'))

function workload(n: number): { net: HopfieldNet; initial: Int8Array; forks: () => Rng[] } {
  const rng = new Rng(CONFIG.seed + n)
  const P = Math.max(1, Math.round(n / 20))
  const stored = Array.from({ length: P }, () => Int8Array.from({ length: n }, () => (rng.int(2) === 1 ? 1 : -1)))
  const net = hebb(stored, { normalisation: '1/N' })
  const B = CONFIG.chains
  const initial = new Int8Array(B * n)
  for (let b = 0; b < B; b++) {
    const cue = Int8Array.from(stored[b % P]!)
    for (const i of rng.permutation(n).subarray(0, Math.round(CONFIG.flipFraction * n))) cue[i] = -cue[i]!
    initial.set(cue, b * n)
  }
  const base = rng.fork(1)
  return { net, initial, forks: () => Array.from({ length: B }, (_, b) => base.fork(b)) }
}

const raw = (a: Float32Array | Float64Array | Int32Array | Int8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength)

/** The peer's inputs: each chain's orders and logits drawn exactly as annealBatch / core anneal draw them. */
function writePeerData(dir: string, net: HopfieldNet, initial: Int8Array, rngs: Rng[], temps: Float64Array): void {
  const n = net.units
  const B = rngs.length
  const S = temps.length
  const order = new Int32Array(S * B * n)
  const logits = new Float64Array(S * B * n)
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < S; t++) {
      const at = (t * B + b) * n
      order.set(rngs[b]!.permutation(n), at)
      for (let i = 0; i < n; i++) logits[at + i] = uniformLogit(rngs[b]!.next())
    }
  }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ chains: B, units: n, sweeps: S, averageLast: CONFIG.averageLast }))
  writeFileSync(join(dir, 'weights.f32'), raw(net.weights))
  writeFileSync(join(dir, 'initial.i8'), raw(initial))
  writeFileSync(join(dir, 'temps.f64'), raw(temps))
  writeFileSync(join(dir, 'order.i32'), raw(order))
  writeFileSync(join(dir, 'logits.f64'), raw(logits))
}


interface Row {
  units: number
  chains: number
  sweeps: number
  engineSeconds: number[]
  coreSeconds: number
  numpySeconds: number[] | null
  engineEqualsCore: boolean
  numpyEqualsEngine: boolean | null
  provider: string
}

async function main(): Promise<void> {
  // NumPy runs through a helper spawned before any engine session: a fork of this process between the engine's timed
  // runs would make ORT's arena copy-on-write (bench/peer-runner.ts).
  const peers = new PeerRunner()
  const rows: Row[] = []
  const sched = temperatureSchedule(CONFIG.schedule)
  const temps = new Float64Array(sched.length * CONFIG.sweepsPerTemperature)
  for (let t = 0; t < temps.length; t++) temps[t] = sched[Math.floor(t / CONFIG.sweepsPerTemperature)]!
  const opts = { schedule: CONFIG.schedule, sweepsPerTemperature: CONFIG.sweepsPerTemperature, averageLast: CONFIG.averageLast }
  let blas: unknown = null
  for (const n of CONFIG.units) {
    const { net, initial, forks } = workload(n)
    const B = CONFIG.chains
    // Warm-up: session creation is not part of the figure.
    await annealBatch(net, initial.subarray(0, n), 1, { schedule: [1], rngs: [new Rng(0)], provider: 'cpu' })
    const engineSeconds: number[] = []
    let engineFinal: Int8Array | null = null
    let provider = ''
    for (let r = 0; r < CONFIG.rounds; r++) {
      const t0 = performance.now()
      const out = await annealBatch(net, initial, B, { ...opts, rngs: forks(), provider: 'cpu' })
      engineSeconds.push((performance.now() - t0) / 1000)
      engineFinal = out.final
      provider = out.provider
    }
    const coreRngs = forks()
    const t0 = performance.now()
    const coreFinal = new Int8Array(B * n)
    for (let b = 0; b < B; b++) coreFinal.set(anneal(net, initial.subarray(b * n, (b + 1) * n), { ...opts, rng: coreRngs[b]! }).final, b * n)
    const coreSeconds = (performance.now() - t0) / 1000
    const engineEqualsCore = coreFinal.every((v, k) => v === engineFinal![k])

    let numpySeconds: number[] | null = null
    let numpyEqualsEngine: boolean | null = null
    const dir = mkdtempSync(join(tmpdir(), 'engram-anneal-'))
    try {
      writePeerData(dir, net, initial, forks(), temps)
      // NumPy at its best: each BLAS kernel the machine offers, the faster reported.
      const best = await fastestKernel(async (kernel) => {
        const p = await peers.run([PYTHON, join(ROOT, 'bench', 'peers', 'anneal_numpy.py'), dir, String(CONFIG.rounds)], kernel.env)
        if (p.status !== 0) {
          console.error(`NumPy peer failed with ${kernel.label} (${p.status}): ${p.stderr}`)
          return null
        }
        const res = JSON.parse(p.stdout.trim().split('\n').pop()!) as { seconds: number[]; blas: unknown; numpy: string }
        const bytes = readFileSync(join(dir, 'final.i8'))
        const final = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        return { ...res, equal: final.length === B * n && final.every((v, k) => v === engineFinal![k]) }
      })
      if (best) {
        numpySeconds = best.result.seconds
        numpyEqualsEngine = best.result.equal
        blas = { numpy: best.result.numpy, blas: best.result.blas, kernel: best.kernel }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    const row: Row = { units: n, chains: B, sweeps: temps.length, engineSeconds, coreSeconds, numpySeconds, engineEqualsCore, numpyEqualsEngine, provider }
    rows.push(row)
    const fmt = (s: number): string => `${s.toFixed(2)} s`
    console.log(
      `N=${n} B=${B} S=${temps.length}: engine ${fmt(median(engineSeconds))} (best ${fmt(Math.min(...engineSeconds))}) · core ${fmt(coreSeconds)} · ` +
        `numpy ${numpySeconds ? `${fmt(median(numpySeconds))} (best ${fmt(Math.min(...numpySeconds))})` : 'n/a'} · ` +
        `engine = core: ${engineEqualsCore} · numpy = engine: ${numpyEqualsEngine}`
    )
  }
  peers.close()
  writeRecord(OUT, { benchmark: 'anneal', config: CONFIG, peers: { python: PYTHON, ...(blas ? { numpy: blas } : {}) }, rows })
}

run(main)
