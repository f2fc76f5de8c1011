// The default experiment (no sweep): train the spec's Hopfield model, draw cues, recall, measure.
import { drawCues } from '../../../core/corrupt'
import { matchStored, overlap, recallAsync } from '../../../core/hopfield'
import { Rng } from '../../../core/rng'
import { RECALL_ORDER_STREAM } from '../../../core/rng-streams'
import { CancelledError } from '../../../shared/errors'
import type { CueOutcome, ExperimentResult, ExperimentSpec } from '../../../shared/spec'
import type { ComputeHooks } from '../hooks'
import { countStoredFixedPoints, storedIn, trainHopfield } from '../hopfield'
import { runBatchRecall, syncTrace } from '../recall'
import { modelSection, resultHeader, type ExperimentData } from './common'

/** Synchronous recall runs batched on the engine (traces from the core); asynchronous recall cue by cue on the core. */
export async function runRecallExperiment(spec: ExperimentSpec, data: ExperimentData | null, hooks: ComputeHooks = {}): Promise<ExperimentResult> {
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
    const orderRng = new Rng(spec.seed).fork(RECALL_ORDER_STREAM)
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
