// Training options on screen <-> the contract's HopfieldModelSpec: per-rule defaults, what is sent
// for each rule, and one line on what each rule does.
import type { EnergyTrainingSpec, HopfieldModelSpec, LearningRuleName } from '../../../shared/spec'

export type EnergyOptions = Omit<EnergyTrainingSpec, 'importance'>
export type Normalisation = HopfieldModelSpec['normalisation']

/** The schema's defaults (src/shared/spec.ts energyTrainingSpecSchema). */
export const DEFAULT_ENERGY: Readonly<EnergyOptions> = Object.freeze({
  valleys: 'few-steps',
  mode: 'sgd',
  epochs: 50,
  eta: 0.01,
  evolutionSteps: 2,
  cueNoise: 0
})

export interface ModelOptions {
  rule: LearningRuleName
  /** Hebb only. */
  normalisation: Normalisation
  zeroDiagonal: boolean
  /** Energy training only. */
  energy: EnergyOptions
  /** Unit states: bipolar ±1 or binary {0, 1} (003's discrete Hopfield net). */
  encoding: 'bipolar' | 'binary'
  /** One threshold θ for every unit. */
  threshold: number
}

export interface RuleInfo {
  id: LearningRuleName
  label: string
  /** One line: what the rule does and what it buys. */
  caption: string
}

export const RULES: readonly RuleInfo[] = [
  { id: 'hebb', label: 'Hebb (outer product)', caption: 'W = Σ ξ ξᵀ in one shot; cross-talk limits it to about 0.138 N random patterns.' },
  { id: 'storkey', label: 'Storkey', caption: 'Incremental and local, subtracts the cross-talk field: about N/√(2 ln N) patterns (Storkey 1997).' },
  {
    id: 'pseudo-inverse',
    label: 'Pseudo-inverse',
    caption: 'W projects onto the span of the patterns: every independent stored pattern is a fixed point, up to N of them.'
  },
  {
    id: 'energy',
    label: 'Energy training',
    caption: 'Lowers the energy of the targets and raises the valleys the dynamics fall into, epoch by epoch (004).'
  }
]

export const VALLEYS: readonly { id: EnergyOptions['valleys']; label: string; caption: string }[] = [
  { id: 'few-steps', label: 'few steps', caption: 'raise where a target goes after a few asynchronous sweeps' },
  { id: 'targets', label: 'settled targets', caption: 'settle from each target; raise the valley when it is not the target' },
  { id: 'random', label: 'random starts', caption: 'settle from random states; raise the spurious valleys found' }
]

export function ruleInfo(rule: string): RuleInfo | undefined {
  return RULES.find((r) => r.id === rule)
}

/** The contract's default: a zero diagonal for every rule but the pseudo-inverse (the projection as defined). */
export function defaultZeroDiagonal(rule: LearningRuleName): boolean {
  return rule !== 'pseudo-inverse'
}

/** Whether a spec zeroes the diagonal; unset means the rule's default. */
export function zeroDiagonalOf(spec: Pick<HopfieldModelSpec, 'rule' | 'zeroDiagonal'>): boolean {
  return spec.zeroDiagonal ?? defaultZeroDiagonal(spec.rule)
}

export function defaultModelOptions(rule: LearningRuleName = 'hebb'): ModelOptions {
  return { rule, normalisation: 'none', zeroDiagonal: defaultZeroDiagonal(rule), energy: { ...DEFAULT_ENERGY }, encoding: 'bipolar', threshold: 0 }
}

/**
 * The spec sent to models.train: normalisation only for Hebb, energy settings only for energy
 * training (which keeps a zero diagonal: the backend refuses anything else), the diagonal only
 * when it differs from the rule's default, so a saved spec reads as what was chosen.
 */
export function buildModelSpec(o: ModelOptions): HopfieldModelSpec {
  const spec: HopfieldModelSpec = { kind: 'hopfield', rule: o.rule, normalisation: o.rule === 'hebb' ? o.normalisation : 'none' }
  if (o.encoding === 'binary') spec.encoding = 'binary'
  if (o.threshold !== 0 && Number.isFinite(o.threshold)) spec.threshold = o.threshold
  if (o.rule === 'energy') {
    spec.energy = { ...o.energy }
    return spec
  }
  if (o.zeroDiagonal !== defaultZeroDiagonal(o.rule)) spec.zeroDiagonal = o.zeroDiagonal
  return spec
}

/** The options that train `spec` again (what a reopened model shows). */
export function modelOptionsOf(spec: HopfieldModelSpec): ModelOptions {
  return {
    rule: spec.rule,
    normalisation: spec.normalisation,
    zeroDiagonal: zeroDiagonalOf(spec),
    energy: { ...DEFAULT_ENERGY, ...(spec.energy ?? {}) },
    encoding: spec.encoding ?? 'bipolar',
    // Per-unit thresholds come from a spec file; the panel edits one shared value.
    threshold: typeof spec.threshold === 'number' ? spec.threshold : 0
  }
}

/** Short description of a spec, e.g. "hebb · 1/N · wii = 0" or "energy · few-steps sgd · 50 ep · η 0.01". */
export function describeModelSpec(spec: HopfieldModelSpec): string {
  const parts: string[] = [spec.rule]
  if (spec.rule === 'hebb') parts.push(spec.normalisation)
  if (spec.rule === 'energy') {
    const e = { ...DEFAULT_ENERGY, ...(spec.energy ?? {}) }
    parts.push(`${e.valleys} ${e.mode}`, `${e.epochs} ep`, `η ${e.eta}`)
    if (e.valleys === 'few-steps') parts.push(`${e.evolutionSteps} sweeps`)
    if (e.cueNoise > 0) parts.push(`noise ${e.cueNoise}`)
  }
  parts.push(zeroDiagonalOf(spec) ? 'wii = 0' : 'wii kept')
  if (spec.encoding === 'binary') parts.push('binary {0,1}')
  if (Array.isArray(spec.threshold)) parts.push('θ per unit')
  else if (spec.threshold !== undefined && spec.threshold !== 0) parts.push(`θ = ${spec.threshold}`)
  return parts.join(' · ')
}

/** Hopfield's estimate for Hebb and random patterns (Amit, Gutfreund & Sompolinsky): P/N ≈ 0.138. */
export const HEBB_CAPACITY = 0.138

/**
 * The load P/N a rule is expected to hold for random patterns at N units, with the formula, or
 * null where there is no closed form (energy training).
 */
export function ruleCapacity(rule: LearningRuleName, units: number): { alpha: number; formula: string } | null {
  switch (rule) {
    case 'hebb':
      return { alpha: HEBB_CAPACITY, formula: '0.138' }
    case 'storkey':
      return units > 1 ? { alpha: 1 / Math.sqrt(2 * Math.log(units)), formula: '1/√(2 ln N)' } : null
    case 'pseudo-inverse':
      return { alpha: 1, formula: '1 (independent patterns)' }
    case 'energy':
      return null
  }
}
