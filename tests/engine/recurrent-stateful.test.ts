// Stateful truncated BPTT and the masked (ignore-index) loss on the engine's recurrent train step, against independent
// references: the core's stateful RecurrentTrainer over consecutive windows (state carried inside a K-step Loop and
// from run to run, a reset mid-run), central finite differences showing that window 2's gradient treats window 1's
// final state as a constant, PyTorch fixtures (scripts/torch-rnn-fixtures.py: Adam + clip_grad_norm_ with hn.detach()
// between windows; CrossEntropyLoss with ignore_index −100) to 1e-10 in float64 and 1e-5 in float32, and the gradient
// of unpadded sequences for a batch whose padded steps are ignored.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Rng } from '../../src/core/rng'
import { forward, initRecurrentNet, lossAndGradients, RecurrentTrainer, softmaxCrossEntropy, type RecurrentNet, type RecurrentSpec } from '../../src/core/recurrent'
import { adam, sgd } from '../../src/engine/optim/optimiser'
import { buildRecurrentTrainStep, programParamName, type EngineCell, type RecurrentTrainSpec } from '../../src/engine/programs/recurrent'
import { TrainStepRunner, type BatchArray } from '../../src/engine/programs/train-step'
import { fdError, relErr } from '../core/recurrent-helpers'

const T = 5
const B = 3
const I = 4
const H = 5
const O = 4

interface Case {
  label: string
  cell: EngineCell
  layers: number
  vocab?: number
  dropout?: number
}

const CASES: Case[] = [
  { label: 'LSTM, 2 layers, tokens', cell: 'lstm', layers: 2, vocab: 6 },
  { label: 'GRU, 2 layers, features, dropout mask', cell: 'gru', layers: 2, dropout: 0.3 },
  { label: 'RNN tanh, 1 layer, features', cell: 'rnn-tanh', layers: 1 },
  { label: 'LSTM peephole + coupled, 1 layer, tokens', cell: 'lstm', layers: 1, vocab: 6 },
  { label: 'GRU original form, 1 layer, tokens', cell: 'gru-original', layers: 1, vocab: 6 }
]

function coreSpec(c: Case): RecurrentSpec {
  const cell = c.cell.startsWith('rnn') ? 'rnn' : c.cell.startsWith('gru') ? 'gru' : 'lstm'
  const variant = c.label.includes('peephole')
  return {
    cell,
    ...(cell === 'rnn' ? { nonlinearity: 'tanh' as const } : {}),
    ...(cell === 'gru' ? { gruForm: c.cell === 'gru-original' ? ('original' as const) : ('pytorch' as const) } : {}),
    ...(variant ? { peephole: true, coupled: true } : {}),
    inputSize: I,
    hiddenSize: H,
    numLayers: c.layers,
    bidirectional: false,
    dropout: c.dropout ?? 0,
    ...(c.vocab ? { vocabSize: c.vocab } : {}),
    head: { outputSize: O, loss: 'softmax-ce', on: 'all' }
  }
}

function programSpec(c: Case, extra: Partial<RecurrentTrainSpec> & Pick<RecurrentTrainSpec, 'optimiser'>): RecurrentTrainSpec {
  const s = coreSpec(c)
  return {
    cell: c.cell, steps: T, batch: B, inputSize: I, hiddenSize: H, numLayers: c.layers, bidirectional: false, outputSize: O,
    ...(c.vocab ? { vocabSize: c.vocab } : {}),
    ...(c.dropout ? { dropoutMask: true } : {}),
    ...(s.peephole ? { peephole: true } : {}),
    ...(s.coupled ? { coupled: true } : {}),
    ...extra
  }
}

function net64(c: Case, seed: number): RecurrentNet {
  const net = initRecurrentNet(coreSpec(c), new Rng(seed))
  for (const a of Object.values(net.params)) for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]! * 1.5)
  return net
}

const programParams = (net: RecurrentNet) => Object.fromEntries(Object.entries(net.params).map(([k, v]) => [programParamName(k), v]))

interface Window {
  tokens?: Int32Array
  input?: Float64Array
  classes: Int32Array
  masks: Float64Array[] | null
}

/** One stream of consecutive windows: a long sequence per row, cut into windows of T steps. */
function stream(c: Case, windows: number, rng: Rng): Window[] {
  return Array.from({ length: windows }, () => ({
    ...(c.vocab ? { tokens: Int32Array.from({ length: T * B }, () => rng.int(c.vocab!)) } : { input: Float64Array.from({ length: T * B * I }, () => Math.fround(rng.normal())) }),
    classes: Int32Array.from({ length: T * B }, () => rng.int(O)),
    masks: c.dropout ? Array.from({ length: c.layers - 1 }, () => Float64Array.from({ length: T * B * H }, () => (rng.next() < c.dropout! ? 0 : 1 / (1 - c.dropout!)))) : null
  }))
}

function feeds(ws: Window[], keep: number[], dtype: 'float32' | 'float64'): Record<string, BatchArray> {
  const F = dtype === 'float64' ? Float64Array : Float32Array
  const cat = (xs: Float64Array[]) => F.from(xs.flatMap((x) => Array.from(x)))
  return {
    ...(ws[0]!.tokens ? { tokens: BigInt64Array.from(ws.flatMap((w) => Array.from(w.tokens!, BigInt))) } : { x: cat(ws.map((w) => w.input!)) }),
    state_keep: F.from(keep.flatMap((k) => new Array<number>(B).fill(k))),
    ...(ws[0]!.masks ? { dropout_mask: cat(ws.flatMap((w) => w.masks!)) } : {}),
    targets: BigInt64Array.from(ws.flatMap((w) => Array.from(w.classes, BigInt)))
  }
}

const seq = (c: Case, w: Window) => ({ steps: T, batch: B, ...(c.vocab ? { tokens: w.tokens! } : { input: w.input! }) })
const fopts = (w: Window) => (w.masks ? { train: true, dropoutMasks: w.masks } : {})

describe('stateful truncated BPTT on the engine against the core trainer', () => {
  CASES.forEach((c, n) => {
    it(`${c.label}: 6 windows in 2 runs of 3 (state carried inside the Loop and between runs, reset at window 4): losses, weights and carried state to 1e-10`, async () => {
      const net = net64(c, 70 + n)
      const rng = new Rng(80 + n)
      const ws = stream(c, 6, rng)
      const S = c.layers * B * H
      const h0 = Float64Array.from({ length: S }, () => 0.4 * rng.normal())
      const c0 = Float64Array.from({ length: S }, () => 0.4 * rng.normal())
      const lstm = c.cell === 'lstm'
      const runner = await TrainStepRunner.create(buildRecurrentTrainStep(programSpec(c, { optimiser: adam({ maxGradNorm: 1 }), stepsPerRun: 3, stateful: true, dtype: 'float64' })), {
        params: programParams(net),
        carry: { h0, ...(lstm ? { c0 } : {}) }
      })
      try {
        // Window 4 (the second run's first) starts a new pass: state_keep 0.
        const r1 = await runner.run(feeds(ws.slice(0, 3), [1, 1, 1], 'float64'), 0.02)
        const mid = runner.getCarry()
        const r2 = await runner.run(feeds(ws.slice(3), [0, 1, 1], 'float64'), 0.02)
        const tr = new RecurrentTrainer(net, { kind: 'adam', learningRate: 0.02, clipNorm: 1 }, true)
        tr.h = Float64Array.from(h0)
        if (lstm) tr.c = Float64Array.from(c0)
        const losses: number[] = []
        ws.forEach((w, k) => {
          if (k === 3) {
            expect(relErr(mid.h0!, tr.h!)).toBeLessThan(1e-10)
            if (lstm) expect(relErr(mid.c0!, tr.c!)).toBeLessThan(1e-10)
            tr.resetState()
          }
          losses.push(tr.step(seq(c, w), { classes: w.classes }, fopts(w)).loss)
        })
        expect(relErr([...r1.loss, ...r2.loss], losses)).toBeLessThan(1e-10)
        const after = runner.getParams()
        for (const [k, w] of Object.entries(net.params)) expect(relErr(after[programParamName(k)]!, w), k).toBeLessThan(1e-10)
        const carry = runner.getCarry()
        expect(relErr(carry.h0!, tr.h!)).toBeLessThan(1e-10)
        if (lstm) expect(relErr(carry.c0!, tr.c!)).toBeLessThan(1e-10)
        // The carried state is the state: a stateless trainer on the same windows gives other losses.
        const plain = new RecurrentTrainer(net64(c, 70 + n), { kind: 'adam', learningRate: 0.02, clipNorm: 1 })
        const plainLosses = ws.map((w) => plain.step(seq(c, w), { classes: w.classes }, fopts(w)).loss)
        expect(relErr(plainLosses.slice(1, 3), losses.slice(1, 3))).toBeGreaterThan(1e-4)
      } finally {
        await runner.release()
      }
    })
  })

  it('window 2’s gradient treats window 1’s final state as a constant (central differences, float64)', async () => {
    const c = CASES[0]!
    const net = net64(c, 91)
    const ws = stream(c, 2, new Rng(92))
    const runner = await TrainStepRunner.create(buildRecurrentTrainStep(programSpec(c, { optimiser: sgd(), stateful: true, dtype: 'float64' })), { params: programParams(net) })
    try {
      await runner.run(feeds([ws[0]!], [1], 'float64'), 0) // lr 0: the weights stay, the state moves on
      const state = runner.getCarry()
      await runner.run(feeds([ws[1]!], [1], 'float64'), 1) // SGD at lr 1: the weights move by the gradient
      const after = runner.getParams()
      const loss2 = (h0: Float64Array, c0: Float64Array) => softmaxCrossEntropy(forward(net, { ...seq(c, ws[1]!), h0, c0 }).logits!, ws[1]!.classes, O).loss
      // Truncated: window 1's state fixed at its value; full BPTT: recomputed from the perturbed weights.
      const truncated = () => loss2(Float64Array.from(state.h0!), Float64Array.from(state.c0!))
      const full = () => {
        const f = forward(net, seq(c, ws[0]!))
        return loss2(f.hn, f.cn!)
      }
      let worstTruncated = 0
      let worstFull = 0
      for (const k of ['weight_hh_l0', 'weight_ih_l1', 'embedding.weight', 'bias_hh_l0']) {
        const engineGrad = net.params[k]!.map((v, i) => v - after[programParamName(k)]![i]!)
        worstTruncated = Math.max(worstTruncated, fdError(net.params[k]!, engineGrad, truncated, 1e-6))
        worstFull = Math.max(worstFull, fdError(net.params[k]!, engineGrad, full, 1e-6))
      }
      expect(worstTruncated).toBeLessThan(1e-8)
      // The full-BPTT derivative differs: the cut at the window boundary is real.
      expect(worstFull).toBeGreaterThan(1e-4)
    } finally {
      await runner.release()
    }
  })

  it('refuses stateful with bidirectional layers', () => {
    expect(() => buildRecurrentTrainStep({ ...programSpec(CASES[0]!, { optimiser: adam(), stateful: true }), bidirectional: true })).toThrow(/stateful.*bidirectional/)
  })
})

interface TorchFixture {
  spec: RecurrentSpec
  steps: number
  batch: number
  params: Record<string, { shape: number[]; data: number[] }>
  tokens: number[]
  h0: number[]
  c0?: number[]
  targets: number[]
  loss: number
  grads: Record<string, number[]>
  tbptt: { window: number; learning_rate: number; clip_norm: number; losses: number[]; grad_norms: number[]; params_after: Record<string, number[]> }
}

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'rnn', `${name}.json`), 'utf8')) as TorchFixture

function fixtureProgram(f: TorchFixture, extra: Partial<RecurrentTrainSpec> & Pick<RecurrentTrainSpec, 'optimiser' | 'steps'>): RecurrentTrainSpec {
  const s = f.spec
  return {
    cell: s.cell === 'gru' ? 'gru' : s.cell === 'lstm' ? 'lstm' : 'rnn-tanh',
    batch: f.batch,
    inputSize: s.inputSize,
    hiddenSize: s.hiddenSize,
    numLayers: s.numLayers,
    bidirectional: false,
    outputSize: s.head!.outputSize,
    vocabSize: s.vocabSize!,
    ...extra
  }
}

const fixtureParams = (f: TorchFixture) => Object.fromEntries(Object.entries(f.params).map(([k, v]) => [programParamName(k), v.data]))

describe('against PyTorch (torch.optim.Adam, clip_grad_norm_, hn.detach() between windows; ignore_index −100)', () => {
  for (const name of ['lstm_char_lm', 'gru_tagger_ignore']) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${name}: two stateful windows in one Loop run (${dtype}): losses, gradient norms and weights to ${dtype === 'float64' ? '1e-10' : '1e-5'}`, async () => {
        const f = fixture(name)
        const tb = f.tbptt
        const W = tb.window
        const K = f.steps / W
        const tol = dtype === 'float64' ? 1e-10 : 1e-5
        const program = buildRecurrentTrainStep(fixtureProgram(f, { steps: W, optimiser: adam({ maxGradNorm: tb.clip_norm }), stepsPerRun: K, stateful: true, dtype }))
        const runner = await TrainStepRunner.create(program, { params: fixtureParams(f), carry: { h0: f.h0, ...(f.c0 ? { c0: f.c0 } : {}) } })
        try {
          // The fixture's [T, B] tokens and targets are already K windows of [W, B], one after the other.
          const F = dtype === 'float64' ? Float64Array : Float32Array
          const r = await runner.run({ tokens: BigInt64Array.from(f.tokens, BigInt), state_keep: new F(K * f.batch).fill(1), targets: BigInt64Array.from(f.targets, BigInt) }, tb.learning_rate)
          expect(relErr(r.loss, tb.losses)).toBeLessThan(tol)
          expect(relErr(r.gradNorm!, tb.grad_norms)).toBeLessThan(tol)
          const after = runner.getParams()
          for (const [k, w] of Object.entries(tb.params_after)) expect(relErr(after[programParamName(k)]!, w), k).toBeLessThan(tol)
        } finally {
          await runner.release()
        }
      })
    }
  }

  it('gru_tagger_ignore: the loss with ignored (−100) steps and every weight gradient match torch to 1e-10 (float64, SGD lr 1)', async () => {
    const f = fixture('gru_tagger_ignore')
    expect(f.targets.filter((y) => y === -100)).toHaveLength(3)
    const runner = await TrainStepRunner.create(buildRecurrentTrainStep(fixtureProgram(f, { steps: f.steps, optimiser: sgd(), dtype: 'float64' })), { params: fixtureParams(f) })
    try {
      const r = await runner.run({ tokens: BigInt64Array.from(f.tokens, BigInt), h0: Float64Array.from(f.h0), targets: BigInt64Array.from(f.targets, BigInt) }, 1)
      expect(relErr(r.loss, [f.loss])).toBeLessThan(1e-10)
      const after = runner.getParams()
      for (const [k, g] of Object.entries(f.grads)) {
        const engineGrad = f.params[k]!.data.map((v, i) => v - after[programParamName(k)]![i]!)
        expect(relErr(engineGrad, g), k).toBeLessThan(1e-10)
      }
    } finally {
      await runner.release()
    }
  })
})

describe('masked loss: padded steps contribute nothing', () => {
  it('right-padded rows with target −100 on the pad steps: the engine’s loss and gradient are those of the unpadded rows (core per row, central differences)', async () => {
    const c: Case = { label: 'GRU, 2 layers, tokens', cell: 'gru', layers: 2, vocab: 6 }
    const net = net64(c, 101)
    const rng = new Rng(102)
    const lengths = [5, 2, 4] // real steps per row; the rest are pads (token 0) after them
    const tokens = Int32Array.from({ length: T * B }, () => 1 + rng.int(5))
    const classes = Int32Array.from({ length: T * B }, () => rng.int(O))
    const padded = Int32Array.from(classes, (y, i) => (Math.floor(i / B) < lengths[i % B]! ? y : -100))
    for (let i = 0; i < T * B; i++) if (padded[i] === -100) tokens[i] = 0
    const runner = await TrainStepRunner.create(buildRecurrentTrainStep(programSpec(c, { optimiser: sgd(), dtype: 'float64' })), { params: programParams(net) })
    try {
      const r = await runner.run({ tokens: BigInt64Array.from(tokens, BigInt), h0: new Float64Array(c.layers * B * H), targets: BigInt64Array.from(padded, BigInt) }, 1)
      const after = runner.getParams()
      // Reference: each row alone, unpadded (its own length), losses summed and divided by the real steps.
      const real = lengths.reduce((a, b) => a + b, 0)
      const row = (b: number) => ({ steps: lengths[b]!, batch: 1, tokens: Int32Array.from({ length: lengths[b]! }, (_, t) => tokens[t * B + b]!) })
      const rowTargets = (b: number) => Int32Array.from({ length: lengths[b]! }, (_, t) => classes[t * B + b]!)
      const unpaddedLoss = () => lengths.reduce((a, n, b) => a + (n * softmaxCrossEntropy(forward(net, row(b)).logits!, rowTargets(b), O).loss) / real, 0)
      expect(relErr(r.loss, [unpaddedLoss()])).toBeLessThan(1e-12)
      const perRow = lengths.map((_, b) => lossAndGradients(net, row(b), { classes: rowTargets(b) }).grads.params)
      for (const k of Object.keys(net.params)) {
        const engineGrad = net.params[k]!.map((v, i) => v - after[programParamName(k)]![i]!)
        const reference = net.params[k]!.map((_, i) => perRow.reduce((a, g, b) => a + (g[k]![i]! * lengths[b]!) / real, 0))
        expect(relErr(engineGrad, reference), k).toBeLessThan(1e-12)
        if (k === 'weight_hh_l0' || k === 'embedding.weight') expect(fdError(net.params[k]!, engineGrad, unpaddedLoss, 1e-6), k).toBeLessThan(1e-8)
      }
      // The pad token's embedding row gets no gradient: no pad step reaches a counted output.
      expect(Array.from(net.params['embedding.weight']!.slice(0, I).map((v, i) => v - after.embedding_weight![i]!))).toEqual(new Array<number>(I).fill(0))
    } finally {
      await runner.release()
    }
  })
})
