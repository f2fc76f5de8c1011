// Benchmark: how close can a recurrent training step on ONNX Runtime come to the machine's MatMul rate (issue 9's
// "≥ 60 % of the machine's MatMul rate")? A bound from measured parts, set beside the app's program.
//
// npx tsx bench/recurrent-bound.ts [--rounds 5] [--out bench/results/recurrent-bound.json]
//
// The recurrence cannot be one large product: step t needs h_{t−1}. So every step does its recurrence products at
// batch B = 32 (forward [G·H, H(+E)]·[H(+E), B], reverse [H, G·H]·[G·H, B]), and the element-wise gate work between
// them as separate ORT nodes. The bound for one training step, per thread count:
//   products in the steps at the rate ORT's MatMul reaches on exactly those shapes inside a Scan (measured here)
// + every other FLOP at the 1024³ MatMul rate (optimistic: the weight-gradient and head products are smaller)
// + the non-product nodes of the program's own forward and reverse Scan bodies (counted in the built model) × T × the
//   cost of one element-wise node on [H, B] inside a Scan (measured here; optimistic: some nodes work on [G·H, B]).
// Everything is taken at its fastest over the rounds (what a quiet machine does). "% of peak" is FLOP / time against
// the fastest 1024³ MatMul of any thread count, the measure bench/recurrent.ts reports as "fastest vs peak".
import { loadavg } from 'node:os'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Rng } from '../src/core/rng'
import { buildModel, decodeModel, GraphBuilder } from '../src/engine/onnx/builder'
import type { OnnxProto } from '../src/engine/onnx/proto'
import { createSession, type EngineSession, type EngineTensor } from '../src/engine/ort'
import { tokenize } from '../src/main/services/recurrent'
import { argValue, cpuModel, median, ROOT, run, writeRecord } from './common'
import { appInit, appProgram, appRunner, appSpec, benchSizes, drawBatches, flopPerStep, K, matmulModel, type Size } from './recurrent-app'

const ROUNDS = Number(argValue('--rounds', '5'))
const OUT = resolve(ROOT, argValue('--out', 'bench/results/recurrent-bound.json'))
const SEED = 2026
const PRODUCTS = new Set(['MatMul', 'Gemm'])
const THREADS = [1, 2] as const

/** Nodes per time step of the program's recurrent Scans (forward and reverse bodies), products apart. */
function scanBodies(model: Uint8Array): { products: number; others: number; scans: number } {
  let products = 0
  let others = 0
  let scans = 0
  const visit = (g: OnnxProto.IGraphProto, inScan: boolean) => {
    for (const n of g.node ?? []) {
      if (inScan) {
        if (PRODUCTS.has(n.opType ?? '')) products++
        else others++
      }
      for (const a of n.attribute ?? []) if (a.g) visit(a.g, inScan || n.opType === 'Scan')
    }
  }
  for (const n of decodeModel(model).graph?.node ?? []) for (const a of n.attribute ?? []) if (a.g) visit(a.g, n.opType === 'Scan')
  // Count the Scans themselves (the Loop's body holds them).
  const count = (g: OnnxProto.IGraphProto) => {
    for (const n of g.node ?? []) {
      if (n.opType === 'Scan') scans++
      for (const a of n.attribute ?? []) if (a.g) count(a.g)
    }
  }
  count(decodeModel(model).graph!)
  return { products, others, scans }
}

/** A Scan over T steps, each one MatMul of an outer [M, Kd] weight with the step's [Kd, B] slice. */
function productScan(M: number, Kd: number, T: number, B: number): Uint8Array {
  const g = new GraphBuilder('product_scan')
  const w = g.input('w', 'float32', [M, Kd])
  const xs = g.input('xs', 'float32', [T, Kd, B])
  const body = g.subgraph('body')
  const xt = body.input('xt', 'float32', [Kd, B])
  body.output('zt', 'float32', [M, B], { from: body.node('MatMul', [w, xt]) })
  g.node('Scan', [xs], { body: body.build(), num_scan_inputs: 1 }, { outputs: ['zs'] })
  g.output('zs', 'float32', [T, M, B])
  return buildModel({ graph: g })
}

/** A Scan over T steps carrying an [R, B] state through `n` element-wise nodes (Add and Mul with the step's input). */
function nodeScan(n: number, R: number, T: number, B: number): Uint8Array {
  const g = new GraphBuilder('node_scan')
  const xs = g.input('xs', 'float32', [T, R, B])
  const h0 = g.input('h0', 'float32', [R, B])
  const body = g.subgraph('body')
  let v = body.input('h', 'float32', [R, B])
  const xt = body.input('xt', 'float32', [R, B])
  for (let i = 0; i < n; i++) v = body.node(i % 2 ? 'Mul' : 'Add', [v, xt])
  body.output('hn', 'float32', [R, B], { from: v })
  g.node('Scan', [h0, xs], { body: body.build(), num_scan_inputs: 1 }, { outputs: ['hl'] })
  g.output('hl', 'float32', [R, B])
  return buildModel({ graph: g })
}

const filled = (n: number, seed: number, scale = 1, offset = 0): Float32Array => {
  const rng = new Rng(seed)
  return Float32Array.from({ length: n }, () => offset + scale * (rng.next() - 0.5))
}
const f32 = (data: Float32Array, dims: number[]): EngineTensor => ({ type: 'float32', data, dims })

/** Seconds of each of `reps` runs. */
async function timeRuns(session: EngineSession, feeds: Record<string, EngineTensor>, reps: number): Promise<number[]> {
  await session.run(feeds)
  const out: number[] = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    await session.run(feeds)
    out.push((performance.now() - t0) / 1000)
  }
  return out
}

interface Part {
  label: string
  threads: number
  session: EngineSession
  feeds: Record<string, EngineTensor>
  reps: number
  seconds: number[]
}

async function main(): Promise<void> {
  const load0 = loadavg()
  const text = readFileSync(join(ROOT, 'resources/corpora/sonnets.txt'), 'utf8')
  const { vocab, tokens } = tokenize(text)
  const V = vocab.length
  const SIZES = benchSizes(false)
  const E = appSpec(SIZES[0]!).embeddingSize
  console.log(`recurrent bound: vocabulary ${V}, embedding ${E}, K = ${K} steps per run(), ${ROUNDS} rounds, load ${load0.map((x) => x.toFixed(2)).join(' ')}`)

  const parts: Part[] = []
  const add = async (label: string, threads: number, model: Uint8Array, feeds: Record<string, EngineTensor>, reps: number) => {
    parts.push({ label, threads, session: (await createSession(model, { provider: 'cpu', threads })).session, feeds, reps, seconds: [] })
  }
  for (const threads of THREADS) {
    await add('matmul', threads, matmulModel(1024), { a: f32(filled(1024 * 1024, 1), [1024, 1024]), b: f32(filled(1024 * 1024, 2), [1024, 1024]) }, 10)
  }
  const shapes = new Map<string, { fwd: [number, number]; bwd: [number, number]; nodeRows: number }>()
  for (const s of SIZES) {
    const G = s.cell === 'lstm' ? 4 : 3
    // LSTM: [W_hh | W_ih]·[h; x_t] in the step; GRU: W_hh·h (its input projection is one Gemm before the Scan).
    const fwd: [number, number] = [G * s.H, s.cell === 'lstm' ? s.H + E : s.H]
    const bwd: [number, number] = [s.H, G * s.H]
    shapes.set(s.id, { fwd, bwd, nodeRows: s.H })
    for (const threads of THREADS) {
      for (const [dir, [M, Kd]] of [['fwd', fwd], ['bwd', bwd]] as const) {
        await add(`${s.id} ${dir}`, threads, productScan(M, Kd, s.T, s.B), { w: f32(filled(M * Kd, 3, 0.1), [M, Kd]), xs: f32(filled(s.T * Kd * s.B, 4), [s.T, Kd, s.B]) }, 10)
      }
      for (const n of [2, 42]) {
        await add(`${s.id} nodes${n}`, threads, nodeScan(n, s.H, s.T, s.B), { xs: f32(filled(s.T * s.H * s.B, 5, 0.01, 1), [s.T, s.H, s.B]), h0: f32(filled(s.H * s.B, 6, 0.01, 1), [s.H, s.B]) }, 10)
      }
    }
  }
  // The app's program itself, as bench/recurrent.ts runs it.
  const engram: { size: Size; threads: number; feed: (n: number) => Promise<unknown>; runs: number; seconds: number[] }[] = []
  const counts = new Map<string, ReturnType<typeof scanBodies>>()
  for (const s of SIZES) {
    const spec = appSpec(s)
    counts.set(s.id, scanBodies(appProgram(spec, V, K).model))
    const batches = drawBatches(tokens, s.T, s.B, 2 * K, new Rng(SEED).fork(1))
    for (const threads of THREADS) {
      const { feed } = await appRunner(spec, V, appInit(spec, V, SEED), K, threads, batches)
      await feed(0)
      engram.push({ size: s, threads, feed, runs: 1, seconds: [] })
    }
  }

  for (let r = 0; r < ROUNDS; r++) {
    for (const p of parts) p.seconds.push(...(await timeRuns(p.session, p.feeds, p.reps)))
    for (const e of engram) {
      for (let k = 0; k < e.size.steps / K; k++) {
        const t0 = performance.now()
        await e.feed(e.runs++)
        e.seconds.push((performance.now() - t0) / 1000 / K)
      }
    }
    console.log(`round ${r + 1}/${ROUNDS} done (load ${loadavg()[0]!.toFixed(2)})`)
  }

  const part = (label: string, threads: number) => parts.find((p) => p.label === label && p.threads === threads)!
  const fastest = (xs: number[]) => Math.min(...xs)
  const peakOf = (threads: number) => (2 * 1024 ** 3) / fastest(part('matmul', threads).seconds)
  const peak = Math.max(...THREADS.map(peakOf))
  const rows = SIZES.flatMap((s) =>
    THREADS.map((threads) => {
      const { fwd, bwd } = shapes.get(s.id)!
      const c = counts.get(s.id)!
      const fFwd = 2 * s.T * s.B * fwd[0] * fwd[1]
      const fBwd = 2 * s.T * s.B * bwd[0] * bwd[1]
      const flop = flopPerStep(s, E, V)
      const fwdSec = fastest(part(`${s.id} fwd`, threads).seconds)
      const bwdSec = fastest(part(`${s.id} bwd`, threads).seconds)
      const perNode = (fastest(part(`${s.id} nodes42`, threads).seconds) - fastest(part(`${s.id} nodes2`, threads).seconds)) / 40 / s.T
      const productsSec = fwdSec + bwdSec + (flop - fFwd - fBwd) / peakOf(threads)
      const nodesSec = c.others * s.T * perNode
      const bound = productsSec + nodesSec
      const eng = engram.find((e) => e.size === s && e.threads === threads)!
      const engFast = fastest(eng.seconds)
      return {
        size: s.id,
        threads,
        flopPerStep: flop,
        stepProductGflops: { fwd: fFwd / fwdSec / 1e9, bwd: fBwd / bwdSec / 1e9 },
        perNodeMicroseconds: perNode * 1e6,
        scanNodesPerStep: c,
        boundMs: { products: productsSec * 1000, nodes: nodesSec * 1000, total: bound * 1000 },
        boundShareOfPeak: flop / bound / peak,
        engramMs: { median: median(eng.seconds) * 1000, fastest: engFast * 1000 },
        engramShareOfPeak: flop / engFast / peak,
        engramOverBound: engFast / bound
      }
    })
  )
  const label = (id: string) => {
    const s = SIZES.find((x) => x.id === id)!
    return `${s.cell.toUpperCase()} H ${s.H} / T ${s.T}`
  }
  const table = [
    '| model | threads | step products, fwd / bwd GFLOP/s | one node on [H, B], µs | non-product nodes per step (fwd + bwd) | bound ms (products + nodes) | Engram ms, median / fastest | Engram fastest / bound | bound % of peak | Engram % of peak |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${label(r.size)} | ${r.threads} | ${r.stepProductGflops.fwd.toFixed(0)} / ${r.stepProductGflops.bwd.toFixed(0)} | ${r.perNodeMicroseconds.toFixed(2)} | ${r.scanNodesPerStep.others} | ` +
        `${r.boundMs.total.toFixed(1)} (${r.boundMs.products.toFixed(1)} + ${r.boundMs.nodes.toFixed(1)}) | ${r.engramMs.median.toFixed(1)} / ${r.engramMs.fastest.toFixed(1)} | ${r.engramOverBound.toFixed(2)} | ` +
        `${(100 * r.boundShareOfPeak).toFixed(0)} % | ${(100 * r.engramShareOfPeak).toFixed(0)} % |`
    )
  ].join('\n')
  console.log(`\nORT MatMul 1024³ fastest: ${THREADS.map((t) => `${t} thread(s) ${(peakOf(t) / 1e9).toFixed(0)} GFLOP/s`).join(', ')}; peak ${(peak / 1e9).toFixed(0)}\n\n${table}\n`)
  writeRecord(OUT, { bench: 'recurrent-bound', cpu: cpuModel(), rounds: ROUNDS, load: { start: load0, end: loadavg() }, peakGflops: peak / 1e9, rows })
  for (const p of parts) await p.session.release()
}

run(main)
