// Messages between the job manager and a job worker thread (`type`-tagged, structured-clone safe).
import type { AsyncRecallInput, BatchRecallInput } from '../services/recall'
import type { ExperimentData } from '../services/experiments'
import type { ExperimentSpec, HopfieldModelSpec } from '../../shared/spec'
import type { TrainedHopfield } from '../services/hopfield'
import type { RbmSampleInput, RbmTrainInput } from '../services/rbm'
import type { NamedTensor } from '../../core/safetensors'
import type { JobResult } from '../../shared/api'

export type WorkerTask =
  | { kind: 'recall.async'; input: AsyncRecallInput }
  | { kind: 'recall.batch'; input: BatchRecallInput }
  | { kind: 'experiment'; spec: ExperimentSpec; data: ExperimentData | null }
  | { kind: 'rbm.train'; input: RbmTrainInput }
  /** Internal: training that is too slow for the backend's thread; answered with `trained`, not a JobResult. */
  | { kind: 'hopfield.train'; stored: Int8Array[]; spec: HopfieldModelSpec; seed: number }
  | { kind: 'rbm.sample'; input: RbmSampleInput; modelId: string; width: number; height: number }
  /** Test hooks: a job that crashes its worker, and one that runs until cancelled. */
  | { kind: 'test.crash' }
  | { kind: 'test.spin' }

export type ToWorker = { type: 'start'; jobId: string; task: WorkerTask } | { type: 'cancel' }

export type FromWorker =
  | { type: 'progress'; fraction: number; done: number; total: number; message: string; metrics?: Record<string, number> }
  | { type: 'done'; result: JobResult; tensors?: Record<string, NamedTensor> }
  | { type: 'trained'; trained: TrainedHopfield }
  | { type: 'failed'; error: string; cancelled: boolean }
