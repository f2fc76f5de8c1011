// Capacity, noise and partial-cue sweeps with synchronous recall batched on the engine.
// Reference: src/core/sweeps.ts (the exact core versions). The cues are drawn with the very same forks and
// draws as the core's synchronous sweep, the bulk recall runs on ONNX Runtime, and the few rows that are
// still moving at the iteration limit (2-cycles) are finished by the core, so both paths give the same numbers.
// Legend: N units; P stored patterns; k cues per pattern; B = P·k cues per batch (rows of a B×N Int8Array).

import { isFixedPoint, type HopfieldNet } from '../core/hopfield'
import { settle } from '../core/dynamics'
import { trainRule, type LearningRule } from '../core/rules'
import { capacityPoint, capacityTheory, emptyTally, flip, maskCue, randomPatterns, score, type CapacityPoint, type CueSweepPoint } from '../core/sweeps'
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
}

export interface BatchOutcome {
  finals: Int8Array
  provider: string
  fallbackReason?: string
}

/** Synchronous recall of B cues: engine for all, core for the rows the engine left at the limit. */
async function settleBatch(net: HopfieldNet, cues: Int8Array, batch: number, s: EngineSweepSettings): Promise<BatchOutcome> {
  const run = await recallBatch(net, cues, batch, { maxIterations: s.maxSweeps, provider: s.provider, threads: s.threads, shouldCancel: s.shouldCancel })
  const n = net.units
  for (let b = 0; b < batch; b++) {
    if (run.iterations[b]! < s.maxSweeps) continue
    // Still moving at the limit: the core decides (fixed point reached on the last step, 2-cycle, or limit).
    const y = cues.slice(b * n, (b + 1) * n)
    settle(net, y, { mode: 'sync', maxSweeps: s.maxSweeps })
    run.final.set(y, b * n)
  }
  return { finals: run.final, provider: run.provider, ...(run.fallbackReason ? { fallbackReason: run.fallbackReason } : {}) }
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
export async function capacitySweepEngine(opts: EngineCapacityOptions): Promise<{ points: CapacityPoint[]; provider: string; fallbackReason?: string }> {
  const { units: n, trials, rng } = opts
  const flips = Math.round(opts.noise * n)
  const total = opts.patternCounts.length * trials * opts.rules.length
  let done = 0
  let provider = 'cpu'
  let fallbackReason: string | undefined
  const points: CapacityPoint[] = []
  for (const [pi, P] of opts.patternCounts.entries()) {
    const acc = opts.rules.map(emptyTally)
    for (let t = 0; t < trials; t++) {
      const patterns = randomPatterns(P, n, rng.fork(pi * 100003 + t))
      for (const [ri, rule] of opts.rules.entries()) {
        if (opts.shouldCancel?.()) throw new Error('cancelled')
        const a = acc[ri]!
        done++
        let net: HopfieldNet
        try {
          if (rule === 'pseudo-inverse' && P > n) throw new Error('P > N')
          net = trainRule(rule, patterns)
        } catch {
          a.skipped++
          opts.onProgress?.(done / total)
          continue
        }
        const cueRng = rng.fork(pi * 100003 + t).fork(1 + ri)
        const k = opts.cuesPerPattern
        const cues = new Int8Array(P * k * n)
        let fixedHere = 0
        patterns.forEach((p, pIndex) => {
          if (isFixedPoint(net, p)) fixedHere++
          for (let c = 0; c < k; c++) cues.set(flip(p, flips, cueRng), (pIndex * k + c) * n)
        })
        const out = await settleBatch(net, cues, P * k, opts)
        provider = out.provider
        fallbackReason ??= out.fallbackReason
        for (let b = 0; b < P * k; b++) {
          const s = score(out.finals.subarray(b * n, (b + 1) * n), patterns[Math.floor(b / k)]!)
          if (s.exact) a.success++
          a.overlap += s.overlap
          a.cues++
        }
        a.fixed += fixedHere / P
        if (fixedHere === P) a.allFixed++
        a.trials++
        opts.onProgress?.(done / total)
      }
    }
    opts.rules.forEach((rule, ri) => points.push(capacityPoint(rule, P, n, acc[ri]!)))
  }
  return { points, provider, ...(fallbackReason ? { fallbackReason } : {}) }
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
export async function cueSweepEngine(net: HopfieldNet, stored: ArrayLike<number>[], opts: EngineCueSweepOptions): Promise<{ points: CueSweepPoint[]; provider: string }> {
  const n = net.units
  const k = opts.cuesPerPattern
  const points: CueSweepPoint[] = []
  let provider = 'cpu'
  for (const [fi, fraction] of opts.fractions.entries()) {
    if (opts.shouldCancel?.()) throw new Error('cancelled')
    const cues = new Int8Array(stored.length * k * n)
    stored.forEach((p, pIndex) => {
      for (let c = 0; c < k; c++) {
        const cue = opts.kind === 'noise' ? flip(p, Math.round(fraction * n), opts.rng) : maskCue(p, fraction, opts.fill ?? -1, opts.rng)
        cues.set(cue, (pIndex * k + c) * n)
      }
    })
    const out = await settleBatch(net, cues, stored.length * k, opts)
    provider = out.provider
    let success = 0
    let overlap = 0
    for (let b = 0; b < stored.length * k; b++) {
      const s = score(out.finals.subarray(b * n, (b + 1) * n), stored[Math.floor(b / k)]!)
      if (s.exact) success++
      overlap += s.overlap
    }
    const cueCount = stored.length * k
    points.push({ fraction, success: cueCount ? success / cueCount : NaN, meanOverlap: cueCount ? overlap / cueCount : NaN, cues: cueCount })
    opts.onProgress?.((fi + 1) / opts.fractions.length)
  }
  return { points, provider }
}

export { capacityTheory }
