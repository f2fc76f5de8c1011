// Simulated annealing / Gibbs sampling of many independent chains on ONNX Runtime, in chunks of sweeps, with progress
// and cancellation. Runs programs/gibbs.ts; the exact single-chain reference is core anneal (src/core/anneal.ts).
// Reference: seeds/004 ("Annealing": L sweeps at each T_k, final state from the mean of the last M sweeps at 0.5).
// Legend: B chains, N units, S = K_T·L sweeps in all (K_T temperatures, L sweepsPerTemperature), M averageLast;
// arrays of chains are chain-major: initial/clamped/external/final are B×N, energy B×(S+1), flips B×S.
//
// Noise: chain b draws from rngs[b] exactly what core anneal draws from its rng — per sweep, the visit permutation
// (order 'random') and then N uniforms indexed by unit — and the program gets them as int32 orders and as
// uniformLogit(u) values. So anneal(net, initial_b, { ..., rng: copy of rngs[b] }) and chain b here give the same
// states (see the exactness note in programs/gibbs.ts). session.run() blocks the calling thread: use a worker for long runs.
import { temperatureSchedule, type TemperatureScheduleSpec } from '../core/anneal'
import type { Rng } from '../core/rng'
import { checkNet, checkStateValues, lowOf, stateEnergy, uniformLogit, type StochasticNet, type SweepOrder } from '../core/stochastic'
import type { EngineTensor } from './ort'
import { buildGibbsModel, GIBBS_IO as IO } from './programs/gibbs'
import type { ProviderRequest } from './provider-table'
import { sessionCache } from './session-cache'
import { CancelledError } from '../shared/errors'

export interface AnnealBatchOptions {
  /** A schedule spec, or the temperatures themselves (one per stage), shared by every chain. */
  schedule: TemperatureScheduleSpec | ArrayLike<number>
  /** L sweeps at each temperature; default 1. */
  sweepsPerTemperature?: number
  /** M: the final state thresholds the mean of the last M sweeps at 0.5; default 1 (the last state). */
  averageLast?: number
  /** Visit order within a sweep; default 'random' (a fresh permutation per sweep and chain, from rngs). */
  order?: SweepOrder
  /** One generator per chain; chain b consumes it exactly as core anneal would. */
  rngs?: readonly Rng[]
  /** Instead of rngs: per chain S×N uniforms in [0,1) (core anneal's noise layout), chains one after another. */
  noise?: ArrayLike<number>
  /**
   * With noise: per chain S×N visit orders, a permutation of 0..N−1 per sweep, laid out like noise (e.g. the
   * permutations a core rng drew, replayed); replaces `order`.
   */
  orders?: ArrayLike<number>
  /** B×N mask: units held at their initial value (clamped completion). */
  clamped?: ArrayLike<boolean | number>
  /** B×N external input x, held on for the whole run. */
  external?: ArrayLike<number>
  provider?: ProviderRequest
  threads?: number
  /** Sweeps per session.run(); default: as many as keep one run's noise under about 4M values. */
  sweepsPerRun?: number
  /** Called after each run with the sweeps done and the total. */
  onProgress?: (done: number, total: number) => void
  /** Checked before each run; true aborts with CancelledError. */
  shouldCancel?: () => boolean
}

export interface AnnealBatchResult {
  /** B×N: the thresholded mean of each chain's last M sweeps (ties keep the last value), as core anneal's `final`. */
  final: Int8Array
  /** B×N: the state after the last sweep. */
  last: Int8Array
  /** B×N: fraction of the last M sweeps in which each unit was high. */
  meanActivation: Float64Array
  /** E(final) per chain, computed by core stateEnergy (bit-identical to core anneal's finalEnergy). */
  finalEnergy: Float64Array
  /** B×(S+1): E before the first sweep, then after each (the engine's float64 E; core sums ΔE instead, so ~1e-12). */
  energy: Float64Array
  /** B×S: units changed in each sweep. */
  flips: Int32Array
  temperatures: Float64Array
  sweeps: number
  provider: string
  fallbackReason?: string
}

/** Values per run (order + noise) the default sweepsPerRun aims at. */
const RUN_VALUES = 1 << 22

const modelCache = new Map<string, Uint8Array>()

function gibbsModel(units: number, encoding: 'binary' | 'bipolar', external: boolean): Uint8Array {
  const key = `${units}:${encoding}:${external}`
  let m = modelCache.get(key)
  if (!m) {
    m = buildGibbsModel({ units, encoding, external })
    modelCache.set(key, m)
    if (modelCache.size > 16) modelCache.delete(modelCache.keys().next().value as string)
  }
  return m
}

function positiveInt(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`)
}

function scheduleOf(s: AnnealBatchOptions['schedule']): Float64Array {
  if (s !== null && typeof s === 'object' && 'kind' in s) return temperatureSchedule(s)
  return temperatureSchedule({ kind: 'custom', temperatures: s as ArrayLike<number> })
}

/** A shared visit order, or null for a fresh random permutation per sweep and chain. */
function sharedOrder(order: SweepOrder | undefined, n: number): Int32Array | null {
  const o = order ?? 'random'
  if (o === 'random') return null
  if (o === 'sequential') return Int32Array.from({ length: n }, (_, i) => i)
  const arr = Array.from(o)
  if (arr.length !== n || new Set(arr).size !== n || arr.some((u) => !Number.isInteger(u) || u < 0 || u >= n)) {
    throw new RangeError(`order must be 'random', 'sequential' or a permutation of 0..${n - 1}`)
  }
  return Int32Array.from(arr)
}

/**
 * Simulated annealing of B independent chains at once: the same schedule, L sweeps per temperature, final state from
 * the last M sweeps — core anneal's contract per chain, on the engine.
 */
export async function annealBatch(net: StochasticNet, initial: ArrayLike<number>, chains: number, opts: AnnealBatchOptions): Promise<AnnealBatchResult> {
  checkNet(net)
  const n = net.units
  const B = chains
  positiveInt(B, 'chains')
  if (initial.length !== B * n) throw new RangeError(`initial has ${initial.length} entries, expected ${B}×${n} (chains×units)`)
  let state: Float64Array = Float64Array.from(initial)
  for (let b = 0; b < B; b++) checkStateValues(state.subarray(b * n, (b + 1) * n), net.encoding, n, `initial state of chain ${b}`)
  for (let k = 0; k < n * n; k++) if (!Number.isFinite(net.weights[k]!)) throw new RangeError(`weights[${k}] is ${net.weights[k]}, expected a finite number`)
  for (let i = 0; i < n; i++) if (!Number.isFinite(net.thresholds[i]!)) throw new RangeError(`thresholds[${i}] is ${net.thresholds[i]}, expected a finite number`)
  const temps = scheduleOf(opts.schedule)
  const perT = opts.sweepsPerTemperature ?? 1
  positiveInt(perT, 'sweepsPerTemperature')
  const S = temps.length * perT
  const M = opts.averageLast ?? 1
  positiveInt(M, 'averageLast')
  if (M > S) throw new RangeError(`averageLast (${M}) exceeds the ${S} sweeps of the run`)
  const fixed = sharedOrder(opts.order, n)
  const { rngs, noise, orders } = opts
  if (rngs && noise) throw new RangeError('give rngs or noise, not both')
  if (orders) {
    if (!noise) throw new RangeError('orders go with a noise array (rngs draw their own permutations)')
    if (opts.order !== undefined) throw new RangeError('give order or orders, not both')
    if (orders.length !== B * S * n) throw new RangeError(`orders has ${orders.length} entries, expected ${B}×${S}×${n} (chains×sweeps×units)`)
    const seen = new Uint8Array(n)
    for (let r = 0; r < B * S; r++) {
      seen.fill(0)
      for (let i = 0; i < n; i++) {
        const u = orders[r * n + i]!
        if (!Number.isInteger(u) || u < 0 || u >= n || seen[u]) throw new RangeError(`orders: sweep ${r % S} of chain ${Math.floor(r / S)} is not a permutation of 0..${n - 1}`)
        seen[u] = 1
      }
    }
  }
  if (noise) {
    if (!fixed && !orders) throw new RangeError("order 'random' cannot be reproduced from a noise array: use 'sequential' or a fixed permutation")
    if (noise.length !== B * S * n) throw new RangeError(`noise has ${noise.length} uniforms, expected ${B}×${S}×${n} (chains×sweeps×units)`)
    for (let k = 0; k < noise.length; k++) {
      const u = noise[k]!
      if (!(u >= 0 && u < 1)) throw new RangeError(`noise[${k}] = ${u} is not in [0, 1)`)
    }
  } else {
    if (!rngs) throw new RangeError('annealBatch needs rngs (one per chain) or a noise array')
    if (rngs.length !== B) throw new RangeError(`rngs has ${rngs.length} generators, expected one per chain (${B})`)
  }
  const clamp = new Uint8Array(B * n)
  if (opts.clamped) {
    if (opts.clamped.length !== B * n) throw new RangeError(`clamped has ${opts.clamped.length} entries, expected ${B}×${n} (chains×units)`)
    for (let k = 0; k < B * n; k++) clamp[k] = opts.clamped[k] ? 1 : 0
  }
  const ext = opts.external ? Float64Array.from(opts.external) : null
  if (ext) {
    if (ext.length !== B * n) throw new RangeError(`external has ${ext.length} entries, expected ${B}×${n} (chains×units)`)
    for (let k = 0; k < ext.length; k++) if (!Number.isFinite(ext[k]!)) throw new RangeError(`external[${k}] is ${ext[k]}, expected a finite number`)
  }
  const extOf = (b: number): Float64Array | undefined => (ext ? ext.subarray(b * n, (b + 1) * n) : undefined)
  const perRun = opts.sweepsPerRun ?? Math.max(1, Math.min(S, Math.floor(RUN_VALUES / (B * n))))
  positiveInt(perRun, 'sweepsPerRun')

  const created = await sessionCache.get(gibbsModel(n, net.encoding, !!ext), {
    ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {})
  })
  const constant: Record<string, EngineTensor> = {
    [IO.weights]: { type: 'float64', data: Float64Array.from(net.weights), dims: [n, n] },
    [IO.thresholds]: { type: 'float64', data: Float64Array.from(net.thresholds), dims: [n] },
    [IO.clamp]: { type: 'bool', data: clamp, dims: [B, n] },
    ...(ext ? { [IO.external]: { type: 'float64', data: ext, dims: [B, n] } as const } : {})
  }
  let highCount: Float64Array = new Float64Array(B * n)
  const energy = new Float64Array(B * (S + 1))
  const flips = new Int32Array(B * S)
  for (let b = 0; b < B; b++) {
    energy[b * (S + 1)] = stateEnergy(net, state.subarray(b * n, (b + 1) * n), extOf(b))
  }
  const sweepTemps = new Float64Array(S)
  for (let t = 0; t < S; t++) sweepTemps[t] = temps[Math.floor(t / perT)]!

  for (let t0 = 0; t0 < S; t0 += perRun) {
    if (opts.shouldCancel?.()) throw new CancelledError()
    const K = Math.min(perRun, S - t0)
    const order = new Int32Array(K * B * n)
    const logits = new Float64Array(K * B * n)
    const weight = new Float64Array(K)
    for (let k = 0; k < K; k++) weight[k] = t0 + k + 1 > S - M ? 1 : 0
    // Chain by chain, sweep by sweep: each chain's stream is consumed in core anneal's order.
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) {
        const at = (k * B + b) * n
        if (orders) {
          const from = (b * S + t0 + k) * n
          for (let i = 0; i < n; i++) order[at + i] = orders[from + i]!
        } else if (fixed) order.set(fixed, at)
        else order.set(rngs![b]!.permutation(n), at)
        if (noise) {
          const from = (b * S + t0 + k) * n
          for (let i = 0; i < n; i++) logits[at + i] = uniformLogit(noise[from + i]!)
        } else {
          const rng = rngs![b]!
          for (let i = 0; i < n; i++) logits[at + i] = uniformLogit(rng.next())
        }
      }
    }
    const out = await created.session.run({
      ...constant,
      [IO.state]: { type: 'float64', data: state, dims: [B, n] },
      [IO.temperatures]: { type: 'float64', data: sweepTemps.slice(t0, t0 + K), dims: [K] },
      [IO.countWeight]: { type: 'float64', data: weight, dims: [K] },
      [IO.order]: { type: 'int32', data: order, dims: [K, B, n] },
      [IO.noiseLogit]: { type: 'float64', data: logits, dims: [K, B, n] },
      [IO.highCount]: { type: 'float64', data: highCount, dims: [B, n] }
    })
    const s = out[IO.stateOut]
    const c = out[IO.highCountOut]
    const e = out[IO.energy]
    const f = out[IO.flips]
    if (s?.type !== 'float64' || c?.type !== 'float64' || e?.type !== 'float64' || f?.type !== 'int32') throw new Error('gibbs model returned unexpected outputs')
    state = s.data
    highCount = c.data
    for (let k = 0; k < K; k++) {
      for (let b = 0; b < B; b++) {
        energy[b * (S + 1) + t0 + k + 1] = e.data[k * B + b]!
        flips[b * S + t0 + k] = f.data[k * B + b]!
      }
    }
    opts.onProgress?.(t0 + K, S)
  }

  const lo = lowOf(net.encoding)
  const last = Int8Array.from(state)
  const final = new Int8Array(B * n)
  const meanActivation = new Float64Array(B * n)
  const finalEnergy = new Float64Array(B)
  for (let b = 0; b < B; b++) {
    for (let i = b * n; i < (b + 1) * n; i++) {
      const p = highCount[i]! / M
      meanActivation[i] = p
      final[i] = p > 0.5 ? 1 : p < 0.5 ? lo : last[i]!
    }
    finalEnergy[b] = stateEnergy(net, final.subarray(b * n, (b + 1) * n), extOf(b))
  }
  const result: AnnealBatchResult = { final, last, meanActivation, finalEnergy, energy, flips, temperatures: sweepTemps, sweeps: S, provider: created.provider }
  if (created.fallbackReason !== undefined) result.fallbackReason = created.fallbackReason
  return result
}
