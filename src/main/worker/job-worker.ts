// Job worker thread: only a message loop; the work itself lives in the services (hopfield, recall, experiments, rbm).
import { parentPort } from 'node:worker_threads'
import { randomUUID } from 'node:crypto'
import { CancelledError } from '../../shared/errors'
import type { ComputeHooks } from '../services/hooks'
import { trainHopfield } from '../services/hopfield'
import { runAsyncRecall, runBatchRecall } from '../services/recall'
import { runExperiment } from '../services/experiments'
import type { FromWorker, ToWorker, WorkerTask } from './protocol'
import { sampleRbmJob, trainRbmJob } from '../services/rbm'
import type { NamedTensor } from '../../core/safetensors'
import type { JobResult } from '../../shared/api'

if (!parentPort) throw new Error('job-worker must run in a worker thread')
const port = parentPort
let cancelled = false

const post = (message: FromWorker): void => port.postMessage(message)

const hooks: ComputeHooks = {
  onProgress: (fraction, done, total, message, metrics) => post({ type: 'progress', fraction, done, total, message, ...(metrics ? { metrics } : {}) }),
  shouldCancel: () => cancelled
}

/** A job's result, and for training jobs the tensors the backend stores in the session (never sent to clients). */
async function run(task: WorkerTask): Promise<{ result: JobResult; tensors?: Record<string, NamedTensor> }> {
  switch (task.kind) {
    case 'rbm.train': {
      const out = await trainRbmJob(task.input, hooks)
      return { result: { kind: 'rbm.train', model: out.info }, tensors: out.tensors }
    }
    case 'rbm.sample': {
      const out = await sampleRbmJob(task.input, hooks)
      return {
        result: { kind: 'rbm.sample', modelId: task.modelId, width: task.width, height: task.height, steps: task.input.steps, from: task.input.from, samples: out.samples, provider: out.provider }
      }
    }
    case 'recall.async':
      return { result: { kind: 'recall.async', result: runAsyncRecall(task.input, hooks) } }
    case 'recall.batch':
      return { result: { kind: 'recall.batch', result: (await runBatchRecall(task.input, hooks)).result } }
    case 'experiment': {
      const result = await runExperiment(task.spec, task.data, hooks)
      // Sessions keep results, not weights: the model lives in the session's models.
      const { model: _model, ...rest } = result
      return { result: { kind: 'experiment', record: { id: randomUUID(), name: task.spec.name, createdAt: result.createdAt, result: rest } } }
    }
    case 'hopfield.train':
      throw new Error('hopfield.train is answered directly')
    case 'test.crash':
      // Simulates a native crash or a bug that escapes every handler.
      setImmediate(() => {
        throw new Error('worker crashed on purpose (test.crash)')
      })
      return new Promise<never>(() => {})
    case 'test.spin':
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        if (cancelled) throw new CancelledError()
      }
  }
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') {
    cancelled = true
    return
  }
  if (message.task.kind === 'hopfield.train') {
    const { stored, spec, seed } = message.task
    try {
      post({ type: 'trained', trained: trainHopfield(stored, spec, seed, hooks) })
    } catch (error) {
      post({ type: 'failed', error: error instanceof Error ? error.message : String(error), cancelled: error instanceof CancelledError })
    }
    return
  }
  run(message.task).then(
    ({ result, tensors }) => post({ type: 'done', result, ...(tensors ? { tensors } : {}) }),
    (error: unknown) => {
      post({ type: 'failed', error: error instanceof Error ? error.message : String(error), cancelled: error instanceof CancelledError })
    }
  )
})
