// A batch of training runs as the app defines it (src/renderer/src/lib/train-batch.ts): seeds and grid values parsed,
// the run count shown (grid points × seeds, the Cartesian product), every limit refused with its field named before
// any call — the app's own checks and the shared batch schema's (the backend's) — and the results table's rows.
import { describe, expect, it } from 'vitest'
import { batchRuns, type BatchResult } from '../../src/shared/batch'
import { batchBaseOf, batchTable, buildBatch, defaultBatchForm, gridFields, parseSeeds, parseValues, seedsFor, type BatchBase, type BatchForm } from '../../src/renderer/src/lib/train-batch'

const base: BatchBase = {
  model: { kind: 'recurrent', text: { corpus: 'sonnets' }, cell: 'lstm', hiddenSize: 16, steps: 50, learningRate: 0.01 } as BatchBase['model'],
  seed: 7
}
const form = (patch: Partial<BatchForm> = {}): BatchForm => ({ ...defaultBatchForm('recurrent'), ...patch })
const grid = (...rows: [string, string][]): BatchForm['grid'] => [...rows.map(([field, values]) => ({ field, values })), ...Array.from({ length: 2 - rows.length }, () => ({ field: '', values: '' }))]

describe('seeds and values', () => {
  it('reads lists and inclusive ranges, refusing repeats, junk and more than 64', () => {
    expect(parseSeeds('1, 2 3;4')).toEqual({ seeds: [1, 2, 3, 4] })
    expect(parseSeeds('0-3, 10')).toEqual({ seeds: [0, 1, 2, 3, 10] })
    expect(parseSeeds('4294967295')).toEqual({ seeds: [4294967295] })
    expect(parseSeeds('4294967296')).toEqual({ error: "'4294967296' is not a seed (a whole number from 0 to 4294967295, or a range like 1-8)" })
    expect(parseSeeds('1.5')).toEqual({ error: "'1.5' is not a seed (a whole number from 0 to 4294967295, or a range like 1-8)" })
    expect(parseSeeds('-1')).toMatchObject({ error: expect.stringContaining("'-1' is not a seed") })
    expect(parseSeeds('5-2')).toEqual({ error: "'5-2': the range runs backwards" })
    expect(parseSeeds('1, 2, 1')).toEqual({ error: 'seed 1 is given twice (its runs would be the same)' })
    expect(parseSeeds('1-3, 2')).toEqual({ error: 'seed 2 is given twice (its runs would be the same)' })
    expect(parseSeeds('0-63')).toMatchObject({ seeds: expect.any(Array) })
    expect(parseSeeds('0-64')).toEqual({ error: 'at most 64 seeds' })
    expect(parseSeeds(' , ')).toEqual({ error: 'give at least one seed' })
  })

  it('types grid values like the base spec’s value of the field', () => {
    expect(parseValues('0.01, 1e-3', 0.5)).toEqual({ values: [0.01, 0.001] })
    expect(parseValues('rnn gru', 'lstm')).toEqual({ values: ['rnn', 'gru'] })
    expect(parseValues('true,false', true)).toEqual({ values: [true, false] })
    expect(parseValues('0.1, x', 0.5)).toEqual({ error: "'x' is not a number" })
    expect(parseValues('yes', false)).toEqual({ error: "'yes' is not true or false" })
    expect(parseValues('8, 8', 16)).toEqual({ error: '8 is given twice' })
    expect(parseValues('', 16)).toEqual({ error: 'give at least one value' })
  })

  it('offers the scalar top-level fields, never the family or continueFrom', () => {
    expect(gridFields({ ...base.model, continueFrom: 'm1' } as Record<string, unknown>)).toEqual(['cell', 'hiddenSize', 'learningRate', 'steps'])
  })
})

describe('the batch spec', () => {
  it('counts grid points × seeds and gives the spec whose runs are that product, point-major', () => {
    const b = buildBatch(base, form({ seeds: '1, 2', grid: grid(['cell', 'rnn, gru, lstm'], ['hiddenSize', '8 16']) }))
    if (!b.ok) throw new Error(b.message)
    expect([b.points, b.seeds, b.runs]).toEqual([6, 2, 12])
    const runs = batchRuns(b.spec)
    expect(runs).toHaveLength(12)
    expect(runs.map((r) => `${String(r.params.cell)}/${String(r.params.hiddenSize)}/${r.seed}`).slice(0, 5)).toEqual(['rnn/8/1', 'rnn/8/2', 'rnn/16/1', 'rnn/16/2', 'gru/8/1'])
    expect(b.spec.model).toMatchObject({ kind: 'recurrent', hiddenSize: 16 })
    // No grid: one point, one run per seed.
    const plain = buildBatch(base, form({ seeds: '3-5' }))
    expect(plain).toMatchObject({ ok: true, points: 1, seeds: 3, runs: 3 })
    // Untouched seeds follow the page's seed: it and the two after it.
    const following = buildBatch(base, form())
    expect(following.ok && following.spec.batch.seeds).toEqual([7, 8, 9])
    expect(seedsFor(form(), 4294967294)).toBe('4294967294, 4294967295')
  })

  it('names the field at fault: name, seeds, a grid row, the run count, the schema’s limits, the page’s form', () => {
    expect(buildBatch(base, form({ name: ' ' }))).toMatchObject({ ok: false, field: 'name', message: 'Name: give the batch a name' })
    expect(buildBatch(base, form({ seeds: '1, x' }))).toMatchObject({ ok: false, field: 'seeds', message: expect.stringMatching(/^Seeds: 'x' is not a seed/) })
    expect(buildBatch(base, form({ grid: grid(['cell', 'rnn'], ['cell', 'gru']) }))).toMatchObject({ ok: false, field: 'grid.1', message: 'cell: already varied in another row' })
    expect(buildBatch(base, form({ grid: grid(['hiddenSize', '8, big']) }))).toMatchObject({ ok: false, field: 'grid.0', message: "hiddenSize: 'big' is not a number" })
    const many = buildBatch(base, form({ seeds: '1-8', grid: grid(['hiddenSize', '1 2 3 4 5 6 7 8 9']) }))
    expect(many).toMatchObject({ ok: false, field: 'runs', message: '9 grid points × 8 seeds = 72 runs; at most 64', runs: 72 })
    // The shared schema (the backend's check): a value the family refuses, named with its place in the grid.
    const tooBig = buildBatch(base, form({ grid: grid(['cell', 'rnn'], ['hiddenSize', '8, 5000']) }))
    expect(tooBig).toMatchObject({ ok: false, field: 'grid.1', message: 'spec.batch.grid.hiddenSize.1: Too big: expected number to be <=1024 (grid point 1)' })
    expect(buildBatch(base, form({ grid: grid(['cell', 'transformer']) }))).toMatchObject({ ok: false, field: 'grid.0', message: expect.stringMatching(/^spec\.batch\.grid\.cell\.0: /) })
    // The page's form continuing a model: a batch trains fresh ones.
    const cont = buildBatch({ ...base, model: { ...base.model, continueFrom: 'm1' } as BatchBase['model'] }, form())
    expect(cont).toMatchObject({ ok: false, field: 'base' })
    expect(batchBaseOf({ error: 'pick a text', field: 'textId' })).toEqual({ field: 'textId', error: 'pick a text' })
  })
})

describe('the results table', () => {
  it('one row per run in order, grid columns, the last history point’s numbers and evalLoss', () => {
    const model = (id: string, loss: number) => ({ id, name: `m ${id}`, history: [{ step: 1, loss: 9 }, { step: 50, loss, perplexity: Math.exp(loss), seconds: 1 }], evalLoss: loss + 0.1 })
    const result = {
      kind: 'batch.train',
      name: 'b',
      runs: [
        { index: 0, seed: 1, params: { cell: 'rnn' }, model: model('a', 2) },
        { index: 1, seed: 2, params: { cell: 'rnn' }, model: model('b', 1.5) }
      ]
    } as unknown as BatchResult
    const t = batchTable(result)
    expect(t.gridFields).toEqual(['cell'])
    expect(t.metrics).toEqual(['loss', 'perplexity', 'evalLoss'])
    expect(t.rows.map((r) => [r.index, r.seed, r.modelId, r.metrics.loss, r.metrics.evalLoss])).toEqual([
      [0, 1, 'a', 2, 2.1],
      [1, 2, 'b', 1.5, 1.6]
    ])
  })
})
