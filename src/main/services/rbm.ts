// RBM jobs: training on the engine with live metrics, Gibbs sampling, receptive fields, and export.
import type { NamedTensor } from '../../core/safetensors'
import { createTrainState, initRbm, type Rbm } from '../../core/rbm'
import { aisLogZ, aisSchedule, logLikelihood, meanFreeEnergy, meanPseudoLikelihood, reconstructionError } from '../../core/rbm-metrics'
import { Rng } from '../../core/rng'
import { RbmEngineTrainer, randomVisibleStates, sampleRbm } from '../../engine/rbm'
import { GraphBuilder, buildModel, tensor } from '../../engine/onnx/builder'
import type { RbmEpoch, RbmInfo } from '../../shared/session'
import type { DatasetRef, RbmModelSpec } from '../../shared/spec'
import { ENGRAM_VERSION } from '../version'
import type { ComputeHooks } from './compute'

/** Rows for an RBM: grey levels in [0,1] (or ±1 patterns mapped to 0/1), row-major [rows, V]. */
export interface RbmData {
  values: Float32Array
  rows: number
  visible: number
  width: number
  height: number
  labels: string[]
}

export interface RbmTrainInput {
  modelId: string
  name: string
  dataset: DatasetRef
  spec: RbmModelSpec
  seed: number
  data: RbmData
}

export interface RbmTrainOutput {
  info: RbmInfo
  tensors: Record<string, NamedTensor>
}

/** How many rows the per-epoch metrics look at (they run on the core, in float64). */
const METRIC_ROWS = 500

function binariseRows(data: RbmData, spec: RbmModelSpec, threshold: number, rng: Rng): Float32Array {
  if (spec.visibleUnits === 'gaussian') return Float32Array.from(data.values)
  const out = new Float32Array(data.values.length)
  if (spec.binarise === 'stochastic') for (let i = 0; i < out.length; i++) out[i] = rng.next() < data.values[i]! ? 1 : 0
  else for (let i = 0; i < out.length; i++) out[i] = data.values[i]! > threshold ? 1 : 0
  return out
}

/** Standardises Gaussian visible data per unit (the safe default: σ = 1 then fits). */
export function standardiseRows(values: Float32Array, rows: number, V: number): void {
  for (let i = 0; i < V; i++) {
    let mean = 0
    for (let r = 0; r < rows; r++) mean += values[r * V + i]!
    mean /= rows
    let varSum = 0
    for (let r = 0; r < rows; r++) varSum += (values[r * V + i]! - mean) ** 2
    const sd = Math.sqrt(varSum / rows) || 1
    for (let r = 0; r < rows; r++) values[r * V + i] = (values[r * V + i]! - mean) / sd
  }
}

export function rbmStateDict(rbm: Rbm): Record<string, NamedTensor> {
  const f32 = (a: ArrayLike<number>): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a))
  const dict: Record<string, NamedTensor> = {
    weights: { dtype: 'float32', shape: [rbm.visible, rbm.hidden], data: f32(rbm.weights) },
    visible_bias: { dtype: 'float32', shape: [rbm.visible], data: f32(rbm.visibleBias) },
    hidden_bias: { dtype: 'float32', shape: [rbm.hidden], data: f32(rbm.hiddenBias) }
  }
  if (rbm.logVariance) dict.log_variance = { dtype: 'float32', shape: [rbm.visible], data: f32(rbm.logVariance) }
  return dict
}

export function rbmFromStateDict(dict: Record<string, NamedTensor | undefined>, visibleUnits: 'bernoulli' | 'gaussian'): Rbm {
  const w = dict.weights
  const b = dict.visible_bias
  const c = dict.hidden_bias
  if (!w || !b || !c) throw new Error('RBM state dict needs weights, visible_bias and hidden_bias')
  return {
    visible: w.shape[0]!,
    hidden: w.shape[1]!,
    visibleUnits,
    labelUnits: 0,
    weights: w.data as Float32Array,
    visibleBias: b.data as Float32Array,
    hiddenBias: c.data as Float32Array,
    logVariance: (dict.log_variance?.data as Float32Array | undefined) ?? null
  }
}

/** Trains on the engine, epoch by epoch, with metrics after each epoch; cancel keeps the last finished update. */
export async function trainRbmJob(input: RbmTrainInput, hooks: ComputeHooks = {}): Promise<RbmTrainOutput> {
  const { spec, data } = input
  const V = data.visible
  const rng = new Rng(input.seed)
  const values = binariseRows(data, spec, input.dataset.threshold, rng.fork(1))
  // Held-out rows: a seeded split, the same for the same seed.
  const order = rng.fork(2).permutation(data.rows)
  const heldOutRows = Math.floor(data.rows * spec.heldOut)
  const trainRows = data.rows - heldOutRows
  const train = new Float32Array(trainRows * V)
  const held = new Float32Array(heldOutRows * V)
  for (let r = 0; r < data.rows; r++) {
    const src = values.subarray(order[r]! * V, (order[r]! + 1) * V)
    if (r < trainRows) train.set(src, r * V)
    else held.set(src, (r - trainRows) * V)
  }
  if (spec.visibleUnits === 'gaussian') {
    standardiseRows(train, trainRows, V)
    if (heldOutRows) standardiseRows(held, heldOutRows, V)
  }
  if (trainRows < 1) throw new Error('dataset: no training rows left after the held-out split')
  const rbm = initRbm({ visible: V, hidden: spec.hidden, visibleUnits: spec.visibleUnits, data: { values: train, rows: trainRows } }, rng.fork(3))
  const chains = spec.persistent ? Math.min(spec.batchSize, trainRows) : 0
  const state = createTrainState(rbm, { persistentChains: chains, ...(spec.sparsity ? { sparsityTarget: spec.sparsity.target } : {}) }, rng.fork(4))
  const trainer = await RbmEngineTrainer.create(
    rbm,
    {
      k: spec.k,
      persistent: spec.persistent,
      learningRate: spec.learningRate,
      momentum: spec.momentum,
      weightDecay: spec.weightDecay,
      ...(spec.sparsity ? { sparsity: spec.sparsity } : {}),
      // Measured fastest here (docs/benchmarks.md): 10 updates per run() in a Loop, one GEMM for both outer products.
      stepsPerRun: 10,
      outerProduct: 'concat'
    },
    state
  )
  const stepsPerEpoch = Math.ceil(trainRows / spec.batchSize)
  const totalSteps = stepsPerEpoch * spec.epochs
  const metricRows = Math.min(METRIC_ROWS, trainRows)
  const heldRows = Math.min(METRIC_ROWS, heldOutRows)
  const history: RbmEpoch[] = []
  const started = performance.now()
  let partial = false
  const epochRng = rng.fork(5)
  const metricRng = rng.fork(6)
  for (let epoch = 1; epoch <= spec.epochs; epoch++) {
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
      if (error instanceof Error && error.message === 'cancelled' && history.length > 0) {
        partial = true
        break
      }
      throw error
    }
    const params = trainer.parameters()
    const trainSample = train.subarray(0, metricRows * V)
    const row: RbmEpoch = {
      epoch,
      steps: epoch * stepsPerEpoch,
      seconds: (performance.now() - started) / 1000,
      reconstructionError: errors.reduce((a, b) => a + b, 0) / errors.length,
      pseudoLikelihood: spec.visibleUnits === 'bernoulli' ? meanPseudoLikelihood(params, trainSample, metricRows, metricRng) : reconstructionError(params, trainSample, metricRows),
      freeEnergyTrain: meanFreeEnergy(params, trainSample, metricRows),
      freeEnergyHeldOut: heldRows ? meanFreeEnergy(params, held.subarray(0, heldRows * V), heldRows) : null
    }
    history.push(row)
    const metrics: Record<string, number> = {
      epoch,
      reconstructionError: row.reconstructionError,
      pseudoLikelihood: row.pseudoLikelihood,
      freeEnergyTrain: row.freeEnergyTrain,
      ...(row.freeEnergyHeldOut !== null ? { freeEnergyHeldOut: row.freeEnergyHeldOut } : {})
    }
    hooks.onProgress?.(epoch / spec.epochs, epoch * stepsPerEpoch, totalSteps, `epoch ${epoch}/${spec.epochs} done`, metrics)
  }
  const final = trainer.parameters()
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
  const info: RbmInfo = {
    id: input.modelId,
    name: input.name,
    spec,
    dataset: input.dataset,
    seed: input.seed,
    visible: V,
    hidden: spec.hidden,
    width: data.width,
    height: data.height,
    trainRows,
    heldOutRows,
    history,
    provider: trainer.provider,
    partial,
    ...(likelihood ? { likelihood } : {}),
    createdAt: new Date().toISOString()
  }
  return { info, tensors: rbmStateDict(final) }
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
  const samples = Array.from({ length: count }, (_, r) => Array.from(out.visibleMean.subarray(r * V, (r + 1) * V), (x) => Math.round(x * 1e4) / 1e4))
  return { samples, provider: out.provider }
}

/** RBM forward model for other tools: visible [batch,V] -> hidden probabilities and the mean reconstruction. */
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
  if (rbm.visibleUnits === 'gaussian' && rbm.logVariance) {
    // Gaussian units: hidden input uses v / σ², the mean reconstruction is b + σ² W h.
    g.initializer('inv_variance', tensor.float32(Float32Array.from(rbm.logVariance, (z) => Math.exp(-z)), [V]))
    v = g.node('Mul', ['visible', 'inv_variance'])
  }
  const hiddenIn = g.node('Add', [g.node('MatMul', [v, 'weights']), 'hidden_bias'])
  const hidden = g.node('Sigmoid', [hiddenIn])
  const visibleIn = g.node('Gemm', [hidden, 'weights', 'visible_bias'], { transB: 1 })
  let recon: string
  if (rbm.visibleUnits === 'gaussian' && rbm.logVariance) {
    g.initializer('variance', tensor.float32(Float32Array.from(rbm.logVariance, (z) => Math.exp(z)), [V]))
    const wh = g.node('Gemm', [hidden, 'weights'], { transB: 1 })
    recon = g.node('Add', [g.node('Mul', [wh, 'variance']), 'visible_bias'])
    void visibleIn
  } else {
    recon = g.node('Sigmoid', [visibleIn])
  }
  g.output('hidden_probabilities', 'float32', ['batch', H], { from: hidden, docString: 'p(h_j = 1 | v)' })
  g.output('reconstruction', 'float32', ['batch', V], { from: recon, docString: 'E[v | h = p(h|v)]' })
  return buildModel({
    graph: g,
    metadata: { 'engram.version': ENGRAM_VERSION, kind: 'rbm', visible_units: rbm.visibleUnits, visible: String(V), hidden: String(H), ...metadata },
    docString: 'Engram RBM: visible -> hidden probabilities and mean reconstruction'
  })
}
