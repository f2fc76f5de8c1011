// The long-term-dependency tasks and the gradient profile: ∂ℓ/∂h_t for every step checked against central finite
// differences of the loss in the state at step t (an independent path: the suffix of the sequence run from that state),
// for every cell and both tasks; seed 002's W_hh = 0.5 over 50 steps, 0.5⁵⁰ = 8.88e−16, number for number.
import { describe, expect, it } from 'vitest'
import { Rng } from '../../src/core/rng'
import {
  ADDING_TOLERANCE,
  backward,
  DELAY_BASELINE,
  DELAY_INPUTS,
  delayBatch,
  delayNetSpec,
  evaluateDelay,
  forward,
  gradientFlow,
  gradientProfile,
  initRecurrentNet,
  meanSquaredError,
  softmaxCrossEntropy,
  type CellKind,
  type DelayBatch,
  type DelayTask,
  type RecurrentNet
} from '../../src/core/recurrent'

const H = 4

/** Row b's own loss with the state at step t (after t inputs; 0 = the initial state) replaced by h (and c). */
function suffixLoss(net: RecurrentNet, data: DelayBatch, b: number, t: number, h: Float64Array, c: Float64Array | null): number {
  const T = data.steps - t
  const input = new Float64Array(T * DELAY_INPUTS)
  for (let s = 0; s < T; s++) for (let k = 0; k < DELAY_INPUTS; k++) input[s * DELAY_INPUTS + k] = data.input[((t + s) * data.batch + b) * DELAY_INPUTS + k]!
  const f = forward(net, { steps: T, batch: 1, input, h0: h, ...(c ? { c0: c } : {}) })
  return data.task === 'adding' ? meanSquaredError(f.logits!, data.values!.slice(b, b + 1)).loss : softmaxCrossEntropy(f.logits!, data.classes!.slice(b, b + 1), 2).loss
}

/** Row b's state (h, c) after its first t inputs. */
function stateAt(net: RecurrentNet, data: DelayBatch, b: number, t: number): { h: Float64Array; c: Float64Array | null } {
  if (t === 0) return { h: new Float64Array(H), c: net.spec.cell === 'lstm' ? new Float64Array(H) : null }
  const input = new Float64Array(t * DELAY_INPUTS)
  for (let s = 0; s < t; s++) for (let k = 0; k < DELAY_INPUTS; k++) input[s * DELAY_INPUTS + k] = data.input[(s * data.batch + b) * DELAY_INPUTS + k]!
  const f = forward(net, { steps: t, batch: 1, input })
  return { h: f.hn, c: f.cn }
}

describe('delay tasks', () => {
  it('first-bit: ±1 bits, the marker on step 0 only, the target is step 0 bit', () => {
    const d = delayBatch('first-bit', 6, 50, new Rng(3))
    expect(d.steps).toBe(7)
    for (let b = 0; b < 50; b++) {
      for (let t = 0; t < 7; t++) {
        const o = (t * 50 + b) * 2
        expect(Math.abs(d.input[o]!)).toBe(1)
        expect(d.input[o + 1]).toBe(t === 0 ? 1 : 0)
      }
      expect(d.classes![b]).toBe(d.input[b * 2]! > 0 ? 1 : 0)
    }
    expect(new Set(d.classes).size).toBe(2)
  })

  it('adding: values in [0, 1), two markers (step 0 and one later step), the target is their sum', () => {
    const d = delayBatch('adding', 9, 200, new Rng(4))
    const seconds = new Set<number>()
    for (let b = 0; b < 200; b++) {
      let marked = 0
      let sum = 0
      for (let t = 0; t < 10; t++) {
        const o = (t * 200 + b) * 2
        expect(d.input[o]).toBeGreaterThanOrEqual(0)
        expect(d.input[o]).toBeLessThan(1)
        if (d.input[o + 1] === 1) {
          marked++
          sum += d.input[o]!
          if (t > 0) seconds.add(t)
        } else expect(d.input[o + 1]).toBe(0)
      }
      expect(marked).toBe(2)
      expect(d.input[b * 2 + 1]).toBe(1)
      expect(d.values![b]).toBe(sum)
    }
    expect([...seconds].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]) // every later step can be marked
  })

  it('same rng, same rows; bad arguments name themselves', () => {
    expect(delayBatch('adding', 5, 3, new Rng(9))).toEqual(delayBatch('adding', 5, 3, new Rng(9)))
    expect(() => delayBatch('adding', 0, 3, new Rng(1))).toThrow(/delay must be a positive integer/)
    expect(() => delayBatch('first-bit', 3, 1.5, new Rng(1))).toThrow(/batch must be a positive integer/)
    expect(() => delayBatch('copy' as DelayTask, 3, 2, new Rng(1))).toThrow(/task must be/)
  })

  it('the no-memory baselines: always 1 solves 1 − 0.96² of adding rows with MSE 1/6; a bit is a coin', () => {
    expect(DELAY_BASELINE.adding.accuracy).toBeCloseTo(0.0784, 12)
    expect(DELAY_BASELINE.adding.loss).toBeCloseTo(1 / 6, 15)
    // Measured on many rows: the constant answer 1 (a net whose head outputs 1 whatever it saw).
    const d = delayBatch('adding', 3, 20000, new Rng(5))
    const net = initRecurrentNet(delayNetSpec('adding', 'rnn', 2), new Rng(1))
    net.params['head.weight']!.fill(0)
    net.params['head.bias']!.fill(1)
    const e = evaluateDelay(net, d)
    expect(Math.abs(e.accuracy - DELAY_BASELINE.adding.accuracy)).toBeLessThan(0.01)
    expect(Math.abs(e.loss - 1 / 6)).toBeLessThan(0.01)
    expect(ADDING_TOLERANCE).toBe(0.04)
  })
})

describe('gradientProfile', () => {
  const cases: [DelayTask, CellKind][] = [
    ['adding', 'rnn'],
    ['adding', 'lstm'],
    ['adding', 'gru'],
    ['first-bit', 'rnn'],
    ['first-bit', 'lstm'],
    ['first-bit', 'gru']
  ]
  it.each(cases)('%s, %s: ‖∂ℓ/∂h_t‖ per step equals central differences of the suffix loss in h_t', (task, cell) => {
    const net = initRecurrentNet(delayNetSpec(task, cell, H), new Rng(11))
    // Larger weights than the init so the profile is far from flat.
    for (const k of Object.keys(net.params)) net.params[k] = net.params[k]!.map((v) => 2.5 * v)
    const data = delayBatch(task, 5, 3, new Rng(12))
    const profile = gradientProfile(net, data)
    expect(profile).toHaveLength(data.steps + 1)
    const eps = 1e-6
    for (let t = 0; t <= data.steps; t++) {
      let mean = 0
      for (let b = 0; b < data.batch; b++) {
        const { h, c } = stateAt(net, data, b, t)
        let sq = 0
        for (let j = 0; j < H; j++) {
          const up = Float64Array.from(h)
          const down = Float64Array.from(h)
          up[j]! += eps
          down[j]! -= eps
          // The state after the last step only feeds the head: its suffix is empty, the head reads it directly.
          const g = t === data.steps ? headGradient(net, data, b, h, j, eps) : (suffixLoss(net, data, b, t, up, c) - suffixLoss(net, data, b, t, down, c)) / (2 * eps)
          sq += g * g
        }
        mean += Math.sqrt(sq) / data.batch
      }
      expect(Math.abs(profile[t]! - mean)).toBeLessThan(1e-7 * Math.max(1, mean))
    }
  })

  it("002: W_hh = 0.5 over 50 steps multiplies the gradient by 0.5⁵⁰ = 8.88e−16 (one tanh unit at rest)", () => {
    const spec = { cell: 'rnn' as const, inputSize: 1, hiddenSize: 1, numLayers: 1, bidirectional: false, dropout: 0 }
    const net: RecurrentNet = { spec, params: { weight_ih_l0: new Float64Array([0]), weight_hh_l0: new Float64Array([0.5]), bias_ih_l0: new Float64Array(1), bias_hh_l0: new Float64Array(1) } }
    const f = forward(net, { steps: 50, batch: 1, input: new Float64Array(50) })
    const g = backward(net, f, { dHn: new Float64Array([1]), hiddenGrads: true })
    // tanh′(0) = 1, so ∂h_50/∂h_t = 0.5^(50 − t) exactly in float64.
    expect(g.h0[0]).toBe(0.5 ** 50)
    expect(g.h0[0]!.toPrecision(3)).toBe('8.88e-16')
    for (let t = 1; t <= 50; t++) expect(g.hidden![t - 1]).toBe(0.5 ** (50 - t))
  })
})

/** ∂ℓ/∂h_T (the last state, read by the head only) by central differences through the head. */
function headGradient(net: RecurrentNet, data: DelayBatch, b: number, h: Float64Array, j: number, eps: number): number {
  const W = net.params['head.weight']!
  const bias = net.params['head.bias']!
  const O = bias.length
  const loss = (x: Float64Array) => {
    const logits = new Float64Array(O)
    for (let o = 0; o < O; o++) {
      logits[o] = bias[o]!
      for (let k = 0; k < H; k++) logits[o]! += W[o * H + k]! * x[k]!
    }
    return data.task === 'adding' ? meanSquaredError(logits, data.values!.slice(b, b + 1)).loss : softmaxCrossEntropy(logits, data.classes!.slice(b, b + 1), 2).loss
  }
  const up = Float64Array.from(h)
  const down = Float64Array.from(h)
  up[j]! += eps
  down[j]! -= eps
  return (loss(up) - loss(down)) / (2 * eps)
}

describe('gradientFlow', () => {
  const matmul = (a: Float64Array, b: Float64Array, n: number) => {
    const c = new Float64Array(n * n)
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j]! += a[i * n + k]! * b[k * n + j]!
    return c
  }
  const frob = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0))

  it('at rest (tanh′(0) = 1) ∂h_T/∂h_t is W^(T − t): matrix powers computed apart', () => {
    const n = 3
    const W = Float64Array.from([0.9, -0.4, 0.2, 0.3, 0.7, -0.5, -0.6, 0.1, 0.8])
    const T = 12
    const g = gradientFlow(W, n, T)
    let P = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0))
    const powers = [P]
    for (let k = 1; k <= T; k++) powers.push((P = matmul(P, W, n)))
    for (let t = 0; t <= T; t++) expect(g.norms[t]).toBeCloseTo(frob(powers[T - t]!), 12)
    g.jacobian.forEach((v, i) => expect(v).toBeCloseTo(powers[T]![i]!, 12))
  })

  it('away from rest: the Jacobian equals central differences of h_T in h_0 (tanh and relu)', () => {
    const n = 3
    const W = Float64Array.from([1.2, -0.4, 0.5, 0.3, 0.9, -0.7, -0.6, 0.4, 1.1])
    for (const nonlinearity of ['tanh', 'relu'] as const) {
      const h0 = Float64Array.from([0.3, 0.8, 0.5])
      const g = gradientFlow(W, n, 6, { nonlinearity, h0 })
      const net: RecurrentNet = {
        spec: { cell: 'rnn', nonlinearity, inputSize: 1, hiddenSize: n, numLayers: 1, bidirectional: false, dropout: 0 },
        params: { weight_ih_l0: new Float64Array(n), weight_hh_l0: W, bias_ih_l0: new Float64Array(n), bias_hh_l0: new Float64Array(n) }
      }
      const hT = (h: Float64Array) => forward(net, { steps: 6, batch: 1, input: new Float64Array(6), h0: h }).hn
      const eps = 1e-6
      for (let j = 0; j < n; j++) {
        const up = Float64Array.from(h0)
        const down = Float64Array.from(h0)
        up[j]! += eps
        down[j]! -= eps
        const a = hT(up)
        const b = hT(down)
        for (let i = 0; i < n; i++) expect(Math.abs(g.jacobian[i * n + j]! - (a[i]! - b[i]!) / (2 * eps))).toBeLessThan(1e-8)
      }
    }
  })

  it('refuses bad shapes by name', () => {
    expect(() => gradientFlow(new Float64Array(3), 2, 5)).toThrow(/W must have H·H = 4/)
    expect(() => gradientFlow(new Float64Array(4), 2, 0)).toThrow(/T must be a positive integer/)
    expect(() => gradientFlow(new Float64Array(4), 2, 5, { h0: new Float64Array(3) })).toThrow(/h0 must have 2/)
  })
})
