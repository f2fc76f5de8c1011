// Batches of training runs without a queue: the spec's checks (each bad field named before any work), the run plan
// (grid points × seeds, point-major), and the local run: every model equals its family's own training of the run's
// spec and seed (state dicts byte for byte), named for the batch, its tensors under runs/<i>/.
import { describe, expect, it } from 'vitest'
import { batchRuns, batchSpecSchema, MAX_BATCH_RUNS, type BatchSpecInput } from '../../src/shared/batch'
import { describeZodError } from '../../src/shared/api'
import { batchTask, runBatchHere, runTensors, type BatchInput } from '../../src/main/services/batch'
import { JOB_TABLE, serviceOf } from '../../src/main/services/families'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { TextCatalog } from '../../src/main/services/texts'
import { CancelledError } from '../../src/shared/errors'
import type { FamilyContext } from '../../src/main/services/families/types'
import type { NamedTensor } from '../../src/core/safetensors'
import { methods } from '../../src/shared/api'
import { jobOutcome, withBackend } from '../helpers/backend'

const ctx: FamilyContext = { datasets: new DatasetCatalog(null), texts: new TextCatalog(null), provider: 'cpu' }
const parse = (raw: BatchSpecInput) => batchSpecSchema.parse(raw)
const problem = (raw: unknown): string => {
  const parsed = batchSpecSchema.safeParse(raw)
  if (parsed.success) throw new Error('expected a refusal')
  return describeZodError(parsed.error, 'spec').message
}
const bytes = (t: NamedTensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)

const rnn = { kind: 'recurrent', cell: 'rnn', hiddenSize: 8, embeddingSize: 4, sequenceLength: 8, batch: 4, steps: 12 } as const

describe('batch specs', () => {
  it('plans grid points × seeds, the last grid field fastest, each point a valid model spec', () => {
    const spec = parse({ name: 'b', model: rnn, batch: { seeds: [3, 1], grid: { cell: ['rnn', 'gru'], learningRate: [0.01, 0.003] } } })
    const runs = batchRuns(spec)
    expect(runs.map((r) => [r.index, r.seed, r.params.cell, r.params.learningRate])).toEqual([
      [0, 3, 'rnn', 0.01],
      [1, 1, 'rnn', 0.01],
      [2, 3, 'rnn', 0.003],
      [3, 1, 'rnn', 0.003],
      [4, 3, 'gru', 0.01],
      [5, 1, 'gru', 0.01],
      [6, 3, 'gru', 0.003],
      [7, 1, 'gru', 0.003]
    ])
    expect(runs[5]!.model).toMatchObject({ kind: 'recurrent', cell: 'gru', learningRate: 0.01, hiddenSize: 8 })
    expect(parse({ name: 'b', model: rnn, batch: {} }).batch.seeds).toEqual([0])
  })

  it('refuses bad batches naming the field, before any work', () => {
    expect(problem({ name: 'b', model: rnn, batch: { grid: { hidden: [4] } } })).toMatch(/^spec\.batch\.grid\.hidden: not a field of a recurrent model spec \(its fields: text, task, cell/)
    expect(problem({ name: 'b', model: rnn, batch: { grid: { hiddenSize: [8, 4096] } } })).toMatch(/^spec\.batch\.grid\.hiddenSize\.1: .*1024.* \(grid point 1\)/)
    expect(problem({ name: 'b', model: rnn, batch: { grid: { kind: ['rbm'] } } })).toBe("spec.batch.grid.kind: 'kind' cannot vary in a batch")
    expect(problem({ name: 'b', model: rnn, batch: { seeds: [1, 1] } })).toBe('spec.batch.seeds: each seed at most once (the runs would be the same)')
    const many = Array.from({ length: 9 }, (_, i) => i)
    expect(problem({ name: 'b', model: rnn, batch: { seeds: many, grid: { steps: [1, 2, 3, 4, 5, 6, 7, 8] } } })).toBe(`spec.batch: 72 runs (grid points × seeds); at most ${MAX_BATCH_RUNS}`)
    expect(problem({ name: 'b', model: { ...rnn, continueFrom: 'm1' }, batch: {} })).toBe('spec.model.continueFrom: a batch trains fresh models; continue a model with models.train')
    expect(problem({ name: 'b', model: { kind: 'rbm', hidden: 4 }, batch: {} })).toMatch(/^spec\.dataset: /)
    expect(problem({ name: 'b', dataset: { builtin: 'digits' }, model: rnn, batch: {} })).toBe('spec.dataset: a recurrent model trains on the data its spec names; remove the dataset')
    expect(problem({ name: 'b', model: rnn, batch: { seeds: [-1] } })).toMatch(/^spec\.batch\.seeds\.0: /)
  })

  it('a grid over the cell keeps each cell\'s own settings with it; a grid that sets another cell\'s is refused', () => {
    // An LSTM with peepholes and coupled gates against a GRU (its form the original) and a relu RNN: each run takes its
    // own cell's settings from the base and the others' defaults.
    const base = { ...rnn, cell: 'lstm', peephole: true, coupled: true, gruForm: 'original', nonlinearity: 'relu' } as const
    const spec = parse({ name: 'b', model: base, batch: { grid: { cell: ['lstm', 'gru', 'rnn'] } } })
    const variants = batchRuns(spec).map((r) => r.model.kind === 'recurrent' && [r.model.cell, r.model.peephole, r.model.coupled, r.model.gruForm, r.model.nonlinearity])
    expect(variants).toEqual([
      ['lstm', true, true, 'pytorch', 'tanh'],
      ['gru', false, false, 'original', 'tanh'],
      ['rnn', false, false, 'pytorch', 'relu']
    ])
    expect(() => batchTask(ctx, spec, 'params.batch')).not.toThrow()
    // Set by the grid itself, a GRU's peepholes are the user's: refused, naming the field.
    const explicit = parse({ name: 'b', model: rnn, batch: { grid: { cell: ['gru'], peephole: [true] } } })
    expect(() => batchTask(ctx, explicit, 'params.batch')).toThrow("params.batch.model.peephole: peepholes are an LSTM variant; cell 'gru' has no peephole")
    // Without a grid over the cell, the base's own foreign setting is refused too.
    expect(() => batchTask(ctx, parse({ name: 'b', model: { ...rnn, coupled: true }, batch: {} }), 'params.batch')).toThrow('params.batch.model.coupled')
  })

  it('a bad dataset reference is refused by the family, naming the field under the batch', () => {
    const spec = parse({ name: 'b', dataset: { builtin: 'user:nothere' }, model: { kind: 'hopfield' }, batch: {} })
    expect(() => batchTask(ctx, spec, 'params.batch')).toThrow(/params\.batch\.dataset/)
  })
})

describe('a batch run here', () => {
  it('gives each run the model its family trains from the same spec and seed, named for the batch', async () => {
    const spec = parse({ name: 'seeds', dataset: { builtin: 'digits', count: 60 }, model: { kind: 'rbm', hidden: 6, epochs: 2, batchSize: 20 }, batch: { seeds: [5, 9], grid: { learningRate: [0.05, 0.1] } } })
    const task = batchTask(ctx, spec, 'params.batch')
    const progress: number[] = []
    const out = await runBatchHere(task.input as BatchInput, { onProgress: (f) => progress.push(f) })
    if (out.result.kind !== 'batch.train') throw new Error('expected a batch result')
    expect(out.result.runs).toHaveLength(4)
    expect(progress.at(-1)).toBeCloseTo(1, 12)
    for (const run of out.result.runs) {
      // The same training as models.train of that spec and seed, run on its own.
      const request = { kind: 'rbm.train', dataset: spec.dataset, model: batchRuns(spec)[run.index]!.model, seed: run.seed }
      const alone = await JOB_TABLE['rbm.train']!(serviceOf('rbm').trainTask(ctx, serviceOf('rbm').family.train.request.parse(request) as never, 'params').input as never, {})
      if (!('model' in alone.result)) throw new Error('expected a model')
      const own = runTensors(out.tensors!, run.index)
      expect(Object.keys(own).sort()).toEqual(Object.keys(alone.tensors!).sort())
      for (const [name, t] of Object.entries(own)) expect(bytes(t).equals(bytes(alone.tensors![name]!)), name).toBe(true)
      const strip = (m: Record<string, unknown>) => JSON.stringify({ ...m, id: null, name: null, createdAt: null, history: (m.history as object[]).map((h) => ({ ...h, seconds: null })) })
      expect(strip(run.model)).toBe(strip(alone.result.model))
      expect(run.model.name).toBe(`${alone.result.model.name} · seeds run ${run.index + 1}/4 (seed ${run.seed}, learningRate ${run.params.learningRate})`)
    }
    // Different seeds and learning rates give different models.
    expect(bytes(runTensors(out.tensors!, 0).weights!).equals(bytes(runTensors(out.tensors!, 1).weights!))).toBe(false)
  })

  it('a cancel stops the batch and keeps nothing', async () => {
    const spec = parse({ name: 'c', model: { ...rnn, steps: 400 }, batch: { seeds: [1, 2, 3] } })
    const task = batchTask(ctx, spec, 'params.batch')
    let reports = 0
    const run = runBatchHere(task.input as BatchInput, { onProgress: () => void reports++, shouldCancel: () => reports > 2 })
    await expect(run).rejects.toBeInstanceOf(CancelledError)
  })
})

describe('models.trainBatch', () => {
  const backend = withBackend('engram-batch-')

  it('refuses a bad batch naming the field, and lands every model of a good one in the session', async () => {
    const s = await backend.call('sessions.create', { name: 'b' })
    await expect(backend.call('models.trainBatch', { sessionId: s.id, batch: { name: 'b', model: rnn, batch: { grid: { hidden: [1] } } } })).rejects.toMatchObject({ field: 'params.batch.batch.grid.hidden' })
    await expect(backend.call('models.trainBatch', { sessionId: s.id, batch: { name: 'b', dataset: { builtin: 'user:none' }, model: { kind: 'hopfield' }, batch: {} } })).rejects.toMatchObject({ field: 'params.batch.dataset.builtin' })
    const batch = { name: 'rules', dataset: { builtin: 'letters', count: 5 }, model: { kind: 'hopfield' }, batch: { grid: { rule: ['hebb', 'storkey', 'pseudo-inverse'] } } } as const
    const { jobId } = await backend.call('models.trainBatch', { sessionId: s.id, batch })
    // A running batch is listed with its spec (a reloaded page can follow it).
    const listed = methods['jobs.list'].result.parse(await backend.call('jobs.list', { sessionId: s.id }))
    expect(listed.find((j) => j.jobId === jobId)?.spec).toMatchObject({ kind: 'batch.train', batch: { name: 'rules' } })
    const done = await jobOutcome(backend, jobId)
    if (done.result.kind !== 'batch.train') throw new Error('expected a batch result')
    const state = await backend.call('sessions.open', { id: s.id })
    expect(state.models.map((m) => [m.kind, m.name])).toEqual(done.result.runs.map((r) => ['hopfield', r.model.name]))
    expect(state.models.map((m) => (m.kind === 'hopfield' ? m.spec.rule : null))).toEqual(['hebb', 'storkey', 'pseudo-inverse'])
    // The last Hopfield net landed is the recall lab's, as after models.train.
    expect(state.activeModelId).toBe(state.models[2]!.id)
  })
})
