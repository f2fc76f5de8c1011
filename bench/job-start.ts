// Benchmark: what running each job in a process of its own costs at its start, against a worker thread (where jobs
// ran before issue 11). Both run the built job worker (out/main/job-worker.js: `npx electron-vite build` first), as
// `engram serve` and the CLI do, through the same JobManager.
//  - start → first answer: a job that fails at once (test.throw): starting the worker, loading the job table, one
//    message each way.
//  - start → first epoch report, and start → done, of a small RBM training on the engine (200 digits, 32 hidden,
//    5 epochs) through a Backend: the above plus loading onnxruntime and building its sessions.
// Interleaved rounds (thread, process, thread, …); medians and ranges printed, never asserted.
//
// node --import tsx --import ./tests/helpers/raw-hooks.mjs bench/job-start.ts [--rounds 10]   (the datasets are ?raw imports)
// Writes bench/results/job-start.json.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Backend } from '../src/main/services/backend'
import { JobManager, type WorkerEntry } from '../src/main/services/jobs'
import { argValue, median, ROOT, run, writeRecord } from './common'

const ROUNDS = Number(argValue('--rounds', '10'))
const built = join(ROOT, 'out', 'main', 'job-worker.js')
const RBM = { dataset: { builtin: 'digits', count: 200 }, model: { kind: 'rbm', hidden: 32, epochs: 5, batchSize: 20, learningRate: 0.1 }, seed: 7 } as const
type Isolation = 'thread' | 'process'
const entry = (isolation: Isolation): WorkerEntry => ({ url: pathToFileURL(built), isolation })

async function firstAnswer(isolation: Isolation): Promise<number> {
  const jobs = new JobManager(entry(isolation))
  const t0 = performance.now()
  const error = await new Promise<string>((resolve) => jobs.start({ kind: 'test.throw' }, { onProgress() {}, onDone: () => resolve('done?!'), onFailed: resolve }))
  const ms = performance.now() - t0
  if (error !== 'a bug in the job (test.throw)') throw new Error(`test.throw: ${error}`)
  await jobs.close()
  return ms
}

async function training(isolation: Isolation): Promise<{ firstReport: number; done: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'engram-bench-start-'))
  const backend = new Backend({ dataDir: dir, transport: 'websocket', worker: entry(isolation), provider: 'cpu' })
  try {
    const s = await backend.call('sessions.create', { name: 'bench' })
    const t0 = performance.now()
    let firstReport = 0
    const { jobId } = await backend.call('models.train', { sessionId: s.id, ...RBM })
    await new Promise<void>((resolve, reject) => {
      backend.on('job.progress', (p) => {
        if (p.jobId === jobId && p.metrics && !firstReport) firstReport = performance.now() - t0
      })
      backend.on('job.done', (p) => p.jobId === jobId && resolve())
      backend.on('job.failed', (p) => p.jobId === jobId && reject(new Error(p.error)))
    })
    return { firstReport, done: performance.now() - t0 }
  } finally {
    await backend.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const range = (xs: number[]): string => `median ${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`

run(async () => {
  if (!existsSync(built)) throw new Error(`${built} is missing: run npx electron-vite build first`)
  const figures: Record<Isolation, { answer: number[]; firstReport: number[]; done: number[] }> = {
    thread: { answer: [], firstReport: [], done: [] },
    process: { answer: [], firstReport: [], done: [] }
  }
  // One warm-up of each (file cache), not counted.
  for (const isolation of ['thread', 'process'] as const) {
    await firstAnswer(isolation)
    await training(isolation)
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const isolation of ['thread', 'process'] as const) {
      figures[isolation].answer.push(await firstAnswer(isolation))
      const t = await training(isolation)
      figures[isolation].firstReport.push(t.firstReport)
      figures[isolation].done.push(t.done)
    }
  }
  console.log(`job start, ${ROUNDS} interleaved rounds (built worker, Node ${process.version}):`)
  console.log('| where the job runs | start → first answer (test.throw) | start → first epoch report (RBM on the engine) | start → done (5 epochs) |')
  console.log('|---|---|---|---|')
  for (const isolation of ['thread', 'process'] as const) {
    const f = figures[isolation]
    console.log(`| ${isolation === 'thread' ? 'worker thread' : 'child process'} | ${range(f.answer)} | ${range(f.firstReport)} | ${range(f.done)} |`)
  }
  writeRecord(join(ROOT, 'bench', 'results', 'job-start.json'), { rounds: ROUNDS, figures })
})
