// The computations behind jobs and `engram run`: core for traced asynchronous recall, engine for batches.
import type { HopfieldNet } from '../../core/hopfield'
import { energy, hebb, isFixedPoint, matchStored, netInputs, overlap, recallAsync, recallSync, toEncoding } from '../../core/hopfield'
import { runHopfield } from '../../core/dynamics'
import { drawCues } from '../../core/corrupt'
import { Rng, RNG_ALGORITHM } from '../../core/rng'
import { tensorToJson } from '../../core/tensor-json'
import { recallBatch } from '../../engine/recall'
import { lowRankSupported } from '../../engine/programs/hopfield-recall-lowrank'
import type { AsyncRecallResult, BatchRecallResult } from '../../shared/session'
import type { Corruption, CueOutcome, ExperimentResult, ExperimentSpec, HopfieldModelSpec, SweepResult } from '../../shared/spec'
import { energyTrainingSpecSchema, SPEC_VERSION } from '../../shared/spec'
import { pseudoInverse, storkey } from '../../core/rules'
import { trainEnergy } from '../../core/energy-training'
import { basinEstimate, capacitySweep, capacityTheory, noiseSweep, partialCueSweep } from '../../core/sweeps'
import { census } from '../../core/census'
import { bamHebb, bamRecall } from '../../core/bam'
import { bamCodes } from '../../core/bam-codes'
import { completePattern, temperatureSchedule } from '../../core/anneal'
import { heteroConditions, heteroHebb, heteroRecall } from '../../core/hetero'
import { autoHebb, recallRecurrent } from '../../core/auto-associative'
import { completeBoltzmann, trainBoltzmann, visibleDistributionExact, type BoltzmannTrainingOptions, type BoltzmannTrainingResult } from '../../core/boltzmann'
import { trainBoltzmannEngine } from '../../engine/boltzmann'
import { MAX_EXACT_UNITS, stateIndex } from '../../core/stochastic'
import { capacitySweepEngine, cueSweepEngine } from '../../engine/sweeps'
import { annealBatch } from '../../engine/stochastic'
import { ENGRAM_VERSION } from '../version'

export interface ComputeHooks {
  /** fraction in [0,1], done/total in work units (cues or updates). */
  onProgress?: (fraction: number, done: number, total: number, message: string, metrics?: Record<string, number>) => void
  shouldCancel?: () => boolean
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled')
    this.name = 'CancelledError'
  }
}

export interface TrainedHopfield {
  net: HopfieldNet
  /** Energy training's per-epoch history (rule 'energy' only). */
  history?: { epoch: number; fixedTargets: number; raised: number }[]
}

/**
 * Trains a Hopfield net with the spec's rule on bipolar patterns; `seed` drives energy training's random starts.
 * Then the spec's states and thresholds: a binary net keeps W of the bipolar images (003) and runs on {0, 1}.
 */
export function trainHopfield(stored: Int8Array[], spec: HopfieldModelSpec, seed = 0, hooks: ComputeHooks = {}): TrainedHopfield {
  if (Array.isArray(spec.threshold) && stored.length > 0 && spec.threshold.length !== stored[0]!.length) {
    throw new Error(`model.threshold: ${spec.threshold.length} values for ${stored[0]!.length} units (give one number, or one per unit)`)
  }
  const trained = trainRule(stored, spec, seed, hooks)
  const net = trained.net
  net.encoding = spec.encoding ?? 'bipolar'
  const t = spec.threshold
  if (Array.isArray(t)) net.thresholds = Float32Array.from(t)
  else if (t !== undefined) net.thresholds = new Float32Array(net.units).fill(t)
  return trained
}

function trainRule(stored: Int8Array[], spec: HopfieldModelSpec, seed: number, hooks: ComputeHooks): TrainedHopfield {
  switch (spec.rule) {
    case 'hebb':
      return { net: hebb(stored, { normalisation: spec.normalisation, zeroDiagonal: spec.zeroDiagonal ?? true, encoding: 'bipolar' }) }
    case 'storkey':
      return { net: storkey(stored, { zeroDiagonal: spec.zeroDiagonal ?? true }) }
    case 'pseudo-inverse':
      return { net: pseudoInverse(stored, { zeroDiagonal: spec.zeroDiagonal ?? false }) }
    case 'energy': {
      const e = spec.energy ?? energyTrainingSpecSchema.parse({})
      if (e.importance && e.importance.length !== stored.length) {
        throw new Error(`model.energy.importance: ${e.importance.length} values for ${stored.length} patterns`)
      }
      if (spec.zeroDiagonal === false) throw new Error('model.zeroDiagonal: energy training keeps a zero diagonal; leave it unset or true')
      const trained = trainEnergy(stored, {
        rng: new Rng(seed).fork(0x5eed),
        epochs: e.epochs,
        eta: e.eta,
        valleys: e.valleys,
        mode: e.mode,
        evolutionSteps: e.evolutionSteps,
        cueNoise: e.cueNoise,
        ...(e.importance ? { importance: e.importance } : {}),
        onProgress: hooks.onProgress ? (f) => hooks.onProgress!(f, Math.round(f * e.epochs), e.epochs, 'training') : undefined,
        shouldCancel: hooks.shouldCancel
      })
      return { net: trained.net, history: trained.history }
    }
  }
}

/** Stored (bipolar) patterns that are fixed points of the net, in the net's encoding. */
export function countStoredFixedPoints(net: HopfieldNet, stored: Int8Array[]): number {
  return stored.reduce((n, p) => n + (isFixedPoint(net, toEncoding(p, net.encoding)) ? 1 : 0), 0)
}

/** Bipolar patterns (as datasets give them) in the net's encoding. */
export function storedIn(net: HopfieldNet, stored: Int8Array[]): Int8Array[] {
  return net.encoding === 'bipolar' ? stored : stored.map((p) => toEncoding(p, net.encoding))
}

export function modelMetadata(spec: HopfieldModelSpec, net: HopfieldNet, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'engram.version': ENGRAM_VERSION,
    kind: 'hopfield',
    rule: spec.rule,
    ...(spec.rule === 'hebb' ? { normalisation: spec.normalisation } : {}),
    zero_diagonal: String(net.weights.every((_, k) => k % (net.units + 1) !== 0 || net.weights[k] === 0)),
    states: net.encoding === 'bipolar' ? 'bipolar (-1, +1)' : 'binary (0, 1)',
    tie_rule: 'net input equal to threshold keeps the previous state',
    units: String(net.units),
    ...extra
  }
}

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
function syncTrace(net: HopfieldNet, cue: Int8Array, stored: Int8Array[], maxIterations: number, external?: ArrayLike<number>): { energy: number[]; overlaps: number[][] } {
  const run = runHopfield(net, cue, { mode: 'sync', maxSteps: maxIterations, ...(external ? { external } : {}) })
  return { energy: run.energy, overlaps: run.states.map((y) => stored.map((p) => overlap(y, p, net.encoding))) }
}

export interface ExperimentData {
  stored: Int8Array[]
  labels: string[]
  width: number
  height: number
  /** The Y side of a pair dataset (BAM with codes 'dataset'). */
  targets?: Int8Array[]
}

/** Runs a whole experiment spec: train, draw cues, recall, measure. Same spec + seed = same numbers. */
export async function runExperiment(spec: ExperimentSpec, data: ExperimentData | null, hooks: ComputeHooks = {}): Promise<ExperimentResult> {
  if (spec.sweep) return runSweep(spec, spec.sweep, data, hooks)
  if (!data) throw new Error('spec.dataset: a recall experiment needs a dataset')
  const started = performance.now()
  const { net, history } = trainHopfield(data.stored, spec.model, spec.seed)
  const storedFixedPoints = countStoredFixedPoints(net, data.stored)
  const stored = storedIn(net, data.stored)
  const withExternal = spec.recall.external === 'cue'
  const recall = spec.recall
  let outcomes: CueOutcome[]
  let provider = 'core'
  let fallbackReason: string | undefined
  const traces: NonNullable<ExperimentResult['traces']> = []
  if (recall.mode === 'sync') {
    const batch = await runBatchRecall(
      {
        modelId: 'experiment',
        net,
        stored,
        width: data.width,
        height: data.height,
        corruption: recall.corruption,
        cuesPerPattern: recall.cuesPerPattern,
        seed: spec.seed,
        maxIterations: recall.maxSweeps,
        provider: spec.engine.provider,
        threads: spec.engine.threads,
        model: spec.model,
        external: spec.recall.external
      },
      hooks
    )
    outcomes = batch.outcomes
    provider = batch.result.provider
    fallbackReason = batch.fallbackReason
    for (let c = 0; c < Math.min(recall.traceCount, batch.sources.length); c++) {
      const cue = batch.cues.slice(c * net.units, (c + 1) * net.units)
      const t = syncTrace(net, cue, stored, recall.maxSweeps, withExternal ? cue : undefined)
      traces.push({ pattern: batch.sources[c]!, ...t })
    }
  } else {
    const rng = new Rng(spec.seed)
    const { cues, sources } = drawCues(stored, recall.corruption, recall.cuesPerPattern, data.width, data.height, rng, net.encoding)
    const orderRng = new Rng(spec.seed).fork(1)
    outcomes = []
    const total = sources.length
    for (let c = 0; c < total; c++) {
      if (hooks.shouldCancel?.()) throw new CancelledError()
      const source = sources[c]!
      const cue = cues.subarray(c * net.units, (c + 1) * net.units)
      const trace = recallAsync(net, cue, { rng: orderRng, order: recall.order, maxSweeps: recall.maxSweeps, stored, ...(withExternal ? { external: cue } : {}) })
      const recalled = matchStored(trace.final, stored)
      let hammingFinal = 0
      for (let i = 0; i < net.units; i++) if (trace.final[i] !== stored[source]![i]) hammingFinal++
      outcomes.push({
        pattern: source,
        recalled,
        success: recalled === source,
        overlapFinal: overlap(trace.final, stored[source]!, net.encoding),
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
    ...resultHeader(spec, recall.mode === 'sync' ? 'engine' : 'core', provider, fallbackReason),
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
    ...(history ? { training: { history } } : {}),
    model: modelSection(spec.model, net, data)
  }
}

function resultHeader(spec: ExperimentSpec, path: 'core' | 'engine', provider: string, fallbackReason?: string) {
  return {
    kind: 'engram.experiment-result' as const,
    version: SPEC_VERSION as typeof SPEC_VERSION,
    spec,
    createdAt: new Date().toISOString(),
    engram: ENGRAM_VERSION,
    rng: RNG_ALGORITHM,
    compute: { path, provider, ...(fallbackReason ? { fallbackReason } : {}) }
  }
}

function modelSection(spec: HopfieldModelSpec, net: HopfieldNet, data: ExperimentData): NonNullable<ExperimentResult['model']> {
  return {
    kind: 'hopfield',
    units: net.units,
    stateDict: {
      weights: tensorToJson({ dtype: 'float32', shape: [net.units, net.units], data: net.weights }),
      thresholds: tensorToJson({ dtype: 'float32', shape: [net.units], data: net.thresholds }),
      ...(net.scale !== undefined ? { scale: tensorToJson({ dtype: 'float64', shape: [1], data: Float64Array.of(net.scale) }) } : {})
    },
    metadata: modelMetadata(spec, net, { labels: data.labels.join(','), width: String(data.width), height: String(data.height) })
  }
}

const nullable = (x: number): number | null => (Number.isFinite(x) ? x : null)

/**
 * Noisy or clamped completion: annealing vs T = 0 descent from the very same cues (004). The cues of a fraction run as
 * batches of chains on the engine (engine/stochastic.ts): the chain of cue (p, c) draws from the very rng fork that core
 * completePattern would get, and the engine makes bit-identical decisions, so both paths give the same numbers. If the
 * engine fails, the core runs the sweep from the same rng state and the result says why.
 */
async function annealSweep(
  sweep: Extract<NonNullable<ExperimentSpec['sweep']>, { type: 'anneal' }>,
  net: HopfieldNet,
  stored: Int8Array[],
  rng: Rng,
  hooks: { onProgress?: (f: number) => void; shouldCancel?: () => boolean },
  engine: { provider: ExperimentSpec['engine']['provider']; threads: number }
): Promise<{ sweep: SweepResult; path: 'core' | 'engine'; provider: string; fallbackReason?: string }> {
  const temperatures = temperatureSchedule(sweep.schedule)
  const greedy = new Float64Array(temperatures.length).fill(0)
  const n = net.units
  const perPattern = sweep.cuesPerPattern
  const total = stored.length * perPattern
  const clamped = sweep.completion === 'clamped'
  // completePattern's `match`: the first stored pattern equal to the final state.
  const matchOf = (final: ArrayLike<number>): number => stored.findIndex((p) => p.length === n && p.every((v, i) => v === final[i]))
  const startState = rng.getState()
  const run = async (r: Rng, onEngine: boolean): Promise<{ points: Extract<SweepResult, { type: 'anneal' }>['points']; provider: string; fallbackReason?: string }> => {
    let provider = 'core'
    let fallbackReason: string | undefined
    const points: Extract<SweepResult, { type: 'anneal' }>['points'] = []
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
        forksA.push(r.fork(pi * 65537 + c))
        forksD.push(r.fork(pi * 65537 + c + 0x8000))
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
    return { points, provider, ...(fallbackReason ? { fallbackReason } : {}) }
  }
  const result = (points: Extract<SweepResult, { type: 'anneal' }>['points']): SweepResult => ({ type: 'anneal', completion: sweep.completion, temperatures: Array.from(temperatures), points })
  // Each chain visits units in its own order, so the engine does the core's O(N) work per unit plus ~20 µs of
  // per-step overhead: measured no faster than the core below a few hundred units on CPU (docs/benchmarks.md).
  // 'auto' picks the core there; a named provider (or a large net) runs the engine.
  if (!gibbsOnEngine(engine.provider, n)) {
    const out = await run(Rng.fromState(startState), false)
    return { sweep: result(out.points), path: 'core', provider: 'core' }
  }
  let reason: string
  try {
    const out = await run(Rng.fromState(startState), true)
    return { sweep: result(out.points), path: 'engine', provider: out.provider, ...(out.fallbackReason ? { fallbackReason: out.fallbackReason } : {}) }
  } catch (error) {
    if (error instanceof CancelledError || (error instanceof Error && error.message === 'cancelled')) throw new CancelledError()
    reason = `engine failed (${error instanceof Error ? error.message : String(error)}); ran on the core`
  }
  const out = await run(Rng.fromState(startState), false)
  return { sweep: result(out.points), path: 'core', provider: 'core', fallbackReason: reason }
}

type Hooks = { onProgress?: (f: number) => void; shouldCancel?: () => boolean }

/**
 * Below this many units an 'auto' sweep of Gibbs chains (annealing, sampled Boltzmann learning) runs on the core:
 * per-chain visit orders leave the engine no GEMM, and it only passes the core near N ≈ 300 (docs/benchmarks.md).
 * The numbers are the same either way.
 */
export const GIBBS_ENGINE_MIN_UNITS = 256

/** Whether a sweep of Gibbs chains over `units` units runs on the engine: a named provider, or a large enough net. */
function gibbsOnEngine(provider: ExperimentSpec['engine']['provider'], units: number): boolean {
  return provider !== 'auto' || units >= GIBBS_ENGINE_MIN_UNITS
}

/** k distinct units chosen uniformly (one permutation from rng). */
function chooseUnits(n: number, k: number, rng: Rng): Uint32Array {
  return rng.permutation(n).subarray(0, k)
}

/** 003 one-layer hetero-associative net: conditions, δ̄, and one-shot recall under input noise. */
function heteroSweep(sweep: Extract<NonNullable<ExperimentSpec['sweep']>, { type: 'hetero' }>, data: ExperimentData, rng: Rng, hooks: Hooks): SweepResult {
  const xs = data.stored
  let ys: Int8Array[]
  if (sweep.codes === 'dataset') {
    if (!data.targets) throw new Error("spec.sweep.codes: this dataset has no Y side; use 'binary-index' or 'one-hot'")
    ys = data.targets
  } else ys = bamCodes(xs.length, sweep.codes)
  const net = heteroHebb(xs, ys)
  const conditions = heteroConditions(xs, ys)
  const points = sweep.fractions.map((fraction, fi) => {
    let success = 0
    let cues = 0
    xs.forEach((x, p) => {
      for (let c = 0; c < sweep.cuesPerPattern; c++) {
        if (hooks.shouldCancel?.()) throw new CancelledError()
        const cue = Int8Array.from(x)
        for (const i of chooseUnits(x.length, Math.round(fraction * x.length), rng)) cue[i] = -cue[i]!
        const y = heteroRecall(net, cue).output
        if (y.every((v, j) => v === ys[p]![j])) success++
        cues++
      }
    })
    hooks.onProgress?.((fi + 1) / sweep.fractions.length)
    return { fraction, success: success / cues, cues }
  })
  return { type: 'hetero', inputs: net.inputs, outputs: net.outputs, conditions, points }
}

/** 003 recurrent auto-associator with its three stop rules, under missing or flipped units. */
function recurrentSweep(sweep: Extract<NonNullable<ExperimentSpec['sweep']>, { type: 'recurrent' }>, data: ExperimentData, rng: Rng, hooks: Hooks): SweepResult {
  const stored = data.stored
  const net = autoHebb(stored, { modified: sweep.modified })
  const points = sweep.fractions.map((fraction, fi) => {
    let recovered = 0
    let storedMatch = 0
    let repeat = 0
    let limit = 0
    let iterations = 0
    let cues = 0
    stored.forEach((p, pi) => {
      for (let c = 0; c < sweep.cuesPerPattern; c++) {
        if (hooks.shouldCancel?.()) throw new CancelledError()
        const cue = Int8Array.from(p)
        for (const i of chooseUnits(p.length, Math.round(fraction * p.length), rng)) cue[i] = sweep.corruption === 'missing' ? 0 : -cue[i]!
        const r = recallRecurrent(net, cue, { stored, maxIterations: sweep.maxIterations, activation: sweep.activation })
        if (r.outcome === 'stored-match') {
          storedMatch++
          if (r.storedIndex === pi) recovered++
        } else if (r.outcome === 'repeat') repeat++
        else limit++
        iterations += r.steps.length
        cues++
      }
    })
    hooks.onProgress?.((fi + 1) / sweep.fractions.length)
    return { fraction, recovered: recovered / cues, storedMatch: storedMatch / cues, repeat: repeat / cues, maxIterations: limit / cues, meanIterations: iterations / cues, cues }
  })
  return { type: 'recurrent', points }
}

/**
 * 004 Boltzmann machine with hidden units: ML training (exact or sampled statistics), then clamped completion.
 * Sampled training runs on the engine (engine/boltzmann.ts: the core's chains as batches, replaying the core's draws,
 * so the same weights) when the spec's engine settings allow it — the rule of annealSweep: 'auto' keeps nets under
 * GIBBS_ENGINE_MIN_UNITS (visible + hidden) on the core, a named provider runs the engine; if the engine fails the core trains from
 * the same rng state and the result says why. Exact statistics and the completion stay on the core.
 */
async function boltzmannSweep(
  sweep: Extract<NonNullable<ExperimentSpec['sweep']>, { type: 'boltzmann' }>,
  data: ExperimentData,
  rng: Rng,
  hooks: Hooks,
  engine: { provider: ExperimentSpec['engine']['provider']; threads: number }
): Promise<{ sweep: SweepResult; path: 'core' | 'engine'; provider: string; fallbackReason?: string }> {
  const visible = data.stored.map((p) => p.map((v) => (v === 1 ? 1 : 0)))
  const V = visible[0]!.length
  if (sweep.mode === 'exact' && V + sweep.hidden > MAX_EXACT_UNITS) {
    throw new Error(`spec.sweep.mode: exact statistics enumerate 2^(visible+hidden) states; ${V}+${sweep.hidden} units is more than ${MAX_EXACT_UNITS} (use 'sampled' or a smaller dataset)`)
  }
  const trainState = rng.fork(1).getState()
  const training: Omit<BoltzmannTrainingOptions, 'rng'> = {
    hidden: sweep.hidden,
    encoding: 'binary',
    epochs: sweep.epochs,
    eta: sweep.eta,
    weightDecay: sweep.weightDecay,
    mode: sweep.mode,
    sampling: { clampedSamples: sweep.clampedSamples, freeSamples: sweep.freeSamples },
    trackLogLikelihood: V + sweep.hidden <= 16,
    onProgress: (f) => hooks.onProgress?.(0.9 * f),
    ...(hooks.shouldCancel ? { shouldCancel: hooks.shouldCancel } : {})
  }
  let trained: BoltzmannTrainingResult | null = null
  let path: 'core' | 'engine' = 'core'
  let provider = 'core'
  let fallbackReason: string | undefined
  if (sweep.mode === 'sampled' && gibbsOnEngine(engine.provider, V + sweep.hidden)) {
    try {
      const out = await trainBoltzmannEngine(visible, { ...training, rng: Rng.fromState(trainState), provider: engine.provider, threads: engine.threads })
      trained = out
      path = 'engine'
      provider = out.provider
      fallbackReason = out.fallbackReason
    } catch (error) {
      if (error instanceof CancelledError || (error instanceof Error && error.message === 'cancelled')) throw new CancelledError()
      fallbackReason = `engine failed (${error instanceof Error ? error.message : String(error)}); ran on the core`
    }
  }
  trained ??= trainBoltzmann(visible, { ...training, rng: Rng.fromState(trainState) })
  const bm = trained.machine
  let patternProbabilities: number[] | null = null
  if (V + sweep.hidden <= MAX_EXACT_UNITS) {
    const dist = visibleDistributionExact(bm)
    patternProbabilities = visible.map((v) => dist[stateIndex(v)]!)
  }
  const completionRng = rng.fork(2)
  let success = 0
  let cues = 0
  visible.forEach((v) => {
    for (let c = 0; c < sweep.cuesPerPattern; c++) {
      if (hooks.shouldCancel?.()) throw new CancelledError()
      const known = new Uint8Array(V).fill(1)
      for (const i of chooseUnits(V, Math.round(sweep.unseen * V), completionRng)) known[i] = 0
      const out = completeBoltzmann(bm, v, known, { schedule: { kind: 'geometric', start: 4, end: 0.1, steps: 30 }, sweepsPerTemperature: 2, averageLast: 5, rng: completionRng })
      if (out.visible.every((x, i) => x === v[i])) success++
      cues++
    }
  })
  hooks.onProgress?.(1)
  const result: SweepResult = {
    type: 'boltzmann',
    visible: V,
    hidden: sweep.hidden,
    mode: sweep.mode,
    history: trained.history,
    patternProbabilities,
    completion: { unseen: sweep.unseen, success: cues ? success / cues : 0, cues }
  }
  return { sweep: result, path, provider, ...(fallbackReason !== undefined ? { fallbackReason } : {}) }
}

/** BAM on dataset ↔ code pairs: recall from noisy X (is Y right?) or from noisy Y alone (is X right?). */
function bamSweep(
  sweep: Extract<NonNullable<ExperimentSpec['sweep']>, { type: 'bam' }>,
  data: ExperimentData,
  rng: Rng,
  hooks: { onProgress?: (f: number) => void; shouldCancel?: () => boolean }
): SweepResult {
  const enc = sweep.bam.encoding
  const toEnc = (p: Int8Array): Int8Array => (enc === 'binary' ? p.map((v) => (v === 1 ? 1 : 0)) : Int8Array.from(p))
  const xs = data.stored.map(toEnc)
  let ys: Int8Array[]
  if (sweep.bam.codes === 'dataset') {
    if (!data.targets) throw new Error("spec.sweep.bam.codes: this dataset has no Y side; use 'binary-index' or 'one-hot'")
    ys = data.targets.map(toEnc)
  } else {
    ys = bamCodes(xs.length, sweep.bam.codes, enc)
  }
  const net = bamHebb(xs, ys, enc)
  const stored = { inputs: xs, targets: ys }
  const flipTo = (p: Int8Array, k: number): Int8Array => {
    const out = Int8Array.from(p)
    for (const i of rng.permutation(p.length).subarray(0, k)) out[i] = enc === 'binary' ? 1 - out[i]! : -out[i]!
    return out
  }
  const equal = (a: Int8Array, b: Int8Array): boolean => a.every((v, i) => v === b[i])
  const points = sweep.fractions.map((fraction, fi) => {
    let pair = 0
    let recall = 0
    let spurious = 0
    let halfSteps = 0
    let cues = 0
    xs.forEach((x, p) => {
      for (let c = 0; c < sweep.cuesPerPattern; c++) {
        if (hooks.shouldCancel?.()) throw new CancelledError()
        const cue = sweep.cue === 'x' ? { x: flipTo(x, Math.round(fraction * net.xUnits)) } : { y: flipTo(ys[p]!, Math.round(fraction * net.yUnits)) }
        const r = bamRecall(net, cue, { maxIterations: sweep.maxIterations, stored })
        const xOk = equal(r.x, x)
        const yOk = equal(r.y, ys[p]!)
        if (xOk && yOk) pair++
        if (sweep.cue === 'x' ? yOk : xOk) recall++
        if (r.spurious) spurious++
        halfSteps += r.halfSteps
        cues++
      }
    })
    hooks.onProgress?.((fi + 1) / sweep.fractions.length)
    return { fraction, pairSuccess: pair / cues, recallSuccess: recall / cues, spurious: spurious / cues, meanHalfSteps: halfSteps / cues, cues }
  })
  return { type: 'bam', xUnits: net.xUnits, yUnits: net.yUnits, cue: sweep.cue, points }
}

/** Sweeps and analyses: capacity (random patterns), noise / partial cues, basins, census. */
async function runSweep(spec: ExperimentSpec, sweep: NonNullable<ExperimentSpec['sweep']>, data: ExperimentData | null, hooks: ComputeHooks): Promise<ExperimentResult> {
  const progress = (f: number): void => hooks.onProgress?.(f, Math.round(f * 1000), 1000, sweep.type)
  const coreHooks = { onProgress: progress, shouldCancel: hooks.shouldCancel }
  const rng = new Rng(spec.seed)
  const engine = { provider: spec.engine.provider, threads: spec.engine.threads }
  let result: SweepResult
  let path: 'core' | 'engine' = 'core'
  let provider = 'core'
  let fallbackReason: string | undefined
  if (sweep.type === 'capacity') {
    const settings = { units: sweep.units, patternCounts: sweep.patternCounts, rules: sweep.rules, trials: sweep.trials, noise: sweep.noise, cuesPerPattern: sweep.cuesPerPattern, rng }
    let points
    if (sweep.recall.mode === 'sync') {
      const out = await capacitySweepEngine({ ...settings, ...engine, maxSweeps: sweep.recall.maxSweeps, ...coreHooks })
      points = out.points
      path = 'engine'
      provider = out.provider
      fallbackReason = out.fallbackReason
    } else {
      points = capacitySweep({ ...settings, recall: { mode: 'async', maxSweeps: sweep.recall.maxSweeps }, ...coreHooks })
    }
    result = {
      type: 'capacity',
      units: sweep.units,
      theory: capacityTheory(sweep.units),
      points: points.map((p) => ({
        ...p,
        fixedFraction: nullable(p.fixedFraction),
        allFixedFraction: nullable(p.allFixedFraction),
        recallSuccess: nullable(p.recallSuccess),
        meanOverlap: nullable(p.meanOverlap)
      }))
    }
    return { ...resultHeader(spec, path, provider, fallbackReason), sweep: result }
  }
  if (!data) throw new Error(`spec.dataset: a ${sweep.type} sweep needs a dataset`)
  if (sweep.type === 'bam') return { ...resultHeader(spec, 'core', 'core'), sweep: bamSweep(sweep, data, rng, coreHooks) }
  if (sweep.type === 'hetero') return { ...resultHeader(spec, 'core', 'core'), sweep: heteroSweep(sweep, data, rng, coreHooks) }
  if (sweep.type === 'recurrent') return { ...resultHeader(spec, 'core', 'core'), sweep: recurrentSweep(sweep, data, rng, coreHooks) }
  if (sweep.type === 'boltzmann') {
    const out = await boltzmannSweep(sweep, data, rng, coreHooks, engine)
    return { ...resultHeader(spec, out.path, out.provider, out.fallbackReason), sweep: out.sweep }
  }
  const { net, history } = trainHopfield(data.stored, spec.model, spec.seed)
  if (net.encoding === 'binary' && sweep.type === 'anneal') {
    throw new Error("spec.model.encoding: the anneal sweep runs on bipolar states (004's stochastic Hopfield net); use 'bipolar'")
  }
  if (sweep.type === 'anneal') {
    const out = await annealSweep(sweep, net, data.stored, rng, coreHooks, engine)
    return { ...resultHeader(spec, out.path, out.provider, out.fallbackReason), sweep: out.sweep, ...(history ? { training: { history } } : {}), model: modelSection(spec.model, net, data) }
  }
  if (sweep.type === 'noise' || sweep.type === 'partial') {
    const fill = sweep.type === 'partial' ? sweep.fill : undefined
    let points
    // The engine's cue sweeps take bipolar states; binary nets settle on the core (sweeps.ts maps the cues).
    if (sweep.recall.mode === 'sync' && fill !== 0 && net.encoding === 'bipolar') {
      const out = await cueSweepEngine(net, data.stored, {
        kind: sweep.type,
        ...(fill !== undefined ? { fill } : {}),
        fractions: sweep.fractions,
        cuesPerPattern: sweep.cuesPerPattern,
        rng,
        maxSweeps: sweep.recall.maxSweeps,
        ...engine,
        ...coreHooks
      })
      points = out.points
      path = 'engine'
      provider = out.provider
    } else {
      const opts = { fractions: sweep.fractions, cuesPerPattern: sweep.cuesPerPattern, rng, recall: sweep.recall, ...coreHooks }
      points = sweep.type === 'noise' ? noiseSweep(net, data.stored, opts) : partialCueSweep(net, data.stored, { ...opts, fill })
    }
    result = { type: sweep.type, points: points.map((p) => ({ ...p, success: nullable(p.success), meanOverlap: nullable(p.meanOverlap) })) }
  } else if (sweep.type === 'basins') {
    const basins = basinEstimate(net, data.stored, {
      rng,
      trialsPerRadius: sweep.trialsPerRadius,
      ...(sweep.maxRadius !== undefined ? { maxRadius: sweep.maxRadius } : {}),
      threshold: sweep.threshold,
      recall: sweep.recall,
      ...coreHooks
    })
    result = { type: 'basins', threshold: sweep.threshold, basins: basins.map((b) => ({ ...b, label: data.labels[b.pattern] ?? String(b.pattern) })) }
  } else {
    if (sweep.method === 'exhaustive' && net.units > 20) throw new Error(`spec.sweep.method: exhaustive census needs N ≤ 20 units (this model has ${net.units})`)
    const c = census(net, storedIn(net, data.stored), {
      ...(sweep.method === 'auto' ? {} : { method: sweep.method }),
      samples: sweep.samples,
      rng,
      dynamics: sweep.dynamics,
      maxSweeps: sweep.maxSweeps,
      ...coreHooks
    })
    result = {
      type: 'census',
      method: c.method,
      starts: c.starts,
      countsByKind: c.countsByKind,
      attractors: c.attractors.map((a) => ({ ...a, state: Array.from(a.state) }))
    }
  }
  return {
    ...resultHeader(spec, path, provider, fallbackReason),
    sweep: result,
    ...(history ? { training: { history } } : {}),
    model: modelSection(spec.model, net, data)
  }
}
