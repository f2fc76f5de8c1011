// Job worker: only a message loop; the work itself is in the job table (services/families). It runs as a forked
// child process (the default: process.send / process.on('message')), an Electron utility process (the app:
// process.parentPort) or a worker thread (worker_threads' parentPort).
import { parentPort } from 'node:worker_threads'
import { CancelledError } from '../../shared/errors'
import type { ComputeHooks } from '../services/hooks'
import { JOB_TABLE } from '../services/families'
import type { FamilyTask, JobOutput } from '../services/families/types'
import type { FromWorker, ToWorker, WorkerTask } from './protocol'

/** The one channel to the job manager, whichever way this worker was started. */
interface Port {
  post(message: FromWorker): void
  onMessage(listener: (message: ToWorker) => void): void
}

/** `process.parentPort` in an Electron utility process (electron.d.ts's ParentPort, without importing electron). */
interface ElectronParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (event: { data: ToWorker }) => void): void
}

/** An error that escapes every handler: tell the app what it was (`report`), then end (the app fails the job with it). */
function reportCrashes(report: (message: FromWorker, then: () => void) => void): void {
  process.on('uncaughtException', (error) => {
    report({ type: 'crashed', error: error.message }, () => process.exit(1))
    setTimeout(() => process.exit(1), 1000).unref()
  })
}

function openPort(): Port {
  const thread = parentPort
  if (thread) return { post: (m) => thread.postMessage(m), onMessage: (l) => thread.on('message', l) }
  const utility = (process as { parentPort?: ElectronParentPort }).parentPort
  if (utility) {
    // An Electron utility process ends with the app (Chromium ends its child processes). Its messages go through
    // another channel than its exit notice: the report is given a moment to leave before the exit.
    reportCrashes((m, then) => {
      utility.postMessage(m)
      setTimeout(then, 20)
    })
    return { post: (m) => utility.postMessage(m), onMessage: (l) => utility.on('message', (event) => l(event.data)) }
  }
  const send = process.send?.bind(process)
  if (!send) throw new Error('job-worker must run in a worker thread, a forked child process or an Electron utility process')
  // No orphans: when the app goes away (closed, killed, crashed) its end of the channel closes and this process ends.
  process.on('disconnect', () => process.exit(1))
  reportCrashes((m, then) => send(m, then))
  return { post: (m) => void send(m), onMessage: (l) => process.on('message', l) }
}

const port = openPort()
let cancelled = false

const post = (message: FromWorker): void => port.post(message)

/**
 * Plain progress (no metrics) at most every PROGRESS_INTERVAL_MS: a fast training reports hundreds of steps a second,
 * and every report becomes a WebSocket event and a redraw in each window. Reports with metrics (an epoch's figures,
 * drawn on the live charts) and the last one always go.
 */
const PROGRESS_INTERVAL_MS = 100
let lastProgress = 0

const hooks: ComputeHooks = {
  onProgress: (fraction, done, total, message, metrics, text) => {
    const now = Date.now()
    if (!metrics && text === undefined && done < total && now - lastProgress < PROGRESS_INTERVAL_MS) return
    lastProgress = now
    post({ type: 'progress', fraction, done, total, message, ...(metrics ? { metrics } : {}), ...(text !== undefined ? { text } : {}) })
  },
  shouldCancel: () => cancelled,
  onCheckpoint: (model, tensors) => post({ type: 'checkpoint', model, tensors })
}

/** A job's result, and for training jobs the tensors the backend stores in the session (never sent to clients). */
async function run(task: WorkerTask): Promise<JobOutput> {
  if (task.kind === 'test.crash') {
    // Simulates a native crash or a bug that escapes every handler.
    setImmediate(() => {
      throw new Error('worker crashed on purpose (test.crash)')
    })
    return new Promise<never>(() => {})
  }
  if (task.kind === 'test.spin') {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      if (cancelled) throw new CancelledError()
    }
  }
  if (task.kind === 'test.throw') throw new Error('a bug in the job (test.throw)')
  if (task.kind === 'test.oom') {
    // Holds ever more small objects, yielding now and then so a cancel could come in: only the heap limit stops it.
    const hoard: number[][] = []
    for (;;) {
      for (let i = 0; i < 1000; i++) hoard.push(Array.from({ length: 100 }, (_, k) => k + hoard.length))
      await new Promise((resolve) => setImmediate(resolve))
      if (cancelled) throw new CancelledError()
    }
  }
  const handler = JOB_TABLE[task.kind]
  if (!handler) throw new Error(`no job kind '${task.kind}' in the job table`)
  return await handler((task as FamilyTask).input as never, hooks)
}

port.onMessage((message) => {
  if (message.type === 'cancel') {
    cancelled = true
    return
  }
  run(message.task).then(
    ({ result, tensors }) => post({ type: 'done', result, ...(tensors ? { tensors } : {}) }),
    (error: unknown) => {
      post({ type: 'failed', error: error instanceof Error ? error.message : String(error), cancelled: error instanceof CancelledError })
    }
  )
})
