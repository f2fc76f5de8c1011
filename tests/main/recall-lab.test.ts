// The recall lab's traced recall through the API, on the seeds' worked examples (003): binary states with the cue
// as external input in a given order, synchronous steps, the recurrent auto-associator's stop rules; plus the
// errors naming the field.
import { describe, expect, it } from 'vitest'
import { keptResult, type AsyncRecallResult } from '../../src/shared/session'
import type { RunRequestInput } from '../../src/shared/families'
import type { HopfieldModelSpec } from '../../src/shared/spec'
import { jobOutcome, withBackend, trainModel } from '../helpers/backend'

const backend = withBackend()

/** 003's auto-associative example: s = (1, 1, 1, −1) stored with W = s sᵀ − I. */
async function seedModel(model: Partial<HopfieldModelSpec> = {}): Promise<{ sessionId: string; modelId: string; fixed: number }> {
  const s = await backend.call('sessions.create', { name: 'recall lab' })
  const trained = await trainModel(backend, {
    sessionId: s.id,
    dataset: { builtin: 'seeds-003-auto' },
    model: { kind: 'hopfield', rule: 'hebb', normalisation: 'none', ...model }
  })
  if (trained.kind !== 'hopfield') throw new Error('expected a Hopfield net')
  return { sessionId: s.id, modelId: trained.id, fixed: trained.storedFixedPoints }
}

type RecallRun = Omit<Extract<RunRequestInput, { kind: 'recall.async' }>, 'kind' | 'seed'> & { seed?: number; modelId: string }

async function recall(sessionId: string, { modelId, ...spec }: RecallRun): Promise<AsyncRecallResult> {
  const { jobId } = await backend.call('models.run', { sessionId, modelId, run: { kind: 'recall.async', seed: 1, ...spec } })
  const done = await jobOutcome(backend, jobId)
  if (done.result.kind !== 'recall.async') throw new Error(`unexpected result ${done.result.kind}`)
  return done.result.result
}

describe('recall lab: 003 discrete Hopfield net (binary, external input, order 1, 4, 3, 2)', () => {
  it('stores (1, 1, 1, 0) and recovers it from (0, 0, 1, 0) with the printed updates', async () => {
    const { sessionId, modelId, fixed } = await seedModel({ encoding: 'binary' })
    expect(fixed).toBe(1)
    const r = await recall(sessionId, { modelId, cue: [0, 0, 1, 0], order: [0, 3, 2, 1], external: 'cue', maxSweeps: 10 })
    expect(r.mode).toBe('async')
    expect(r.encoding).toBe('binary')
    expect(r.order).toEqual([0, 3, 2, 1])
    // 003: unit 1 turns on (y_in = 1), unit 4 stays off (−2), unit 3 stays on (2), unit 2 turns on (2).
    expect(r.units.slice(0, 4)).toEqual([0, 3, 2, 1])
    expect(r.values.slice(0, 4)).toEqual([1, 0, 1, 1])
    expect(r.final).toEqual([1, 1, 1, 0])
    expect(r.energy.slice(0, 5)).toEqual([-1, -2, -2, -2, -4])
    expect(r.outcome).toBe('fixed-point')
    expect(r.recalled).toBe(0)
    // Without the external input the same cue settles elsewhere: the option is really applied.
    const plain = await recall(sessionId, { modelId, cue: [0, 0, 1, 0], order: [0, 3, 2, 1], maxSweeps: 10 })
    expect(plain.energy[0]).toBe(0)
    // The saved session keeps the trace with its settings.
    const session = await backend.call('sessions.open', { id: sessionId })
    expect(keptResult(session, 'recall.async')?.result).toMatchObject({ mode: 'async', encoding: 'binary', external: 'none' })
  })

  it('synchronous steps: (0, 0, 1, 0) → (1, 1, 1, 0) in one step with the cue as input', async () => {
    const { sessionId, modelId } = await seedModel({ encoding: 'binary' })
    const r = await recall(sessionId, { modelId, cue: [0, 0, 1, 0], mode: 'sync', external: 'cue', maxSweeps: 10 })
    expect(r.mode).toBe('sync')
    expect(r.steps).toEqual([[1, 1, 1, 0]])
    // y_in = x + yW from (0, 0, 1, 0): (0+1, 0+1, 1+0, 0−1).
    expect(r.netInputs).toEqual([[1, 1, 1, -1]])
    expect(r.energy).toEqual([-1, -4])
    expect(r.pairEnergy).toHaveLength(1)
    expect(r.outcome).toBe('fixed-point')
    expect(r.recalled).toBe(0)
  })

  it('thresholds from the spec change the dynamics (θ = 3 keeps every unit off)', async () => {
    const { sessionId, modelId, fixed } = await seedModel({ encoding: 'binary', threshold: 3 })
    expect(fixed).toBe(0)
    const r = await recall(sessionId, { modelId, cue: [1, 1, 1, 0], mode: 'sync', maxSweeps: 5 })
    expect(r.final).toEqual([0, 0, 0, 0])
  })
})

describe('batch recall with the cue as input', () => {
  it('runs on the engine with x held on and records it', async () => {
    const { sessionId, modelId } = await seedModel({ encoding: 'binary' })
    const results = []
    for (const external of ['cue', 'none'] as const) {
      const { jobId } = await backend.call('models.run', { sessionId, modelId, run: { kind: 'recall.batch', corruption: { type: 'flip', fraction: 0.25 }, cuesPerPattern: 12, seed: 5, maxIterations: 20, external } })
      const done = await jobOutcome(backend, jobId)
      if (done.result.kind !== 'recall.batch') throw new Error('expected recall.batch')
      results.push(done.result.result)
    }
    const [withX, without] = results
    expect(withX).toMatchObject({ external: 'cue', cues: 12 })
    expect(without).toMatchObject({ external: 'none', cues: 12 })
    // 003: with the cue held on, every one-unit error of (1, 1, 1, 0) comes back.
    expect(withX!.successRate).toBe(1)
  })
})

describe('recall lab: 003 recurrent auto-associator', () => {
  it('(1, 0, 0, 0) → (0, 1, 1, −1) → (1, 1, 1, −1): matches the stored vector, with the printed net inputs', async () => {
    const { sessionId, modelId } = await seedModel()
    const r = await recall(sessionId, { modelId, cue: [1, 0, 0, 0], mode: 'recurrent', maxSweeps: 10 })
    expect(r.netInputs).toEqual([
      [0, 1, 1, -1],
      [3, 2, 2, -2]
    ])
    expect(r.steps).toEqual([
      [0, 1, 1, -1],
      [1, 1, 1, -1]
    ])
    expect(r.outcome).toBe('stored-match')
    expect(r.recalled).toBe(0)
  })

  it('(−1, −1, 1, 1) → (−1, −1, −1, 1) twice: stops on the repeat ("Not OK")', async () => {
    const { sessionId, modelId } = await seedModel()
    const r = await recall(sessionId, { modelId, cue: [-1, -1, 1, 1], mode: 'recurrent', maxSweeps: 10 })
    expect(r.steps).toEqual([
      [-1, -1, -1, 1],
      [-1, -1, -1, 1]
    ])
    expect(r.outcome).toBe('repeat')
    expect(r.repeatOf).toBe(1)
    expect(r.recalled).toBe(-1)
  })

  it('a recurrent trace is saved with the session and comes back whole after a close and reopen', async () => {
    const { sessionId, modelId } = await seedModel({ encoding: 'binary', threshold: [0, 0, 0, 1] })
    const r = await recall(sessionId, { modelId, cue: [1, 0, 0, 0], mode: 'sync', external: 'cue', maxSweeps: 10 })
    await backend.call('sessions.save', { id: sessionId })
    await backend.call('sessions.close', { id: sessionId })
    const reopened = await backend.call('sessions.open', { id: sessionId })
    expect(keptResult(reopened, 'recall.async')?.result).toEqual(r)
    expect(reopened.models[0]!.spec).toMatchObject({ encoding: 'binary', threshold: [0, 0, 0, 1] })
  })

  it("'keep' activation goes straight to the stored vector", async () => {
    const { sessionId, modelId } = await seedModel()
    const r = await recall(sessionId, { modelId, cue: [1, 0, 0, 0], mode: 'recurrent', activation: 'keep', maxSweeps: 10 })
    expect(r.steps).toEqual([[1, 1, 1, -1]])
  })
})

describe('recall lab: bad input names the field', () => {
  it('rejects states outside the encoding, a bad order and external input for the recurrent net', async () => {
    const binary = await seedModel({ encoding: 'binary' })
    await expect(recall(binary.sessionId, { modelId: binary.modelId, cue: [1, -1, 1, 0] })).rejects.toMatchObject({
      field: 'params.run.cue.1',
      message: expect.stringMatching(/not 0 or 1/)
    })
    const bipolar = await seedModel()
    await expect(recall(bipolar.sessionId, { modelId: bipolar.modelId, cue: [1, 0, 1, -1] })).rejects.toMatchObject({ field: 'params.run.cue.1' })
    await expect(recall(bipolar.sessionId, { modelId: bipolar.modelId, cue: [1, 1, 1, -1], order: [0, 1, 1, 3] })).rejects.toMatchObject({
      field: 'params.run.order',
      message: expect.stringMatching(/permutation of 0\.\.3/)
    })
    await expect(recall(bipolar.sessionId, { modelId: bipolar.modelId, cue: [1, 0, 0, 0], mode: 'recurrent', external: 'cue' })).rejects.toMatchObject({
      field: 'params.run.external'
    })
    await expect(
      backend.call('models.train', { sessionId: bipolar.sessionId, dataset: { builtin: 'seeds-003-auto' }, model: { kind: 'hopfield', threshold: [1, 2] } })
    ).rejects.toMatchObject({ field: 'params.model.threshold', message: expect.stringMatching(/params\.model\.threshold: 2 values for 4 units/) })
  })
})
