import { describe, expect, it } from 'vitest'
import {
  adoptGrid,
  associate,
  energy,
  GRID_LIMIT,
  gridDenominator,
  gridForm,
  gridThreshold,
  hamming,
  hebb,
  maxRowL1,
  onGrid,
  isFixedPoint,
  matchStored,
  netInput,
  overlap,
  recallAsync,
  recallSync,
  recallSyncBatch,
  updateUnit,
  type HopfieldNet
} from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'

const S003 = [1, 1, 1, -1]
const W003_MODIFIED = [0, 1, 1, -1, 1, 0, 1, -1, 1, 1, 0, -1, -1, -1, -1, 0]

describe('003 auto-associative net storing s = (1, 1, 1, −1)', () => {
  const plain = hebb([S003], { zeroDiagonal: false })

  it('plain Hebb W = s sᵀ keeps the diagonal', () => {
    expect([...plain.weights]).toEqual([1, 1, 1, -1, 1, 1, 1, -1, 1, 1, 1, -1, -1, -1, -1, 1])
  })

  it('one mistake: f(xW) = (1, 1, 1, −1) for all four inputs', () => {
    for (const x of [
      [-1, 1, 1, -1],
      [1, -1, 1, -1],
      [1, 1, -1, -1],
      [1, 1, 1, 1]
    ]) {
      expect([...associate(plain.weights, 4, 4, x)]).toEqual(S003)
    }
  })

  it('two missing components are recovered', () => {
    for (const x of [
      [0, 0, 1, -1],
      [0, 1, 0, -1],
      [1, 1, 0, 0]
    ]) {
      expect([...associate(plain.weights, 4, 4, x)]).toEqual(S003)
    }
  })

  it('two mistakes (−1, −1, 1, −1) give (0, 0, 0, 0): "Not Ok"', () => {
    expect([...associate(plain.weights, 4, 4, [-1, -1, 1, -1])]).toEqual([0, 0, 0, 0])
  })

  it('modified Hebb W = s sᵀ − P·I is the matrix printed in 003', () => {
    expect([...hebb([S003]).weights]).toEqual(W003_MODIFIED)
  })

  it('recurrent net: three mistakes (−1, −1, 1, 1) → (−1, −1, −1, 1) then repeats, "Not OK"', () => {
    const r = recallSync(hebb([S003]), [-1, -1, 1, 1], { maxIterations: 10 })
    expect([...r.final]).toEqual([-1, -1, -1, 1])
    expect(r.iterations).toBe(1)
    expect(r.outcome).toBe('fixed-point')
  })

  it('associate computes a hetero-associative product: 003 Example(1), W = Σ s tᵀ', () => {
    // W printed in 003: [[2,0],[1,0],[0,1],[0,2]]; f(s(2)ᵀW) = f([3, 0]) = [1, 0].
    const W = Float32Array.from([2, 0, 1, 0, 0, 1, 0, 2])
    expect([...associate(W, 4, 2, [1, 1, 0, 0])]).toEqual([1, 0])
    expect([...associate(W, 4, 2, [0, 0, 1, 1])]).toEqual([0, 1])
  })
})

describe('003 discrete Hopfield example: binary (1, 1, 1, 0), cue (0, 0, 1, 0), order 1, 4, 3, 2', () => {
  const net = hebb([[1, 1, 1, 0]], { encoding: 'binary' })
  const x = [0, 0, 1, 0]
  const trace = recallAsync(net, x, { order: [0, 3, 2, 1], maxSweeps: 10, external: x, stored: [[1, 1, 1, 0]] })

  it('stores the weights printed in 003', () => {
    expect([...net.weights]).toEqual(W003_MODIFIED)
  })

  it('visits 1, 4, 3, 2 with net inputs 1, −2, 2, 2 and the printed states', () => {
    expect([...trace.units.slice(0, 4)]).toEqual([0, 3, 2, 1])
    expect([...trace.netInputs.slice(0, 4)]).toEqual([1, -2, 2, 2])
    const states: number[][] = []
    const y = [...trace.initial]
    for (let k = 0; k < 4; k++) {
      y[trace.units[k]!] = trace.values[k]!
      states.push([...y])
    }
    expect(states).toEqual([
      [1, 0, 1, 0],
      [1, 0, 1, 0],
      [1, 0, 1, 0],
      [1, 1, 1, 0]
    ])
  })

  it('converges to (1, 1, 1, 0): the second sweep changes nothing', () => {
    expect([...trace.final]).toEqual([1, 1, 1, 0])
    expect(trace.outcome).toBe('fixed-point')
    expect(trace.sweeps).toBe(2)
    expect(trace.units.length).toBe(8)
    expect(isFixedPoint(net, trace.final, x)).toBe(true)
    // Cue vs stored on ±1 images: (−1,−1,1,−1)·(1,1,1,−1)/4 = 0.
    expect(trace.overlaps).toEqual([[0], [1], [1]])
  })

  it('energy trace: E = −½yᵀWy − xᵀy, from −1 (cue) to −4 (stored)', () => {
    // Cue: −½·0 − 1 = −1. After unit 1: y = (1,0,1,0): −½·2 − 1 = −2. Final (1,1,1,0): −½·6 − 1 = −4.
    expect([...trace.energy.slice(0, 5)]).toEqual([-1, -2, -2, -2, -4])
    expect(energy(net, trace.final, x)).toBe(-4)
  })

  it('netInput and updateUnit agree with step 4/5 of the example', () => {
    const y = Int8Array.from(x)
    expect(netInput(net, y, 0, x)).toBe(1)
    expect(updateUnit(net, y, 0, x)).toBe(true)
    expect([...y]).toEqual([1, 0, 1, 0])
    expect(updateUnit(net, y, 3, x)).toBe(false)
  })
})

describe('000 9-neuron {0,1} network storing [0 1 0 1 0 1 0 1 0]', () => {
  const target = [0, 1, 0, 1, 0, 1, 0, 1, 0]
  const net = hebb([target], { encoding: 'binary', normalisation: '1/P' })

  it('a cue with 3 wrong bits converges in 3 updates that change a unit, in any random order', () => {
    const rng = new Rng(2019)
    for (let trial = 0; trial < 40; trial++) {
      const cue = [...target]
      for (const i of rng.permutation(9).subarray(0, 3)) cue[i] = 1 - cue[i]!
      expect(hamming(cue, target)).toBe(3)
      const t = recallAsync(net, cue, { rng, order: 'random', maxSweeps: 20 })
      const y = [...t.initial]
      let changes = 0
      t.units.forEach((u, k) => {
        if (y[u] !== t.values[k]) changes++
        y[u] = t.values[k]!
      })
      expect(changes).toBe(3)
      expect([...t.final]).toEqual(target)
      expect(t.outcome).toBe('fixed-point')
    }
  })
})

describe('hebb', () => {
  it('normalises by 1/P and 1/N', () => {
    const pats = [
      [1, -1, 1],
      [1, 1, -1]
    ]
    // Σ s sᵀ off-diagonal: w01 = 0, w02 = 0, w12 = −2.
    expect([...hebb(pats).weights]).toEqual([0, 0, 0, 0, 0, -2, 0, -2, 0])
    expect([...hebb(pats, { normalisation: '1/P' }).weights]).toEqual([0, 0, 0, 0, 0, -1, 0, -1, 0])
    expect(hebb(pats, { normalisation: '1/N' }).weights[5]).toBeCloseTo(-2 / 3, 6)
    expect([...hebb(pats, { zeroDiagonal: false }).weights.filter((_, k) => k % 4 === 0)]).toEqual([2, 2, 2])
  })

  it('names the pattern and unit of a bad value', () => {
    expect(() => hebb([[1, 1], [1, 0]])).toThrow(/pattern 1, unit 1/)
    expect(() => hebb([[0, 1], [2, 0]], { encoding: 'binary' })).toThrow(/pattern 1, unit 0/)
    expect(() => hebb([[1, 1], [1, 1, 1]])).toThrow(/pattern 1 has length 3/)
  })
})

function randomNet(rng: Rng, n: number, encoding: 'bipolar' | 'binary'): HopfieldNet {
  const weights = new Float32Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const w = rng.normal()
      weights[i * n + j] = w
      weights[j * n + i] = w
    }
  }
  const thresholds = new Float32Array(n)
  for (let i = 0; i < n; i++) thresholds[i] = rng.normal() * 0.5
  return { units: n, weights, thresholds, encoding }
}

describe('energy never increases under asynchronous updates (003 proof)', () => {
  it('holds on 300 random symmetric nets, both encodings, with θ and external input', () => {
    const rng = new Rng(31337)
    let decreases = 0
    for (let trial = 0; trial < 300; trial++) {
      const encoding = trial % 2 === 0 ? 'bipolar' : 'binary'
      const n = 2 + rng.int(14)
      const net = randomNet(rng, n, encoding)
      const external = Array.from({ length: n }, () => rng.normal() * 0.5)
      const lowV = encoding === 'bipolar' ? -1 : 0
      const cue = Array.from({ length: n }, () => (rng.int(2) === 1 ? 1 : lowV))
      const t = recallAsync(net, cue, { rng, order: 'random', maxSweeps: 50, external })
      const y = Int8Array.from(cue)
      for (let k = 0; k < t.units.length; k++) {
        expect(t.energy[k + 1]!).toBeLessThanOrEqual(t.energy[k]! + 1e-9)
        if (t.energy[k + 1]! < t.energy[k]! - 1e-9) decreases++
        y[t.units[k]!] = t.values[k]!
        // The incremental trace matches a direct evaluation of E.
        expect(Math.abs(t.energy[k + 1]! - energy(net, y, external))).toBeLessThan(1e-9)
      }
      expect(t.outcome).toBe('fixed-point')
      expect(isFixedPoint(net, t.final, external)).toBe(true)
    }
    expect(decreases).toBeGreaterThan(300)
  })
})

describe('fixed points', () => {
  it("a stored pattern's negative is also a fixed point (bipolar Hebb, θ = 0)", () => {
    const rng = new Rng(8)
    const pats = Array.from({ length: 3 }, () => Int8Array.from({ length: 100 }, () => (rng.int(2) ? 1 : -1)))
    const net = hebb(pats)
    for (const p of pats) {
      expect(isFixedPoint(net, p)).toBe(true)
      const neg = p.map((v) => -v)
      expect(isFixedPoint(net, neg)).toBe(true)
      expect(overlap(neg, p)).toBe(-1)
      expect(matchStored(neg, pats)).toBe(-1)
    }
    expect(matchStored(pats[2]!, pats)).toBe(2)
  })
})

describe('synchronous recall', () => {
  const net: HopfieldNet = { units: 2, weights: Float32Array.from([0, -1, -1, 0]), thresholds: new Float32Array(2), encoding: 'bipolar' }

  it('2-cycles on N = 2, w12 = −1, from (1, 1)', () => {
    const r = recallSync(net, [1, 1], { maxIterations: 10 })
    expect(r.outcome).toBe('cycle')
    expect(r.iterations).toBe(2)
    expect([...r.final]).toEqual([1, 1])
  })

  it('the same net settles asynchronously (sequential: (1,1) → (−1,1))', () => {
    const t = recallAsync(net, [1, 1], { order: 'sequential', maxSweeps: 10 })
    expect([...t.final]).toEqual([-1, 1])
    expect(t.outcome).toBe('fixed-point')
    expect([...t.energy]).toEqual([1, -1, -1, -1, -1])
  })

  it('reports max-iterations when the limit cuts a cycle, 0 iterations for a fixed point', () => {
    expect(recallSync(net, [1, 1], { maxIterations: 1 })).toMatchObject({ iterations: 1, outcome: 'max-iterations' })
    expect(recallSync(net, [1, -1], { maxIterations: 5 })).toMatchObject({ iterations: 0, outcome: 'fixed-point' })
  })

  it('recallSyncBatch equals recallSync row by row', () => {
    const rng = new Rng(77)
    const n = 30
    const pats = Array.from({ length: 4 }, () => Int8Array.from({ length: n }, () => (rng.int(2) ? 1 : -1)))
    const hnet = hebb(pats)
    const batch = 50
    const cues = new Int8Array(batch * n)
    for (let k = 0; k < cues.length; k++) cues[k] = rng.int(2) ? 1 : -1
    const out = recallSyncBatch(hnet, cues, batch, 20)
    let compared = 0
    for (let b = 0; b < batch; b++) {
      const r = recallSync(hnet, cues.subarray(b * n, (b + 1) * n), { maxIterations: 20 })
      if (r.outcome !== 'fixed-point') continue
      compared++
      expect([...out.final.subarray(b * n, (b + 1) * n)]).toEqual([...r.final])
      expect(out.iterations[b]).toBe(r.iterations)
    }
    expect(compared).toBeGreaterThan(25)
    // The 2-cycle net: each of 3 allowed updates changes the row.
    const cyc = recallSyncBatch(net, Int8Array.from([1, 1, 1, -1]), 2, 3)
    expect([...cyc.iterations]).toEqual([3, 0])
    expect([...cyc.final]).toEqual([-1, -1, 1, -1])
  })
})

describe('overlap and hamming', () => {
  it('maps binary states to ±1 before the overlap', () => {
    expect(overlap([1, 0, 1, 0], [1, 1, 1, 0], 'binary')).toBe(0.5)
    expect(overlap([1, -1, 1, -1], [1, 1, 1, -1])).toBe(0.5)
    expect(hamming([1, -1, 1, -1], [1, 1, 1, 1])).toBe(2)
  })
})

describe('the weights grid: exact ties at any normalisation', () => {
  it('hebb keeps the float32 weights of c·K and records c = 1/D', () => {
    const rng = new Rng(3)
    const pats = Array.from({ length: 6 }, () => Int8Array.from({ length: 10 }, () => (rng.int(2) ? 1 : -1)))
    for (const [normalisation, d] of [['none', 1], ['1/N', 10], ['1/P', 6]] as const) {
      const net = hebb(pats, { normalisation })
      expect(net.scale).toBe(1 / d)
      expect(gridDenominator(net)).toBe(d)
      for (let i = 0; i < 10; i++) {
        for (let j = 0; j < 10; j++) {
          const k = i === j ? 0 : pats.reduce((s, p) => s + p[i]! * p[j]!, 0)
          expect(net.weights[i * 10 + j]).toBe(Math.fround(k / d))
        }
      }
    }
  })

  it('a tie stays a tie: K·s = 0 while the float64 sum of fl32(K/3) is not 0 (negative control)', () => {
    // Three patterns, 1/P: fl32(1/3) = 0.33333334, so an exact zero becomes about ±6e-8 in floating point.
    const rng = new Rng(12)
    const pats = Array.from({ length: 3 }, () => Int8Array.from({ length: 9 }, () => (rng.int(2) ? 1 : -1)))
    const net = hebb(pats, { normalisation: '1/P' })
    let found = 0
    for (let code = 0; code < 512; code++) {
      const s = Int8Array.from({ length: 9 }, (_, i) => ((code >> i) & 1 ? 1 : -1))
      for (let i = 0; i < 9; i++) {
        let ks = 0
        for (let j = 0; j < 9; j++) if (j !== i) ks += pats.reduce((a, p) => a + p[i]! * p[j]!, 0) * s[j]!
        // A tie where rounding points away from the unit's state: a float comparison would flip it.
        const h = netInput(net, s, i)
        if (ks !== 0 || h === 0 || Math.sign(h) === s[i]) continue
        found++
        // The unit keeps its state (003 step 5), whichever sign rounding gave the float sum.
        const y = Int8Array.from(s)
        expect(updateUnit(net, y, i)).toBe(false)
        // Without the grid the same weights decide by rounding and move the unit.
        const { scale: _scale, ...legacy } = net
        expect(updateUnit(legacy, Int8Array.from(s), i)).toBe(true)
      }
    }
    expect(found).toBeGreaterThan(0)
  })

  it('gridThreshold orders every integer within reach (|a| ≤ 2^23) as D·θ does, with no false ties', () => {
    const rng = new Rng(5)
    for (let t = 0; t < 2000; t++) {
      const d = [1, 6, 100, 3 * 2 ** 17][t % 4]!
      const theta = Math.fround((rng.next() - 0.5) * (t % 3 === 0 ? 1e-3 : 50))
      const g = gridThreshold(theta, d)
      expect(Math.fround(g)).toBe(g)
      const exact = theta * d
      for (const a of [Math.floor(exact) - 1, Math.floor(exact), Math.ceil(exact), Math.ceil(exact) + 1, 2 ** 23, -(2 ** 23)]) {
        if (Math.abs(a) <= 2 ** 23) expect(Math.sign(a - g)).toBe(Math.sign(a - exact))
      }
    }
    expect(gridThreshold(0.25, 100)).toBe(25)
    expect(gridThreshold(Math.fround(0.3), 100)).toBe(30.5)
    expect(gridThreshold(-1e30, 100)).toBe(-(2 ** 23 + 1))
  })

  it('onGrid: weights on 1/(base·2^m), within 1/(2D), symmetric, row sums in the budget; the first Storkey pattern exact', () => {
    const rng = new Rng(9)
    const n = 12
    const w = new Float64Array(n * n)
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) w[i * n + j] = w[j * n + i] = rng.normal() * 0.3
    for (const base of [1, n]) {
      const g = onGrid(w, n, base)
      const d = Math.round(1 / g.scale!)
      expect(d % base).toBe(0)
      const k = Array.from(g.weights, (v) => Math.round(v * d))
      for (let q = 0; q < n * n; q++) {
        expect(Math.fround(k[q]! / d)).toBe(g.weights[q])
        expect(Math.abs(g.weights[q]! - w[q]!)).toBeLessThanOrEqual(0.5 / d + 1e-7 * Math.abs(w[q]!))
        expect(g.weights[q]).toBe(g.weights[(q % n) * n + Math.floor(q / n)])
      }
      for (let i = 0; i < n; i++) expect(k.slice(i * n, (i + 1) * n).reduce((s, v) => s + Math.abs(v), 0)).toBeLessThanOrEqual(GRID_LIMIT)
      // The finest such grid: doubling D would break the budget.
      expect(2 * d > GRID_LIMIT || maxRowL1(k, n) * 2 + n / 2 > GRID_LIMIT).toBe(true)
    }
    expect(onGrid(Float64Array.of(2 ** 23, 0, 0, 0), 2).scale).toBeUndefined()
  })

  it('adoptGrid finds the grid of a Hebb net saved without one, and no grid for weights on none', () => {
    const rng = new Rng(4)
    const pats = Array.from({ length: 6 }, () => Int8Array.from({ length: 30 }, () => (rng.int(2) ? 1 : -1)))
    for (const [normalisation, d] of [['none', 1], ['1/N', 30], ['1/P', 6]] as const) {
      const { scale: _scale, ...saved } = hebb(pats, { normalisation })
      const old: HopfieldNet = saved
      expect(adoptGrid(old, [1, 30, 6])).toBe(d)
      expect(old.scale).toBe(1 / d)
    }
    const gaussian: HopfieldNet = { units: 2, weights: Float32Array.of(0, 0.123456, 0.123456, 0), thresholds: new Float32Array(2), encoding: 'bipolar' }
    expect(adoptGrid(gaussian, [1, 2, 6])).toBe(0)
    expect(gaussian.scale).toBeUndefined()
  })

  it('names the field: a scale that is not 1/D, weights off their declared grid', () => {
    const net: HopfieldNet = { units: 2, weights: Float32Array.of(0, 0.3, 0.3, 0), thresholds: new Float32Array(2), encoding: 'bipolar', scale: 0.3 }
    expect(() => gridDenominator(net)).toThrow(/scale must be 1\/D/)
    expect(() => isFixedPoint(net, [1, 1])).toThrow(/scale/)
    expect(() => gridForm({ ...net, scale: 1 / 3 })).toThrow(/weights \(0, 1\) = 0\.3.* not on the grid 1\/3/)
    expect(gridForm({ ...net, weights: Float32Array.of(0, 1 / 3, 1 / 3, 0), scale: 1 / 3 })!.weights).toEqual(Float32Array.of(0, 1, 1, 0))
  })
})
