import { describe, expect, it } from 'vitest'
import { autoHebb, recallRecurrent } from '../../src/core/auto-associative'
import { hebb } from '../../src/core/hopfield'

const S = [1, 1, 1, -1]
const W_MODIFIED = [0, 1, 1, -1, 1, 0, 1, -1, 1, 1, 0, -1, -1, -1, -1, 0]

describe('003 auto-associative net, Hebb and modified Hebb', () => {
  it('W = s sᵀ and W = s sᵀ − P·I (the printed matrix)', () => {
    expect([...autoHebb([S], { modified: false }).weights]).toEqual([1, 1, 1, -1, 1, 1, 1, -1, 1, 1, 1, -1, -1, -1, -1, 1])
    expect([...autoHebb([S]).weights]).toEqual(W_MODIFIED)
  })

  it('for bipolar patterns W − P·I is the zero-diagonal Hebb matrix', () => {
    const pats = [
      [1, -1, 1, 1, -1],
      [-1, -1, 1, -1, 1],
      [1, 1, 1, -1, -1]
    ]
    expect([...autoHebb(pats).weights]).toEqual([...hebb(pats).weights])
  })
})

describe('003 recurrent auto-associator, Example 1 (store (1, 1, 1, −1))', () => {
  const net = autoHebb([S])
  const run = (cue: number[], activation?: 'sign0' | 'keep') => recallRecurrent(net, cue, { stored: [S], maxIterations: 10, activation })
  const outs = (r: ReturnType<typeof run>) => r.steps.map((s) => [...s.output])
  const ins = (r: ReturnType<typeof run>) => r.steps.map((s) => [...s.netInput])

  it('(1,0,0,0)·W = (0,1,1,−1), then (3,2,2,−2) → (1,1,1,−1): stored vector, stop', () => {
    const r = run([1, 0, 0, 0])
    expect(ins(r)).toEqual([
      [0, 1, 1, -1],
      [3, 2, 2, -2]
    ])
    expect(outs(r)).toEqual([
      [0, 1, 1, -1],
      [1, 1, 1, -1]
    ])
    expect(r.outcome).toBe('stored-match')
    expect(r.storedIndex).toBe(0)
  })

  it('(0,1,0,0) → (1,0,1,−1) → (2,3,2,−2) → stored', () => {
    const r = run([0, 1, 0, 0])
    expect(ins(r)).toEqual([
      [1, 0, 1, -1],
      [2, 3, 2, -2]
    ])
    expect(r.outcome).toBe('stored-match')
  })

  it('(0,0,1,0) → (1,1,0,−1) → (2,2,3,−2) → stored', () => {
    const r = run([0, 0, 1, 0])
    expect(outs(r)[0]).toEqual([1, 1, 0, -1])
    expect(ins(r)[1]).toEqual([2, 2, 3, -2])
    expect(r.outcome).toBe('stored-match')
  })

  it('(0,0,0,−1) → (1,1,1,0) → (2,2,2,−3) → stored', () => {
    const r = run([0, 0, 0, -1])
    expect(outs(r)).toEqual([
      [1, 1, 1, 0],
      [1, 1, 1, -1]
    ])
    expect(ins(r)[1]).toEqual([2, 2, 2, -3])
    expect(r.outcome).toBe('stored-match')
  })

  it('(−1,−1,1,1) → (−1,−1,−1,1) → (−1,−1,−1,1): repeats, stop ("Not OK")', () => {
    const r = run([-1, -1, 1, 1])
    expect(ins(r)).toEqual([
      [-1, -1, -3, 1],
      [-3, -3, -3, 3]
    ])
    expect(outs(r)).toEqual([
      [-1, -1, -1, 1],
      [-1, -1, -1, 1]
    ])
    expect(r.outcome).toBe('repeat')
    expect(r.repeatOf).toBe(1)
    expect(r.storedIndex).toBe(-1)
  })

  it("Step 4's tie rule ('keep') skips the printed intermediate vectors", () => {
    const r = run([1, 0, 0, 0], 'keep')
    expect(outs(r)).toEqual([[1, 1, 1, -1]])
    expect(r.outcome).toBe('stored-match')
    // (0,0,0,−1): the tie at unit 4 keeps −1, so the stored vector comes at once.
    expect(outs(run([0, 0, 0, -1], 'keep'))).toEqual([[1, 1, 1, -1]])
  })

  it('iteration limit: a 2-cycle with nothing stored to match', () => {
    // W = [[0,1],[1,0]] flips (1,−1) ↔ (−1,1); with the cue counted as history the repeat is caught, so
    // the limit is reached only when it is smaller than the cycle.
    const swap = { units: 2, weights: Float32Array.from([0, 1, 1, 0]), thresholds: new Float32Array(2), encoding: 'bipolar' as const }
    const r = recallRecurrent(swap, [1, -1], { stored: [[1, 1]], maxIterations: 1 })
    expect(r.outcome).toBe('max-iterations')
    const r2 = recallRecurrent(swap, [1, -1], { stored: [[1, 1]], maxIterations: 5 })
    expect(r2.outcome).toBe('repeat')
    expect(r2.repeatOf).toBe(0)
    expect(r2.steps.length).toBe(2)
  })
})
