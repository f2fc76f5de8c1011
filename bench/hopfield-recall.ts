// Benchmark: batched synchronous Hopfield recall, Engram's engine (full W and low rank) against NumPy and
// PyTorch CPU in one interleaved run, plus the core's asynchronous updates per second.
//
// Run: npx tsx bench/hopfield-recall.ts [--rounds 7] [--out bench/results/hopfield-recall.json] [--no-torch]
// Workloads: N = 1024, P = 100 random ±1 patterns, 100 cues per pattern (10,000) with 10 % of the bits flipped,
// synchronous recall to a fixed point, at most 20 updates, on two nets of the same patterns:
//   hebb     Hebb, 1/N, zero diagonal (PEERS.md): Engram full W and low rank; NumPy full W and NumPy with the
//            rank trick ((S·Xᵀ)·X); PyTorch full W.
//   storkey  Storkey's rule (core storkey, float32 weights): Engram full W; NumPy full W.
// Every peer runs in one process per OpenBLAS kernel (the one OpenBLAS picks, and SkylakeX where the CPU has
// AVX-512) at 1 and 2 BLAS threads; the fastest configuration is each peer's figure.
// The data are drawn once with the core Rng and written as .npy, so every side recalls the very same cues;
// every side's final states and per-cue update counts are compared with the engine's full-W result.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { drawCues } from '../src/core/corrupt'
import { hebb, recallAsync, recallSyncBatch, type HopfieldNet } from '../src/core/hopfield'
import { storkey } from '../src/core/rules'
import { Rng } from '../src/core/rng'
import { recallBatch } from '../src/engine/recall'
import { readNpyInt32, readNpyInt8, writeNpy } from './npy'
import { argValue, blasKernels, cpuModel, median, PYTHON, type BlasKernel } from './common'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..')


const CONFIG = {
  units: 1024,
  patterns: 100,
  cuesPerPattern: 100,
  flipFraction: 0.1,
  maxIterations: 20,
  seed: 2026,
  rounds: Number(argValue('--rounds', '7')),
  torch: !process.argv.includes('--no-torch'),
  /** Cues the slow exact core re-checks (float64 reference, one cue at a time). */
  coreCheckCues: Number(argValue('--core-check', '200')),
  /** Cues recalled asynchronously per round for the core's updates/s. */
  asyncCues: 10
}
const OUT = resolve(root, argValue('--out', 'bench/results/hopfield-recall.json'))

// ---------------------------------------------------------------------------------------------
// Data

function makeData(): { patterns: Int8Array; cues: Int8Array; stored: Int8Array[] } {
  const { units: n, patterns: p, cuesPerPattern, flipFraction, seed } = CONFIG
  const rng = new Rng(seed)
  const stored = Array.from({ length: p }, () => Int8Array.from({ length: n }, () => (rng.int(2) === 1 ? 1 : -1)))
  const { cues } = drawCues(stored, { type: 'flip', fraction: flipFraction }, cuesPerPattern, n, 1, rng.fork(1))
  const patterns = new Int8Array(p * n)
  stored.forEach((s, k) => patterns.set(s, k * n))
  return { patterns, cues, stored }
}

// ---------------------------------------------------------------------------------------------
// Peers: long-lived Python processes answering one JSON line per command

class Peer {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly waiting: ((line: string) => void)[] = []
  private stderr = ''
  private failure: string | null = null
  readonly ready: Promise<Record<string, unknown>>

  constructor(
    readonly name: string,
    script: string,
    env: NodeJS.ProcessEnv
  ) {
    this.child = spawn(PYTHON, [script], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()))
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(line))
    const fail = (why: string): void => {
      this.failure ??= why
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ ok: false, error: this.failure }))
    }
    this.child.stdin.on('error', () => undefined) // a dead peer is reported through 'exit'/'error'
    this.child.on('error', (err) => fail(`${name} could not start ${PYTHON}: ${err.message}`))
    this.child.on('exit', (code) => fail(`${name} exited with ${code}: ${this.stderr.slice(-2000)}`))
    this.ready = this.next().then((r) => {
      if (r.ok === false) throw new Error(String(r.error))
      return r
    })
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((res) => this.waiting.push((line) => res(JSON.parse(line) as Record<string, unknown>)))
  }

  async send(command: string): Promise<Record<string, unknown>> {
    if (this.failure !== null) throw new Error(this.failure)
    const reply = this.next()
    this.child.stdin.write(`${command}\n`)
    const r = await reply
    if (r.ok === false) throw new Error(`${this.name}: ${String(r.error)}`)
    return r
  }

  quit(): void {
    if (this.failure === null) this.child.stdin.end('quit\n')
  }
}

// ---------------------------------------------------------------------------------------------
// Sides

type Workload = 'hebb' | 'storkey'
type Group = 'engram-full' | 'engram-lowrank' | 'numpy' | 'numpy-rank' | 'numpy-batch' | 'torch'

interface Side {
  id: string
  label: string
  workload: Workload
  group: Group
  config: string
  /** Runs once and returns seconds; the last run's states are kept for the checks. */
  run(): Promise<number>
  /** Final states and update counts of the last run. */
  result(): Promise<{ final: Int8Array; iterations: Int32Array }>
}

function engramSide(
  id: string,
  label: string,
  workload: Workload,
  group: Group,
  config: string,
  net: HopfieldNet,
  cues: Int8Array,
  batch: number,
  opts: Parameters<typeof recallBatch>[3]
): Side {
  let last: { final: Int8Array; iterations: Int32Array } | null = null
  return {
    id,
    label,
    workload,
    group,
    config,
    async run() {
      const t = performance.now()
      const r = await recallBatch(net, cues, batch, opts)
      const seconds = (performance.now() - t) / 1000
      last = { final: r.final, iterations: r.iterations }
      return seconds
    },
    async result() {
      if (!last) throw new Error(`${id} has not run`)
      return last
    }
  }
}

function peerSide(peer: Peer, id: string, label: string, workload: Workload, group: Group, config: string, run: string, dump: string, dir: string): Side {
  return {
    id,
    label,
    workload,
    group,
    config,
    async run() {
      const r = await peer.send(`run ${run}`)
      return Number(r.seconds)
    },
    async result() {
      const file = join(dir, `${id}.npy`)
      await peer.send(`dump ${dump} ${file}`)
      return { final: readNpyInt8(file).data, iterations: readNpyInt32(file.replace('.npy', '-iterations.npy')).data }
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function compare(a: { final: Int8Array; iterations: Int32Array }, b: { final: Int8Array; iterations: Int32Array }, n: number) {
  let states = 0
  let iterations = 0
  for (let c = 0; c < a.iterations.length; c++) {
    const off = c * n
    for (let i = 0; i < n; i++) {
      if (a.final[off + i] !== b.final[off + i]) {
        states++
        break
      }
    }
    if (a.iterations[c] !== b.iterations[c]) iterations++
  }
  return { cuesWithDifferentStates: states, cuesWithDifferentIterations: iterations }
}

/** The exact core (float64, one cue at a time) on a spread sample of cues, against a side's result. */
function coreCheck(net: HopfieldNet, cues: Int8Array, batch: number, reference: { final: Int8Array; iterations: Int32Array }) {
  const n = net.units
  const step = Math.max(1, Math.floor(batch / CONFIG.coreCheckCues))
  const sample = Array.from({ length: Math.min(CONFIG.coreCheckCues, batch) }, (_, k) => k * step)
  const sampleCues = new Int8Array(sample.length * n)
  sample.forEach((c, k) => sampleCues.set(cues.subarray(c * n, (c + 1) * n), k * n))
  const core = recallSyncBatch(net, sampleCues, sample.length, CONFIG.maxIterations)
  const sampled = { final: new Int8Array(sample.length * n), iterations: new Int32Array(sample.length) }
  sample.forEach((c, k) => {
    sampled.final.set(reference.final.subarray(c * n, (c + 1) * n), k * n)
    sampled.iterations[k] = reference.iterations[c]!
  })
  return { cues: sample.length, ...compare(sampled, core, n) }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { units: n, patterns: p, maxIterations } = CONFIG
  const dir = mkdtempSync(join(tmpdir(), 'engram-bench-'))
  const peers: Peer[] = []
  try {
    const { patterns, cues, stored } = makeData()
    const batch = cues.length / n
    const nets: Record<Workload, HopfieldNet> = { hebb: hebb(stored, { normalisation: '1/N' }), storkey: storkey(stored) }
    writeNpy(join(dir, 'patterns.npy'), patterns, [p, n])
    writeNpy(join(dir, 'cues.npy'), cues, [batch, n])
    writeNpy(join(dir, 'storkey.npy'), nets.storkey.weights, [n, n])
    const lowRank = { patterns, count: p, scale: 1 / n }

    const kernels = blasKernels()
    const numpy = new Map<BlasKernel, Peer>()
    const torch = new Map<BlasKernel, Peer>()
    for (const k of kernels) {
      const np = new Peer(`numpy ${k.id}`, join(here, 'peers/hopfield_numpy.py'), k.env)
      numpy.set(k, np)
      peers.push(np)
      if (CONFIG.torch) {
        const tp = new Peer(`torch ${k.id}`, join(here, 'peers/hopfield_torch.py'), k.env)
        torch.set(k, tp)
        peers.push(tp)
      }
    }
    const peerInfo: Record<string, Record<string, unknown>> = {}
    for (const peer of peers) peerInfo[peer.name] = await peer.ready
    const data = `${join(dir, 'patterns.npy')} ${join(dir, 'cues.npy')} ${maxIterations}`
    for (const np of numpy.values()) {
      await np.send(`load hebb ${data}`)
      await np.send(`load storkey ${data} ${join(dir, 'storkey.npy')}`)
    }
    for (const tp of torch.values()) await tp.send(`load ${data}`)

    const base = { maxIterations, provider: 'cpu' as const }
    const sides: Side[] = []
    for (const workload of ['hebb', 'storkey'] as const) {
      const net = nets[workload]
      for (const threads of [1, 2]) {
        const t = threads === 1 ? '1 thread' : '2 threads'
        sides.push(engramSide(`${workload}-engram-full-t${threads}`, 'Engram engine, full W', workload, 'engram-full', t, net, cues, batch, { ...base, threads }))
        if (workload === 'hebb') {
          sides.push(engramSide(`hebb-engram-lowrank-t${threads}`, 'Engram engine, low rank', 'hebb', 'engram-lowrank', t, net, cues, batch, { ...base, threads, lowRank }))
        }
      }
      for (const k of kernels) {
        const np = numpy.get(k)!
        for (const threads of [1, 2]) {
          const config = `${k.id === 'auto' ? 'kernel unset' : 'SkylakeX'}, BLAS ${threads}`
          sides.push(peerSide(np, `${workload}-numpy-active-${k.id}-b${threads}`, 'NumPy, full W, active rows', workload, 'numpy', config, `${workload} active ${threads}`, `${workload} active`, dir))
          if (workload === 'hebb') {
            sides.push(peerSide(np, `hebb-numpy-rank-${k.id}-b${threads}`, 'NumPy, (S·Xᵀ)·X, active rows', 'hebb', 'numpy-rank', config, `hebb rank ${threads}`, 'hebb rank', dir))
          }
        }
        if (workload === 'hebb' && k === kernels[kernels.length - 1]) {
          sides.push(peerSide(np, `hebb-numpy-batch-${k.id}-b2`, 'NumPy, full W, whole batch', 'hebb', 'numpy-batch', `${k.id === 'auto' ? 'kernel unset' : 'SkylakeX'}, BLAS 2`, 'hebb batch 2', 'hebb batch', dir))
        }
        const tp = torch.get(k)
        if (tp && workload === 'hebb') {
          for (const threads of [1, 2]) {
            const config = `${k.id === 'auto' ? 'kernel unset' : 'SkylakeX'}, BLAS ${threads}, torch 1`
            sides.push(peerSide(tp, `hebb-torch-active-${k.id}-b${threads}`, 'PyTorch, full W, active rows', 'hebb', 'torch', config, `active ${threads} 1`, 'active', dir))
          }
        }
      }
    }

    // Warm-up (sessions, allocations, BLAS buffers), then the checks on the warm-up results.
    process.stderr.write(`${sides.length} sides; warm-up and checks ...\n`)
    for (const s of sides) await s.run()
    const checks: Record<string, ReturnType<typeof compare>> = {}
    const coreChecks: Record<string, ReturnType<typeof coreCheck>> = {}
    const histograms: Record<string, Record<string, number>> = {}
    const rowUpdates: Record<string, number> = {}
    for (const workload of ['hebb', 'storkey'] as const) {
      const ofWorkload = sides.filter((s) => s.workload === workload)
      const reference = await ofWorkload[0]!.result()
      for (const s of ofWorkload.slice(1)) checks[s.id] = compare(reference, await s.result(), n)
      coreChecks[workload] = coreCheck(nets[workload], cues, batch, reference)
      const histogram: Record<string, number> = {}
      for (const it of reference.iterations) histogram[it] = (histogram[it] ?? 0) + 1
      histograms[workload] = histogram
      rowUpdates[workload] = reference.iterations.reduce((a, it) => a + (it === maxIterations ? it : it + 1), 0)
    }

    // Timed rounds, interleaved; the order rotates each round so drift does not favour one side.
    const seconds: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.id, []]))
    const asyncRuns: { seconds: number; updates: number }[] = []
    const asyncRng = new Rng(CONFIG.seed).fork(7)
    const startLoad = loadavg().map((x) => Math.round(x * 100) / 100)
    for (let r = 0; r < CONFIG.rounds; r++) {
      process.stderr.write(`round ${r + 1}/${CONFIG.rounds}\n`)
      for (let k = 0; k < sides.length; k++) {
        const s = sides[(k + r) % sides.length]!
        seconds[s.id]!.push(await s.run())
        await sleep(50)
      }
      // Asynchronous core: random order, one unit at a time, to a fixed point.
      const t = performance.now()
      let updates = 0
      for (let c = 0; c < CONFIG.asyncCues; c++) {
        const cue = cues.subarray(c * CONFIG.cuesPerPattern * n, (c * CONFIG.cuesPerPattern + 1) * n)
        updates += recallAsync(nets.hebb, cue, { rng: asyncRng, order: 'random', maxSweeps: maxIterations }).units.length
      }
      asyncRuns.push({ seconds: (performance.now() - t) / 1000, updates })
    }

    // Summary
    const rows = sides.map((s) => {
      const med = median(seconds[s.id]!)
      const min = Math.min(...seconds[s.id]!)
      return { id: s.id, workload: s.workload, side: s.label, group: s.group, config: s.config, medianSeconds: med, minSeconds: min, cuesPerSecond: batch / med, seconds: seconds[s.id]! }
    })
    type Row = (typeof rows)[number]
    const best = (workload: Workload, group: Group): Row | undefined =>
      rows.filter((r) => r.workload === workload && r.group === group).reduce<Row | undefined>((a, b) => (a === undefined || b.cuesPerSecond > a.cuesPerSecond ? b : a), undefined)
    // Per-round ratios as well: each round's sides ran seconds apart, so drift cancels better.
    const perRound = (a: Row, b: Row) => median(seconds[a.id]!.map((t, k) => seconds[b.id]![k]! / t))
    // The most peer-friendly summary: each round, the fastest configuration of each side (kernel, threads).
    const roundBest = (workload: Workload, group: Group) =>
      Array.from({ length: CONFIG.rounds }, (_, k) => Math.min(...rows.filter((r) => r.workload === workload && r.group === group).map((r) => seconds[r.id]![k]!)))
    const ratio = (workload: Workload, engram: Group, peer: Group) => {
      const a = best(workload, engram)
      const b = best(workload, peer)
      if (!a || !b) return null
      const ea = roundBest(workload, engram)
      const pb = roundBest(workload, peer)
      return {
        engram: a.id,
        peer: b.id,
        byMedians: a.cuesPerSecond / b.cuesPerSecond,
        perRound: perRound(a, b),
        fastest: b.minSeconds / a.minSeconds,
        perRoundBestConfigs: median(ea.map((t, k) => pb[k]! / t))
      }
    }
    const ratios = {
      storkeyFullVsNumpy: ratio('storkey', 'engram-full', 'numpy'),
      hebbFullVsNumpy: ratio('hebb', 'engram-full', 'numpy'),
      hebbLowRankVsNumpyRank: ratio('hebb', 'engram-lowrank', 'numpy-rank'),
      hebbLowRankVsNumpy: ratio('hebb', 'engram-lowrank', 'numpy'),
      hebbLowRankVsTorch: ratio('hebb', 'engram-lowrank', 'torch'),
      hebbFullVsTorch: ratio('hebb', 'engram-full', 'torch')
    }
    const asyncUpdatesPerSecond = median(asyncRuns.map((a) => a.updates / a.seconds))

    const ortVersion = (JSON.parse(readFileSync(join(root, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as { version: string }).version
    const machine = {
      cpu: cpuModel(),
      cores: availableParallelism(),
      loadAverageAtStart: startLoad,
      loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
      node: process.version,
      onnxruntimeNode: ortVersion,
      blasKernels: kernels.map((k) => k.label)
    }
    const report = {
      benchmark: 'hopfield-recall',
      date: new Date().toISOString(),
      command: 'npx tsx bench/hopfield-recall.ts' + (process.argv.length > 2 ? ' ' + process.argv.slice(2).join(' ') : ''),
      machine,
      config: CONFIG,
      peers: peerInfo,
      data: { cues: batch, iterationHistogram: histograms, rowUpdatesWhenSettledRowsLeave: rowUpdates },
      checks: { againstEngineFullW: checks, coreSample: coreChecks },
      results: rows,
      ratios,
      asyncCore: { updatesPerSecond: asyncUpdatesPerSecond, runs: asyncRuns, cuesPerRun: CONFIG.asyncCues }
    }
    mkdirSync(dirname(OUT), { recursive: true })
    writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n')

    const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
    const table = (workload: Workload, vs: Row | undefined) => [
      '| side | configuration | median s | fastest s | cues/s (median) | vs NumPy full W best |',
      '|---|---|---:|---:|---:|---:|',
      ...rows
        .filter((r) => r.workload === workload)
        .map((r) => `| ${r.side} | ${r.config} | ${fmt(r.medianSeconds, 3)} | ${fmt(r.minSeconds, 3)} | ${fmt(r.cuesPerSecond)} | ${vs ? fmt(r.cuesPerSecond / vs.cuesPerSecond, 2) + '×' : '–'} |`)
    ]
    const say = (name: string, r: ReturnType<typeof ratio>) =>
      r
        ? `${name}: ${fmt(r.byMedians, 2)}× by medians, ${fmt(r.perRound, 2)}× median of per-round ratios, ${fmt(r.fastest, 2)}× fastest vs fastest (${r.engram} vs ${r.peer}); ${fmt(r.perRoundBestConfigs, 2)}× median over rounds of each side's fastest configuration`
        : `${name}: –`
    const lines = [
      `Hopfield recall, N=${n}, P=${p}, ${fmt(batch)} cues with ${CONFIG.flipFraction * 100}% flipped bits, sync to a fixed point (≤ ${maxIterations} updates)`,
      `${machine.cpu}, ${machine.cores} cores, load ${startLoad.join(' ')} → ${machine.loadAverageAtEnd.join(' ')}, Node ${machine.node}, onnxruntime-node ${ortVersion}; ${CONFIG.rounds} interleaved rounds, medians`,
      `Peer BLAS: ${Object.entries(peerInfo)
        .map(([name, info]) => `${name} ${JSON.stringify(((info.blas as Record<string, unknown>[] | undefined) ?? []).map((b) => `${String(b.internal_api)} ${String(b.version)} ${String(b.architecture)}`))}`)
        .join('; ')}`,
      '',
      'Storkey (full rank):',
      ...table('storkey', best('storkey', 'numpy')),
      '',
      'Hebb 1/N:',
      ...table('hebb', best('hebb', 'numpy')),
      '',
      say('Storkey: Engram full W (best) vs NumPy full W (best)', ratios.storkeyFullVsNumpy),
      say('Hebb: Engram full W (best) vs NumPy full W (best)', ratios.hebbFullVsNumpy),
      say('Hebb: Engram low rank (best) vs NumPy rank trick (best)', ratios.hebbLowRankVsNumpyRank),
      say('Hebb: Engram low rank (best) vs NumPy full W (best)', ratios.hebbLowRankVsNumpy),
      say('Hebb: Engram low rank (best) vs PyTorch (best)', ratios.hebbLowRankVsTorch),
      `Checks vs engine full W (cues differing in states / in update counts): ${Object.entries(checks)
        .map(([id, c]) => `${id} ${c.cuesWithDifferentStates}/${c.cuesWithDifferentIterations}`)
        .join(', ')}`,
      `Exact core on a sample: ${Object.entries(coreChecks)
        .map(([w, c]) => `${w} ${c.cuesWithDifferentStates}/${c.cuesWithDifferentIterations} of ${c.cues}`)
        .join(', ')}`,
      `Update counts: ${JSON.stringify(histograms)}; row updates with settled rows leaving: ${JSON.stringify(rowUpdates)}`,
      `Asynchronous core (recallAsync, random order, N=${n}): ${fmt(asyncUpdatesPerSecond)} unit updates/s`,
      '',
      `Written ${OUT}`
    ]
    console.log(lines.join('\n'))
  } finally {
    for (const peer of peers) peer.quit()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
