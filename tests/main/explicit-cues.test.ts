// Explicit cues and given orders in experiment specs (services/experiments/data.ts, worked.ts): the dynamics the
// recall lab offers, run from a spec, agree with the seed-003 examples; in the app a bad cue is refused before a job.
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/shared/api'
import { experimentSpecSchema, type ExperimentSpecInput } from '../../src/shared/spec'
import { runExperiment } from '../../src/main/services/experiments'
import { experimentData } from '../../src/main/services/experiments/data'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { withBackend } from '../helpers/backend'

const catalog = new DatasetCatalog(null)
const run = async (input: ExperimentSpecInput) => {
  const spec = experimentSpecSchema.parse(input)
  return runExperiment(spec, experimentData(spec, catalog))
}

const discrete003: ExperimentSpecInput = {
  name: 'discrete-003',
  seed: 3,
  dataset: { encoding: 'binary', patterns: [[1, 1, 1, 0]] },
  model: { kind: 'hopfield', encoding: 'binary' },
  recall: { mode: 'async', order: [1, 4, 3, 2], external: 'cue' },
  cues: [{ x: { from: 1, flip: [1, 2] } }]
}

describe('explicit cues on a Hopfield model', () => {
  it('sync with the cue held on: one step, y_in = x + yW = (1, 1, 1, −1), to (1, 1, 1, 0)', async () => {
    const r = await run({ ...discrete003, recall: { mode: 'sync', external: 'cue' } })
    const c = r.worked!.cases[0]!
    expect(c.steps?.[0]?.netInput).toEqual([1, 1, 1, -1])
    expect(c.steps?.[0]?.state).toEqual([1, 1, 1, 0])
    expect(c.final).toEqual([1, 1, 1, 0])
    expect(c.outcome).toBe('fixed-point')
    expect(r.compute.path).toBe('core')
    expect(r.metrics?.successRate).toBe(1)
  })

  it("mode 'recurrent' on the trained bipolar net gives the recurrent sweep's steps (W = ssᵀ − I either way)", async () => {
    const cues = [{ x: { from: 1, missing: [2, 3, 4] } }, { x: { values: [-1, -1, 1, 1] } }]
    const dataset = { encoding: 'bipolar' as const, patterns: [[1, 1, 1, -1]] }
    const lab = await run({ name: 'lab', seed: 1, dataset, model: { kind: 'hopfield' }, recall: { mode: 'recurrent', maxSweeps: 10 }, cues })
    const sweep = await run({ name: 'sweep', seed: 1, dataset, model: { kind: 'hopfield' }, sweep: { type: 'recurrent', fractions: [0], cuesPerPattern: 1, maxIterations: 10 }, cues })
    expect(lab.worked!.weights).toEqual(sweep.worked!.weights)
    expect(lab.worked!.cases.map((c) => [c.steps, c.outcome, c.match])).toEqual(sweep.worked!.cases.map((c) => [c.steps, c.outcome, c.match]))
    expect(lab.worked!.cases[1]!.outcome).toBe('repeat')
  })

  it('a given order also drives drawn cues (1-based in the spec, as the result echoes it)', async () => {
    const { cues: _cues, ...drawn } = discrete003
    const r = await run({ ...drawn, recall: { mode: 'async', order: [1, 4, 3, 2], external: 'cue', corruption: { type: 'flip', fraction: 0.25 }, cuesPerPattern: 8 } })
    expect(r.spec.recall.order).toEqual([1, 4, 3, 2])
    expect(r.metrics?.cues).toBe(8)
    expect(r.metrics?.successRate).toBe(1)
    expect(r.worked).toBeUndefined()
  })

  it('an inline binary dataset is stored through its bipolar image, as the built-in one is', async () => {
    const inline = await run(discrete003)
    const builtin = await run({ ...discrete003, dataset: { builtin: 'seeds-003-auto' } })
    expect(inline.model?.stateDict.weights).toEqual(builtin.model?.stateDict.weights)
    expect(inline.worked!.cases).toEqual(builtin.worked!.cases)
  })
})

describe('in the app', () => {
  const backend = withBackend('engram-cues-')
  it('jobs.start refuses a bad cue before a job starts, naming the field', async () => {
    const s = await backend.call('sessions.create', { name: 'cues' })
    const bad = { ...discrete003, cues: [{ x: { from: 1, flip: [2, 9] } }] }
    const err = await backend.call('jobs.start', { sessionId: s.id, spec: { kind: 'experiment', spec: bad } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).field).toBe('params.spec.spec.cues.0.x.flip.1')
    expect((err as ApiError).message).toMatch(/unit 9 does not exist: units are counted from 1 to 4/)
  })
})
