// Reads and validates experiment specs and result files, with errors that name the file and the field.
import { readFileSync } from 'node:fs'
import { tensorFromJson } from '../../core/tensor-json'
import type { NamedTensor } from '../../core/safetensors'
import { describeZodError } from '../../shared/api'
import { experimentResultSchema, experimentSpecSchema, type ExperimentResult, type ExperimentSpec } from '../../shared/spec'
import { FAMILIES, type FamilyKind } from '../../shared/families'
import { batchSpecSchema, type BatchSpec } from '../../shared/batch'
import { rbmRunResultSchema, rbmRunSpecSchema, type RbmRunResult } from '../../shared/rbm-run'
import { recurrentRunResultSchema, recurrentRunSpecSchema, type RecurrentRunResult } from '../../shared/recurrent-run'
import { hopfieldLayerRunResultSchema, hopfieldLayerRunSpecSchema, type HopfieldLayerRunResult } from '../../shared/hopfield-layer-run'

export class SpecError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SpecError'
  }
}

/**
 * A tensor of a result file, decoded: damaged data (bad base64, fewer bytes than the shape needs) and non-finite values
 * (a model with NaN or ±Inf weights is never exported) are refused with the file and the field named.
 */
export function resultTensor(source: string, field: string, json: unknown): NamedTensor {
  let t: NamedTensor
  try {
    t = tensorFromJson(json)
  } catch (error) {
    throw new SpecError(`${source}: ${field}: ${(error as Error).message.replace(/^tensor JSON: /, '')}`)
  }
  if (t.dtype === 'float32' || t.dtype === 'float64') {
    const i = (t.data as Float32Array | Float64Array).findIndex((v) => !Number.isFinite(v))
    if (i >= 0) throw new SpecError(`${source}: ${field}: value ${i} is ${t.data[i]}; a model with non-finite weights is not exported`)
  }
  return t
}

function readJson(path: string, what: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new SpecError(`${what} ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new SpecError(`${what} ${path}: not valid JSON (${(error as Error).message})`)
  }
}

export function parseSpec(raw: unknown, source = 'spec'): ExperimentSpec {
  const parsed = experimentSpecSchema.safeParse(raw)
  if (!parsed.success) throw new SpecError(`${source}: ${describeZodError(parsed.error, 'spec').message}`)
  return parsed.data
}

export function readSpecFile(path: string): ExperimentSpec {
  return parseSpec(readJson(path, 'spec'), path)
}

export function readResultFile(path: string): ExperimentResult {
  const parsed = experimentResultSchema.safeParse(readJson(path, 'result'))
  if (!parsed.success) throw new SpecError(`${path}: ${describeZodError(parsed.error, 'result').message}`)
  return parsed.data
}

/**
 * The training specs `engram run` takes, by the family their `model.kind` names (one line per family that has one).
 * Every other spec (model.kind 'hopfield', or none) is an experiment spec.
 */
const TRAINING_SPECS = {
  rbm: rbmRunSpecSchema,
  recurrent: recurrentRunSpecSchema,
  'hopfield-layer': hopfieldLayerRunSpecSchema
} as const satisfies Partial<Record<FamilyKind, { safeParse(raw: unknown): unknown }>>

type TrainingSpecKind = keyof typeof TRAINING_SPECS

/** An experiment spec, or a family's training spec (its model's kind names the family). */
export type RunSpec = { kind: 'experiment'; spec: ExperimentSpec } | { kind: 'batch'; spec: BatchSpec } | { [K in TrainingSpecKind]: { kind: K; spec: ReturnType<(typeof TRAINING_SPECS)[K]['parse']> } }[TrainingSpecKind]

function modelKindOf(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return undefined
  const model = (raw as { model?: unknown }).model
  return typeof model === 'object' && model !== null ? (model as { kind?: unknown }).kind : undefined
}

export function parseRunSpec(raw: unknown, source = 'spec'): RunSpec {
  // A batch (any family's model trained per grid point and seed) says so with its `batch` section.
  if (typeof raw === 'object' && raw !== null && 'batch' in raw) {
    const parsed = batchSpecSchema.safeParse(raw)
    if (!parsed.success) throw new SpecError(`${source}: ${describeZodError(parsed.error, 'spec').message}`)
    return { kind: 'batch', spec: parsed.data }
  }
  const kind = modelKindOf(raw)
  if (typeof kind !== 'string' || !Object.hasOwn(TRAINING_SPECS, kind)) {
    const families = FAMILIES.map((f) => f.kind)
    if (typeof kind === 'string' && kind !== 'hopfield' && families.includes(kind as FamilyKind)) {
      throw new SpecError(`${source}: model.kind: '${kind}' has no spec file of its own yet (spec files train: hopfield (experiments), ${Object.keys(TRAINING_SPECS).join(', ')})`)
    }
    return { kind: 'experiment', spec: parseSpec(raw, source) }
  }
  const k = kind as TrainingSpecKind
  const parsed = TRAINING_SPECS[k].safeParse(raw)
  if (!parsed.success) throw new SpecError(`${source}: ${describeZodError(parsed.error, 'spec').message}`)
  // The spec parsed by the schema of its kind (the table pairs them; TypeScript does not correlate the two).
  return { kind: k, spec: parsed.data } as RunSpec
}

export function readRunSpecFile(path: string): RunSpec {
  return parseRunSpec(readJson(path, 'spec'), path)
}

/** The result files of the training specs, by the `kind` they say (an RBM result says 'engram.rbm-result'). */
const TRAINING_RESULTS = {
  'engram.rbm-result': { kind: 'rbm', schema: rbmRunResultSchema },
  'engram.recurrent-result': { kind: 'recurrent', schema: recurrentRunResultSchema },
  'engram.hopfield-layer-result': { kind: 'hopfield-layer', schema: hopfieldLayerRunResultSchema }
} as const

export type AnyResult = { kind: 'experiment'; result: ExperimentResult } | { kind: 'rbm'; result: RbmRunResult } | { kind: 'recurrent'; result: RecurrentRunResult }
  | { kind: 'hopfield-layer'; result: HopfieldLayerRunResult }

/** A result file of any kind: a training spec's (its `kind` says which), else an experiment's. */
export function readAnyResultFile(path: string): AnyResult {
  const raw = readJson(path, 'result')
  const said = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown }).kind : undefined
  const training = typeof said === 'string' && Object.hasOwn(TRAINING_RESULTS, said) ? TRAINING_RESULTS[said as keyof typeof TRAINING_RESULTS] : null
  const parsed = (training?.schema ?? experimentResultSchema).safeParse(raw)
  if (!parsed.success) throw new SpecError(`${path}: ${describeZodError(parsed.error, 'result').message}`)
  return { kind: training?.kind ?? 'experiment', result: parsed.data } as AnyResult
}
