// The recurrent sequence tasks against their definitions: parity = XOR of the bits; the Reber automaton accepts the
// grammar's strings (hand-traced examples from the grammar's graph) and refuses the corruptions; the embedded form
// matches its outer T/P; Mackey-Glass against its differential equation and its fixed point; CSV by RFC 4180 cases;
// the time split, the training-only normalisation, persistence, confusion counts; and the finite-difference gradient
// of the token classifier's head on the last step (embedding + LSTM/GRU + softmax) and the forecaster's MSE head.
import { describe, expect, it } from 'vitest'
import { Rng } from '../../src/core/rng'
import {
  argmaxRows,
  confusionMatrix,
  embeddedReberString,
  errorStats,
  fitNormalisation,
  forecastBatch,
  forecastSplit,
  initRecurrentNet,
  isEmbeddedReber,
  isReber,
  lossAndGradients,
  mackeyGlass,
  MG_SUBSTEPS,
  parseCsv,
  reberString,
  runningParity,
  sineSeries,
  syntheticClassBatch,
  syntheticVocab,
  type RecurrentSpec
} from '../../src/core/recurrent'
import { fdError } from './recurrent-helpers'

describe('parity', () => {
  it('each row is T bits and its class is their XOR; the classes are balanced over many rows', () => {
    const T = 7
    const B = 4000
    const d = syntheticClassBatch('parity', T, B, new Rng(3))
    let odd = 0
    for (let b = 0; b < B; b++) {
      let ones = 0
      for (let t = 0; t < T; t++) {
        const v = d.tokens[t * B + b]!
        expect(v === 0 || v === 1).toBe(true)
        ones += v
      }
      expect(d.classes[b]).toBe(ones % 2)
      expect(d.strings[b]).toBe(Array.from({ length: T }, (_, t) => d.tokens[t * B + b]).join(''))
      odd += d.classes[b]!
    }
    // Binomial(4000, ½): σ ≈ 31.6; 5σ.
    expect(Math.abs(odd - B / 2)).toBeLessThan(160)
    expect(syntheticVocab('parity')).toEqual(['0', '1'])
  })

  it('tagging targets: the parity of the bits so far at every step, the last one the row\'s class', () => {
    const T = 9
    const B = 50
    const d = syntheticClassBatch('parity', T, B, new Rng(4))
    const tags = runningParity(d.tokens, T, B)
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const prefix = d.strings[b]!.slice(0, t + 1)
        expect(tags[t * B + b]).toBe([...prefix].filter((c) => c === '1').length % 2)
      }
      expect(tags[(T - 1) * B + b]).toBe(d.classes[b])
    }
  })

  it('is reproducible from the seed and refuses T below 2', () => {
    expect(syntheticClassBatch('parity', 5, 9, new Rng(1)).tokens).toEqual(syntheticClassBatch('parity', 5, 9, new Rng(1)).tokens)
    expect(() => syntheticClassBatch('parity', 1, 4, new Rng(1))).toThrow(/T must be an integer ≥ 2/)
  })
})

describe('the Reber grammar', () => {
  it('accepts strings traced by hand through the graph and refuses near misses', () => {
    for (const s of ['BTXSE', 'BPVVE', 'BTSSXXTVVE', 'BPTVPXVVE', 'BTXXVPSE', 'BPVPXVPXVPXVVE']) expect(isReber(s), s).toBe(true)
    for (const s of ['BTXS', 'TXSE', 'BTSSPXSE', 'BPVE', 'BTXXE', 'BTXSEE', '']) expect(isReber(s), s).toBe(false)
  })

  it('draws only grammatical strings, and every branch of the graph turns up', () => {
    const rng = new Rng(11)
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const s = reberString(rng)
      expect(isReber(s), s).toBe(true)
      for (let k = 0; k + 1 < s.length; k++) seen.add(s.slice(k, k + 2))
    }
    // The graph's 13 transitions as bigrams: B→T, B→P, T→S|X (state 2 entries), S→S, … (E only closes).
    for (const bigram of ['BT', 'BP', 'TS', 'SS', 'SX', 'TX', 'XX', 'XS', 'PT', 'TT', 'TV', 'PV', 'VP', 'VV', 'VE', 'SE']) expect(seen.has(bigram), bigram).toBe(true)
  })

  it('the embedded form closes with its opening T or P', () => {
    const rng = new Rng(2)
    for (let i = 0; i < 500; i++) {
      const s = embeddedReberString(rng)
      expect(isEmbeddedReber(s), s).toBe(true)
      expect(s.at(-2)).toBe(s[1])
      expect(isEmbeddedReber(`${s.slice(0, -2)}${s[1] === 'T' ? 'P' : 'T'}E`)).toBe(false)
    }
    expect(isEmbeddedReber('BTBTXSETE')).toBe(true)
    expect(isEmbeddedReber('BTBTXSEPE')).toBe(false)
  })

  it.each(['reber', 'embedded-reber'] as const)('%s batches: class 1 rows are in the language, class 0 rows are not, left-padded to T', (task) => {
    const T = 20
    const B = 600
    const d = syntheticClassBatch(task, T, B, new Rng(5))
    const vocab = syntheticVocab(task)
    const accept = task === 'reber' ? isReber : isEmbeddedReber
    let positives = 0
    for (let b = 0; b < B; b++) {
      const ids = Array.from({ length: T }, (_, t) => d.tokens[t * B + b]!)
      const first = ids.findIndex((v) => v !== 0)
      expect(ids.slice(first).every((v) => v !== 0)).toBe(true)
      const s = ids.slice(first).map((v) => vocab[v]).join('')
      expect(s).toBe(d.strings[b])
      expect(s.length).toBeLessThanOrEqual(T)
      expect(accept(s)).toBe(d.classes[b] === 1)
      positives += d.classes[b]!
    }
    expect(Math.abs(positives - B / 2)).toBeLessThan(5 * Math.sqrt(B / 4))
  })
})

describe('CSV (RFC 4180)', () => {
  it('splits fields, keeps quoted commas, newlines and doubled quotes, takes CRLF and a missing final newline', () => {
    expect(parseCsv('text,label\r\n"a, b",1\n"say ""hi""",0\n"two\nlines",1')).toEqual([
      ['text', 'label'],
      ['a, b', '1'],
      ['say "hi"', '0'],
      ['two\nlines', '1']
    ])
    expect(parseCsv('x\n\n1\n')).toEqual([['x'], ['1']])
    expect(parseCsv('a,,c\n')).toEqual([['a', '', 'c']])
    expect(() => parseCsv('a\n"open')).toThrow(/unterminated/)
  })
})

describe('series', () => {
  it('the sine without noise is sin(2πt/period); its noise has the standard deviation asked', () => {
    const clean = sineSeries(100, 25, 0, new Rng(1))
    for (let t = 0; t < 100; t++) expect(clean[t]).toBeCloseTo(Math.sin((2 * Math.PI * t) / 25), 15)
    const noisy = sineSeries(20000, 25, 0.3, new Rng(1))
    const resid = Array.from(noisy, (v, t) => v - Math.sin((2 * Math.PI * t) / 25))
    const sd = Math.sqrt(resid.reduce((a, r) => a + r * r, 0) / resid.length)
    expect(Math.abs(sd - 0.3)).toBeLessThan(0.3 * 5 * Math.sqrt(1 / (2 * 20000)))
  })

  it('Mackey-Glass follows its equation (centred differences of a fine run) and is chaotic but bounded at τ 17', () => {
    // dx/dt at integer t from the equation, against the slope of the sampled series (Euler at dt 0.1: O(dt) apart).
    const x = mackeyGlass(600, 17)
    for (const t of [100, 250, 400, 550]) {
      const slope = (x[t + 1]! - x[t - 1]!) / 2
      const d = x[t - 17]!
      const rhs = (0.2 * d) / (1 + d ** 10) - 0.1 * x[t]!
      expect(Math.abs(slope - rhs)).toBeLessThan(0.01)
    }
    const tail = Array.from(x.subarray(300))
    expect(Math.min(...tail)).toBeGreaterThan(0.2)
    expect(Math.max(...tail)).toBeLessThan(1.5)
    expect(Math.max(...tail) - Math.min(...tail)).toBeGreaterThan(0.5)
    // τ = 0 has the stable fixed point x* = 1 (0.2/(1 + 1) = 0.1·1).
    const calm = mackeyGlass(400, 0)
    expect(calm[399]).toBeCloseTo(1, 6)
    expect(MG_SUBSTEPS).toBe(10)
  })

  it('splits windows by time: training targets before the split, validation targets after, none lost', () => {
    const n = 50
    const s = forecastSplit(n, 8, 3, 0.2)
    expect(s.trainEnd).toBe(40)
    expect(Math.max(...s.trainStarts) + 8 - 1 + 3).toBe(39)
    expect(Math.min(...s.validationStarts) + 8 - 1 + 3).toBe(40)
    expect(s.trainStarts.length + s.validationStarts.length).toBe(n - 8 - 3 + 1)
  })

  it('normalises from the values given only (z-score, min-max, none) and lays windows out time-major', () => {
    const z = fitNormalisation([1, 2, 3, 4], 'zscore')
    expect(z.offset).toBe(2.5)
    expect(z.scale).toBeCloseTo(Math.sqrt(1.25), 15)
    expect(fitNormalisation([3, -1, 5], 'minmax')).toEqual({ method: 'minmax', offset: -1, scale: 6 })
    expect(fitNormalisation([3, 3], 'zscore').scale).toBe(1)
    const series = Float64Array.from([0, 10, 20, 30, 40, 50])
    const b = forecastBatch(series, { method: 'minmax', offset: 0, scale: 10 }, 2, 2, [0, 1])
    expect(Array.from(b.input)).toEqual([0, 1, 1, 2])
    expect(Array.from(b.values)).toEqual([3, 4])
  })

  it('error stats, confusion counts and argmax', () => {
    expect(errorStats([1, 2, 4], [1, 1, 1])).toEqual({ rmse: Math.sqrt(10 / 3), mae: 4 / 3 })
    expect(confusionMatrix([0, 0, 1, 2], [0, 1, 1, 0], 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 0]
    ])
    expect(Array.from(argmaxRows(Float64Array.of(1, 3, 2, 5, 5, 0), 3))).toEqual([1, 0])
  })
})

describe('the task heads: finite differences', () => {
  const T = 6
  const B = 3
  it.each(['lstm', 'gru'] as const)('tokens → embedding → %s → softmax head on the last step (a parity batch)', (cell) => {
    const spec: RecurrentSpec = { cell, inputSize: 3, hiddenSize: 4, numLayers: 1, bidirectional: false, dropout: 0, vocabSize: 2, head: { outputSize: 2, loss: 'softmax-ce', on: 'last' } }
    const rng = new Rng(8)
    const net = initRecurrentNet(spec, rng)
    const d = syntheticClassBatch('parity', T, B, rng)
    const batch = { steps: T, batch: B, tokens: d.tokens }
    const loss = () => lossAndGradients(net, batch, { classes: d.classes }).loss
    const r = lossAndGradients(net, batch, { classes: d.classes })
    let worst = 0
    for (const [name, a] of Object.entries(net.params)) worst = Math.max(worst, fdError(a, r.grads.params[name]!, loss))
    expect(worst).toBeLessThan(1e-7)
  })

  it('a one-channel window → RNN → MSE head on the last step (a forecast batch)', () => {
    const spec: RecurrentSpec = { cell: 'rnn', inputSize: 1, hiddenSize: 4, numLayers: 1, bidirectional: false, dropout: 0, head: { outputSize: 1, loss: 'mse', on: 'last' } }
    const rng = new Rng(9)
    const net = initRecurrentNet(spec, rng)
    const series = sineSeries(40, 10, 0.1, rng)
    const norm = fitNormalisation(series.subarray(0, 30), 'zscore')
    const { input, values } = forecastBatch(series, norm, T, 2, [0, 5, 11])
    const batch = { steps: T, batch: B, input }
    const loss = () => lossAndGradients(net, batch, { values }).loss
    const r = lossAndGradients(net, batch, { values })
    let worst = 0
    for (const [name, a] of Object.entries(net.params)) worst = Math.max(worst, fdError(a, r.grads.params[name]!, loss))
    expect(worst).toBeLessThan(1e-7)
  })
})
