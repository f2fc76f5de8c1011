// Runs each job in its own process (a Node child process, or an Electron utility process in the app; a worker thread
// only where asked): progress events with rate and ETA, cancel, and crash isolation.
import { fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { JobResult } from '../../shared/api'
import type { NamedTensor } from '../../core/safetensors'
import type { SessionModel } from '../../shared/session'
import type { FromWorker, ToWorker, WorkerTask } from '../worker/protocol'

export interface WorkerEntry {
  /** The job-worker module a worker thread runs. */
  url: URL
  /** Passed as workerData (the source-mode bootstrap uses it to find the TypeScript entry). */
  workerData?: unknown
  /**
   * Each job's heap limits: a job that goes over them fails with a message; the app and other jobs go on. In a child
   * or utility process only maxOldGenerationSizeMb applies (as --max-old-space-size).
   */
  resourceLimits?: import('node:worker_threads').ResourceLimits
  /**
   * Where each job runs:
   * - 'process' (the default): a forked Node child process. Killing it, or it running out of memory, cannot take the
   *   app down (tests/main/jobs-kill.test.ts).
   * - 'utility': an Electron utility process (`utility` below): Electron's own child process, which needs no
   *   ELECTRON_RUN_AS_NODE (the RunAsNode fuse is off in the packaged app); the same isolation.
   * - 'thread': a worker thread, no process of its own (and not faster to start here: bench/job-start.ts). A
   *   terminate() inside an onnxruntime run, or V8's out-of-memory handler, aborts the whole process
   *   (docs/reliability.md): for tests and measurements only.
   */
  isolation?: 'process' | 'utility' | 'thread'
  /** The module a child or utility process runs (default: url) and its Node flags (source mode: a TypeScript loader). */
  processUrl?: URL
  execArgv?: string[]
  /** Electron's utilityProcess (src/main/index.ts passes it; this module does not import electron). */
  utility?: UtilityProcessApi
}

/** The part of Electron's `utilityProcess` the job manager uses. */
export interface UtilityProcessApi {
  fork(modulePath: string, args?: string[], options?: { execArgv?: string[]; stdio?: Array<'pipe' | 'ignore' | 'inherit'>; serviceName?: string }): UtilityChild
}

/** The part of Electron's `UtilityProcess` (one job's process) the job manager uses. */
export interface UtilityChild {
  readonly pid: number | undefined
  readonly stderr: NodeJS.ReadableStream | null
  postMessage(message: unknown): void
  kill(): boolean
  on(event: 'message', listener: (message: unknown) => void): this
  /** Emitted after the process ends; `code` from waitpid (a process ended by a signal: Chromium reports the signal's number). */
  on(event: 'exit', listener: (code: number) => void): this
  /** A fatal V8 error (out of memory among them); 'exit' follows. */
  on(event: 'error', listener: (type: 'FatalError', location: string, report: string) => void): this
}

/** A running job's worker, thread or child process, as the job manager drives it. */
interface JobHandle {
  /** A process's id (a worker thread has none). */
  readonly pid?: number | undefined
  send(message: ToWorker): void
  /** Ends it at once (a process: SIGKILL; a thread: terminate()); resolves when it is gone. */
  kill(): Promise<void>
}

interface JobEvents {
  message(message: FromWorker): void
  /** It is gone before it settled its job: why, as the job's failure message. */
  died(reason: string): void
}

function startThread(entry: WorkerEntry, on: JobEvents): JobHandle {
  const worker = new Worker(entry.url, { workerData: entry.workerData, ...(entry.resourceLimits ? { resourceLimits: entry.resourceLimits } : {}) })
  worker.on('message', on.message)
  worker.on('error', (error) => on.died(`worker crashed: ${error.message}`))
  worker.on('exit', (code) => on.died(`worker exited unexpectedly (code ${code})`))
  return { send: (m) => worker.postMessage(m), kill: async () => void (await worker.terminate()) }
}

/** The last bytes of a process's stderr, kept to tell an out-of-memory death from another one. */
const STDERR_TAIL = 4096
const OUT_OF_MEMORY = /heap out of memory|Reached heap limit/i

/**
 * What a job's process (child or utility) needs besides its messages: its flags, its stderr passed on (and its tail
 * kept), its own crash report taken apart from the other messages, and why it died, as the job's failure message.
 */
function processDeath(entry: WorkerEntry, on: JobEvents) {
  const heapMb = entry.resourceLimits?.maxOldGenerationSizeMb
  let stderr = ''
  let crash: string | undefined
  return {
    modulePath: fileURLToPath(entry.processUrl ?? entry.url),
    execArgv: [...(entry.execArgv ?? []), ...(heapMb ? [`--max-old-space-size=${heapMb}`] : [])],
    stderr(stream: NodeJS.ReadableStream | null | undefined): void {
      stream?.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk)
        stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL)
      })
    },
    message(message: FromWorker): void {
      if (message.type === 'crashed') crash = message.error
      else on.message(message)
    },
    /** `how`: 'signal SIGKILL', 'code 1'; `fatal`: what Electron reported of a fatal V8 error. */
    died(how: string, fatal = ''): void {
      if (crash !== undefined) on.died(`worker crashed: ${crash}`)
      else if (OUT_OF_MEMORY.test(stderr) || OUT_OF_MEMORY.test(fatal)) on.died(`worker crashed: out of memory (JavaScript heap${heapMb ? ` over its ${heapMb} MiB limit` : ''})`)
      else on.died(`worker exited unexpectedly (${how})`)
    }
  }
}

function startProcess(entry: WorkerEntry, on: JobEvents): JobHandle {
  const death = processDeath(entry, on)
  const child: ChildProcess = fork(death.modulePath, [], { execArgv: death.execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] })
  death.stderr(child.stderr)
  child.on('message', death.message)
  child.on('error', (error) => on.died(`worker crashed: ${error.message}`))
  const exited = new Promise<void>((resolve) => {
    // 'close', not 'exit': the last messages (a crash report) and stderr (an out-of-memory report) are in by then.
    child.on('close', (code, signal) => {
      resolve()
      death.died(signal ? `signal ${signal}` : `code ${code}`)
    })
  })
  return {
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    send: (m) => {
      if (child.connected) child.send(m)
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    }
  }
}

/**
 * How long after a utility process's 'exit' its death is judged: its last messages and stderr come through other
 * channels than the exit notice and may arrive just after it.
 */
const UTILITY_SETTLE_MS = 100

function startUtility(entry: WorkerEntry, on: JobEvents): JobHandle {
  if (!entry.utility) throw new Error("isolation 'utility' needs Electron's utilityProcess (WorkerEntry.utility)")
  const death = processDeath(entry, on)
  const child = entry.utility.fork(death.modulePath, [], { execArgv: death.execArgv, stdio: ['ignore', 'inherit', 'pipe'], serviceName: 'Engram job' })
  death.stderr(child.stderr)
  let fatal = ''
  let gone = false
  child.on('message', (message) => death.message(message as FromWorker))
  child.on('error', (_type, location, report) => void (fatal = `${location}\n${report}`))
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code) => {
      gone = true
      setTimeout(() => {
        resolve()
        death.died(`code ${code}`, fatal)
      }, UTILITY_SETTLE_MS)
    })
  })
  return {
    // Known once the process has spawned.
    get pid() {
      return child.pid
    },
    send: (m) => {
      if (!gone) child.postMessage(m)
    },
    kill: async () => {
      // utilityProcess.kill() is a SIGTERM; a job stuck in a native run gets the SIGKILL a child process gets.
      if (!gone) {
        try {
          if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
          else child.kill()
        } catch {
          // Gone meanwhile: its 'exit' is on its way.
        }
      }
      await exited
    }
  }
}

const START = { process: startProcess, utility: startUtility, thread: startThread } as const

export interface JobProgress {
  jobId: string
  fraction: number
  rate: number
  etaSeconds: number | null
  message: string
  metrics?: Record<string, number>
  text?: string
}

export interface JobCallbacks {
  onProgress(progress: JobProgress): void
  /** A training's checkpoint (hooks.onCheckpoint): the model as a cancel now would keep it, with its tensors. */
  onCheckpoint?(model: SessionModel, tensors: Record<string, NamedTensor>): void
  onDone(result: JobResult, tensors?: Record<string, NamedTensor>): void
  onFailed(error: string, cancelled: boolean): void
}

interface RunningJob {
  worker: JobHandle
  started: number
  cancelRequested: boolean
  settled: boolean
  killTimer?: NodeJS.Timeout
}

/** How long a worker gets to stop on its own after a cancel before it is killed. */
const CANCEL_GRACE_MS = 2000
/** How long close() waits for the jobs to stop on their own. */
const CLOSE_GRACE_MS = 3000

/** A progress report with its rate (work units per second since `started`) and ETA. */
export function jobProgress(jobId: string, started: number, fraction: number, done: number, total: number, message: string): JobProgress {
  const elapsed = (performance.now() - started) / 1000
  const rate = elapsed > 0 ? done / elapsed : 0
  return { jobId, fraction, rate, etaSeconds: rate > 0 ? (total - done) / rate : null, message }
}

/** Where jobs run: processes (or threads) here (JobManager), or shardable ones on a queue (src/main/queue/jobs.ts). */
export interface JobRunner {
  readonly running: number
  start(task: WorkerTask, callbacks: JobCallbacks): string
  cancel(jobId: string): boolean
  close(): Promise<void>
}

export class JobManager implements JobRunner {
  private readonly jobs = new Map<string, RunningJob>()

  constructor(private readonly entry: WorkerEntry) {}

  get running(): number {
    return this.jobs.size
  }

  start(task: WorkerTask, callbacks: JobCallbacks): string {
    const jobId = randomUUID()
    // The handle is set just below; the events only come after this function returns.
    const job = { started: performance.now(), cancelRequested: false, settled: false } as RunningJob

    const settle = (fn: () => void): void => {
      if (job.settled) return
      job.settled = true
      if (job.killTimer) clearTimeout(job.killTimer)
      this.jobs.delete(jobId)
      fn()
      void job.worker.kill()
    }

    const events: JobEvents = {
      message: (message) => {
        switch (message.type) {
          case 'progress':
            callbacks.onProgress({
              ...jobProgress(jobId, job.started, message.fraction, message.done, message.total, message.message),
              ...(message.metrics ? { metrics: message.metrics } : {}),
              ...(message.text !== undefined ? { text: message.text } : {})
            })
            break
          case 'checkpoint':
            if (!job.settled) callbacks.onCheckpoint?.(message.model, message.tensors)
            break
          case 'done':
            settle(() => callbacks.onDone(message.result, message.tensors))
            break
          case 'failed':
            settle(() => callbacks.onFailed(message.cancelled ? 'cancelled' : message.error, message.cancelled || job.cancelRequested))
            break
        }
      },
      died: (reason) => settle(() => (job.cancelRequested ? callbacks.onFailed('cancelled', true) : callbacks.onFailed(reason, false)))
    }
    job.worker = START[this.entry.isolation ?? 'process'](this.entry, events)
    this.jobs.set(jobId, job)
    job.worker.send({ type: 'start', jobId, task })
    return jobId
  }

  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId)
    if (!job) return false
    job.cancelRequested = true
    job.worker.send({ type: 'cancel' })
    // A worker stuck inside a native call cannot read the message: kill it after a grace period.
    job.killTimer = setTimeout(() => void job.worker.kill(), CANCEL_GRACE_MS)
    return true
  }

  /**
   * Stops every job: first as a cancel (a training keeps its partial model, which the backend stores as its last
   * checkpoint), waiting up to CLOSE_GRACE_MS, then by killing the workers still running (a child process: SIGKILL;
   * a worker thread: terminate(), which inside an onnxruntime run can abort the whole process, docs/reliability.md).
   */
  async close(): Promise<void> {
    for (const id of [...this.jobs.keys()]) this.cancel(id)
    const deadline = performance.now() + CLOSE_GRACE_MS
    while (this.jobs.size > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    const all = [...this.jobs.values()]
    this.jobs.clear()
    for (const job of all) {
      job.settled = true
      if (job.killTimer) clearTimeout(job.killTimer)
    }
    await Promise.all(all.map((j) => j.worker.kill()))
  }
}
