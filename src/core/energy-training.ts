// Training a Hopfield net by energy minimisation: lower the targets, raise the valleys the net falls into.
// Reference: seeds/004 ("Training the Hopfield network", Option 1: focus on the valleys; valleys from random
// starts or from the targets; SGD version; raising the neighbourhood with a few (2–4) evolution steps; importance).
// Legend: N units; P targets y_p ∈ {−1,1}^N with importance π_p ≥ 0; W N×N (float64 inside; every net the training
// looks at, and the one it returns, is W rounded onto the grid 1/(N·2^m) of hopfield.ts onGrid, so that recall decides
// ties alike in every path and training sees the very net it returns);
// y_v a valley (state the net settles in), y_d a down-valley state after a few evolution sweeps;
// update W ← W + η(Σ_p y_p y_pᵀ − Σ_v y_v y_vᵀ) (batch) or W ← W + η(y_p y_pᵀ − y_v y_vᵀ) (SGD).

import { gridDenominator, hebb, isFixedPoint, onGrid, type HopfieldNet } from './hopfield'
import { checkCancel, settle, type Hooks } from './dynamics'
import type { Rng } from './rng'

export interface EnergyTrainingOptions extends Hooks {
  rng: Rng
  /** Default 0.01 (seeds/004 leaves η open; the update is scale-free in sign, so η only sets the step). */
  eta?: number
  /** Passes: batch = one update per epoch; sgd = P sampled updates per epoch. */
  epochs: number
  /**
   * Where the negative (raised) states come from:
   * - 'random': a random start, settled to a valley (skipped when that valley is a target);
   * - 'targets': start at the target, settle; a valley other than the target is raised;
   * - 'few-steps': start at the target (optionally with cueNoise flipped), evolve only `evolutionSteps`
   *   asynchronous sweeps and raise where it got to (raises the target's neighbourhood, and spares
   *   down-valley targets that a full settle would have destroyed).
   */
  valleys: 'random' | 'targets' | 'few-steps'
  mode?: 'batch' | 'sgd'
  /** For 'few-steps', sweeps of async updates in random order. Default 2 (seeds/004: 2–4). */
  evolutionSteps?: number
  /** Fraction of units flipped in the target before evolving ('targets' / 'few-steps'). Default 0. */
  cueNoise?: number
  /** π_p: SGD samples targets with probability ∝ π_p; batch weighs y_p y_pᵀ by π_p. Default all 1. */
  importance?: number[]
  /** Starting W. Default 'hebb' (1/N-scaled, zero diagonal): from W = 0 every state is a tie and nothing moves. */
  init?: 'hebb' | 'zero' | HopfieldNet
  maxSweeps?: number
  /** Stop early once every target is a fixed point after an epoch. Default true; set false to keep
   *  widening basins (with cueNoise) after that. */
  stopWhenStable?: boolean
}

export interface EnergyTrainingEpoch {
  epoch: number
  /** Targets that are fixed points after this epoch. */
  fixedTargets: number
  /** Negative states raised in this epoch. */
  raised: number
}

export interface EnergyTrainingResult {
  net: HopfieldNet
  history: EnergyTrainingEpoch[]
  /** How often each target was sampled / used (SGD: reflects importance). */
  samples: number[]
}

function sampleIndex(weights: number[], total: number, rng: Rng): number {
  let u = rng.next() * total
  for (let k = 0; k < weights.length; k++) {
    u -= weights[k]!
    if (u < 0) return k
  }
  // Floating-point leftovers land on the last positive weight.
  for (let k = weights.length - 1; k >= 0; k--) if (weights[k]! > 0) return k
  return 0
}

export function trainEnergy(targets: ArrayLike<number>[], opts: EnergyTrainingOptions): EnergyTrainingResult {
  if (targets.length === 0) throw new Error('trainEnergy: at least one target is needed')
  const n = targets[0]!.length
  targets.forEach((t, p) => {
    if (t.length !== n) throw new Error(`target ${p} has length ${t.length}, expected ${n}`)
    for (let i = 0; i < n; i++) if (t[i] !== 1 && t[i] !== -1) throw new Error(`target ${p}, unit ${i}: value ${t[i]} is not −1 or 1 (bipolar)`)
  })
  const P = targets.length
  const eta = opts.eta ?? 0.01
  const mode = opts.mode ?? 'sgd'
  const importance = opts.importance ?? targets.map(() => 1)
  if (importance.length !== P || importance.some((v) => !(v >= 0))) throw new Error(`importance must hold ${P} non-negative numbers`)
  const totalImportance = importance.reduce((a, b) => a + b, 0)
  if (!(totalImportance > 0)) throw new Error('importance must not be all zero')
  const steps = opts.evolutionSteps ?? 2
  const maxSweeps = opts.maxSweeps ?? 50
  const rng = opts.rng
  const init = opts.init ?? 'hebb'
  const start = init === 'hebb' ? hebb(targets, { normalisation: '1/N' }) : init === 'zero' ? null : init
  if (start && start.units !== n) throw new Error(`init net has ${start.units} units, expected ${n}`)
  // W lives in float64 during training so many small η updates do not drown in float32 rounding.
  const w = start ? Float64Array.from(start.weights) : new Float64Array(n * n)
  // A start on a grid (Hebb's K/N) begins from its exact values, not their float32 roundings.
  const d0 = start ? gridDenominator(start) : 0
  if (d0 > 0) for (let k = 0; k < n * n; k++) w[k] = Math.round(w[k]! * d0) / d0
  const thresholds = start ? Float32Array.from(start.thresholds) : new Float32Array(n)
  const view = (): HopfieldNet => ({ units: n, ...onGrid(w, n, n), thresholds, encoding: 'bipolar' })
  const isTarget = (y: Int8Array): boolean => targets.some((t) => y.every((v, i) => v === t[i]))
  const samples = targets.map(() => 0)
  const history: EnergyTrainingEpoch[] = []

  /**
   * Where the net goes from target p under the current weights: 'same' (p is stable there, nothing to do),
   * 'target' (it reached another target: seeds/004 raises only valleys y ∉ Y_P, so p is only lowered), or
   * the state to raise.
   */
  const negative = (net: HopfieldNet, p: number): { kind: 'same' | 'target' | 'other'; state: Int8Array } => {
    const y = new Int8Array(n)
    const tp = targets[p]!
    if (opts.valleys === 'random') {
      for (let i = 0; i < n; i++) y[i] = rng.int(2) === 1 ? 1 : -1
      settle(net, y, { mode: 'async', rng, maxSweeps })
    } else {
      y.set(tp)
      const flips = Math.round((opts.cueNoise ?? 0) * n)
      if (flips > 0) for (const i of rng.permutation(n).subarray(0, flips)) y[i] = -y[i]!
      settle(net, y, { mode: 'async', rng, maxSweeps: opts.valleys === 'few-steps' ? steps : maxSweeps })
    }
    if (y.every((v, i) => v === tp[i])) return { kind: 'same', state: y }
    // A few steps from a target rarely reach another one; when they do, raising it is what 004 intends
    // (the neighbourhood of p), so only full settles treat targets as untouchable.
    if (opts.valleys !== 'few-steps' && isTarget(y)) return { kind: 'target', state: y }
    return { kind: 'other', state: y }
  }
  const addOuter = (y: ArrayLike<number>, scale: number): void => {
    for (let i = 0; i < n; i++) {
      const a = scale * y[i]!
      for (let j = 0; j < n; j++) if (i !== j) w[i * n + j]! += a * y[j]!
    }
  }

  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    checkCancel(opts)
    let raised = 0
    // Batch: every target's update is computed at the same W, then applied together (Σ over the epoch).
    const batchNet = mode === 'batch' ? view() : null
    for (let k = 0; k < P; k++) {
      const p = mode === 'batch' ? k : sampleIndex(importance, totalImportance, rng)
      const scale = mode === 'batch' ? (eta * importance[p]!) / (totalImportance / P) : eta
      if (scale === 0) continue
      samples[p]!++
      const v = negative(batchNet ?? view(), p)
      if (v.kind === 'same') continue
      addOuter(targets[p]!, scale)
      if (v.kind === 'other') {
        addOuter(v.state, -scale)
        raised++
      }
    }
    const net = view()
    const fixedTargets = targets.filter((t) => isFixedPoint(net, t)).length
    history.push({ epoch, fixedTargets, raised })
    opts.onProgress?.(epoch / opts.epochs)
    if ((opts.stopWhenStable ?? true) && fixedTargets === P) break
  }
  return { net: view(), history, samples }
}
