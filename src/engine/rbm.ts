// RBM training and sampling on ONNX Runtime: runs the programs of programs/rbm.ts, drawing noise as core does.
// Reference: seeds/004 and seeds/001 (CD-k; RBM sampling); the float64 twin is src/core/rbm.ts (trainEpoch, cdStep, gibbsChain).
// Legend: V visible, H hidden, B batch, Bn negative-chain rows, k Gibbs steps, S updates per run; parameters W [V,H],
// b [V], c [H], z [V] and optimiser state are float32 tensors named as RBM_IO, fed in and read back as `<name>_out`.
//
// Parameters and optimiser state live in float32 tensors between runs (fed back as inputs). With noise 'input' the
// trainer draws from the Rng exactly what core trainEpoch draws (the epoch's permutation, then each step's
// drawCdNoise), so the same seed gives core's samples. session.run() blocks the calling thread: use a worker for long runs.
import {
  checkRbm,
  drawGibbsNoise,
  epochOrder,
  featureUnits,
  gatherRows,
  type CdNoise,
  type CdOptions,
  type FloatArray,
  type GibbsNoise,
  type Rbm,
  type RbmTrainState,
  fillCdNoise,
  checkGaussianScale,
  RbmDivergedError
} from '../core/rbm'
import type { Rng } from '../core/rng'
import type { EngineSession, EngineTensor } from './ort'
import {
  buildRbmGibbsModel,
  buildRbmTrainModel,
  RBM_IO as IO,
  rbmOutputName,
  rbmTrainCarried,
  rbmTrainInputs,
  type RbmTrainModelOptions
} from './programs/rbm'
import type { ProviderRequest } from './provider-table'
import { sessionCache, type SessionCache } from './session-cache'
import { CancelledError } from '../shared/errors'

export interface EngineRbmOptions extends CdOptions {
  /** Minibatch updates per session.run() (an ONNX Loop); default 1. */
  stepsPerRun?: number
  /** 'input' (default): noise drawn from the Rng as core does; { seed }: in-graph generators (not core's numbers). */
  noise?: 'input' | { seed: number }
  outerProduct?: 'accumulate' | 'concat'
  provider?: ProviderRequest
  threads?: number
  /** Where sessions come from; default the engine's process-wide cache (8 sessions). */
  sessionCache?: SessionCache
}

export interface EngineEpochOptions {
  batchSize: number
  shuffle?: boolean
  /** Gaussian units: refuse data far off the units' scale (core checkGaussianScale); default true. */
  checkScale?: boolean
  onProgress?: (stepsDone: number, steps: number) => void
  shouldCancel?: () => boolean
}

const modelCache = new Map<string, Uint8Array>()

function cachedModel(key: string, build: () => Uint8Array): Uint8Array {
  let m = modelCache.get(key)
  if (!m) {
    m = build()
    modelCache.set(key, m)
    if (modelCache.size > 32) modelCache.delete(modelCache.keys().next().value as string)
  }
  return m
}

const f32 = (data: Float32Array, dims: readonly number[]): EngineTensor => ({ type: 'float32', data, dims })
const scalar = (x: number): EngineTensor => f32(Float32Array.of(x), [])
const toF32 = (a: ArrayLike<number>): Float32Array => (a instanceof Float32Array ? a.slice() : Float32Array.from(a))

/**
 * A CD-k / PCD-k trainer bound to one RBM's sizes and options. Holds the parameters and state as float32;
 * writeBack() copies them into an Rbm and RbmTrainState (any float arrays).
 */
export class RbmEngineTrainer {
  provider = ''
  fallbackReason: string | undefined
  private readonly tensors = new Map<string, Float32Array>()
  // Per steps-per-run: the model bytes and the input names, made once.
  private readonly models = new Map<number, Uint8Array>()
  private readonly inputNames = new Map<number, string[]>()
  private readonly carried: string[]
  private readonly modelOpts: RbmTrainModelOptions
  private readonly V: number
  private readonly H: number
  private steps = 0

  private constructor(
    private readonly rbm: Rbm,
    readonly opts: EngineRbmOptions,
    state: RbmTrainState
  ) {
    this.V = rbm.visible
    this.H = rbm.hidden
    this.modelOpts = {
      visible: rbm.visible,
      hidden: rbm.hidden,
      visibleUnits: rbm.visibleUnits,
      labelUnits: rbm.labelUnits,
      k: opts.k ?? 1,
      persistent: opts.persistent === true,
      sampleVisible: opts.sampleVisible === true,
      momentum: (opts.momentum ?? 0) !== 0,
      weightDecay: (opts.weightDecay ?? 0) !== 0,
      sparsity: opts.sparsity !== undefined,
      learnSigma: rbm.visibleUnits === 'gaussian' && opts.sigma?.learn === true,
      noise: opts.noise ?? 'input',
      outerProduct: opts.outerProduct ?? 'accumulate'
    }
    this.carried = rbmTrainCarried(this.modelOpts)
    const t = this.tensors
    t.set(IO.weights, toF32(rbm.weights))
    t.set(IO.visibleBias, toF32(rbm.visibleBias))
    t.set(IO.hiddenBias, toF32(rbm.hiddenBias))
    if (rbm.logVariance) t.set(IO.logVariance, toF32(rbm.logVariance))
    t.set(IO.velocityWeights, toF32(state.velocity.weights))
    t.set(IO.velocityVisibleBias, toF32(state.velocity.visibleBias))
    t.set(IO.velocityHiddenBias, toF32(state.velocity.hiddenBias))
    if (state.velocity.logVariance) t.set(IO.velocityLogVariance, toF32(state.velocity.logVariance))
    t.set(IO.hiddenActivity, toF32(state.hiddenActivity))
    if (state.chains) t.set(IO.chains, toF32(state.chains))
    this.steps = state.step
  }

  /** Validates sizes and options and creates (or reuses) the single-step session. */
  static async create(rbm: Rbm, opts: EngineRbmOptions, state: RbmTrainState): Promise<RbmEngineTrainer> {
    checkRbm(rbm)
    if (opts.persistent && !state.chains) throw new Error('PCD needs persistent chains: createTrainState(rbm, { persistentChains })')
    for (const [name, x] of [
      ['learningRate', opts.learningRate],
      ['momentum', opts.momentum ?? 0],
      ['weightDecay', opts.weightDecay ?? 0]
    ] as const) {
      if (!Number.isFinite(x)) throw new RangeError(`${name} must be finite, got ${x}`)
    }
    const trainer = new RbmEngineTrainer(rbm, opts, state)
    await trainer.session(1)
    return trainer
  }

  private sessionOptions(): { provider?: ProviderRequest; threads?: number } {
    return {
      ...(this.opts.provider !== undefined ? { provider: this.opts.provider } : {}),
      ...(this.opts.threads !== undefined ? { threads: this.opts.threads } : {})
    }
  }

  private async session(stepsPerRun: number): Promise<EngineSession> {
    let model = this.models.get(stepsPerRun)
    if (!model) {
      const mo = { ...this.modelOpts, stepsPerRun }
      model = cachedModel(JSON.stringify(mo), () => buildRbmTrainModel(mo))
      this.models.set(stepsPerRun, model)
    }
    // Asked of the cache on every run: it may have evicted (and released) the session since the last one.
    const created = await (this.opts.sessionCache ?? sessionCache).get(model, this.sessionOptions())
    this.provider = created.provider
    this.fallbackReason = created.fallbackReason
    return created.session
  }

  /** Rows of the negative chain for a batch of `batch` rows. */
  negativeRows(batch: number): number {
    return this.opts.persistent ? this.tensors.get(IO.chains)!.length / this.V : batch
  }

  /**
   * `count` updates in one run: v0 [count,B,V] (or [B,V] for one), noise per update as drawn by drawCdNoise.
   * Returns the reconstruction errors (NaN for PCD).
   */
  async run(v0: Float32Array, batch: number, noises: readonly CdNoise[] | null, count = 1): Promise<Float32Array> {
    const { V, H } = this
    const k = this.modelOpts.k!
    const Bn = this.negativeRows(batch)
    if (this.modelOpts.noise !== 'input') return this.runPacked(v0, batch, count, null, null)
    if (!noises || noises.length !== count) throw new RangeError(`expected ${count} noise draws`)
    const pack = (hidden: boolean): Float32Array | null => {
      const width = hidden ? H : V
      const per = k * Bn * width
      if (!hidden && !(this.modelOpts.persistent || this.modelOpts.sampleVisible)) return null
      const data = new Float32Array(count * per)
      noises.forEach((n, s) => {
        if (n.k !== k || n.rows !== Bn) throw new RangeError(`noise ${s} was drawn for k=${n.k}, ${n.rows} rows; expected k=${k}, ${Bn}`)
        const src = hidden ? n.hidden : n.visible
        if (!src || src.length !== per) throw new RangeError(`noise ${s}: ${hidden ? 'hidden' : 'visible'} noise must have ${per} values`)
        data.set(src, s * per)
      })
      return data
    }
    return this.runPacked(v0, batch, count, pack(true), pack(false))
  }

  /** `count` updates on packed inputs: v0 [count,B,V], noise [count,k,Bn,H] and [count,k,Bn,V] (null when unused). */
  private async runPacked(
    v0: Float32Array,
    batch: number,
    count: number,
    noiseHidden: Float32Array | null,
    noiseVisible: Float32Array | null
  ): Promise<Float32Array> {
    const { V, H } = this
    const k = this.modelOpts.k!
    if (v0.length !== count * batch * V) throw new RangeError(`data has ${v0.length} values, expected ${count}×${batch}×${V}`)
    const Bn = this.negativeRows(batch)
    const lead = count > 1 ? [count] : []
    const feeds: Record<string, EngineTensor> = {}
    let names = this.inputNames.get(count)
    if (!names) {
      names = rbmTrainInputs({ ...this.modelOpts, stepsPerRun: count })
      this.inputNames.set(count, names)
    }
    for (const name of names) {
      switch (name) {
        case IO.data:
          feeds[name] = f32(v0, [...lead, batch, V])
          break
        case IO.learningRate:
          feeds[name] = scalar(this.opts.learningRate)
          break
        case IO.momentum:
          feeds[name] = scalar(this.opts.momentum ?? 0)
          break
        case IO.weightDecay:
          feeds[name] = scalar(this.opts.weightDecay ?? 0)
          break
        case IO.sparsityTarget:
          feeds[name] = scalar(this.opts.sparsity!.target)
          break
        case IO.sparsityCost:
          feeds[name] = scalar(this.opts.sparsity!.cost)
          break
        case IO.sparsityDecay:
          feeds[name] = scalar(this.opts.sparsity!.decay ?? 0.9)
          break
        case IO.sigmaLearningRateScale:
          feeds[name] = scalar(this.opts.sigma?.learningRateScale ?? 0.1)
          break
        case IO.minLogVariance:
          feeds[name] = scalar(2 * Math.log(this.opts.sigma?.minSigma ?? 0.05))
          break
        case IO.maxLogVariance:
          feeds[name] = scalar(2 * Math.log(this.opts.sigma?.maxSigma ?? 10))
          break
        case IO.noiseHidden:
        case IO.noiseVisible: {
          const hidden = name === IO.noiseHidden
          const data = hidden ? noiseHidden : noiseVisible
          if (!data) throw new RangeError(`missing ${name}`)
          feeds[name] = f32(data, [...lead, k, Bn, hidden ? H : V])
          break
        }
        default: {
          const t = this.tensors.get(name)!
          const dims =
            name === IO.weights || name === IO.velocityWeights ? [V, H] : name === IO.chains ? [Bn, V] : [t.length]
          feeds[name] = f32(t, dims)
        }
      }
    }
    const session = await this.session(count)
    const out = await session.run(feeds)
    for (const name of this.carried) {
      const t = out[rbmOutputName(name)]
      if (t?.type !== 'float32') throw new Error(`RBM program returned no ${rbmOutputName(name)}`)
      this.tensors.set(name, t.data)
    }
    // A non-finite weight reaches the hidden biases within one step (through p(h|v)), so checking the small
    // vectors catches divergence without scanning W every run.
    for (const name of [IO.hiddenBias, IO.visibleBias, IO.logVariance]) {
      const t = this.tensors.get(name)
      if (!t) continue
      for (let q = 0; q < t.length; q++) {
        if (!Number.isFinite(t[q]!)) throw new RbmDivergedError(name, this.steps + count)
      }
    }
    this.steps += count
    const err = out[IO.reconstructionError]
    if (err && err.type === 'float32') return err.data
    return new Float32Array(count).fill(Number.NaN)
  }

  /** One update with the given noise (core cdStep's twin). Returns the reconstruction error (NaN for PCD). */
  async step(v0: ArrayLike<number>, batch: number, noise: CdNoise | null): Promise<number> {
    return (await this.run(toF32(v0), batch, noise ? [noise] : null, 1))[0]!
  }

  /**
   * One epoch drawing from `rng` in core trainEpoch's order (permutation, then each step's noise), stepsPerRun
   * updates per run; the remainder (and a smaller last batch) run one at a time. Returns per-step errors.
   */
  async trainEpoch(data: ArrayLike<number>, rows: number, rng: Rng, epoch: EngineEpochOptions): Promise<Float64Array> {
    const { V } = this
    if (data.length !== rows * V) throw new RangeError(`data has ${data.length} values, expected ${rows}×${V}`)
    const B = epoch.batchSize
    if (!Number.isInteger(B) || B < 1) throw new RangeError(`batchSize must be a positive integer, got ${B}`)
    if (epoch.checkScale !== false) checkGaussianScale(this.rbm, data, rows)
    const order = epochOrder(rows, epoch.shuffle ?? true, rng)
    const total = Math.ceil(rows / B)
    const errors = new Float64Array(total)
    const S = Math.max(1, this.opts.stepsPerRun ?? 1)
    const inputMode = this.modelOpts.noise === 'input'
    const k = this.modelOpts.k!
    const visibleNoise = inputMode && (this.modelOpts.persistent === true || this.modelOpts.sampleVisible === true)
    // Buffers reused across runs of the same shape (session.run reads them synchronously).
    const buffers = new Map<string, { v0: Float32Array; nh: Float32Array | null; nv: Float32Array | null }>()
    let s = 0
    while (s < total) {
      if (epoch.shouldCancel?.()) throw new CancelledError()
      const fullLeft = Math.floor((rows - s * B) / B)
      const count = fullLeft >= S && S > 1 ? S : 1
      const batch = Math.min(B, rows - s * B)
      const Bn = this.negativeRows(batch)
      const key = `${count}:${batch}`
      let buf = buffers.get(key)
      if (!buf) {
        buf = {
          v0: new Float32Array(count * batch * V),
          nh: inputMode ? new Float32Array(count * k * Bn * this.H) : null,
          nv: visibleNoise ? new Float32Array(count * k * Bn * V) : null
        }
        buffers.set(key, buf)
      }
      const perH = k * Bn * this.H
      const perV = k * Bn * V
      for (let q = 0; q < count; q++) {
        gatherRows(data, V, order, (s + q) * B, batch, buf.v0.subarray(q * batch * V, (q + 1) * batch * V))
        // Step q's noise, drawn as drawCdNoise draws it (hidden block, then visible block).
        if (buf.nh) fillCdNoise(this.rbm, rng, buf.nh.subarray(q * perH, (q + 1) * perH), buf.nv ? buf.nv.subarray(q * perV, (q + 1) * perV) : null)
      }
      const v0 = buf.v0
      const errs = await this.runPacked(v0, batch, count, buf.nh, buf.nv)
      for (let q = 0; q < count; q++) errors[s + q] = errs[q]!
      s += count
      epoch.onProgress?.(s, total)
    }
    return errors
  }

  set learningRate(lr: number) {
    if (!Number.isFinite(lr)) throw new RangeError(`learningRate must be finite, got ${lr}`)
    this.opts.learningRate = lr
  }

  /** The current float32 tensor of a parameter or state input (see RBM_IO). */
  tensor(name: string): Float32Array | undefined {
    return this.tensors.get(name)
  }

  /**
   * Copies parameters and state into `rbm` and `state` (their arrays keep their types). Velocities are written only
   * when training with momentum, the sparsity estimate only with a sparsity target.
   */
  writeBack(rbm: Rbm, state?: RbmTrainState): void {
    const t = this.tensors
    rbm.weights.set(t.get(IO.weights)!)
    rbm.visibleBias.set(t.get(IO.visibleBias)!)
    rbm.hiddenBias.set(t.get(IO.hiddenBias)!)
    if (rbm.logVariance) rbm.logVariance.set(t.get(IO.logVariance)!)
    if (state) {
      // Without momentum (or sparsity) the program neither reads nor updates that state: leave it as it is.
      if (this.modelOpts.momentum) {
        state.velocity.weights.set(t.get(IO.velocityWeights)!)
        state.velocity.visibleBias.set(t.get(IO.velocityVisibleBias)!)
        state.velocity.hiddenBias.set(t.get(IO.velocityHiddenBias)!)
        if (state.velocity.logVariance) state.velocity.logVariance.set(t.get(IO.velocityLogVariance)!)
      }
      if (this.modelOpts.sparsity) state.hiddenActivity.set(t.get(IO.hiddenActivity)!)
      if (state.chains) state.chains.set(t.get(IO.chains)!)
      state.step = this.steps
    }
  }

  /**
   * A float32 copy of the optimiser state as the program holds it: velocities (zero when training without momentum),
   * the sparsity estimate, the persistent chains and the updates taken. With the parameters, what continuing needs.
   */
  trainState(): RbmTrainState {
    const t = this.tensors
    const copy = (name: string): Float32Array | null => t.get(name)?.slice() ?? null
    return {
      velocity: { weights: copy(IO.velocityWeights)!, visibleBias: copy(IO.velocityVisibleBias)!, hiddenBias: copy(IO.velocityHiddenBias)!, logVariance: copy(IO.velocityLogVariance) },
      hiddenActivity: copy(IO.hiddenActivity)!,
      chains: copy(IO.chains),
      step: this.steps
    }
  }

  /** A float32 copy of the current parameters. */
  parameters(): Rbm {
    const t = this.tensors
    return {
      ...this.rbm,
      weights: t.get(IO.weights)!.slice(),
      visibleBias: t.get(IO.visibleBias)!.slice(),
      hiddenBias: t.get(IO.hiddenBias)!.slice(),
      logVariance: this.rbm.logVariance ? t.get(IO.logVariance)!.slice() : null
    }
  }
}

export interface EngineGibbsOptions {
  /** [B,V]: non-zero keeps the unit at its initial value. */
  clamp?: ArrayLike<number>
  provider?: ProviderRequest
  threads?: number
}

export interface EngineGibbsResult {
  visible: Float32Array
  visibleMean: Float32Array
  hidden: Float32Array
  provider: string
}

function rbmFeeds(rbm: Rbm): Record<string, EngineTensor> {
  const feeds: Record<string, EngineTensor> = {
    [IO.weights]: f32(toF32(rbm.weights), [rbm.visible, rbm.hidden]),
    [IO.visibleBias]: f32(toF32(rbm.visibleBias), [rbm.visible]),
    [IO.hiddenBias]: f32(toF32(rbm.hiddenBias), [rbm.hidden])
  }
  if (rbm.logVariance) feeds[IO.logVariance] = f32(toF32(rbm.logVariance), [rbm.visible])
  return feeds
}

/** Block Gibbs sampling on the engine with the given noise (core gibbsChain's twin). */
export async function engineGibbsChain(
  rbm: Rbm,
  v0: ArrayLike<number>,
  batch: number,
  noise: GibbsNoise,
  opts: EngineGibbsOptions = {}
): Promise<EngineGibbsResult> {
  checkRbm(rbm)
  const { visible: V, hidden: H } = rbm
  if (v0.length !== batch * V) throw new RangeError(`v0 has ${v0.length} values, expected ${batch}×${V}`)
  if (noise.rows !== batch) throw new RangeError(`noise has ${noise.rows} rows, expected ${batch}`)
  if (opts.clamp && opts.clamp.length !== batch * V) throw new RangeError(`clamp has ${opts.clamp.length} values, expected ${batch}×${V}`)
  const mo = { visible: V, hidden: H, visibleUnits: rbm.visibleUnits, labelUnits: rbm.labelUnits, clamp: opts.clamp !== undefined }
  const model = cachedModel(`gibbs:${JSON.stringify(mo)}`, () => buildRbmGibbsModel(mo))
  const created = await sessionCache.get(model, {
    ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {})
  })
  const feeds = rbmFeeds(rbm)
  feeds[IO.visibleInit] = f32(toF32(v0), [batch, V])
  feeds[IO.noiseHidden] = f32(noise.hidden, [noise.steps, batch, H])
  feeds[IO.noiseVisible] = f32(noise.visible, [noise.steps, batch, V])
  if (opts.clamp) feeds[IO.clamp] = f32(toF32(opts.clamp), [batch, V])
  const out = await created.session.run(feeds)
  const get = (n: string): Float32Array => {
    const t = out[n]
    if (t?.type !== 'float32') throw new Error(`Gibbs program returned no ${n}`)
    return t.data
  }
  return { visible: get(IO.visibleOut), visibleMean: get(IO.visibleMeanOut), hidden: get(IO.hiddenOut), provider: created.provider }
}

export interface SampleRbmOptions extends EngineGibbsOptions {
  /** Sweeps per run (noise for a chunk is drawn at once with drawGibbsNoise); default 50. */
  chunkSteps?: number
  onProgress?: (done: number, total: number) => void
  shouldCancel?: () => boolean
}

/**
 * `steps` Gibbs sweeps from v0, in chunks; each chunk's noise is drawGibbsNoise(rbm, B, chunk, rng), so core reproduces
 * it with gibbsChain over the same chunks.
 */
export async function sampleRbm(
  rbm: Rbm,
  v0: ArrayLike<number>,
  batch: number,
  steps: number,
  rng: Rng,
  opts: SampleRbmOptions = {}
): Promise<EngineGibbsResult> {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`)
  const chunk = opts.chunkSteps ?? 50
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunkSteps must be a positive integer, got ${chunk}`)
  let v: FloatArray = toF32(v0)
  let result: EngineGibbsResult | null = null
  for (let done = 0; done < steps; ) {
    if (opts.shouldCancel?.()) throw new CancelledError()
    const n = Math.min(chunk, steps - done)
    // Clamped units keep the original v0 values: clamp reads visible_init, which is this chunk's start state.
    result = await engineGibbsChain(rbm, v, batch, drawGibbsNoise(rbm, batch, n, rng), opts)
    v = result.visible
    done += n
    opts.onProgress?.(done, steps)
  }
  return result!
}

/** Random starting states for generation: Bernoulli(½) features (N(b, σ²) for Gaussian), a uniform label. */
export function randomVisibleStates(rbm: Rbm, batch: number, rng: Rng): Float32Array {
  const V = rbm.visible
  const F = featureUnits(rbm)
  const v = new Float32Array(batch * V)
  for (let r = 0; r < batch; r++) {
    for (let i = 0; i < F; i++) {
      v[r * V + i] = rbm.visibleUnits === 'gaussian' ? rbm.visibleBias[i]! + Math.exp(0.5 * rbm.logVariance![i]!) * rng.normal() : rng.next() < 0.5 ? 1 : 0
    }
    if (rbm.labelUnits > 0) v[r * V + F + rng.int(rbm.labelUnits)] = 1
  }
  return v
}
