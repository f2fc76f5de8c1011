// 004 Boltzmann machine with hidden units: ML training (exact or sampled statistics), then clamped completion.
import { completeBoltzmann, trainBoltzmann, visibleDistributionExact, type BoltzmannTrainingOptions } from '../../../core/boltzmann'
import { Rng } from '../../../core/rng'
import { BOLTZMANN_COMPLETION_STREAM, BOLTZMANN_TRAINING_STREAM } from '../../../core/rng-streams'
import { MAX_EXACT_UNITS, stateIndex } from '../../../core/stochastic'
import { trainBoltzmannEngine } from '../../../engine/boltzmann'
import { CancelledError } from '../../../shared/errors'
import { chooseUnits, gibbsOnEngine, requireData, type SweepRunner } from './common'
import { withCoreFallback } from './fallback'

/**
 * Sampled training runs on the engine (engine/boltzmann.ts: the core's chains as batches, replaying the core's draws,
 * so the same weights) when the spec's engine settings allow it — the rule of the anneal sweep: 'auto' keeps nets under
 * GIBBS_ENGINE_MIN_UNITS (visible + hidden) on the core, a named provider runs the engine; if the engine fails the core
 * trains from the same rng state and the result says why. Exact statistics and the completion stay on the core.
 */
export const runBoltzmannSweep: SweepRunner<'boltzmann'> = async (ctx) => {
  const { sweep, rng, hooks, engine } = ctx
  const data = requireData(ctx)
  const visible = data.stored.map((p) => p.map((v) => (v === 1 ? 1 : 0)))
  const V = visible[0]!.length
  if (sweep.mode === 'exact' && V + sweep.hidden > MAX_EXACT_UNITS) {
    throw new Error(`spec.sweep.mode: exact statistics enumerate 2^(visible+hidden) states; ${V}+${sweep.hidden} units is more than ${MAX_EXACT_UNITS} (use 'sampled' or a smaller dataset)`)
  }
  const trainState = rng.fork(BOLTZMANN_TRAINING_STREAM).getState()
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
  const { value: trained, compute } = await withCoreFallback(
    sweep.mode === 'sampled' && gibbsOnEngine(engine.provider, V + sweep.hidden),
    async () => {
      const out = await trainBoltzmannEngine(visible, { ...training, rng: Rng.fromState(trainState), provider: engine.provider, threads: engine.threads })
      return { value: out, provider: out.provider, ...(out.fallbackReason !== undefined ? { fallbackReason: out.fallbackReason } : {}) }
    },
    () => trainBoltzmann(visible, { ...training, rng: Rng.fromState(trainState) })
  )
  const bm = trained.machine
  let patternProbabilities: number[] | null = null
  if (V + sweep.hidden <= MAX_EXACT_UNITS) {
    const dist = visibleDistributionExact(bm)
    patternProbabilities = visible.map((v) => dist[stateIndex(v)]!)
  }
  const completionRng = rng.fork(BOLTZMANN_COMPLETION_STREAM)
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
  return {
    compute,
    sweep: {
      type: 'boltzmann',
      visible: V,
      hidden: sweep.hidden,
      mode: sweep.mode,
      history: trained.history,
      patternProbabilities,
      completion: { unseen: sweep.unseen, success: cues ? success / cues : 0, cues }
    }
  }
}
