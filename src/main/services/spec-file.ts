// Reads and validates experiment specs and result files, with errors that name the file and the field.
import { readFileSync } from 'node:fs'
import { describeZodError } from '../../shared/api'
import { experimentResultSchema, experimentSpecSchema, type ExperimentResult, type ExperimentSpec } from '../../shared/spec'

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
