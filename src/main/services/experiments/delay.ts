// The long-term-dependency sweep (001/002): for each cell (vanilla RNN, LSTM, GRU) and each delay, train a one-layer net
// to recall a sequence's first bit across `delay` steps of random bits (core/recurrent/delay-task.ts), then score it on
// fresh rows; and show why the RNN fails: ‖∂ℓ/∂h_t‖ per step at initialisation and after training.
// Training runs on the engine (buildRecurrentTrainStep, head on the last step, K Adam steps per run, float32) or, when
// it cannot, on the core's RecurrentTrainer (float64); both draw the very same rows. Scoring and the gradient profiles
// are exact float64 core passes on the trained weights.
// Legend: T = delay + 1 steps, B batch, H hidden, K steps per engine run.
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
import type { SweepSpec } from '../../../shared/spec'
import { stepsPerRun } from '../recurrent'
import type { FractionHooks } from '../hooks'
import { CORE_PATH, type EngineChoice, type SweepRunner } from './common'
import { withCoreFallback } from './fallback'

type DelaySweep = Extract<SweepSpec, { type: 'delay' }>
type Cell = DelaySweep['cells'][number]

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

function trainOnCore(net: RecurrentNet, sweep: DelaySweep, delay: number, rng: Rng, hooks: FractionHooks, tick: () => void): Trained {
  const trainer = new RecurrentTrainer(net, { kind: 'adam', learningRate: sweep.learningRate, clipNorm: sweep.clipNorm })
  const K = stepsPerRun(sweep.trainingSteps)
  try {
    for (let done = 0; done < sweep.trainingSteps; done += K) {
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

interface Config {
  cell: Cell
  ci: number
  delay: number
  di: number
  trial: number
}

export const runDelaySweep: SweepRunner<'delay'> = async ({ sweep, rng, hooks, engine }) => {
  const profileDelay = sweep.profileDelay ?? Math.max(...sweep.delays)
  const configs: Config[] = sweep.cells.flatMap((cell, ci) => sweep.delays.flatMap((delay, di) => Array.from({ length: sweep.trials }, (_, trial) => ({ cell, ci, delay, di, trial }))))
  const total = configs.length * sweep.trainingSteps
  const base = rng.fork(0)
  const netFor = (c: Config): { net: RecurrentNet; data: Rng } => {
    const stream = base.fork(delayTrialStream(c.ci, c.di, c.trial))
    const net = initRecurrentNet(delayNetSpec(sweep.task, c.cell, sweep.hiddenSize), stream)
    // LSTM forget gate: PyTorch's init draws its bias like every other; +forgetBias starts it remembering (Jozefowicz et al. 2015).
    if (c.cell === 'lstm' && sweep.forgetBias !== 0) net.params['bias_ih_l0']!.subarray(sweep.hiddenSize, 2 * sweep.hiddenSize).forEach((v, j, f) => (f[j] = v + sweep.forgetBias))
    f32(net)
    return { net, data: stream.fork(1) }
  }
  const run = async (train: (c: Config, net: RecurrentNet, data: Rng, tick: () => void) => Promise<Trained>) => {
    let done = 0
    const tick = () => {
      done++
      if (done % 25 === 0 || done === total) hooks.onProgress?.(done / total)
    }
    const out: { c: Config; initial: RecurrentNet; trained: Trained }[] = []
    for (const c of configs) {
      const { net, data } = netFor(c)
      const initial = { spec: net.spec, params: Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, Float64Array.from(v)])) }
      out.push({ c, initial, trained: await train(c, net, data, tick) })
    }
    return out
  }
  let provider = ''
  let engineReason: string | undefined
  const { value: trainedAll, compute } = await withCoreFallback(
    true,
    async () => {
      const value = await run(async (c, net, data, tick) => {
        const r = await trainOnEngine(net, sweep, c.delay, data, engine, hooks, tick)
        provider = r.provider
        if (r.fallbackReason) engineReason = r.fallbackReason
        return r.trained
      })
      return { value, provider: `engine (${provider})`, ...(engineReason ? { fallbackReason: engineReason } : {}) }
    },
    () => run(async (c, net, data, tick) => trainOnCore(net, sweep, c.delay, data, hooks, tick))
  )

  // Scoring: the same fresh rows for every cell at a delay (a stream per delay, apart from the training streams).
  const evalRows = new Map(sweep.delays.map((delay, di) => [delay, delayBatch(sweep.task, delay, sweep.evalRows, base.fork(delayEvalStream(di)))]))
  const points = sweep.cells.flatMap((cell) =>
    sweep.delays.map((delay) => {
      const runs = trainedAll.filter((r) => r.c.cell === cell && r.c.delay === delay)
      const scores = runs.map((r) => evaluateDelay(r.trained.net, evalRows.get(delay)!))
      const mean = (f: (s: (typeof scores)[number]) => number) => scores.reduce((a, s) => a + f(s), 0) / scores.length
      const stops = runs.map((r) => r.trained.stopReason).filter((s): s is string => s !== null)
      return {
        cell,
        delay,
        trials: runs.length,
        accuracy: mean((s) => s.accuracy),
        accuracies: scores.map((s) => s.accuracy),
        loss: mean((s) => s.loss),
        ...(stops.length ? { stopReason: stops[0]! } : {})
      }
    })
  )
  // Profiles on the first trial at profileDelay, on (at most) 256 of the scoring rows.
  const profileRows = (() => {
    const all = evalRows.get(profileDelay)!
    const B = Math.min(256, all.batch)
    const T = all.steps
    const input = new Float64Array(T * B * DELAY_INPUTS)
    for (let t = 0; t < T; t++) input.set(all.input.subarray(t * all.batch * DELAY_INPUTS, (t * all.batch + B) * DELAY_INPUTS), t * B * DELAY_INPUTS)
    return { task: all.task, steps: T, batch: B, input, ...(all.classes ? { classes: all.classes.slice(0, B) } : { values: all.values!.slice(0, B) }) }
  })()
  const profiles = sweep.cells.map((cell) => {
    const r = trainedAll.find((x) => x.c.cell === cell && x.c.delay === profileDelay && x.c.trial === 0)!
    return { cell, delay: profileDelay, initial: Array.from(gradientProfile(r.initial, profileRows)), trained: Array.from(gradientProfile(r.trained.net, profileRows)) }
  })
  return {
    compute,
    sweep: { type: 'delay', task: sweep.task, baseline: DELAY_BASELINE[sweep.task], hiddenSize: sweep.hiddenSize, trainingSteps: sweep.trainingSteps, evalRows: sweep.evalRows, points, profiles }
  }
}

/** 002's vanishing and exploding gradients: ‖∂h_T/∂h_t‖ through the recurrent weights given (exact float64 core). */
export const runGradientFlowSweep: SweepRunner<'gradient-flow'> = ({ sweep }) => {
  const H = sweep.weights.length
  const g = gradientFlow(Float64Array.from(sweep.weights.flat()), H, sweep.steps, { nonlinearity: sweep.nonlinearity, ...(sweep.h0 ? { h0: Float64Array.from(sweep.h0) } : {}) })
  const jacobian = Array.from({ length: H }, (_, i) => Array.from(g.jacobian.subarray(i * H, (i + 1) * H)))
  return { compute: CORE_PATH, sweep: { type: 'gradient-flow', units: H, steps: sweep.steps, norms: Array.from(g.norms), jacobian } }
}
