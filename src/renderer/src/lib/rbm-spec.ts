// The RBM page's forms -> the contract's jobs (rbm.train with an RbmModelSpec, rbm.sample), checked
// by the contract's schema; the live metrics of job.progress as epoch rows; forms read back from a
// session's ui record; one line describing a trained RBM.
import { describeZodError } from '../../../shared/api'
import { rbmFamily, rbmSampleRunSchema } from '../../../shared/families/rbm'
import type { z } from 'zod'
import type { RbmEpoch, RbmInfo } from '../../../shared/session'
import { checkNumber, type NumberLimits } from '../../../shared/limits'
import { datasetIdSchema, type DatasetId, type RbmModelSpec } from '../../../shared/spec'
import { DATASET_LIMITS, RBM_LIMITS, SEED_LIMITS } from './form-limits'
import { isObject } from './ui-record'

export type VisibleUnits = RbmModelSpec['visibleUnits']
export type Binarise = RbmModelSpec['binarise']
export type Algorithm = 'cd' | 'pcd'

export interface RbmForm {
  datasetId: DatasetId
  /** Rows: the first `count` of the dataset. */
  count: number
  visibleUnits: VisibleUnits
  hidden: number
  /** CD-k (chains restart at the data) or PCD-k (persistent chains, Tieleman 2008). */
  algorithm: Algorithm
  k: number
  learningRate: number
  momentum: number
  weightDecay: number
  batchSize: number
  epochs: number
  sparsity: boolean
  sparsityTarget: number
  sparsityCost: number
  binarise: Binarise
  heldOut: number
  /** After training, estimate log Z by annealed importance sampling (Bernoulli units only). */
  ais: boolean
  aisRuns: number
  aisSteps: number
  /** Classification RBM: one-hot label units beside the pixels (datasets with class labels only). */
  labels: boolean
  /** Gibbs noise: the core's generator (the engine reproduces the core exactly) or in-graph (no noise crosses from JS). */
  noise: 'core' | 'graph'
  seed: number
}

export function defaultRbmForm(): RbmForm {
  return {
    datasetId: 'digits',
    count: 2000,
    visibleUnits: 'bernoulli',
    hidden: 100,
    algorithm: 'cd',
    k: 1,
    learningRate: 0.05,
    momentum: 0.5,
    weightDecay: 0.0001,
    batchSize: 100,
    epochs: 5,
    sparsity: false,
    sparsityTarget: 0.05,
    sparsityCost: 0.1,
    binarise: 'threshold',
    heldOut: 0.1,
    ais: false,
    aisRuns: 16,
    aisSteps: 300,
    labels: false,
    noise: 'core',
    seed: 1
  }
}

export interface SampleForm {
  count: number
  steps: number
  from: 'noise' | 'data'
  seed: number
}

export function defaultSampleForm(): SampleForm {
  return { count: 36, steps: 1000, from: 'noise', seed: 1 }
}

/** Dataset sizes the form is checked against (from datasets.list). */
export interface DatasetSize {
  id: string
  count: number
  width: number
  height: number
}

/** models.train's request for an RBM (the rbm.train job). */
export type TrainJob = z.input<typeof rbmFamily.train.request>
/** models.run's request for sampling (the model is named beside it). */
export type SampleJob = z.input<typeof rbmSampleRunSchema>
export type Built<T> = { spec: T; error?: undefined; field?: undefined } | { spec?: undefined; error: string; field: string }

function fail<T>(field: string, error: string): Built<T> {
  return { error, field }
}

/** The model spec the form describes: sparsity only when on, binarisation only for Bernoulli units. */
export function buildRbmModelSpec(form: RbmForm): RbmModelSpec {
  return {
    kind: 'rbm',
    visibleUnits: form.visibleUnits,
    hidden: form.hidden,
    k: form.k,
    persistent: form.algorithm === 'pcd',
    learningRate: form.learningRate,
    momentum: form.momentum,
    weightDecay: form.weightDecay,
    batchSize: form.batchSize,
    epochs: form.epochs,
    ...(form.sparsity ? { sparsity: { target: form.sparsityTarget, cost: form.sparsityCost } } : {}),
    // Gaussian units see the grey levels themselves; the field keeps its default.
    binarise: form.visibleUnits === 'gaussian' ? 'threshold' : form.binarise,
    heldOut: form.heldOut,
    // AIS estimates the partition function of Bernoulli units without label units only.
    ...(form.ais && form.visibleUnits === 'bernoulli' && !form.labels ? { ais: { runs: form.aisRuns, steps: form.aisSteps } } : {}),
    labels: form.labels,
    ...(form.noise === 'graph' ? { noise: 'graph' as const } : {})
  }
}

/** Rows used for training and held out, as the backend splits them (floor of the held-out share). */
export function splitRows(rows: number, heldOut: number): { train: number; heldOut: number } {
  const held = Math.floor(rows * heldOut)
  return { train: rows - held, heldOut: held }
}

export interface TrainPlan {
  rows: number
  trainRows: number
  heldOutRows: number
  stepsPerEpoch: number
  totalSteps: number
  visible: number | null
  /** Weights and biases: V·H + V + H. */
  parameters: number | null
}

export function trainPlan(form: RbmForm, dataset: DatasetSize | null): TrainPlan {
  const rows = Math.min(form.count, dataset?.count ?? form.count)
  const split = splitRows(rows, form.heldOut)
  const stepsPerEpoch = Math.max(1, Math.ceil(split.train / Math.max(1, form.batchSize)))
  const visible = dataset ? dataset.width * dataset.height : null
  return {
    rows,
    trainRows: split.train,
    heldOutRows: split.heldOut,
    stepsPerEpoch,
    totalSteps: stepsPerEpoch * form.epochs,
    visible,
    parameters: visible === null ? null : visible * form.hidden + visible + form.hidden
  }
}

/** The rbm.train job the form describes, checked against the contract (an error names the form field). */
export function buildTrainJob(form: RbmForm, datasets: readonly DatasetSize[]): Built<TrainJob> {
  const dataset = datasets.find((d) => d.id === form.datasetId)
  if (!dataset) return fail('datasetId', `unknown dataset '${form.datasetId}'`)
  if (!Number.isInteger(form.count) || form.count < 1) return fail('count', 'train on at least one row')
  if (form.count > dataset.count) return fail('count', `${dataset.id} has ${dataset.count} rows, not ${form.count}`)
  const split = splitRows(form.count, form.heldOut)
  if (split.train < 1) return fail('heldOut', 'no training rows are left after the held-out split')
  if (form.sparsity && !(form.sparsityTarget > 0 && form.sparsityTarget < 1)) return fail('sparsityTarget', 'the sparsity target is a mean activation, strictly between 0 and 1')
  const spec: TrainJob = { kind: 'rbm.train', dataset: { builtin: dataset.id, count: form.count }, model: buildRbmModelSpec(form), seed: form.seed }
  const parsed = rbmFamily.train.request.safeParse(spec)
  if (!parsed.success) {
    const { message, field } = describeZodError(parsed.error)
    return fail(formField(field), message)
  }
  return { spec }
}

/** The form field behind a schema path (model.learningRate -> learningRate, model.persistent -> algorithm). */
function formField(path: string | undefined): string {
  if (!path) return '(root)'
  const p = path.replace(/^model\./, '').replace(/^dataset\.count$/, 'count')
  if (p === 'persistent') return 'algorithm'
  if (p.startsWith('sparsity.')) return `sparsity${p.charAt(9).toUpperCase()}${p.slice(10)}`
  if (p.startsWith('ais.')) return `ais${p.charAt(4).toUpperCase()}${p.slice(5)}`
  return p
}

/**
 * Why an RBM cannot be continued, or null when it can: one saved before Engram kept the training state, or one whose
 * noise came from the graph's generators (their state cannot be saved); and the epoch limit.
 */
export function continueBlocker(m: Pick<RbmInfo, 'trainState' | 'spec' | 'history'>): string | null {
  if (m.spec.noise === 'graph') return 'trained with in-graph noise, whose generators cannot be saved: it cannot be continued exactly'
  if (!m.trainState) return 'saved without its training state (velocities, chains, generators), before Engram kept it: it cannot be continued'
  if (m.history.length >= RBM_LIMITS.epochs.max) return `it has done the most epochs a model may (${RBM_LIMITS.epochs.max})`
  return null
}

/** The rbm.train job that continues `m` by `addEpochs` epochs: its own dataset, seed and settings (continueFrom; epochs counts from its first). */
export function buildContinueJob(m: Pick<RbmInfo, 'id' | 'spec' | 'dataset' | 'seed' | 'history' | 'trainState'>, addEpochs: number): Built<TrainJob> {
  const blocker = continueBlocker(m)
  if (blocker) return fail('continueFrom', blocker)
  const done = m.history.length
  const max = RBM_LIMITS.epochs.max - done
  if (!Number.isInteger(addEpochs) || addEpochs < 1 || addEpochs > max) return fail('addEpochs', `epochs to add: a whole number from 1 to ${max} (${done} done, at most ${RBM_LIMITS.epochs.max} in all)`)
  const spec: TrainJob = { kind: 'rbm.train', dataset: m.dataset, model: { ...m.spec, epochs: done + addEpochs, continueFrom: m.id }, seed: m.seed }
  const parsed = rbmFamily.train.request.safeParse(spec)
  if (!parsed.success) {
    const { message, field } = describeZodError(parsed.error)
    return fail(formField(field), message)
  }
  return { spec }
}

export function buildSampleJob(form: SampleForm, modelId: string | null): Built<SampleJob> {
  if (!modelId) return fail('model', 'train an RBM first, or pick one from the list')
  const spec: SampleJob = { kind: 'rbm.sample', count: form.count, steps: form.steps, from: form.from, seed: form.seed }
  const parsed = rbmSampleRunSchema.safeParse(spec)
  if (!parsed.success) {
    const { message, field } = describeZodError(parsed.error)
    return fail(field ?? '(root)', message)
  }
  return { spec }
}

/** A point of the live charts: one finished epoch (the RbmEpoch fields the progress metrics carry). */
export type EpochPoint = Pick<RbmEpoch, 'epoch' | 'reconstructionError' | 'pseudoLikelihood' | 'freeEnergyTrain' | 'freeEnergyHeldOut' | 'accuracyTrain' | 'accuracyHeldOut'>

/** An epoch row from a job.progress `metrics` record, or null when it is not an end-of-epoch record. */
export function epochFromMetrics(metrics: Record<string, number> | undefined): EpochPoint | null {
  if (!metrics) return null
  const { epoch, reconstructionError, pseudoLikelihood, freeEnergyTrain, freeEnergyHeldOut, accuracyTrain, accuracyHeldOut } = metrics
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
  if (!finite(epoch) || !finite(reconstructionError) || !finite(pseudoLikelihood) || !finite(freeEnergyTrain)) return null
  return {
    epoch,
    reconstructionError,
    pseudoLikelihood,
    freeEnergyTrain,
    freeEnergyHeldOut: finite(freeEnergyHeldOut) ? freeEnergyHeldOut : null,
    // Classification RBMs only.
    ...(finite(accuracyTrain) ? { accuracyTrain, accuracyHeldOut: finite(accuracyHeldOut) ? accuracyHeldOut : null } : {})
  }
}

/** Adds (or replaces) an epoch in a live series, kept in epoch order. */
export function mergeEpoch(points: readonly EpochPoint[], next: EpochPoint): EpochPoint[] {
  return [...points.filter((p) => p.epoch !== next.epoch), next].sort((a, b) => a.epoch - b.epoch)
}

/** "CD-1 · 100 hidden · lr 0.05 · m 0.5 · wd 1e-4 · batch 100 · 5 ep" (+ PCD, Gaussian, sparsity). */
export function describeRbmSpec(spec: RbmModelSpec): string {
  const parts = [`${spec.persistent ? 'PCD' : 'CD'}-${spec.k}`, `${spec.hidden} hidden`]
  if (spec.visibleUnits === 'gaussian') parts.push('Gaussian visible')
  else if (spec.binarise === 'stochastic') parts.push('stochastic binarisation')
  parts.push(`lr ${spec.learningRate}`, `m ${spec.momentum}`, `wd ${spec.weightDecay}`, `batch ${spec.batchSize}`, `${spec.epochs} ep`)
  if (spec.sparsity) parts.push(`sparsity ${spec.sparsity.target}×${spec.sparsity.cost}`)
  if (spec.ais) parts.push(`AIS ${spec.ais.runs}×${spec.ais.steps}`)
  if (spec.labels) parts.push('label units')
  if (spec.noise === 'graph') parts.push('in-graph noise')
  return parts.join(' · ')
}

/** Numbers the contract accepts (its limits, see form-limits), enumerations one of their values; the rest stays default. */
function pickNumbers<T extends object>(into: T, raw: Record<string, unknown>, limits: Partial<Record<keyof T, NumberLimits>>): void {
  const target = into as Record<string, unknown>
  for (const [key, l] of Object.entries(limits) as [string, NumberLimits][]) {
    const v = raw[key]
    if (typeof v === 'number' && checkNumber(v, l) === null) target[key] = v
  }
}

/** A train form saved in a session's ui record, read back over the defaults (never trusted blindly). */
export function readRbmForm(raw: unknown): RbmForm {
  const form = defaultRbmForm()
  if (!isObject(raw)) return form
  if (datasetIdSchema.safeParse(raw.datasetId).success) form.datasetId = raw.datasetId as DatasetId
  if (raw.visibleUnits === 'bernoulli' || raw.visibleUnits === 'gaussian') form.visibleUnits = raw.visibleUnits
  if (raw.algorithm === 'cd' || raw.algorithm === 'pcd') form.algorithm = raw.algorithm
  if (raw.binarise === 'threshold' || raw.binarise === 'stochastic') form.binarise = raw.binarise
  if (typeof raw.sparsity === 'boolean') form.sparsity = raw.sparsity
  if (typeof raw.ais === 'boolean') form.ais = raw.ais
  if (typeof raw.labels === 'boolean') form.labels = raw.labels
  if (raw.noise === 'core' || raw.noise === 'graph') form.noise = raw.noise
  pickNumbers(form, raw, {
    count: DATASET_LIMITS.count,
    hidden: RBM_LIMITS.hidden,
    k: RBM_LIMITS.k,
    learningRate: RBM_LIMITS.learningRate,
    momentum: RBM_LIMITS.momentum,
    weightDecay: RBM_LIMITS.weightDecay,
    batchSize: RBM_LIMITS.batchSize,
    epochs: RBM_LIMITS.epochs,
    sparsityTarget: RBM_LIMITS['sparsity.target'],
    sparsityCost: RBM_LIMITS['sparsity.cost'],
    heldOut: RBM_LIMITS.heldOut,
    aisRuns: RBM_LIMITS['ais.runs'],
    aisSteps: RBM_LIMITS['ais.steps'],
    seed: SEED_LIMITS
  })
  return form
}

export function readSampleForm(raw: unknown): SampleForm {
  const form = defaultSampleForm()
  if (!isObject(raw)) return form
  if (raw.from === 'noise' || raw.from === 'data') form.from = raw.from
  pickNumbers(form, raw, { count: RBM_LIMITS.sample.count, steps: RBM_LIMITS.sample.steps, seed: SEED_LIMITS })
  return form
}
