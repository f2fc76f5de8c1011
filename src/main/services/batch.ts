// Batches of training runs (src/shared/batch.ts): every run is its family's own training job (`<kind>.train`, built by
// the family's trainTask, run by the job table), here one after another or as one queue shard each on `engram worker`s;
// both paths end in batchOutput, so the same batch gives the same models (state dicts byte for byte) either way. (The
// worker's side of a shard is in src/main/queue/worker.ts: this module runs in job threads, which load no catalogs.)
import { batchModelName, batchRuns, runTrainRequest, type BatchResult, type BatchResultFile, type BatchRun, type BatchSpec } from '../../shared/batch'
import { CancelledError } from '../../shared/errors'
import type { TrainRequest } from '../../shared/families'
import type { TrainShardResult } from '../../shared/shards'
import type { NamedTensor } from '../../core/safetensors'
import { tensorFromJson, tensorToJson } from '../../core/tensor-json'
import { JOB_TABLE, serviceOf } from './families'
import type { FamilyContext, FamilyTask, JobOutput } from './families/types'
import type { ComputeHooks } from './hooks'

export interface BatchRunTask {
  run: BatchRun
  /** The run's training request (what a queue shard carries). */
  request: TrainRequest
  /** The run's task here (what a worker thread runs). */
  task: FamilyTask
}

export interface BatchInput {
  spec: BatchSpec
  provider: FamilyContext['provider']
  runs: BatchRunTask[]
}

/** Where a run's tensors go in a batch's output (the backend lands them as `models/<id>/<name>`). */
const runPrefix = (index: number): string => `runs/${index}/`

/**
 * Checks every run of a batch against the datasets and texts, and builds its family's task (errors name the field under
 * `field`, e.g. params.batch.dataset, before any work starts).
 */
export function batchTask(ctx: FamilyContext, spec: BatchSpec, field: string): FamilyTask {
  const runs = batchRuns(spec).map((run) => {
    const service = serviceOf(run.model.kind)
    const request = service.family.train.request.parse(runTrainRequest(spec, run)) as TrainRequest
    return { run, request, task: service.trainTask(ctx, request as never, field) }
  })
  const input: BatchInput = { spec, provider: ctx.provider, runs }
  return { kind: 'batch.train', input }
}

/** The batch's job output from each run's training output, in run order: the models named for the batch, tensors under runs/<i>/. */
export function batchOutput(spec: BatchSpec, outputs: readonly JobOutput[]): JobOutput {
  const runs = batchRuns(spec)
  if (outputs.length !== runs.length) throw new Error(`batch ${spec.name}: ${outputs.length} trained models for ${runs.length} runs`)
  const tensors: Record<string, NamedTensor> = {}
  const result: BatchResult = {
    kind: 'batch.train',
    name: spec.name,
    runs: runs.map((run, i) => {
      const out = outputs[i]!
      if (!('model' in out.result)) throw new Error(`batch ${spec.name}: run ${i} returned a ${out.result.kind} result, not a trained model`)
      for (const [name, t] of Object.entries(out.tensors ?? {})) tensors[`${runPrefix(i)}${name}`] = t
      const model = out.result.model
      return { index: run.index, seed: run.seed, params: run.params, model: { ...model, name: batchModelName(spec, run, runs.length, model.name) } }
    })
  }
  return { result, tensors }
}

/** A run's tensors from a batch output (names without the runs/<i>/ prefix). */
export function runTensors(tensors: Readonly<Record<string, NamedTensor>>, index: number): Record<string, NamedTensor> {
  const prefix = runPrefix(index)
  return Object.fromEntries(Object.entries(tensors).flatMap(([name, t]) => (name.startsWith(prefix) ? [[name.slice(prefix.length), t]] : [])))
}

/** A batch's result file (`engram run`): the spec, and every run's seed, grid values, model info and state dict (tensor JSON). */
export function batchResultFile(spec: BatchSpec, output: JobOutput, version: string): BatchResultFile {
  if (output.result.kind !== 'batch.train') throw new Error(`batch: a ${output.result.kind} result came back`)
  const runs = output.result.runs.map((r) => ({ ...r, stateDict: Object.fromEntries(Object.entries(runTensors(output.tensors ?? {}, r.index)).map(([name, t]) => [name, tensorToJson(t)])) }))
  return { kind: 'engram.batch-result', version, spec, createdAt: new Date().toISOString(), runs }
}

/** Runs a batch here, one run after another; a cancel stops it (the run under way is cut short, nothing is kept). */
export async function runBatchHere(input: BatchInput, hooks: ComputeHooks): Promise<JobOutput> {
  const n = input.runs.length
  const outputs: JobOutput[] = []
  for (const [i, { task }] of input.runs.entries()) {
    if (hooks.shouldCancel?.()) throw new CancelledError()
    const handler = JOB_TABLE[task.kind]
    if (!handler) throw new Error(`batch: no job '${task.kind}'`)
    const out = await handler(task.input as never, {
      onProgress: (f, _done, _total, message) => {
        const fraction = (i + f) / n
        hooks.onProgress?.(fraction, Math.round(fraction * 1000), 1000, `run ${i + 1}/${n}: ${message}`)
      },
      shouldCancel: hooks.shouldCancel
    })
    // A training cancelled midway returns its partial model: a batch keeps whole runs only.
    if (hooks.shouldCancel?.()) throw new CancelledError()
    outputs.push(out)
  }
  return batchOutput(input.spec, outputs)
}

/** A run's training output from a worker's result (its tensors decoded; a damaged one names the shard and tensor). */
export function trainOutputOf(request: TrainRequest, result: TrainShardResult): JobOutput {
  if (result.model.kind !== request.model.kind) throw new Error(`shard ${result.id}: a ${result.model.kind} model came back for a ${request.model.kind} run`)
  const tensors: Record<string, NamedTensor> = {}
  for (const [name, json] of Object.entries(result.tensors)) {
    try {
      tensors[name] = tensorFromJson(json)
    } catch (error) {
      throw new Error(`shard ${result.id}: tensors.${name}: ${(error as Error).message}`)
    }
  }
  return { result: { kind: request.kind, model: result.model } as JobOutput['result'], tensors }
}
