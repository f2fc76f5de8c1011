// The recall lab (one traced recall, unit by unit or step by step) and batch recall (many cues on the engine).
import type { HopfieldNet } from '../../core/hopfield'
import { energy, isFixedPoint, matchStored, netInputs, overlap, recallAsync, recallSync } from '../../core/hopfield'
import { runHopfield } from '../../core/dynamics'
import { drawCues } from '../../core/corrupt'
import { Rng } from '../../core/rng'
import { recallRecurrent } from '../../core/auto-associative'
import { recallBatch } from '../../engine/recall'
import { lowRankSupported } from '../../engine/programs/hopfield-recall-lowrank'
import type { AsyncRecallResult, BatchRecallResult } from '../../shared/session'
import type { Corruption, CueOutcome, HopfieldModelSpec } from '../../shared/spec'
import type { ComputeHooks } from './hooks'

/** Step traces keep every unit's net input up to this many units (the lab shows them for small nets). */
const MAX_TRACED_NET_INPUTS = 1024

export interface AsyncRecallInput {
  modelId: string
  net: HopfieldNet
  /** Stored patterns in the net's encoding. */
  stored: Int8Array[]
  cue: ArrayLike<number>
  seed: number
  order: 'random' | 'sequential' | number[]
  maxSweeps: number
  /** Default async. */
  mode?: 'async' | 'sync' | 'recurrent'
  /** 'cue': the cue is held on as the external input x (003). */
  external?: 'none' | 'cue'
  /** Recurrent mode's activation; default sign0. */
  activation?: 'sign0' | 'keep'
}

/**
 * One traced recall for the recall lab: asynchronous (unit by unit, replayable), synchronous (step by step,
 * fixed point or 2-cycle, pair energy) or 003's recurrent auto-associator (stored match / repeat / limit).
 */
export function runAsyncRecall(input: AsyncRecallInput, hooks: ComputeHooks = {}): AsyncRecallResult {
  const { net, stored } = input
  if (input.cue.length !== net.units) {
    throw new Error(`cue: length ${input.cue.length} does not match the model's ${net.units} units`)
  }
  const mode = input.mode ?? 'async'
  const externalMode = input.external ?? 'none'
  const x = externalMode === 'cue' ? Float64Array.from(input.cue) : undefined
  const common = {
    modelId: input.modelId,
    seed: input.seed,
    order: input.order,
    initial: Array.from(input.cue),
    mode,
    external: externalMode,
    encoding: net.encoding
  }
  const overlapsOf = (state: ArrayLike<number>): number[] => stored.map((p) => overlap(state, p, net.encoding))
  if (mode === 'async') {
    const rng = new Rng(input.seed)
    const trace = recallAsync(net, input.cue, { rng, order: input.order, maxSweeps: input.maxSweeps, stored, ...(x ? { external: x } : {}) })
    hooks.onProgress?.(1, trace.units.length, trace.units.length, `${trace.sweeps} sweeps`)
    return {
      ...common,
      units: Array.from(trace.units),
      values: Array.from(trace.values),
      energy: Array.from(trace.energy),
      overlaps: trace.overlaps,
      final: Array.from(trace.final),
      sweeps: trace.sweeps,
      outcome: trace.outcome,
      recalled: matchStored(trace.final, stored),
      steps: [],
      netInputs: [],
      pairEnergy: [],
      repeatOf: -1
    }
  }
  if (mode === 'sync') {
    const run = runHopfield(net, input.cue, { mode: 'sync', maxSteps: input.maxSweeps, stored, ...(x ? { external: x } : {}) })
    hooks.onProgress?.(1, run.steps, run.steps, `${run.steps} steps`)
    const steps = run.states.slice(1)
    // Each step's net inputs, from the state before it (as 003 prints them); only for nets small enough to read.
    const netInputsPerStep = net.units <= MAX_TRACED_NET_INPUTS ? run.states.slice(0, -1).map((y) => Array.from(netInputs(net, y, x))) : []
    return {
      ...common,
      units: [],
      values: [],
      energy: run.energy,
      overlaps: run.states.map(overlapsOf),
      final: Array.from(run.final),
      sweeps: run.steps,
      outcome: run.outcome,
      recalled: run.match,
      steps: steps.map((y) => Array.from(y)),
      netInputs: netInputsPerStep,
      pairEnergy: run.pairEnergy,
      repeatOf: -1
    }
  }
  if (x) throw new Error("external: the recurrent auto-associator (003) has no external input; use 'none'")
  const run = recallRecurrent(net, input.cue, { stored, maxIterations: input.maxSweeps, activation: input.activation ?? 'sign0' })
  hooks.onProgress?.(1, run.steps.length, run.steps.length, `${run.steps.length} steps`)
  const states = [Int8Array.from(input.cue), ...run.steps.map((st) => st.output)]
  return {
    ...common,
    units: [],
    values: [],
    energy: states.map((y) => energy(net, y)),
    overlaps: states.map(overlapsOf),
    final: Array.from(run.final),
    sweeps: run.steps.length,
    outcome: run.outcome,
    recalled: run.storedIndex >= 0 ? run.storedIndex : matchStored(run.final, stored),
    steps: run.steps.map((st) => Array.from(st.output)),
    netInputs: run.steps.map((st) => Array.from(st.netInput)),
    pairEnergy: [],
    repeatOf: run.repeatOf
  }
}

export interface BatchRecallInput {
  modelId: string
  net: HopfieldNet
  stored: Int8Array[]
  width: number
  height: number
  corruption: Corruption
  cuesPerPattern: number
  seed: number
  maxIterations: number
  provider?: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml'
  threads?: number
  /** The model's spec: a Hebb net with a zero diagonal recalls through the exact low-rank program. */
  model?: HopfieldModelSpec
  /** 'cue': each cue is also held on as the external input x (003). */
  external?: 'none' | 'cue'
}

export interface BatchRecallDetail {
  result: BatchRecallResult
  outcomes: CueOutcome[]
  cues: Int8Array
  sources: Int32Array
  fallbackReason?: string
}

/** W = c·ΣξξᵀP − diag has rank P: Hebb nets recall through (s·ξᵀ)·ξ, exactly, when the sizes allow. */
function lowRankFor(input: BatchRecallInput): { lowRank?: { patterns: Int8Array; count: number; scale: number } } {
  const spec = input.model
  if (!spec || spec.rule !== 'hebb' || spec.zeroDiagonal === false || input.external === 'cue') return {}
  if (input.net.encoding !== 'bipolar' || input.net.thresholds.some((t) => t !== 0)) return {}
  const n = input.net.units
  const count = input.stored.length
  if (!lowRankSupported(n, count)) return {}
  const patterns = new Int8Array(count * n)
  input.stored.forEach((p, k) => patterns.set(p, k * n))
  const scale = spec.normalisation === '1/N' ? 1 / n : spec.normalisation === '1/P' ? 1 / count : 1
  return { lowRank: { patterns, count, scale } }
}

/** Classifies a synchronous run that stopped: fixed point, 2-cycle, or still moving at the limit. */
function syncOutcome(net: HopfieldNet, final: Int8Array, external?: ArrayLike<number>): CueOutcome['outcome'] {
  if (isFixedPoint(net, final, external)) return 'fixed-point'
  const two = recallSync(net, final, { maxIterations: 2, ...(external ? { external } : {}) })
  return two.outcome === 'cycle' ? 'cycle' : 'max-iterations'
}

export async function runBatchRecall(input: BatchRecallInput, hooks: ComputeHooks = {}): Promise<BatchRecallDetail> {
  const started = performance.now()
  const rng = new Rng(input.seed)
  const enc = input.net.encoding
  const { cues, sources } = drawCues(input.stored, input.corruption, input.cuesPerPattern, input.width, input.height, rng, enc)
  const n = input.net.units
  const total = sources.length
  const withExternal = input.external === 'cue'
  const run = await recallBatch(input.net, cues, total, {
    ...lowRankFor(input),
    ...(withExternal ? { external: cues } : {}),
    maxIterations: input.maxIterations,
    provider: input.provider ?? 'auto',
    threads: input.threads ?? 0,
    onProgress: (done, all) => hooks.onProgress?.(done / all, done, all, `${done}/${all} cues`),
    shouldCancel: hooks.shouldCancel
  })
  const outcomes: CueOutcome[] = []
  const perPatternHits = new Array<number>(input.stored.length).fill(0)
  let hits = 0
  let iterSum = 0
  let overlapSum = 0
  for (let c = 0; c < total; c++) {
    const final = run.final.subarray(c * n, (c + 1) * n)
    const source = sources[c]!
    const recalled = matchStored(final, input.stored)
    const success = recalled === source
    const ov = overlap(final, input.stored[source]!, enc)
    if (success) {
      hits++
      perPatternHits[source]!++
    }
    iterSum += run.iterations[c]!
    overlapSum += ov
    let hammingFinal = 0
    for (let i = 0; i < n; i++) if (final[i] !== input.stored[source]![i]) hammingFinal++
    outcomes.push({
      pattern: source,
      recalled,
      success,
      overlapFinal: ov,
      hammingFinal,
      iterations: run.iterations[c]!,
      outcome: run.iterations[c]! < input.maxIterations ? 'fixed-point' : syncOutcome(input.net, final, withExternal ? cues.subarray(c * n, (c + 1) * n) : undefined)
    })
  }
  const result: BatchRecallResult = {
    modelId: input.modelId,
    seed: input.seed,
    corruption: input.corruption,
    cuesPerPattern: input.cuesPerPattern,
    cues: total,
    successRate: total ? hits / total : 0,
    perPattern: perPatternHits.map((h) => h / input.cuesPerPattern),
    meanIterations: total ? iterSum / total : 0,
    meanFinalOverlap: total ? overlapSum / total : 0,
    provider: run.provider,
    seconds: (performance.now() - started) / 1000,
    external: withExternal ? 'cue' : 'none'
  }
  return { result, outcomes, cues, sources, ...(run.fallbackReason ? { fallbackReason: run.fallbackReason } : {}) }
}

/** Energy and overlaps along a synchronous run, from the core, for the result's traces. */
export function syncTrace(net: HopfieldNet, cue: Int8Array, stored: Int8Array[], maxIterations: number, external?: ArrayLike<number>): { energy: number[]; overlaps: number[][] } {
  const run = runHopfield(net, cue, { mode: 'sync', maxSteps: maxIterations, ...(external ? { external } : {}) })
  return { energy: run.energy, overlaps: run.states.map((y) => stored.map((p) => overlap(y, p, net.encoding))) }
}
