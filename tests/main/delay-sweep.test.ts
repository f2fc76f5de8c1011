// The long-term-dependency sweep as an experiment spec: trained on the engine (or the core when the engine fails, on
// the very same rows), scored on fresh rows, gradient profiles before and after training; reproducible; bad specs
// named by field before any work.
import { describe, expect, it, vi } from 'vitest'
import * as trainStep from '../../src/engine/programs/train-step'
import { DELAY_BASELINE } from '../../src/core/recurrent'
import { runExperiment } from '../../src/main/services/experiments'
import { CancelledError } from '../../src/shared/errors'
import { experimentResultSchema, experimentSpecSchema } from '../../src/shared/spec'

vi.mock('../../src/engine/programs/train-step', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/programs/train-step')>()
  const create = vi.fn(real.TrainStepRunner.create.bind(real.TrainStepRunner))
  return { ...real, TrainStepRunner: Object.assign(real.TrainStepRunner, { create }) }
})

const spec = (sweep: Record<string, unknown>) => experimentSpecSchema.parse({ name: 'delay', seed: 3, sweep: { type: 'delay', ...sweep } })

describe('delay sweep', () => {
  it('adding at delay 5: the GRU learns it in 600 steps, the result is complete and reproducible', async () => {
    const s = spec({ cells: ['rnn', 'gru'], delays: [2, 5], hiddenSize: 16, trainingSteps: 600, evalRows: 300 })
    const a = await runExperiment(s, null)
    expect(experimentResultSchema.parse(JSON.parse(JSON.stringify(a))).sweep?.type).toBe('delay')
    if (a.sweep?.type !== 'delay') throw new Error('expected a delay sweep')
    expect(a.compute.path).toBe('engine')
    expect(a.sweep.task).toBe('adding')
    expect(a.sweep.baseline).toEqual(DELAY_BASELINE.adding)
    expect(a.sweep.points.map((p) => [p.cell, p.delay, p.trials, p.accuracies.length])).toEqual([
      ['rnn', 2, 1, 1],
      ['rnn', 5, 1, 1],
      ['gru', 2, 1, 1],
      ['gru', 5, 1, 1]
    ])
    const gru5 = a.sweep.points.find((p) => p.cell === 'gru' && p.delay === 5)!
    expect(gru5.accuracy).toBeGreaterThan(0.5) // chance: 7.84 %
    expect(gru5.loss).toBeLessThan(DELAY_BASELINE.adding.loss / 10)
    // Profiles at the largest delay: T + 1 = 7 values each, positive and finite.
    expect(a.sweep.profiles.map((p) => [p.cell, p.delay, p.initial.length, p.trained.length])).toEqual([
      ['rnn', 5, 7, 7],
      ['gru', 5, 7, 7]
    ])
    for (const p of a.sweep.profiles) for (const v of [...p.initial, ...p.trained]) expect(v > 0 && Number.isFinite(v)).toBe(true)
    expect((await runExperiment(s, null)).sweep).toEqual(a.sweep)
  }, 60_000)

  it('an engine that fails hands the sweep to the core, which trains on the same rows and says why', async () => {
    vi.mocked(trainStep.TrainStepRunner.create).mockRejectedValueOnce(new Error('no engine today'))
    const s = spec({ task: 'first-bit', cells: ['gru'], delays: [3], hiddenSize: 6, trainingSteps: 40, evalRows: 50, trials: 2 })
    const r = await runExperiment(s, null)
    expect(r.compute).toEqual({ path: 'core', provider: 'core', fallbackReason: 'engine failed (no engine today); ran on the core' })
    if (r.sweep?.type !== 'delay') throw new Error('expected a delay sweep')
    expect(r.sweep.points[0]!.accuracies).toHaveLength(2)
    expect(r.sweep.baseline).toEqual({ accuracy: 0.5, loss: Math.LN2 })
  }, 60_000)

  it('cancels between engine runs', async () => {
    let calls = 0
    const s = spec({ cells: ['rnn'], delays: [3], trainingSteps: 400 })
    await expect(runExperiment(s, null, { shouldCancel: () => ++calls > 3 })).rejects.toBeInstanceOf(CancelledError)
    expect(trainStep.TrainStepRunner.create).toHaveBeenCalled() // on the engine: cancelled, not handed to the core
  })

  it('refuses bad sweeps by field before any work', () => {
    const bad = (sweep: Record<string, unknown>) => experimentSpecSchema.safeParse({ name: 'x', seed: 1, model: { kind: 'hopfield' }, sweep: { type: 'delay', ...sweep } })
    const path = (sweep: Record<string, unknown>) => bad(sweep).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    expect(path({ cells: ['rnn', 'rnn'] })).toEqual(['sweep.cells: each cell at most once'])
    expect(path({ delays: [5, 5] })).toEqual(['sweep.delays: each delay at most once'])
    expect(path({ delays: [5, 10], profileDelay: 7 })).toEqual(['sweep.profileDelay: must be one of the delays'])
    expect(path({ delays: [501] })?.[0]).toMatch(/^sweep\.delays\.0: /)
    expect(path({ cells: ['transformer'] })?.[0]).toMatch(/^sweep\.cells\.0: /)
    expect(path({ task: 'copy' })?.[0]).toMatch(/^sweep\.task: /)
    expect(bad({}).success).toBe(true) // no dataset needed
  })
})

describe('gradient-flow sweep', () => {
  it("002's two examples: W_hh = 0.5 and 2 over 50 steps give 0.5⁵⁰ and 2⁵⁰ exactly", async () => {
    const run = async (w: number) => {
      const r = await runExperiment(experimentSpecSchema.parse({ name: 'g', seed: 1, sweep: { type: 'gradient-flow', weights: [[w]] } }), null)
      if (r.sweep?.type !== 'gradient-flow') throw new Error('expected a gradient-flow sweep')
      expect(r.compute.path).toBe('core')
      return r.sweep
    }
    const v = await run(0.5)
    expect(v.norms).toHaveLength(51)
    expect(v.norms[0]).toBe(8.881784197001252e-16)
    expect(v.norms[50]).toBe(1)
    expect((await run(2)).norms[0]).toBe(1125899906842624)
  })

  it('refuses a non-square W and a wrong h0 by field', () => {
    const issues = (sweep: Record<string, unknown>) =>
      experimentSpecSchema.safeParse({ name: 'x', seed: 1, model: { kind: 'hopfield' }, sweep: { type: 'gradient-flow', ...sweep } }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    expect(issues({ weights: [[1, 0], [0]] })).toEqual(['sweep.weights.1: W_hh must be square (2 × 2): row 2 has 1 value'])
    expect(issues({ weights: [[1]], h0: [0, 1] })).toEqual(['sweep.h0: must have one value per unit (1), got 2'])
    expect(issues({ weights: [[1]], steps: 0 })?.[0]).toMatch(/^sweep\.steps: /)
  })
})
