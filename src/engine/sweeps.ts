// Capacity, noise and partial-cue sweeps with synchronous recall batched on the engine.
// Reference: src/core/sweeps.ts. The loop (draws, forks, tallies, skips) is the core's own sweep loop; the engine only
// settles its batches: the bulk recall runs on ONNX Runtime and the few rows that are still moving at the iteration
// limit (2-cycles) are finished by the core, so both paths give the same numbers.
// Legend: N units; P stored patterns; k cues per pattern; B = P·k cues per batch (rows of a B×N Int8Array).

import type { HopfieldNet } from '../core/hopfield'
import { settle } from '../core/dynamics'
import type { LearningRule } from '../core/rules'
import {
  capacityCellsLoop,
  capacitySweepLoop,
  capacityTheory,
  noiseSweepLoop,
  partialCueSweepLoop,
  runSweepAsync,
  type CapacityCell,
  type CapacityPoint,
  type CapacityTrial,
  type CueSweepPoint,
  type SettleRequest,
  type SweepLoop
} from '../core/sweeps'
import type { Rng } from '../core/rng'
import { recallBatch } from './recall'
import type { ProviderRequest } from './provider-table'

export interface EngineSweepHooks {
  onProgress?: (fraction: number) => void
  shouldCancel?: () => boolean
}

export interface EngineSweepSettings extends EngineSweepHooks {
  maxSweeps: number
  provider?: ProviderRequest
  threads?: number
  /** Return to the event loop before each batch (a queue worker renews its job lock and reads cancel flags there). */
  yieldBetweenBatches?: boolean
}

/** A sweep's numbers and where its recall ran: the provider, and why it is not the one asked for (if so). */
export interface EngineSweepResult<P> {
  points: P[]
  provider: string
  fallbackReason?: string
}

/**
 * Runs a core sweep loop with synchronous recall of each batch on the engine: all cues of the batch drawn first
 * (synchronous recall draws nothing, so the draws are the core's), then the engine for all, the core for the rows
 * the engine left at the limit. The first provider fallback the engine reports is kept for the result.
 */
async function runOnEngine<P>(loop: SweepLoop<P[]>, s: EngineSweepSettings): Promise<EngineSweepResult<P>> {
  let provider = 'cpu'
  let fallbackReason: string | undefined
  const settleBatch = async ({ net, count, cues }: SettleRequest): Promise<Int8Array> => {
    if (s.yieldBetweenBatches) await new Promise((resolve) => setImmediate(resolve))
    const n = net.units
    const batch = new Int8Array(count * n)
    let b = 0
    for (const cue of cues) batch.set(cue, n * b++)
    const run = await recallBatch(net, batch, count, { maxIterations: s.maxSweeps, provider: s.provider, threads: s.threads, shouldCancel: s.shouldCancel })
    for (let r = 0; r < count; r++) {
      if (run.iterations[r]! < s.maxSweeps) continue
      // Still moving at the limit: the core decides (fixed point reached on the last step, 2-cycle, or limit).
      const y = batch.slice(r * n, (r + 1) * n)
      settle(net, y, { mode: 'sync', maxSweeps: s.maxSweeps })
      run.final.set(y, r * n)
    }
    provider = run.provider
    fallbackReason ??= run.fallbackReason
    return run.final
  }
  const points = await runSweepAsync(loop, settleBatch)
  return { points, provider, ...(fallbackReason ? { fallbackReason } : {}) }
}

export interface EngineCapacityOptions extends EngineSweepSettings {
  units: number
  patternCounts: number[]
  rules: LearningRule[]
  trials: number
  noise: number
  cuesPerPattern: number
  rng: Rng
}

/** Same contract and numbers as core capacitySweep with recall { mode: 'sync' }. */
export function capacitySweepEngine(opts: EngineCapacityOptions): Promise<EngineSweepResult<CapacityPoint>> {
  return runOnEngine(capacitySweepLoop(opts), opts)
}

/** Some cells of a capacity sweep (a shard): the same numbers as core capacityCellsLoop with recall { mode: 'sync' }. */
export function capacityCellsEngine(opts: EngineCapacityOptions, cells: readonly CapacityCell[]): Promise<EngineSweepResult<CapacityTrial>> {
  return runOnEngine(capacityCellsLoop(opts, cells), opts)
}

export interface EngineCueSweepOptions extends EngineSweepSettings {
  fractions: number[]
  cuesPerPattern: number
  rng: Rng
  /** 'noise' flips units; 'partial' masks them with a ±1 fill or random ±1 (0 = unknown is core-only). */
  kind: 'noise' | 'partial'
  fill?: -1 | 1 | 'random'
}

/** Same numbers as core noiseSweep / partialCueSweep with recall { mode: 'sync' }. */
export function cueSweepEngine(net: HopfieldNet, stored: ArrayLike<number>[], opts: EngineCueSweepOptions): Promise<EngineSweepResult<CueSweepPoint>> {
  const loop = opts.kind === 'noise' ? noiseSweepLoop(net, stored, opts) : partialCueSweepLoop(net, stored, { ...opts, fill: opts.fill ?? -1 })
  return runOnEngine(loop, opts)
}

export { capacityTheory }
