// The long-term-dependency sweep (001/002): for each cell (vanilla RNN, LSTM, GRU) and each delay, train a one-layer net
// to recall a sequence's first bit across `delay` steps of random bits (core/recurrent/delay-task.ts), then score it on
// fresh rows; and show why the RNN fails: ‖∂ℓ/∂h_t‖ per step at initialisation and after training.
// Training runs on the engine (buildRecurrentTrainStep, head on the last step, K Adam steps per run, float32) or, when
// it cannot, on the core's RecurrentTrainer (float64); both draw the very same rows. Scoring and the gradient profiles
// are exact float64 core passes on the trained weights. Each config (ci, di, t) runs alone from its own forks
// (runDelayConfigs), so a local run and a sharded one (shards.ts) share the code and the numbers.
// Legend: T = delay + 1 steps, B batch, H hidden, K steps per engine run; ci cell, di delay, t trial (indices).
import { Rng } from '../../../core/rng'
import {
  DELAY_BASELINE,
  DELAY_INPUTS,
  delayBatch,
  delayNetSpec,
  evaluateDelay,
  firstNonFinite,
  gradientFlow,
  gradientProfile,
  initRecurrentNet,
  NonFiniteError,
  RecurrentTrainer,
  type DelayBatch,
  type RecurrentNet
} from '../../../core/recurrent'
import { checkCancel } from '../../../core/dynamics'
import { delayEvalStream, delayTrialStream } from '../../../core/rng-streams'
import { adam } from '../../../engine/optim/optimiser'
import { buildRecurrentTrainStep, programParamName } from '../../../engine/programs/recurrent'
import { TrainStepRunner } from '../../../engine/programs/train-step'
import type { SweepResult, SweepSpec } from '../../../shared/spec'
import { stepsPerRun } from '../recurrent'
import type { FractionHooks } from '../hooks'
import { CORE_PATH, nextTurn, type ComputePath, type EngineChoice, type SweepRunner } from './common'
import { withCoreFallback } from './fallback'

type DelaySweep = Extract<SweepSpec, { type: 'delay' }>

/** A trained net, or the last good one and why training stopped early. */
interface Trained {
  net: RecurrentNet
  stopReason: string | null
}

/** Rows of one training step, drawn in order from the config's stream (the same on both paths). */
function drawSteps(sweep: DelaySweep, delay: number, rng: Rng, count: number): DelayBatch[] {
  return Array.from({ length: count }, () => delayBatch(sweep.task, delay, sweep.batch, rng))
}

const f32 = (net: RecurrentNet): void => {
  for (const k of Object.keys(net.params)) net.params[k] = Float64Array.from(net.params[k]!, Math.fround)
}

async function trainOnEngine(net: RecurrentNet, sweep: DelaySweep, delay: number, rng: Rng, engine: EngineChoice, hooks: FractionHooks, tick: () => void): Promise<{ trained: Trained; provider: string; fallbackReason?: string }> {
  const T = delay + 1
  const B = sweep.batch
  const H = sweep.hiddenSize
  const K = stepsPerRun(sweep.trainingSteps)
  const program = buildRecurrentTrainStep({
    cell: net.spec.cell === 'rnn' ? 'rnn-tanh' : net.spec.cell,
    steps: T,
    batch: B,
    inputSize: DELAY_INPUTS,
    hiddenSize: H,
    numLayers: 1,
    bidirectional: false,
    outputSize: sweep.task === 'adding' ? 1 : 2,
    headOn: 'last',
    headLoss: sweep.task === 'adding' ? 'mse' : 'softmax-ce',
    optimiser: adam(sweep.clipNorm > 0 ? { maxGradNorm: sweep.clipNorm } : {}),
    ...(K > 1 ? { stepsPerRun: K } : {}),
    dtype: 'float32'
  })
  const init = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [programParamName(k), v]))
  const runner = await TrainStepRunner.create(program, { params: init }, { provider: engine.provider, threads: engine.threads })
  const zeros = new Float32Array(K * B * H)
  let stopReason: string | null = null
  try {
    for (let done = 0; done < sweep.trainingSteps; done += K) {
      checkCancel(hooks)
      const rows = drawSteps(sweep, delay, rng, K)
      const r = await runner.run(
        {
          x: Float32Array.from(rows.flatMap((b) => Array.from(b.input))),
          h0: zeros,
          ...(net.spec.cell === 'lstm' ? { c0: zeros } : {}),
          targets: sweep.task === 'adding' ? Float32Array.from(rows.flatMap((b) => Array.from(b.values!))) : BigInt64Array.from(rows.flatMap((b) => Array.from(b.classes!, (v) => BigInt(v))))
        },
        sweep.learningRate
      )
      const next = runner.getParams()
      const badLoss = r.loss.findIndex((l) => !Number.isFinite(l))
      const badTensor = Object.keys(net.params).find((k) => firstNonFinite(next[programParamName(k)]!) >= 0)
      if (badLoss >= 0 || badTensor) {
        stopReason = badLoss >= 0 ? `non-finite loss at step ${done + badLoss + 1}; weights kept from step ${done}` : `non-finite ${badTensor} after step ${done + K}; weights kept from step ${done}`
        break
      }
      for (const k of Object.keys(net.params)) net.params[k] = Float64Array.from(next[programParamName(k)]!)
      for (let s = 0; s < K; s++) tick()
    }
  } finally {
    await runner.release()
  }
  return { trained: { net, stopReason }, provider: runner.provider }
}

async function trainOnCore(net: RecurrentNet, sweep: DelaySweep, delay: number, rng: Rng, hooks: FractionHooks, tick: () => void): Promise<Trained> {
  const trainer = new RecurrentTrainer(net, { kind: 'adam', learningRate: sweep.learningRate, clipNorm: sweep.clipNorm })
  const K = stepsPerRun(sweep.trainingSteps)
  try {
    for (let done = 0; done < sweep.trainingSteps; done += K) {
      await nextTurn() // a queue worker renews its job lock and reads its cancel key here
      checkCancel(hooks)
      // Drawn K at a time, as the engine path draws them: the same rows in the same order.
      for (const b of drawSteps(sweep, delay, rng, K)) {
        trainer.step(b, b.values ? { values: b.values } : { classes: b.classes! })
        tick()
      }
    }
  } catch (error) {
    if (!(error instanceof NonFiniteError)) throw error
    return { net: trainer.net, stopReason: `${error.message}; weights kept from step ${trainer.stepCount}` }
  }
  return { net: trainer.net, stopReason: null }
}

/** A delay config: trial t of the ci-th cell at the di-th delay; it trains on base.fork(delayTrialStream(ci, di, t)). */
export interface DelayConfig {
  ci: number
  di: number
  t: number
}

/** A config's scores on its delay's scoring rows and, for trial 0 at profileDelay, its gradient profiles. */
export interface DelayConfigScore extends DelayConfig {
  accuracy: number
  loss: number
  /** Why training stopped early (its last good weights were scored), or null. */
  stopReason: string | null
  profile?: { initial: number[]; trained: number[] }
}

const profileDelayOf = (sweep: DelaySweep): number => sweep.profileDelay ?? Math.max(...sweep.delays)

/** Every config of a sweep in local order (cell, then delay, then trial). */
export function delayConfigs(sweep: DelaySweep): DelayConfig[] {
  return sweep.cells.flatMap((_, ci) => sweep.delays.flatMap((_, di) => Array.from({ length: sweep.trials }, (_, t) => ({ ci, di, t }))))
}

/** The sweep's stream: every config's training stream and every delay's scoring rows are forks of it. */
const sweepBase = (seed: Rng): Rng => seed.fork(0)

/** Scoring rows at the di-th delay: the same fresh rows for every cell (a stream per delay, apart from the training streams). */
function evalRowsAt(sweep: DelaySweep, base: Rng, di: number): DelayBatch {
  return delayBatch(sweep.task, sweep.delays[di]!, sweep.evalRows, base.fork(delayEvalStream(di)))
}

/** The first (at most) 256 of the scoring rows: where the gradient profiles are measured. */
function profileRowsOf(all: DelayBatch): DelayBatch {
  const B = Math.min(256, all.batch)
  const T = all.steps
  const input = new Float64Array(T * B * DELAY_INPUTS)
  for (let t = 0; t < T; t++) input.set(all.input.subarray(t * all.batch * DELAY_INPUTS, (t * all.batch + B) * DELAY_INPUTS), t * B * DELAY_INPUTS)
  return { task: all.task, steps: T, batch: B, input, ...(all.classes ? { classes: all.classes.slice(0, B) } : { values: all.values!.slice(0, B) }) }
}

/**
 * Some configs of a delay sweep (all of them for a local run, a shard's for a queue worker), each alone: initialised and
 * trained from its own fork, scored on its delay's rows, profiled if it is trial 0 at profileDelay. Training runs on the
 * engine, or on the core for every config if the engine fails (the same rows either way). `seed` is the spec's seed Rng.
 */
export async function runDelayConfigs(sweep: DelaySweep, seed: Rng, configs: readonly DelayConfig[], engine: EngineChoice, hooks: FractionHooks): Promise<{ scores: DelayConfigScore[]; compute: ComputePath }> {
  const base = sweepBase(seed)
  const profileDelay = profileDelayOf(sweep)
  const evalRows = new Map<number, DelayBatch>()
  const rowsAt = (di: number): DelayBatch => evalRows.get(di) ?? evalRows.set(di, evalRowsAt(sweep, base, di)).get(di)!
  const total = configs.length * sweep.trainingSteps
  const netFor = (c: DelayConfig): { net: RecurrentNet; data: Rng } => {
    const cell = sweep.cells[c.ci]!
    const stream = base.fork(delayTrialStream(c.ci, c.di, c.t))
    const net = initRecurrentNet(delayNetSpec(sweep.task, cell, sweep.hiddenSize), stream)
    // LSTM forget gate: PyTorch's init draws its bias like every other; +forgetBias starts it remembering (Jozefowicz et al. 2015).
    if (cell === 'lstm' && sweep.forgetBias !== 0) net.params['bias_ih_l0']!.subarray(sweep.hiddenSize, 2 * sweep.hiddenSize).forEach((v, j, f) => (f[j] = v + sweep.forgetBias))
    f32(net)
    return { net, data: stream.fork(1) }
  }
  const run = async (train: (c: DelayConfig, net: RecurrentNet, data: Rng, tick: () => void) => Promise<Trained>): Promise<DelayConfigScore[]> => {
    let done = 0
    const tick = () => {
      done++
      if (done % 25 === 0 || done === total) hooks.onProgress?.(done / total)
    }
    const out: DelayConfigScore[] = []
    for (const c of configs) {
      const { net, data } = netFor(c)
      const profiled = sweep.delays[c.di] === profileDelay && c.t === 0
      const initial = profiled ? { spec: net.spec, params: Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, Float64Array.from(v)])) } : null
      const trained = await train(c, net, data, tick)
      const rows = rowsAt(c.di)
      const { accuracy, loss } = evaluateDelay(trained.net, rows)
      const profile = initial ? { initial: Array.from(gradientProfile(initial, profileRowsOf(rows))), trained: Array.from(gradientProfile(trained.net, profileRowsOf(rows))) } : null
      out.push({ ...c, accuracy, loss, stopReason: trained.stopReason, ...(profile ? { profile } : {}) })
    }
    return out
  }
  let provider = ''
  let engineReason: string | undefined
  const { value: scores, compute } = await withCoreFallback(
    true,
    async () => {
      const value = await run(async (c, net, data, tick) => {
        const r = await trainOnEngine(net, sweep, sweep.delays[c.di]!, data, engine, hooks, tick)
        provider = r.provider
        if (r.fallbackReason) engineReason = r.fallbackReason
        return r.trained
      })
      return { value, provider: `engine (${provider})`, ...(engineReason ? { fallbackReason: engineReason } : {}) }
    },
    () => run((c, net, data, tick) => trainOnCore(net, sweep, sweep.delays[c.di]!, data, hooks, tick))
  )
  return { scores, compute }
}

/** The result section from every config's scores (each config once, any order). */
export function delaySweepResult(sweep: DelaySweep, scores: readonly DelayConfigScore[]): SweepResult {
  const profileDelay = profileDelayOf(sweep)
  const byCell = (ci: number, di: number) => scores.filter((s) => s.ci === ci && s.di === di).sort((a, b) => a.t - b.t)
  const points = sweep.cells.flatMap((cell, ci) =>
    sweep.delays.map((delay, di) => {
      const runs = byCell(ci, di)
      const mean = (f: (s: DelayConfigScore) => number) => runs.reduce((a, s) => a + f(s), 0) / runs.length
      const stops = runs.map((r) => r.stopReason).filter((s): s is string => s !== null)
      return {
        cell,
        delay,
        trials: runs.length,
        accuracy: mean((s) => s.accuracy),
        accuracies: runs.map((s) => s.accuracy),
        loss: mean((s) => s.loss),
        ...(stops.length ? { stopReason: stops[0]! } : {})
      }
    })
  )
  // Profiles on the first trial at profileDelay, on (at most) 256 of the scoring rows.
  const profiles = sweep.cells.map((cell, ci) => {
    const profile = byCell(ci, sweep.delays.indexOf(profileDelay))[0]?.profile
    if (!profile) throw new Error(`delay sweep: no gradient profiles for ${cell} at delay ${profileDelay}`)
    return { cell, delay: profileDelay, initial: profile.initial, trained: profile.trained }
  })
  return { type: 'delay', task: sweep.task, baseline: DELAY_BASELINE[sweep.task], hiddenSize: sweep.hiddenSize, trainingSteps: sweep.trainingSteps, evalRows: sweep.evalRows, points, profiles }
}

export const runDelaySweep: SweepRunner<'delay'> = async ({ sweep, rng, hooks, engine }) => {
  const { scores, compute } = await runDelayConfigs(sweep, rng, delayConfigs(sweep), engine, hooks)
  return { compute, sweep: delaySweepResult(sweep, scores) }
}

/** 002's vanishing and exploding gradients: ‖∂h_T/∂h_t‖ through the recurrent weights given (exact float64 core). */
export const runGradientFlowSweep: SweepRunner<'gradient-flow'> = ({ sweep }) => {
  const H = sweep.weights.length
  const g = gradientFlow(Float64Array.from(sweep.weights.flat()), H, sweep.steps, { nonlinearity: sweep.nonlinearity, ...(sweep.h0 ? { h0: Float64Array.from(sweep.h0) } : {}) })
  const jacobian = Array.from({ length: H }, (_, i) => Array.from(g.jacobian.subarray(i * H, (i + 1) * H)))
  return { compute: CORE_PATH, sweep: { type: 'gradient-flow', units: H, steps: sweep.steps, norms: Array.from(g.norms), jacobian } }
}
