import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import type { BamInfo, BamRecallResult, SessionState } from '../../src/shared/session'
import { setApi } from '../../src/renderer/src/api'
import { bamEnergyOption, bamFrames, bamOutcome, buildBamTrain, cueLayer, cycleUnit, defaultBamForm, flipUnits, readBamUi, weightSize } from '../../src/renderer/src/lib/bam'
import { useBamStore } from '../../src/renderer/src/stores/bam'
import { useJobsStore } from '../../src/renderer/src/stores/jobs'
import { useSessionStore } from '../../src/renderer/src/stores/session'
import type { JobResult } from '../../src/shared/api'
import { emptySession, FakeApi } from './fake-api'

// Seed 003, Example 3.23: A and C (5×3), codes (−1, 1) and (1, 1).
const A = [-1, 1, -1, 1, -1, 1, 1, 1, 1, 1, -1, 1, 1, -1, 1]
const C = [-1, 1, 1, 1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, 1]

function info(): BamInfo {
  return {
    kind: 'bam',
    id: 'b1',
    name: 'BAM · letters',
    spec: { kind: 'bam', codes: 'dataset', encoding: 'bipolar' },
    dataset: { builtin: 'seeds-003-bam', count: 2, threshold: 0.5 },
    xUnits: 15,
    yUnits: 2,
    width: 3,
    height: 5,
    labels: ['A', 'C'],
    x: [A, C],
    y: [
      [-1, 1],
      [1, 1]
    ],
    createdAt: '2026-01-01T00:00:00.000Z'
  }
}

function recallFromA(): BamRecallResult {
  return {
    modelId: 'b1',
    cue: { x: A, y: null },
    steps: [
      { layer: 'y', netInput: [-14, 16], state: [-1, 1], energy: -30 },
      { layer: 'x', netInput: A.map((v) => 2 * v), state: A, energy: -30 }
    ],
    x: A,
    y: [-1, 1],
    halfSteps: 2,
    outcome: 'stable',
    mode: 'bam',
    match: 0,
    negativeMatch: -1,
    spurious: false
  }
}

describe('lib/bam', () => {
  it('defaults to seed 003’s example and checks the codes against the dataset', () => {
    const f = defaultBamForm()
    expect(f).toEqual({ datasetId: 'seeds-003-bam', count: 2, codes: 'dataset', encoding: 'bipolar' })
    expect(buildBamTrain(f).params).toEqual({ dataset: { builtin: 'seeds-003-bam', count: 2 }, model: { kind: 'bam', codes: 'dataset', encoding: 'bipolar' } })
    expect(buildBamTrain({ ...f, datasetId: 'letters' }).field).toBe('codes')
    expect(buildBamTrain({ ...f, datasetId: 'letters', codes: 'one-hot', count: 30 }, [{ id: 'letters', count: 26 }]).field).toBe('count')
  })

  it('cycles units −1 → 0 → +1 (bipolar) and 0 ↔ 1 (binary)', () => {
    expect([-1, 0, 1].map((v) => cycleUnit(v, 'bipolar'))).toEqual([0, 1, -1])
    expect([0, 1].map((v) => cycleUnit(v, 'binary'))).toEqual([1, 0])
  })

  it('flips a seeded fraction of a layer, the same for the same seed', () => {
    const a = flipUnits(A, 0.2, 7, 'bipolar')
    expect(a.filter((v, i) => v !== A[i]).length).toBe(3)
    expect(flipUnits(A, 0.2, 7, 'bipolar')).toEqual(a)
    expect(flipUnits([0, 1, 0, 1], 1, 1, 'binary')).toEqual([1, 0, 1, 0])
    expect(flipUnits([0, 0], 1, 1, 'bipolar')).toEqual([0, 0])
  })

  it('leaves out an unknown layer', () => {
    expect(cueLayer([0, 0], true, 'bipolar')).toBeUndefined()
    expect(cueLayer([0, 1], true, 'bipolar')).toEqual([0, 1])
    expect(cueLayer([0, 0], true, 'binary')).toEqual([0, 0])
    expect(cueLayer([1, 1], false, 'bipolar')).toBeUndefined()
  })

  it('replays both layers per half-step, with the net inputs and changed units', () => {
    const frames = bamFrames(recallFromA(), 15, 2)
    expect(frames).toHaveLength(3)
    expect(frames[0]).toMatchObject({ t: 0, x: A, y: [0, 0], layer: null, netInput: null })
    expect(frames[1]).toMatchObject({ t: 1, x: A, y: [-1, 1], layer: 'y', netInput: [-14, 16], energy: -30, changed: [0, 1] })
    expect(frames[2]).toMatchObject({ layer: 'x', changed: [] })
  })

  it('names the outcome: the pair, its negative, or a spurious state', () => {
    const r = recallFromA()
    expect(bamOutcome(r, ['A', 'C'])).toEqual({ verdict: 'pair', text: 'stored pair A' })
    expect(bamOutcome({ ...r, match: -1, negativeMatch: 1 }, ['A', 'C']).verdict).toBe('negative')
    const spurious = bamOutcome({ ...r, match: -1, spurious: true }, ['A', 'C'])
    expect(spurious.verdict).toBe('spurious')
    expect(spurious.text).toContain('SPURIOUS')
    expect(bamOutcome({ ...r, match: -1, outcome: 'max-iterations' }, []).verdict).toBe('max-iterations')
  })

  it('charts L per half-step with the replay cursor, and sizes W', () => {
    const o = bamEnergyOption(recallFromA(), 1)
    const s = (o.series as { data: number[][]; markLine?: unknown }[])[0]!
    expect(s.data).toEqual([
      [1, -30],
      [2, -30]
    ])
    expect(s.markLine).toBeDefined()
    expect((bamEnergyOption(recallFromA(), 0).series as { markLine?: unknown }[])[0]!.markLine).toBeUndefined()
    expect(weightSize({ xUnits: 15, yUnits: 2 })).toBe('W 15 × 2 · 30 weights')
  })

  it('reads the page state back field by field', () => {
    expect(readBamUi(null)).toEqual(readBamUi({}))
    const ui = readBamUi({ form: { datasetId: 'letters', count: 4, codes: 'one-hot', encoding: 'nope' }, first: 'y', maxIterations: -1, flipFraction: 0.5, selectedId: 'b1' })
    expect(ui.form).toEqual({ datasetId: 'letters', count: 4, codes: 'one-hot', encoding: 'bipolar' })
    expect(ui.first).toBe('y')
    expect(ui.maxIterations).toBe(100)
    expect(ui.flipFraction).toBe(0.5)
    expect(ui.selectedId).toBe('b1')
  })
})

describe('BAM store', () => {
  let api: FakeApi
  let state: SessionState
  beforeEach(() => {
    setActivePinia(createPinia())
    api = new FakeApi()
    setApi(api)
    state = emptySession()
    // Training and recall are jobs: the fake backend lands the result in the session, then job.done follows.
    let jobs = 0
    const finish = (result: JobResult): { jobId: string } => {
      const jobId = `j${++jobs}`
      setTimeout(() => useJobsStore().onDone({ jobId, sessionId: 's1', result }), 0)
      return { jobId }
    }
    api.handle('sessions.open', () => state)
    api.handle('models.train', () => {
      state = { ...state, models: [info()], results: {} }
      return finish({ kind: 'bam.train', model: info() })
    })
    api.handle('models.run', (p) => {
      if (p.run.kind !== 'bam.recall') throw new Error(`unexpected run ${p.run.kind}`)
      const r = { ...recallFromA(), cue: { x: p.run.x ?? null, y: p.run.y ?? null } }
      state = { ...state, results: { 'bam.recall': { kind: 'bam.recall', result: r } } }
      return finish({ kind: 'bam.recall', result: r })
    })
    useSessionStore().state = state
  })

  it('trains, loads a cue, recalls with only the known layer, and restores the last recall', async () => {
    const bam = useBamStore()
    const session = useSessionStore()
    await bam.train()
    expect(api.callsOf('models.train')[0]).toEqual({ sessionId: 's1', dataset: { builtin: 'seeds-003-bam', count: 2 }, model: { kind: 'bam', codes: 'dataset', encoding: 'bipolar' } })
    expect(bam.selected?.id).toBe('b1')
    expect(bam.cueX).toEqual(A)
    expect(bam.cueY).toEqual([0, 0])

    bam.loadStored('x', 1)
    expect(bam.cueX).toEqual(C)
    bam.loadStored('x', 0)
    await bam.recall()
    expect(api.callsOf('models.run')[0]).toEqual({ sessionId: 's1', modelId: 'b1', run: { kind: 'bam.recall', x: A, maxIterations: 100, mode: 'bam' } })
    expect(bam.position).toBe(2)
    expect(bam.frame?.y).toEqual([-1, 1])
    bam.seek(1)
    expect(bam.frame?.netInput).toEqual([-14, 16])
    expect(session.dirty).toBe(true)

    // Only Y's second unit known: X cleared, Y (0, 1).
    bam.clearLayer('x')
    bam.setUnit('y', 1)
    expect(bam.cueY).toEqual([0, 1])
    await bam.recall()
    expect(api.callsOf('models.run')[1]).toEqual({ sessionId: 's1', modelId: 'b1', run: { kind: 'bam.recall', y: [0, 1], maxIterations: 100, mode: 'bam' } })

    // Both layers given: the first layer is sent.
    bam.loadStored('x', 0)
    bam.first = 'y'
    await bam.recall()
    expect(api.callsOf('models.run')[2]).toMatchObject({ run: { x: A, y: [0, 1], first: 'y' } })

    // One-shot (the hetero-associative net): only X is sent, whatever Y holds.
    bam.mode = 'one-shot'
    await bam.recall()
    expect(api.callsOf('models.run')[3]).toEqual({ sessionId: 's1', modelId: 'b1', run: { kind: 'bam.recall', x: A, maxIterations: 100, mode: 'one-shot' } })
    bam.mode = 'bam'
    await bam.recall()

    // Reopening: the BAM and the last recall's cue come back.
    const snap = bam.snapshot()
    setActivePinia(createPinia())
    setApi(api)
    useSessionStore().state = state
    const again = useBamStore()
    again.restore(snap)
    expect(again.selected?.id).toBe('b1')
    expect(again.result?.cue).toEqual({ x: A, y: [0, 1] })
    expect(again.cueY).toEqual([0, 1])
    expect(again.first).toBe('y')
    expect(again.mode).toBe('bam')
    expect(again.position).toBe(2)
  })

  it('refuses an empty cue', async () => {
    const bam = useBamStore()
    await bam.train()
    bam.clearLayer('x')
    await expect(bam.recall()).rejects.toThrow('the cue is empty')
  })
})
