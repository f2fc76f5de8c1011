// Messages between the job manager and a job worker (a child process or a worker thread; `type`-tagged, structured-clone safe).
import type { NamedTensor } from '../../core/safetensors'
import type { JobResult } from '../../shared/api'
import type { SessionModel } from '../../shared/session'
import type { FamilyTask } from '../services/families/types'

/** A job for the worker: a kind of the job table (services/families) and its input; plus two test hooks. */
export type WorkerTask =
  | FamilyTask
  /** Test hooks: a job that crashes its worker, one that runs until cancelled, one that throws, one that eats its heap. */
  | { kind: 'test.crash' }
  | { kind: 'test.spin' }
  | { kind: 'test.throw' }
  | { kind: 'test.oom' }

export type ToWorker = { type: 'start'; jobId: string; task: WorkerTask } | { type: 'cancel' }

export type FromWorker =
  | { type: 'progress'; fraction: number; done: number; total: number; message: string; metrics?: Record<string, number>; text?: string }
  | { type: 'checkpoint'; model: SessionModel; tensors: Record<string, NamedTensor> }
  | { type: 'done'; result: JobResult; tensors?: Record<string, NamedTensor> }
  | { type: 'failed'; error: string; cancelled: boolean }
  /** A child process's uncaught error, sent just before it exits (a worker thread reports it as its 'error' event). */
  | { type: 'crashed'; error: string }
