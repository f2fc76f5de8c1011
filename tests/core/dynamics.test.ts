import { describe, expect, it } from 'vitest'
import { activateTie, pairEnergy, runHopfield, settle } from '../../src/core/dynamics'
import { energy, hebb, recallAsync, type HopfieldNet } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'

const net003 = hebb([[1, 1, 1, 0]], { encoding: 'binary' })

function randomSymmetric(rng: Rng, n: number, encoding: 'bipolar' | 'binary'): HopfieldNet {
  const weights = new Float32Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const w = rng.normal()
      weights[i * n + j] = w
      weights[j * n + i] = w
    }
  }
  const thresholds = Float32Array.from({ length: n }, () => rng.normal() * 0.5)
  return { units: n, weights, thresholds, encoding }
}

describe('runHopfield async: 003 discrete Hopfield example', () => {
  it('order 1, 4, 3, 2 with external input: the printed states and E from −1 to −4', () => {
    const x = [0, 0, 1, 0]
    const r = runHopfield(net003, x, { mode: 'async', order: [0, 3, 2, 1], external: x, maxSteps: 10, stored: [[1, 1, 1, 0]] })
    expect([...r.states[1]!]).toEqual([1, 1, 1, 0])
    expect(r.energy.slice(0, 5)).toEqual([-1, -2, -2, -2, -4])
    expect(r.outcome).toBe('fixed-point')
    expect(r.steps).toBe(2)
    expect(r.match).toBe(0)
    // Same numbers as the existing reference.
    const ref = recallAsync(net003, x, { order: [0, 3, 2, 1], external: x, maxSweeps: 10 })
    expect(r.energy).toEqual([...ref.energy])
  })
})

describe('runHopfield sync', () => {
  it('binary, with external input: (0,0,1,0) → (1,1,1,0) in one step, E −1 → −4', () => {
    const x = [0, 0, 1, 0]
    const r = runHopfield(net003, x, { mode: 'sync', external: x, maxSteps: 10 })
    expect(r.states.map((s) => [...s])).toEqual([
      [0, 0, 1, 0],
      [1, 1, 1, 0]
    ])
    expect(r.energy).toEqual([-1, -4])
    expect(r.outcome).toBe('fixed-point')
    expect(r.steps).toBe(1)
  })

  it('detects the 2-cycle of W = [[0,1],[1,0]] from (1,−1); async from the same cue reaches a fixed point', () => {
    const swap: HopfieldNet = { units: 2, weights: Float32Array.from([0, 1, 1, 0]), thresholds: new Float32Array(2), encoding: 'bipolar' }
    const r = runHopfield(swap, [1, -1], { mode: 'sync', maxSteps: 10 })
    expect(r.outcome).toBe('cycle')
    expect(r.cycle!.map((s) => [...s])).toEqual([
      [-1, 1],
      [1, -1]
    ])
    // E(1,−1) = −½·(−2) = 1 at every state of the cycle; L(y, y′) = −yᵀWy′ = −2.
    expect(r.energy).toEqual([1, 1, 1])
    expect(r.pairEnergy).toEqual([-2, -2])
    const a = runHopfield(swap, [1, -1], { mode: 'async', order: 'sequential', maxSteps: 10 })
    expect(a.outcome).toBe('fixed-point')
    expect([...a.final]).toEqual([-1, -1])
  })

  it('the pair Lyapunov function never rises along synchronous steps (200 random nets)', () => {
    const rng = new Rng(77)
    let cycles = 0
    for (let t = 0; t < 200; t++) {
      const encoding = t % 2 ? 'binary' : 'bipolar'
      const n = 3 + rng.int(10)
      const net = randomSymmetric(rng, n, encoding)
      const external = Array.from({ length: n }, () => rng.normal() * 0.3)
      const lo = encoding === 'bipolar' ? -1 : 0
      const cue = Array.from({ length: n }, () => (rng.int(2) ? 1 : lo))
      const r = runHopfield(net, cue, { mode: 'sync', external, maxSteps: 200 })
      expect(r.outcome).not.toBe('max-iterations')
      if (r.outcome === 'cycle') cycles++
      for (let k = 1; k < r.pairEnergy.length; k++) expect(r.pairEnergy[k]!).toBeLessThanOrEqual(r.pairEnergy[k - 1]! + 1e-9)
      // Direct evaluation agrees with the trace.
      r.states.slice(1).forEach((s, k) => expect(r.energy[k + 1]!).toBeCloseTo(energy(net, s, external), 9))
    }
    expect(cycles).toBeGreaterThan(0)
  })
})

describe('tie rules and thresholds', () => {
  const zero: HopfieldNet = { units: 3, weights: new Float32Array(9), thresholds: new Float32Array(3), encoding: 'bipolar' }
  it('at h = θ: keep, high, low', () => {
    expect(activateTie(0, 0, -1, 'keep', 'bipolar')).toBe(-1)
    expect(activateTie(0, 0, -1, 'high', 'bipolar')).toBe(1)
    expect(activateTie(0, 0, 1, 'low', 'binary')).toBe(0)
    expect([...runHopfield(zero, [1, -1, 1], { mode: 'sync', tie: 'high', maxSteps: 5 }).final]).toEqual([1, 1, 1])
    expect([...runHopfield(zero, [1, -1, 1], { mode: 'async', order: 'sequential', tie: 'low', maxSteps: 5 }).final]).toEqual([-1, -1, -1])
    expect(runHopfield(zero, [1, -1, 1], { mode: 'sync', maxSteps: 5 }).steps).toBe(0)
  })

  it('thresholds shift the decision: θ = 0.5 on a field of +0.4 turns a unit low', () => {
    const net: HopfieldNet = { units: 2, weights: Float32Array.from([0, 0.4, 0.4, 0]), thresholds: Float32Array.from([0.5, 0.5]), encoding: 'binary' }
    expect([...runHopfield(net, [1, 1], { mode: 'async', order: 'sequential', maxSteps: 5 }).final]).toEqual([0, 0])
    expect([...runHopfield(net, [1, 1], { mode: 'async', order: 'sequential', maxSteps: 5, external: [0.2, 0.2] }).final]).toEqual([1, 1])
  })

  it('rejects a bad order and a cue outside the encoding', () => {
    expect(() => runHopfield(net003, [0, 0, 1, 0], { mode: 'async', order: [0, 0, 1, 2], maxSteps: 2 })).toThrow(/permutation/)
    expect(() => runHopfield(net003, [0, 0, -1, 0], { mode: 'sync', maxSteps: 2 })).toThrow(/cue, unit 2/)
  })
})

describe('settle (fast path) agrees with runHopfield', () => {
  it('sequential async and sync give the same final states on 200 random nets', () => {
    const rng = new Rng(5)
    for (let t = 0; t < 200; t++) {
      const n = 3 + rng.int(12)
      const net = randomSymmetric(rng, n, 'bipolar')
      net.thresholds.fill(0)
      const cue = Int8Array.from({ length: n }, () => (rng.int(2) ? 1 : -1))
      for (const mode of ['async', 'sync'] as const) {
        const y = Int8Array.from(cue)
        const s = settle(net, y, { mode, order: 'sequential', maxSweeps: 100 })
        const r = runHopfield(net, cue, { mode, order: 'sequential', maxSteps: 100 })
        expect([...y]).toEqual([...r.final])
        expect(s.outcome).toBe(r.outcome)
      }
    }
  })

  it('pairEnergy of a fixed point with itself is 2E minus the diagonal terms', () => {
    const net = hebb([[1, -1, 1, -1]])
    const y = [1, -1, 1, -1]
    expect(pairEnergy(net, y, y)).toBe(2 * energy(net, y))
  })
})

describe('one convention for asymmetric weights: h_i = x_i + Σ_j y_j w_ji (003 step 4)', () => {
  // Integer weights, so every path's sums are exact and any disagreement is a convention one.
  const n = 9
  const rng = new Rng(77)
  const weights = Float32Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 0 : rng.int(7) - 3))
  const net: HopfieldNet = { units: n, weights, thresholds: Float32Array.from({ length: n }, () => rng.int(3) - 1), encoding: 'bipolar' }
  const transposed: HopfieldNet = { ...net, weights: Float32Array.from({ length: n * n }, (_, k) => weights[(k % n) * n + Math.floor(k / n)]!) }
  const cues = Array.from({ length: 30 }, () => Int8Array.from({ length: n }, () => (rng.int(2) ? 1 : -1)))
  const x = Float64Array.from({ length: n }, () => rng.int(3) - 1)

  it('runHopfield async visits with netInput: the same trajectory as recallAsync', () => {
    for (const cue of cues) {
      const a = runHopfield(net, cue, { mode: 'async', order: 'sequential', maxSteps: 20, external: x })
      const b = recallAsync(net, cue, { order: 'sequential', maxSweeps: 20, external: x })
      expect(Array.from(a.final)).toEqual(Array.from(b.final))
      expect(a.energy).toEqual(Array.from(b.energy))
    }
  })

  it('settle (async and sync) ends where runHopfield does; Wᵀ would not', () => {
    let differs = 0
    for (const cue of cues) {
      for (const mode of ['async', 'sync'] as const) {
        const r = runHopfield(net, cue, { mode, order: 'sequential', maxSteps: 30 })
        const y = Int8Array.from(cue)
        settle(net, y, { mode, order: 'sequential', maxSweeps: 30 })
        expect(Array.from(y)).toEqual(Array.from(r.final))
        const t = runHopfield(transposed, cue, { mode, order: 'sequential', maxSteps: 30 })
        if (t.final.some((v, i) => v !== r.final[i])) differs++
      }
    }
    expect(differs).toBeGreaterThan(0)
  })

  it('pairEnergy uses the same fields: L(y, y′) = −Σ_i y_i h_i(y′) − (x − θ)·(y + y′)', () => {
    const [y, yp] = [cues[0]!, cues[1]!]
    let h = 0
    for (let i = 0; i < n; i++) {
      let hi = 0
      for (let j = 0; j < n; j++) hi += yp[j]! * weights[j * n + i]!
      h += y[i]! * hi + (x[i]! - net.thresholds[i]!) * (y[i]! + yp[i]!)
    }
    expect(pairEnergy(net, y, yp, x)).toBe(-h)
  })
})
