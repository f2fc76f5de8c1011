// The computations behind jobs and `engram run`: core for traced asynchronous recall, engine for batches.
import type { HopfieldNet } from '../../core/hopfield'
import { energy, hebb, isFixedPoint, matchStored, overlap, recallAsync, recallSync } from '../../core/hopfield'
import { drawCues } from '../../core/corrupt'
import { Rng, RNG_ALGORITHM } from '../../core/rng'
import { tensorToJson } from '../../core/tensor-json'
import { recallBatch } from '../../engine/recall'
import type { AsyncRecallResult, BatchRecallResult } from '../../shared/session'
import type { Corruption, CueOutcome, ExperimentResult, ExperimentSpec, HopfieldModelSpec } from '../../shared/spec'
import { SPEC_VERSION } from '../../shared/spec'
import { ENGRAM_VERSION } from '../version'

export interface ComputeHooks {
  /** fraction in [0,1], done/total in work units (cues or updates). */
  onProgress?: (fraction: number, done: number, total: number, message: string) => void
  shouldCancel?: () => boolean
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled')
    this.name = 'CancelledError'
  }
}

export function trainHopfield(stored: Int8Array[], spec: HopfieldModelSpec): HopfieldNet {
  return hebb(stored, { normalisation: spec.normalisation, zeroDiagonal: spec.zeroDiagonal, encoding: 'bipolar' })
}

export function countStoredFixedPoints(net: HopfieldNet, stored: Int8Array[]): number {
  return stored.reduce((n, p) => n + (isFixedPoint(net, p) ? 1 : 0), 0)
}

export function modelMetadata(spec: HopfieldModelSpec, net: HopfieldNet, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'engram.version': ENGRAM_VERSION,
    kind: 'hopfield',
    rule: spec.rule,
    normalisation: spec.normalisation,
    zero_diagonal: String(spec.zeroDiagonal),
    states: net.encoding === 'bipolar' ? 'bipolar (-1, +1)' : 'binary (0, 1)',
    tie_rule: 'net input equal to threshold keeps the previous state',
    units: String(net.units),
    ...extra
  }
}

export interface AsyncRecallInput {
  modelId: string
  net: HopfieldNet
  stored: Int8Array[]
  cue: ArrayLike<number>
  seed: number
  order: 'random' | 'sequential'
  maxSweeps: number
}

export function runAsyncRecall(input: AsyncRecallInput, hooks: ComputeHooks = {}): AsyncRecallResult {
  if (input.cue.length !== input.net.units) {
    throw new Error(`cue: length ${input.cue.length} does not match the model's ${input.net.units} units`)
  }
  const rng = new Rng(input.seed)
  const trace = recallAsync(input.net, input.cue, { rng, order: input.order, maxSweeps: input.maxSweeps, stored: input.stored })
  hooks.onProgress?.(1, trace.units.length, trace.units.length, `${trace.sweeps} sweeps`)
  return {
    modelId: input.modelId,
    seed: input.seed,
    order: input.order,
    initial: Array.from(trace.initial),
    units: Array.from(trace.units),
    values: Array.from(trace.values),
    energy: Array.from(trace.energy),
    overlaps: trace.overlaps,
    final: Array.from(trace.final),
    sweeps: trace.sweeps,
    outcome: trace.outcome,
    recalled: matchStored(trace.final, input.stored)
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
}

export interface BatchRecallDetail {
  result: BatchRecallResult
  outcomes: CueOutcome[]
  cues: Int8Array
  sources: Int32Array
  fallbackReason?: string
}

/** Classifies a synchronous run that stopped: fixed point, 2-cycle, or still moving at the limit. */
function syncOutcome(net: HopfieldNet, final: Int8Array): CueOutcome['outcome'] {
  if (isFixedPoint(net, final)) return 'fixed-point'
  const two = recallSync(net, final, { maxIterations: 2 })
  return two.outcome === 'cycle' ? 'cycle' : 'max-iterations'
}

export async function runBatchRecall(input: BatchRecallInput, hooks: ComputeHooks = {}): Promise<BatchRecallDetail> {
  const started = performance.now()
  const rng = new Rng(input.seed)
  const { cues, sources } = drawCues(input.stored, input.corruption, input.cuesPerPattern, input.width, input.height, rng)
  const n = input.net.units
  const total = sources.length
  const run = await recallBatch(input.net, cues, total, {
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
    const ov = overlap(final, input.stored[source]!)
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
      outcome: run.iterations[c]! < input.maxIterations ? 'fixed-point' : syncOutcome(input.net, final)
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
    seconds: (performance.now() - started) / 1000
  }
  return { result, outcomes, cues, sources, ...(run.fallbackReason ? { fallbackReason: run.fallbackReason } : {}) }
}

/** Energy and overlaps along a synchronous run, from the core, for the result's traces. */
function syncTrace(net: HopfieldNet, cue: Int8Array, stored: Int8Array[], maxIterations: number): { energy: number[]; overlaps: number[][] } {
  let state = cue
  const energies = [energy(net, state)]
  const overlaps = [stored.map((p) => overlap(state, p))]
  for (let t = 0; t < maxIterations; t++) {
    const next = recallSync(net, state, { maxIterations: 1 }).final
    let changed = false
    for (let i = 0; i < next.length; i++) if (next[i] !== state[i]) changed = true
    if (!changed) break
    state = next
    energies.push(energy(net, state))
    overlaps.push(stored.map((p) => overlap(state, p)))
  }
  return { energy: energies, overlaps }
}

export interface ExperimentData {
  stored: Int8Array[]
  labels: string[]
  width: number
  height: number
}

/** Runs a whole experiment spec: train, draw cues, recall, measure. Same spec + seed = same numbers. */
export async function runExperiment(spec: ExperimentSpec, data: ExperimentData, hooks: ComputeHooks = {}): Promise<ExperimentResult> {
  const started = performance.now()
  const net = trainHopfield(data.stored, spec.model)
  const storedFixedPoints = countStoredFixedPoints(net, data.stored)
  const recall = spec.recall
  let outcomes: CueOutcome[]
  let provider = 'core'
  let fallbackReason: string | undefined
  const traces: ExperimentResult['traces'] = []
  if (recall.mode === 'sync') {
    const batch = await runBatchRecall(
      {
        modelId: 'experiment',
        net,
        stored: data.stored,
        width: data.width,
        height: data.height,
        corruption: recall.corruption,
        cuesPerPattern: recall.cuesPerPattern,
        seed: spec.seed,
        maxIterations: recall.maxSweeps,
        provider: spec.engine.provider,
        threads: spec.engine.threads
      },
      hooks
    )
    outcomes = batch.outcomes
    provider = batch.result.provider
    fallbackReason = batch.fallbackReason
    for (let c = 0; c < Math.min(recall.traceCount, batch.sources.length); c++) {
      const t = syncTrace(net, batch.cues.slice(c * net.units, (c + 1) * net.units), data.stored, recall.maxSweeps)
      traces.push({ pattern: batch.sources[c]!, ...t })
    }
  } else {
    const rng = new Rng(spec.seed)
    const { cues, sources } = drawCues(data.stored, recall.corruption, recall.cuesPerPattern, data.width, data.height, rng)
    const orderRng = new Rng(spec.seed).fork(1)
    outcomes = []
    const total = sources.length
    for (let c = 0; c < total; c++) {
      if (hooks.shouldCancel?.()) throw new CancelledError()
      const source = sources[c]!
      const cue = cues.subarray(c * net.units, (c + 1) * net.units)
      const trace = recallAsync(net, cue, { rng: orderRng, order: recall.order, maxSweeps: recall.maxSweeps, stored: data.stored })
      const recalled = matchStored(trace.final, data.stored)
      let hammingFinal = 0
      for (let i = 0; i < net.units; i++) if (trace.final[i] !== data.stored[source]![i]) hammingFinal++
      outcomes.push({
        pattern: source,
        recalled,
        success: recalled === source,
        overlapFinal: overlap(trace.final, data.stored[source]!),
        hammingFinal,
        iterations: trace.sweeps,
        outcome: trace.outcome
      })
      if (c < recall.traceCount) traces.push({ pattern: source, energy: Array.from(trace.energy), overlaps: trace.overlaps })
      if (c % 16 === 0 || c === total - 1) hooks.onProgress?.((c + 1) / total, c + 1, total, `${c + 1}/${total} cues`)
    }
  }
  const cues = outcomes.length
  const successes = outcomes.filter((o) => o.success).length
  return {
    kind: 'engram.experiment-result',
    version: SPEC_VERSION,
    spec,
    createdAt: new Date().toISOString(),
    engram: ENGRAM_VERSION,
    rng: RNG_ALGORITHM,
    compute: { path: recall.mode === 'sync' ? 'engine' : 'core', provider, ...(fallbackReason ? { fallbackReason } : {}) },
    metrics: {
      patterns: data.stored.length,
      units: net.units,
      cues,
      successRate: cues ? successes / cues : 0,
      meanFinalOverlap: cues ? outcomes.reduce((s, o) => s + o.overlapFinal, 0) / cues : 0,
      storedFixedPoints,
      meanIterations: cues ? outcomes.reduce((s, o) => s + o.iterations, 0) / cues : 0,
      seconds: (performance.now() - started) / 1000
    },
    outcomes,
    traces,
    model: {
      kind: 'hopfield',
      units: net.units,
      stateDict: {
        weights: tensorToJson({ dtype: 'float32', shape: [net.units, net.units], data: net.weights }),
        thresholds: tensorToJson({ dtype: 'float32', shape: [net.units], data: net.thresholds })
      },
      metadata: modelMetadata(spec.model, net, { labels: data.labels.join(','), width: String(data.width), height: String(data.height) })
    }
  }
}
