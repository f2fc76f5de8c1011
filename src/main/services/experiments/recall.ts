// The default experiment (no sweep): train the spec's Hopfield model, draw cues, recall, measure.
import { drawCues } from '../../../core/corrupt'
import { matchStored, overlap, recallAsync, type HopfieldNet } from '../../../core/hopfield'
import { Rng } from '../../../core/rng'
import { RECALL_ORDER_STREAM } from '../../../core/rng-streams'
import { CancelledError } from '../../../shared/errors'
import type { CueOutcome, ExperimentResult, ExperimentSpec } from '../../../shared/spec'
import type { ComputeHooks } from '../hooks'
import { countStoredFixedPoints, storedIn, trainHopfield, type TrainedHopfield } from '../hopfield'
import { runBatchRecall, syncTrace } from '../recall'
import { CORE_PATH, modelSection, resultHeader, type ExperimentData } from './common'
import { resolveCues } from './data'
import { workedHopfield } from './worked'

/** Synchronous recall runs batched on the engine (traces from the core); asynchronous recall cue by cue on the core. */
export async function runRecallExperiment(spec: ExperimentSpec, data: ExperimentData | null, hooks: ComputeHooks = {}): Promise<ExperimentResult> {
  if (!data) throw new Error('spec.dataset: a recall experiment needs a dataset')
  const started = performance.now()
  const { net, history } = trainHopfield(data.stored, spec.model, spec.seed)
  const storedFixedPoints = countStoredFixedPoints(net, data.stored)
  const stored = storedIn(net, data.stored)
  if (spec.cues) return explicitCues(spec, data, net, stored, storedFixedPoints, history, started)
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
    const orderRng = new Rng(spec.seed).fork(RECALL_ORDER_STREAM)
    outcomes = []
    const total = sources.length
    for (let c = 0; c < total; c++) {
      if (hooks.shouldCancel?.()) throw new CancelledError()
      const source = sources[c]!
      const cue = cues.subarray(c * net.units, (c + 1) * net.units)
      const trace = recallAsync(net, cue, { rng: orderRng, order: Array.isArray(recall.order) ? recall.order.map((u) => u - 1) : recall.order, maxSweeps: recall.maxSweeps, stored, ...(withExternal ? { external: cue } : {}) })
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
    ...resultHeader(spec, { path: recall.mode === 'sync' ? 'engine' : 'core', provider, ...(fallbackReason ? { fallbackReason } : {}) }),
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

/** The recall experiment on the spec's explicit cues: every one traced on the core (result.worked). */
function explicitCues(
  spec: ExperimentSpec,
  data: ExperimentData,
  net: HopfieldNet,
  stored: Int8Array[],
  storedFixedPoints: number,
  history: TrainedHopfield['history'],
  started: number
): ExperimentResult {
  const worked = workedHopfield(spec, net, stored, resolveCues(spec, data))
  const cases = worked.cases
  const matched = cases.filter((c) => c.match !== null).length
  return {
    ...resultHeader(spec, CORE_PATH),
    metrics: {
      patterns: data.stored.length,
      units: net.units,
      cues: cases.length,
      // With explicit cues there is no drawn source pattern: success is ending on a stored pattern (see worked.cases).
      successRate: matched / cases.length,
      meanFinalOverlap: cases.reduce((s, c) => s + Math.max(...stored.map((p) => overlap(c.final, p, net.encoding))), 0) / cases.length,
      storedFixedPoints,
      meanIterations: cases.reduce((s, c) => s + c.iterations, 0) / cases.length,
      seconds: (performance.now() - started) / 1000
    },
    worked,
    ...(history ? { training: { history } } : {}),
    model: modelSection(spec.model, net, data)
  }
}
