// What every experiment runner shares: its inputs, the result header, the model section, the engine-vs-core policy.
import type { Encoding, HopfieldNet } from '../../../core/hopfield'
import { RNG_ALGORITHM, type Rng } from '../../../core/rng'
import { tensorToJson } from '../../../core/tensor-json'
import type { ExperimentResult, ExperimentSpec, HopfieldModelSpec, SweepResult, SweepSpec, Worked } from '../../../shared/spec'
import { SPEC_VERSION } from '../../../shared/spec'
import { CancelledError } from '../../../shared/errors'
import { ENGRAM_VERSION } from '../../version'
import type { FractionHooks } from '../hooks'
import { modelMetadata, type TrainedHopfield } from '../hopfield'

export interface ExperimentData {
  stored: Int8Array[]
  labels: string[]
  width: number
  height: number
  /** The Y side of a pair dataset (BAM with codes 'dataset'). */
  targets?: Int8Array[]
  /** Grey levels in [0, 1] of the stored rows (an images sweep; ±1 rows as 0/1), for continuous patterns. */
  grey?: Float32Array[]
  /** An inline dataset's rows as the spec writes them (binary rows stay 0/1; `stored` holds their bipolar images). */
  given?: { encoding: Encoding; patterns: Int8Array[]; targets?: Int8Array[] }
}

/** Where a result was computed: `compute` of every experiment result. */
export interface ComputePath {
  path: 'core' | 'engine'
  provider: string
  /** Why the engine did not run as asked (provider unavailable, or the engine failed and the core ran). */
  fallbackReason?: string
}

export const CORE_PATH: ComputePath = { path: 'core', provider: 'core' }

export type EngineChoice = { provider: ExperimentSpec['engine']['provider']; threads: number }

export type SweepType = SweepSpec['type']

/** What a sweep runner gets: the spec, its sweep, the data, the seeded rng, fraction-only hooks, the engine asked for. */
export interface SweepContext<S extends SweepSpec = SweepSpec> {
  spec: ExperimentSpec
  sweep: S
  data: ExperimentData | null
  rng: Rng
  hooks: FractionHooks
  engine: EngineChoice
}

/** A runner's answer; `hopfield` when it trained the spec's Hopfield model (its history and weights go in the result). */
export interface SweepOutput {
  sweep: SweepResult
  /** The explicit cues' traces (spec.cues), when the sweep ran them. */
  worked?: Worked
  compute: ComputePath
  hopfield?: TrainedHopfield
}

export type SweepRunner<T extends SweepType> = (ctx: SweepContext<Extract<SweepSpec, { type: T }>>) => SweepOutput | Promise<SweepOutput>

/** The dataset a sweep over stored patterns needs. */
export function requireData(ctx: SweepContext): ExperimentData {
  if (!ctx.data) throw new Error(`spec.dataset: a ${ctx.sweep.type} sweep needs a dataset`)
  return ctx.data
}

export function resultHeader(spec: ExperimentSpec, compute: ComputePath) {
  return {
    kind: 'engram.experiment-result' as const,
    version: SPEC_VERSION as typeof SPEC_VERSION,
    spec,
    createdAt: new Date().toISOString(),
    engram: ENGRAM_VERSION,
    rng: RNG_ALGORITHM,
    compute: { path: compute.path, provider: compute.provider, ...(compute.fallbackReason ? { fallbackReason: compute.fallbackReason } : {}) }
  }
}

/** The trained model of a result: its state dict as JSON tensors and its export metadata. */
export function modelSection(spec: HopfieldModelSpec, net: HopfieldNet, data: ExperimentData): NonNullable<ExperimentResult['model']> {
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

/** Back to the event loop (setImmediate): a queue worker renews its job lock and reads its cancel key there. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** JSON has no NaN: a point where nothing ran is null. */
export const nullable = (x: number): number | null => (Number.isFinite(x) ? x : null)

/** k distinct units chosen uniformly (one permutation from rng). */
export function chooseUnits(n: number, k: number, rng: Rng): Uint32Array {
  return rng.permutation(n).subarray(0, k)
}

/**
 * Below this many units an 'auto' sweep of Gibbs chains (annealing, sampled Boltzmann learning) runs on the core:
 * per-chain visit orders leave the engine no GEMM, and it only passes the core near N ≈ 300 (docs/benchmarks.md).
 * The numbers are the same either way.
 */
export const GIBBS_ENGINE_MIN_UNITS = 256

/** Whether a sweep of Gibbs chains over `units` units runs on the engine: a named provider, or a large enough net. */
export function gibbsOnEngine(provider: EngineChoice['provider'], units: number): boolean {
  return provider !== 'auto' || units >= GIBBS_ENGINE_MIN_UNITS
}

/**
 * One point per fraction of a cue sweep over stored patterns: `point` counts with `eachCue`, which visits every cue in
 * draw order (cuesPerPattern per pattern, pattern by pattern, a cancel checked before each) and returns how many there
 * were; progress is reported after each fraction.
 */
export function perFraction<T>(
  fractions: number[],
  patterns: number,
  cuesPerPattern: number,
  hooks: FractionHooks,
  point: (fraction: number, eachCue: (visit: (pattern: number) => void) => number) => T
): T[] {
  const eachCue = (visit: (pattern: number) => void): number => {
    for (let p = 0; p < patterns; p++) {
      for (let c = 0; c < cuesPerPattern; c++) {
        if (hooks.shouldCancel?.()) throw new CancelledError()
        visit(p)
      }
    }
    return patterns * cuesPerPattern
  }
  return fractions.map((fraction, fi) => {
    const out = point(fraction, eachCue)
    hooks.onProgress?.((fi + 1) / fractions.length)
    return out
  })
}
