// ONNX programs for RBMs: a CD-k / PCD-k update (optionally K minibatches in one Loop) and a block-Gibbs sampling chain.
//
// Reference: seeds/004 (RBM conditionals, contrastive divergence ⟨v_i h_j⟩⁰ − ⟨v_i h_j⟩^k, continuous-valued RBMs) and
// seeds/001 (CD); the exact float64 reference is src/core/rbm.ts (same update, same noise layout, same names).
// Legend: V visible (features then C label units), H hidden, B batch rows, Bn negative-chain rows (B for CD, the number
// of persistent chains for PCD), k Gibbs steps, S minibatch steps per run (Loop), W [V,H], b [V], c [H], z = log σ² [V].
// x = v·e^{−z} on Gaussian feature units (v elsewhere); p(h|v) = Sigmoid(Gemm(x, W, c)); E[v|h] = Gemm(h, W, b, transB=1)
// then Sigmoid (Bernoulli), identity (Gaussian), Softmax over the label group.
// Noise as inputs (default): noise_hidden [k,Bn,H] uniform, noise_visible [k,Bn,V] (uniform; N(0,1) on Gaussian feature
// columns; the label group reads its column F); with S > 1 both gain a leading [S] axis. Fed the arrays core's
// drawCdNoise makes, the graph reproduces core's samples exactly (float32 arithmetic otherwise).
// Noise in the graph (noise: { seed }): RandomUniformLike/RandomNormalLike with fixed seed attributes; reproducible for a
// given model and run sequence, but not the numbers core draws, and changing the seed means rebuilding the model.
import { buildModel, DATA_TYPE, GraphBuilder, tensor } from '../onnx/builder'

export type RbmVisibleUnits = 'bernoulli' | 'gaussian'

export interface RbmUnitsOptions {
  visible: number
  hidden: number
  visibleUnits?: RbmVisibleUnits
  /** C: the last C visible units are one softmax group (0 = none). */
  labelUnits?: number
  /** Noise source: 'input' (default; reproducible against core) or in-graph generators with this seed. */
  noise?: 'input' | { seed: number }
}

export interface RbmTrainModelOptions extends RbmUnitsOptions {
  /** Gibbs steps k; default 1. */
  k?: number
  /** PCD: the negative phase runs from `chains` and returns `chains_out`. */
  persistent?: boolean
  /** CD: sample the reconstructions instead of using their mean (PCD always samples). */
  sampleVisible?: boolean
  /** Velocities as inputs/outputs and a `momentum` input. */
  momentum?: boolean
  /** A `weight_decay` input (L2 on W). */
  weightDecay?: boolean
  /** Sparsity target on the hidden biases: inputs sparsity_target, sparsity_cost, sparsity_decay, hidden_activity. */
  sparsity?: boolean
  /** Gaussian units: learn log σ² (inputs sigma_lr_scale, min_log_variance, max_log_variance). */
  learnSigma?: boolean
  /** S minibatch updates per run inside an ONNX Loop (weights stay in the runtime); default 1 (no Loop). */
  stepsPerRun?: number
  /**
   * How the W update's two outer products are formed: 'accumulate' (two Gemms, each adding into the previous
   * result through Gemm's C input) or 'concat' (one Gemm over [x⁰; x^k]ᵀ·[s⁰; s^k], K = B + Bn). Default 'accumulate'.
   */
  outerProduct?: 'accumulate' | 'concat'
  /** Output the reconstruction error (CD only); default true. */
  reconstructionError?: boolean
  metadata?: Record<string, string>
}

/** Graph value names (inputs, then `<name>_out` outputs). */
export const RBM_IO = {
  data: 'visible_data',
  weights: 'weights',
  visibleBias: 'visible_bias',
  hiddenBias: 'hidden_bias',
  logVariance: 'log_variance',
  learningRate: 'learning_rate',
  momentum: 'momentum',
  weightDecay: 'weight_decay',
  velocityWeights: 'velocity_weights',
  velocityVisibleBias: 'velocity_visible_bias',
  velocityHiddenBias: 'velocity_hidden_bias',
  velocityLogVariance: 'velocity_log_variance',
  sparsityTarget: 'sparsity_target',
  sparsityCost: 'sparsity_cost',
  sparsityDecay: 'sparsity_decay',
  hiddenActivity: 'hidden_activity',
  sigmaLearningRateScale: 'sigma_lr_scale',
  minLogVariance: 'min_log_variance',
  maxLogVariance: 'max_log_variance',
  chains: 'chains',
  noiseHidden: 'noise_hidden',
  noiseVisible: 'noise_visible',
  reconstructionError: 'reconstruction_error',
  // Gibbs program
  visibleInit: 'visible_init',
  clamp: 'clamp',
  steps: 'steps',
  visibleOut: 'visible_out',
  visibleMeanOut: 'visible_mean_out',
  hiddenOut: 'hidden_out'
} as const

export const rbmOutputName = (input: string): string => `${input}_out`

/** TensorProto type of the program's float values, for Cast and dtype attributes. */
const FLOAT = DATA_TYPE.float32

interface Units {
  V: number
  H: number
  C: number
  F: number
  gaussian: boolean
}

function checkUnits(opts: RbmUnitsOptions): Units {
  const { visible: V, hidden: H } = opts
  for (const [name, n] of [
    ['visible', V],
    ['hidden', H]
  ] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`)
  }
  const C = opts.labelUnits ?? 0
  if (!Number.isInteger(C) || C < 0 || C === 1 || C >= V) throw new RangeError(`labelUnits must be 0 or an integer in 2..${V - 1}, got ${C}`)
  if (opts.noise !== undefined && opts.noise !== 'input' && !Number.isFinite(opts.noise.seed)) {
    throw new RangeError('noise.seed must be a finite number')
  }
  return { V, H, C, F: V - C, gaussian: opts.visibleUnits === 'gaussian' }
}

/** Source of one step's random numbers: slices of input tensors, or in-graph generators. */
interface NoiseSource {
  /** Uniforms shaped like `like` [Bn,H] for hidden sweep t. */
  hidden(t: number, like: string): string
  /** Visible noise for sweep t: feature part [Bn,F] (uniform or normal) and the label uniform [Bn,1]. */
  visible(t: number, featureLike: string, labelLike: string | null): { features: string; label: string | null }
}

/** Emits the RBM building blocks into one graph (main graph or Loop body); constants are made on first use. */
class RbmEmitter {
  /** e^{−z} on features and 1 on labels [V]; null for Bernoulli units. */
  invVariance: string | null = null
  /** σ = e^{z/2} on features [F]; null for Bernoulli units. */
  sigmaFeatures: string | null = null
  private readonly consts = new Map<string, string>()

  constructor(
    readonly g: GraphBuilder,
    readonly u: Units,
    readonly W: string,
    readonly b: string,
    readonly c: string,
    z: string | null
  ) {
    if (u.gaussian && z) {
      const inv = g.node('Exp', [g.node('Neg', [z])])
      const zFeat = this.featureSlice(z, true)
      this.sigmaFeatures = g.node('Exp', [g.node('Mul', [zFeat, this.float(0.5)])])
      this.invVariance = u.C > 0 ? g.node('Concat', [this.featureSlice(inv, true), g.constFloat(new Array<number>(u.C).fill(1), 'ones_c')], { axis: 0 }) : inv
    }
  }

  private memo(key: string, make: () => string): string {
    let v = this.consts.get(key)
    if (v === undefined) {
      v = make()
      this.consts.set(key, v)
    }
    return v
  }

  /** A float32 scalar constant. */
  float(x: number): string {
    return this.memo(`f${x}`, () => this.g.constFloat(x, 'c'))
  }

  /** An int64 1-D constant [x]. */
  ints(x: number): string {
    return this.memo(`i${x}`, () => this.g.constInt64([x], 'i'))
  }

  /** An int64 scalar constant. */
  intScalar(x: number): string {
    return this.memo(`s${x}`, () => this.g.constInt64(x, 'is'))
  }

  /** Columns 0..F of a [rows,V] value (or entries 0..F of a [V] vector with `vector`). */
  featureSlice(x: string, vector = false): string {
    if (this.u.C === 0) return x
    return this.g.node('Slice', [x, this.ints(0), this.ints(this.u.F), this.ints(vector ? 0 : 1)])
  }

  labelSlice(x: string): string {
    return this.g.node('Slice', [x, this.ints(this.u.F), this.ints(this.u.V), this.ints(1)])
  }

  /** x = v·e^{−z} (Gaussian features), else v. */
  scaled(v: string): string {
    return this.invVariance ? this.g.node('Mul', [v, this.invVariance]) : v
  }

  hiddenProbabilities(x: string): string {
    return this.g.node('Sigmoid', [this.g.node('Gemm', [x, this.W, this.c])])
  }

  bernoulli(p: string, uniform: string): string {
    return this.g.node('Cast', [this.g.node('Less', [uniform, p])], { to: FLOAT })
  }

  visibleMean(h: string): string {
    const g = this.g
    const mu = g.node('Gemm', [h, this.W, this.b], { transB: 1 })
    const feat = this.u.gaussian ? this.featureSlice(mu) : g.node('Sigmoid', [this.featureSlice(mu)])
    if (this.u.C === 0) return feat
    return g.node('Concat', [feat, g.node('Softmax', [this.labelSlice(mu)], { axis: 1 })], { axis: 1 })
  }

  /** A sample of v from its mean (see core sampleVisible for the rules). */
  sampleVisible(mean: string, noise: NoiseSource, t: number): string {
    const g = this.g
    const { C } = this.u
    const meanFeat = this.featureSlice(mean)
    const labelProbs = C > 0 ? this.labelSlice(mean) : null
    // [Bn,1]: the shape of the label group's single uniform.
    const labelLike = labelProbs ? g.node('Slice', [labelProbs, this.ints(0), this.ints(1), this.ints(1)]) : null
    const n = noise.visible(t, meanFeat, labelLike)
    const feat = this.u.gaussian ? g.node('Add', [meanFeat, g.node('Mul', [this.sigmaFeatures!, n.features])]) : this.bernoulli(meanFeat, n.features)
    if (!labelProbs) return feat
    // ind_j = [u < Σ_{l≤j} p_l] for j < C−1 and 1 for the last; one-hot = ind_j − ind_{j−1}.
    const u = n.label!
    const cum = g.node('CumSum', [labelProbs, this.intScalar(1)])
    const head = g.node('Slice', [cum, this.ints(0), this.ints(this.u.C - 1), this.ints(1)])
    const ind = g.node('Cast', [g.node('Less', [u, head])], { to: FLOAT })
    const ones = g.node('Cast', [g.node('Less', [u, this.float(2)])], { to: FLOAT })
    const zeros = g.node('Cast', [g.node('Less', [u, this.float(-1)])], { to: FLOAT })
    const upper = g.node('Concat', [ind, ones], { axis: 1 })
    const lower = g.node('Concat', [zeros, ind], { axis: 1 })
    return g.node('Concat', [feat, g.node('Sub', [upper, lower])], { axis: 1 })
  }

  /** Σ over rows → [cols]. */
  sumRows(x: string): string {
    return this.g.node('ReduceSum', [x, this.ints(0)], { keepdims: 0 })
  }

  /** 1 / (number of rows of x), a float scalar. */
  inverseRows(x: string): string {
    const g = this.g
    const rows = g.node('Gather', [g.node('Shape', [x]), this.intScalar(0)], { axis: 0 })
    return g.node('Reciprocal', [g.node('Cast', [rows], { to: FLOAT })])
  }
}

/** Noise from input tensors: `hiddenAt(t)` [Bn,H] and `visibleAt(t)` [Bn,V] give sweep t's arrays. */
function inputNoise(e: RbmEmitter, hiddenAt: (t: number) => string, visibleAt: ((t: number) => string) | null): NoiseSource {
  const g = e.g
  return {
    hidden: (t) => hiddenAt(t),
    visible: (t) => {
      if (!visibleAt) throw new Error('this program has no visible noise input')
      const row = visibleAt(t)
      return {
        features: e.featureSlice(row),
        label: e.u.C > 0 ? g.node('Slice', [row, e.ints(e.u.F), e.ints(e.u.F + 1), e.ints(1)]) : null
      }
    }
  }
}

/** Sweep t of a [k,Bn,·] noise tensor. */
function sweepOf(e: RbmEmitter, x: string): (t: number) => string {
  return (t) => e.g.node('Gather', [x, e.intScalar(t)], { axis: 0 })
}

/** In-graph generators; every node gets its own seed so no two streams coincide. */
function graphNoise(e: RbmEmitter, seed: number, stream: number): NoiseSource {
  const g = e.g
  const s = (slot: number): number => seed + 1009 * stream + 17 * slot
  return {
    hidden: (t, like) => g.node('RandomUniformLike', [like], { dtype: FLOAT, low: 0, high: 1, seed: s(3 * t) }),
    visible: (t, featureLike, labelLike) => ({
      features: e.u.gaussian
        ? g.node('RandomNormalLike', [featureLike], { dtype: FLOAT, mean: 0, scale: 1, seed: s(3 * t + 1) })
        : g.node('RandomUniformLike', [featureLike], { dtype: FLOAT, low: 0, high: 1, seed: s(3 * t + 1) }),
      label: labelLike ? g.node('RandomUniformLike', [labelLike], { dtype: FLOAT, low: 0, high: 1, seed: s(3 * t + 2) }) : null
    })
  }
}

interface StepState {
  W: string
  b: string
  c: string
  z: string | null
  velW: string | null
  velb: string | null
  velc: string | null
  velz: string | null
  q: string | null
  chains: string | null
}

interface Hyper {
  lr: string
  mom: string | null
  wd: string | null
  spTarget: string | null
  spCost: string | null
  spDecay: string | null
  zScale: string | null
  zMin: string | null
  zMax: string | null
}

interface StepResult extends StepState {
  err: string | null
}

/** One CD-k / PCD-k update; mirrors core cdStep term by term. */
function emitStep(
  g: GraphBuilder,
  u: Units,
  opts: RbmTrainModelOptions,
  st: StepState,
  hp: Hyper,
  v0: string,
  noiseFor: (e: RbmEmitter) => NoiseSource
): StepResult {
  const e = new RbmEmitter(g, u, st.W, st.b, st.c, st.z)
  const noise = noiseFor(e)
  const k = opts.k ?? 1
  const persistent = opts.persistent === true
  const sampleVis = persistent || opts.sampleVisible === true

  const x0 = e.scaled(v0)
  const ph0 = e.hiddenProbabilities(x0)
  let vk: string
  let xk: string
  let phk: string
  let err: string | null = null
  let chainsOut: string | null = null
  if (persistent) {
    vk = st.chains!
    phk = e.hiddenProbabilities(e.scaled(vk))
    for (let t = 0; t < k; t++) {
      const h = e.bernoulli(phk, noise.hidden(t, phk))
      vk = e.sampleVisible(e.visibleMean(h), noise, t)
      xk = e.scaled(vk)
      phk = e.hiddenProbabilities(xk)
    }
    chainsOut = vk
  } else {
    let h = e.bernoulli(ph0, noise.hidden(0, ph0))
    vk = v0
    phk = ph0
    for (let t = 1; t <= k; t++) {
      const mean = e.visibleMean(h)
      if (t === 1 && opts.reconstructionError !== false) {
        // mean((v⁰ − E[v¹|h⁰])²) = Σ(…)² · (1/B) · (1/V)
        const sq = g.node('ReduceSumSquare', [g.node('Sub', [v0, mean])], { keepdims: 0 })
        err = g.node('Mul', [g.node('Mul', [sq, e.inverseRows(v0)]), e.float(1 / u.V)])
      }
      vk = sampleVis ? e.sampleVisible(mean, noise, t - 1) : mean
      phk = e.hiddenProbabilities(e.scaled(vk))
      if (t < k) h = e.bernoulli(phk, noise.hidden(t, phk))
    }
  }
  xk = e.scaled(vk)

  const invB = e.inverseRows(v0)
  const invBn = persistent ? e.inverseRows(vk) : invB
  const lrB = g.node('Mul', [hp.lr, invB])
  const negLrBn = g.node('Neg', [g.node('Mul', [hp.lr, invBn])])
  const s0 = g.node('Mul', [ph0, lrB])
  const sk = g.node('Mul', [phk, negLrBn])

  // W: Δ = μΔ_prev − η·λ·W + x⁰ᵀ(η/B·p⁰) − x^kᵀ(η/Bn·p^k); the outer products accumulate through Gemm's C.
  let base: string | null = null
  if (st.velW && hp.mom) base = g.node('Mul', [st.velW, hp.mom])
  if (hp.wd) {
    const decay = g.node('Mul', [st.W, g.node('Mul', [hp.lr, hp.wd])])
    base = base ? g.node('Sub', [base, decay]) : g.node('Neg', [decay])
  }
  const accumulateInto = (into: string): string => {
    if (opts.outerProduct === 'concat') {
      const xs = g.node('Concat', [x0, xk], { axis: 0 })
      const ss = g.node('Concat', [s0, sk], { axis: 0 })
      return g.node('Gemm', [xs, ss, into], { transA: 1 })
    }
    return g.node('Gemm', [xk, sk, g.node('Gemm', [x0, s0, into], { transA: 1 })], { transA: 1 })
  }
  let Wout: string
  let velWout: string | null = null
  if (st.velW) {
    velWout = accumulateInto(base ?? g.node('Mul', [st.velW, e.float(0)]))
    Wout = g.node('Add', [st.W, velWout])
  } else if (base) {
    Wout = g.node('Add', [st.W, accumulateInto(base)])
  } else {
    Wout = accumulateInto(st.W)
  }

  // Biases.
  const mean0 = g.node('Mul', [e.sumRows(ph0), invB])
  const gb = g.node('Sub', [g.node('Mul', [e.sumRows(x0), invB]), g.node('Mul', [e.sumRows(xk), invBn])])
  let gc = g.node('Sub', [mean0, g.node('Mul', [e.sumRows(phk), invBn])])
  let qOut: string | null = null
  if (st.q && hp.spTarget && hp.spCost && hp.spDecay) {
    qOut = g.node('Add', [g.node('Mul', [st.q, hp.spDecay]), g.node('Mul', [mean0, g.node('Sub', [e.float(1), hp.spDecay])])])
    gc = g.node('Sub', [gc, g.node('Mul', [g.node('Sub', [qOut, hp.spTarget]), hp.spCost])])
  }
  const update = (param: string, grad: string, vel: string | null, scale: string = hp.lr): { p: string; v: string | null } => {
    const step = g.node('Mul', [grad, scale])
    if (vel && hp.mom) {
      const v = g.node('Add', [g.node('Mul', [vel, hp.mom]), step])
      return { p: g.node('Add', [param, v]), v }
    }
    return { p: g.node('Add', [param, step]), v: null }
  }
  const bUp = update(st.b, gb, st.velb)
  const cUp = update(st.c, gc, st.velc)

  let zOut: string | null = st.z
  let velzOut: string | null = null
  if (u.gaussian && opts.learnSigma && st.z && hp.zScale && hp.zMin && hp.zMax) {
    // ∂(−E)/∂z_i = e^{−z_i}(½(v_i − b_i)² − v_i (W p)_i), data minus model, feature units only.
    const term = (v: string, ph: string, invRows: string): string => {
      const wh = g.node('Gemm', [ph, st.W], { transB: 1 })
      const d = g.node('Sub', [v, st.b])
      const inner = g.node('Sub', [g.node('Mul', [g.node('Mul', [d, d]), e.float(0.5)]), g.node('Mul', [v, wh])])
      return g.node('Mul', [e.sumRows(inner), invRows])
    }
    const mask = g.constFloat(
      Array.from({ length: u.V }, (_, i) => (i < u.F ? 1 : 0)),
      'feature_mask'
    )
    const gz = g.node('Mul', [g.node('Mul', [g.node('Sub', [term(v0, ph0, invB), term(vk, phk, invBn)]), e.invVariance!]), mask])
    const zUp = update(st.z, gz, st.velz, g.node('Mul', [hp.lr, hp.zScale]))
    velzOut = zUp.v
    const clipped = g.node('Clip', [zUp.p, hp.zMin, hp.zMax])
    zOut = g.node('Where', [g.node('Cast', [mask], { to: DATA_TYPE.bool }), clipped, st.z])
  } else if (st.velz) {
    velzOut = st.velz
  }
  return {
    W: Wout,
    b: bUp.p,
    c: cUp.p,
    z: zOut,
    velW: velWout,
    velb: bUp.v ?? st.velb,
    velc: cUp.v ?? st.velc,
    velz: velzOut,
    q: qOut,
    chains: chainsOut,
    err
  }
}

/** What the train model's inputs are, in order; the runner feeds exactly these. */
export function rbmTrainInputs(opts: RbmTrainModelOptions): string[] {
  const io = RBM_IO
  const gaussian = opts.visibleUnits === 'gaussian'
  const names: string[] = [io.data, io.weights, io.visibleBias, io.hiddenBias]
  if (gaussian) names.push(io.logVariance)
  names.push(io.learningRate)
  if (opts.momentum) names.push(io.momentum, io.velocityWeights, io.velocityVisibleBias, io.velocityHiddenBias)
  if (opts.momentum && gaussian) names.push(io.velocityLogVariance)
  if (opts.weightDecay) names.push(io.weightDecay)
  if (opts.sparsity) names.push(io.sparsityTarget, io.sparsityCost, io.sparsityDecay, io.hiddenActivity)
  if (gaussian && opts.learnSigma) names.push(io.sigmaLearningRateScale, io.minLogVariance, io.maxLogVariance)
  if (opts.persistent) names.push(io.chains)
  if ((opts.noise ?? 'input') === 'input') {
    names.push(io.noiseHidden)
    if (opts.persistent || opts.sampleVisible) names.push(io.noiseVisible)
  }
  return names
}

/** State tensors that come back as `<name>_out` and are fed to the next run. */
export function rbmTrainCarried(opts: RbmTrainModelOptions): string[] {
  const io = RBM_IO
  return rbmTrainInputs(opts).filter((n) =>
    [
      io.weights,
      io.visibleBias,
      io.hiddenBias,
      io.logVariance,
      io.velocityWeights,
      io.velocityVisibleBias,
      io.velocityHiddenBias,
      io.velocityLogVariance,
      io.hiddenActivity,
      io.chains
    ].includes(n as never)
  )
}

/**
 * Builds the training model. Inputs: see rbmTrainInputs; every carried state tensor X comes back as X_out, plus
 * reconstruction_error (scalar, or [S] with stepsPerRun S > 1) for CD.
 */
export function buildRbmTrainModel(opts: RbmTrainModelOptions): Uint8Array {
  const u = checkUnits(opts)
  const k = opts.k ?? 1
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new RangeError(`k must be an integer in 1..100, got ${k}`)
  const S = opts.stepsPerRun ?? 1
  if (!Number.isInteger(S) || S < 1) throw new RangeError(`stepsPerRun must be a positive integer, got ${S}`)
  if (opts.learnSigma && !u.gaussian) throw new RangeError('learnSigma needs Gaussian visible units')
  const io = RBM_IO
  const persistent = opts.persistent === true
  const inputNoiseMode = (opts.noise ?? 'input') === 'input'
  const sampleVis = persistent || opts.sampleVisible === true
  const withErr = !persistent && opts.reconstructionError !== false
  const { V, H } = u
  const g = new GraphBuilder(`rbm_${persistent ? 'pcd' : 'cd'}${k}`)
  const negRows = persistent ? 'chains' : 'batch'
  const lead = S > 1 ? ['steps'] : []

  const shapes: Record<string, readonly (number | string)[]> = {
    [io.data]: [...lead, 'batch', V],
    [io.weights]: [V, H],
    [io.visibleBias]: [V],
    [io.hiddenBias]: [H],
    [io.logVariance]: [V],
    [io.velocityWeights]: [V, H],
    [io.velocityVisibleBias]: [V],
    [io.velocityHiddenBias]: [H],
    [io.velocityLogVariance]: [V],
    [io.hiddenActivity]: [H],
    [io.chains]: ['chains', V],
    [io.noiseHidden]: [...lead, k, negRows, H],
    [io.noiseVisible]: [...lead, k, negRows, V]
  }
  const inputs = rbmTrainInputs(opts)
  for (const name of inputs) g.input(name, 'float32', shapes[name] ?? [])
  const has = (n: string): string | null => (inputs.includes(n) ? n : null)
  const hp: Hyper = {
    lr: io.learningRate,
    mom: has(io.momentum),
    wd: has(io.weightDecay),
    spTarget: has(io.sparsityTarget),
    spCost: has(io.sparsityCost),
    spDecay: has(io.sparsityDecay),
    zScale: has(io.sigmaLearningRateScale),
    zMin: has(io.minLogVariance),
    zMax: has(io.maxLogVariance)
  }
  const carried = rbmTrainCarried(opts)
  const key: Record<string, keyof StepState> = {
    [io.weights]: 'W',
    [io.visibleBias]: 'b',
    [io.hiddenBias]: 'c',
    [io.logVariance]: 'z',
    [io.velocityWeights]: 'velW',
    [io.velocityVisibleBias]: 'velb',
    [io.velocityHiddenBias]: 'velc',
    [io.velocityLogVariance]: 'velz',
    [io.hiddenActivity]: 'q',
    [io.chains]: 'chains'
  }
  const emptyState = (): StepState => ({ W: '', b: '', c: '', z: null, velW: null, velb: null, velc: null, velz: null, q: null, chains: null })
  const seed = typeof opts.noise === 'object' ? opts.noise.seed : 0
  const noiseFor =
    (hidden: string | null, visible: string | null) =>
    (e: RbmEmitter): NoiseSource =>
      inputNoiseMode ? inputNoise(e, sweepOf(e, hidden!), visible ? sweepOf(e, visible) : null) : graphNoise(e, seed, 0)

  if (S === 1) {
    const st = emptyState()
    for (const n of carried) (st as unknown as Record<string, string>)[key[n]!] = n
    const out = emitStep(g, u, opts, st, hp, io.data, noiseFor(has(io.noiseHidden), has(io.noiseVisible)))
    for (const n of carried) g.output(rbmOutputName(n), 'float32', shapes[n]!, { from: out[key[n]!]! })
    if (withErr) g.output(io.reconstructionError, 'float32', [], { from: out.err! })
  } else {
    const body = g.subgraph('cd_step')
    const iter = body.input('iter', 'int64', [])
    body.input('cond_in', 'bool', [])
    const st = emptyState()
    for (const n of carried) (st as unknown as Record<string, string>)[key[n]!] = body.input(`${n}_in`, 'float32', shapes[n]!)
    const v0 = body.node('Gather', [io.data, iter], { axis: 0 })
    const nh = inputNoiseMode ? body.node('Gather', [io.noiseHidden, iter], { axis: 0 }) : null
    const nv = inputNoiseMode && sampleVis ? body.node('Gather', [io.noiseVisible, iter], { axis: 0 }) : null
    const out = emitStep(body, u, opts, st, hp, v0, noiseFor(nh, nv))
    body.output('cond_out', 'bool', [], { from: body.node('Identity', [body.constBool(true, 'keep_going')]) })
    for (const n of carried) body.output(`${n}_next`, 'float32', shapes[n]!, { from: out[key[n]!]! })
    if (withErr) body.output('err_step', 'float32', [], { from: out.err! })
    const trip = g.node('Gather', [g.node('Shape', [io.data]), g.constInt64(0, 'steps_dim')], { axis: 0 })
    const results = g.node('Loop', [trip, '', ...carried], { body }, carried.length + (withErr ? 1 : 0))
    carried.forEach((n, i) => g.output(rbmOutputName(n), 'float32', shapes[n]!, { from: results[i]! }))
    if (withErr) g.output(io.reconstructionError, 'float32', ['steps'], { from: results[carried.length]! })
  }

  const doc = [
    `RBM ${persistent ? 'PCD' : 'CD'}-${k} update, ${V} visible (${u.gaussian ? 'Gaussian' : 'Bernoulli'}${u.C ? `, ${u.C} label units` : ''}) × ${H} hidden` +
      (S > 1 ? `, ${S}-step Loop over minibatches` : '') +
      '.',
    `Inputs: ${inputs.join(', ')}. Outputs: ${carried.map(rbmOutputName).join(', ')}${withErr ? `, ${io.reconstructionError}` : ''}.`,
    inputNoiseMode ? 'Noise: inputs (uniform in [0,1), N(0,1) for Gaussian features), as drawn by core drawCdNoise.' : `Noise: in-graph generators, seed ${seed}.`
  ].join('\n')
  g.docString = doc
  const metadata: Record<string, string> = {
    ...opts.metadata,
    kind: 'rbm',
    program: persistent ? 'pcd' : 'cd',
    k: String(k),
    visible: String(V),
    hidden: String(H),
    visible_units: u.gaussian ? 'gaussian' : 'bernoulli',
    label_units: String(u.C),
    noise: inputNoiseMode ? 'input' : `graph:${seed}`
  }
  return buildModel({ graph: g, metadata, docString: doc })
}

export interface RbmGibbsModelOptions extends RbmUnitsOptions {
  /** A `clamp` input [B,V]: where it is non-zero the unit keeps its visible_init value. */
  clamp?: boolean
}

/**
 * Block Gibbs sampling: per sweep h ~ p(h|v), v ~ p(v|h), as core gibbsChain. Inputs: visible_init [B,V], weights,
 * visible_bias, hidden_bias (log_variance), noise_hidden [S,B,H] and noise_visible [S,B,V] (input noise; S sweeps)
 * or `steps` int64 scalar (graph noise), clamp [B,V] when asked. Outputs visible_out, visible_mean_out, hidden_out.
 */
export function buildRbmGibbsModel(opts: RbmGibbsModelOptions): Uint8Array {
  const u = checkUnits(opts)
  const io = RBM_IO
  const inputNoiseMode = (opts.noise ?? 'input') === 'input'
  const seed = typeof opts.noise === 'object' ? opts.noise.seed : 0
  const { V, H } = u
  const g = new GraphBuilder('rbm_gibbs')
  const v0 = g.input(io.visibleInit, 'float32', ['batch', V])
  const W = g.input(io.weights, 'float32', [V, H])
  const b = g.input(io.visibleBias, 'float32', [V])
  const c = g.input(io.hiddenBias, 'float32', [H])
  const z = u.gaussian ? g.input(io.logVariance, 'float32', [V]) : null
  let trip: string
  if (inputNoiseMode) {
    g.input(io.noiseHidden, 'float32', ['steps', 'batch', H])
    g.input(io.noiseVisible, 'float32', ['steps', 'batch', V])
    trip = g.node('Gather', [g.node('Shape', [io.noiseHidden]), g.constInt64(0, 'steps_dim')], { axis: 0 })
  } else {
    trip = g.node('Reshape', [g.input(io.steps, 'int64', []), g.constant(tensor.int64([], [0]), 'scalar_shape')])
  }
  const clamp = opts.clamp ? g.node('Cast', [g.input(io.clamp, 'float32', ['batch', V])], { to: DATA_TYPE.bool }) : null
  const rowsShape = g.node('Slice', [g.node('Shape', [v0]), g.constInt64([0], 's0'), g.constInt64([1], 's1')])
  const hInit = g.node('ConstantOfShape', [g.node('Concat', [rowsShape, g.constInt64([H], 'h_dim')], { axis: 0 })], {
    value: tensor.float32([0], [1])
  })

  const body = g.subgraph('gibbs_sweep')
  const iter = body.input('iter', 'int64', [])
  body.input('cond_in', 'bool', [])
  const vIn = body.input('v_in', 'float32', ['batch', V])
  body.input('mean_in', 'float32', ['batch', V])
  body.input('h_in', 'float32', ['batch', H])
  const e = new RbmEmitter(body, u, W, b, c, z)
  let noise: NoiseSource
  if (inputNoiseMode) {
    const nh = body.node('Gather', [io.noiseHidden, iter], { axis: 0 })
    const nv = body.node('Gather', [io.noiseVisible, iter], { axis: 0 })
    noise = inputNoise(e, () => nh, () => nv)
  } else {
    noise = graphNoise(e, seed, 1)
  }
  const ph = e.hiddenProbabilities(e.scaled(vIn))
  const h = e.bernoulli(ph, noise.hidden(0, ph))
  let mean = e.visibleMean(h)
  let v = e.sampleVisible(mean, noise, 0)
  if (clamp) {
    v = body.node('Where', [clamp, v0, v])
    mean = body.node('Where', [clamp, v0, mean])
  }
  body.output('cond_out', 'bool', [], { from: body.node('Identity', [body.constBool(true, 'keep_going')]) })
  body.output('v_next', 'float32', ['batch', V], { from: v })
  body.output('mean_next', 'float32', ['batch', V], { from: mean })
  body.output('h_next', 'float32', ['batch', H], { from: h })
  const [vOut, meanOut, hOut] = g.node('Loop', [trip, '', v0, v0, hInit], { body }, 3)
  g.output(io.visibleOut, 'float32', ['batch', V], { from: vOut! })
  g.output(io.visibleMeanOut, 'float32', ['batch', V], { from: meanOut! })
  g.output(io.hiddenOut, 'float32', ['batch', H], { from: hOut! })
  const doc = `RBM block Gibbs sampling, ${V} visible × ${H} hidden; ${inputNoiseMode ? 'noise as inputs (core drawGibbsNoise)' : `in-graph noise, seed ${seed}`}${opts.clamp ? '; clamp mask' : ''}.`
  g.docString = doc
  return buildModel({
    graph: g,
    metadata: { kind: 'rbm', program: 'gibbs', visible: String(V), hidden: String(H), visible_units: u.gaussian ? 'gaussian' : 'bernoulli', label_units: String(u.C) },
    docString: doc
  })
}
