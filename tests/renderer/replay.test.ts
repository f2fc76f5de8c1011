import { describe, expect, it } from 'vitest'
import { ReplayTrace } from '../../src/renderer/src/lib/replay'
import { Rng } from '../../src/core/rng'

/** Naive reference: apply the first t updates to the initial state. */
function naive(initial: number[], units: number[], values: number[], t: number): Int8Array {
  const s = Int8Array.from(initial)
  for (let k = 0; k < t; k++) s[units[k]!] = values[k]!
  return s
}

describe('ReplayTrace', () => {
  const rng = new Rng(42)
  const n = 7
  const initial = Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1))
  const units: number[] = []
  const values: number[] = []
  for (let k = 0; k < 3 * n + 2; k++) {
    units.push(rng.int(n))
    values.push(rng.next() < 0.5 ? -1 : 1)
  }
  const trace = new ReplayTrace({ initial, units, values })

  it('gives the state after t updates for every t, across sweep checkpoints', () => {
    for (let t = 0; t <= units.length; t++) expect(Array.from(trace.frame(t).state)).toEqual(Array.from(naive(initial, units, values, t)))
  })

  it('reports the unit of update t and whether it changed', () => {
    expect(trace.frame(0).unit).toBe(-1)
    for (let t = 1; t <= units.length; t++) {
      const before = naive(initial, units, values, t - 1)
      const f = trace.frame(t)
      expect(f.unit).toBe(units[t - 1])
      expect(f.flipped).toBe(before[units[t - 1]!] !== values[t - 1])
    }
  })

  it('clamps t to 0..length', () => {
    expect(trace.frame(-5).t).toBe(0)
    expect(trace.frame(1e9).t).toBe(units.length)
  })

  it('finds the next and previous updates that flip a unit', () => {
    const flips: number[] = []
    for (let t = 1; t <= units.length; t++) if (trace.frame(t).flipped) flips.push(t)
    for (let t = 0; t <= units.length; t++) {
      expect(trace.nextFlip(t)).toBe(flips.find((f) => f > t) ?? units.length)
      expect(trace.previousFlip(t)).toBe([...flips].reverse().find((f) => f < t) ?? 0)
    }
  })
})
