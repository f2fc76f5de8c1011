// Recurrent core against PyTorch 1.13 (float64), an independent implementation: committed fixtures written by
// scripts/torch-rnn-fixtures.py (RNN tanh/relu, LSTM, GRU, stacked, bidirectional, both stacked and bidirectional, a
// char-LM with embedding and softmax head, a many-to-one MSE head): outputs, final states, logits, loss and the
// gradients of every weight, the input and the initial states, to 1e-10 in float64 and 1e-5 with float32 rounding.
// When torch is importable: the script is re-run (live re-check), and Engram's safetensors export is loaded by
// torch.nn.RNN/LSTM/GRU.load_state_dict(strict=True) and gives the core's outputs.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodeSafetensors } from '../../src/core/safetensors'
import { relErr } from './recurrent-helpers'
import {
  backward,
  decodeRecurrentSafetensors,
  encodeRecurrentSafetensors,
  forward,
  lossAndGradients,
  RecurrentTrainer,
  recurrentStateDict,
  sliceSteps,
  type Gradients,
  type Precision,
  type RecurrentNet,
  type RecurrentSpec,
  type SequenceBatch
} from '../../src/core/recurrent'

const FIXTURES = join(__dirname, '..', 'fixtures', 'rnn')
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'torch-rnn-fixtures.py')
const HAS_TORCH = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0

interface Fixture {
  name: string
  spec: RecurrentSpec
  steps: number
  batch: number
  params: Record<string, { shape: number[]; data: number[] }>
  input?: number[]
  tokens?: number[]
  h0: number[]
  c0?: number[]
  R?: number[]
  Rh?: number[]
  Rc?: number[]
  targets?: number[]
  output: number[]
  hn: number[]
  cn?: number[]
  logits?: number[]
  loss: number
  grads: Record<string, number[]>
  grad_input?: number[]
  grad_h0: number[]
  grad_c0?: number[]
  tbptt?: { window: number; learning_rate: number; clip_norm: number; losses: number[]; grad_norms: number[]; params_after: Record<string, number[]> }
}

function loadFixtures(dir: string): Fixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture)
}

function netOf(f: Fixture): RecurrentNet {
  return { spec: f.spec, params: Object.fromEntries(Object.entries(f.params).map(([k, v]) => [k, Float64Array.from(v.data)])) }
}

function batchOf(f: Fixture): SequenceBatch {
  const b: SequenceBatch = { steps: f.steps, batch: f.batch, h0: Float64Array.from(f.h0) }
  if (f.input) b.input = Float64Array.from(f.input)
  if (f.tokens) b.tokens = Int32Array.from(f.tokens)
  if (f.c0) b.c0 = Float64Array.from(f.c0)
  return b
}

/** The core's results on a fixture and the worst relative error over every compared tensor. */
function compare(f: Fixture, precision: Precision): { worst: number; compared: string[] } {
  const net = netOf(f)
  const batch = batchOf(f)
  const errs: [string, number][] = []
  let grads: Gradients
  const fwd = forward(net, batch, { precision })
  errs.push(['output', relErr(fwd.output, f.output)], ['hn', relErr(fwd.hn, f.hn)])
  if (f.cn) errs.push(['cn', relErr(fwd.cn!, f.cn)])
  if (f.spec.head) {
    errs.push(['logits', relErr(fwd.logits!, f.logits!)])
    const targets = f.spec.head.loss === 'softmax-ce' ? { classes: Int32Array.from(f.targets!) } : { values: Float64Array.from(f.targets!) }
    const r = lossAndGradients(net, batch, targets, { precision })
    errs.push(['loss', relErr([r.loss], [f.loss])])
    grads = r.grads
  } else {
    grads = backward(net, fwd, { dOutput: Float64Array.from(f.R!), dHn: Float64Array.from(f.Rh!), ...(f.Rc ? { dCn: Float64Array.from(f.Rc) } : {}) })
  }
  expect(Object.keys(grads.params).sort()).toEqual(Object.keys(f.grads).sort())
  for (const [k, g] of Object.entries(f.grads)) errs.push([`grad ${k}`, relErr(grads.params[k]!, g)])
  if (f.grad_input) errs.push(['grad input', relErr(grads.input!, f.grad_input)])
  errs.push(['grad h0', relErr(grads.h0, f.grad_h0)])
  if (f.grad_c0) errs.push(['grad c0', relErr(grads.c0!, f.grad_c0)])
  return { worst: Math.max(...errs.map((e) => e[1])), compared: errs.map((e) => e[0]) }
}

const fixtures = loadFixtures(FIXTURES)

describe('recurrent core against PyTorch fixtures', () => {
  it('the committed fixtures cover every case', () => {
    expect(fixtures.map((f) => f.name)).toEqual([
      'gru',
      'gru_bidirectional',
      'gru_many_to_one_mse',
      'gru_stacked_bidirectional',
      'gru_tagger_ignore',
      'lstm',
      'lstm_char_lm',
      'lstm_stacked',
      'lstm_stacked_bidirectional',
      'rnn_relu',
      'rnn_tanh',
      'rnn_tanh_stacked_bidirectional'
    ])
  })

  for (const f of fixtures) {
    it(`${f.name}: outputs, final states and every gradient to 1e-10 in float64`, () => {
      const { worst, compared } = compare(f, 'float64')
      expect(compared).toContain('grad h0')
      expect(worst).toBeLessThan(1e-10)
    })
    it(`${f.name}: to 1e-5 with float32 rounding`, () => {
      const { worst } = compare(f, 'float32')
      expect(worst).toBeLessThan(1e-5)
      expect(worst).toBeGreaterThan(0) // the rounding did take place
    })
  }
})

describe('safetensors with PyTorch names', () => {
  it('round trip in float64 (exact) and float32 (rounded), names and shapes as torch.nn.LSTM.state_dict()', () => {
    const f = fixtures.find((x) => x.name === 'lstm_stacked_bidirectional')!
    const net = netOf(f)
    const st = recurrentStateDict(net, 'float32')
    // The fixture's names and shapes are the ones torch wrote from nn.LSTM.named_parameters().
    expect(Object.fromEntries(Object.entries(st).map(([k, t]) => [k, t.shape]))).toEqual(Object.fromEntries(Object.entries(f.params).map(([k, v]) => [k, v.shape])))
    const back64 = decodeRecurrentSafetensors(encodeRecurrentSafetensors(net, 'float64'))
    for (const [k, v] of Object.entries(net.params)) expect(Array.from(back64.params[k]!)).toEqual(Array.from(v))
    const back32 = decodeRecurrentSafetensors(encodeRecurrentSafetensors(net, 'float32'))
    for (const [k, v] of Object.entries(net.params)) expect(Array.from(back32.params[k]!)).toEqual(Array.from(v, Math.fround))
    const noSpec = encodeSafetensors(st)
    expect(() => decodeRecurrentSafetensors(noSpec)).toThrow(/engram_recurrent_spec/)
    expect(decodeRecurrentSafetensors(noSpec, f.spec).spec).toEqual(f.spec)
    expect(() => decodeRecurrentSafetensors(noSpec, { ...f.spec, hiddenSize: 4 })).toThrow(/weight_ih_l0.*shape/)
  })
})

describe('training against PyTorch (torch.optim.Adam, clip_grad_norm_, detached state between windows)', () => {
  it.each(['lstm_char_lm', 'gru_tagger_ignore'])('%s: stateful truncated BPTT over two windows, clipping, Adam: losses, norms and weights to 1e-10', (name) => {
    const f = fixtures.find((x) => x.name === name)!
    const tb = f.tbptt!
    const net = netOf(f)
    const tr = new RecurrentTrainer(net, { kind: 'adam', learningRate: tb.learning_rate, clipNorm: tb.clip_norm }, true)
    tr.h = Float64Array.from(f.h0)
    if (f.c0) tr.c = Float64Array.from(f.c0)
    const tokens = Int32Array.from(f.tokens!)
    const targets = Int32Array.from(f.targets!)
    const reports = []
    for (let s = 0; s < f.steps; s += tb.window) {
      const batch = { steps: tb.window, batch: f.batch, tokens: sliceSteps(tokens, f.batch, 1, s, tb.window) }
      reports.push(tr.step(batch, { classes: sliceSteps(targets, f.batch, 1, s, tb.window) }))
    }
    expect(relErr(reports.map((r) => r.loss), tb.losses)).toBeLessThan(1e-12)
    expect(relErr(reports.map((r) => r.gradNorm), tb.grad_norms)).toBeLessThan(1e-12)
    if (name === 'lstm_char_lm') expect(reports.map((r) => r.clipped)).toEqual([true, false])
    for (const [k, w] of Object.entries(tb.params_after)) expect(relErr(net.params[k]!, w), k).toBeLessThan(1e-10)
  })
})

describe.skipIf(!HAS_TORCH)('live PyTorch re-check (needs /usr/bin/python3 with torch)', () => {
  it('the script, re-run now, writes the committed fixtures (to 1e-12) and the core matches them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-rnn-fixtures-'))
    const r = spawnSync('/usr/bin/python3', [SCRIPT, 'write', dir], { encoding: 'utf8', timeout: 120_000 })
    expect(r.status, r.stderr).toBe(0)
    const fresh = loadFixtures(dir)
    expect(fresh.map((f) => f.name)).toEqual(fixtures.map((f) => f.name))
    fresh.forEach((f, k) => {
      expect(relErr(f.output, fixtures[k]!.output)).toBeLessThan(1e-12)
      expect(relErr(f.grad_h0, fixtures[k]!.grad_h0)).toBeLessThan(1e-12)
      expect(compare(f, 'float64').worst).toBeLessThan(1e-10)
    })
  })

  for (const name of ['lstm_stacked_bidirectional', 'gru_stacked_bidirectional', 'rnn_tanh_stacked_bidirectional', 'lstm_char_lm', 'gru_many_to_one_mse']) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${name}: the ${dtype} safetensors export loads into torch with load_state_dict(strict=True) and gives the core's outputs`, () => {
        const f = fixtures.find((x) => x.name === name)!
        const net = netOf(f)
        const bytes = encodeRecurrentSafetensors(net, dtype)
        // What torch reads is exactly what Engram reads back.
        const back = decodeRecurrentSafetensors(bytes)
        expect(back.spec).toEqual(net.spec)
        const dir = mkdtempSync(join(tmpdir(), 'engram-rnn-st-'))
        writeFileSync(join(dir, 'net.safetensors'), bytes)
        const batch = batchOf(f)
        // A different batch size and a longer sequence than the fixture's, from the fixture's own numbers.
        const steps = f.steps + 2
        const rows = f.batch - 1
        const inp: Record<string, unknown> = { steps, batch: rows }
        const live: SequenceBatch = { steps, batch: rows }
        if (f.tokens) live.tokens = Int32Array.from({ length: steps * rows }, (_, i) => f.tokens![i % f.tokens!.length]!)
        else live.input = Float64Array.from({ length: steps * rows * f.spec.inputSize }, (_, i) => f.input![i % f.input!.length]!)
        live.h0 = Float64Array.from({ length: (batch.h0!.length / f.batch) * rows }, (_, i) => f.h0[i]! * 0.7)
        if (f.c0) live.c0 = Float64Array.from({ length: (batch.h0!.length / f.batch) * rows }, (_, i) => f.c0![i]!)
        Object.assign(inp, { tokens: live.tokens && Array.from(live.tokens), input: live.input && Array.from(live.input), h0: Array.from(live.h0), c0: live.c0 && Array.from(live.c0) })
        writeFileSync(join(dir, 'input.json'), JSON.stringify(inp))
        const r = spawnSync('/usr/bin/python3', [SCRIPT, 'load', join(dir, 'net.safetensors'), join(dir, 'input.json')], { encoding: 'utf8', timeout: 120_000 })
        expect(r.status, r.stderr).toBe(0)
        const torchOut = JSON.parse(r.stdout) as { output: number[]; hn: number[]; cn?: number[]; logits?: number[] }
        const core = forward(back, live)
        const tol = 1e-12
        expect(relErr(core.output, torchOut.output)).toBeLessThan(tol)
        expect(relErr(core.hn, torchOut.hn)).toBeLessThan(tol)
        if (torchOut.cn) expect(relErr(core.cn!, torchOut.cn)).toBeLessThan(tol)
        if (torchOut.logits) expect(relErr(core.logits!, torchOut.logits)).toBeLessThan(tol)
        if (dtype === 'float32') expect(relErr(back.params.weight_hh_l0!, net.params.weight_hh_l0!)).toBeGreaterThan(0)
      })
    }
  }
})
