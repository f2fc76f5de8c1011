// Reads and validates experiment specs and result files, with errors that name the file and the field.
import { readFileSync } from 'node:fs'
import { describeZodError } from '../../shared/api'
import { experimentResultSchema, experimentSpecSchema, type ExperimentResult, type ExperimentSpec } from '../../shared/spec'
import { isRbmRunSpec, rbmRunResultSchema, rbmRunSpecSchema, type RbmRunResult, type RbmRunSpec } from '../../shared/rbm-run'

export class SpecError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SpecError'
  }
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

/** An experiment spec, or an RBM training spec (its model has kind 'rbm'). */
export type RunSpec = { kind: 'experiment'; spec: ExperimentSpec } | { kind: 'rbm'; spec: RbmRunSpec }

export function parseRunSpec(raw: unknown, source = 'spec'): RunSpec {
  if (!isRbmRunSpec(raw)) return { kind: 'experiment', spec: parseSpec(raw, source) }
  const parsed = rbmRunSpecSchema.safeParse(raw)
  if (!parsed.success) throw new SpecError(`${source}: ${describeZodError(parsed.error, 'spec').message}`)
  return { kind: 'rbm', spec: parsed.data }
}

export function readRunSpecFile(path: string): RunSpec {
  return parseRunSpec(readJson(path, 'spec'), path)
}

/** A result file of either kind (an RBM result says kind 'engram.rbm-result'). */
export function readAnyResultFile(path: string): { kind: 'experiment'; result: ExperimentResult } | { kind: 'rbm'; result: RbmRunResult } {
  const raw = readJson(path, 'result')
  if (typeof raw === 'object' && raw !== null && (raw as { kind?: unknown }).kind === 'engram.rbm-result') {
    const parsed = rbmRunResultSchema.safeParse(raw)
    if (!parsed.success) throw new SpecError(`${path}: ${describeZodError(parsed.error, 'result').message}`)
    return { kind: 'rbm', result: parsed.data }
  }
  const parsed = experimentResultSchema.safeParse(raw)
  if (!parsed.success) throw new SpecError(`${path}: ${describeZodError(parsed.error, 'result').message}`)
  return { kind: 'experiment', result: parsed.data }
}
