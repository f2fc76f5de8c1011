// Recurrent core, full BPTT against central finite differences in float64: every cell and variant (RNN tanh/relu,
// LSTM, peephole, coupled, both; GRU pytorch and original form), one layer and stacked + bidirectional with a dropout
// mask, token embedding with a softmax head, a many-to-one MSE head; gradients of every parameter, the input and the
// initial states. Also: clipping by global norm, NaN/Inf detection naming the step and tensor, spec validation.
import { describe, expect, it } from 'vitest'
import { Rng } from '../../src/core/rng'
import { fdError } from './recurrent-helpers'
import {
  backward,
  clipGradNorm,
  forward,
  initRecurrentNet,
  lossAndGradients,
  NonFiniteError,
  RecurrentSpecError,
  RecurrentTrainer,
  validateSpec,
  type Params,
  type RecurrentNet,
  type RecurrentSpec,
  type SequenceBatch
} from '../../src/core/recurrent'

const T = 4
const B = 2
const I = 3
const H = 5

function randn(rng: Rng, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => scale * rng.normal())
}

interface Probe {
  net: RecurrentNet
  batch: SequenceBatch
  masks?: Float64Array[]
  /** Fixed random weights of the linear loss Σ R⊙output + Σ Rh⊙hn + Σ Rc⊙cn. */
  R: Float64Array
  Rh: Float64Array
  Rc: Float64Array | null
}

function probe(spec: RecurrentSpec, seed: number): Probe {
  const rng = new Rng(seed)
  const net = initRecurrentNet(spec, rng)
  // Larger weights than the default init, so the gates leave their linear range.
  for (const a of Object.values(net.params)) for (let i = 0; i < a.length; i++) a[i]! *= 1.6
  const D = spec.bidirectional ? 2 : 1
  const S = spec.numLayers * D * B * H
  const batch: SequenceBatch = { steps: T, batch: B, input: randn(rng, T * B * I), h0: randn(rng, S, 0.5) }
  if (spec.cell === 'lstm') batch.c0 = randn(rng, S, 0.5)
  const masks =
    spec.numLayers > 1 && spec.dropout > 0
      ? Array.from({ length: spec.numLayers - 1 }, () => Float64Array.from({ length: T * B * D * H }, () => (rng.next() < spec.dropout ? 0 : 1 / (1 - spec.dropout))))
      : undefined
  return { net, batch, masks, R: randn(rng, T * B * D * H), Rh: randn(rng, S), Rc: spec.cell === 'lstm' ? randn(rng, S) : null }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

function linearLoss(p: Probe): number {
  const f = forward(p.net, p.batch, p.masks ? { train: true, dropoutMasks: p.masks } : {})
  return dot(f.output, p.R) + dot(f.hn, p.Rh) + (p.Rc ? dot(f.cn!, p.Rc) : 0)
}

/** max |analytic − central difference| / max(1, |analytic|) over every entry of `x`. */
function checkAll(p: Probe): { worst: number; names: string[] } {
  const f = forward(p.net, p.batch, p.masks ? { train: true, dropoutMasks: p.masks } : {})
  const g = backward(p.net, f, { dOutput: p.R, dHn: p.Rh, ...(p.Rc ? { dCn: p.Rc } : {}) })
  const loss = () => linearLoss(p)
  let worst = 0
  const names: string[] = []
  for (const [name, a] of Object.entries(p.net.params)) {
    worst = Math.max(worst, fdError(a, g.params[name]!, loss))
    names.push(name)
    // Every parameter takes part (no silently dead tensor).
    expect(g.params[name]!.some((v) => v !== 0), name).toBe(true)
  }
  worst = Math.max(worst, fdError(p.batch.input!, g.input!, loss))
  worst = Math.max(worst, fdError(p.batch.h0!, g.h0, loss))
  if (p.batch.c0) worst = Math.max(worst, fdError(p.batch.c0, g.c0!, loss))
  return { worst, names }
}

const VARIANTS: [string, Partial<RecurrentSpec>][] = [
  ['RNN tanh', { cell: 'rnn', nonlinearity: 'tanh' }],
  ['RNN relu', { cell: 'rnn', nonlinearity: 'relu' }],
  ['LSTM', { cell: 'lstm' }],
  ['LSTM peephole', { cell: 'lstm', peephole: true }],
  ['LSTM coupled', { cell: 'lstm', coupled: true }],
  ['LSTM peephole + coupled', { cell: 'lstm', peephole: true, coupled: true }],
  ['GRU pytorch form', { cell: 'gru', gruForm: 'pytorch' }],
  ['GRU original form', { cell: 'gru', gruForm: 'original' }]
]

// Measured worst: 8.5e-10 (RNN tanh); central differences with ε = 1e-5 are good to about 1e-10 here.
const TOL = 5e-9

describe('recurrent BPTT against float64 central differences', () => {
  VARIANTS.forEach(([label, v], k) => {
    it(`${label}: one layer`, () => {
      const spec = { cell: 'rnn', inputSize: I, hiddenSize: H, numLayers: 1, bidirectional: false, dropout: 0, ...v } as RecurrentSpec
      const { worst } = checkAll(probe(spec, 100 + k))
      expect(worst).toBeLessThan(TOL)
    })
    it(`${label}: 2 layers, bidirectional, dropout mask between layers`, () => {
      const spec = { cell: 'rnn', inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, dropout: 0.3, ...v } as RecurrentSpec
      const p = probe(spec, 200 + k)
      expect(p.masks![0]!.some((m) => m === 0)).toBe(true)
      const { worst, names } = checkAll(p)
      expect(names).toContain('weight_hh_l1_reverse')
      expect(worst).toBeLessThan(TOL)
    })
  })

  it('token embedding + LSTM + softmax cross-entropy head on every step', () => {
    const spec: RecurrentSpec = { cell: 'lstm', inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: false, dropout: 0, vocabSize: 7, head: { outputSize: 7, loss: 'softmax-ce', on: 'all' } }
    const rng = new Rng(5)
    const net = initRecurrentNet(spec, rng)
    const tokens = Int32Array.from({ length: T * B }, () => rng.int(7))
    const classes = Int32Array.from({ length: T * B }, () => rng.int(7))
    classes[3] = -1 // ignored position
    const batch: SequenceBatch = { steps: T, batch: B, tokens }
    const r = lossAndGradients(net, batch, { classes })
    let worst = 0
    for (const [name, a] of Object.entries(net.params)) worst = Math.max(worst, fdError(a, r.grads.params[name]!, () => lossAndGradients(net, batch, { classes }).loss))
      expect(worst).toBeLessThan(TOL)
  })

  it('GRU, bidirectional, many-to-one MSE head on the last step', () => {
    const spec: RecurrentSpec = { cell: 'gru', inputSize: I, hiddenSize: H, numLayers: 1, bidirectional: true, dropout: 0, head: { outputSize: 2, loss: 'mse', on: 'last' } }
    const rng = new Rng(6)
    const net = initRecurrentNet(spec, rng)
    const batch: SequenceBatch = { steps: T, batch: B, input: randn(rng, T * B * I) }
    const values = randn(rng, B * 2)
    const r = lossAndGradients(net, batch, { values })
    let worst = 0
    for (const [name, a] of Object.entries(net.params)) worst = Math.max(worst, fdError(a, r.grads.params[name]!, () => lossAndGradients(net, batch, { values }).loss))
    worst = Math.max(worst, fdError(batch.input!, r.grads.input!, () => lossAndGradients(net, batch, { values }).loss))
      expect(worst).toBeLessThan(TOL)
  })
})

describe('clipping, non-finite detection, validation', () => {
  it('clipGradNorm scales to the max norm (PyTorch rule) and leaves small gradients alone', () => {
    const g: Params = { a: Float64Array.of(3, 0), b: Float64Array.of(4) } // norm 5
    expect(clipGradNorm(g, 2.5)).toBe(5)
    const s = 2.5 / (5 + 1e-6)
    expect(Array.from(g.a!)).toEqual([3 * s, 0])
    expect(g.b![0]).toBe(4 * s)
    const small: Params = { a: Float64Array.of(0.3, 0.4) }
    expect(clipGradNorm(small, 1)).toBeCloseTo(0.5, 15)
    expect(Array.from(small.a!)).toEqual([0.3, 0.4])
    expect(() => clipGradNorm(small, 0)).toThrow(/clipNorm/)
  })

  it('the trainer clips by default: an exploding RNN step is bounded', () => {
    const spec: RecurrentSpec = { cell: 'rnn', inputSize: I, hiddenSize: H, numLayers: 1, bidirectional: false, dropout: 0, head: { outputSize: 2, loss: 'mse', on: 'all' } }
    const rng = new Rng(8)
    const net = initRecurrentNet(spec, rng)
    const before = Float64Array.from(net.params.weight_hh_l0!)
    const tr = new RecurrentTrainer(net, { kind: 'sgd', learningRate: 0.1 })
    const rep = tr.step({ steps: T, batch: B, input: randn(rng, T * B * I) }, { values: randn(rng, T * B * 2, 1000) })
    expect(rep.gradNorm).toBeGreaterThan(5)
    expect(rep.clipped).toBe(true)
    let moved = 0
    for (const [k, w] of Object.entries(net.params)) for (let i = 0; i < w.length; i++) moved += (w[i]! - (k === 'weight_hh_l0' ? before[i]! : w[i]!)) ** 2
    expect(moved).toBeGreaterThan(0)
  })

  it('a NaN in the input is reported with its time step and tensor by forward()', () => {
    const spec: RecurrentSpec = { cell: 'lstm', inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: false, dropout: 0 }
    const rng = new Rng(9)
    const net = initRecurrentNet(spec, rng)
    const input = randn(rng, T * B * I)
    input[2 * B * I + 1] = NaN // time step 2
    let err: unknown
    try {
      forward(net, { steps: T, batch: B, input })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(NonFiniteError)
    expect((err as NonFiniteError).where.time).toBe(2)
    expect((err as NonFiniteError).where.tensor).toBe('h (layer 0)')
  })

  it('the trainer names the training step and tensor of a non-finite value and keeps the last good weights', () => {
    const spec: RecurrentSpec = { cell: 'gru', inputSize: I, hiddenSize: H, numLayers: 1, bidirectional: false, dropout: 0, head: { outputSize: 2, loss: 'mse', on: 'last' } }
    const rng = new Rng(10)
    const net = initRecurrentNet(spec, rng)
    const tr = new RecurrentTrainer(net, { kind: 'adam', learningRate: 1e-2 })
    const batch: SequenceBatch = { steps: T, batch: B, input: randn(rng, T * B * I) }
    tr.step(batch, { values: randn(rng, B * 2) })
    const good = JSON.stringify(Object.entries(net.params).map(([k, v]) => [k, Array.from(v)]))
    const bad = randn(rng, B * 2)
    bad[1] = Infinity
    expect(() => tr.step(batch, { values: bad })).toThrow(/non-finite value .* in loss\[0\] at training step 2/)
    // A NaN gradient: an infinite target on the head gives an infinite head gradient only through d(loss).
    net.params['head.bias']![0] = NaN
    let err: unknown
    try {
      tr.step(batch, { values: randn(rng, B * 2) })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(NonFiniteError)
    expect((err as NonFiniteError).where.step).toBe(2)
    expect((err as NonFiniteError).where.tensor).toBe('logits')
    net.params['head.bias']![0] = JSON.parse(good).find((e: [string, number[]]) => e[0] === 'head.bias')[1][0]
    expect(JSON.stringify(Object.entries(net.params).map(([k, v]) => [k, Array.from(v)]))).toBe(good)
    expect(tr.stepCount).toBe(1)
  })

  it('bad hyper-parameters get an error naming the field', () => {
    const ok: RecurrentSpec = { cell: 'lstm', inputSize: 3, hiddenSize: 5, numLayers: 1, bidirectional: false, dropout: 0 }
    const bad: [Partial<RecurrentSpec> | Record<string, unknown>, RegExp][] = [
      [{ hiddenSize: 0 }, /hiddenSize/],
      [{ numLayers: 1.5 }, /numLayers/],
      [{ dropout: 1 }, /dropout/],
      [{ cell: 'transformer' }, /cell/],
      [{ nonlinearity: 'tanh' }, /nonlinearity/],
      [{ gruForm: 'original' }, /gruForm/],
      [{ head: { outputSize: 3, loss: 'hinge', on: 'all' } }, /head\.loss/],
      [{ vocabSize: -2 }, /vocabSize/]
    ]
    for (const [patch, re] of bad) expect(() => validateSpec({ ...ok, ...patch } as RecurrentSpec)).toThrow(re)
    expect(() => validateSpec({ ...ok, cell: 'gru', peephole: true })).toThrow(RecurrentSpecError)
    const net = initRecurrentNet({ ...ok, head: { outputSize: 2, loss: 'mse', on: 'last' } }, new Rng(1))
    expect(() => new RecurrentTrainer(net, { kind: 'adam', learningRate: -1 })).toThrow(/optimiser\.learningRate/)
    expect(() => new RecurrentTrainer(net, { kind: 'adam', learningRate: 1e-3, beta2: 1 })).toThrow(/optimiser\.beta2/)
  })
})
