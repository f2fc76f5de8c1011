// Recall experiments on the exact core: capacity sweep per rule, noise sweep, partial-cue sweep, basins of attraction.
// Reference: seeds/003 (capacity P ≈ 0.15n, n / (2 log₂ n)), seeds/004 (K ≤ N stable patterns, N / (4 log N));
// Amit, Gutfreund & Sompolinsky 1985 (α_c ≈ 0.138); McEliece et al. 1987 (N / (2 ln N) per pattern,
// N / (4 ln N) all patterns); Storkey 1997 (N / √(2 ln N)).
// Legend: N units; P stored patterns (bipolar); load α = P/N; a cue is a stored pattern with a fraction of units
// flipped (noise) or masked; success = the settled state equals the source pattern exactly;
// overlap m = (1/N) Σ_i y_i ξ_i; basin radius = largest Hamming distance r with success ≥ threshold for all r′ ≤ r.

import { isFixedPoint, type HopfieldNet } from './hopfield'
import { checkCancel, settle, type Hooks, type TieRule } from './dynamics'
import { trainRule, type LearningRule } from './rules'
import { cholesky, gram, SingularMatrixError } from './linalg'
import type { Rng } from './rng'
import { capacityCueStream, capacityTrialStream } from './rng-streams'

export interface CapacityTheory {
  /** 0.138 N: Hebb's critical load (retrieval with ≤ 1.5 % errors survives below it). */
  hebbCritical: number
  /** N / (2 ln N): Hebb, a given pattern is recalled exactly with probability → 1. */
  hebbPerPattern: number
  /** N / (4 ln N): Hebb, all patterns at once exactly. */
  hebbAllPatterns: number
  /** N / √(2 ln N): Storkey's rule. */
  storkey: number
  /** N: pseudo-inverse, any ≤ N linearly independent patterns are fixed points. */
  pseudoInverse: number
}

export function capacityTheory(n: number): CapacityTheory {
  if (!(n > 1)) throw new Error(`capacityTheory: N must be > 1, got ${n}`)
  const ln = Math.log(n)
  return { hebbCritical: 0.138 * n, hebbPerPattern: n / (2 * ln), hebbAllPatterns: n / (4 * ln), storkey: n / Math.sqrt(2 * ln), pseudoInverse: n }
}

export function randomPatterns(count: number, units: number, rng: Rng): Int8Array[] {
  return Array.from({ length: count }, () => Int8Array.from({ length: units }, () => (rng.int(2) === 1 ? 1 : -1)))
}

export interface RecallSettings {
  /** Default 'async' in random order. */
  mode?: 'async' | 'sync'
  /** Default 50. */
  maxSweeps?: number
  tie?: TieRule
}

/**
 * Settles a bipolar cue and returns the bipolar result. A binary net runs on {0, 1}: the cue goes in as
 * +1 → 1, −1 or 0 (unknown) → 0, and the settled state comes back as 2y − 1, so scores stay bipolar.
 */
function recall(net: HopfieldNet, cue: Int8Array, rng: Rng, s: RecallSettings | undefined): Int8Array {
  const binary = net.encoding === 'binary'
  const y = binary ? cue.map((v) => (v > 0 ? 1 : 0)) : Int8Array.from(cue)
  settle(net, y, { mode: s?.mode ?? 'async', rng, maxSweeps: s?.maxSweeps ?? 50, tie: s?.tie })
  if (binary) for (let i = 0; i < y.length; i++) y[i] = 2 * y[i]! - 1
  return y
}

/** A copy of the pattern with k distinct units flipped (one permutation drawn from rng). */
export function flip(pattern: ArrayLike<number>, k: number, rng: Rng): Int8Array {
  const y = Int8Array.from(pattern)
  for (const i of rng.permutation(y.length).subarray(0, k)) y[i] = -y[i]!
  return y
}

/** Exact recall and overlap m = (1/N) Σ y_i ξ_i of a settled state with its source. */
export function score(y: ArrayLike<number>, source: ArrayLike<number>): { exact: boolean; overlap: number } {
  const dot = dotOf(y, source)
  return { exact: dot === y.length, overlap: dot / y.length }
}

/** Σ y_i ξ_i: an integer for bipolar states. */
export function dotOf(y: ArrayLike<number>, source: ArrayLike<number>): number {
  let dot = 0
  for (let i = 0; i < y.length; i++) dot += y[i]! * source[i]!
  return dot
}

class Progress {
  private done = 0
  constructor(
    private readonly total: number,
    private readonly hooks: Hooks
  ) {}
  tick(): void {
    checkCancel(this.hooks)
    this.done++
    this.hooks.onProgress?.(Math.min(1, this.done / this.total))
  }
}

/**
 * One batch of bipolar cues for a settle strategy. `cues` draws them lazily, in order: the core's asynchronous
 * recall takes its visit order from `rng` between one cue and the next, so a strategy that settles cue by cue must
 * settle each before drawing the next; a batched strategy (the engine's synchronous recall, which draws nothing)
 * may draw them all first. Either way the draws, and so the numbers, are the same.
 */
export interface SettleRequest {
  net: HopfieldNet
  count: number
  cues: Iterable<Int8Array>
  rng: Rng
}

/** Settles every cue of a batch; returns the bipolar final states, row b (N values) for cue b. */
export type SettleBatch = (batch: SettleRequest) => Int8Array

/**
 * A sweep's loop as a generator: it yields each batch of cues and resumes with their final states. The core drives
 * it with `runSweep` and its own recall; the engine drives it with `runSweepAsync` and batched recall, so both run
 * the one loop (the same draws, forks, tallies and skips).
 */
export type SweepLoop<T> = Generator<SettleRequest, T, Int8Array>

export function runSweep<T>(loop: SweepLoop<T>, settleBatch: SettleBatch): T {
  let step = loop.next()
  while (!step.done) step = loop.next(settleBatch(step.value))
  return step.value
}

export async function runSweepAsync<T>(loop: SweepLoop<T>, settleBatch: (batch: SettleRequest) => Promise<Int8Array>): Promise<T> {
  let step = loop.next()
  while (!step.done) step = loop.next(await settleBatch(step.value))
  return step.value
}

/** The core's strategy: each cue settled on its own (async, sync or the tie rule of `settings`), in draw order. */
export function coreSettle(settings: RecallSettings | undefined): SettleBatch {
  return ({ net, count, cues, rng }) => {
    const n = net.units
    const finals = new Int8Array(count * n)
    let b = 0
    for (const cue of cues) finals.set(recall(net, cue, rng, settings), n * b++)
    return finals
  }
}

export interface CapacitySweepOptions extends Hooks {
  units: number
  /** P values to try. */
  patternCounts: number[]
  rules: LearningRule[]
  /** Independent pattern sets per P (shared by all rules, so the rules see the same data). */
  trials: number
  /** Fraction of units flipped in each cue. */
  noise: number
  cuesPerPattern: number
  rng: Rng
  recall?: RecallSettings
}

export interface CapacityPoint {
  rule: LearningRule
  patterns: number
  load: number
  /** Fraction of stored patterns that are fixed points. */
  fixedFraction: number
  /** Fraction of trials in which every stored pattern is a fixed point. */
  allFixedFraction: number
  /** Fraction of noisy cues recalled exactly. */
  recallSuccess: number
  meanOverlap: number
  /** Trials that ran (pseudo-inverse skips P > N and dependent pattern sets). */
  trials: number
  skipped: number
}

/** Running sums of one rule at one P, over trials. */
interface CapacityTally {
  fixed: number
  allFixed: number
  success: number
  overlap: number
  cues: number
  trials: number
  skipped: number
}

const emptyTally = (): CapacityTally => ({ fixed: 0, allFixed: 0, success: 0, overlap: 0, cues: 0, trials: 0, skipped: 0 })

/** The sweep's point for one rule at P patterns, from its tally (NaN where nothing ran). */
function capacityPoint(rule: LearningRule, P: number, n: number, a: CapacityTally): CapacityPoint {
  return {
    rule,
    patterns: P,
    load: P / n,
    fixedFraction: a.trials ? a.fixed / a.trials : NaN,
    allFixedFraction: a.trials ? a.allFixed / a.trials : NaN,
    recallSuccess: a.cues ? a.success / a.cues : NaN,
    meanOverlap: a.cues ? a.overlap / a.cues : NaN,
    trials: a.trials,
    skipped: a.skipped
  }
}

/**
 * Why a rule cannot store these patterns at all, or null: the pseudo-inverse needs P ≤ N linearly independent
 * patterns (a singular Gram matrix). Only this skips a trial; any other error of a rule fails the sweep.
 */
export function cannotStore(rule: LearningRule, patterns: ArrayLike<number>[]): string | null {
  if (rule !== 'pseudo-inverse') return null
  const P = patterns.length
  const n = patterns[0]?.length ?? 0
  if (P > n) return `P > N (${P} > ${n})`
  try {
    cholesky(gram(patterns), P)
  } catch (error) {
    if (error instanceof SingularMatrixError) return `pattern ${error.pivot} depends on the patterns before it`
    throw error
  }
  return null
}

/** One cell of a capacity sweep: trial t at the pi-th pattern count. Its draws come from capacityTrialStream(pi, t) only. */
export interface CapacityCell {
  pi: number
  t: number
}

/**
 * What one cell measured, per rule (null: the rule could not store the patterns, a skipped trial): the stored patterns
 * that are fixed points, and the integer overlap Σ y_i ξ_i of each cue's settled state, in cue order. Integers only,
 * so a cell computed anywhere folds into exactly the same sums.
 */
export interface CapacityTrial extends CapacityCell {
  rules: ({ fixed: number; dots: number[] } | null)[]
}

function validateCapacity(opts: CapacitySweepOptions): void {
  if (!(opts.noise >= 0 && opts.noise <= 1)) throw new Error(`noise must be in [0, 1], got ${opts.noise}`)
  if (!Number.isInteger(opts.trials) || opts.trials < 1) throw new Error(`trials must be a positive integer, got ${opts.trials}`)
  opts.patternCounts.forEach((p) => {
    if (!Number.isInteger(p) || p < 1) throw new Error(`patternCounts: ${p} is not a positive integer`)
  })
}

/** One cell's loop: every rule stores the cell's patterns and settles its cues (one batch per rule). */
function* capacityTrialLoop(opts: CapacitySweepOptions, { pi, t }: CapacityCell, progress: Progress): Generator<SettleRequest, CapacityTrial, Int8Array> {
  const { units: n, rng } = opts
  const P = opts.patternCounts[pi]
  if (P === undefined) throw new Error(`capacity cell: pattern count index ${pi} is out of range`)
  if (!Number.isInteger(t) || t < 0 || t >= opts.trials) throw new Error(`capacity cell: trial ${t} is out of range 0..${opts.trials - 1}`)
  const flips = Math.round(opts.noise * n)
  const k = opts.cuesPerPattern
  // One fork per (P, trial): every rule stores the same patterns and sees the same cues.
  const patterns = randomPatterns(P, n, rng.fork(capacityTrialStream(pi, t)))
  const rules: CapacityTrial['rules'] = []
  for (const [ri, rule] of opts.rules.entries()) {
    progress.tick()
    if (cannotStore(rule, patterns) !== null) {
      rules.push(null)
      continue
    }
    const net = trainRule(rule, patterns)
    const cueRng = rng.fork(capacityTrialStream(pi, t)).fork(capacityCueStream(ri))
    const fixed = patterns.reduce((m, p) => m + (isFixedPoint(net, p) ? 1 : 0), 0)
    const cues = function* (): Generator<Int8Array> {
      for (const p of patterns) for (let c = 0; c < k; c++) yield flip(p, flips, cueRng)
    }
    const finals = yield { net, count: P * k, cues: cues(), rng: cueRng }
    const dots: number[] = []
    for (let b = 0; b < P * k; b++) dots.push(dotOf(finals.subarray(b * n, (b + 1) * n), patterns[Math.floor(b / k)]!))
    rules.push({ fixed, dots })
  }
  return { pi, t, rules }
}

/**
 * The capacity sweep's sums, fed cell by cell. Within a pattern count the cells must come in trial order (0, 1, …):
 * the overlap is a floating-point sum, so only one order gives the same last bit. A local run feeds each cell as it
 * is computed; a merge of shards (services/experiments/shards.ts) sorts the cells first. Same sums either way.
 */
export class CapacityFold {
  private readonly acc: CapacityTally[][]
  private readonly next: number[]

  constructor(private readonly opts: Pick<CapacitySweepOptions, 'units' | 'patternCounts' | 'rules' | 'trials'>) {
    this.acc = opts.patternCounts.map(() => opts.rules.map(emptyTally))
    this.next = opts.patternCounts.map(() => 0)
  }

  add(trial: CapacityTrial): void {
    const { pi, t } = trial
    const acc = this.acc[pi]
    const P = this.opts.patternCounts[pi]
    if (!acc || P === undefined) throw new Error(`capacity fold: pattern count index ${pi} is out of range`)
    if (t !== this.next[pi]) throw new Error(`capacity fold: trial ${t} of pattern count ${P} came out of order (expected trial ${this.next[pi]})`)
    if (trial.rules.length !== this.opts.rules.length) throw new Error(`capacity fold: trial ${t} of pattern count ${P} has ${trial.rules.length} rules, expected ${this.opts.rules.length}`)
    const n = this.opts.units
    trial.rules.forEach((r, ri) => {
      const a = acc[ri]!
      if (r === null) {
        a.skipped++
        return
      }
      for (const dot of r.dots) {
        if (dot === n) a.success++
        a.overlap += dot / n
        a.cues++
      }
      a.fixed += r.fixed / P
      if (r.fixed === P) a.allFixed++
      a.trials++
    })
    this.next[pi] = t + 1
  }

  /** The points, rule by rule within each pattern count; every trial must have been added. */
  points(): CapacityPoint[] {
    const out: CapacityPoint[] = []
    for (const [pi, P] of this.opts.patternCounts.entries()) {
      if (this.next[pi] !== this.opts.trials) throw new Error(`capacity fold: pattern count ${P} has ${this.next[pi]} of ${this.opts.trials} trials`)
      this.opts.rules.forEach((rule, ri) => out.push(capacityPoint(rule, P, this.opts.units, this.acc[pi]![ri]!)))
    }
    return out
  }
}

/** Every cell of a sweep in local order: pattern count by pattern count, trial by trial. */
export function capacityCells(patternCounts: readonly number[], trials: number): CapacityCell[] {
  return patternCounts.flatMap((_, pi) => Array.from({ length: trials }, (_, t) => ({ pi, t })))
}

/** The capacity sweep's loop; `capacitySweep` runs it on the core, engine/sweeps.ts on the engine. */
export function* capacitySweepLoop(opts: CapacitySweepOptions): SweepLoop<CapacityPoint[]> {
  validateCapacity(opts)
  const cells = capacityCells(opts.patternCounts, opts.trials)
  const progress = new Progress(cells.length * opts.rules.length, opts)
  const fold = new CapacityFold(opts)
  for (const cell of cells) fold.add(yield* capacityTrialLoop(opts, cell, progress))
  opts.onProgress?.(1)
  return fold.points()
}

/** Some cells of a capacity sweep (a shard), each from its own stream: the same numbers as in a whole local run. */
export function* capacityCellsLoop(opts: CapacitySweepOptions, cells: readonly CapacityCell[]): SweepLoop<CapacityTrial[]> {
  validateCapacity(opts)
  const progress = new Progress(cells.length * opts.rules.length, opts)
  const out: CapacityTrial[] = []
  for (const cell of cells) out.push(yield* capacityTrialLoop(opts, cell, progress))
  opts.onProgress?.(1)
  return out
}

export function capacitySweep(opts: CapacitySweepOptions): CapacityPoint[] {
  return runSweep(capacitySweepLoop(opts), coreSettle(opts.recall))
}

export interface CueSweepOptions extends Hooks {
  /** Fractions of units flipped (noise sweep) or masked (partial-cue sweep). */
  fractions: number[]
  cuesPerPattern: number
  rng: Rng
  recall?: RecallSettings
}

export interface CueSweepPoint {
  fraction: number
  success: number
  meanOverlap: number
  cues: number
}

/** One batch per fraction: cuesPerPattern cues of every stored pattern, made by `makeCue` from opts.rng. */
function* cueSweepLoop(net: HopfieldNet, stored: ArrayLike<number>[], opts: CueSweepOptions, makeCue: (p: ArrayLike<number>, fraction: number) => Int8Array): SweepLoop<CueSweepPoint[]> {
  opts.fractions.forEach((f) => {
    if (!(f >= 0 && f <= 1)) throw new Error(`fractions: ${f} is not in [0, 1]`)
  })
  const progress = new Progress(opts.fractions.length * stored.length, opts)
  const n = net.units
  const k = opts.cuesPerPattern
  const count = stored.length * k
  const out: CueSweepPoint[] = []
  for (const fraction of opts.fractions) {
    const cues = function* (): Generator<Int8Array> {
      for (const p of stored) {
        progress.tick()
        for (let c = 0; c < k; c++) yield makeCue(p, fraction)
      }
    }
    const finals = yield { net, count, cues: cues(), rng: opts.rng }
    let success = 0
    let overlap = 0
    for (let b = 0; b < count; b++) {
      const s = score(finals.subarray(b * n, (b + 1) * n), stored[Math.floor(b / k)]!)
      if (s.exact) success++
      overlap += s.overlap
    }
    out.push({ fraction, success: count ? success / count : NaN, meanOverlap: count ? overlap / count : NaN, cues: count })
  }
  opts.onProgress?.(1)
  return out
}

/** The noise sweep's loop: exactly round(f·N) distinct units flipped per cue. */
export function noiseSweepLoop(net: HopfieldNet, stored: ArrayLike<number>[], opts: CueSweepOptions): SweepLoop<CueSweepPoint[]> {
  return cueSweepLoop(net, stored, opts, (p, f) => flip(p, Math.round(f * net.units), opts.rng))
}

/** The partial-cue sweep's loop: round(f·N) distinct units masked with `fill` (default 0 = unknown). */
export function partialCueSweepLoop(net: HopfieldNet, stored: ArrayLike<number>[], opts: CueSweepOptions & { fill?: -1 | 0 | 1 | 'random' }): SweepLoop<CueSweepPoint[]> {
  const fill = opts.fill ?? 0
  return cueSweepLoop(net, stored, opts, (p, f) => maskCue(p, f, fill, opts.rng))
}

/** Success vs fraction of flipped units (exactly round(f·N) distinct units per cue). */
export function noiseSweep(net: HopfieldNet, stored: ArrayLike<number>[], opts: CueSweepOptions): CueSweepPoint[] {
  return runSweep(noiseSweepLoop(net, stored, opts), coreSettle(opts.recall))
}

/**
 * Success vs fraction of masked units. fill 0 (default) marks them unknown: they add nothing to the fields
 * until updated; ±1 sets them to a constant; 'random' draws each from ±1.
 */
export function partialCueSweep(net: HopfieldNet, stored: ArrayLike<number>[], opts: CueSweepOptions & { fill?: -1 | 0 | 1 | 'random' }): CueSweepPoint[] {
  return runSweep(partialCueSweepLoop(net, stored, opts), coreSettle(opts.recall))
}

/** A copy of the pattern with round(f·N) distinct units masked: set to fill (0 = unknown) or to random ±1. */
export function maskCue(p: ArrayLike<number>, f: number, fill: -1 | 0 | 1 | 'random', rng: Rng): Int8Array {
  const y = Int8Array.from(p)
  for (const i of rng.permutation(y.length).subarray(0, Math.round(f * y.length))) y[i] = fill === 'random' ? (rng.int(2) === 1 ? 1 : -1) : fill
  return y
}

export interface BasinOptions extends Hooks {
  rng: Rng
  /** Cues per radius. */
  trialsPerRadius: number
  /** Largest radius tried. Default N/2. */
  maxRadius?: number
  /** Default 0.95. */
  threshold?: number
  recall?: RecallSettings
}

export interface BasinEstimate {
  pattern: number
  /** Largest r with success ≥ threshold at every r′ ≤ r; −1 when even the pattern itself is not recalled. */
  radius: number
  /** success[r] for r = 0..(last radius tried); stops one past the radius. */
  success: number[]
}

export function basinEstimate(net: HopfieldNet, stored: ArrayLike<number>[], opts: BasinOptions): BasinEstimate[] {
  const n = net.units
  const maxRadius = opts.maxRadius ?? Math.floor(n / 2)
  const threshold = opts.threshold ?? 0.95
  if (!Number.isInteger(opts.trialsPerRadius) || opts.trialsPerRadius < 1) throw new Error(`trialsPerRadius must be a positive integer, got ${opts.trialsPerRadius}`)
  const progress = new Progress(stored.length, opts)
  const out = stored.map((p, k) => {
    progress.tick()
    const success: number[] = []
    let radius = -1
    for (let r = 0; r <= maxRadius; r++) {
      checkCancel(opts)
      // r = 0 is deterministic up to the update order; one look suffices for 'is it recalled at all'.
      const tries = r === 0 ? 1 : opts.trialsPerRadius
      let ok = 0
      for (let c = 0; c < tries; c++) if (score(recall(net, flip(p, r, opts.rng), opts.rng, opts.recall), p).exact) ok++
      success.push(ok / tries)
      if (ok / tries >= threshold) radius = r
      else break
    }
    return { pattern: k, radius, success }
  })
  opts.onProgress?.(1)
  return out
}
