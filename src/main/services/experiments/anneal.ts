// Stochastic Hopfield (004): noisy or clamped completion by annealing vs T = 0 descent from the very same cues.
import { completePattern, temperatureSchedule } from '../../../core/anneal'
import { Rng } from '../../../core/rng'
import { annealChainStream, descentChainStream } from '../../../core/rng-streams'
import { annealBatch } from '../../../engine/stochastic'
import { CancelledError } from '../../../shared/errors'
import type { SweepResult } from '../../../shared/spec'
import { trainHopfield } from '../hopfield'
import { gibbsOnEngine, requireData, type SweepRunner } from './common'
import { withCoreFallback, type EngineRun } from './fallback'

type AnnealPoint = Extract<SweepResult, { type: 'anneal' }>['points'][number]

/**
 * The cues of a fraction run as batches of chains on the engine (engine/stochastic.ts): the chain of cue (p, c) draws
 * from the very rng fork that core completePattern would get, and the engine makes bit-identical decisions, so both
 * paths give the same numbers. If the engine fails, the core runs the sweep from the same rng state and the result
 * says why.
 */
export const runAnnealSweep: SweepRunner<'anneal'> = async (ctx) => {
  const { spec, sweep, rng, hooks, engine } = ctx
  const data = requireData(ctx)
  const trained = trainHopfield(data.stored, spec.model, spec.seed)
  const net = trained.net
  if (net.encoding === 'binary') {
    throw new Error("spec.model.encoding: the anneal sweep runs on bipolar states (004's stochastic Hopfield net); use 'bipolar'")
  }
  const stored = data.stored
  const temperatures = temperatureSchedule(sweep.schedule)
  const greedy = new Float64Array(temperatures.length).fill(0)
  const n = net.units
  const perPattern = sweep.cuesPerPattern
  const total = stored.length * perPattern
  const clamped = sweep.completion === 'clamped'
  // completePattern's `match`: the first stored pattern equal to the final state.
  const matchOf = (final: ArrayLike<number>): number => stored.findIndex((p) => p.length === n && p.every((v, i) => v === final[i]))
  const startState = rng.getState()
  const run = async (r: Rng, onEngine: boolean): Promise<EngineRun<AnnealPoint[]>> => {
    let provider = 'core'
    let fallbackReason: string | undefined
    const points: AnnealPoint[] = []
    for (const [fi, fraction] of sweep.fractions.entries()) {
      // Cues in the core's draw order (pattern by pattern, cue by cue), each with its two forks taken right after it.
      const cues = new Int8Array(total * n)
      const known = new Uint8Array(total * n).fill(1)
      const forksA: Rng[] = []
      const forksD: Rng[] = []
      for (let b = 0; b < total; b++) {
        if (hooks.shouldCancel?.()) throw new CancelledError()
        const pi = Math.floor(b / perPattern)
        const c = b % perPattern
        const chosen = r.permutation(n).subarray(0, Math.round(fraction * n))
        const cue = cues.subarray(b * n, (b + 1) * n)
        cue.set(stored[pi]!)
        for (const i of chosen) {
          if (!clamped) cue[i] = -cue[i]!
          else {
            known[b * n + i] = 0
            cue[i] = r.int(2) === 1 ? 1 : -1
          }
        }
        forksA.push(r.fork(annealChainStream(pi, c)))
        forksD.push(r.fork(descentChainStream(pi, c)))
      }
      const matchA = new Int32Array(total)
      const matchD = new Int32Array(total)
      const energyOfA = new Float64Array(total)
      const energyOfD = new Float64Array(total)
      if (onEngine) {
        const chunk = Math.max(1, Math.min(512, Math.floor(2 ** 20 / n)))
        for (let b0 = 0; b0 < total; b0 += chunk) {
          const rows = Math.min(chunk, total - b0)
          const common = {
            sweepsPerTemperature: sweep.sweepsPerTemperature,
            ...(clamped ? { clamped: known.subarray(b0 * n, (b0 + rows) * n) } : {}),
            provider: engine.provider,
            threads: engine.threads,
            ...(hooks.shouldCancel ? { shouldCancel: hooks.shouldCancel } : {})
          }
          const slice = cues.subarray(b0 * n, (b0 + rows) * n)
          const a = await annealBatch(net, slice, rows, { ...common, schedule: temperatures, averageLast: sweep.averageLast, rngs: forksA.slice(b0, b0 + rows) })
          const d = await annealBatch(net, slice, rows, { ...common, schedule: greedy, averageLast: 1, rngs: forksD.slice(b0, b0 + rows) })
          provider = a.provider
          fallbackReason ??= a.fallbackReason
          for (let k = 0; k < rows; k++) {
            matchA[b0 + k] = matchOf(a.final.subarray(k * n, (k + 1) * n))
            matchD[b0 + k] = matchOf(d.final.subarray(k * n, (k + 1) * n))
            energyOfA[b0 + k] = a.finalEnergy[k]!
            energyOfD[b0 + k] = d.finalEnergy[k]!
          }
          hooks.onProgress?.((fi + (b0 + rows) / total) / sweep.fractions.length)
        }
      } else {
        for (let b = 0; b < total; b++) {
          if (hooks.shouldCancel?.()) throw new CancelledError()
          const cue = cues.subarray(b * n, (b + 1) * n)
          const common = { mode: sweep.completion, ...(clamped ? { known: known.subarray(b * n, (b + 1) * n) } : {}), sweepsPerTemperature: sweep.sweepsPerTemperature, stored }
          const a = completePattern(net, cue, { ...common, schedule: temperatures, averageLast: sweep.averageLast, rng: forksA[b]! })
          const d = completePattern(net, cue, { ...common, schedule: greedy, averageLast: 1, rng: forksD[b]! })
          matchA[b] = a.match
          matchD[b] = d.match
          energyOfA[b] = a.finalEnergy
          energyOfD[b] = d.finalEnergy
        }
      }
      let annealed = 0
      let deterministic = 0
      let energyA = 0
      let energyD = 0
      for (let b = 0; b < total; b++) {
        const pi = Math.floor(b / perPattern)
        if (matchA[b] === pi) annealed++
        if (matchD[b] === pi) deterministic++
        energyA += energyOfA[b]!
        energyD += energyOfD[b]!
      }
      const cueCount = total
      hooks.onProgress?.((fi + 1) / sweep.fractions.length)
      points.push({ fraction, annealed: annealed / cueCount, deterministic: deterministic / cueCount, meanEnergyAnnealed: energyA / cueCount, meanEnergyDeterministic: energyD / cueCount, cues: cueCount })
    }
    return { value: points, provider, ...(fallbackReason ? { fallbackReason } : {}) }
  }
  // Each chain visits units in its own order, so the engine does the core's O(N) work per unit plus ~20 µs of
  // per-step overhead: measured no faster than the core below a few hundred units on CPU (docs/benchmarks.md).
  // 'auto' picks the core there; a named provider (or a large net) runs the engine.
  const { value: points, compute } = await withCoreFallback(
    gibbsOnEngine(engine.provider, n),
    () => run(Rng.fromState(startState), true),
    async () => (await run(Rng.fromState(startState), false)).value
  )
  return { compute, sweep: { type: 'anneal', completion: sweep.completion, temperatures: Array.from(temperatures), points }, hopfield: trained }
}
