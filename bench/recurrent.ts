// Benchmark: char-LM training (1-layer LSTM / GRU, embedding, softmax head, Adam, clipping) and generation on Engram's
// engine against PyTorch CPU (nn.Embedding + nn.LSTM/nn.GRU + nn.Linear), side by side in one run (issue 9).
//
// npx tsx bench/recurrent.ts [--rounds 3] [--agree-steps 100] [--gen-reps 7] [--out bench/results/recurrent.json]
//                            [--no-torch] [--quick]
// Data: resources/corpora/sonnets.txt, tokenised as the app does (tokenize); windows of T + 1 characters drawn as
// trainRecurrentJob draws them (Rng(seed).fork(1)). Both sides train on the very same batches.
// 1. Speed: ms per training step (median over timed steps after a warm-up). Engram: the app's program
//    (buildRecurrentTrainStep with the options trainRecurrentJob passes, float32, TrainStepRunner on the CPU provider,
//    K = stepsPerRun(300) = 6 steps per run(), the app's default of 300 steps) at 1 and 2 intra-op threads. PyTorch
//    (bench/peers/torch-recurrent.py): each OpenBLAS kernel of blasKernels() × {OPENBLAS_NUM_THREADS=1 with torch
//    threads 1 and 2, OPENBLAS_NUM_THREADS=2 with torch threads 1}; the best configuration by median is reported.
//    Rounds interleave the two sides. FLOP per step = 3 × 2·T·B·(G·H·(E + H) + H·V) (forward MatMuls, ×3 for the
//    backward), set against ORT's 1024³ float32 MatMul measured in the same rounds (and torch.mm for reference).
//    Check: trainRecurrentJob itself (the app's job, 1 thread as the app picks on ≤ 2 cores) at the first size gives
//    the same losses as the bench's runner, and its time per step between progress reports is reported.
// 2. Agreement: the same init (Engram's, through its PyTorch-named safetensors, load_state_dict(strict=True)), the same
//    batches and Adam settings; losses per step and the final weights compared.
// 3. Generation: 1,000 characters at H 256 through generateRecurrentJob (the app's in-graph sampler, its session kept
//    per model and weights: the first call builds it, the next ones are one run() for the prompt and the sample); a
//    first call's parts; and torch sampling one character at a time.
// 4. The training job's evaluation and text samples at H 256 and H 512: the float64 core against the engine
//    (RecurrentMonitor, float32, one session each for the job, weights fed).
// Writes bench/results/recurrent.json and prints markdown tables.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { decodeRecurrentSafetensors, encodeRecurrentSafetensors, generate, type Params } from '../src/core/recurrent'
import { Rng } from '../src/core/rng'
import { createSession, type EngineSession, type EngineTensor } from '../src/engine/ort'
import { programParamName } from '../src/engine/programs/recurrent'
import { buildRecurrentSampler } from '../src/engine/recurrent-export'
import { RecurrentMonitor, recurrentSamplers, runSampler } from '../src/engine/recurrent-samplers'
import { generateRecurrentJob, recurrentEvalLoss, recurrentEvalWindows, stepsPerRun, tokenize, trainRecurrentJob } from '../src/main/services/recurrent'
import type { RecurrentInfo } from '../src/shared/families/recurrent'
import { writeNpy } from './npy'
import { argValue, blasKernels, cpuModel, median, PYTHON, ROOT, run, writeRecord, type BlasKernel } from './common'
import { PeerRunner } from './peer-runner'
import { APP_STEPS, appInit, appRunner, appSpec, benchSizes, drawBatches, flopPerStep, K, matmulModel, type Size } from './recurrent-app'

const quick = process.argv.includes('--quick')
const ROUNDS = Number(argValue('--rounds', quick ? '1' : '3'))
const AGREE_STEPS = Number(argValue('--agree-steps', quick ? '20' : '100'))
const GEN_REPS = Number(argValue('--gen-reps', quick ? '2' : '7'))
const GEN_CHARS = 1000
const TORCH = !process.argv.includes('--no-torch')
const OUT = resolve(ROOT, argValue('--out', 'bench/results/recurrent.json'))
const SEED = 2026
const TORCH_WARMUP = 3
const PEER = join(ROOT, 'bench/peers/torch-recurrent.py')
const PROMPT = 'Shall I compare thee'

const SIZES = benchSizes(quick)


interface TorchOut {
  results?: { id: string; torchThreads: number; seconds: number[] }[]
  matmulGflops?: Record<string, number>
  losses?: number[]
  seconds?: number[]
  firstTokens?: number[]
  torch: string
  blas: unknown
}

// Torch runs go through a helper spawned once (bench/peer-runner.ts): a fork of this process between Engram's timed
// runs would make ORT's arena pages copy-on-write and the next run pay a page fault per page.
let peers: PeerRunner | null = null

async function runPeer(args: string[], env: NodeJS.ProcessEnv): Promise<TorchOut> {
  peers ??= new PeerRunner()
  const r = await peers.run([PYTHON, PEER, ...args], { OMP_WAIT_POLICY: 'PASSIVE', ...env })
  if (r.status !== 0) throw new Error(`torch-recurrent.py ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TorchOut
}

interface TorchConfig {
  kernel: BlasKernel
  blasThreads: number
  torchThreads: number
  label: string
}

interface Series {
  side: 'engram' | 'torch'
  size: string
  config: string
  /** Engram's intra-op threads. */
  threads?: number
  /** Seconds per step. */
  seconds: number[]
}

const ms = (s: number): string => (s * 1000).toFixed(s < 0.1 ? 2 : 1)

async function main(): Promise<void> {
  const load0 = loadavg()
  if (TORCH) peers = new PeerRunner() // before any engine session exists
  const dir = mkdtempSync(join(tmpdir(), 'engram-recurrent-bench-'))
  const text = readFileSync(join(ROOT, 'resources/corpora/sonnets.txt'), 'utf8')
  const { vocab, tokens } = tokenize(text)
  const V = vocab.length
  const E = appSpec(SIZES[0]!).embeddingSize
  console.log(`data: resources/corpora/sonnets.txt, ${tokens.length} characters, vocabulary ${V}; embedding ${E}; K = ${K} steps per run(); ${ROUNDS} round(s); load ${load0.map((x) => x.toFixed(2)).join(' ')}`)

  // ---- 1. Speed ------------------------------------------------------------------------------------------------
  const batchCount = (s: Size) => Math.max(s.steps, 2 * K) + K
  const data = new Map(SIZES.map((s) => [s.id, drawBatches(tokens, s.T, s.B, batchCount(s), new Rng(SEED).fork(1))]))
  for (const s of SIZES) {
    const d = data.get(s.id)!
    writeNpy(join(dir, `${s.id}.x.npy`), d.x, [batchCount(s), s.T, s.B])
    writeNpy(join(dir, `${s.id}.y.npy`), d.y, [batchCount(s), s.T, s.B])
  }
  const series: Series[] = []
  const engram: { size: Size; threads: number; feed: (n: number) => Promise<unknown>; runs: number; s: Series }[] = []
  for (const s of SIZES) {
    const spec = appSpec(s)
    for (const threads of [1, 2]) {
      const { feed } = await appRunner(spec, V, appInit(spec, V, SEED), K, threads, data.get(s.id)!)
      await feed(0) // warm-up
      const entry: Series = { side: 'engram', size: s.id, config: `${threads} intra-op thread${threads > 1 ? 's' : ''}`, threads, seconds: [] }
      series.push(entry)
      engram.push({ size: s, threads, feed, runs: 1, s: entry })
    }
  }
  // Per round: the median and the fastest of 20 MatMuls per thread count (the fastest is what the machine can do when
  // the neighbours leave it alone).
  const mm: { threads: number; session: EngineSession; gflops: number[]; peak: number[] }[] = []
  for (const threads of [1, 2]) mm.push({ threads, session: (await createSession(matmulModel(1024), { provider: 'cpu', threads })).session, gflops: [], peak: [] })
  const mmFeeds: Record<string, EngineTensor> = {
    a: { type: 'float32', data: Float32Array.from({ length: 1024 * 1024 }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), dims: [1024, 1024] },
    b: { type: 'float32', data: Float32Array.from({ length: 1024 * 1024 }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5), dims: [1024, 1024] }
  }

  // PyTorch: one process per BLAS kernel and OPENBLAS_NUM_THREADS (set when it starts); torch threads are set inside.
  // Its per-step times are averaged over K consecutive steps, like Engram's (one run() of K steps), so that medians and
  // minima compare like with like.
  const torchMatmul: Record<string, number[]> = {}
  const torchBlas: Record<string, unknown> = {}
  let torchVersion = ''
  const torchRun = async (cfg: TorchConfig, entries: { size: Size; steps: number }[]): Promise<Map<string, number[]>> => {
    const sizes = entries.map(({ size, steps }) => ({ id: size.id, cell: size.cell, H: size.H, E, V, steps, torchThreads: cfg.torchThreads }))
    const out = await runPeer(['speed', '--data', dir, '--sizes', JSON.stringify(sizes), '--warmup', String(TORCH_WARMUP)], { ...cfg.kernel.env, OPENBLAS_NUM_THREADS: String(cfg.blasThreads) })
    torchVersion = out.torch
    torchBlas[cfg.label] = out.blas
    for (const [, g] of Object.entries(out.matmulGflops!)) (torchMatmul[cfg.label] ??= []).push(g)
    return new Map(out.results!.map((r) => [r.id, Array.from({ length: r.seconds.length / K }, (_, i) => r.seconds.slice(i * K, (i + 1) * K).reduce((a, b) => a + b, 0) / K)]))
  }
  const torchConfigs: TorchConfig[] = TORCH
    ? blasKernels().flatMap((kernel) =>
        [
          [1, 1],
          [1, 2],
          [2, 1]
        ].map(([blasThreads, torchThreads]) => ({ kernel, blasThreads: blasThreads!, torchThreads: torchThreads!, label: `${kernel.label}, OPENBLAS_NUM_THREADS=${blasThreads}, torch threads ${torchThreads}` }))
      )
    : []
  // Calibration: every torch configuration, K timed steps per size; the fastest per size is timed in the rounds.
  const calibration: { size: string; config: string; seconds: number }[] = []
  for (const cfg of torchConfigs) {
    const res = await torchRun(cfg, SIZES.map((size) => ({ size, steps: K })))
    for (const [size, secs] of res) calibration.push({ size, config: cfg.label, seconds: secs[0]! })
    console.log(`torch calibration: ${cfg.label}: ${[...res].map(([id, secs]) => `${id} ${ms(secs[0]!)}`).join(', ')} ms/step (load ${loadavg()[0]!.toFixed(2)})`)
  }
  const torchBest = new Map(
    SIZES.map((s) => {
      const c = calibration.filter((x) => x.size === s.id).reduce<(typeof calibration)[number] | null>((a, b) => (!a || b.seconds < a.seconds ? b : a), null)
      return [s.id, c ? torchConfigs.find((t) => t.label === c.config)! : null]
    })
  )

  // Rounds: per size, Engram (1 and 2 threads) next to torch's best configuration; sizes rotate, sides alternate.
  const tasks: { label: string; run: () => Promise<void> }[] = [
    {
      label: 'ORT MatMul 1024³',
      run: async () => {
        for (const m of mm) {
          await m.session.run(mmFeeds)
          const times: number[] = []
          for (let k = 0; k < 20; k++) {
            const t0 = performance.now()
            await m.session.run(mmFeeds)
            times.push((performance.now() - t0) / 1000)
          }
          m.gflops.push((2 * 1024 ** 3) / median(times) / 1e9)
          m.peak.push((2 * 1024 ** 3) / Math.min(...times) / 1e9)
        }
      }
    }
  ]
  for (const size of SIZES) {
    const pair = [
      {
        label: `${size.id} Engram`,
        run: async () => {
          for (const e of engram.filter((x) => x.size === size)) {
            for (let r = 0; r < size.steps / K; r++) {
              const t0 = performance.now()
              await e.feed(e.runs++)
              e.s.seconds.push((performance.now() - t0) / 1000 / K)
            }
          }
        }
      }
    ]
    const cfg = torchBest.get(size.id)
    if (cfg) {
      const entry: Series = { side: 'torch', size: size.id, config: cfg.label, seconds: [] }
      series.push(entry)
      pair.push({ label: `${size.id} PyTorch`, run: async () => void entry.seconds.push(...(await torchRun(cfg, [{ size, steps: size.steps }])).get(size.id)!) })
    }
    tasks.push(...pair)
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Each round starts at a different task, so that a burst of load from other processes does not always hit one side.
    const shift = Math.floor((r * tasks.length) / ROUNDS)
    const line: string[] = []
    for (let q = 0; q < tasks.length; q++) {
      const task = tasks[(q + shift) % tasks.length]!
      const t0 = performance.now()
      await task.run()
      line.push(`${task.label} ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    }
    console.log(`round ${r + 1}/${ROUNDS}: ${line.join(', ')} (load ${loadavg()[0]!.toFixed(2)})`)
  }
  const mmPeak = Math.max(...mm.flatMap((m) => m.peak))
  const mmMedian = (threads: number) => median(mm.find((m) => m.threads === threads)!.gflops)
  const best = (side: Series['side'], size: string) =>
    series.filter((s) => s.side === side && s.size === size).reduce<Series | null>((a, b) => (!a || median(b.seconds) < median(a.seconds) ? b : a), null)
  const speed = SIZES.map((s) => {
    const eng = best('engram', s.id)!
    const tor = best('torch', s.id)
    const flop = flopPerStep(s, E, V)
    const gflops = flop / median(eng.seconds) / 1e9
    const gflopsFastest = flop / Math.min(...eng.seconds) / 1e9
    return {
      size: s,
      flopPerStep: flop,
      engram: {
        config: eng.config,
        msPerStep: median(eng.seconds) * 1000,
        msPerStepFastest: Math.min(...eng.seconds) * 1000,
        gflops,
        gflopsFastest,
        /** Both medians, MatMul at Engram's thread count: the same neighbours' load on both. */
        shareOfMatMul: gflops / mmMedian(eng.threads!),
        /** Engram's fastest against the fastest MatMul of any thread count: the quiet machine's share. */
        shareOfMatMulFastest: gflopsFastest / mmPeak
      },
      torch: tor ? { config: tor.config, msPerStep: median(tor.seconds) * 1000, msPerStepFastest: Math.min(...tor.seconds) * 1000 } : null,
      torchOverEngram: tor ? median(tor.seconds) / median(eng.seconds) : null,
      torchOverEngramFastest: tor ? Math.min(...tor.seconds) / Math.min(...eng.seconds) : null
    }
  })
  const label = (s: Size) => `${s.cell.toUpperCase()} H ${s.H} / T ${s.T} / B ${s.B}`
  const speedTable = [
    '| model | Engram ms/step (median / fastest) | Engram threads | PyTorch ms/step (median / fastest) | PyTorch config | torch / Engram (medians / fastest) | Engram GFLOP/s (median / fastest) | % of MatMul (median vs same-thread median / fastest vs peak) |',
    '|---|---:|---|---:|---|---:|---:|---:|',
    ...speed.map(
      (r) =>
        `| ${label(r.size)} | ${r.engram.msPerStep.toFixed(1)} / ${r.engram.msPerStepFastest.toFixed(1)} | ${r.engram.config} | ` +
        `${r.torch ? `${r.torch.msPerStep.toFixed(1)} / ${r.torch.msPerStepFastest.toFixed(1)}` : '—'} | ${r.torch?.config ?? '—'} | ` +
        `${r.torchOverEngram ? `${r.torchOverEngram.toFixed(2)}× / ${r.torchOverEngramFastest!.toFixed(2)}×` : '—'} | ${r.engram.gflops.toFixed(0)} / ${r.engram.gflopsFastest.toFixed(0)} | ` +
        `${(100 * r.engram.shareOfMatMul).toFixed(0)} % / ${(100 * r.engram.shareOfMatMulFastest).toFixed(0)} % |`
    )
  ].join('\n')
  const detailTable = [
    `| model | side | configuration | ms/step median | fastest | samples (means of ${K} steps) |`,
    '|---|---|---|---:|---:|---:|',
    ...SIZES.flatMap((s) => [
      ...series
        .filter((x) => x.size === s.id)
        .map((x) => `| ${label(s)} | ${x.side === 'engram' ? 'Engram' : 'PyTorch'} | ${x.config} | ${ms(median(x.seconds))} | ${ms(Math.min(...x.seconds))} | ${x.seconds.length} |`),
      ...calibration.filter((c) => c.size === s.id).map((c) => `| ${label(s)} | PyTorch (calibration) | ${c.config} | ${ms(c.seconds)} | | 1 |`)
    ])
  ].join('\n')
  const mmLines = [
    ...mm.map((m) => `ORT MatMul 1024³ float32, ${m.threads} thread(s): ${median(m.gflops).toFixed(0)} GFLOP/s (median over rounds of each round's median of 20), fastest ${Math.max(...m.peak).toFixed(0)}`),
    ...Object.entries(torchMatmul).map(([c, g]) => `torch.mm 1024³ float32 (${c}): ${median(g).toFixed(0)} GFLOP/s median of ${g.length}`)
  ]
  console.log(`\n${speedTable}\n\n${detailTable}\n\n${mmLines.join('\n')}\n`)

  // ---- The app's own job at the first size: same losses as the runner above, and its time per step ------------------
  const first = SIZES[0]!
  const jobSpec = appSpec(first)
  const stamps: { at: number; text: boolean }[] = []
  const t0 = performance.now()
  const job = await trainRecurrentJob(
    { modelId: 'bench', name: 'bench', spec: jobSpec, seed: SEED, textName: 'sonnets', vocab, tokens, provider: 'cpu' },
    { onProgress: (_f, _d, _t, _m, _metrics, txt) => stamps.push({ at: performance.now(), text: txt !== undefined }) }
  )
  const jobSeconds = (performance.now() - t0) / 1000
  const chunkTimes = stamps.slice(1).flatMap((s, i) => (s.text ? [] : [(s.at - stamps[i]!.at) / 1000 / K]))
  const jobBatches = drawBatches(tokens, first.T, first.B, APP_STEPS, new Rng(SEED).fork(1))
  const check = await appRunner(jobSpec, V, appInit(jobSpec, V, SEED), K, 1, jobBatches)
  let jobLossDiff = 0
  for (let n = 0; n < APP_STEPS / K; n++) {
    const losses = (await check.feed(n)).loss
    jobLossDiff = Math.max(jobLossDiff, Math.abs(losses.reduce((a, b) => a + b, 0) / losses.length - job.info.history[n]!.loss))
  }
  await check.runner.release()
  const appJob = { size: first.id, steps: APP_STEPS, provider: job.info.provider, wallSeconds: jobSeconds, msPerStepBetweenReports: median(chunkTimes) * 1000, maxChunkLossDiffVsBenchRunner: jobLossDiff }
  console.log(
    `app job (trainRecurrentJob, ${label(first)}, ${APP_STEPS} steps, ${job.info.provider}, default threads): ${appJob.msPerStepBetweenReports.toFixed(2)} ms/step between progress reports ` +
      `(median, reports with a text sample excluded); ${jobSeconds.toFixed(1)} s in all with samples and the final evaluation; ` +
      `its losses vs the bench's runner (1 thread): max |Δ| ${jobLossDiff.toExponential(1)}`
  )

  // ---- 2. Loss curve agreement ------------------------------------------------------------------------------------
  const agreeSizes = [SIZES[0]!, SIZES.find((s) => s.cell === 'gru')!]
  const agreement = []
  for (const s of agreeSizes) {
    const spec = appSpec(s, AGREE_STEPS)
    const k = stepsPerRun(AGREE_STEPS)
    const net = appInit(spec, V, SEED + 1)
    const batches = drawBatches(tokens, s.T, s.B, AGREE_STEPS, new Rng(SEED + 1).fork(1))
    writeNpy(join(dir, `agree-${s.id}.x.npy`), batches.x, [AGREE_STEPS, s.T, s.B])
    writeNpy(join(dir, `agree-${s.id}.y.npy`), batches.y, [AGREE_STEPS, s.T, s.B])
    const initFile = join(dir, `agree-${s.id}.safetensors`)
    writeFileSync(initFile, encodeRecurrentSafetensors(net, 'float32'))
    const { runner, feed } = await appRunner(spec, V, net, k, 1, batches)
    const eLoss: number[] = []
    for (let n = 0; n < AGREE_STEPS / k; n++) eLoss.push(...(await feed(n)).loss)
    const eParams = runner.getParams()
    await runner.release()
    const entry: Record<string, unknown> = { size: s.id, steps: AGREE_STEPS, stepsPerRun: k, learningRate: spec.learningRate, clipNorm: spec.clipNorm, engramLoss: eLoss }
    if (TORCH) {
      const finalFile = join(dir, `agree-${s.id}.torch.safetensors`)
      const out = await runPeer(['agree', '--init', initFile, '--data', dir, '--id', `agree-${s.id}`, '--lr', String(spec.learningRate), '--clip', String(spec.clipNorm), '--out', finalFile], {
        ...blasKernels()[0]!.env,
        OPENBLAS_NUM_THREADS: '1'
      })
      const tLoss = out.losses!
      const torchNet = decodeRecurrentSafetensors(readFileSync(finalFile), net.spec)
      let maxLossDiff = 0
      for (let i = 0; i < AGREE_STEPS; i++) maxLossDiff = Math.max(maxLossDiff, Math.abs(eLoss[i]! - tLoss[i]!))
      let maxWeightDiff = 0
      let maxWeight = 0
      for (const [name, v] of Object.entries(torchNet.params as Params)) {
        const e = eParams[programParamName(name)]!
        for (let i = 0; i < v.length; i++) {
          maxWeightDiff = Math.max(maxWeightDiff, Math.abs(v[i]! - e[i]!))
          maxWeight = Math.max(maxWeight, Math.abs(v[i]!))
        }
      }
      Object.assign(entry, { torchLoss: tLoss, maxLossDiff, maxWeightDiff, maxWeight })
    }
    agreement.push(entry)
  }
  const checkpoints = [1, 2, 5, 10, 25, 50, 75, 100].filter((n) => n <= AGREE_STEPS)
  if (!checkpoints.includes(AGREE_STEPS)) checkpoints.push(AGREE_STEPS)
  const agreeTable = [
    `| model | side | ${checkpoints.map((n) => `step ${n}`).join(' | ')} | max |Δ loss| | max |Δ weight| after ${AGREE_STEPS} steps |`,
    `|---|---|${checkpoints.map(() => '---:|').join('')}---:|---:|`,
    ...agreement.flatMap((a) => {
      const s = SIZES.find((x) => x.id === a.size)!
      const row = (side: string, l: number[]) => `| ${label(s)} | ${side} | ${checkpoints.map((n) => l[n - 1]!.toFixed(4)).join(' | ')}`
      return [
        `${row('Engram', a.engramLoss as number[])} | | |`,
        ...(a.torchLoss
          ? [`${row('PyTorch', a.torchLoss as number[])} | ${(a.maxLossDiff as number).toExponential(1)} | ${(a.maxWeightDiff as number).toExponential(1)} (weights up to ${(a.maxWeight as number).toFixed(2)}) |`]
          : [])
      ]
    })
  ].join('\n')
  console.log(`\n${agreeTable}\n`)

  // ---- 3. Generation ----------------------------------------------------------------------------------------------
  const genSize = SIZES.find((s) => s.id === 'lstm-h256')!
  const genSpec = appSpec(genSize)
  const genNet = appInit(genSpec, V, SEED)
  const id = new Map(vocab.map((c, i) => [c, i]))
  const prompt = [...PROMPT].map((c) => id.get(c)!)
  const info: RecurrentInfo = {
    kind: 'recurrent', id: 'bench', name: 'bench', spec: genSpec, seed: SEED, textName: 'sonnets', textChars: tokens.length, vocab, stepsDone: 0, history: [],
    evalLoss: 0, provider: 'engine (cpu)', fallbackReason: null, partial: false, stopReason: null, sample: '', createdAt: new Date().toISOString()
  }
  const genRun = { prompt: PROMPT, length: GEN_CHARS, temperature: 0.8, topK: 0, seed: 1 }
  const jobTimes: number[] = []
  let computedBy = ''
  await recurrentSamplers.release()
  for (let r = 0; r < GEN_REPS + 1; r++) {
    // As the app calls it: the params copied out of the session each time, another seed each call. The first call
    // builds the sampler and creates its session; the next ones find it (recurrentSamplers).
    const params = Object.fromEntries(Object.entries(genNet.params).map(([k, v]) => [k, Float64Array.from(v)]))
    const g0 = performance.now()
    const res = await generateRecurrentJob({ info, params, prompt, run: { ...genRun, seed: r } })
    jobTimes.push((performance.now() - g0) / 1000)
    computedBy = res.computedBy
    if (res.sample.length !== GEN_CHARS) throw new Error(`generate: ${res.sample.length} characters, expected ${GEN_CHARS}`)
  }
  // The breakdown of a first call: the sampler (prompt in the graph) built, its session created, its first and warm run()s.
  const b0 = performance.now()
  const samplerModel = buildRecurrentSampler(genNet, { prompt: true })
  const buildSeconds = (performance.now() - b0) / 1000
  const c0 = performance.now()
  const { session } = await createSession(samplerModel, { provider: 'cpu' })
  const createSeconds = (performance.now() - c0) / 1000
  const H = genSize.H
  const runTimes: number[] = []
  for (let r = 0; r < GEN_REPS + 1; r++) {
    const g0 = performance.now()
    await runSampler(session, genNet, prompt, { ...genRun, seed: r })
    runTimes.push((performance.now() - g0) / 1000)
  }
  await session.release()
  await recurrentSamplers.release()
  let torchGen: TorchOut | null = null
  if (TORCH) {
    const initFile = join(dir, 'gen.safetensors')
    writeFileSync(initFile, encodeRecurrentSafetensors(genNet, 'float32'))
    torchGen = await runPeer(['generate', '--init', initFile, '--length', String(GEN_CHARS), '--reps', String(GEN_REPS), '--prompt', prompt.join(',')], {
      ...blasKernels()[0]!.env,
      OPENBLAS_NUM_THREADS: '1'
    })
  }
  const generation = {
    size: genSize.id,
    chars: GEN_CHARS,
    computedBy,
    appCallFirstSeconds: jobTimes[0]!,
    appCallSeconds: median(jobTimes.slice(1)),
    samplerBuildSeconds: buildSeconds,
    sessionCreateSeconds: createSeconds,
    firstRunSeconds: runTimes[0]!,
    runSeconds: median(runTimes.slice(1)),
    torchSeconds: torchGen ? median(torchGen.seconds!) : null
  }
  const genTable = [
    `| ${GEN_CHARS} characters, LSTM H ${H}, τ 0.8 | seconds (median of ${GEN_REPS}) |`,
    '|---|---:|',
    `| Engram, recurrent.generate's path (generateRecurrentJob: the kept sampler session, prompt and sample in one run()) | ${generation.appCallSeconds.toFixed(3)} (first call ${generation.appCallFirstSeconds.toFixed(3)}) |`,
    `| … a first call (measured once): sampler graph build / session create / first run() on the new session | ${buildSeconds.toFixed(3)} / ${createSeconds.toFixed(3)} / ${runTimes[0]!.toFixed(3)} |`,
    `| Engram, the sampler's run() on a warm session (prompt and sample) | ${generation.runSeconds.toFixed(3)} |`,
    ...(generation.torchSeconds !== null ? [`| PyTorch, one character at a time (inference_mode, 1 thread) | ${generation.torchSeconds.toFixed(3)} |`] : [])
  ].join('\n')
  console.log(`${genTable}\n`)

  // ---- 4. The training job's evaluation and samples: the float64 core against the engine (RecurrentMonitor) -------
  const monitor: { size: string; coreEvalSeconds: number; engineEvalFirstSeconds: number; engineEvalSeconds: number; coreSampleSeconds: number; engineSampleFirstSeconds: number; engineSampleSeconds: number; evalLossDiff: number }[] = []
  for (const s of SIZES.filter((x) => x.cell === 'lstm' && x.H >= 256)) {
    const spec = appSpec(s)
    const net = appInit(spec, V, SEED)
    const { x, y } = recurrentEvalWindows(tokens, s.T, s.B)
    const since = (t: number) => (performance.now() - t) / 1000
    let t = performance.now()
    const coreLoss = recurrentEvalLoss(net, tokens, s.T, s.B)
    const coreEvalSeconds = since(t)
    t = performance.now()
    generate(net, [tokens[0]!], 160, { temperature: 0.8 }, new Rng(SEED))
    const coreSampleSeconds = since(t)
    const m = new RecurrentMonitor(net, { provider: 'cpu' })
    const evals: number[] = []
    const samples: number[] = []
    let engineLoss = 0
    for (let r = 0; r < 4; r++) {
      t = performance.now()
      engineLoss = await m.loss(net, x, y, s.T, s.B)
      evals.push(since(t))
      t = performance.now()
      await m.sample(net, [tokens[0]!], { length: 160, temperature: 0.8, topK: 0, seed: r })
      samples.push(since(t))
    }
    await m.release()
    monitor.push({ size: s.id, coreEvalSeconds, engineEvalFirstSeconds: evals[0]!, engineEvalSeconds: median(evals.slice(1)), coreSampleSeconds, engineSampleFirstSeconds: samples[0]!, engineSampleSeconds: median(samples.slice(1)), evalLossDiff: Math.abs(engineLoss - coreLoss) })
  }
  const monitorTable = [
    '| training job (at init) | core evaluation s | engine evaluation s (first) | core 160-char sample s | engine sample s (first) | \\|Δ eval loss\\| |',
    '|---|---:|---:|---:|---:|---:|',
    ...monitor.map((r) => `| ${label(SIZES.find((z) => z.id === r.size)!)} | ${r.coreEvalSeconds.toFixed(2)} | ${r.engineEvalSeconds.toFixed(3)} (${r.engineEvalFirstSeconds.toFixed(3)}) | ${r.coreSampleSeconds.toFixed(3)} | ${r.engineSampleSeconds.toFixed(3)} (${r.engineSampleFirstSeconds.toFixed(3)}) | ${r.evalLossDiff.toExponential(1)} |`)
  ].join('\n')
  console.log(`${monitorTable}\n`)

  const load1 = loadavg()
  console.log(`CPU: ${cpuModel()}; torch ${torchVersion || '—'}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end`)
  writeRecord(OUT, {
    benchmark: 'recurrent',
    command: `npx tsx bench/recurrent.ts${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`,
    cpuModel: cpuModel(),
    node: process.version,
    loadavgStart: load0,
    loadavgEnd: load1,
    setup: { corpus: 'resources/corpora/sonnets.txt', characters: tokens.length, vocab: V, embedding: E, stepsPerRun: K, rounds: ROUNDS, torchWarmup: TORCH_WARMUP, seed: SEED },
    matmul: { ort: mm.map((m) => ({ threads: m.threads, gflops: m.gflops, peak: m.peak })), peak: mmPeak, torch: torchMatmul },
    speed,
    series,
    torchCalibration: calibration,
    appJob,
    agreement,
    generation,
    monitor,
    torch: { version: torchVersion, blas: torchBlas, generation: torchGen }
  })
  rmSync(dir, { recursive: true, force: true })
}

run(() => main().finally(() => peers?.close()))
