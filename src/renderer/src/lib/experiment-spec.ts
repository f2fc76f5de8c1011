// The experiments page's form -> an ExperimentSpec for jobs.start {kind: 'experiment'} (and for
// `engram run`): sweep parameters with sensible defaults, list fields like "2..40:2", the dataset
// and model taken from the active model or picked on the page, validated by the contract's schema.
import { describeZodError } from '../../../shared/api'
import type { ModelInfo } from '../../../shared/session'
import {
  datasetIdSchema,
  experimentSpecSchema,
  LEARNING_RULES,
  MAX_DELAY,
  SWEEPS_WITHOUT_DATASET,
  readsSpecModel,
  sweepSpecSchema,
  type DatasetId,
  type ExperimentSpec,
  type ExperimentSpecInput,
  type HopfieldModelSpec,
  type LearningRuleName,
  type InteractionSpec,
  type SweepSpec
} from '../../../shared/spec'
import { buildModelSpec, defaultModelOptions, describeModelSpec } from './model-spec'
import { isObject } from './ui-record'

/** Sweeps this page builds: every sweep type of the contract. */
export type SweepType = SweepSpec['type']
export const SWEEP_TYPES: readonly { id: SweepType; label: string; caption: string }[] = [
  { id: 'capacity', label: 'Capacity', caption: 'random ±1 patterns: stored patterns that are fixed points, and recall, against the load P/N' },
  { id: 'noise', label: 'Noisy cues', caption: 'recall success and final overlap against the fraction of flipped units' },
  { id: 'partial', label: 'Partial cues', caption: 'recall success and final overlap against the fraction of masked units' },
  { id: 'basins', label: 'Basins', caption: 'per stored pattern, the largest Hamming radius it is still recalled from' },
  { id: 'census', label: 'Attractor census', caption: 'where starts settle: stored patterns, negatives, mixtures, other states, cycles' },
  { id: 'bam', label: 'BAM pairs', caption: 'BAM (003): the dataset paired with codes; recall from noisy X (→ Y) or noisy Y (→ X); pair recall and spurious states' },
  { id: 'anneal', label: 'Annealing', caption: 'stochastic Hopfield (004): completion by simulated annealing against deterministic descent from the same cues' },
  {
    id: 'hetero',
    label: 'Hetero-associative net',
    caption: "one-layer hetero-associative net (003): the dataset's patterns → codes, one shot; 003's sufficient conditions, the disturbance bound δ̄, and recall against flipped input bits"
  },
  {
    id: 'recurrent',
    label: 'Recurrent auto-associator',
    caption: 'recurrent auto-associator (003): iterate x → f(xW) from cues with missing or flipped units; recovered, another stored pattern, a repeat, or the iteration limit'
  },
  {
    id: 'boltzmann',
    label: 'Boltzmann machine',
    caption: 'Boltzmann machine with hidden units (004): exact or sampled maximum likelihood; keep it small — exact needs visible+hidden ≤ 20'
  },
  {
    id: 'dense-capacity',
    label: 'Dense memory capacity',
    caption: 'dense associative memory (004, Krotov & Hopfield): random ±1 patterns recalled from noisy cues with F = x² (Hebb), xⁿ, max(x,0)ⁿ or exp; theory lines'
  },
  {
    id: 'beta',
    label: 'Modern Hopfield β',
    caption: "continuous modern Hopfield net (004, Ramsauer et al.): the dataset's patterns retrieved from corrupted cues as β grows; global average, metastable states, single patterns"
  },
  {
    id: 'images',
    label: 'Images: modern vs classical',
    caption:
      "images in a modern and a classical Hopfield net (004, Ramsauer et al.'s blog picture): the dataset's P images (digits, Fashion-MNIST) cued with half masked or noise; the modern net at small and large β (a blend, one image) against the Hebbian net's mixtures"
  },
  {
    id: 'delay',
    label: 'Long-term dependencies',
    caption: 'long-term dependencies (001/002): RNN, LSTM and GRU learn the adding problem or to recall a first bit across the delays you set; gradient norm per time step'
  }
]

/** Whether a sweep runs on a dataset and model (the active model, or picked on the page); the others draw their own data. */
export function usesSource(type: SweepType): boolean {
  return !SWEEPS_WITHOUT_DATASET.includes(type)
}

export type DelayTask = Extract<SweepSpec, { type: 'delay' }>['task']
export type DelayCell = Extract<SweepSpec, { type: 'delay' }>['cells'][number]
/** The delay sweep's cells, in the order the form, the charts and the table show them. */
export const DELAY_CELLS: readonly { id: DelayCell; label: string }[] = [
  { id: 'rnn', label: 'RNN' },
  { id: 'lstm', label: 'LSTM' },
  { id: 'gru', label: 'GRU' }
]
export const DELAY_TASKS: readonly { id: DelayTask; label: string; caption: string }[] = [
  { id: 'adding', label: 'adding problem', caption: 'the sum of two marked values, the first on step 0; solved when |error| < 0.04 (no memory: 7.84 %)' },
  { id: 'first-bit', label: 'first-bit recall', caption: "the first of a sequence of random ±1 bits, read after the delay (chance: 50 %)" }
]
/** At most this many delays in one sweep (the contract's limit). */
export const MAX_DELAYS = 20

/** The delays typed on the form: whole numbers 1…MAX_DELAY, a list or a range. */
export function parseDelays(text: string): ParsedList {
  return parseList(text, { integer: true, min: 1, max: MAX_DELAY, maxCount: MAX_DELAYS })
}

/** The interactions the dense-capacity form offers (F = x² is the classical Hebbian net). */
export const DENSE_INTERACTIONS = [
  { id: 'x2', label: 'x² (Hebb)', f: { kind: 'polynomial', degree: 2 } },
  { id: 'x3', label: 'x³', f: { kind: 'polynomial', degree: 3 } },
  { id: 'x4', label: 'x⁴', f: { kind: 'polynomial', degree: 4 } },
  { id: 'relu3', label: 'max(x,0)³', f: { kind: 'rectified-polynomial', degree: 3 } },
  { id: 'exp', label: 'exp(x)', f: { kind: 'exp' } }
] as const satisfies readonly { id: string; label: string; f: InteractionSpec }[]
export type DenseInteractionId = (typeof DENSE_INTERACTIONS)[number]['id']

export type CapacityRule = Extract<SweepSpec, { type: 'capacity' }>['rules'][number]
export const CAPACITY_RULES: readonly CapacityRule[] = ['hebb', 'storkey', 'pseudo-inverse']
export type RecallMode = 'async' | 'sync'
export type PartialFill = -1 | 0 | 1 | 'random'
export type CensusMethod = Extract<SweepSpec, { type: 'census' }>['method']
export type CensusDynamics = Extract<SweepSpec, { type: 'census' }>['dynamics']
export type AnnealSchedule = Extract<SweepSpec, { type: 'anneal' }>['schedule']
export type ScheduleKind = AnnealSchedule['kind']
export type HeteroCodes = Extract<SweepSpec, { type: 'hetero' }>['codes']
export type RecurrentActivation = Extract<SweepSpec, { type: 'recurrent' }>['activation']
export type RecurrentCorruption = Extract<SweepSpec, { type: 'recurrent' }>['corruption']
export type BoltzmannMode = Extract<SweepSpec, { type: 'boltzmann' }>['mode']
/** Exact statistics enumerate all 2^(visible + hidden) states: at most this many units. */
export const BOLTZMANN_EXACT_UNITS = 20
export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['geometric', 'linear', 'constant', 'custom']

export interface ExperimentForm {
  type: SweepType
  /** Empty: a name made from the settings. */
  name: string
  /** Dataset sweeps: the session's active model, or a dataset and rule picked here. */
  source: 'model' | 'custom'
  custom: { datasetId: DatasetId; count: number; threshold: number; rule: LearningRuleName }
  /** Seed of capacity sweeps and of custom sources (a model source uses the model's own seed). */
  seed: number
  capacity: {
    units: number
    patterns: string
    rules: CapacityRule[]
    trials: number
    noise: number
    cuesPerPattern: number
    mode: RecallMode
    maxSweeps: number
  }
  noise: { fractions: string; cuesPerPattern: number; mode: RecallMode; maxSweeps: number }
  partial: { fractions: string; fill: PartialFill; cuesPerPattern: number; mode: RecallMode; maxSweeps: number }
  basins: { trialsPerRadius: number; maxRadius: number | null; threshold: number; mode: RecallMode; maxSweeps: number }
  census: { method: CensusMethod; samples: number; dynamics: CensusDynamics; maxSweeps: number }
  bam: { codes: 'dataset' | 'binary-index' | 'one-hot'; encoding: 'bipolar' | 'binary'; cue: 'x' | 'y'; fractions: string; cuesPerPattern: number; maxIterations: number }
  anneal: {
    completion: 'noisy' | 'clamped'
    schedule: ScheduleKind
    /** geometric/linear: from start to end in `steps` temperatures; constant: `temperature` for `steps`. */
    start: number
    end: number
    steps: number
    temperature: number
    /** custom: a list of temperatures, in order. */
    temperatures: string
    sweepsPerTemperature: number
    averageLast: number
    fractions: string
    cuesPerPattern: number
  }
  hetero: { codes: HeteroCodes; fractions: string; cuesPerPattern: number }
  recurrent: { modified: boolean; activation: RecurrentActivation; corruption: RecurrentCorruption; fractions: string; cuesPerPattern: number; maxIterations: number }
  boltzmann: {
    hidden: number
    mode: BoltzmannMode
    epochs: number
    eta: number
    weightDecay: number
    /** Sampled mode: hidden samples per training vector (K) and free-running samples (M). */
    clampedSamples: number
    freeSamples: number
    /** Fraction of visible units hidden from the net at completion. */
    unseen: number
    cuesPerPattern: number
  }
  denseCapacity: { units: number; patterns: string; interactions: DenseInteractionId[]; trials: number; noise: number; maxSweeps: number }
  beta: { betas: string; corruption: 'flip' | 'maskFraction'; fraction: number; cuesPerPattern: number; maxSteps: number }
  images: { betas: string; cue: 'half' | 'noise'; noise: number; maxSteps: number; classicalSweeps: number; examples: number }
  delay: {
    task: DelayTask
    cells: DelayCell[]
    /** A list or range of delays, e.g. "10, 20, 40". */
    delays: string
    hiddenSize: number
    trainingSteps: number
    batch: number
    learningRate: number
    /** Clip the gradient's global norm at this (0: off). */
    clipNorm: number
    /** LSTM only: added to the forget gate's initial bias. */
    forgetBias: number
    trials: number
    /** The delay whose gradient profiles are shown; null: the largest. */
    profileDelay: number | null
  }
}

export function defaultForm(): ExperimentForm {
  return {
    type: 'capacity',
    name: '',
    source: 'model',
    custom: { datasetId: 'letters', count: 5, threshold: 0.5, rule: 'hebb' },
    seed: 1,
    capacity: { units: 100, patterns: '2..40:2', rules: [...CAPACITY_RULES], trials: 5, noise: 0.1, cuesPerPattern: 5, mode: 'sync', maxSweeps: 50 },
    noise: { fractions: '0..0.5:0.05', cuesPerPattern: 20, mode: 'sync', maxSweeps: 50 },
    partial: { fractions: '0..0.9:0.1', fill: 'random', cuesPerPattern: 20, mode: 'sync', maxSweeps: 50 },
    basins: { trialsPerRadius: 20, maxRadius: null, threshold: 0.95, mode: 'async', maxSweeps: 50 },
    census: { method: 'auto', samples: 2000, dynamics: 'async-sequential', maxSweeps: 100 },
    bam: { codes: 'binary-index', encoding: 'bipolar', cue: 'x', fractions: '0..0.4:0.1', cuesPerPattern: 20, maxIterations: 100 },
    anneal: {
      completion: 'noisy',
      schedule: 'geometric',
      start: 2,
      end: 0.05,
      steps: 30,
      temperature: 0.5,
      temperatures: '2, 1, 0.5, 0.25, 0.1',
      sweepsPerTemperature: 2,
      averageLast: 5,
      fractions: '0.1..0.4:0.1',
      cuesPerPattern: 10
    },
    hetero: { codes: 'binary-index', fractions: '0, 0.05, 0.1, 0.2, 0.3', cuesPerPattern: 20 },
    recurrent: { modified: true, activation: 'sign0', corruption: 'missing', fractions: '0, 0.25, 0.5, 0.75', cuesPerPattern: 20, maxIterations: 20 },
    boltzmann: { hidden: 2, mode: 'exact', epochs: 200, eta: 0.1, weightDecay: 0, clampedSamples: 10, freeSamples: 100, unseen: 0.3, cuesPerPattern: 10 },
    denseCapacity: { units: 100, patterns: '10, 20, 50, 100, 200, 400', interactions: ['x2', 'x3', 'exp'], trials: 1, noise: 0.1, maxSweeps: 50 },
    beta: { betas: '0.0001, 0.001, 0.01, 0.03, 0.1, 0.3, 1', corruption: 'flip', fraction: 0.2, cuesPerPattern: 4, maxSteps: 100 },
    images: { betas: '0.0001, 0.01, 1', cue: 'half', noise: 0.5, maxSteps: 1, classicalSweeps: 30, examples: 4 },
    delay: delayFormDefaults()
  }
}

/** The delay sweep's form at the contract's defaults (the delays as text; the largest for the gradient profiles). */
function delayFormDefaults(): ExperimentForm['delay'] {
  const sweep = sweepSpecSchema.parse({ type: 'delay' }) as Extract<SweepSpec, { type: 'delay' }>
  const { type: _type, evalRows: _evalRows, delays, profileDelay, cells, ...rest } = sweep
  return { ...rest, cells: [...cells], delays: delays.join(', '), profileDelay: profileDelay ?? null }
}

/** The annealing schedule the form describes (custom: the list as typed, in its order). */
export function buildSchedule(a: ExperimentForm['anneal']): { schedule: AnnealSchedule; error?: undefined } | { schedule?: undefined; error: string } {
  switch (a.schedule) {
    case 'geometric':
      if (!(a.start > 0 && a.end > 0)) return { error: 'a geometric schedule needs start and end above 0' }
      return { schedule: { kind: 'geometric', start: a.start, end: a.end, steps: a.steps } }
    case 'linear':
      return { schedule: { kind: 'linear', start: a.start, end: a.end, steps: a.steps } }
    case 'constant':
      return { schedule: { kind: 'constant', temperature: a.temperature, steps: a.steps } }
    case 'custom': {
      const items = a.temperatures.split(/[,;\s]+/).filter(Boolean)
      const values = items.map(Number)
      if (values.length === 0) return { error: 'enter at least one temperature' }
      const bad = items.find((_, i) => !Number.isFinite(values[i]) || values[i]! < 0)
      if (bad !== undefined) return { error: `'${bad}' is not a temperature (a number ≥ 0)` }
      return { schedule: { kind: 'custom', temperatures: values } }
    }
  }
}

/** The temperatures a schedule visits, in order (for the preview chart; the backend computes its own). */
export function scheduleTemperatures(s: AnnealSchedule): number[] {
  if (s.kind === 'custom') return [...s.temperatures]
  if (s.kind === 'constant') return new Array<number>(s.steps).fill(s.temperature)
  if (s.steps === 1) return [s.start]
  return Array.from({ length: s.steps }, (_, k) => {
    const u = k / (s.steps - 1)
    return s.kind === 'linear' ? s.start + (s.end - s.start) * u : s.start * Math.pow(s.end / s.start, u)
  })
}

export type ParsedList = { values: number[]; error?: undefined } | { values?: undefined; error: string }

/**
 * Parses a list such as "4, 8, 16, 32", "2..40:2" (from 2 to 40 in steps of 2) or "0..0.5:0.05",
 * items separated by commas or spaces. Values come out sorted and unique.
 */
export function parseList(text: string, opts: { integer?: boolean; min?: number; max?: number; maxCount?: number } = {}): ParsedList {
  const { integer = false, min = -Infinity, max = Infinity, maxCount = 200 } = opts
  const items = text
    .split(/[,;\s]+/)
    .map((x) => x.trim())
    .filter(Boolean)
  if (items.length === 0) return { error: 'enter at least one value' }
  const out: number[] = []
  const number = (raw: string): number => {
    const v = Number(raw)
    if (raw === '' || !Number.isFinite(v)) throw new Error(`'${raw}' is not a number`)
    if (integer && !Number.isInteger(v)) throw new Error(`'${raw}' is not a whole number`)
    if (v < min || v > max) throw new Error(`${raw} is outside ${min}…${max}`)
    return v
  }
  try {
    for (const item of items) {
      const range = /^([^.:]+(?:\.\d+)?)\.\.([^:]+)(?::(.+))?$/.exec(item)
      if (!range) {
        out.push(number(item))
        continue
      }
      const from = number(range[1]!)
      const to = number(range[2]!)
      const step = range[3] === undefined ? (integer ? 1 : NaN) : Number(range[3])
      if (!(step > 0) || (integer && !Number.isInteger(step))) throw new Error(`'${item}': give a positive${integer ? ' whole' : ''} step, as in a..b:step`)
      if (to < from) throw new Error(`'${item}': the range runs backwards`)
      const count = Math.floor((to - from) / step + 1e-9) + 1
      if (count > maxCount) throw new Error(`'${item}' gives ${count} values (at most ${maxCount})`)
      // From the index, not by accumulation, so 0.1 steps stay 0.1, 0.2, 0.3 (rounded to 1e-9).
      for (let k = 0; k < count; k++) out.push(Math.round((from + k * step) * 1e9) / 1e9)
    }
  } catch (error) {
    return { error: (error as Error).message }
  }
  const values = [...new Set(out)].sort((a, b) => a - b)
  if (values.length > maxCount) return { error: `${values.length} values (at most ${maxCount})` }
  return { values }
}

/** What the spec needs from the session: its active model (dataset sweeps on "the active model"), and the datasets' sizes. */
export interface SpecContext {
  model: Pick<ModelInfo, 'dataset' | 'spec' | 'seed' | 'name' | 'patterns' | 'units'> | null
  /** Built-in datasets (count and image size), to check a dataset picked on the page before it runs. */
  datasets?: readonly { id: string; count: number; width: number; height: number }[]
}

export type BuiltSpec = { spec: ExperimentSpecInput; error?: undefined; field?: undefined } | { spec?: undefined; error: string; field: string }

function fail(field: string, error: string): BuiltSpec {
  return { error, field }
}

function fmt(values: readonly number[]): string {
  if (values.length <= 3) return values.join(', ')
  return `${values[0]}…${values[values.length - 1]}`
}

/** A readable default name, e.g. "capacity · N=100 · P 2…40 · hebb/storkey/pseudo-inverse". */
export function autoName(form: ExperimentForm, ctx: SpecContext): string {
  if (form.type === 'capacity') {
    const c = form.capacity
    const p = parseList(c.patterns, { integer: true, min: 1 })
    return `capacity · N=${c.units} · P ${p.values ? fmt(p.values) : '?'} · ${c.rules.join('/')} · ${c.mode}`
  }
  if (form.type === 'dense-capacity') {
    const c = form.denseCapacity
    const p = parseList(c.patterns, { integer: true, min: 1 })
    return `dense capacity · N=${c.units} · P ${p.values ? fmt(p.values) : '?'} · ${DENSE_INTERACTIONS.filter((i) => c.interactions.includes(i.id)).map((i) => i.label).join('/')}`
  }
  if (form.type === 'delay') {
    const d = form.delay
    const delays = parseDelays(d.delays)
    const cells = DELAY_CELLS.filter((c) => d.cells.includes(c.id)).map((c) => c.label)
    return `delay · ${d.task} · ${cells.join('/')} · delays ${delays.values ? fmt(delays.values) : '?'} · H=${d.hiddenSize} · ${d.trainingSteps} steps`
  }
  const on =
    form.source === 'model'
      ? ctx.model
        ? `${ctx.model.spec.rule} · ${ctx.model.dataset.builtin} ${ctx.model.patterns}`
        : 'no model'
      : `${form.custom.rule} · ${form.custom.datasetId} ${form.custom.count}`
  return `${form.type} · ${on}`
}

interface Source {
  dataset: NonNullable<ExperimentSpecInput['dataset']>
  model: HopfieldModelSpec
  seed: number
  /** Units of the network, where known. */
  units: number | null
}

function datasetAndModel(form: ExperimentForm, ctx: SpecContext): Source | { error: string; field: string } {
  if (form.source === 'model') {
    const m = ctx.model
    if (!m) return { field: 'source', error: 'no active model: train one on the recall lab, or pick a dataset and rule here' }
    // The model's own seed: energy training draws from it, so the sweep runs on the very same weights.
    return { dataset: { ...m.dataset }, model: { ...m.spec }, seed: m.seed ?? 0, units: m.units }
  }
  const c = form.custom
  if (!datasetIdSchema.safeParse(c.datasetId).success) return { field: 'custom.datasetId', error: `unknown dataset '${c.datasetId}'` }
  if (!(LEARNING_RULES as readonly string[]).includes(c.rule)) return { field: 'custom.rule', error: `unknown rule '${c.rule}'` }
  if (!Number.isInteger(c.count) || c.count < 1) return { field: 'custom.count', error: 'store at least one pattern' }
  const summary = ctx.datasets?.find((d) => d.id === c.datasetId)
  if (summary && c.count > summary.count) return { field: 'custom.count', error: `${c.datasetId} has ${summary.count} patterns, not ${c.count}` }
  return {
    dataset: { builtin: c.datasetId, count: c.count, ...(isGreyDataset(c.datasetId) ? { threshold: c.threshold } : {}) },
    model: buildModelSpec(defaultModelOptions(c.rule)),
    seed: form.seed,
    units: summary ? summary.width * summary.height : null
  }
}

/** The model shown beside a result: the Hopfield rule it ran with, or null where the sweep did not use spec.model. */
export function resultModelLine(spec: Pick<ExperimentSpec, 'model' | 'sweep'>): string | null {
  return readsSpecModel(spec.sweep?.type) ? describeModelSpec(spec.model) : null
}

/** Grey-level datasets (digits, fashion, imported IDX images) are binarised at a threshold. */
export function isGreyDataset(id: string | null | undefined): boolean {
  return id === 'digits' || id === 'fashion' || (typeof id === 'string' && id.startsWith('user:'))
}

/** The spec the form describes, checked against the contract (an error names the form field). */
export function buildExperimentSpec(form: ExperimentForm, ctx: SpecContext): BuiltSpec {
  const name = form.name.trim() || autoName(form, ctx)
  /** A sweep that draws its own data and runs its own rules or nets: no dataset, no model. */
  const ownData = (sweep: NonNullable<ExperimentSpecInput['sweep']>): ExperimentSpecInput => ({ name, seed: form.seed, sweep })
  let spec: ExperimentSpecInput
  if (form.type === 'capacity') {
    const c = form.capacity
    const counts = parseList(c.patterns, { integer: true, min: 1, max: 100000 })
    if (counts.values === undefined) return fail('capacity.patterns', `pattern counts: ${counts.error}`)
    if (c.rules.length === 0) return fail('capacity.rules', 'pick at least one rule')
    const rules = CAPACITY_RULES.filter((r) => c.rules.includes(r))
    // Each rule in `rules` is trained on random patterns.
    spec = ownData({
      type: 'capacity',
      units: c.units,
      patternCounts: counts.values,
      rules,
      trials: c.trials,
      noise: c.noise,
      cuesPerPattern: c.cuesPerPattern,
      recall: { mode: c.mode, maxSweeps: c.maxSweeps }
    })
  } else if (form.type === 'dense-capacity') {
    const c = form.denseCapacity
    const counts = parseList(c.patterns, { integer: true, min: 1, max: 100000, maxCount: 50 })
    if (counts.values === undefined) return fail('denseCapacity.patterns', `pattern counts: ${counts.error}`)
    if (c.interactions.length === 0) return fail('denseCapacity.interactions', 'pick at least one F')
    // Random patterns stored in dense memories.
    spec = ownData({
      type: 'dense-capacity',
      units: c.units,
      patternCounts: counts.values,
      interactions: DENSE_INTERACTIONS.filter((i) => c.interactions.includes(i.id)).map((i) => i.f),
      trials: c.trials,
      noise: c.noise,
      maxSweeps: c.maxSweeps
    })
  } else if (form.type === 'delay') {
    const { delays: text, cells, profileDelay, ...rest } = form.delay
    const delays = parseDelays(text)
    if (delays.values === undefined) return fail('delay.delays', `delays: ${delays.error}`)
    if (cells.length === 0) return fail('delay.cells', 'pick at least one cell')
    if (profileDelay !== null && !delays.values.includes(profileDelay)) return fail('delay.profileDelay', `gradients at delay ${profileDelay}: not one of the delays`)
    // Recurrent nets trained on rows the sweep draws.
    spec = ownData({
      type: 'delay',
      ...rest,
      cells: DELAY_CELLS.map((c) => c.id).filter((c) => cells.includes(c)),
      delays: delays.values,
      ...(profileDelay !== null ? { profileDelay } : {})
    })
  } else {
    const source = datasetAndModel(form, ctx)
    if ('error' in source) return fail(source.field, source.error)
    const { dataset, model, seed } = source
    let sweep: SweepSpec
    switch (form.type) {
      case 'noise':
      case 'partial': {
        const s = form.type === 'noise' ? form.noise : form.partial
        const fractions = parseList(s.fractions, { min: 0, max: 1 })
        if (fractions.values === undefined) return fail(`${form.type}.fractions`, `fractions: ${fractions.error}`)
        const recall = { mode: s.mode, maxSweeps: s.maxSweeps }
        sweep =
          form.type === 'noise'
            ? { type: 'noise', fractions: fractions.values, cuesPerPattern: s.cuesPerPattern, recall }
            : { type: 'partial', fractions: fractions.values, fill: form.partial.fill, cuesPerPattern: s.cuesPerPattern, recall }
        break
      }
      case 'basins': {
        const b = form.basins
        sweep = {
          type: 'basins',
          trialsPerRadius: b.trialsPerRadius,
          ...(b.maxRadius !== null ? { maxRadius: b.maxRadius } : {}),
          threshold: b.threshold,
          recall: { mode: b.mode, maxSweeps: b.maxSweeps }
        }
        break
      }
      case 'census': {
        const c = form.census
        if (c.method === 'exhaustive' && source.units !== null && source.units > 20) {
          return fail('census.method', `trying all 2^N starts needs N ≤ 20 units (this network has ${source.units}); sample instead`)
        }
        sweep = { type: 'census', method: c.method, samples: c.samples, dynamics: c.dynamics, maxSweeps: c.maxSweeps }
        break
      }
      case 'bam': {
        const b = form.bam
        if (b.codes === 'dataset' && dataset.builtin !== 'seeds-003-bam') return fail('bam.codes', "only seeds-003-bam has its own Y codes: pick 'binary-index' or 'one-hot'")
        const fractions = parseList(b.fractions, { min: 0, max: 1 })
        if (fractions.values === undefined) return fail('bam.fractions', `fractions: ${fractions.error}`)
        sweep = {
          type: 'bam',
          bam: { kind: 'bam', codes: b.codes, encoding: b.encoding },
          cue: b.cue,
          fractions: fractions.values,
          cuesPerPattern: b.cuesPerPattern,
          maxIterations: b.maxIterations
        }
        break
      }
      case 'anneal': {
        const a = form.anneal
        const schedule = buildSchedule(a)
        if (schedule.error !== undefined) return fail('anneal.schedule', schedule.error)
        const fractions = parseList(a.fractions, { min: 0, max: 1 })
        if (fractions.values === undefined) return fail('anneal.fractions', `fractions: ${fractions.error}`)
        sweep = {
          type: 'anneal',
          completion: a.completion,
          schedule: schedule.schedule,
          sweepsPerTemperature: a.sweepsPerTemperature,
          averageLast: a.averageLast,
          fractions: fractions.values,
          cuesPerPattern: a.cuesPerPattern
        }
        break
      }
      case 'hetero': {
        const h = form.hetero
        if (h.codes === 'dataset' && dataset.builtin !== 'seeds-003-bam') return fail('hetero.codes', "only seeds-003-bam has its own target codes: pick 'binary-index' or 'one-hot'")
        const fractions = parseList(h.fractions, { min: 0, max: 1 })
        if (fractions.values === undefined) return fail('hetero.fractions', `fractions: ${fractions.error}`)
        sweep = { type: 'hetero', codes: h.codes, fractions: fractions.values, cuesPerPattern: h.cuesPerPattern }
        break
      }
      case 'recurrent': {
        const r = form.recurrent
        const fractions = parseList(r.fractions, { min: 0, max: 1 })
        if (fractions.values === undefined) return fail('recurrent.fractions', `fractions: ${fractions.error}`)
        sweep = {
          type: 'recurrent',
          modified: r.modified,
          activation: r.activation,
          corruption: r.corruption,
          fractions: fractions.values,
          cuesPerPattern: r.cuesPerPattern,
          maxIterations: r.maxIterations
        }
        break
      }
      case 'boltzmann': {
        const b = form.boltzmann
        if (b.mode === 'exact' && source.units !== null && source.units + b.hidden > BOLTZMANN_EXACT_UNITS) {
          return fail(
            'boltzmann.mode',
            `exact statistics enumerate 2^(visible + hidden) states: needs visible + hidden ≤ ${BOLTZMANN_EXACT_UNITS} (here ${source.units} + ${b.hidden}); sample instead`
          )
        }
        sweep = {
          type: 'boltzmann',
          hidden: b.hidden,
          mode: b.mode,
          epochs: b.epochs,
          eta: b.eta,
          weightDecay: b.weightDecay,
          clampedSamples: b.clampedSamples,
          freeSamples: b.freeSamples,
          unseen: b.unseen,
          cuesPerPattern: b.cuesPerPattern
        }
        break
      }
      case 'beta': {
        const b = form.beta
        const betas = parseList(b.betas, { min: 0, max: 1e4, maxCount: 100 })
        if (betas.values === undefined) return fail('beta.betas', `β values: ${betas.error}`)
        if (betas.values.some((v) => v <= 0)) return fail('beta.betas', 'β values: each β must be above 0')
        sweep = {
          type: 'beta',
          betas: betas.values,
          corruption: b.corruption === 'flip' ? { type: 'flip', fraction: b.fraction } : { type: 'maskFraction', fraction: b.fraction, fill: 0 },
          cuesPerPattern: b.cuesPerPattern,
          epsilon: 1e-4,
          maxSteps: b.maxSteps
        }
        break
      }
      case 'images': {
        const b = form.images
        const betas = parseList(b.betas, { min: 0, max: 1e4, maxCount: 10 })
        if (betas.values === undefined) return fail('images.betas', `β values: ${betas.error}`)
        if (betas.values.some((v) => v <= 0)) return fail('images.betas', 'β values: each β must be above 0')
        sweep = { type: 'images', betas: betas.values, cue: b.cue, noise: b.noise, epsilon: 1e-4, maxSteps: b.maxSteps, classicalSweeps: b.classicalSweeps, examples: b.examples }
        break
      }
      default:
        return fail('type', `unknown sweep type '${String(form.type)}'`)
    }
    // A sweep with nets of its own (BAM, hetero, recurrent auto-associator, Boltzmann, β, images) takes the dataset only.
    spec = { name, seed, dataset, ...(readsSpecModel(sweep.type) ? { model } : {}), sweep }
  }
  const parsed = experimentSpecSchema.safeParse(spec)
  if (!parsed.success) {
    const { message, field } = describeZodError(parsed.error)
    return fail(field ?? '(root)', message)
  }
  return { spec }
}

/**
 * The spec as a file for `engram run` (2-space JSON, newline at the end). A sweep that runs nets of its own reads
 * neither `model` nor `recall` (readsSpecModel): the parsed spec carries their defaults (and specs saved before they
 * became optional carry what the form sent), so the file leaves them out.
 */
export function specJson(spec: unknown): string {
  let shown = spec
  if (isObject(spec) && isObject(spec.sweep) && !readsSpecModel(String(spec.sweep.type))) {
    const { model: _model, recall: _recall, ...rest } = spec
    shown = rest
  }
  return `${JSON.stringify(shown, null, 2)}\n`
}

/**
 * A form saved in a session's ui record, read back over the defaults: only known keys, only values
 * of the default's type (numbers finite, enumerations one of their values), so an old or edited
 * record never breaks the page.
 */
export function readForm(raw: unknown): ExperimentForm {
  const form = defaultForm()
  if (!isObject(raw)) return form
  const pick = <T extends object>(into: T, source: unknown, choices: Partial<Record<keyof T, readonly unknown[]>> = {}): void => {
    if (!isObject(source)) return
    const target = into as Record<string, unknown>
    for (const key of Object.keys(target)) {
      const want = target[key]
      const got = source[key]
      const allowed = (choices as Record<string, readonly unknown[] | undefined>)[key]
      if (allowed) {
        if (allowed.includes(got)) target[key] = got
      } else if (Array.isArray(want)) {
        if (Array.isArray(got)) target[key] = got
      } else if (typeof want === 'number' || want === null) {
        if ((typeof got === 'number' && Number.isFinite(got)) || (want === null && got === null)) target[key] = got
      } else if (typeof want !== 'object' && typeof got === typeof want) {
        target[key] = got
      }
    }
  }
  const modes = ['async', 'sync'] as const
  pick(form, raw, { type: SWEEP_TYPES.map((t) => t.id), source: ['model', 'custom'] })
  pick(form.custom, raw.custom, { rule: LEARNING_RULES })
  if (!datasetIdSchema.safeParse(form.custom.datasetId).success) form.custom.datasetId = defaultForm().custom.datasetId
  pick(form.capacity, raw.capacity, { mode: modes })
  form.capacity.rules = CAPACITY_RULES.filter((r) => (form.capacity.rules as unknown[]).includes(r))
  pick(form.noise, raw.noise, { mode: modes })
  pick(form.partial, raw.partial, { mode: modes, fill: [-1, 0, 1, 'random'] })
  pick(form.basins, raw.basins, { mode: modes })
  pick(form.census, raw.census, { method: ['auto', 'exhaustive', 'sampled'], dynamics: ['async-sequential', 'async-random', 'sync'] })
  pick(form.bam, raw.bam, { codes: ['dataset', 'binary-index', 'one-hot'], encoding: ['bipolar', 'binary'], cue: ['x', 'y'] })
  pick(form.anneal, raw.anneal, { completion: ['noisy', 'clamped'], schedule: SCHEDULE_KINDS })
  pick(form.hetero, raw.hetero, { codes: ['dataset', 'binary-index', 'one-hot'] })
  pick(form.recurrent, raw.recurrent, { activation: ['sign0', 'keep'], corruption: ['missing', 'flip'] })
  pick(form.boltzmann, raw.boltzmann, { mode: ['exact', 'sampled'] })
  pick(form.denseCapacity, raw.denseCapacity)
  form.denseCapacity.interactions = DENSE_INTERACTIONS.map((i) => i.id).filter((id) => (form.denseCapacity.interactions as unknown[]).includes(id))
  pick(form.beta, raw.beta, { corruption: ['flip', 'maskFraction'] })
  pick(form.images, raw.images, { cue: ['half', 'noise'] })
  pick(form.delay, raw.delay, { task: DELAY_TASKS.map((t) => t.id) })
  form.delay.cells = DELAY_CELLS.map((c) => c.id).filter((id) => (form.delay.cells as unknown[]).includes(id))
  return form
}
