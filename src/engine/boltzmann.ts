// Boltzmann machine learning with sampled statistics on the engine: the clamped and free phases run as batches of
// Gibbs chains (annealBatch → programs/gibbs.ts), the statistics and the update are the core's.
// Reference: seeds/004 ("Maximum Likelihood Training", "With hidden neurons": Step 1 clamped, Step 2 free-running);
// the exact reference is src/core/boltzmann.ts (sampledStatistics, trainBoltzmann) — same plan, same draws, same sums.
// Legend: V visible, H hidden, N = V + H units; P training vectors; K clampedSamples, M freeSamples; R samplesPerChain;
// A annealing stages, E equilibrationSweeps, every = sampleEvery; a chain with c samples runs A + E + (c−1)·every
// sweeps; B chains in a group (per sampling segment one annealBatch call for its clamped and one for its free chains).
//
// Draw order. Core sampledStatistics runs its chains one after another from ONE rng: per chain the random start of the
// unclamped units (one uniform each, in unit order), then per sweep the visit permutation ('random' order) and N
// uniforms. The chains are independent given those draws, so the engine draws them on the host in exactly that order
// — chain by chain, into a tape of permutations and uniforms — and runs a group of chains side by side, replaying the
// tape through annealBatch's `noise` + `orders`. No core option is needed and the default numbers stay the core's.
// The tape is what annealBatch would draw anyway; groups bound it to about `groupValues` uniforms.
//
// Clamped chains. The core skips clamped units (no field, no decision, but their uniforms are still drawn), so a clamped
// chain is the hidden net alone (W_hh, θ_h) with the external input x = W_hv·v of its training vector: the engine runs
// it that way, with the tape's permutations restricted to the hidden units and their uniforms — H unit steps per sweep
// instead of N. Free chains run on the whole net.
//
// Samples. Segment 0 runs the A + E sweeps; each later segment runs `every` sweeps of the chains that still owe a
// sample. The samples are then added in the core's order (chain by chain, sample by sample, clamped then free) with
// the core's accumulateSample, so the sums round identically. Decisions equal the core's when the fields do (see the
// exactness note in programs/gibbs.ts): with trained float64 weights the fields (and x) are summed in another order
// than the core's, so they agree to ~1e-16 relative, and a decision could differ only if logit(u) fell within that of
// Δ/T — not seen in the tests or the benchmark (which check bit-identical statistics).
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
import { lowOf, type StochasticNet } from '../core/stochastic'
import type { ProviderRequest } from './provider-table'
import { annealBatch } from './stochastic'
import { CancelledError } from '../shared/errors'

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
  const H = bm.hidden
  // A clamped chain is the hidden net alone with the external input x = W_hv·v of its training vector: the core skips
  // clamped units (no field, no decision), so their steps need not run at all.
  let hiddenNet: StochasticNet | null = null
  if (H > 0) {
    const weights = new Float64Array(H * H)
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) weights[i * H + j] = bm.weights[(V + i) * n + V + j]!
    hiddenNet = { units: H, weights, thresholds: net.thresholds.slice(V), encoding: bm.encoding }
  }
  const inputs = new Map<ArrayLike<number>, Float64Array>()
  const hiddenInput = (v: ArrayLike<number>): Float64Array => {
    let x = inputs.get(v)
    if (!x) {
      x = new Float64Array(H)
      for (let i = 0; i < H; i++) {
        let z = 0
        for (let j = 0; j < V; j++) z += bm.weights[(V + i) * n + j]! * v[j]!
        x[i] = z
      }
      inputs.set(v, x)
    }
    return x
  }
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
    if (opts.shouldCancel?.()) throw new CancelledError()
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
    const at = new Int32Array(chains.length)
    const uniforms = new Float64Array(values)
    const orders = random ? new Int32Array(values) : null
    let offset = 0
    group.forEach((c, b) => {
      const chain = chains[c]!
      const s = states.subarray(b * n, (b + 1) * n)
      if (chain.clampTo) {
        for (let i = 0; i < V; i++) s[i] = chain.clampTo[i]!
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

    // Segments: the A + E sweeps of every chain, then `every` sweeps of the chains still owing a sample. Clamped chains
    // run on the hidden net, free chains on the whole net.
    const maxSamples = group.reduce((m, c) => Math.max(m, chains[c]!.samples), 0)
    const samples: Int8Array[] = Array.from({ length: B }, (_, b) => new Int8Array(chains[group[b]!]!.samples * n))
    for (let k = 0; k < maxSamples; k++) {
      const active = group.map((_, b) => b).filter((b) => chains[group[b]!]!.samples > k)
      const from = k === 0 ? 0 : first + (k - 1) * plan.every
      const to = k === 0 ? first : from + plan.every
      if (to > from) {
        for (const hiddenOnly of [true, false]) {
          const rows = active.filter((b) => !!chains[group[b]!]!.clampTo === hiddenOnly)
          if (rows.length === 0) continue
          const lo0 = hiddenOnly ? V : 0
          const w = n - lo0
          const L = to - from
          const initial = new Int8Array(rows.length * w)
          const noise = new Float64Array(rows.length * L * w)
          const ord = orders ? new Int32Array(rows.length * L * w) : null
          const external = hiddenOnly ? new Float64Array(rows.length * w) : null
          rows.forEach((b, r) => {
            const c = group[b]!
            initial.set(states.subarray(b * n + lo0, (b + 1) * n), r * w)
            if (external) external.set(hiddenInput(chains[c]!.clampTo!), r * w)
            for (let t = 0; t < L; t++) {
              const src = at[c]! + (from + t) * n
              const dst = (r * L + t) * w
              noise.set(uniforms.subarray(src + lo0, src + n), dst)
              if (ord) {
                // The core's permutation with the clamped (visible) units left out, renumbered from 0.
                let q = dst
                for (let i = 0; i < n; i++) {
                  const u = orders![src + i]!
                  if (u >= lo0) ord[q++] = u - lo0
                }
              }
            }
          })
          const out = await annealBatch(hiddenOnly ? hiddenNet! : net, initial, rows.length, {
            schedule: k === 0 ? firstTemps : everyTemps,
            averageLast: 1,
            noise,
            ...(ord ? { orders: ord } : { order: 'sequential' as const }),
            ...(external ? { external } : {}),
            ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
            ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
            ...(opts.shouldCancel ? { shouldCancel: opts.shouldCancel } : {})
          })
          provider = out.provider
          fallbackReason ??= out.fallbackReason
          rows.forEach((b, r) => states.set(out.last.subarray(r * w, (r + 1) * w), b * n + lo0))
        }
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
    if (opts.shouldCancel?.()) throw new CancelledError()
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
