// The services registry: each family's implementation, one line each, and the job table every worker runs from.
import { randomUUID } from 'node:crypto'
import type { FamilyKind } from '../../../shared/families'
import type { ExperimentResult, ExperimentSpec } from '../../../shared/spec'
import { runExperiment, type ExperimentData } from '../experiments'
import { runBatchHere, type BatchInput } from '../batch'
import { bamService } from './bam'
import { hopfieldService } from './hopfield'
import { hopfieldLayerService } from './hopfield-layer'
import { modernService } from './modern'
import { rbmService } from './rbm'
import { recurrentService } from './recurrent'
import type { FamilyContext, JobHandler, JobOutput, ServiceFamily, SessionData } from './types'
import { ApiError } from '../../../shared/api'
import type { ExportFormat } from '../../../shared/family'
import type { SessionModel } from '../../../shared/session'

export const SERVICE_FAMILIES = [hopfieldService, rbmService, bamService, modernService, recurrentService, hopfieldLayerService] as const

export interface ExperimentInput {
  spec: ExperimentSpec
  data: ExperimentData | null
}

/** An experiment job's output from its result, wherever it ran (a worker thread here, or the queue's workers). */
export function experimentJobOutput(spec: ExperimentSpec, result: ExperimentResult): JobOutput {
  // Sessions keep results, not weights: the model lives in the session's models.
  const { model: _model, ...rest } = result
  return { result: { kind: 'experiment', record: { id: randomUUID(), name: spec.name, createdAt: result.createdAt, result: rest } } }
}

/** Jobs that belong to no family. */
const COMMON_JOBS: Record<string, JobHandler> = {
  experiment: async (input: ExperimentInput, hooks) => experimentJobOutput(input.spec, await runExperiment(input.spec, input.data, hooks)),
  // A batch runs its runs through this very table (batch.ts imports it back: called only once both are loaded).
  'batch.train': (input: BatchInput, hooks) => runBatchHere(input, hooks)
}

/** Every job kind a worker runs: one table instead of if-chains. */
export const JOB_TABLE: Readonly<Record<string, JobHandler>> = Object.assign({}, COMMON_JOBS, ...SERVICE_FAMILIES.map((s) => s.jobs))

/** Job kinds the backend runs in its own thread (ServiceFamily.inProcessJobs). */
export const IN_PROCESS_JOBS: ReadonlySet<string> = new Set(SERVICE_FAMILIES.flatMap((s): readonly string[] => s.inProcessJobs ?? []))

/** Tells every family that these models have left the open sessions (ServiceFamily.onForget). */
export function forgetModels(modelIds: readonly string[]): void {
  if (modelIds.length) for (const s of SERVICE_FAMILIES) s.onForget?.(modelIds)
}

/** The implementation of a model kind. */
export function serviceOf(kind: FamilyKind): ServiceFamily {
  const service = SERVICE_FAMILIES.find((s) => s.family.kind === kind)
  if (!service) throw new Error(`no service registered for model kind '${kind}'`)
  return service as unknown as ServiceFamily
}

/** A model in one of its family's formats; a format the family lacks is refused naming `field`. */
export function exportModel(ctx: FamilyContext, session: SessionData, model: SessionModel, format: ExportFormat, field = 'params.format'): { suffix: string; bytes: Uint8Array } {
  const service = serviceOf(model.kind)
  if (!(service.family.exports as readonly string[]).includes(format)) {
    throw new ApiError({ code: 'bad-request', field, message: `${field}: a ${service.family.label} exports as ${service.family.exports.join(', ')}, not ${format}` })
  }
  return service.export(ctx, session, model as never, format)
}
