// Boltzmann machine learning with sampled statistics on the engine: the clamped and free phases run as batches of
// Gibbs chains (annealBatch → programs/gibbs.ts), the statistics and the update are the core's.
// Reference: seeds/004 ("Maximum Likelihood Training", "With hidden neurons": Step 1 clamped, Step 2 free-running);
// the exact reference is src/core/boltzmann.ts (sampledStatistics, trainBoltzmann) — same plan, same draws, same sums.
// Legend: V visible, H hidden, N = V + H units; P training vectors; K clampedSamples, M freeSamples; R samplesPerChain;
// A annealing stages, E equilibrationSweeps, every = sampleEvery; a chain with c samples runs A + E + (c−1)·every
// sweeps; B chains in a group (one annealBatch call per sampling segment).
//
// Draw order. Core sampledStatistics runs its chains one after another from ONE rng: per chain the random start of the
// unclamped units (one uniform each, in unit order), then per sweep the visit permutation ('random' order) and N
// uniforms. The chains are independent given those draws, so the engine draws them on the host in exactly that order
// — chain by chain, into a tape of permutations and uniforms — and runs a group of chains side by side, replaying the
// tape through annealBatch's `noise` + `orders`. No core option is needed and the default numbers stay the core's.
// The tape is what annealBatch would draw anyway; groups bound it to about `groupValues` uniforms.
//
// Samples. Segment 0 runs the A + E sweeps; each later segment runs `every` sweeps of the chains that still owe a
// sample. The samples are then added in the core's order (chain by chain, sample by sample, clamped then free) with
// the core's accumulateSample, so the sums round identically. Decisions equal the core's when the fields do (see the
// exactness note in programs/gibbs.ts): trained float64 weights give fields that agree to ~1e-16 relative, so a
// decision could differ only if logit(u) fell within that of Δ/T — not seen in the tests.
import {
  accumulateSample,
  applyBoltzmannUpdate,
  boltzmannNet,
  emptyPhase,
  logLikelihoodExact,
  prepareBoltzmannTraining,
  samplingPlan,
  type BoltzmannEpoch,
  type BoltzmannMachine,
  type BoltzmannStatistics,
  type BoltzmannTrainingOptions,
  type BoltzmannTrainingResult,
  type PhaseStatistics,
  type SamplingOptions,
  type SamplingPlan
} from '../core/boltzmann'
import type { Rng } from '../core/rng'
import { lowOf } from '../core/stochastic'
import type { ProviderRequest } from './provider-table'
import { annealBatch } from './stochastic'

export interface EngineSettings {
  provider?: ProviderRequest
  threads?: number
  /** Upper bound on the uniforms (chains × sweeps × units) drawn ahead for one group of chains; default 2^21. */
  groupValues?: number
  /** Upper bound on the chains of one group; default 4096. */
  maxChains?: number
}

export interface EngineSamplingOptions extends SamplingOptions, EngineSettings {}

export interface EngineStatistics extends BoltzmannStatistics {
  /** The provider that ran the chains ('none' when no chain ran a sweep). */
  provider: string
  fallbackReason?: string
}

interface Chain {
  /** The training vector a clamped chain holds; null for a free chain. */
  clampTo: ArrayLike<number> | null
  samples: number
  weight: number
  sweeps: number
}

function positiveInt(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`)
}

/** The core's chains in the core's order: clamped (vector by vector, chain by chain) when H > 0, then free. */
function chainsOf(bm: BoltzmannMachine, data: ArrayLike<number>[], plan: SamplingPlan): Chain[] {
  const chains: Chain[] = []
  const sweepsFor = (count: number): number => plan.temps.length + plan.equilibration + (count - 1) * plan.every
  const K = plan.clampedSamples
  const M = plan.freeSamples
  if (bm.hidden > 0) {
    for (const v of data) {
      for (let left = K; left > 0; left -= plan.perChain) {
        const count = Math.min(plan.perChain, left)
        chains.push({ clampTo: v, samples: count, weight: 1 / (data.length * K), sweeps: sweepsFor(count) })
      }
    }
  }
  for (let left = M; left > 0; left -= plan.perChain) {
    const count = Math.min(plan.perChain, left)
    chains.push({ clampTo: null, samples: count, weight: 1 / M, sweeps: sweepsFor(count) })
  }
  return chains
}

/** Uniforms of chain `c` of a group from sweep `from` to `to` (exclusive), laid out as annealBatch's noise. */
function sliceTape(tape: Float64Array, at: Int32Array, group: number[], from: number, to: number, n: number): Float64Array
function sliceTape(tape: Int32Array, at: Int32Array, group: number[], from: number, to: number, n: number): Int32Array
function sliceTape(tape: Float64Array | Int32Array, at: Int32Array, group: number[], from: number, to: number, n: number): Float64Array | Int32Array {
  const L = to - from
  const out = tape instanceof Float64Array ? new Float64Array(group.length * L * n) : new Int32Array(group.length * L * n)
  group.forEach((c, b) => out.set(tape.subarray(at[c]! + from * n, at[c]! + to * n), b * L * n))
  return out
}

/**
 * seeds/004 clamped and free statistics by Gibbs sampling on the engine: the same chains, draws and sums as core
 * sampledStatistics(bm, data, opts) — given the same rng state, the same numbers (see the header).
 */
export async function sampledStatisticsEngine(bm: BoltzmannMachine, data: ArrayLike<number>[], opts: EngineSamplingOptions): Promise<EngineStatistics> {
  const plan = samplingPlan(bm, data, opts)
  const rng: Rng = opts.rng
  if (!rng) throw new RangeError('sampledStatisticsEngine needs an rng')
  const groupValues = opts.groupValues ?? 1 << 21
  const maxChains = opts.maxChains ?? 4096
  positiveInt(groupValues, 'groupValues')
  positiveInt(maxChains, 'maxChains')
  const n = bm.visible + bm.hidden
  const V = bm.visible
  const lo = lowOf(bm.encoding)
  const random = plan.order === 'random'
  const net = boltzmannNet(bm)
  const chains = chainsOf(bm, data, plan)
  const A = plan.temps.length
  const first = A + plan.equilibration
  const firstTemps = new Float64Array(first)
  firstTemps.set(plan.temps)
  firstTemps.fill(plan.temperature, A)
  const everyTemps = new Float64Array(plan.every).fill(plan.temperature)

  const clamped = emptyPhase(n)
  const free = emptyPhase(n)
  if (bm.hidden === 0) {
    for (const v of data) accumulateSample(clamped, v, 1 / data.length)
    clamped.samples = data.length
  }
  let provider = 'none'
  let fallbackReason: string | undefined

  for (let c0 = 0; c0 < chains.length; ) {
    if (opts.shouldCancel?.()) throw new Error('cancelled')
    // A group: consecutive chains while their draws fit the budget (at least one chain).
    let c1 = c0
    let values = 0
    while (c1 < chains.length && c1 - c0 < maxChains && (c1 === c0 || values + chains[c1]!.sweeps * n <= groupValues)) {
      values += chains[c1]!.sweeps * n
      c1++
    }
    const group = Array.from({ length: c1 - c0 }, (_, k) => c0 + k)
    const B = group.length

    // The tape, drawn exactly as the core draws: random start of the unclamped units, then per sweep the permutation
    // (random order) and N uniforms.
    const states = new Int8Array(B * n)
    const mask = new Uint8Array(B * n)
    const at = new Int32Array(chains.length)
    const uniforms = new Float64Array(values)
    const orders = random ? new Int32Array(values) : null
    let offset = 0
    group.forEach((c, b) => {
      const chain = chains[c]!
      const s = states.subarray(b * n, (b + 1) * n)
      if (chain.clampTo) {
        for (let i = 0; i < V; i++) s[i] = chain.clampTo[i]!
        mask.fill(1, b * n, b * n + V)
        for (let i = V; i < n; i++) s[i] = rng.next() < 0.5 ? 1 : lo
      } else {
        for (let i = 0; i < n; i++) s[i] = rng.next() < 0.5 ? 1 : lo
      }
      at[c] = offset
      for (let t = 0; t < chain.sweeps; t++) {
        if (orders) orders.set(rng.permutation(n), offset)
        for (let i = 0; i < n; i++) uniforms[offset + i] = rng.next()
        offset += n
      }
    })

    // Segments: the A + E sweeps of every chain, then `every` sweeps of the chains still owing a sample.
    const maxSamples = group.reduce((m, c) => Math.max(m, chains[c]!.samples), 0)
    const samples: Int8Array[] = Array.from({ length: B }, (_, b) => new Int8Array(chains[group[b]!]!.samples * n))
    for (let k = 0; k < maxSamples; k++) {
      const active = group.map((_, b) => b).filter((b) => chains[group[b]!]!.samples > k)
      const from = k === 0 ? 0 : first + (k - 1) * plan.every
      const to = k === 0 ? first : from + plan.every
      if (to > from) {
        const activeChains = active.map((b) => group[b]!)
        const initial = new Int8Array(active.length * n)
        const clampMask = new Uint8Array(active.length * n)
        active.forEach((b, r) => {
          initial.set(states.subarray(b * n, (b + 1) * n), r * n)
          clampMask.set(mask.subarray(b * n, (b + 1) * n), r * n)
        })
        const out = await annealBatch(net, initial, active.length, {
          schedule: k === 0 ? firstTemps : everyTemps,
          averageLast: 1,
          noise: sliceTape(uniforms, at, activeChains, from, to, n),
          ...(orders ? { orders: sliceTape(orders, at, activeChains, from, to, n) } : { order: 'sequential' as const }),
          clamped: clampMask,
          ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
          ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
          ...(opts.shouldCancel ? { shouldCancel: opts.shouldCancel } : {})
        })
        provider = out.provider
        fallbackReason ??= out.fallbackReason
        active.forEach((b, r) => states.set(out.last.subarray(r * n, (r + 1) * n), b * n))
      }
      for (const b of active) samples[b]!.set(states.subarray(b * n, (b + 1) * n), k * n)
    }

    // The core's sums in the core's order.
    group.forEach((c, b) => {
      const chain = chains[c]!
      const stats: PhaseStatistics = chain.clampTo ? clamped : free
      for (let k = 0; k < chain.samples; k++) {
        accumulateSample(stats, samples[b]!.subarray(k * n, (k + 1) * n), chain.weight)
        stats.samples++
      }
    })
    c0 = c1
    opts.onProgress?.(c1 / chains.length)
  }
  return { clamped, free, provider, ...(fallbackReason !== undefined ? { fallbackReason } : {}) }
}

export interface EngineTrainingOptions extends BoltzmannTrainingOptions, EngineSettings {}

export interface EngineTrainingResult extends BoltzmannTrainingResult {
  provider: string
  fallbackReason?: string
}

/**
 * trainBoltzmann in mode 'sampled' with the statistics from sampledStatisticsEngine: the same starting machine, the
 * same rng stream, the same update (applyBoltzmannUpdate) — so the same weights as the core.
 */
export async function trainBoltzmannEngine(data: ArrayLike<number>[], opts: EngineTrainingOptions): Promise<EngineTrainingResult> {
  if (opts.mode !== 'sampled') throw new RangeError(`mode: the engine trains with sampled statistics; got '${String(opts.mode)}' (exact statistics run on the core)`)
  const setup = prepareBoltzmannTraining(data, opts)
  const bm = setup.machine
  const exactOpts = setup.exact
  const history: BoltzmannEpoch[] = [{ epoch: 0, logLikelihood: setup.track ? logLikelihoodExact(bm, data, exactOpts) : null, gradientNorm: 0 }]
  let provider = 'none'
  let fallbackReason: string | undefined
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    if (opts.shouldCancel?.()) throw new Error('cancelled')
    const stats = await sampledStatisticsEngine(bm, data, {
      ...opts.sampling,
      temperature: setup.temperature,
      rng: opts.rng!,
      ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(opts.groupValues !== undefined ? { groupValues: opts.groupValues } : {}),
      ...(opts.maxChains !== undefined ? { maxChains: opts.maxChains } : {}),
      ...(opts.shouldCancel ? { shouldCancel: opts.shouldCancel } : {}),
      onProgress: (f) => opts.onProgress?.((epoch - 1 + f) / opts.epochs)
    })
    if (stats.provider !== 'none') provider = stats.provider
    fallbackReason ??= stats.fallbackReason
    const gradientNorm = applyBoltzmannUpdate(bm, stats, setup.eta, setup.weightDecay)
    history.push({ epoch, logLikelihood: setup.track ? logLikelihoodExact(bm, data, exactOpts) : null, gradientNorm })
    opts.onProgress?.(epoch / opts.epochs)
  }
  return { machine: bm, history, provider, ...(fallbackReason !== undefined ? { fallbackReason } : {}) }
}
