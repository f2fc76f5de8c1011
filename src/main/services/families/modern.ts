// Modern Hopfield networks on the services side: storing the patterns (with each pattern's separation Δ_i and the
// well-separation threshold, or the dense memory's capacity estimate), a traced retrieval from a corrupted stored
// pattern on the float64 core, and export (the retrieval step as ONNX; the patterns as safetensors / .npz).
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../../shared/api'
import { modernFamily as family, type ModernInfo, type ModernRetrieveResult } from '../../../shared/families/modern'
import type { RunRequest } from '../../../shared/families'
import type { Corruption, DatasetRef } from '../../../shared/spec'
import type { ModernModelSpec } from '../../../shared/families/modern'
import { corrupt } from '../../../core/corrupt'
import { classifyFixedPoint, distance, largestNorm, modernHopfield, retrievalErrorBound, retrieve, separations, update, wellSeparatedThreshold } from '../../../core/modern-hopfield'
import { denseAM, energy as denseEnergy, energyLog, krotovHopfieldCapacity, overlaps, recallAsync } from '../../../core/dense-am'
import { Rng } from '../../../core/rng'
import { encodeStateDict } from '../../../core/npy'
import { exportModernHopfieldOnnx } from '../../../engine/modern-hopfield'
import { ENGRAM_VERSION } from '../../version'
import { modelTensors, type ServiceFamily } from './types'
import { attentionView } from './modern-attention'

interface ModernTrainInput {
  modelId: string
  name: string
  dataset: DatasetRef
  spec: ModernModelSpec
  /** [N, d] row-major: ±1, or grey levels centred to [−1, 1]. */
  values: Float64Array
  count: number
  dim: number
  width: number
  height: number
  labels: string[]
}

type ModernRun = Extract<RunRequest, { kind: 'modern.retrieve' }>

interface ModernRetrieveInput {
  info: ModernInfo
  values: Float64Array
  run: ModernRun
}

const rowOf = (values: Float64Array, dim: number, i: number): Float64Array => values.subarray(i * dim, (i + 1) * dim)

/**
 * A corrupted copy of a real-valued pattern, drawn exactly as core/corrupt.ts draws it for ±1 patterns (the same
 * units chosen from the same draws): flipped units change sign, masked units take the fill value.
 */
export function corruptValues(pattern: Float64Array, corruption: Corruption, width: number, height: number, rng: Rng): Float64Array {
  const probe = corruption.type === 'mask' || corruption.type === 'maskFraction' ? { ...corruption, fill: 0 as const } : corruption
  const marks = corrupt(new Int8Array(pattern.length).fill(1), probe, width, height, rng)
  const out = Float64Array.from(pattern)
  for (let i = 0; i < out.length; i++) {
    if (marks[i] === 1) continue
    out[i] = corruption.type === 'flip' ? -out[i]! : corruption.type === 'none' ? out[i]! : (corruption as { fill: number }).fill
  }
  return out
}

function retrieveContinuous(input: ModernRetrieveInput, cue: Float64Array): ModernRetrieveResult {
  const { info, values, run } = input
  const beta = run.beta ?? info.spec.beta
  const mem = modernHopfield({ data: values, count: info.patterns, dim: info.units }, beta)
  const r = retrieve(mem, cue, { epsilon: run.epsilon, maxSteps: run.maxSteps, trace: true })
  // The trajectory again, keeping each state and its weights (retrieve keeps the energies and moves only).
  const steps: ModernRetrieveResult['steps'] = []
  let state: Float64Array = Float64Array.from(cue)
  for (let t = 0; t <= r.steps; t++) {
    const next = update(mem, state)
    steps.push({ state: Array.from(state), weights: Array.from(next.weights), energy: r.energies[t]! })
    state = next.state
  }
  const cls = classifyFixedPoint(mem, r.state)
  const target = rowOf(values, info.units, run.pattern)
  const bipolar = info.spec.values === 'bipolar'
  return {
    modelId: info.id,
    variant: 'continuous',
    beta,
    pattern: run.pattern,
    cue: Array.from(cue),
    steps,
    converged: r.converged,
    retrieved: cls.patterns[0]!,
    error: distance(r.state, target),
    hamming: bipolar ? r.state.reduce((n, v, i) => n + (Math.sign(v) === target[i] ? 0 : 1), 0) : null,
    fixedPoint: { kind: cls.kind, patterns: cls.patterns, effectiveCount: cls.effectiveCount },
    errorBound: info.patterns > 1 ? retrievalErrorBound(mem, run.pattern, cue) : 0
  }
}

function retrieveDense(input: ModernRetrieveInput, cue: Float64Array, rng: Rng): ModernRetrieveResult {
  const { info, values, run } = input
  const n = info.units
  const rows = Array.from({ length: info.patterns }, (_, i) => Int8Array.from(rowOf(values, n, i)))
  const mem = denseAM(rows, info.spec.interaction)
  // F = exp: E = −Σ exp(m_μ) overflows for large d; −ln(−E) = −lse(m) falls exactly when E does.
  const level = (s: Int8Array): number => (mem.interaction.kind === 'exp' ? -energyLog(mem, s) : denseEnergy(mem, s))
  const weightsOf = (s: Int8Array): number[] => Array.from(overlaps(mem, s), (m) => m / n)
  // The dense memory's states are ±1: unknown (0) units of a masked cue start at a random ±1 (drawn after the mask).
  let state: Int8Array = Int8Array.from(cue, (v) => (v < 0 ? -1 : v > 0 ? 1 : rng.int(2) === 0 ? -1 : 1))
  const steps: ModernRetrieveResult['steps'] = [{ state: Array.from(state), weights: weightsOf(state), energy: level(state) }]
  let converged = false
  // One sweep per call, so each sweep's state is kept; the order stream continues across sweeps.
  for (let sweep = 0; sweep < run.maxSteps; sweep++) {
    const r = recallAsync(mem, state, { rng, maxSweeps: 1 })
    state = r.state
    steps.push({ state: Array.from(state), weights: weightsOf(state), energy: level(state) })
    if (r.flips === 0) {
      converged = true
      break
    }
  }
  const w = weightsOf(state)
  const target = rowOf(values, n, run.pattern)
  return {
    modelId: info.id,
    variant: 'dense',
    beta: null,
    pattern: run.pattern,
    cue: Array.from(cue),
    steps,
    converged,
    retrieved: w.reduce((best, v, i) => (v > w[best]! ? i : best), 0),
    error: distance(Float64Array.from(state), target),
    hamming: state.reduce((k, v, i) => k + (v === target[i] ? 0 : 1), 0),
    fixedPoint: null,
    errorBound: null
  }
}

function retrieveJob(input: ModernRetrieveInput): ModernRetrieveResult {
  const { info, values, run } = input
  const rng = new Rng(run.seed)
  const cue = corruptValues(rowOf(values, info.units, run.pattern), run.corruption, info.width, info.height, rng)
  return info.spec.variant === 'continuous' ? retrieveContinuous(input, cue) : retrieveDense(input, cue, rng)
}

function storeJob(input: ModernTrainInput): { model: ModernInfo } {
  const { spec, values, count, dim } = input
  let seps: (number | null)[] = []
  let threshold: number | null = null
  let m = 0
  const mem = modernHopfield({ data: values, count, dim }, spec.beta)
  m = largestNorm(mem)
  if (spec.variant === 'continuous') {
    seps = Array.from(separations(mem), (d) => (Number.isFinite(d) ? d : null))
    threshold = count >= 2 ? wellSeparatedThreshold(spec.beta, count, m) : null
  }
  const capacity = spec.variant === 'dense' && spec.interaction.kind === 'polynomial' && dim >= 2 ? krotovHopfieldCapacity(dim, spec.interaction.degree) : null
  return {
    model: {
      kind: 'modern',
      id: input.modelId,
      name: input.name,
      spec,
      dataset: input.dataset,
      units: dim,
      patterns: count,
      width: input.width,
      height: input.height,
      labels: input.labels,
      largestNorm: m,
      separations: seps,
      wellSeparatedThreshold: threshold,
      capacityEstimate: capacity,
      createdAt: new Date().toISOString()
    }
  }
}

function patternValues(session: Parameters<ServiceFamily['export']>[1], model: ModernInfo): Float64Array {
  const { patterns } = modelTensors(session, model.id, family.tensors)
  return Float64Array.from(patterns!.data as ArrayLike<number>)
}

export const modernService: ServiceFamily<typeof family> = {
  family,
  trainTask(ctx, request, field) {
    const spec = request.model
    if (spec.variant === 'dense' && spec.values === 'grey') {
      throw new ApiError({ code: 'bad-request', field: `${field}.model.values`, message: `${field}.model.values: the dense memory stores ±1 patterns; use 'bipolar' (or the continuous variant for grey levels)` })
    }
    const data = ctx.datasets.resolve(request.dataset, `${field}.dataset`)
    const count = data.patterns.length
    const dim = data.summary.width * data.summary.height
    const values = new Float64Array(count * dim)
    if (spec.values === 'grey') {
      const grey = ctx.datasets.greyRows(request.dataset, `${field}.dataset`)
      for (let k = 0; k < values.length; k++) values[k] = 2 * grey.values[k]! - 1
    } else {
      data.patterns.forEach((p, i) => values.set(p, i * dim))
    }
    const input: ModernTrainInput = {
      modelId: randomUUID(),
      name: `${spec.variant === 'dense' ? 'Dense AM' : 'Modern Hopfield'} · ${data.summary.name} · ${count} patterns`,
      dataset: request.dataset,
      spec,
      values,
      count,
      dim,
      width: data.summary.width,
      height: data.summary.height,
      labels: data.labels
    }
    return { kind: 'modern.train', input }
  },
  runTask(_ctx, session, model, run, field) {
    if (run.pattern >= model.patterns) {
      throw new ApiError({ code: 'bad-request', field: `${field}.pattern`, message: `${field}.pattern: ${run.pattern} is out of range (the model stores ${model.patterns} patterns)` })
    }
    if (model.spec.variant === 'dense' && run.beta !== undefined) {
      throw new ApiError({ code: 'bad-request', field: `${field}.beta`, message: `${field}.beta: the dense memory has no β (its interaction is ${model.spec.interaction.kind})` })
    }
    const input: ModernRetrieveInput = { info: model, values: patternValues(session, model), run }
    return { kind: 'modern.retrieve', input }
  },
  jobs: {
    'modern.train': (input: ModernTrainInput) => {
      const { model } = storeJob(input)
      return { result: { kind: 'modern.train', model }, tensors: { patterns: { dtype: 'float64', shape: [input.count, input.dim], data: input.values } } }
    },
    'modern.retrieve': (input: ModernRetrieveInput) => ({ result: { kind: 'modern.retrieve', result: retrieveJob(input) } })
  },
  onTrained(state) {
    delete state.results['modern.retrieve']
  },
  views: {
    'modern.attention': (_ctx, session, model, view, field) => attentionView(model, patternValues(session, model), view, field)
  },
  export(_ctx, session, model, format) {
    const values = patternValues(session, model)
    const meta = {
      'engram.version': ENGRAM_VERSION,
      kind: 'modern',
      variant: model.spec.variant,
      beta: String(model.spec.beta),
      interaction: JSON.stringify(model.spec.interaction),
      dataset: model.dataset.builtin,
      labels: model.labels.join(',')
    }
    if (format === 'onnx') {
      if (model.spec.variant !== 'continuous') throw new ApiError({ code: 'bad-request', field: 'params.format', message: "params.format: ONNX exports the continuous net's retrieval step; the dense memory exports as safetensors or .npz" })
      return { suffix: `modern-${model.id.slice(0, 8)}.onnx`, bytes: exportModernHopfieldOnnx(Float32Array.from(values), model.patterns, model.units, model.spec.beta, meta) }
    }
    const bytes = encodeStateDict(format, { patterns: { dtype: 'float64', shape: [model.patterns, model.units], data: values } }, meta)
    return { suffix: `modern-${model.id.slice(0, 8)}.${format}`, bytes }
  }
}
