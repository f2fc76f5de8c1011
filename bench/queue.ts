// Benchmark: a capacity sweep at N = 1024 run here, then on a BullMQ queue (Debian's redis-server on loopback) with
// 1 and 2 `engram worker` processes on this machine; the queue overhead per shard, measured on tiny shards; the
// shard size at which that overhead is under 5 % of a shard's work. Every queued result is checked against the
// local one (JSON-equal but for createdAt).
//
// Second workload (issue 12, training runs): a batch of 8 RBM trainings on the built-in digits (8 seeds, CD-1 on the
// engine, one run per shard), here and on 1 and 2 workers; every queued batch's models are checked against the
// local ones (infos but for id and createdAt, state dicts byte for byte).
//
// Run: npm run build && npx node --import tsx --import ./tests/helpers/raw-hooks.mjs bench/queue.ts [--trials 8] [--workloads capacity,batch] [--runs 8] [--out bench/results/queue.json]
// Workload: N = 1024, P ∈ {40, 80, 120} random ±1 patterns, Hebb, `trials` pattern sets per P, 2 cues per pattern
// with 10 % flipped, synchronous recall on the engine (CPU, 1 ORT thread everywhere, so 2 workers use 2 cores).
// Overhead: N = 32, P ∈ {2, 4}, 64 trials, 1 trial per shard (128 shards of about a millisecond), 1 worker.
import { runBatchOnQueue, runOnQueue } from '../src/main/queue/coordinator'
import { batchTask, runBatchHere, runTensors, type BatchInput } from '../src/main/services/batch'
import { DatasetCatalog } from '../src/main/services/datasets'
import type { JobOutput } from '../src/main/services/families/types'
import { batchSpecSchema } from '../src/shared/batch'
import { runExperiment } from '../src/main/services/experiments'
import { planShards } from '../src/main/services/experiments/shards'
import { experimentSpecSchema, type ExperimentResult } from '../src/shared/spec'
import { ensureBuiltCli, isReady, startRedis, startWorker, until, type WorkerProc } from '../tests/helpers/queue-pool'
import { argValue, machine, run, writeRecord, ROOT } from './common'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const trials = Number(argValue('--trials', '8'))
const out = argValue('--out', join(ROOT, 'bench', 'results', 'queue.json'))
const workloads = argValue('--workloads', 'capacity,batch').split(',')
const runs = Number(argValue('--runs', '8'))

const batch = batchSpecSchema.parse({
  name: 'bench-batch',
  dataset: { builtin: 'digits' },
  model: { kind: 'rbm', hidden: 64, epochs: 6, batchSize: 50, learningRate: 0.05 },
  batch: { seeds: Array.from({ length: runs }, (_, i) => i + 1) }
})
// No texts (an RBM trains on a dataset; the shipped corpora load through the bundler, which tsx is not).
const ctx = { datasets: new DatasetCatalog(null), provider: 'cpu' } as const
const batchInput = batchTask(ctx, batch, 'batch').input as BatchInput
const batchOnQueue = (url: string) => runBatchOnQueue({ spec: batch, provider: 'cpu', requests: batchInput.runs.map((r) => r.request) }, {}, { url })
/** A batch's models but for their id, createdAt and timings (an RBM's seconds per epoch): infos as JSON, state dicts as bytes. */
const models = (o: JobOutput): string =>
  o.result.kind === 'batch.train'
    ? JSON.stringify(o.result.runs.map((r) => [JSON.stringify({ ...r.model, id: null, createdAt: null }, (k, v: unknown) => (k === 'seconds' ? null : v)), Object.entries(runTensors(o.tensors!, r.index)).map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')])]))
    : ''

const spec = (sweep: object) => experimentSpecSchema.parse({ name: 'bench-queue', seed: 2026, model: { kind: 'hopfield' }, engine: { provider: 'cpu', threads: 1 }, sweep })
const big = spec({ type: 'capacity', units: 1024, patternCounts: [40, 80, 120], rules: ['hebb'], trials, noise: 0.1, cuesPerPattern: 2, recall: { mode: 'sync', maxSweeps: 30 } })
const tiny = spec({ type: 'capacity', units: 32, patternCounts: [2, 4], rules: ['hebb'], trials: 64, noise: 0.1, cuesPerPattern: 2, recall: { mode: 'sync', maxSweeps: 30 } })
const untimed = (r: ExperimentResult) => JSON.stringify({ ...r, createdAt: null })

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Seconds a worker spent inside shards (from its started/done events after `mark`). */
function busySeconds(w: WorkerProc, mark: number): number {
  const events = w.events.slice(mark)
  let busy = 0
  for (const s of events.filter((e) => e.event === 'started')) {
    const done = events.find((e) => e.event === 'done' && e.job === s.job)
    if (done) busy += (Date.parse(String(done.at)) - Date.parse(String(s.at))) / 1000
  }
  return busy
}

/**
 * Wall time of a queued run, the CPU seconds each worker spent in it and the seconds each spent inside shards (on a
 * shared machine wall time alone misleads: wall − busy is the queue's own time, busy − CPU is time other programs had).
 */
async function queued<T>(workers: WorkerProc[], work: () => Promise<T>): Promise<{ value: T; seconds: number; workerCpu: number[]; workerBusy: number[] }> {
  const before = workers.map((w) => cpuSeconds(w.proc.pid))
  const marks = workers.map((w) => w.events.length)
  const r = await timed(work)
  return { ...r, workerCpu: workers.map((w, i) => cpuSeconds(w.proc.pid) - before[i]!), workerBusy: workers.map((w, i) => busySeconds(w, marks[i]!)) }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t = performance.now()
  const value = await work()
  return { value, seconds: (performance.now() - t) / 1000 }
}

run(async () => {
  ensureBuiltCli()
  const redis = await startRedis()
  const workers: WorkerProc[] = []
  const pool = async (n: number): Promise<void> => {
    while (workers.length < n) workers.push(startWorker(redis.url))
    await until(`${n} workers ready`, () => workers.every(isReady), 60_000)
  }
  try {
    console.log(`machine: ${JSON.stringify(machine())}`)
    // Warm-up: ORT sessions and JIT, here and in the first worker, so no figure pays a first-run cost.
    await runExperiment(tiny, null)
    await pool(1)
    await runOnQueue(tiny, {}, { url: redis.url, trialsPerShard: 64 })

    const record: Record<string, unknown> = { command: `npx tsx bench/queue.ts --trials ${trials} --workloads ${workloads.join(',')} --runs ${runs}` }
    if (workloads.includes('capacity')) Object.assign(record, await capacityWorkload(redis.url, workers, pool))
    if (workloads.includes('batch')) record.batch = await batchWorkload(redis.url, workers, pool)
    writeRecord(out, record)
  } finally {
    for (const w of workers) w.proc.kill('SIGKILL')
    await Promise.all(workers.map((w) => w.exited))
    redis.stop()
  }
})

type Pool = (n: number) => Promise<void>

/** Stops workers until `n` are left. */
async function shrink(workers: WorkerProc[], n: number): Promise<void> {
  while (workers.length > n) {
    const w = workers.pop()!
    w.proc.kill('SIGTERM')
    await w.exited
  }
}

/** The capacity sweep at N = 1024 here, on 1 and 2 workers, then the overhead per shard on tiny shards. */
async function capacityWorkload(url: string, workers: WorkerProc[], pool: Pool): Promise<Record<string, unknown>> {
  await shrink(workers, 1)
  const trialsPerShard = 1
  const shards = planShards(big, trialsPerShard).length
  const local = await timed(() => runExperiment(big, null))
  console.log(`N=1024 local (this process, 1 ORT thread): ${local.seconds.toFixed(2)} s for ${shards} trials`)
  const one = await queued(workers, () => runOnQueue(big, {}, { url, trialsPerShard }))
  if (untimed(one.value) !== untimed(local.value)) throw new Error('1 worker: the merged result differs from the local one')
  console.log(`N=1024 queue, 1 worker: ${one.seconds.toFixed(2)} s (${shards} shards of ${trialsPerShard} trial); worker CPU ${one.workerCpu.map((c) => c.toFixed(1)).join(' + ')} s, in shards ${one.workerBusy.map((c) => c.toFixed(1)).join(' + ')} s`)
  await pool(2)
  const two = await queued(workers, () => runOnQueue(big, {}, { url, trialsPerShard }))
  if (untimed(two.value) !== untimed(local.value)) throw new Error('2 workers: the merged result differs from the local one')
  console.log(`N=1024 queue, 2 workers: ${two.seconds.toFixed(2)} s; speed-up over local ${(local.seconds / two.seconds).toFixed(2)}×, over 1 worker ${(one.seconds / two.seconds).toFixed(2)}×; worker CPU ${two.workerCpu.map((c) => c.toFixed(1)).join(' + ')} s, in shards ${two.workerBusy.map((c) => c.toFixed(1)).join(' + ')} s; load average ${machine().loadavg.map((l) => l.toFixed(1)).join(' ')}`)

  // Overhead per shard: tiny shards on one worker against the same cells run here.
  await shrink(workers, 1)
  const tinyShards = planShards(tiny, 1).length
  const tinyLocal = await timed(() => runExperiment(tiny, null))
  const tinyQueue = await timed(() => runOnQueue(tiny, {}, { url: url, trialsPerShard: 1, pollMs: 10_000 }))
  if (untimed(tinyQueue.value) !== untimed(tinyLocal.value)) throw new Error('tiny: the merged result differs from the local one')
  const overhead = (tinyQueue.seconds - tinyLocal.seconds) / tinyShards
  const perTrial = local.seconds / shards
  // overhead / (overhead + k·perTrial) < 5 %  ⇔  k > 19·overhead / perTrial
  const fivePercentSeconds = 19 * overhead
  const fivePercentTrials = Math.max(1, Math.ceil(fivePercentSeconds / perTrial))
  console.log(`overhead per shard (1 worker, ${tinyShards} shards of ~${((tinyLocal.seconds / tinyShards) * 1000).toFixed(1)} ms): ${(overhead * 1000).toFixed(2)} ms`)
  console.log(`overhead < 5 % from ${(fivePercentSeconds * 1000).toFixed(0)} ms of work per shard: ${fivePercentTrials} trial(s) per shard at N = 1024 (${(perTrial * 1000).toFixed(0)} ms per trial)`)
  console.log(`N=1024 with 1 worker vs local: ${(((one.seconds - local.seconds) / shards) * 1000).toFixed(1)} ms more per shard (overhead plus the worker's share of the machine)`)
  return {
    n1024: { trials: shards, trialsPerShard, localSeconds: local.seconds, oneWorkerSeconds: one.seconds, twoWorkersSeconds: two.seconds, oneWorkerCpu: one.workerCpu, twoWorkersCpu: two.workerCpu, oneWorkerBusy: one.workerBusy, twoWorkersBusy: two.workerBusy, speedupTwoVsLocal: local.seconds / two.seconds, speedupTwoVsOne: one.seconds / two.seconds, secondsPerTrial: perTrial },
    overhead: { shards: tinyShards, localSeconds: tinyLocal.seconds, queueSeconds: tinyQueue.seconds, secondsPerShard: overhead, fivePercentSeconds, fivePercentTrialsAtN1024: fivePercentTrials }
  }
}

/** The training batch here, on 1 and 2 workers: wall times, the workers' CPU and in-shard seconds, the load. */
async function batchWorkload(url: string, workers: WorkerProc[], pool: Pool): Promise<Record<string, unknown>> {
  await shrink(workers, 1)
  // Warm-up: the RBM's training graph here and in the worker (ORT sessions, JIT), so no figure pays a first-run cost.
  const warm = batchSpecSchema.parse({ ...batch, model: { ...batch.model, epochs: 1 }, batch: { seeds: [99] } })
  const warmInput = batchTask(ctx, warm, 'batch').input as BatchInput
  await runBatchHere(warmInput, {})
  await runBatchOnQueue({ spec: warm, provider: 'cpu', requests: warmInput.runs.map((r) => r.request) }, {}, { url })
  const load = () => machine().loadavg.map((l) => Number(l.toFixed(1)))
  const cpu0 = process.cpuUsage()
  const local = await timed(() => runBatchHere(batchInput, {}))
  const cpu = process.cpuUsage(cpu0)
  const localCpu = (cpu.user + cpu.system) / 1e6
  const loadLocal = load()
  console.log(`batch of ${runs} RBM trainings (digits, CD-1), local (this process): ${local.seconds.toFixed(2)} s, CPU ${localCpu.toFixed(1)} s; load average ${loadLocal.join(' ')}`)
  const one = await queued(workers, () => batchOnQueue(url))
  if (models(one.value) !== models(local.value)) throw new Error('batch, 1 worker: the models differ from the local ones')
  const loadOne = load()
  const queueOne = one.seconds - one.workerBusy[0]!
  console.log(`batch, 1 worker: ${one.seconds.toFixed(2)} s; worker CPU ${one.workerCpu[0]!.toFixed(1)} s, in shards ${one.workerBusy[0]!.toFixed(1)} s (queue's own time ${(queueOne * 1000).toFixed(0)} ms, ${((queueOne / runs) * 1000).toFixed(0)} ms per shard); load average ${loadOne.join(' ')}`)
  await pool(2)
  const two = await queued(workers, () => batchOnQueue(url))
  if (models(two.value) !== models(local.value)) throw new Error('batch, 2 workers: the models differ from the local ones')
  const loadTwo = load()
  console.log(`batch, 2 workers: ${two.seconds.toFixed(2)} s; speed-up over local ${(local.seconds / two.seconds).toFixed(2)}×, over 1 worker ${(one.seconds / two.seconds).toFixed(2)}×; worker CPU ${two.workerCpu.map((c) => c.toFixed(1)).join(' + ')} s, in shards ${two.workerBusy.map((c) => c.toFixed(1)).join(' + ')} s; load average ${loadTwo.join(' ')}`)
  return {
    runs,
    localSeconds: local.seconds,
    localCpu,
    oneWorkerSeconds: one.seconds,
    twoWorkersSeconds: two.seconds,
    oneWorkerCpu: one.workerCpu,
    twoWorkersCpu: two.workerCpu,
    oneWorkerBusy: one.workerBusy,
    twoWorkersBusy: two.workerBusy,
    queueSecondsPerShardOneWorker: queueOne / runs,
    speedupTwoVsLocal: local.seconds / two.seconds,
    speedupTwoVsOne: one.seconds / two.seconds,
    loadavg: { local: loadLocal, one: loadOne, two: loadTwo }
  }
}
