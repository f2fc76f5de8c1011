// Boltzmann machine with hidden units: energy, exact and sampled clamped/free statistics, maximum-likelihood training.
// Reference: seeds/004 ("The Boltzmann Machine", "Maximum Likelihood Training", "With hidden neurons", Step 1 /
// Step 2 simulations, "Boltzmann machines: Overall"), seeds/000 and seeds/001 (Boltzmann machines, 1985).
// Legend: V visible, H hidden, N = V + H units, visible first (unit i < V visible); s = (v, h) Int8Array (N) in
// {0,1} (binary, the default) or {−1,1}; W N×N row-major Float64, symmetric, zero diagonal; b biases (N);
// E(s) = −Σ_{i<j} w_ij s_i s_j − Σ_i b_i s_i = −½ sᵀWs − bᵀs; P(s) = exp(−E(s)/T)/Z; P(v) = Σ_h P(v, h);
// data: P training vectors v (length V; repeats weight them); L = (1/P) Σ_v log P(v) the average log-likelihood;
// ⟨s_i s_j⟩_clamped = (1/P) Σ_v Σ_h P(h|v) s_i s_j; ⟨s_i s_j⟩_free = Σ_s P(s) s_i s_j;
// learning rule Δw_ij = η(⟨s_i s_j⟩_clamped − ⟨s_i s_j⟩_free), Δb_i = η(⟨s_i⟩_clamped − ⟨s_i⟩_free), which is
// η·T·∂L/∂w_ij (exactly the gradient at T = 1).
// State index (exact mode): bit i of k set ⇔ unit i high, so state k = v-index + 2^V · h-index.

import { anneal, temperatureSchedule, type TemperatureScheduleSpec } from './anneal'
import { checkCancel, type Hooks } from './dynamics'
import { checkPattern, type Encoding } from './hopfield'
import type { Rng } from './rng'
import {
  lowOf,
  logSumExp,
  MAX_EXACT_UNITS,
  resolveClamped,
  resolveOrder,
  stateEnergy,
  stateFromIndex,
  stateIndex,
  SweepKernel,
  type StochasticNet
} from './stochastic'

export interface BoltzmannMachine {
  visible: number
  hidden: number
  /** N×N, symmetric, zero diagonal, visible units first. */
  weights: Float64Array
  /** b (N); the stochastic-net threshold is θ = −b. */
  biases: Float64Array
  encoding: Encoding
}

export interface CreateBoltzmannOptions {
  visible: number
  hidden: number
  encoding?: Encoding
  /** Draws the initial weights w_ij ~ N(0, initScale²); without an rng the weights start at 0. */
  rng?: Rng
  /** Default 0.1. */
  initScale?: number
}

export function createBoltzmann(opts: CreateBoltzmannOptions): BoltzmannMachine {
  if (!Number.isInteger(opts.visible) || opts.visible < 1) throw new Error(`visible must be a positive integer, got ${opts.visible}`)
  if (!Number.isInteger(opts.hidden) || opts.hidden < 0) throw new Error(`hidden must be a non-negative integer, got ${opts.hidden}`)
  const scale = opts.initScale ?? 0.1
  if (!(Number.isFinite(scale) && scale >= 0)) throw new Error(`initScale must be a finite number ≥ 0, got ${scale}`)
  const n = opts.visible + opts.hidden
  const weights = new Float64Array(n * n)
  if (opts.rng) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const w = opts.rng.normal() * scale
        weights[i * n + j] = w
        weights[j * n + i] = w
      }
    }
  }
  return { visible: opts.visible, hidden: opts.hidden, weights, biases: new Float64Array(n), encoding: opts.encoding ?? 'binary' }
}

function units(bm: BoltzmannMachine): number {
  return bm.visible + bm.hidden
}

/** Throws unless W is N×N, symmetric with zero diagonal, and b has N entries. */
export function checkBoltzmann(bm: BoltzmannMachine): void {
  const n = units(bm)
  if (!Number.isInteger(bm.visible) || bm.visible < 1) throw new Error(`visible must be a positive integer, got ${bm.visible}`)
  if (!Number.isInteger(bm.hidden) || bm.hidden < 0) throw new Error(`hidden must be a non-negative integer, got ${bm.hidden}`)
  if (bm.weights.length !== n * n) throw new Error(`weights have ${bm.weights.length} entries, expected ${n}×${n}`)
  if (bm.biases.length !== n) throw new Error(`biases have ${bm.biases.length} entries, expected ${n}`)
  for (let i = 0; i < n; i++) {
    if (bm.weights[i * n + i] !== 0) throw new Error(`weights[${i}][${i}] = ${bm.weights[i * n + i]}: the diagonal must be zero`)
    for (let j = i + 1; j < n; j++) {
      if (bm.weights[i * n + j] !== bm.weights[j * n + i]) throw new Error(`weights are not symmetric at (${i}, ${j})`)
    }
  }
}

/** The machine as a stochastic net over all N units (θ = −b); shares the weight array. */
export function boltzmannNet(bm: BoltzmannMachine): StochasticNet {
  const n = units(bm)
  const thresholds = new Float64Array(n)
  for (let i = 0; i < n; i++) thresholds[i] = -bm.biases[i]!
  return { units: n, weights: bm.weights, thresholds, encoding: bm.encoding }
}

export function boltzmannEnergy(bm: BoltzmannMachine, state: ArrayLike<number>): number {
  return stateEnergy(boltzmannNet(bm), state)
}

export interface PhaseStatistics {
  /** ⟨s_i s_j⟩ (N×N); the diagonal holds ⟨s_i²⟩. */
  correlations: Float64Array
  /** ⟨s_i⟩ (N). */
  means: Float64Array
  /** Samples averaged (0 when computed exactly). */
  samples: number
}

export interface BoltzmannStatistics {
  clamped: PhaseStatistics
  free: PhaseStatistics
}

export interface ExactStatistics extends BoltzmannStatistics {
  /** L = (1/P) Σ_v log P(v) at the same temperature. */
  logLikelihood: number
  logZ: number
}

export interface BoltzmannGradient {
  /** ⟨s_i s_j⟩_clamped − ⟨s_i s_j⟩_free, zero diagonal (N×N). */
  weights: Float64Array
  /** ⟨s_i⟩_clamped − ⟨s_i⟩_free (N). */
  biases: Float64Array
}

function checkData(bm: BoltzmannMachine, data: ArrayLike<number>[]): void {
  if (data.length === 0) throw new Error('data must hold at least one visible pattern')
  data.forEach((v, p) => checkPattern(v, bm.encoding, bm.visible, `data pattern ${p}`))
}

function checkExactSize(n: number, maxUnits: number): void {
  if (n > maxUnits) throw new Error(`exact mode enumerates 2^${n} states; ${n} units exceeds maxUnits = ${maxUnits}`)
}

function checkPositiveTemperature(t: number): void {
  if (!(Number.isFinite(t) && t > 0)) throw new Error(`temperature must be a finite number > 0, got ${t}`)
}

/** stats += weight·(s, s sᵀ). Samples are added one by one in draw order; the engine path adds them in the same order. */
export function accumulateSample(stats: PhaseStatistics, s: ArrayLike<number>, weight: number): void {
  const n = stats.means.length
  for (let i = 0; i < n; i++) {
    const si = s[i]!
    if (si === 0) continue
    stats.means[i]! += weight * si
    const row = i * n
    for (let j = 0; j < n; j++) stats.correlations[row + j]! += weight * si * s[j]!
  }
}

export function emptyPhase(n: number): PhaseStatistics {
  return { correlations: new Float64Array(n * n), means: new Float64Array(n), samples: 0 }
}

/** −E(s)/T for every state k (2^N entries). */
function allLogits(bm: BoltzmannMachine, temperature: number): Float64Array {
  const n = units(bm)
  const net = boltzmannNet(bm)
  const count = 2 ** n
  const logits = new Float64Array(count)
  for (let k = 0; k < count; k++) logits[k] = -stateEnergy(net, stateFromIndex(k, n, bm.encoding)) / temperature
  return logits
}

export interface ExactOptions {
  /** Default 1. */
  temperature?: number
  /** Default MAX_EXACT_UNITS (20). */
  maxUnits?: number
}

/** The checks and the log-weights both enumerations start from: −E(s)/T for all 2^N states, and log Z. */
function enumerated(bm: BoltzmannMachine, data: ArrayLike<number>[], opts: ExactOptions): { n: number; logits: Float64Array; logZ: number } {
  checkBoltzmann(bm)
  checkData(bm, data)
  const n = units(bm)
  checkExactSize(n, opts.maxUnits ?? MAX_EXACT_UNITS)
  const t = opts.temperature ?? 1
  checkPositiveTemperature(t)
  const logits = allLogits(bm, t)
  return { n, logits, logZ: logSumExp(logits) }
}

/** Both phases by enumeration: 2^H hidden states per training vector, 2^N states for the free phase. */
export function exactStatistics(bm: BoltzmannMachine, data: ArrayLike<number>[], opts: ExactOptions = {}): ExactStatistics {
  const { n, logits, logZ } = enumerated(bm, data, opts)
  const free = emptyPhase(n)
  for (let k = 0; k < logits.length; k++) accumulateSample(free, stateFromIndex(k, n, bm.encoding), Math.exp(logits[k]! - logZ))

  const clamped = emptyPhase(n)
  const hCount = 2 ** bm.hidden
  const vSpan = 2 ** bm.visible
  const hLogits = new Float64Array(hCount)
  let ll = 0
  for (const v of data) {
    const vIdx = stateIndex(v)
    for (let h = 0; h < hCount; h++) hLogits[h] = logits[vIdx + vSpan * h]!
    const lse = logSumExp(hLogits)
    ll += lse - logZ
    for (let h = 0; h < hCount; h++) accumulateSample(clamped, stateFromIndex(vIdx + vSpan * h, n, bm.encoding), Math.exp(hLogits[h]! - lse) / data.length)
  }
  return { clamped, free, logLikelihood: ll / data.length, logZ }
}

/** L = (1/P) Σ_v log P(v), P(v) = Σ_h exp(−E(v,h)/T) / Z, by enumeration. */
export function logLikelihoodExact(bm: BoltzmannMachine, data: ArrayLike<number>[], opts: ExactOptions = {}): number {
  const { logits, logZ } = enumerated(bm, data, opts)
  const hCount = 2 ** bm.hidden
  const vSpan = 2 ** bm.visible
  const hLogits = new Float64Array(hCount)
  let ll = 0
  for (const v of data) {
    const vIdx = stateIndex(v)
    for (let h = 0; h < hCount; h++) hLogits[h] = logits[vIdx + vSpan * h]!
    ll += logSumExp(hLogits) - logZ
  }
  return ll / data.length
}

/** P(v) for every visible state (2^V entries, index convention of stateIndex), by enumeration. */
export function visibleDistributionExact(bm: BoltzmannMachine, opts: ExactOptions = {}): Float64Array {
  checkBoltzmann(bm)
  const n = units(bm)
  checkExactSize(n, opts.maxUnits ?? MAX_EXACT_UNITS)
  const t = opts.temperature ?? 1
  checkPositiveTemperature(t)
  const logits = allLogits(bm, t)
  const logZ = logSumExp(logits)
  const vSpan = 2 ** bm.visible
  const out = new Float64Array(vSpan)
  for (let k = 0; k < logits.length; k++) out[k % vSpan]! += Math.exp(logits[k]! - logZ)
  return out
}

/** Exact P(v_i = high | known visible units), i over the visible units (known ones give 0 or 1). */
export function conditionalExact(bm: BoltzmannMachine, cue: ArrayLike<number>, known: ArrayLike<boolean | number>, opts: ExactOptions = {}): Float64Array {
  checkBoltzmann(bm)
  const V = bm.visible
  if (cue.length !== V) throw new Error(`cue has length ${cue.length}, expected ${V}`)
  if (known.length !== V) throw new Error(`known mask has length ${known.length}, expected ${V}`)
  const n = units(bm)
  checkExactSize(n, opts.maxUnits ?? MAX_EXACT_UNITS)
  const t = opts.temperature ?? 1
  checkPositiveTemperature(t)
  const logits = allLogits(bm, t)
  const vSpan = 2 ** V
  const weight = new Float64Array(V)
  let m = -Infinity
  for (let k = 0; k < logits.length; k++) if (consistent(k % vSpan, cue, known) && logits[k]! > m) m = logits[k]!
  let total = 0
  for (let k = 0; k < logits.length; k++) {
    const vi = k % vSpan
    if (!consistent(vi, cue, known)) continue
    const p = Math.exp(logits[k]! - m)
    total += p
    for (let i = 0; i < V; i++) if (Math.floor(vi / 2 ** i) % 2 === 1) weight[i]! += p
  }
  for (let i = 0; i < V; i++) weight[i] = weight[i]! / total
  return weight
}

function consistent(vIdx: number, cue: ArrayLike<number>, known: ArrayLike<boolean | number>): boolean {
  for (let i = 0; i < cue.length; i++) {
    if (!known[i]) continue
    const bit = Math.floor(vIdx / 2 ** i) % 2 === 1
    if (bit !== (cue[i] === 1)) return false
  }
  return true
}

export function gradientFromStatistics(stats: BoltzmannStatistics): BoltzmannGradient {
  const n = stats.clamped.means.length
  const weights = new Float64Array(n * n)
  const biases = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    biases[i] = stats.clamped.means[i]! - stats.free.means[i]!
    for (let j = 0; j < n; j++) if (i !== j) weights[i * n + j] = stats.clamped.correlations[i * n + j]! - stats.free.correlations[i * n + j]!
  }
  return { weights, biases }
}

export interface SamplingOptions extends Hooks {
  rng: Rng
  /** Temperature the statistics are taken at. Default 1. */
  temperature?: number
  /** K: hidden samples per training vector (seeds/004 Step 1). Default 10. */
  clampedSamples?: number
  /** M: free-running samples (seeds/004 Step 2). Default 100. */
  freeSamples?: number
  /** Optional cooling from a random start, one sweep per stage, run before the equilibration sweeps. */
  anneal?: TemperatureScheduleSpec | ArrayLike<number>
  /** Sweeps at the sampling temperature before a chain's first sample. Default 10. */
  equilibrationSweeps?: number
  /** Samples taken from one chain; 1 (default) restarts from a random state for every sample, as in the seed. */
  samplesPerChain?: number
  /** Sweeps between successive samples of one chain. Default 1. */
  sampleEvery?: number
  /** Default 'random'. */
  order?: 'random' | 'sequential'
}

/** Validated sampling settings of sampledStatistics (defaults filled in); the engine path runs the same plan. */
export interface SamplingPlan {
  /** The optional cooling stages run before the equilibration sweeps (empty without `anneal`). */
  temps: Float64Array
  equilibration: number
  perChain: number
  every: number
  temperature: number
  /** K and M. */
  clampedSamples: number
  freeSamples: number
  order: 'random' | 'sequential'
}

function positiveInt(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${v}`)
}

function nonNegativeInt(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${what} must be a non-negative integer, got ${v}`)
}

/** Runs one chain from `state` (unclamped units already randomised) and adds `count` samples to `stats`. */
function runChain(kernel: SweepKernel, state: Int8Array, plan: SamplingPlan, count: number, rng: Rng, stats: PhaseStatistics, weight: number): void {
  for (let k = 0; k < plan.temps.length; k++) kernel.sweep(state, plan.temps[k]!, rng, undefined, 0)
  for (let k = 0; k < plan.equilibration; k++) kernel.sweep(state, plan.temperature, rng, undefined, 0)
  for (let c = 0; c < count; c++) {
    if (c > 0) for (let k = 0; k < plan.every; k++) kernel.sweep(state, plan.temperature, rng, undefined, 0)
    accumulateSample(stats, state, weight)
    stats.samples++
  }
}

/** Checks the machine, the data and the sampling options of sampledStatistics and fills in the defaults. */
export function samplingPlan(bm: BoltzmannMachine, data: ArrayLike<number>[], opts: Omit<SamplingOptions, 'rng'>): SamplingPlan {
  checkBoltzmann(bm)
  checkData(bm, data)
  const temperature = opts.temperature ?? 1
  checkPositiveTemperature(temperature)
  const K = opts.clampedSamples ?? 10
  const M = opts.freeSamples ?? 100
  positiveInt(K, 'clampedSamples')
  positiveInt(M, 'freeSamples')
  const plan: SamplingPlan = {
    temps: opts.anneal ? scheduleOf(opts.anneal) : new Float64Array(0),
    equilibration: opts.equilibrationSweeps ?? 10,
    perChain: opts.samplesPerChain ?? 1,
    every: opts.sampleEvery ?? 1,
    temperature,
    clampedSamples: K,
    freeSamples: M,
    order: opts.order ?? 'random'
  }
  nonNegativeInt(plan.equilibration, 'equilibrationSweeps')
  positiveInt(plan.perChain, 'samplesPerChain')
  positiveInt(plan.every, 'sampleEvery')
  if (plan.order !== 'random' && plan.order !== 'sequential') throw new Error(`order must be 'random' or 'sequential', got ${String(plan.order)}`)
  return plan
}

/**
 * Both phases by Gibbs sampling (seeds/004): clamped — visible units fixed to each training vector, hidden units
 * evolve from a random state, K samples per vector; free — every unit evolves from a random state, M samples.
 */
export function sampledStatistics(bm: BoltzmannMachine, data: ArrayLike<number>[], opts: SamplingOptions): BoltzmannStatistics {
  const plan = samplingPlan(bm, data, opts)
  const n = units(bm)
  const V = bm.visible
  const rng = opts.rng
  const K = plan.clampedSamples
  const M = plan.freeSamples
  const net = boltzmannNet(bm)
  const order = resolveOrder(plan.order, n, rng, false)
  const lo = lowOf(bm.encoding)
  const chainsPer = (count: number): number => Math.ceil(count / plan.perChain)
  const totalChains = (bm.hidden > 0 ? data.length * chainsPer(K) : 0) + chainsPer(M)
  let done = 0
  const tick = (): void => {
    checkCancel(opts)
    done++
    if (done % 16 === 0) opts.onProgress?.(done / totalChains)
  }

  const clamped = emptyPhase(n)
  if (bm.hidden === 0) {
    // Nothing to sample: the clamped state is the training vector itself.
    for (const v of data) accumulateSample(clamped, v, 1 / data.length)
    clamped.samples = data.length
  } else {
    const mask = new Uint8Array(n)
    mask.fill(1, 0, V)
    const kernel = new SweepKernel(net, order, resolveClamped(mask, n), undefined)
    const state = new Int8Array(n)
    for (const v of data) {
      for (let left = K; left > 0; left -= plan.perChain) {
        tick()
        for (let i = 0; i < V; i++) state[i] = v[i]!
        for (let i = V; i < n; i++) state[i] = rng.next() < 0.5 ? 1 : lo
        runChain(kernel, state, plan, Math.min(plan.perChain, left), rng, clamped, 1 / (data.length * K))
      }
    }
  }

  const free = emptyPhase(n)
  const kernel = new SweepKernel(net, order, null, undefined)
  const state = new Int8Array(n)
  for (let left = M; left > 0; left -= plan.perChain) {
    tick()
    for (let i = 0; i < n; i++) state[i] = rng.next() < 0.5 ? 1 : lo
    runChain(kernel, state, plan, Math.min(plan.perChain, left), rng, free, 1 / M)
  }
  opts.onProgress?.(1)
  return { clamped, free }
}

function scheduleOf(s: TemperatureScheduleSpec | ArrayLike<number>): Float64Array {
  if ('kind' in (s as object)) return temperatureSchedule(s as TemperatureScheduleSpec)
  return temperatureSchedule({ kind: 'custom', temperatures: s as ArrayLike<number> })
}

export interface BoltzmannTrainingOptions extends Hooks {
  /** H; required unless `init` is given. */
  hidden?: number
  /** Starting machine (copied, not modified). */
  init?: BoltzmannMachine
  /** Default 'binary'. */
  encoding?: Encoding
  epochs: number
  /** η. Default 0.1. */
  eta?: number
  /** 'exact': enumerate (N ≤ maxUnits); 'sampled': seeds/004 clamped/free simulations. */
  mode: 'exact' | 'sampled'
  /** Sampling settings for mode 'sampled' (rng comes from `rng`). */
  sampling?: Omit<SamplingOptions, 'rng' | 'temperature' | 'onProgress' | 'shouldCancel'>
  /** Needed for the random initial weights and for 'sampled'. */
  rng?: Rng
  /** Default 0.1 (w ~ N(0, 0.1²), biases 0). */
  initScale?: number
  /** L2 decay λ: Δw −= ηλw. Default 0. */
  weightDecay?: number
  /** Default 1. */
  temperature?: number
  /** Record the exact L after each epoch. Default: when N ≤ 16. */
  trackLogLikelihood?: boolean
  maxUnits?: number
}

export interface BoltzmannEpoch {
  /** 0 = before training. */
  epoch: number
  /** Exact average log-likelihood of the data after this epoch (null when not tracked). */
  logLikelihood: number | null
  /** ‖ΔW, Δb‖₂ / η of the update applied in this epoch (0 for epoch 0). */
  gradientNorm: number
}

export interface BoltzmannTrainingResult {
  machine: BoltzmannMachine
  history: BoltzmannEpoch[]
}

function copyMachine(bm: BoltzmannMachine): BoltzmannMachine {
  return { visible: bm.visible, hidden: bm.hidden, weights: Float64Array.from(bm.weights), biases: Float64Array.from(bm.biases), encoding: bm.encoding }
}

/** The validated state of a training run: the starting machine (a copy) and the settings every epoch uses. */
export interface BoltzmannTrainingSetup {
  machine: BoltzmannMachine
  eta: number
  weightDecay: number
  temperature: number
  /** Record the exact L after each epoch. */
  track: boolean
  exact: ExactOptions
}

/**
 * Checks the options of trainBoltzmann and builds the starting machine (drawing its random weights from opts.rng, as
 * trainBoltzmann does). Shared with the engine's trainer so both start from the same machine and the same rng state.
 */
export function prepareBoltzmannTraining(data: ArrayLike<number>[], opts: BoltzmannTrainingOptions): BoltzmannTrainingSetup {
  if (data.length === 0) throw new Error('data must hold at least one visible pattern')
  positiveInt(opts.epochs, 'epochs')
  const eta = opts.eta ?? 0.1
  if (!(Number.isFinite(eta) && eta > 0)) throw new Error(`eta must be a finite number > 0, got ${eta}`)
  const decay = opts.weightDecay ?? 0
  if (!(Number.isFinite(decay) && decay >= 0)) throw new Error(`weightDecay must be a finite number ≥ 0, got ${decay}`)
  const temperature = opts.temperature ?? 1
  checkPositiveTemperature(temperature)
  if (opts.mode === 'sampled' && !opts.rng) throw new Error("mode 'sampled' needs an rng")
  let bm: BoltzmannMachine
  if (opts.init) {
    bm = copyMachine(opts.init)
    if (opts.hidden !== undefined && opts.hidden !== bm.hidden) throw new Error(`hidden (${opts.hidden}) differs from init.hidden (${bm.hidden})`)
  } else {
    if (opts.hidden === undefined) throw new Error('hidden is required when no init machine is given')
    bm = createBoltzmann({ visible: data[0]!.length, hidden: opts.hidden, encoding: opts.encoding, rng: opts.rng, initScale: opts.initScale })
  }
  checkBoltzmann(bm)
  checkData(bm, data)
  const n = units(bm)
  const maxUnits = opts.maxUnits ?? MAX_EXACT_UNITS
  if (opts.mode === 'exact') checkExactSize(n, maxUnits)
  const track = opts.trackLogLikelihood ?? n <= 16
  if (track) checkExactSize(n, maxUnits)
  return { machine: bm, eta, weightDecay: decay, temperature, track, exact: { temperature, maxUnits } }
}

/**
 * One learning step in place: w_ij += η(⟨s_i s_j⟩_clamped − ⟨s_i s_j⟩_free − λw_ij), b_i += η(⟨s_i⟩_clamped −
 * ⟨s_i⟩_free). Returns ‖ΔW, Δb‖₂ / η.
 */
export function applyBoltzmannUpdate(bm: BoltzmannMachine, stats: BoltzmannStatistics, eta: number, weightDecay: number): number {
  const n = units(bm)
  const g = gradientFromStatistics(stats)
  let sq = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = g.weights[i * n + j]! - weightDecay * bm.weights[i * n + j]!
      sq += d * d
      const w = bm.weights[i * n + j]! + eta * d
      bm.weights[i * n + j] = w
      bm.weights[j * n + i] = w
    }
    const db = g.biases[i]!
    sq += db * db
    bm.biases[i] = bm.biases[i]! + eta * db
  }
  return Math.sqrt(sq)
}

/** Maximum-likelihood training: one full-batch update Δw_ij = η(⟨s_i s_j⟩_clamped − ⟨s_i s_j⟩_free) per epoch. */
export function trainBoltzmann(data: ArrayLike<number>[], opts: BoltzmannTrainingOptions): BoltzmannTrainingResult {
  const setup = prepareBoltzmannTraining(data, opts)
  const bm = setup.machine
  const { eta, temperature, track } = setup
  const exactOpts = setup.exact

  let exact: ExactStatistics | null = opts.mode === 'exact' ? exactStatistics(bm, data, exactOpts) : null
  const history: BoltzmannEpoch[] = [{ epoch: 0, logLikelihood: exact ? exact.logLikelihood : track ? logLikelihoodExact(bm, data, exactOpts) : null, gradientNorm: 0 }]
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    checkCancel(opts)
    const stats: BoltzmannStatistics = exact ?? sampledStatistics(bm, data, { ...opts.sampling, temperature, rng: opts.rng!, shouldCancel: opts.shouldCancel })
    const gradientNorm = applyBoltzmannUpdate(bm, stats, eta, setup.weightDecay)
    let ll: number | null = null
    if (opts.mode === 'exact') {
      exact = exactStatistics(bm, data, exactOpts)
      ll = exact.logLikelihood
    } else if (track) ll = logLikelihoodExact(bm, data, exactOpts)
    history.push({ epoch, logLikelihood: ll, gradientNorm })
    opts.onProgress?.(epoch / opts.epochs)
  }
  return { machine: bm, history }
}

export interface BoltzmannCompletionOptions extends Hooks {
  /** Cooling schedule ending at the sampling temperature; see anneal.ts. */
  schedule: TemperatureScheduleSpec | ArrayLike<number>
  sweepsPerTemperature?: number
  /** M sweeps averaged at the end; the completion thresholds ȳ at 0.5. Default 1. */
  averageLast?: number
  rng: Rng
  order?: 'random' | 'sequential'
}

export interface BoltzmannCompletion {
  /** Completed visible vector (known units as in the cue). */
  visible: Int8Array
  /** ȳ for the visible units: fraction of the last M sweeps each was high. */
  meanActivation: Float64Array
  /** The full state after the last sweep (visible then hidden). */
  last: Int8Array
}

/**
 * seeds/004 "Running: pattern completion": anchor the known visible units, let the unknown visible and all hidden
 * units evolve from a random start through the schedule, and threshold the average of the last M sweeps.
 */
export function completeBoltzmann(bm: BoltzmannMachine, cue: ArrayLike<number>, known: ArrayLike<boolean | number>, opts: BoltzmannCompletionOptions): BoltzmannCompletion {
  checkBoltzmann(bm)
  const V = bm.visible
  const n = units(bm)
  if (cue.length !== V) throw new Error(`cue has length ${cue.length}, expected ${V}`)
  if (known.length !== V) throw new Error(`known mask has length ${known.length}, expected ${V}`)
  const lo = lowOf(bm.encoding)
  const rng = opts.rng
  const state = new Int8Array(n)
  const mask = new Uint8Array(n)
  for (let i = 0; i < V; i++) {
    if (known[i]) {
      const v = cue[i]!
      if (v !== 1 && v !== lo) throw new Error(`cue, unit ${i}: value ${v} is not a ${bm.encoding} state`)
      state[i] = v
      mask[i] = 1
    }
  }
  for (let i = 0; i < n; i++) if (!mask[i]) state[i] = rng.next() < 0.5 ? 1 : lo
  const r = anneal(boltzmannNet(bm), state, {
    schedule: opts.schedule,
    sweepsPerTemperature: opts.sweepsPerTemperature,
    averageLast: opts.averageLast,
    order: opts.order,
    rng,
    clamped: mask,
    onProgress: opts.onProgress,
    shouldCancel: opts.shouldCancel
  })
  const visible = r.final.slice(0, V)
  const meanActivation = r.meanActivation.slice(0, V)
  return { visible, meanActivation, last: r.last }
}
