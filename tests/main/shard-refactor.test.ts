// The dense-capacity and delay runners were refactored so that a cell (a dense-capacity trial, a delay config) runs on
// its own, for sharded runs: their local results are those main's code gave before the refactor, number for number
// (recorded in tests/fixtures/shards/; ENGRAM_RECORD_FIXTURES=1 records them again). The delay sweep is recorded on
// the core (float64, the same on every machine): its engine here is made to fail, and the core trains on the same rows.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import * as trainStep from '../../src/engine/programs/train-step'
import { runExperiment } from '../../src/main/services/experiments'
import { experimentSpecSchema, type ExperimentResult } from '../../src/shared/spec'

vi.mock('../../src/engine/programs/train-step', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/programs/train-step')>()
  const create = vi.fn(real.TrainStepRunner.create.bind(real.TrainStepRunner))
  return { ...real, TrainStepRunner: Object.assign(real.TrainStepRunner, { create }) }
})

const fixtures = join(__dirname, '..', 'fixtures', 'shards')
const spec = (sweep: object) => experimentSpecSchema.parse({ name: 'refactor', seed: 23, model: { kind: 'hopfield' }, sweep })
const denseSweep = { type: 'dense-capacity', units: 24, patternCounts: [2, 4, 8], interactions: [{ kind: 'polynomial', degree: 2 }, { kind: 'polynomial', degree: 3 }, { kind: 'exp' }], trials: 3, noise: 0.15 }
const delaySweep = { type: 'delay', task: 'first-bit', cells: ['rnn', 'lstm', 'gru'], delays: [2, 3], hiddenSize: 4, trainingSteps: 60, batch: 8, trials: 2, evalRows: 40 }

/** The parts of a result the runner computes (the header's version and date aside). */
const computed = (r: ExperimentResult) => JSON.parse(JSON.stringify({ compute: r.compute, sweep: r.sweep })) as unknown

function expectRecorded(name: string, r: ExperimentResult): void {
  const file = join(fixtures, `${name}.json`)
  if (process.env.ENGRAM_RECORD_FIXTURES === '1') writeFileSync(file, `${JSON.stringify(computed(r), null, 1)}\n`)
  expect(computed(r)).toEqual(JSON.parse(readFileSync(file, 'utf8')))
}

describe('local results unchanged by the shard refactor', () => {
  it('dense-capacity', async () => {
    expectRecorded('dense-capacity', await runExperiment(spec(denseSweep), null))
  })

  it('delay (on the core)', async () => {
    vi.mocked(trainStep.TrainStepRunner.create).mockRejectedValue(new Error('recorded on the core'))
    try {
      expectRecorded('delay-core', await runExperiment(spec(delaySweep), null))
    } finally {
      vi.mocked(trainStep.TrainStepRunner.create).mockReset()
    }
  })
})
