// Recurrent network training (exact float64 reference): head losses, gradient clipping by global norm, NaN/Inf
// detection that names the training step and tensor, SGD/Adam updates, truncated BPTT carrying state across windows.
// Reference: seeds/002 (BPTT, exploding/vanishing gradients, many-to-one/many-to-many), seeds/001 (vanishing gradients);
// PyTorch CrossEntropyLoss/MSELoss (mean reduction), clip_grad_norm_ (scale max_norm/(‖g‖ + 1e−6) when below 1);
// Kingma & Ba 2015 (Adam); Williams & Peng 1990 (truncated BPTT).
// Legend: logits [N, O] (N = T·B for head.on 'all', B for 'last'), class targets [N] (a negative id is ignored),
// regression targets [N, O]; windows are consecutive [k·W, (k+1)·W) slices of a [T, B] sequence.

import { backward, firstNonFinite, forward, NonFiniteError, type ForwardOptions, type Gradients, type SequenceBatch } from './network'
import { checkParams, cloneParams, RecurrentSpecError, type Params, type RecurrentNet, type RecurrentSpec } from './spec'

export interface LossResult {
  loss: number
  dLogits: Float64Array
}

/** Mean softmax cross-entropy over the rows whose target is ≥ 0 (PyTorch CrossEntropyLoss, reduction 'mean'). */
export function softmaxCrossEntropy(logits: Float64Array, targets: Int32Array, classes: number): LossResult {
  const rows = logits.length / classes
  if (targets.length !== rows) throw new RangeError(`targets must have ${rows} class ids, got ${targets.length}`)
  const dLogits = new Float64Array(logits.length)
  let loss = 0
  let counted = 0
  for (let n = 0; n < rows; n++) if (targets[n]! >= 0) counted++
  if (counted === 0) return { loss: 0, dLogits }
  for (let n = 0; n < rows; n++) {
    const y = targets[n]!
    if (y < 0) continue
    if (y >= classes) throw new RangeError(`targets[${n}] = ${y} is not a class id below ${classes}`)
    let m = -Infinity
    for (let o = 0; o < classes; o++) m = Math.max(m, logits[n * classes + o]!)
    let sum = 0
    for (let o = 0; o < classes; o++) sum += Math.exp(logits[n * classes + o]! - m)
    const logZ = m + Math.log(sum)
    loss += logZ - logits[n * classes + y]!
    for (let o = 0; o < classes; o++) dLogits[n * classes + o] = (Math.exp(logits[n * classes + o]! - logZ) - (o === y ? 1 : 0)) / counted
  }
  return { loss: loss / counted, dLogits }
}

/** Mean squared error over every element (PyTorch MSELoss, reduction 'mean'). */
export function meanSquaredError(outputs: Float64Array, targets: Float64Array): LossResult {
  if (targets.length !== outputs.length) throw new RangeError(`targets must have ${outputs.length} values, got ${targets.length}`)
  const dLogits = new Float64Array(outputs.length)
  let loss = 0
  for (let i = 0; i < outputs.length; i++) {
    const e = outputs[i]! - targets[i]!
    loss += e * e
    dLogits[i] = (2 * e) / outputs.length
  }
  return { loss: loss / outputs.length, dLogits }
}

export interface Targets {
  /** Class ids for a softmax-ce head. */
  classes?: Int32Array
  /** Values for an mse head. */
  values?: Float64Array
}

export interface LossAndGradients {
  loss: number
  grads: Gradients
  /** Final states, to carry into the next window. */
  hn: Float64Array
  cn: Float64Array | null
}

/** Forward, the head's loss and full BPTT in one call. */
export function lossAndGradients(net: RecurrentNet, batch: SequenceBatch, targets: Targets, opts: ForwardOptions = {}): LossAndGradients {
  const head = net.spec.head
  if (!head) throw new RecurrentSpecError('head', 'is required to compute a loss')
  const fwd = forward(net, batch, opts)
  let lr: LossResult
  if (head.loss === 'softmax-ce') {
    if (!targets.classes) throw new RangeError('targets.classes is required for a softmax-ce head')
    lr = softmaxCrossEntropy(fwd.logits!, targets.classes, head.outputSize)
  } else {
    if (!targets.values) throw new RangeError('targets.values is required for an mse head')
    lr = meanSquaredError(fwd.logits!, targets.values)
  }
  const grads = backward(net, fwd, { dLogits: lr.dLogits })
  return { loss: lr.loss, grads, hn: fwd.hn, cn: fwd.cn }
}

/** The global L2 norm of all gradients. */
export function globalNorm(grads: Params): number {
  let s = 0
  for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!
  return Math.sqrt(s)
}

/** Scales `grads` in place so their global norm is at most maxNorm (PyTorch clip_grad_norm_); returns the norm before. */
export function clipGradNorm(grads: Params, maxNorm: number): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new RecurrentSpecError('clipNorm', `must be a positive finite number, got ${maxNorm}`)
  const norm = globalNorm(grads)
  const scale = maxNorm / (norm + 1e-6)
  if (scale < 1) for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i]! *= scale
  return norm
}

/** Throws NonFiniteError naming the tensor (and training step) of the first NaN/±Inf in `tensors`. */
export function assertFinite(tensors: Params, step: number, context: string): void {
  for (const [name, a] of Object.entries(tensors)) {
    const i = firstNonFinite(a)
    if (i >= 0) throw new NonFiniteError({ tensor: name, step, index: i, value: a[i]! }, context)
  }
}

export interface OptimiserSpec {
  kind: 'sgd' | 'adam'
  learningRate: number
  /** Adam β1, β2, ε; defaults 0.9, 0.999, 1e−8. */
  beta1?: number
  beta2?: number
  epsilon?: number
  /** Global-norm clipping; default 5 (on by default). 0 turns it off. */
  clipNorm?: number
}

/** Safe defaults: Adam, learning rate 2e−3, clipping at global norm 5. */
export const DEFAULT_OPTIMISER: OptimiserSpec = { kind: 'adam', learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, clipNorm: 5 }

export function validateOptimiser(o: OptimiserSpec): void {
  if (o.kind !== 'sgd' && o.kind !== 'adam') throw new RecurrentSpecError('optimiser.kind', `must be "sgd" or "adam", got ${JSON.stringify(o.kind)}`)
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate)) throw new RecurrentSpecError('optimiser.learningRate', `must be a positive finite number, got ${o.learningRate}`)
  for (const f of ['beta1', 'beta2'] as const) {
    const v = o[f]
    if (v !== undefined && !(v >= 0 && v < 1)) throw new RecurrentSpecError(`optimiser.${f}`, `must be in [0, 1), got ${v}`)
  }
  if (o.epsilon !== undefined && !(o.epsilon > 0)) throw new RecurrentSpecError('optimiser.epsilon', `must be positive, got ${o.epsilon}`)
  if (o.clipNorm !== undefined && !(o.clipNorm >= 0 && Number.isFinite(o.clipNorm))) throw new RecurrentSpecError('optimiser.clipNorm', `must be ≥ 0 and finite, got ${o.clipNorm}`)
}

export interface TrainerState {
  /** Steps taken. */
  step: number
  params: Params
  moments: { exp_avg: Params; exp_avg_sq: Params } | null
  /** Carried state of a stateful trainer. */
  h?: Float64Array
  c?: Float64Array
}

export interface StepReport {
  step: number
  loss: number
  /** Global gradient norm before clipping. */
  gradNorm: number
  clipped: boolean
}

/**
 * Stateful trainer: each `step` runs one window (forward, loss, BPTT), clips, checks every gradient and updated weight
 * for NaN/Inf and updates the net. With `stateful`, the final states become the next window's initial states
 * (truncated BPTT: gradients stop at the window boundary). On a non-finite value it throws NonFiniteError naming the
 * step and the tensor, and the net keeps its last good weights.
 */
export class RecurrentTrainer {
  private m: Params | null = null
  private v: Params | null = null
  private steps = 0
  h: Float64Array | undefined
  c: Float64Array | undefined

  constructor(
    readonly net: RecurrentNet,
    readonly optimiser: OptimiserSpec = DEFAULT_OPTIMISER,
    readonly stateful = false
  ) {
    validateOptimiser(optimiser)
  }

  get stepCount(): number {
    return this.steps
  }

  /** Everything needed to resume exactly (copies): weights, Adam moments (torch's exp_avg / exp_avg_sq), step, carried state. */
  getState(): TrainerState {
    const copy = (a: Float64Array | undefined) => (a ? Float64Array.from(a) : undefined)
    return {
      step: this.steps,
      params: cloneParams(this.net.params),
      moments: this.m && this.v ? { exp_avg: cloneParams(this.m), exp_avg_sq: cloneParams(this.v) } : null,
      ...(this.h ? { h: copy(this.h)! } : {}),
      ...(this.c ? { c: copy(this.c)! } : {})
    }
  }

  /** A trainer that continues from `state` as if it had never stopped. */
  static restore(spec: RecurrentSpec, state: TrainerState, optimiser: OptimiserSpec = DEFAULT_OPTIMISER, stateful = false): RecurrentTrainer {
    if (!Number.isSafeInteger(state.step) || state.step < 0) throw new RecurrentSpecError('state.step', `must be an integer ≥ 0, got ${state.step}`)
    checkParams(spec, state.params)
    const tr = new RecurrentTrainer({ spec, params: cloneParams(state.params) }, optimiser, stateful)
    if (state.moments) {
      for (const slot of ['exp_avg', 'exp_avg_sq'] as const) {
        try {
          checkParams(spec, state.moments[slot])
        } catch (e) {
          throw new RecurrentSpecError(`state.moments.${slot}`, (e as Error).message)
        }
      }
      tr.m = cloneParams(state.moments.exp_avg)
      tr.v = cloneParams(state.moments.exp_avg_sq)
    }
    tr.steps = state.step
    if (state.h) tr.h = Float64Array.from(state.h)
    if (state.c) tr.c = Float64Array.from(state.c)
    return tr
  }

  /** Forget the carried state (start of a new pass over the data). */
  resetState(): void {
    this.h = undefined
    this.c = undefined
  }

  step(batch: SequenceBatch, targets: Targets, opts: ForwardOptions = {}): StepReport {
    const step = this.steps + 1
    const b: SequenceBatch = this.stateful ? { ...batch, ...(this.h ? { h0: this.h } : {}), ...(this.c ? { c0: this.c } : {}) } : batch
    let r: LossAndGradients
    try {
      r = lossAndGradients(this.net, b, targets, opts)
    } catch (e) {
      if (e instanceof NonFiniteError) throw new NonFiniteError({ ...e.where, step }, 'forward pass; weights kept from the last good step')
      throw e
    }
    if (!Number.isFinite(r.loss)) throw new NonFiniteError({ tensor: 'loss', step, index: 0, value: r.loss }, 'weights kept from the last good step')
    assertFinite(r.grads.params, step, 'gradient; weights kept from the last good step')
    const clip = this.optimiser.clipNorm ?? 5
    const gradNorm = clip > 0 ? clipGradNorm(r.grads.params, clip) : globalNorm(r.grads.params)
    const next = this.update(r.grads.params, step)
    assertFinite(next.params, step, 'updated weight; weights kept from the last good step')
    // Weights and moments are committed together, only after the check.
    this.net.params = next.params
    if (next.moments) [this.m, this.v] = next.moments
    this.steps = step
    if (this.stateful) {
      this.h = r.hn
      this.c = r.cn ?? undefined
    }
    return { step, loss: r.loss, gradNorm, clipped: clip > 0 && gradNorm > clip }
  }

  private update(g: Params, step: number): { params: Params; moments: [Params, Params] | null } {
    const o = this.optimiser
    const next = cloneParams(this.net.params)
    if (o.kind === 'sgd') {
      for (const [k, w] of Object.entries(next)) for (let i = 0; i < w.length; i++) w[i]! -= o.learningRate * g[k]![i]!
      return { params: next, moments: null }
    }
    const b1 = o.beta1 ?? 0.9
    const b2 = o.beta2 ?? 0.999
    const eps = o.epsilon ?? 1e-8
    const m = this.m ?? Object.fromEntries(Object.entries(g).map(([k, a]) => [k, new Float64Array(a.length)]))
    const v = this.v ?? Object.fromEntries(Object.entries(g).map(([k, a]) => [k, new Float64Array(a.length)]))
    const nm = cloneParams(m)
    const nv = cloneParams(v)
    const c1 = 1 - b1 ** step
    const c2 = 1 - b2 ** step
    for (const [k, w] of Object.entries(next)) {
      const gk = g[k]!
      const mk = nm[k]!
      const vk = nv[k]!
      for (let i = 0; i < w.length; i++) {
        mk[i] = b1 * mk[i]! + (1 - b1) * gk[i]!
        vk[i] = b2 * vk[i]! + (1 - b2) * gk[i]! * gk[i]!
        w[i]! -= (o.learningRate * (mk[i]! / c1)) / (Math.sqrt(vk[i]! / c2) + eps)
      }
    }
    return { params: next, moments: [nm, nv] }
  }
}

/** The window [start, start + length) of a [T, B, …] sequence laid out time-major (`width` values per step and row). */
export function sliceSteps<A extends Float64Array | Int32Array>(a: A, batch: number, width: number, start: number, length: number): A {
  return a.slice(start * batch * width, (start + length) * batch * width) as A
}
