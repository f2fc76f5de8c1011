// RBM jobs: training on the engine with live metrics (and, for classification RBMs, accuracy), Gibbs sampling,
// receptive fields, and export.
import type { NamedTensor } from '../../core/safetensors'
import { encodeStateDict, type WeightsFormat } from '../../core/npy'
import {
  classify,
  cloneRbm,
  createTrainState,
  trainEpoch as coreTrainEpoch,
  type CdOptions,
  type FloatArray,
  type RbmTrainState,
  destandardise,
  hiddenProbabilities,
  initRbm,
  standardise,
  standardiseWith,
  visibleMean,
  type FeatureScaling,
  type Rbm
} from '../../core/rbm'
import { aisLogZ, aisSchedule, logLikelihood, meanFreeEnergy, meanPseudoLikelihood, reconstructionError } from '../../core/rbm-metrics'
import { Rng } from '../../core/rng'
import { RbmEngineTrainer, randomVisibleStates, sampleRbm, type EngineEpochOptions } from '../../engine/rbm'
import { SessionCache } from '../../engine/session-cache'
import { GraphBuilder, buildModel, tensor } from '../../engine/onnx/builder'
import type { RbmEpoch, RbmInfo } from '../../shared/session'
import type { DatasetRef, RbmModelSpec } from '../../shared/spec'
import type { ProviderRequest } from '../../engine/provider-table'
import { ApiError } from '../../shared/api'
import type { ViewResult } from '../../shared/families'
import { ENGRAM_VERSION } from '../version'
import { CHECKPOINT_MS, type ComputeHooks } from './hooks'
import { CancelledError } from '../../shared/errors'

/** Rows for an RBM: grey levels in [0,1] (or ±1 patterns mapped to 0/1), row-major [rows, V]. */
export interface RbmData {
  values: Float32Array
  rows: number
  visible: number
  width: number
  height: number
  labels: string[]
  /** The labels are classes (digits, IDX with a labels file), not pattern names: needed by spec.labels. */
  classLabels?: boolean
}

export interface RbmTrainInput {
  modelId: string
  name: string
  dataset: DatasetRef
  spec: RbmModelSpec
  seed: number
  data: RbmData
  /** Engine provider and threads (the CLI spec's engine block); default: the engine's choice. */
  engine?: { provider?: ProviderRequest; threads?: number }
  /** 'core': train on the float64 core instead of the engine (also the fallback when the engine cannot start). */
  path?: 'engine' | 'core'
  /** Continue this model (spec.continueFrom; rbmResume) instead of starting from a fresh init. */
  resume?: RbmResume
}

/** Where a continued training starts (spec.continueFrom): the model's parameters and training state, epochs and history. */
export interface RbmResume {
  id: string
  name: string
  /** Epochs done (its history's length). */
  epochs: number
  history: RbmEpoch[]
  /** Weights and biases as saved: float32 from the engine, float64 from the core. */
  params: Pick<Rbm, 'weights' | 'visibleBias' | 'hiddenBias'>
  /** Velocities (zero when the model trained without momentum), sparsity estimate, persistent chains, updates taken. */
  state: RbmTrainState
  epochRng: number[]
  metricRng: number[]
  /** The path that trained it (float32 engine, float64 core): the continuation runs on the same one. */
  path: 'engine' | 'core'
}

export interface RbmTrainOutput {
  info: RbmInfo
  tensors: Record<string, NamedTensor>
}

/** How many rows the per-epoch metrics look at (they run on the core, in float64). */
const METRIC_ROWS = 500
/** At most this many rows enter the final confusion matrix (classification on the core costs rows × V × H). */
const CONFUSION_ROWS = 5000

/** Class names in label-unit order: numeric labels by value (0..9), others alphabetically. */
export function rbmClasses(labels: readonly string[]): string[] {
  const unique = [...new Set(labels)]
  const numeric = unique.every((l) => /^-?\d+(\.\d+)?$/.test(l))
  return unique.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined)
}

/**
 * Refuses spec.labels on data without class labels (or with fewer than two classes), naming the field; returns the
 * classes (empty when the spec has no label units).
 */
export function checkRbmLabels(spec: RbmModelSpec, data: Pick<RbmData, 'labels' | 'classLabels'>, dataset: string, field: string): string[] {
  if (!spec.labels) return []
  if (spec.ais) {
    const aisField = field.replace(/labels$/, 'ais')
    throw new ApiError({ code: 'bad-request', field: aisField, message: `${aisField}: AIS estimates log Z without label units; drop ais or labels` })
  }
  if (!data.classLabels) {
    throw new ApiError({
      code: 'bad-request',
      field,
      message: `${field}: dataset '${dataset}' has no class labels; a classification RBM needs them (the digits, or an IDX import with a labels file)`
    })
  }
  const classes = rbmClasses(data.labels)
  if (classes.length < 2) throw new ApiError({ code: 'bad-request', field, message: `${field}: the rows hold ${classes.length} class; a classification RBM needs at least two` })
  return classes
}

/** Rows [rows, F] with the one-hot label group of `classes` appended: [rows, F + C] (unknown labels: all zero). */
export function appendOneHot(features: Float32Array, labels: readonly string[], classes: readonly string[]): Float32Array {
  const rows = labels.length
  const F = features.length / rows
  const C = classes.length
  const index = new Map(classes.map((c, k) => [c, k]))
  const out = new Float32Array(rows * (F + C))
  for (let r = 0; r < rows; r++) {
    out.set(features.subarray(r * F, (r + 1) * F), r * (F + C))
    const y = index.get(labels[r]!)
    if (y !== undefined) out[r * (F + C) + F + y] = 1
  }
  return out
}

/** Fraction of rows whose predicted class (argmax p(y|x), core classify) is their label. */
function accuracy(rbm: Rbm, features: Float32Array, labels: Int32Array, rows: number): number {
  if (rows === 0) return Number.NaN
  const predicted = classify(rbm, features.subarray(0, rows * (rbm.visible - rbm.labelUnits)), rows)
  let hits = 0
  for (let r = 0; r < rows; r++) if (predicted[r] === labels[r]) hits++
  return hits / rows
}

function binariseRows(data: RbmData, spec: RbmModelSpec, threshold: number, rng: Rng): Float32Array {
  if (spec.visibleUnits === 'gaussian') return Float32Array.from(data.values)
  const out = new Float32Array(data.values.length)
  if (spec.binarise === 'stochastic') for (let i = 0; i < out.length; i++) out[i] = rng.next() < data.values[i]! ? 1 : 0
  else for (let i = 0; i < out.length; i++) out[i] = data.values[i]! > threshold ? 1 : 0
  return out
}

/**
 * A session's RBM from its tensors (models/<id>/…). A Gaussian RBM saved before feature_mean/feature_std existed gets
 * its statistics recomputed from `rows` (the dataset's grey rows, asked for only then): see trainingSplitScaling.
 */
export function sessionRbm(
  tensors: Map<string, NamedTensor>,
  info: Pick<RbmInfo, 'id' | 'spec' | 'labelUnits' | 'seed'>,
  rows?: () => Pick<RbmData, 'values' | 'rows' | 'visible'>
): Rbm {
  const get = (name: string): NamedTensor | undefined => tensors.get(`models/${info.id}/${name}`)
  const rbm = rbmFromStateDict(
    Object.fromEntries(RBM_TENSORS.map((name) => [name, get(name)])),
    info.spec.visibleUnits,
    info.labelUnits ?? 0
  )
  if (rbm.visibleUnits === 'gaussian' && !rbm.featureScaling && rows) rbm.featureScaling = trainingSplitScaling(info, rows())
  return rbm
}

/** Every tensor of an RBM's state dict (feature_mean/feature_std and log_variance: Gaussian units only). */
const RBM_TENSORS = ['weights', 'visible_bias', 'hidden_bias', 'log_variance', 'feature_mean', 'feature_std'] as const

/** The seeded held-out split of trainRbmJob: rows order[0, trainRows) train, the rest are held out. */
function rbmSplit(seed: number, rows: number, heldOut: number): { order: Uint32Array; trainRows: number; heldOutRows: number } {
  const order = new Rng(seed).fork(2).permutation(rows)
  const heldOutRows = Math.floor(rows * heldOut)
  return { order, trainRows: rows - heldOutRows, heldOutRows }
}

/**
 * Per-pixel mean and std of the training split (core standardise, constant pixels centred only), rounded to float32:
 * the numbers the state dict keeps, so the app, a reopened session and every export apply the same ones.
 */
function scalingOf(trainFeatures: Float32Array, trainRows: number, F: number): FeatureScaling {
  const { mean, std } = standardise(trainFeatures, trainRows, F)
  return { mean: Float32Array.from(mean), std: Float32Array.from(std) }
}

/**
 * The statistics a Gaussian RBM was trained with, recomputed from its dataset, seed and split. For sessions saved
 * before the statistics were kept: their training rows were already standardised with the training split's own
 * mean and std (only held-out rows and views were not), so this recovers exactly what the machine learned on.
 */
export function trainingSplitScaling(info: Pick<RbmInfo, 'seed' | 'spec'>, data: Pick<RbmData, 'values' | 'rows' | 'visible'>): FeatureScaling {
  const F = data.visible
  const { order, trainRows } = rbmSplit(info.seed, data.rows, info.spec.heldOut)
  if (trainRows < 1) throw new Error('dataset: no training rows left after the held-out split')
  const train = new Float32Array(trainRows * F)
  for (let r = 0; r < trainRows; r++) train.set(data.values.subarray(order[r]! * F, (order[r]! + 1) * F), r * F)
  return scalingOf(train, trainRows, F)
}

/** Raw feature rows [rows, F] on the machine's scale: standardised with its training statistics (Gaussian units). */
function toModelScale(rbm: Rbm, values: Float32Array, rows: number): Float32Array {
  if (rbm.visibleUnits !== 'gaussian') return values
  if (!rbm.featureScaling) throw new Error('Gaussian RBM without feature_mean/feature_std: load it with sessionRbm(…, rows)')
  return Float32Array.from(standardiseWith(values, rows, rbm.visible - rbm.labelUnits, rbm.featureScaling))
}

/** A trained RBM as an ONNX model or a safetensors file, with the metadata every export carries. */
export function rbmExportBytes(rbm: Rbm, info: RbmInfo, sessionName: string, format: 'onnx' | WeightsFormat): Uint8Array {
  const meta: Record<string, string> = {
    'engram.version': ENGRAM_VERSION,
    kind: 'rbm',
    visible_units: info.spec.visibleUnits,
    dataset: info.dataset.builtin,
    width: String(info.width),
    height: String(info.height),
    training: JSON.stringify({ ...info.spec, seed: info.seed }),
    session: sessionName,
    ...(info.classification ? { label_units: String(info.labelUnits ?? 0), classes: JSON.stringify(info.classification.classes) } : {})
  }
  return format === 'onnx' ? exportRbmOnnx(rbm, meta) : encodeStateDict(format, rbmStateDict(rbm), { ...meta, ...scalingMetadata(rbm) })
}

/**
 * How an export expects its input, in words (every format carries it): Gaussian RBMs work on standardised pixels,
 * v = (x − feature_mean) / feature_std with the training split's statistics.
 */
export function scalingMetadata(rbm: Rbm): Record<string, string> {
  if (rbm.visibleUnits !== 'gaussian') return {}
  if (!rbm.featureScaling) {
    return { standardisation: 'unknown: trained before Engram kept feature_mean/feature_std; feed rows standardised with the training split statistics' }
  }
  return {
    standardisation:
      'v = (x - feature_mean) / feature_std per pixel, statistics of the training split (a pixel constant there has std 1: centred only); ' +
      'the weights and biases act on v'
  }
}

/**
 * An RBM's dataset rows as its visible layer sees them outside training: binarised at the dataset's threshold
 * (Bernoulli units), standardised with the training split's statistics (Gaussian units: rbm.featureScaling, from
 * sessionRbm), followed by the one-hot label for a classification RBM.
 */
export function rbmVisibleRows(
  info: Pick<RbmInfo, 'spec' | 'dataset' | 'classification'>,
  data: Pick<RbmData, 'values' | 'rows' | 'visible' | 'labels'>,
  rbm: Rbm
): Float32Array {
  let rows: Float32Array = info.spec.visibleUnits === 'gaussian' ? toModelScale(rbm, data.values, data.rows) : Float32Array.from(data.values, (x) => (x > info.dataset.threshold ? 1 : 0))
  if (info.classification) rows = appendOneHot(rows, data.labels, info.classification.classes)
  return rows
}

/** Rows the training run held out: the same seeded split as trainRbmJob's. */
export function heldOutRowSet(seed: number, rows: number, heldOut: number): Set<number> {
  const { order, trainRows } = rbmSplit(seed, rows, heldOut)
  return new Set(Array.from(order.subarray(trainRows)))
}

/**
 * Feature rows [rows, F] of a machine's visible layer as pictures: Gaussian units back on the raw grey-level scale
 * (x = mean + std · v), so inputs, reconstructions and samples look like the dataset and match the exported ONNX
 * model's `reconstruction` output; Bernoulli rows unchanged.
 */
function toRawScale(rbm: Rbm, features: Float32Array | Float64Array, rows: number): Float32Array | Float64Array {
  if (rbm.visibleUnits !== 'gaussian' || !rbm.featureScaling) return features
  return destandardise(features, rows, rbm.visible - rbm.labelUnits, rbm.featureScaling)
}

/** Multiply-adds the mean-activation pass may spend (it runs on the backend's thread). */
const MEAN_ACTIVATION_BUDGET = 40_000_000

/** p(h | v) and E[v | p(h)] for some rows, and every hidden unit's mean activation (models.hidden). */
export function hiddenActivations(
  rbm: Rbm,
  info: Pick<RbmInfo, 'spec' | 'dataset' | 'classification' | 'seed' | 'width' | 'height'>,
  data: Pick<RbmData, 'values' | 'rows' | 'visible' | 'labels'>,
  rowIndices: readonly number[],
  field: string
): Omit<Extract<ViewResult, { kind: 'rbm.hidden' }>, 'kind'> {
  const bad = rowIndices.findIndex((r) => r >= data.rows)
  if (bad >= 0) throw new ApiError({ code: 'bad-request', field: `${field}.${bad}`, message: `${field}.${bad}: row ${rowIndices[bad]} is past the RBM's ${data.rows} dataset rows` })
  const V = rbm.visible
  const F = V - rbm.labelUnits
  const H = rbm.hidden
  const all = rbmVisibleRows(info, data, rbm)
  const n = rowIndices.length
  const picked = new Float32Array(n * V)
  rowIndices.forEach((r, k) => picked.set(all.subarray(r * V, (r + 1) * V), k * V))
  const ph = hiddenProbabilities(rbm, picked, n)
  const recon = visibleMean(rbm, ph, n)
  // Pictures on the dataset's scale (Gaussian units: de-standardised); p(h|v) saw the standardised rows.
  const features = (rows: Float32Array | Float64Array): Float32Array | Float64Array => {
    const out = new Float64Array(n * F)
    for (let k = 0; k < n; k++) out.set(rows.subarray(k * V, k * V + F), k * F)
    return toRawScale(rbm, out, n)
  }
  const inputs = features(picked)
  const recons = features(recon)
  const held = heldOutRowSet(info.seed, data.rows, info.spec.heldOut)
  const round = (x: number): number => Math.round(x * 1e5) / 1e5
  const meanRows = Math.max(1, Math.min(data.rows, Math.floor(MEAN_ACTIVATION_BUDGET / (V * H))))
  const meanPh = hiddenProbabilities(rbm, all.subarray(0, meanRows * V), meanRows)
  const meanActivation = new Array<number>(H).fill(0)
  for (let r = 0; r < meanRows; r++) for (let j = 0; j < H; j++) meanActivation[j]! += meanPh[r * H + j]!
  return {
    visible: F,
    hidden: H,
    width: info.width,
    height: info.height,
    rows: rowIndices.map((row, k) => ({
      row,
      label: data.labels[row] ?? null,
      heldOut: held.has(row),
      input: Array.from(inputs.subarray(k * F, (k + 1) * F), round),
      hidden: Array.from(ph.subarray(k * H, (k + 1) * H), round),
      reconstruction: Array.from(recons.subarray(k * F, (k + 1) * F), round)
    })),
    meanActivation: meanActivation.map((m) => round(m / meanRows)),
    meanRows
  }
}

/** A float tensor of `dtype` (float64 keeps a core-trained model's numbers whole, so it can be continued exactly). */
function floatTensor(a: ArrayLike<number>, shape: number[], dtype: 'float32' | 'float64'): NamedTensor {
  if (dtype === 'float64') return { dtype, shape, data: a instanceof Float64Array ? a : Float64Array.from(a) }
  return { dtype, shape, data: a instanceof Float32Array ? a : Float32Array.from(a) }
}

/**
 * The flat state dict of sessions, result files and exports (feature_mean/feature_std [F]: Gaussian units); float64
 * only for the session of a core-trained model (exports are float32).
 */
export function rbmStateDict(rbm: Rbm, dtype: 'float32' | 'float64' = 'float32'): Record<string, NamedTensor> {
  const f32 = (a: ArrayLike<number>): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a))
  const dict: Record<string, NamedTensor> = {
    weights: floatTensor(rbm.weights, [rbm.visible, rbm.hidden], dtype),
    visible_bias: floatTensor(rbm.visibleBias, [rbm.visible], dtype),
    hidden_bias: floatTensor(rbm.hiddenBias, [rbm.hidden], dtype)
  }
  if (rbm.logVariance) dict.log_variance = floatTensor(rbm.logVariance, [rbm.visible], dtype)
  if (rbm.featureScaling) {
    const F = rbm.visible - rbm.labelUnits
    dict.feature_mean = { dtype: 'float32', shape: [F], data: f32(rbm.featureScaling.mean) }
    dict.feature_std = { dtype: 'float32', shape: [F], data: f32(rbm.featureScaling.std) }
  }
  return dict
}

export function rbmFromStateDict(dict: Record<string, NamedTensor | undefined>, visibleUnits: 'bernoulli' | 'gaussian', labelUnits = 0): Rbm {
  const w = dict.weights
  const b = dict.visible_bias
  const c = dict.hidden_bias
  if (!w || !b || !c) throw new Error('RBM state dict needs weights, visible_bias and hidden_bias')
  return {
    visible: w.shape[0]!,
    hidden: w.shape[1]!,
    visibleUnits,
    labelUnits,
    weights: w.data as Float32Array,
    visibleBias: b.data as Float32Array,
    hiddenBias: c.data as Float32Array,
    logVariance: (dict.log_variance?.data as Float32Array | undefined) ?? null,
    ...(dict.feature_mean && dict.feature_std ? { featureScaling: { mean: dict.feature_mean.data as Float32Array, std: dict.feature_std.data as Float32Array } } : {})
  }
}

/**
 * The in-graph generators' seed for a run's seed: ONNX takes it as a float attribute, so it is kept below 2^24
 * (every seed the program derives from it stays an exact float32), spread by a multiplicative hash.
 */
export function graphNoiseSeed(seed: number): number {
  return (Math.imul(seed >>> 0, 2654435761) >>> 0) % 16_000_000
}

/** The training state's session tensors (beside the weights): what continuing needs besides RbmInfo.trainState. */
export const RBM_OPTIM_TENSORS = {
  velocityWeights: 'optim/velocity_weights',
  velocityVisibleBias: 'optim/velocity_visible_bias',
  velocityHiddenBias: 'optim/velocity_hidden_bias',
  hiddenActivity: 'optim/hidden_activity',
  chains: 'optim/chains'
} as const

/** The state a model keeps to be continued: velocities (with momentum), the sparsity estimate, the PCD chains. */
function rbmOptimTensors(state: RbmTrainState, spec: RbmModelSpec, V: number, H: number, dtype: 'float32' | 'float64'): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {}
  if (spec.momentum > 0) {
    out[RBM_OPTIM_TENSORS.velocityWeights] = floatTensor(state.velocity.weights, [V, H], dtype)
    out[RBM_OPTIM_TENSORS.velocityVisibleBias] = floatTensor(state.velocity.visibleBias, [V], dtype)
    out[RBM_OPTIM_TENSORS.velocityHiddenBias] = floatTensor(state.velocity.hiddenBias, [H], dtype)
  }
  if (spec.sparsity) out[RBM_OPTIM_TENSORS.hiddenActivity] = floatTensor(state.hiddenActivity, [H], dtype)
  if (state.chains) out[RBM_OPTIM_TENSORS.chains] = floatTensor(state.chains, [state.chains.length / V, V], dtype)
  return out
}

/** What must equal the continued model's spec (the learning rate, momentum, weight decay, AIS and epochs may change). */
const CONTINUE_SAME = ['visibleUnits', 'hidden', 'k', 'persistent', 'batchSize', 'sparsity', 'binarise', 'heldOut', 'labels', 'noise'] as const

/**
 * The state a training continues from (spec.continueFrom), checked against the new run before any work: the same
 * dataset, seed and fields (CONTINUE_SAME), more epochs than done, and a model saved with its training state. Every
 * refusal names its field under `field` (e.g. params.model.epochs). `tensor` reads the model's tensors by name.
 */
export function rbmResume(
  prior: RbmInfo,
  tensor: (name: string) => NamedTensor | undefined,
  run: { spec: RbmModelSpec; seed: number; dataset: DatasetRef; data: Pick<RbmData, 'rows' | 'visible'> },
  field: string
): RbmResume {
  const refuse = (at: string, message: string): never => {
    throw new ApiError({ code: 'bad-request', field: `${field}.${at}`, message: `${field}.${at}: ${message}` })
  }
  const { spec } = run
  for (const k of CONTINUE_SAME) {
    const was = JSON.stringify(prior.spec[k] ?? null)
    if (JSON.stringify(spec[k] ?? null) !== was) refuse(`model.${k}`, `must stay ${was} to continue '${prior.name}'`)
  }
  if (prior.spec.noise === 'graph') {
    refuse('model.continueFrom', `'${prior.name}' drew its noise in the graph (noise: graph), whose generators' states cannot be saved: it cannot be continued exactly; train with noise 'core' to continue later`)
  }
  if (!prior.trainState) {
    refuse(
      'model.continueFrom',
      `'${prior.name}' was saved without its training state (momentum velocities, persistent chains, generators' states: models trained before Engram kept them), so it cannot be continued; train a new model`
    )
  }
  if (run.seed !== prior.seed) refuse('seed', `must stay ${prior.seed} to continue '${prior.name}' (its split, init and minibatch orders come from it)`)
  if (JSON.stringify(run.dataset) !== JSON.stringify(prior.dataset)) refuse('dataset', `must stay ${JSON.stringify(prior.dataset)} to continue '${prior.name}'`)
  const C = prior.labelUnits ?? 0
  if (run.data.rows !== prior.trainRows + prior.heldOutRows || run.data.visible + C !== prior.visible) {
    refuse('dataset', `the dataset has changed since '${prior.name}' was trained (${run.data.rows} rows of ${run.data.visible} pixels, it trained on ${prior.trainRows + prior.heldOutRows} of ${prior.visible - C})`)
  }
  const done = prior.history.length
  if (spec.epochs <= done) refuse('model.epochs', `must exceed the ${done} epochs '${prior.name}' has done (epochs counts them all)`)
  const V = prior.visible
  const H = prior.hidden
  const need = (name: string, shape: number[]): NamedTensor => {
    const t = tensor(name)
    if (!t) return refuse('model.continueFrom', `'${prior.name}' has no tensor '${name}' (saved without its training state): it cannot be continued`)
    if (t.shape.join() !== shape.join() || (t.dtype !== 'float32' && t.dtype !== 'float64')) {
      refuse('model.continueFrom', `'${prior.name}': tensor '${name}' is ${t.dtype} [${t.shape.join(', ')}], expected [${shape.join(', ')}]`)
    }
    return t
  }
  const weights = need('weights', [V, H])
  const path = weights.dtype === 'float64' ? 'core' : 'engine'
  const data = (t: NamedTensor): FloatArray => (path === 'core' ? Float64Array.from(t.data as FloatArray) : Float32Array.from(t.data as FloatArray))
  const zeros = (n: number): FloatArray => (path === 'core' ? new Float64Array(n) : new Float32Array(n))
  const moved = prior.spec.momentum > 0
  const chains = prior.spec.persistent ? need(RBM_OPTIM_TENSORS.chains, [Math.min(prior.spec.batchSize, prior.trainRows), V]) : null
  return {
    id: prior.id,
    name: prior.name,
    epochs: done,
    history: prior.history,
    params: { weights: data(weights), visibleBias: data(need('visible_bias', [V])), hiddenBias: data(need('hidden_bias', [H])) },
    state: {
      velocity: {
        weights: moved ? data(need(RBM_OPTIM_TENSORS.velocityWeights, [V, H])) : zeros(V * H),
        visibleBias: moved ? data(need(RBM_OPTIM_TENSORS.velocityVisibleBias, [V])) : zeros(V),
        hiddenBias: moved ? data(need(RBM_OPTIM_TENSORS.velocityHiddenBias, [H])) : zeros(H),
        logVariance: prior.spec.visibleUnits === 'gaussian' ? zeros(V) : null
      },
      hiddenActivity: prior.spec.sparsity ? data(need(RBM_OPTIM_TENSORS.hiddenActivity, [H])) : zeros(H).fill(0),
      chains: chains ? data(chains) : null,
      step: prior.trainState!.updates
    },
    epochRng: prior.trainState!.epochRng,
    metricRng: prior.trainState!.metricRng,
    path
  }
}

/** An epoch trainer: the engine's (RbmEngineTrainer, float32) or the core's (float64). */
interface EpochTrainer {
  readonly provider: string
  trainEpoch(data: Float32Array, rows: number, rng: Rng, epoch: EngineEpochOptions): Promise<Float64Array>
  parameters(): Rbm
  trainState(): RbmTrainState
}

/** The float64 core's trainEpoch behind the engine trainer's interface (progress after each update, cancel between them). */
class CoreEpochTrainer implements EpochTrainer {
  readonly provider = 'core'
  constructor(
    private readonly rbm: Rbm,
    private readonly state: RbmTrainState,
    private readonly opts: CdOptions
  ) {}

  trainEpoch(data: Float32Array, rows: number, rng: Rng, epoch: EngineEpochOptions): Promise<Float64Array> {
    if (epoch.shouldCancel?.()) throw new CancelledError()
    const total = Math.ceil(rows / epoch.batchSize)
    const onStep = (_view: unknown, s: number): void => {
      epoch.onProgress?.(s + 1, total)
      if (s + 1 < total && epoch.shouldCancel?.()) throw new CancelledError()
    }
    return Promise.resolve(coreTrainEpoch(this.rbm, this.state, data, rows, { ...this.opts, batchSize: epoch.batchSize, onStep }, rng))
  }

  parameters(): Rbm {
    return cloneRbm(this.rbm)
  }

  trainState(): RbmTrainState {
    const { velocity: v, hiddenActivity, chains, step } = this.state
    return {
      velocity: { weights: v.weights.slice(), visibleBias: v.visibleBias.slice(), hiddenBias: v.hiddenBias.slice(), logVariance: v.logVariance?.slice() ?? null },
      hiddenActivity: hiddenActivity.slice(),
      chains: chains?.slice() ?? null,
      step
    }
  }
}

/**
 * Trains on the engine (or the float64 core: input.path, or when the engine cannot start), epoch by epoch, with
 * metrics after each epoch. Cancel keeps the state at the end of the last finished epoch, so the partial model can
 * be continued exactly (input.resume, from it or from any checkpoint).
 */
export async function trainRbmJob(input: RbmTrainInput, hooks: ComputeHooks = {}): Promise<RbmTrainOutput> {
  const { spec, data } = input
  // F pixels (features), C label units (0 unless spec.labels), V = F + C visible units.
  const F = data.visible
  const classes = checkRbmLabels(spec, data, input.dataset.builtin, 'model.labels')
  const C = classes.length
  const V = F + C
  const classOf = new Map(classes.map((c, k) => [c, k]))
  const rng = new Rng(input.seed)
  const values = binariseRows(data, spec, input.dataset.threshold, rng.fork(1))
  // Held-out rows: a seeded split, the same for the same seed.
  const { order, trainRows, heldOutRows } = rbmSplit(input.seed, data.rows, spec.heldOut)
  let trainFeatures = new Float32Array(trainRows * F)
  let heldFeatures = new Float32Array(heldOutRows * F)
  const trainLabels = new Int32Array(C ? trainRows : 0)
  const heldLabels = new Int32Array(C ? heldOutRows : 0)
  for (let r = 0; r < data.rows; r++) {
    const src = values.subarray(order[r]! * F, (order[r]! + 1) * F)
    if (r < trainRows) trainFeatures.set(src, r * F)
    else heldFeatures.set(src, (r - trainRows) * F)
    if (C) (r < trainRows ? trainLabels : heldLabels)[r < trainRows ? r : r - trainRows] = classOf.get(data.labels[order[r]!]!)!
  }
  if (trainRows < 1) throw new Error('dataset: no training rows left after the held-out split')
  // Gaussian units: one set of statistics, the training split's, for training and held-out rows alike (held-out free
  // energies on a scale of their own would make the overfitting gap meaningless); saved with the weights.
  const featureScaling = spec.visibleUnits === 'gaussian' ? scalingOf(trainFeatures, trainRows, F) : undefined
  if (featureScaling) {
    trainFeatures = Float32Array.from(standardiseWith(trainFeatures, trainRows, F, featureScaling))
    heldFeatures = Float32Array.from(standardiseWith(heldFeatures, heldOutRows, F, featureScaling))
  }
  // The visible rows: the features with the one-hot label group appended (004: label units are visible units).
  const withLabels = (features: Float32Array, labels: Int32Array, rows: number): Float32Array => {
    if (!C) return features
    const out = new Float32Array(rows * V)
    for (let r = 0; r < rows; r++) {
      out.set(features.subarray(r * F, (r + 1) * F), r * V)
      out[r * V + F + labels[r]!] = 1
    }
    return out
  }
  const train = withLabels(trainFeatures, trainLabels, trainRows)
  const held = withLabels(heldFeatures, heldLabels, heldOutRows)
  const rbm = initRbm(
    { visible: V, hidden: spec.hidden, visibleUnits: spec.visibleUnits, labelUnits: C, data: { values: train, rows: trainRows } },
    rng.fork(3)
  )
  const chains = spec.persistent ? Math.min(spec.batchSize, trainRows) : 0
  const state = createTrainState(rbm, { persistentChains: chains, ...(spec.sparsity ? { sparsityTarget: spec.sparsity.target } : {}) }, rng.fork(4))
  const resume = input.resume
  if (resume) {
    // The init and chains drawn above are replaced (their draws come from forks of their own, so nothing else moves).
    rbm.weights.set(resume.params.weights)
    rbm.visibleBias.set(resume.params.visibleBias)
    rbm.hiddenBias.set(resume.params.hiddenBias)
    state.velocity.weights.set(resume.state.velocity.weights)
    state.velocity.visibleBias.set(resume.state.velocity.visibleBias)
    state.velocity.hiddenBias.set(resume.state.velocity.hiddenBias)
    state.hiddenActivity.set(resume.state.hiddenActivity)
    if (state.chains && resume.state.chains) state.chains.set(resume.state.chains)
    state.step = resume.state.step
  }
  const before = resume?.epochs ?? 0
  const cd: CdOptions = {
    k: spec.k,
    persistent: spec.persistent,
    learningRate: spec.learningRate,
    momentum: spec.momentum,
    weightDecay: spec.weightDecay,
    ...(spec.sparsity ? { sparsity: spec.sparsity } : {})
  }
  // In-graph generators advance with every run of their session: a run of its own starts them from the seed.
  const ownSessions = spec.noise === 'graph' ? new SessionCache() : undefined
  let trainer: EpochTrainer
  let fallbackReason: string | undefined
  if ((resume?.path ?? input.path) === 'core') trainer = new CoreEpochTrainer(rbm, state, cd)
  else {
    try {
      trainer = await RbmEngineTrainer.create(
        rbm,
        {
          ...cd,
          // Measured fastest here (docs/benchmarks.md): 10 updates per run() in a Loop, one GEMM for both outer products.
          stepsPerRun: 10,
          outerProduct: 'concat',
          // In-graph noise: its seed attribute comes from the run's seed, so the same spec and seed give the same run.
          ...(ownSessions ? { noise: { seed: graphNoiseSeed(input.seed) }, sessionCache: ownSessions } : {}),
          ...(input.engine?.provider !== undefined ? { provider: input.engine.provider } : {}),
          ...(input.engine?.threads ? { threads: input.engine.threads } : {})
        },
        state
      )
    } catch (error) {
      await ownSessions?.clear()
      fallbackReason = `engine unavailable: ${error instanceof Error ? error.message : String(error)}`
      trainer = new CoreEpochTrainer(rbm, state, cd)
    }
  }
  const provider = fallbackReason ? `core (${fallbackReason})` : trainer.provider
  const dtype = trainer instanceof CoreEpochTrainer ? 'float64' : 'float32'
  const stepsPerEpoch = Math.ceil(trainRows / spec.batchSize)
  const totalSteps = stepsPerEpoch * spec.epochs
  const metricRows = Math.min(METRIC_ROWS, trainRows)
  const heldRows = Math.min(METRIC_ROWS, heldOutRows)
  const history: RbmEpoch[] = []
  const started = performance.now()
  let partial = false
  // The generators that move from epoch to epoch: a continuation takes them up where the model left them.
  const epochRng = resume ? Rng.fromState(resume.epochRng) : rng.fork(5)
  const metricRng = resume ? Rng.fromState(resume.metricRng) : rng.fork(6)
  /** Everything at the end of the last finished epoch: what the job returns (also after a cancel mid-epoch) and checkpoints. */
  let kept = { params: trainer.parameters(), state: trainer.trainState(), epochRng: epochRng.getState(), metricRng: metricRng.getState() }
  /** The model's entry as it stands (the classification and likelihood come at the end). */
  const infoOf = (isPartial: boolean): RbmInfo => ({
    kind: 'rbm',
    id: input.modelId,
    name: input.name,
    spec,
    dataset: input.dataset,
    seed: input.seed,
    visible: V,
    hidden: spec.hidden,
    ...(C ? { labelUnits: C } : {}),
    width: data.width,
    height: data.height,
    trainRows,
    heldOutRows,
    history: [...(resume?.history ?? []), ...history],
    provider,
    partial: isPartial,
    ...(resume ? { continuedFrom: { id: resume.id, name: resume.name, epochs: resume.epochs } } : {}),
    // Graph noise: the runtime's generators cannot be saved, so there is nothing to continue from.
    ...(spec.noise === 'graph' ? {} : { trainState: { updates: kept.state.step, epochRng: [...kept.epochRng], metricRng: [...kept.metricRng] } }),
    createdAt: new Date().toISOString()
  })
  /** The tensors as they stand at `kept`: the weights (with the feature statistics) and the training state. */
  const tensorsOf = (): Record<string, NamedTensor> => ({
    ...rbmStateDict({ ...kept.params, ...(featureScaling ? { featureScaling } : {}) }, dtype),
    ...(spec.noise === 'graph' ? {} : rbmOptimTensors(kept.state, spec, V, spec.hidden, dtype))
  })
  // A checkpoint every tenth of the epochs and at least every CHECKPOINT_MS: what a cancel after that epoch would keep.
  const checkpointEvery = Math.max(1, Math.round(spec.epochs / 10))
  let lastCheckpoint = performance.now()
  for (let epoch = before + 1; epoch <= spec.epochs; epoch++) {
    let errors: Float64Array
    try {
      errors = await trainer.trainEpoch(train, trainRows, epochRng, {
        batchSize: spec.batchSize,
        onProgress: (done, steps) => {
          const stepsDone = (epoch - 1) * stepsPerEpoch + done
          hooks.onProgress?.(stepsDone / totalSteps, stepsDone, totalSteps, `epoch ${epoch}/${spec.epochs}, step ${done}/${steps}`)
        },
        ...(hooks.shouldCancel ? { shouldCancel: hooks.shouldCancel } : {})
      })
    } catch (error) {
      // Cancelled after an epoch of this run: the model as it was at the end of that epoch.
      if (error instanceof CancelledError && history.length > 0) {
        partial = true
        break
      }
      await ownSessions?.clear()
      throw error
    }
    const params = trainer.parameters()
    const epochState = trainer.trainState()
    const trainSample = train.subarray(0, metricRows * V)
    const row: RbmEpoch = {
      epoch,
      steps: epoch * stepsPerEpoch,
      // A continuation's clock goes on from the model's (the history reads as one run's).
      seconds: (resume?.history.at(-1)?.seconds ?? 0) + (performance.now() - started) / 1000,
      // PCD updates reconstruct no minibatch (NaN, which no result file can hold): the mean-field reconstruction of the sample rows.
      reconstructionError: spec.persistent ? reconstructionError(params, trainSample, metricRows) : errors.reduce((a, b) => a + b, 0) / errors.length,
      pseudoLikelihood: spec.visibleUnits === 'bernoulli' ? meanPseudoLikelihood(params, trainSample, metricRows, metricRng) : reconstructionError(params, trainSample, metricRows),
      freeEnergyTrain: meanFreeEnergy(params, trainSample, metricRows),
      freeEnergyHeldOut: heldRows ? meanFreeEnergy(params, held.subarray(0, heldRows * V), heldRows) : null
    }
    if (C) {
      row.accuracyTrain = accuracy(params, trainFeatures, trainLabels, metricRows)
      row.accuracyHeldOut = heldRows ? accuracy(params, heldFeatures, heldLabels, heldRows) : null
    }
    history.push(row)
    kept = { params, state: epochState, epochRng: epochRng.getState(), metricRng: metricRng.getState() }
    const metrics: Record<string, number> = {
      epoch,
      reconstructionError: row.reconstructionError,
      pseudoLikelihood: row.pseudoLikelihood,
      freeEnergyTrain: row.freeEnergyTrain,
      ...(row.freeEnergyHeldOut !== null ? { freeEnergyHeldOut: row.freeEnergyHeldOut } : {}),
      ...(row.accuracyTrain !== undefined ? { accuracyTrain: row.accuracyTrain } : {}),
      ...(typeof row.accuracyHeldOut === 'number' ? { accuracyHeldOut: row.accuracyHeldOut } : {})
    }
    hooks.onProgress?.(epoch / spec.epochs, epoch * stepsPerEpoch, totalSteps, `epoch ${epoch}/${spec.epochs} done`, metrics)
    if (hooks.onCheckpoint && epoch < spec.epochs && (epoch % checkpointEvery === 0 || performance.now() - lastCheckpoint >= CHECKPOINT_MS)) {
      lastCheckpoint = performance.now()
      hooks.onCheckpoint(infoOf(true), tensorsOf())
    }
  }
  const final = kept.params
  await ownSessions?.clear()
  let likelihood: RbmInfo['likelihood']
  if (spec.ais && spec.visibleUnits === 'bernoulli' && !hooks.shouldCancel?.()) {
    hooks.onProgress?.(1, totalSteps, totalSteps, `AIS: ${spec.ais.runs} runs × ${spec.ais.steps} steps`)
    // Base rate: the data's log-odds, the usual choice that makes AIS's first distribution close to the data.
    const base = new Float64Array(V)
    for (let i = 0; i < V; i++) {
      let m = 0
      for (let r = 0; r < trainRows; r++) m += train[r * V + i]!
      const p = Math.min(0.99, Math.max(0.01, m / trainRows))
      base[i] = Math.log(p / (1 - p))
    }
    const ais = aisLogZ(final, rng.fork(7), { runs: spec.ais.runs, betas: aisSchedule(spec.ais.steps), baseVisibleBias: base })
    likelihood = {
      logZ: ais.logZ,
      logZLow: Number.isFinite(ais.logZLow) ? ais.logZLow : null,
      logZHigh: ais.logZHigh,
      effectiveSampleSize: ais.effectiveSampleSize,
      train: logLikelihood(final, train.subarray(0, metricRows * V), metricRows, ais.logZ),
      heldOut: heldRows ? logLikelihood(final, held.subarray(0, heldRows * V), heldRows, ais.logZ) : null,
      runs: spec.ais.runs,
      steps: spec.ais.steps
    }
  }
  let classification: RbmInfo['classification']
  if (C && history.length > 0) {
    // The held-out rows (the training rows when none are held out), classified by the trained machine.
    const split = heldOutRows > 0 ? 'held-out' : 'train'
    const rows = Math.min(CONFUSION_ROWS, split === 'held-out' ? heldOutRows : trainRows)
    const features = split === 'held-out' ? heldFeatures : trainFeatures
    const labels = split === 'held-out' ? heldLabels : trainLabels
    const predicted = classify(final, features.subarray(0, rows * F), rows)
    const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0))
    let hits = 0
    for (let r = 0; r < rows; r++) {
      confusion[labels[r]!]![predicted[r]!]!++
      if (labels[r] === predicted[r]) hits++
    }
    classification = { classes, split, rows, accuracy: hits / rows, confusion }
  }
  const info: RbmInfo = {
    ...infoOf(partial),
    ...(classification ? { classification } : {}),
    ...(likelihood ? { likelihood } : {})
  }
  return { info, tensors: tensorsOf() }
}

export interface RbmSampleInput {
  rbm: Rbm
  count: number
  steps: number
  from: 'noise' | 'data'
  seed: number
  /** Rows to start from when from = 'data' (binarised the same way as in training). */
  data: Float32Array | null
}

export async function sampleRbmJob(input: RbmSampleInput, hooks: ComputeHooks = {}): Promise<{ samples: number[][]; provider: string }> {
  const { rbm, count } = input
  const rng = new Rng(input.seed)
  let v0: Float32Array
  if (input.from === 'data') {
    if (!input.data) throw new Error('from: data needs the training rows')
    const rows = input.data.length / rbm.visible
    v0 = new Float32Array(count * rbm.visible)
    for (let r = 0; r < count; r++) {
      const src = rng.int(rows)
      v0.set(input.data.subarray(src * rbm.visible, (src + 1) * rbm.visible), r * rbm.visible)
    }
  } else {
    v0 = randomVisibleStates(rbm, count, rng)
  }
  const out = await sampleRbm(rbm, v0, count, input.steps, rng.fork(1), {
    onProgress: (done, total) => hooks.onProgress?.(done / total, done, total, `${done}/${total} sweeps`),
    ...(hooks.shouldCancel ? { shouldCancel: hooks.shouldCancel } : {})
  })
  const V = rbm.visible
  // The pictures: the feature units (a classification RBM's label group is left out).
  const F = V - rbm.labelUnits
  const features = new Float64Array(count * F)
  for (let r = 0; r < count; r++) features.set(out.visibleMean.subarray(r * V, r * V + F), r * F)
  // Gaussian units: on the dataset's grey-level scale, like models.hidden's pictures.
  const shown = toRawScale(rbm, features, count)
  const samples = Array.from({ length: count }, (_, r) => Array.from(shown.subarray(r * F, (r + 1) * F), (x) => Math.round(x * 1e4) / 1e4))
  return { samples, provider: out.provider }
}

/**
 * RBM forward model for other tools: visible [batch,V] -> hidden probabilities and the mean reconstruction.
 * Gaussian units with saved statistics take RAW rows, as the app's views do: the graph standardises the feature
 * columns, v = (x − feature_mean) / feature_std, and gives the reconstruction back on the raw scale,
 * feature_mean + feature_std · E[v | h] (the scale models.hidden shows). Label columns pass through unchanged.
 */
export function exportRbmOnnx(rbm: Rbm, metadata: Record<string, string>): Uint8Array {
  const g = new GraphBuilder('rbm')
  const V = rbm.visible
  const H = rbm.hidden
  const f32 = (a: ArrayLike<number>): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a))
  g.input('visible', 'float32', ['batch', V])
  g.initializer('weights', tensor.float32(f32(rbm.weights), [V, H]))
  g.initializer('visible_bias', tensor.float32(f32(rbm.visibleBias), [V]))
  g.initializer('hidden_bias', tensor.float32(f32(rbm.hiddenBias), [H]))
  let v = 'visible'
  const scaling = rbm.visibleUnits === 'gaussian' ? rbm.featureScaling : undefined
  if (scaling) {
    // [V] vectors: the feature statistics, then mean 0 / std 1 for the label group so its columns pass through.
    const F = V - rbm.labelUnits
    const full = (a: ArrayLike<number>, fill: number): Float32Array => {
      const out = new Float32Array(V).fill(fill)
      for (let i = 0; i < F; i++) out[i] = a[i]!
      return out
    }
    g.initializer('feature_mean', tensor.float32(full(scaling.mean, 0), [V]))
    g.initializer('feature_std', tensor.float32(full(scaling.std, 1), [V]))
    v = g.node('Div', [g.node('Sub', ['visible', 'feature_mean']), 'feature_std'])
  }
  if (rbm.visibleUnits === 'gaussian' && rbm.logVariance) {
    // Gaussian units: hidden input uses v / σ², the mean reconstruction is b + σ² W h.
    g.initializer('inv_variance', tensor.float32(Float32Array.from(rbm.logVariance, (z) => Math.exp(-z)), [V]))
    v = g.node('Mul', [v, 'inv_variance'])
  }
  const hiddenIn = g.node('Add', [g.node('MatMul', [v, 'weights']), 'hidden_bias'])
  const hidden = g.node('Sigmoid', [hiddenIn])
  const visibleIn = g.node('Gemm', [hidden, 'weights', 'visible_bias'], { transB: 1 })
  let recon: string
  if (rbm.visibleUnits === 'gaussian' && rbm.logVariance) {
    g.initializer('variance', tensor.float32(Float32Array.from(rbm.logVariance, (z) => Math.exp(z)), [V]))
    const wh = g.node('Gemm', [hidden, 'weights'], { transB: 1 })
    recon = g.node('Add', [g.node('Mul', [wh, 'variance']), 'visible_bias'])
    if (scaling) recon = g.node('Add', [g.node('Mul', [recon, 'feature_std']), 'feature_mean'])
    void visibleIn
  } else {
    recon = g.node('Sigmoid', [visibleIn])
  }
  g.output('hidden_probabilities', 'float32', ['batch', H], { from: hidden, docString: 'p(h_j = 1 | v)' })
  g.output('reconstruction', 'float32', ['batch', V], { from: recon, docString: scaling ? 'feature_mean + feature_std · E[v | h = p(h|v)] (raw scale)' : 'E[v | h = p(h|v)]' })
  const C = rbm.labelUnits
  if (C > 0) {
    // Classification (core classProbabilities): log p(y|x) = b_y + Σ_j softplus(a_j + w_yj) − log Σ_y'(…), with
    // a = c + x_F W_F from the feature columns of `visible` (its label columns are ignored).
    const F = V - C
    const feat = g.node('Slice', [v, g.constInt64([0]), g.constInt64([F]), g.constInt64([1])])
    const wFeat = g.node('Slice', ['weights', g.constInt64([0]), g.constInt64([F]), g.constInt64([0])])
    const wLabel = g.node('Slice', ['weights', g.constInt64([F]), g.constInt64([V]), g.constInt64([0])])
    const bLabel = g.node('Slice', ['visible_bias', g.constInt64([F]), g.constInt64([V]), g.constInt64([0])])
    const a = g.node('Add', [g.node('MatMul', [feat, wFeat]), 'hidden_bias'])
    // [B,1,H] + [C,H] -> [B,C,H], softplus, summed over H.
    const perClass = g.node('Softplus', [g.node('Add', [g.node('Unsqueeze', [a, g.constInt64([1])]), wLabel])])
    const logits = g.node('Add', [g.node('ReduceSum', [perClass, g.constInt64([2])], { keepdims: 0 }), bLabel])
    g.output('class_probabilities', 'float32', ['batch', C], { from: g.node('Softmax', [logits], { axis: 1 }), docString: 'p(y | features)' })
  }
  return buildModel({
    graph: g,
    metadata: {
      'engram.version': ENGRAM_VERSION,
      kind: 'rbm',
      visible_units: rbm.visibleUnits,
      visible: String(V),
      hidden: String(H),
      ...(rbm.labelUnits ? { label_units: String(rbm.labelUnits) } : {}),
      ...metadata,
      ...scalingMetadata(rbm),
      ...(scaling ? { input: 'raw rows: the graph standardises them with feature_mean / feature_std' } : {})
    },
    docString: 'Engram RBM: visible -> hidden probabilities and mean reconstruction'
  })
}
