// The training steps shared by the char-LM (recurrent.ts) and the sequence tasks (recurrent-task.ts): the engine's
// train-step program (buildRecurrentTrainStep + TrainStepRunner, K Adam steps per run, float32) or, when the engine
// cannot start, the core's RecurrentTrainer on the very same batches; NaN/Inf stops naming the step and the tensor with
// the last good weights kept; stateful truncated BPTT (the final state of a window starts the next, reset where a
// batch says so) on both paths.
// Legend: T steps, B batch, L layers, D directions, H hidden, K steps per engine run.
import { firstNonFinite, NonFiniteError, RecurrentTrainer, type RecurrentNet, type RecurrentSpec } from '../../core/recurrent'
import type { NamedTensor } from '../../core/safetensors'
import { adam } from '../../engine/optim/optimiser'
import { buildRecurrentTrainStep, programParamName, type EngineCell } from '../../engine/programs/recurrent'
import { TrainStepRunner, type BatchArray } from '../../engine/programs/train-step'

/** One training step's batch: tokens [T, B] or features [T, B, I]; class ids (negative: ignored) or values; dropout masks. */
export interface StepBatch {
  tokens?: Int32Array
  input?: Float64Array
  classes?: Int32Array
  values?: Float64Array
  masks: Float64Array[] | null
  /** Stateful training: false starts this window's streams from zero (a new pass over the data). */
  carry?: boolean
}

export interface StepperOptions {
  spec: RecurrentSpec
  /** The net to train (float32 values); the core trainer may train a copy (see `net`). */
  net: RecurrentNet
  steps: number
  batch: number
  /** Steps per engine run (1: a single-step program). */
  K: number
  learningRate: number
  clipNorm: number
  stateful: boolean
  provider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml'
  threads?: number | undefined
  /** Adam's moments by `name.slot` (core names) and the optimiser steps they stand for (a continued training). */
  moments?: Record<string, Float64Array> | null
  optimiserSteps?: number
  /** The carried state to start from (a continued stateful training), [L, B, H]. */
  carry?: { h0: Float64Array; c0?: Float64Array } | null
}

export interface StepperRun {
  losses: number[]
  /** Steps that finished in this call (K, or fewer when a NaN/Inf stopped it). */
  completed: number
  /** Why training must stop (a non-finite loss or weight, naming the step and the tensor), or null. */
  stopReason: string | null
}

const ADAM_SLOTS = ['exp_avg', 'exp_avg_sq'] as const

/**
 * After an engine run of K steps that began at step `done`: why training must stop (a non-finite loss, or a non-finite
 * weight, naming the step and the tensor), or null. `next` holds the run's weights under their program names.
 */
export function engineNonFinite(losses: readonly number[], next: Record<string, ArrayLike<number>>, names: readonly string[], done: number, K: number): string | null {
  const bad = losses.findIndex((l) => !Number.isFinite(l))
  if (bad >= 0) return `non-finite loss (${losses[bad]}) at step ${done + bad + 1}; weights kept from step ${done}`
  for (const name of names) {
    const a = next[programParamName(name)]!
    const i = firstNonFinite(a)
    if (i >= 0) return `non-finite ${name} (${a[i]}) after step ${done + K}; weights kept from step ${done}`
  }
  return null
}

export function engineCellOf(spec: RecurrentSpec): EngineCell {
  if (spec.cell === 'rnn') return spec.nonlinearity === 'relu' ? 'rnn-relu' : 'rnn-tanh'
  if (spec.cell === 'gru') return spec.gruForm === 'original' ? 'gru-original' : 'gru'
  return 'lstm'
}

/** Trains a recurrent net step by step on the engine, or on the core where the engine cannot start (with the reason). */
export class RecurrentStepper {
  private constructor(
    private readonly opts: StepperOptions,
    private readonly runner: TrainStepRunner | null,
    private readonly trainer: RecurrentTrainer | null,
    /** Why the core trains (the engine's failure), or null. */
    readonly fallbackReason: string | null
  ) {}

  static async create(opts: StepperOptions): Promise<RecurrentStepper> {
    const { spec, K } = opts
    const head = spec.head!
    const lstm = spec.cell === 'lstm'
    const programName = (k: string) => `${programParamName(k.slice(0, k.lastIndexOf('.')))}${k.slice(k.lastIndexOf('.'))}`
    try {
      const program = buildRecurrentTrainStep({
        cell: engineCellOf(spec),
        ...(spec.peephole ? { peephole: true } : {}),
        ...(spec.coupled ? { coupled: true } : {}),
        steps: opts.steps,
        batch: opts.batch,
        inputSize: spec.inputSize,
        hiddenSize: spec.hiddenSize,
        numLayers: spec.numLayers,
        bidirectional: spec.bidirectional,
        outputSize: head.outputSize,
        headOn: head.on,
        headLoss: head.loss,
        ...(spec.vocabSize !== undefined ? { vocabSize: spec.vocabSize } : {}),
        ...(spec.dropout > 0 ? { dropoutMask: true } : {}),
        ...(opts.stateful ? { stateful: true } : {}),
        optimiser: adam(opts.clipNorm > 0 ? { maxGradNorm: opts.clipNorm } : {}),
        ...(K > 1 ? { stepsPerRun: K } : {}),
        dtype: 'float32'
      })
      const init = Object.fromEntries(Object.entries(opts.net.params).map(([k, v]) => [programParamName(k), v]))
      const state = opts.moments ? Object.fromEntries(Object.entries(opts.moments).map(([k, v]) => [programName(k), v])) : undefined
      const carry = opts.carry ? { h0: opts.carry.h0, ...(lstm && opts.carry.c0 ? { c0: opts.carry.c0 } : {}) } : undefined
      const runner = await TrainStepRunner.create(
        program,
        { params: init, ...(state ? { state, stepsTaken: opts.optimiserSteps ?? 0 } : {}), ...(carry ? { carry } : {}) },
        { provider: opts.provider, ...(opts.threads ? { threads: opts.threads } : {}) }
      )
      return new RecurrentStepper(opts, runner, null, null)
    } catch (error) {
      const optimiser = { kind: 'adam' as const, learningRate: opts.learningRate, clipNorm: opts.clipNorm }
      const split = (m: Record<string, Float64Array>, slot: string) => Object.fromEntries(Object.keys(opts.net.params).map((k) => [k, m[`${k}.${slot}`]!]))
      const carry = opts.carry ? { h: opts.carry.h0, ...(opts.carry.c0 ? { c: opts.carry.c0 } : {}) } : {}
      const trainer = opts.moments
        ? RecurrentTrainer.restore(spec, { step: opts.optimiserSteps ?? 0, params: opts.net.params, moments: { exp_avg: split(opts.moments, 'exp_avg'), exp_avg_sq: split(opts.moments, 'exp_avg_sq') }, ...carry }, optimiser, opts.stateful)
        : new RecurrentTrainer(opts.net, optimiser, opts.stateful)
      if (!opts.moments && opts.carry) {
        trainer.h = Float64Array.from(opts.carry.h0)
        if (opts.carry.c0) trainer.c = Float64Array.from(opts.carry.c0)
      }
      return new RecurrentStepper(opts, null, trainer, `engine unavailable: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  /** The net being trained (the core trainer restored from a state trains its own copy). */
  get net(): RecurrentNet {
    return this.trainer ? this.trainer.net : this.opts.net
  }

  /** 'engine (cpu)' or 'core'. */
  get provider(): string {
    return this.runner ? `engine (${this.runner.provider})` : 'core'
  }

  /** Runs the K batches (one engine run, or K core steps); `done` steps were taken before (for the messages). */
  async run(batches: readonly StepBatch[], done: number): Promise<StepperRun> {
    const { net } = this
    if (this.runner) {
      const f32 = (xs: readonly Float64Array[]) => {
        const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0))
        let at = 0
        for (const x of xs) {
          out.set(x, at)
          at += x.length
        }
        return out
      }
      const int64 = (xs: readonly Int32Array[]) => BigInt64Array.from(xs.flatMap((x) => Array.from(x, BigInt)))
      const b0 = batches[0]!
      const B = this.opts.batch
      const S = this.opts.spec.numLayers * (this.opts.spec.bidirectional ? 2 : 1) * B * this.opts.spec.hiddenSize
      const zeros = new Float32Array(batches.length * S)
      const feeds: Record<string, BatchArray> = {
        ...(b0.tokens ? { tokens: int64(batches.map((b) => b.tokens!)) } : { x: f32(batches.map((b) => b.input!)) }),
        ...(this.opts.stateful
          ? { state_keep: Float32Array.from(batches.flatMap((b) => new Array<number>(B).fill(b.carry === false ? 0 : 1))) }
          : { h0: zeros, ...(this.opts.spec.cell === 'lstm' ? { c0: zeros } : {}) }),
        ...(b0.masks ? { dropout_mask: f32(batches.flatMap((b) => b.masks!)) } : {}),
        targets: b0.values ? f32(batches.map((b) => b.values!)) : int64(batches.map((b) => b.classes!))
      }
      const r = await this.runner.run(feeds, this.opts.learningRate)
      const next = this.runner.getParams()
      const stopReason = engineNonFinite(r.loss, next, Object.keys(net.params), done, batches.length)
      if (stopReason) return { losses: r.loss, completed: 0, stopReason }
      for (const name of Object.keys(net.params)) net.params[name] = Float64Array.from(next[programParamName(name)]!)
      return { losses: r.loss, completed: batches.length, stopReason: null }
    }
    const trainer = this.trainer!
    const losses: number[] = []
    for (const b of batches) {
      if (this.opts.stateful && b.carry === false) trainer.resetState()
      const seq = { steps: this.opts.steps, batch: this.opts.batch, ...(b.tokens ? { tokens: b.tokens } : { input: b.input! }) }
      try {
        losses.push(trainer.step(seq, b.values ? { values: b.values } : { classes: b.classes! }, b.masks ? { train: true, dropoutMasks: b.masks } : {}).loss)
      } catch (error) {
        if (!(error instanceof NonFiniteError)) throw error
        return { losses, completed: losses.length, stopReason: `${error.message}; weights kept from step ${trainer.stepCount}` }
      }
    }
    return { losses, completed: batches.length, stopReason: null }
  }

  /** Adam's moments as session tensors `optim/<name>.exp_avg` / `.exp_avg_sq` (float32); {} before the first step. */
  adamTensors(shapes: Map<string, number[]>): Record<string, NamedTensor> {
    const engine = this.runner?.stateDict() ?? null
    const core = this.trainer?.getState() ?? null
    const out: Record<string, NamedTensor> = {}
    for (const [name, shape] of shapes) {
      for (const slot of ADAM_SLOTS) {
        const data = engine ? engine[`${programParamName(name)}.${slot}`]?.data : core?.moments?.[slot][name]
        if (!data) return {}
        out[`optim/${name}.${slot}`] = { dtype: 'float32', shape: [...shape], data: Float32Array.from(data) }
      }
    }
    return out
  }

  /** A stateful training's carried state after the last step ([L, B, H]; c0 for an LSTM), or null (stateless, or none yet). */
  carried(): { h0: Float64Array; c0?: Float64Array } | null {
    if (!this.opts.stateful) return null
    if (this.runner) {
      const c = this.runner.getCarry()
      return { h0: Float64Array.from(c.h0!), ...(c.c0 ? { c0: Float64Array.from(c.c0) } : {}) }
    }
    const t = this.trainer!
    return t.h ? { h0: Float64Array.from(t.h), ...(t.c ? { c0: Float64Array.from(t.c) } : {}) } : null
  }

  release(): Promise<void> {
    return this.runner?.release() ?? Promise.resolve()
  }
}

/** A stateful training's carried state as session tensors `optim/state.h0` (and `.c0`), float32 [L, B, H]. */
export function carryTensors(carry: { h0: Float64Array; c0?: Float64Array } | null, shape: number[]): Record<string, NamedTensor> {
  if (!carry) return {}
  const t = (v: Float64Array): NamedTensor => ({ dtype: 'float32', shape: [...shape], data: Float32Array.from(v) })
  return { 'optim/state.h0': t(carry.h0), ...(carry.c0 ? { 'optim/state.c0': t(carry.c0) } : {}) }
}
