// BAM in the app and the CLI spec: seed 003's letter example through the API, and a BAM sweep.
import { describe, expect, it } from 'vitest'
import { keptResult } from '../../src/shared/session'
import { jobOutcome, runModel, trainKind, withBackend } from '../helpers/backend'

const backend = withBackend('engram-bam-')

const A = [-1, 1, -1, 1, -1, 1, 1, 1, 1, 1, -1, 1, 1, -1, 1]

describe('BAM through the API', () => {
  it('stores A ↔ (−1,1), C ↔ (1,1) (003 Example 3.23) and recalls both ways, with the spurious y-only case', async () => {
    const s = await backend.call('sessions.create', { name: 'bam' })
    const bam = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'seeds-003-bam' }, model: { kind: 'bam', codes: 'dataset' } })
    expect(bam).toMatchObject({ xUnits: 15, yUnits: 2, width: 3, height: 5, labels: ['A', 'C'], y: [[-1, 1], [1, 1]] })
    const fromA = (await runModel(backend, { sessionId: s.id, modelId: bam.id, run: { kind: 'bam.recall', x: A } })).result
    expect(fromA.steps[0]).toMatchObject({ layer: 'y', netInput: [-14, 16], state: [-1, 1] })
    expect(fromA).toMatchObject({ y: [-1, 1], x: A, match: 0, spurious: false, outcome: 'stable' })
    // 003 Example 3.24: y = (0, 1) alone settles in a spurious stable state.
    const yOnly = (await runModel(backend, { sessionId: s.id, modelId: bam.id, run: { kind: 'bam.recall', y: [0, 1] } })).result
    expect(yOnly.spurious).toBe(true)
    expect(yOnly.match).toBe(-1)
    const reopened = await backend.call('sessions.open', { id: s.id })
    expect(keptResult(reopened, 'bam.recall')?.result.cue.y).toEqual([0, 1])
    await expect(backend.call('models.run', { sessionId: s.id, modelId: bam.id, run: { kind: 'bam.recall', x: [1, 1] } })).rejects.toMatchObject({ field: 'params.run.x' })
    await expect(backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'letters', count: 3 }, model: { kind: 'bam', codes: 'dataset' } })).rejects.toMatchObject({
      field: 'params.dataset.builtin'
    })
    const st = await backend.call('models.export', { sessionId: s.id, modelId: bam.id, format: 'safetensors' })
    expect(st.bytes).toBeGreaterThan(0)
  })

  it("one-shot hetero-associative recall on the same W (003), with the pairs' sufficient conditions and δ̄", async () => {
    const s = await backend.call('sessions.create', { name: 'hetero' })
    const bam = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'seeds-003-bam' }, model: { kind: 'bam', codes: 'dataset' } })
    const C = bam.x[1]!
    const dot = A.reduce((acc, v, i) => acc + v * C[i]!, 0)
    expect(bam.conditions).toMatchObject({ allOrthogonal: dot === 0, violationCount: dot === 0 ? 0 : 1, minNormSquared: 15, boundApplies: dot === 0 })
    // δ̄ = min‖s‖² / ‖Σ|s|‖ = 15 / ‖(2, …, 2)‖ = 15 / (2√15) = √15 / 2 for two bipolar letters.
    expect(bam.conditions!.disturbanceBound).toBeCloseTo(Math.sqrt(15) / 2, 12)
    const one = (await runModel(backend, { sessionId: s.id, modelId: bam.id, run: { kind: 'bam.recall', x: A, mode: 'one-shot' } })).result
    expect(one).toMatchObject({ mode: 'one-shot', outcome: 'one-shot', halfSteps: 1, y: [-1, 1], match: 0, spurious: false })
    expect(one.steps).toEqual([{ layer: 'y', netInput: [-14, 16], state: [-1, 1], energy: -30 }])
    // With every unit of X unknown but one, y = f(xW) can hit a zero net input: sign(0) = 0 is no stored code.
    const sparse = A.map((v, i) => (i === 0 ? v : 0))
    const weak = (await runModel(backend, { sessionId: s.id, modelId: bam.id, run: { kind: 'bam.recall', x: sparse, mode: 'one-shot' } })).result
    expect(weak.steps[0]!.netInput).toHaveLength(2)
    expect(weak.spurious).toBe(weak.match < 0)
    await expect(backend.call('models.run', { sessionId: s.id, modelId: bam.id, run: { kind: 'bam.recall', y: [1, 1], mode: 'one-shot' } })).rejects.toMatchObject({ field: 'params.run.x' })
  })

  it('runs a BAM sweep on letters with binary-index codes', async () => {
    const s = await backend.call('sessions.create', { name: 'bam sweep' })
    const { jobId } = await backend.call('jobs.start', {
      sessionId: s.id,
      spec: {
        kind: 'experiment',
        spec: { name: 'bam', seed: 2, dataset: { builtin: 'letters', select: [0, 2, 8] }, model: { kind: 'hopfield' }, sweep: { type: 'bam', fractions: [0, 0.05], cuesPerPattern: 5 } }
      }
    })
    const done = await jobOutcome(backend, jobId)
    if (done.result.kind !== 'experiment') throw new Error('expected an experiment')
    const sweep = done.result.record.result.sweep
    if (sweep?.type !== 'bam') throw new Error('expected a BAM sweep')
    expect(sweep).toMatchObject({ xUnits: 100, yUnits: 2, cue: 'x' })
    expect(sweep.points).toHaveLength(2)
    expect(sweep.points[0]!.cues).toBe(15)
  })
})
