// Batches of training runs on a real queue: Debian's redis-server and two `engram worker` processes from the built CLI.
// One run per shard; each worker builds the run's task through its own family registry and returns the model's info
// and state dict. The models equal a local run's (state-dict bytes and info, but for the model's id and createdAt,
// the two fields a training stamps from the clock and a random UUID), whatever worker ran which run and in whatever
// order they finished; a worker SIGKILLed mid-run loses nothing (the run reruns on the other worker, counted once);
// cancel removes the waiting runs and stops the running ones; a backend with a queue lands the models in the session
// as a local batch does; data only this machine has is refused naming the field.
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { runBatchOnQueue } from '../../src/main/queue/coordinator'
import { batchTask, runBatchHere, runTensors, type BatchInput } from '../../src/main/services/batch'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { TextCatalog } from '../../src/main/services/texts'
import type { FamilyContext, JobOutput } from '../../src/main/services/families/types'
import { batchResultFileSchema, batchSpecSchema, type BatchSpecInput } from '../../src/shared/batch'
import { CancelledError } from '../../src/shared/errors'
import { ENGRAM_VERSION } from '../../src/main/version'
import type { NamedTensor } from '../../src/core/safetensors'
import { Backend } from '../../src/main/services/backend'
import { jobOutcome, sourceWorker, tempDir } from '../helpers/backend'
import { ensureBuiltCli, eventMark, haveRedis, until, type WorkerProc } from '../helpers/queue-pool'
import { useQueueSuite } from '../helpers/queue-suite'

const ctx: FamilyContext = { datasets: new DatasetCatalog(null), texts: new TextCatalog(null), provider: 'cpu' }
const rnn = { kind: 'recurrent', hiddenSize: 12, embeddingSize: 6, sequenceLength: 12, batch: 8, learningRate: 0.01 } as const
const batch = (raw: Omit<BatchSpecInput, 'name'>) => batchSpecSchema.parse({ name: 'queued-batch', ...raw })
const inputOf = (spec: ReturnType<typeof batch>) => batchTask(ctx, spec, 'spec').input as BatchInput
const requestsOf = (input: BatchInput) => ({ spec: input.spec, provider: input.provider, requests: input.runs.map((r) => r.request) })
const bytes = (t: NamedTensor): string => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')

/** Everything of a batch's output but the models' id and createdAt: infos as JSON, state dicts as dtype, shape and bytes. */
function comparable(out: JobOutput): string {
  if (out.result.kind !== 'batch.train') throw new Error('expected a batch result')
  return JSON.stringify(
    out.result.runs.map((run) => ({
      ...run,
      model: { ...run.model, id: null, createdAt: null },
      stateDict: Object.entries(runTensors(out.tensors!, run.index))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, t]) => [name, t.dtype, t.shape, bytes(t)])
    }))
  )
}

describe.skipIf(!haveRedis)('batches of training runs on a BullMQ queue (redis-server + 2 engram workers)', () => {
  const pool = useQueueSuite(2, ['--lock-ms', '2000', '--stalled-ms', '500'])

  it('trains every run on the workers, in whatever order they finish, into the models of a local run', async () => {
    // Three long runs first, three short ones after: the short ones overtake the third long one.
    const spec = batch({ model: { ...rnn, cell: 'gru' }, batch: { seeds: [4, 7, 11], grid: { steps: [150, 15] } } })
    const input = inputOf(spec)
    const ran = new Map<string, string>()
    const progress: number[] = []
    const queued = await runBatchOnQueue(requestsOf(input), { onProgress: (f) => progress.push(f) }, { url: pool.url, onShard: (shard, worker) => ran.set(shard.id, worker ?? '') })
    const local = await runBatchHere(input, {})
    expect(comparable(queued)).toBe(comparable(local))
    expect([...ran.keys()].sort()).toEqual(['train-r0', 'train-r1', 'train-r2', 'train-r3', 'train-r4', 'train-r5'])
    expect(new Set(ran.values()).size).toBe(2)
    expect(progress.at(-1)).toBe(1)
    // The state dicts are real trainings: different seeds give different weights.
    const r = runTensors(queued.tensors!, 0)
    expect(Object.keys(r).length).toBeGreaterThan(3)
    expect(bytes(Object.values(r)[0]!)).not.toBe(bytes(Object.values(runTensors(queued.tensors!, 1))[0]!))
  })

  it('reruns the run of a worker killed mid-run on the other worker, counted once: the models are unchanged', async () => {
    const spec = batch({ model: { ...rnn, cell: 'rnn', steps: 700 }, batch: { seeds: [1, 2, 3] } })
    const input = inputOf(spec)
    const { workers } = pool
    const marks = workers.map((w) => w.events.length)
    const startedSince = (w: WorkerProc, i: number) => w.events.slice(marks[i]).find((e) => e.event === 'started')
    const ran = new Map<string, string>()
    let reports = 0
    const running = runBatchOnQueue(requestsOf(input), {}, { url: pool.url, pollMs: 250, onShard: (shard, worker) => (reports++, ran.set(shard.id, worker ?? '')) })
    await until('a run to start', () => workers.some(startedSince))
    const victim = workers.find(startedSince)!
    const started = startedSince(victim, workers.indexOf(victim))!
    victim.proc.kill('SIGKILL')
    await victim.exited
    expect(victim.events.some((e) => e.event === 'done' && e.job === started.job)).toBe(false)
    pool.addWorker() // two again, for the tests after this one
    const queued = await running
    expect(comparable(queued)).toBe(comparable(await runBatchHere(input, {})))
    const rerunBy = ran.get(String(started.shard))
    expect(rerunBy).toBeDefined()
    expect(rerunBy).not.toBe(started.worker)
    expect(reports).toBe(3)
    if (queued.result.kind !== 'batch.train') throw new Error('expected a batch result')
    expect(queued.result.runs.map((r) => r.seed)).toEqual([1, 2, 3])
  })

  it('cancel removes the waiting runs and stops the running ones', async () => {
    const spec = batch({ model: { ...rnn, cell: 'lstm', steps: 50_000 }, batch: { seeds: [1, 2, 3, 4, 5, 6] } })
    const mark = eventMark()
    let cancel = false
    const running = runBatchOnQueue(requestsOf(inputOf(spec)), { shouldCancel: () => cancel }, { url: pool.url, pollMs: 100 })
    await until('a run to start', () => pool.eventsSince(mark).some((e) => e.event === 'started'))
    cancel = true
    await expect(running).rejects.toBeInstanceOf(CancelledError)
    expect(await pool.queue.getWaitingCount()).toBe(0)
    await until('the running runs to stop on the cancel key', () => {
      const events = pool.eventsSince(mark)
      return events.filter((e) => e.event === 'started').every((st) => events.some((e) => e.job === st.job && e.event === 'cancelled'))
    })
    expect(pool.eventsSince(mark).filter((e) => e.event === 'done')).toHaveLength(0)
  })

  it('a backend with a queue lands the batch in the session as a backend without one does', async () => {
    const raw = { name: 'seeds', model: { ...rnn, cell: 'rnn', steps: 20 }, batch: { seeds: [3, 5] } }
    const landed = async (queue: string | undefined) => {
      const tmp = tempDir('engram-batch-')
      const backend = new Backend({ dataDir: tmp.dir, transport: 'websocket', worker: sourceWorker(), provider: 'cpu', ...(queue ? { queue } : {}) })
      try {
        const session = await backend.call('sessions.create', { name: 'b' })
        const mark = eventMark()
        const { jobId } = await backend.call('models.trainBatch', { sessionId: session.id, batch: raw })
        await jobOutcome(backend, jobId)
        const state = await backend.call('sessions.open', { id: session.id })
        const open = (backend as unknown as { open: Map<string, { tensors: Map<string, NamedTensor> }> }).open.get(session.id)!
        const models = state.models.map((m) => ({
          ...m,
          id: null,
          createdAt: null,
          tensors: [...open.tensors].filter(([k]) => k.startsWith(`models/${m.id}/`)).map(([k, t]) => [k.slice(`models/${m.id}/`.length), t.shape, bytes(t)])
        }))
        return { models: JSON.stringify(models), onWorkers: pool.eventsSince(mark).filter((e) => e.event === 'done').length }
      } finally {
        await backend.close()
        tmp.cleanup()
      }
    }
    const remote = await landed(pool.url)
    const here = await landed(undefined)
    expect(remote.onWorkers).toBe(2)
    expect(here.onWorkers).toBe(0)
    expect(remote.models).toBe(here.models)
    expect(JSON.parse(remote.models)).toHaveLength(2)
  })

  it('engram run of a batch spec with --queue writes the result file of a run without it', async () => {
    const tmp = tempDir('engram-batch-cli-')
    try {
      const spec = join(tmp.dir, 'b.json')
      writeFileSync(spec, JSON.stringify({ name: 'cli-batch', model: { ...rnn, steps: 15 }, batch: { seeds: [2, 8], grid: { cell: ['gru', 'rnn'] } } }))
      const run = async (out: string, ...extra: string[]) => {
        await promisify(execFile)(process.execPath, [ensureBuiltCli(), 'run', spec, '--quiet', '--out', join(tmp.dir, out), ...extra])
        // The file is what its schema (resources/schema/batch-result.schema.json) says.
        const file = batchResultFileSchema.parse(JSON.parse(readFileSync(join(tmp.dir, out), 'utf8')))
        expect(file.runs).toHaveLength(4)
        return JSON.stringify(file.runs.map((r) => ({ ...r, model: { ...r.model, id: null, createdAt: null } })))
      }
      const mark = eventMark()
      const queued = await run('queued.json', '--queue', pool.url)
      expect(pool.eventsSince(mark).filter((e) => e.event === 'done')).toHaveLength(4)
      expect(queued).toBe(await run('here.json'))
    } finally {
      tmp.cleanup()
    }
  })

  it('refuses, naming the field, data that only this machine has', async () => {
    const tmp = tempDir('engram-batch-')
    const backend = new Backend({ dataDir: tmp.dir, transport: 'websocket', worker: sourceWorker(), provider: 'cpu', queue: pool.url })
    try {
      await backend.call('texts.import', { name: 'mine', content: Buffer.from('abcabcabc '.repeat(200)).toString('base64') })
      const session = await backend.call('sessions.create', { name: 'b' })
      const params = { sessionId: session.id, batch: { name: 'mine', model: { ...rnn, text: { file: 'user-text:mine' } }, batch: { seeds: [1] } } }
      await expect(backend.call('models.trainBatch', params)).rejects.toThrow("params.batch.model.text.file: 'user-text:mine' is an imported text, on this machine only")
    } finally {
      await backend.close()
      tmp.cleanup()
    }
    // A payload that names such data anyway is refused by the worker's schema, and not retried.
    const request = { kind: 'rbm.train', dataset: { builtin: 'user:mine', threshold: 0.5 }, model: { kind: 'rbm' }, seed: 0 }
    const job = await pool.queue.add('bad', { v: 1, runId: 'bad-train', engram: ENGRAM_VERSION, provider: 'cpu', request, shard: { type: 'train', id: 'train-r0', run: 0 } }, { attempts: 3 })
    await expect(job.waitUntilFinished(pool.events, 10_000)).rejects.toThrow("bad job payload: data.request.dataset.builtin: 'user:mine' is an imported dataset")
    expect((await pool.queue.getJob(job.id!))?.attemptsMade).toBe(1)
  })
})
