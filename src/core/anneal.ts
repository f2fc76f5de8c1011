// Temperature schedules, simulated annealing and stochastic pattern completion for stochastic Hopfield nets.
// Reference: seeds/004 ("Annealing": for T = T0 down to Tmin, L sweeps of σ(z/T) Gibbs updates; final state
// from the average of the last M iterations thresholded at 0.5; pattern completion with the seen bits fixed
// vs noisy completion of the whole net).
// Legend: N units; s state Int8Array (N) in {0,1} or {−1,1}; T_k the k-th temperature of the schedule (K stages);
// L sweepsPerTemperature; S = K·L sweeps in all; M averageLast; ȳ_i = fraction of the last M sweeps in which
// unit i was high (1); final_i = high if ȳ_i > 0.5, low if ȳ_i < 0.5, the last value on a tie;
// noise array: S×N uniforms in [0,1), sweep t uses noise[t·N .. t·N+N−1] (unit i takes noise[t·N+i]).

import { checkCancel, type Hooks } from './dynamics'
import type { Rng } from './rng'
import {
  checkNet,
  checkNoise,
  checkStateValues,
  checkTemperature,
  lowOf,
  resolveClamped,
  resolveOrder,
  stateEnergy,
  SweepKernel,
  type StochasticNet,
  type SweepOrder
} from './stochastic'

export type TemperatureScheduleSpec =
  | { kind: 'constant'; temperature: number; steps: number }
  /** T_k = start·r^k, r = factor, or r = (end/start)^(1/(steps−1)) so the last stage is exactly `end`. */
  | { kind: 'geometric'; start: number; end?: number; factor?: number; steps: number }
  /** Evenly spaced from start to end inclusive (end may be 0: the last stages are then greedy descent). */
  | { kind: 'linear'; start: number; end: number; steps: number }
  | { kind: 'custom'; temperatures: ArrayLike<number> }

function positiveInt(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${v}`)
}

/** The temperatures T_0 .. T_{K−1} of a schedule; every value finite and ≥ 0. */
export function temperatureSchedule(spec: TemperatureScheduleSpec): Float64Array {
  switch (spec.kind) {
    case 'constant': {
      positiveInt(spec.steps, 'schedule.steps')
      checkTemperature(spec.temperature, 'schedule.temperature')
      return new Float64Array(spec.steps).fill(spec.temperature)
    }
    case 'geometric': {
      positiveInt(spec.steps, 'schedule.steps')
      if (!(Number.isFinite(spec.start) && spec.start > 0)) throw new Error(`schedule.start must be a finite number > 0, got ${spec.start}`)
      if ((spec.end === undefined) === (spec.factor === undefined)) throw new Error('geometric schedule needs exactly one of schedule.end and schedule.factor')
      let r: number
      if (spec.end !== undefined) {
        if (!(Number.isFinite(spec.end) && spec.end > 0)) throw new Error(`schedule.end must be a finite number > 0 for a geometric schedule, got ${spec.end}`)
        r = spec.steps === 1 ? 1 : (spec.end / spec.start) ** (1 / (spec.steps - 1))
      } else {
        r = spec.factor!
        if (!(Number.isFinite(r) && r > 0)) throw new Error(`schedule.factor must be a finite number > 0, got ${r}`)
      }
      const out = new Float64Array(spec.steps)
      for (let k = 0; k < spec.steps; k++) out[k] = spec.start * r ** k
      if (spec.end !== undefined) out[spec.steps - 1] = spec.end
      return out
    }
    case 'linear': {
      positiveInt(spec.steps, 'schedule.steps')
      checkTemperature(spec.start, 'schedule.start')
      checkTemperature(spec.end, 'schedule.end')
      const out = new Float64Array(spec.steps)
      for (let k = 0; k < spec.steps; k++) out[k] = spec.steps === 1 ? spec.start : spec.start + ((spec.end - spec.start) * k) / (spec.steps - 1)
      return out
    }
    case 'custom': {
      if (spec.temperatures.length === 0) throw new Error('schedule.temperatures must not be empty')
      const out = Float64Array.from(spec.temperatures)
      out.forEach((t, k) => checkTemperature(t, `schedule.temperatures[${k}]`))
      return out
    }
    default:
      throw new Error(`unknown schedule kind ${(spec as { kind: unknown }).kind}`)
  }
}

export interface AnnealOptions extends Hooks {
  /** A schedule spec, or the temperatures themselves (one per stage). */
  schedule: TemperatureScheduleSpec | ArrayLike<number>
  /** L sweeps at each temperature. Default 1. */
  sweepsPerTemperature?: number
  /** M: the final state thresholds the mean of the last M sweeps at 0.5. Default 1 (the last state). */
  averageLast?: number
  /** Default 'random' (needs rng). */
  order?: SweepOrder
  rng?: Rng
  /** S×N uniforms replacing the rng (order must then be 'sequential' or a fixed permutation). */
  noise?: ArrayLike<number>
  /** Units held at their initial value for the whole run. */
  clamped?: ArrayLike<boolean | number>
  external?: ArrayLike<number>
  /** Keep the state after every sweep. Default false. */
  recordStates?: boolean
}

export interface AnnealResult {
  /** Thresholded mean of the last M sweeps (seeds/004's "final predicted configuration"). */
  final: Int8Array
  finalEnergy: number
  /** The state after the last sweep. */
  last: Int8Array
  /** ȳ_i: fraction of the last M sweeps in which unit i was high — the estimate of P(s_i = 1). */
  meanActivation: Float64Array
  /** E before the first sweep, then after each (S+1 entries). */
  energy: Float64Array
  /** Temperature of each sweep (S entries). */
  temperatures: Float64Array
  /** Units that changed in each sweep. */
  flips: Int32Array
  /** Lowest-energy state seen after any sweep (or the initial state). */
  best: { state: Int8Array; energy: number; sweep: number }
  /** With recordStates: the initial state, then the state after each sweep. */
  states: Int8Array[] | null
  sweeps: number
}

function scheduleOf(s: AnnealOptions['schedule']): Float64Array {
  if ('kind' in (s as object)) return temperatureSchedule(s as TemperatureScheduleSpec)
  return temperatureSchedule({ kind: 'custom', temperatures: s as ArrayLike<number> })
}

/** Simulated annealing (seeds/004): L Gibbs sweeps at each T_k in turn, from `initial`. */
export function anneal(net: StochasticNet, initial: ArrayLike<number>, opts: AnnealOptions): AnnealResult {
  checkNet(net)
  const n = net.units
  checkStateValues(initial, net.encoding, n, 'initial state')
  const temps = scheduleOf(opts.schedule)
  const perT = opts.sweepsPerTemperature ?? 1
  positiveInt(perT, 'sweepsPerTemperature')
  const total = temps.length * perT
  const m = opts.averageLast ?? 1
  positiveInt(m, 'averageLast')
  if (m > total) throw new Error(`averageLast (${m}) exceeds the ${total} sweeps of the run`)
  if (opts.external && opts.external.length !== n) throw new Error(`external input has length ${opts.external.length}, expected ${n}`)
  if (opts.noise) checkNoise(opts.noise, total * n, 'noise')
  else if (!opts.rng) throw new Error('anneal needs an rng or a noise array')
  const kernel = new SweepKernel(net, resolveOrder(opts.order, n, opts.rng, !!opts.noise), resolveClamped(opts.clamped, n), opts.external)

  const state = Int8Array.from(initial)
  const energies = new Float64Array(total + 1)
  const temperatures = new Float64Array(total)
  const flips = new Int32Array(total)
  const highCount = new Float64Array(n)
  const states: Int8Array[] | null = opts.recordStates ? [Int8Array.from(state)] : null
  let e = stateEnergy(net, state, opts.external)
  energies[0] = e
  let best = { state: Int8Array.from(state), energy: e, sweep: 0 }
  const progressEvery = Math.max(1, Math.floor(total / 200))
  let t = 0
  for (let k = 0; k < temps.length; k++) {
    const temperature = temps[k]!
    for (let l = 0; l < perT; l++) {
      checkCancel(opts)
      const r = kernel.sweep(state, temperature, opts.rng, opts.noise, t * n)
      e += r.dE
      temperatures[t] = temperature
      flips[t] = r.flips
      t++
      energies[t] = e
      if (e < best.energy - 1e-12) best = { state: Int8Array.from(state), energy: e, sweep: t }
      if (t > total - m) for (let i = 0; i < n; i++) if (state[i] === 1) highCount[i]!++
      states?.push(Int8Array.from(state))
      if (t % progressEvery === 0) opts.onProgress?.(t / total)
    }
  }
  const lo = lowOf(net.encoding)
  const meanActivation = new Float64Array(n)
  const final = new Int8Array(n)
  for (let i = 0; i < n; i++) {
    const p = highCount[i]! / m
    meanActivation[i] = p
    final[i] = p > 0.5 ? 1 : p < 0.5 ? lo : state[i]!
  }
  opts.onProgress?.(1)
  return {
    final,
    finalEnergy: stateEnergy(net, final, opts.external),
    last: state,
    meanActivation,
    energy: energies,
    temperatures,
    flips,
    best,
    states,
    sweeps: total
  }
}

export interface CompletionOptions extends Omit<AnnealOptions, 'clamped'> {
  /**
   * 'clamped': seeds/004 pattern completion — the known ("seen") units are fixed to the cue, only the rest evolve.
   * 'noisy': noisy pattern completion — the cue initialises the whole net and every unit evolves.
   */
  mode: 'clamped' | 'noisy'
  /** Which units of the cue are known. Required for 'clamped'; for 'noisy' only used by fillUnknown. */
  known?: ArrayLike<boolean | number>
  /**
   * Starting value of the unknown units: the cue's own value ('keep', default), uniform random (draws from rng
   * before the first sweep), or all low / all high. A bipolar cue may hold 0 on unknown units unless 'keep'.
   */
  fillUnknown?: 'keep' | 'random' | 'low' | 'high'
  /** Patterns to match the final state against. */
  stored?: ArrayLike<number>[]
}

export interface CompletionResult extends AnnealResult {
  /** Index of the stored pattern equal to `final`, −1 if none. */
  match: number
}

export function completePattern(net: StochasticNet, cue: ArrayLike<number>, opts: CompletionOptions): CompletionResult {
  checkNet(net)
  const n = net.units
  if (cue.length !== n) throw new Error(`cue has length ${cue.length}, expected ${n}`)
  const known = opts.known
  if (known && known.length !== n) throw new Error(`known mask has length ${known.length}, expected ${n}`)
  if (opts.mode === 'clamped' && !known) throw new Error("mode 'clamped' needs the known mask")
  const fill = opts.fillUnknown ?? 'keep'
  if (fill !== 'keep' && !known) throw new Error(`fillUnknown '${fill}' needs the known mask`)
  if (fill === 'random' && !opts.rng) throw new Error("fillUnknown 'random' needs an rng")
  const lo = lowOf(net.encoding)
  const start = Int8Array.from(cue)
  for (let i = 0; i < n; i++) {
    if (known && !known[i]) {
      if (fill === 'random') start[i] = opts.rng!.next() < 0.5 ? 1 : lo
      else if (fill === 'low') start[i] = lo
      else if (fill === 'high') start[i] = 1
    }
  }
  checkStateValues(start, net.encoding, n, 'cue')
  const result = anneal(net, start, { ...opts, clamped: opts.mode === 'clamped' ? known : undefined })
  let match = -1
  if (opts.stored) {
    for (let k = 0; k < opts.stored.length && match < 0; k++) {
      const p = opts.stored[k]!
      if (p.length === n && result.final.every((v, i) => v === p[i])) match = k
    }
  }
  return { ...result, match }
}
