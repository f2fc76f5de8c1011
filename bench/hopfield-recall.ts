// Benchmark: batched synchronous Hopfield recall, Engram's engine (full W and low rank) against NumPy and
// PyTorch CPU in one interleaved run, plus the core's asynchronous updates per second.
//
// Run: npx tsx bench/hopfield-recall.ts [--rounds 7] [--out bench/results/hopfield-recall.json]
// Workload (PEERS.md): Hebb, 1/N, zero diagonal, N = 1024, P = 100 random ±1 patterns, 100 cues per pattern
// (10,000) with 10 % of the bits flipped, synchronous recall to a fixed point, at most 20 updates.
// The data are drawn once with the core Rng and written as .npy, so every side recalls the very same cues;
// every side's final states and per-cue update counts are compared with the engine's full-W result.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { drawCues } from '../src/core/corrupt'
import { hebb, recallAsync, recallSyncBatch, type HopfieldNet } from '../src/core/hopfield'
import { Rng } from '../src/core/rng'
import { recallBatch } from '../src/engine/recall'
import { readNpyInt32, readNpyInt8, writeNpy } from './npy'
import { argValue, CORETYPE, median, PYTHON } from './common'

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
    env: Record<string, string>
  ) {
    this.child = spawn(PYTHON, [script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
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

/** The OpenBLAS kernel NumPy picks without OPENBLAS_CORETYPE, for the record (PEERS.md saw a slow fallback). */
function defaultKernel(): Promise<string> {
  const env = { ...process.env }
  delete env.OPENBLAS_CORETYPE
  const code = 'import numpy, threadpoolctl; print(next((d.get("architecture") for d in threadpoolctl.threadpool_info() if d.get("user_api") == "blas"), "unknown"))'
  return new Promise((res) => {
    const child = spawn(PYTHON, ['-c', code], { env })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', () => res('unknown'))
    child.on('exit', () => res(out.trim() || 'unknown'))
  })
}

// ---------------------------------------------------------------------------------------------
// Sides

interface Side {
  id: string
  label: string
  group: 'engram-full' | 'engram-lowrank' | 'numpy' | 'torch'
  config: string
  /** Runs once and returns seconds; the last run's states are kept for the checks. */
  run(): Promise<number>
  /** Final states and update counts of the last run. */
  result(): Promise<{ final: Int8Array; iterations: Int32Array }>
}

function engramSide(
  id: string,
  label: string,
  group: Side['group'],
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

function peerSide(peer: Peer, id: string, label: string, group: Side['group'], config: string, variant: string, args: string, dir: string): Side {
  return {
    id,
    label,
    group,
    config,
    async run() {
      const r = await peer.send(`run ${variant} ${args}`)
      return Number(r.seconds)
    },
    async result() {
      const file = join(dir, `${id}.npy`)
      await peer.send(`dump ${variant} ${file}`)
      return { final: readNpyInt8(file).data, iterations: readNpyInt32(file.replace('.npy', '-iterations.npy')).data }
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function compare(a: { final: Int8Array; iterations: Int32Array }, b: { final: Int8Array; iterations: Int32Array }, n: number, from = 0, count = a.iterations.length) {
  let states = 0
  let iterations = 0
  for (let c = 0; c < count; c++) {
    const off = c * n
    const offA = (from + c) * n
    for (let i = 0; i < n; i++) {
      if (a.final[offA + i] !== b.final[off + i]) {
        states++
        break
      }
    }
    if (a.iterations[from + c] !== b.iterations[c]) iterations++
  }
  return { cuesWithDifferentStates: states, cuesWithDifferentIterations: iterations }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { units: n, patterns: p, maxIterations } = CONFIG
  const dir = mkdtempSync(join(tmpdir(), 'engram-bench-'))
  const peers: Peer[] = []
  try {
    const { patterns, cues, stored } = makeData()
    const batch = cues.length / n
    writeNpy(join(dir, 'patterns.npy'), patterns, [p, n])
    writeNpy(join(dir, 'cues.npy'), cues, [batch, n])
    const net = hebb(stored, { normalisation: '1/N' })
    const lowRank = { patterns, count: p, scale: 1 / n }

    const numpy = new Peer('numpy', join(here, 'peers/hopfield_numpy.py'), { OPENBLAS_CORETYPE: CORETYPE })
    const torch = new Peer('torch', join(here, 'peers/hopfield_torch.py'), { OPENBLAS_CORETYPE: CORETYPE })
    peers.push(numpy, torch)
    const [numpyInfo, torchInfo] = await Promise.all([numpy.ready, torch.ready])
    const load = `load ${join(dir, 'patterns.npy')} ${join(dir, 'cues.npy')} ${maxIterations}`
    await numpy.send(load)
    await torch.send(load)

    const base = { maxIterations, provider: 'cpu' as const }
    const sides: Side[] = [
      engramSide('engram-full-t1', 'Engram engine, full W', 'engram-full', '1 thread', net, cues, batch, { ...base, threads: 1 }),
      engramSide('engram-full-t2', 'Engram engine, full W', 'engram-full', '2 threads', net, cues, batch, { ...base, threads: 2 }),
      engramSide('engram-lowrank-t1', 'Engram engine, low rank', 'engram-lowrank', '1 thread', net, cues, batch, { ...base, threads: 1, lowRank }),
      engramSide('engram-lowrank-t2', 'Engram engine, low rank', 'engram-lowrank', '2 threads', net, cues, batch, { ...base, threads: 2, lowRank }),
      peerSide(numpy, 'numpy-active-b1', 'NumPy, active rows', 'numpy', 'BLAS 1 thread', 'active', '1', dir),
      peerSide(numpy, 'numpy-active-b2', 'NumPy, active rows', 'numpy', 'BLAS 2 threads', 'active', '2', dir),
      peerSide(numpy, 'numpy-batch-b2', 'NumPy, whole batch', 'numpy', 'BLAS 2 threads', 'batch', '2', dir),
      peerSide(torch, 'torch-active-b1t1', 'PyTorch, active rows', 'torch', 'BLAS 1, torch 1 thread', 'active', '1 1', dir),
      peerSide(torch, 'torch-active-b1t2', 'PyTorch, active rows', 'torch', 'BLAS 1, torch 2 threads', 'active', '1 2', dir),
      peerSide(torch, 'torch-active-b2t1', 'PyTorch, active rows', 'torch', 'BLAS 2, torch 1 thread', 'active', '2 1', dir),
      peerSide(torch, 'torch-batch-b2t1', 'PyTorch, whole batch', 'torch', 'BLAS 2, torch 1 thread', 'batch', '2 1', dir)
    ]

    // Warm-up (sessions, allocations, BLAS buffers), then the checks on the warm-up results.
    process.stderr.write('warm-up and checks ...\n')
    for (const s of sides) await s.run()
    const reference = await sides[0]!.result()
    const checks: Record<string, ReturnType<typeof compare>> = {}
    for (const s of sides.slice(1)) checks[s.id] = compare(reference, await s.result(), n)
    // The exact core (float64, one cue at a time) on a spread of cues: slow, so a sample.
    const step = Math.max(1, Math.floor(batch / CONFIG.coreCheckCues))
    const sample = Array.from({ length: Math.min(CONFIG.coreCheckCues, batch) }, (_, k) => k * step)
    const sampleCues = new Int8Array(sample.length * n)
    sample.forEach((c, k) => sampleCues.set(cues.subarray(c * n, (c + 1) * n), k * n))
    const core = recallSyncBatch(net, sampleCues, sample.length, maxIterations)
    const sampled = {
      final: new Int8Array(sample.length * n),
      iterations: new Int32Array(sample.length)
    }
    sample.forEach((c, k) => {
      sampled.final.set(reference.final.subarray(c * n, (c + 1) * n), k * n)
      sampled.iterations[k] = reference.iterations[c]!
    })
    const coreCheck = { cues: sample.length, ...compare(sampled, core, n) }
    const histogram: Record<string, number> = {}
    for (const it of reference.iterations) histogram[it] = (histogram[it] ?? 0) + 1
    const rowUpdates = reference.iterations.reduce((a, it) => a + (it === maxIterations ? it : it + 1), 0)

    // Timed rounds, interleaved; the order rotates each round so drift does not favour one side.
    const seconds: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.id, []]))
    const asyncRuns: { seconds: number; updates: number }[] = []
    const asyncRng = new Rng(CONFIG.seed).fork(7)
    for (let r = 0; r < CONFIG.rounds; r++) {
      process.stderr.write(`round ${r + 1}/${CONFIG.rounds}\n`)
      for (let k = 0; k < sides.length; k++) {
        const s = sides[(k + r) % sides.length]!
        seconds[s.id]!.push(await s.run())
        await sleep(100)
      }
      // Asynchronous core: random order, one unit at a time, to a fixed point.
      const t = performance.now()
      let updates = 0
      for (let c = 0; c < CONFIG.asyncCues; c++) {
        const cue = cues.subarray(c * CONFIG.cuesPerPattern * n, (c * CONFIG.cuesPerPattern + 1) * n)
        updates += recallAsync(net, cue, { rng: asyncRng, order: 'random', maxSweeps: maxIterations }).units.length
      }
      asyncRuns.push({ seconds: (performance.now() - t) / 1000, updates })
    }

    // Summary
    const rows = sides.map((s) => {
      const med = median(seconds[s.id]!)
      const min = Math.min(...seconds[s.id]!)
      return { id: s.id, side: s.label, group: s.group, config: s.config, medianSeconds: med, minSeconds: min, cuesPerSecond: batch / med, seconds: seconds[s.id]! }
    })
    const best = (group: Side['group']) => rows.filter((r) => r.group === group).reduce((a, b) => (b.cuesPerSecond > a.cuesPerSecond ? b : a))
    const bestNumpy = best('numpy')
    const bestTorch = best('torch')
    const bestLowRank = best('engram-lowrank')
    const bestFull = best('engram-full')
    // Per-round ratios as well: each round's sides ran minutes apart at most, so drift cancels better.
    const perRound = (a: string, b: string) => median(seconds[a]!.map((t, k) => seconds[b]![k]! / t))
    const ratios = {
      lowRankVsNumpy: bestLowRank.cuesPerSecond / bestNumpy.cuesPerSecond,
      lowRankVsTorch: bestLowRank.cuesPerSecond / bestTorch.cuesPerSecond,
      fullVsNumpy: bestFull.cuesPerSecond / bestNumpy.cuesPerSecond,
      fullVsTorch: bestFull.cuesPerSecond / bestTorch.cuesPerSecond,
      lowRankVsFull: bestLowRank.cuesPerSecond / bestFull.cuesPerSecond,
      fastestLowRankVsNumpy: bestNumpy.minSeconds / bestLowRank.minSeconds,
      fastestLowRankVsTorch: bestTorch.minSeconds / bestLowRank.minSeconds,
      perRoundLowRankVsNumpy: perRound(bestLowRank.id, bestNumpy.id),
      perRoundLowRankVsTorch: perRound(bestLowRank.id, bestTorch.id)
    }
    const asyncUpdatesPerSecond = median(asyncRuns.map((a) => a.updates / a.seconds))

    const ortVersion = (JSON.parse(readFileSync(join(root, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as { version: string }).version
    const machine = {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
      node: process.version,
      onnxruntimeNode: ortVersion,
      openblasCoretype: CORETYPE,
      openblasKernelWithoutCoretype: await defaultKernel()
    }
    const report = {
      benchmark: 'hopfield-recall',
      date: new Date().toISOString(),
      command: 'npx tsx bench/hopfield-recall.ts' + (process.argv.length > 2 ? ' ' + process.argv.slice(2).join(' ') : ''),
      machine,
      config: CONFIG,
      peers: { numpy: numpyInfo, torch: torchInfo },
      data: { cues: batch, iterationHistogram: histogram, rowUpdatesWhenSettledRowsLeave: rowUpdates },
      checks: { againstEngineFullW: checks, coreSample: coreCheck },
      results: rows,
      best: { numpy: bestNumpy.id, torch: bestTorch.id, engramLowRank: bestLowRank.id, engramFull: bestFull.id },
      ratios,
      asyncCore: { updatesPerSecond: asyncUpdatesPerSecond, runs: asyncRuns, cuesPerRun: CONFIG.asyncCues }
    }
    mkdirSync(dirname(OUT), { recursive: true })
    writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n')

    const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
    const lines = [
      `Hopfield recall, N=${n}, P=${p}, ${fmt(batch)} cues with ${CONFIG.flipFraction * 100}% flipped bits, sync to a fixed point (≤ ${maxIterations} updates)`,
      `${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverageAtEnd.join(' ')}, Node ${machine.node}, onnxruntime-node ${ortVersion}; ${CONFIG.rounds} interleaved rounds, medians`,
      '',
      '| side | threads | median s | fastest s | cues/s (median) | vs NumPy best | vs torch best |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.side} | ${r.config} | ${fmt(r.medianSeconds, 3)} | ${fmt(r.minSeconds, 3)} | ${fmt(r.cuesPerSecond)} | ${fmt(r.cuesPerSecond / bestNumpy.cuesPerSecond, 2)}× | ${fmt(r.cuesPerSecond / bestTorch.cuesPerSecond, 2)}× |`
      ),
      '',
      `Engram low rank (best) vs NumPy (best): ${fmt(ratios.lowRankVsNumpy, 2)}× by medians, ${fmt(ratios.perRoundLowRankVsNumpy, 2)}× median of per-round ratios, ${fmt(ratios.fastestLowRankVsNumpy, 2)}× fastest vs fastest`,
      `Engram low rank (best) vs PyTorch (best): ${fmt(ratios.lowRankVsTorch, 2)}× by medians, ${fmt(ratios.perRoundLowRankVsTorch, 2)}× median of per-round ratios, ${fmt(ratios.fastestLowRankVsTorch, 2)}× fastest vs fastest`,
      `Peer BLAS (OPENBLAS_CORETYPE=${CORETYPE}; without it OpenBLAS picks ${machine.openblasKernelWithoutCoretype}): NumPy ${JSON.stringify((numpyInfo.blas as unknown[])[0] ?? null)}; torch ${JSON.stringify((torchInfo.blas as unknown[])[0] ?? null)}`,
      `Checks vs engine full W (cues differing in states / in update counts): ${Object.entries(checks)
        .map(([id, c]) => `${id} ${c.cuesWithDifferentStates}/${c.cuesWithDifferentIterations}`)
        .join(', ')}; exact core on ${coreCheck.cues} cues: ${coreCheck.cuesWithDifferentStates}/${coreCheck.cuesWithDifferentIterations}`,
      `Update counts: ${JSON.stringify(histogram)}`,
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
