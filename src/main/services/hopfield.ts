// Hopfield models as services: training with the spec's rule, stored fixed points, export metadata.
import type { HopfieldNet } from '../../core/hopfield'
import { hebb, isFixedPoint, toEncoding } from '../../core/hopfield'
import { Rng } from '../../core/rng'
import { ENERGY_TRAINING_STREAM } from '../../core/rng-streams'
import { pseudoInverse, storkey } from '../../core/rules'
import { trainEnergy } from '../../core/energy-training'
import type { HopfieldModelSpec } from '../../shared/spec'
import { energyTrainingSpecSchema } from '../../shared/spec'
import { ENGRAM_VERSION } from '../version'
import type { ComputeHooks } from './hooks'

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
        rng: new Rng(seed).fork(ENERGY_TRAINING_STREAM),
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
