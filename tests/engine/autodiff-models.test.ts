// Whole-model gradients: a 2-layer MLP with softmax cross-entropy and a 3-step RNN (unrolled, and as a Loop with a custom VJP) vs finite differences.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gradCheck, type GradCheckInput } from '../../src/engine/autodiff/gradcheck'
import { meanSquaredError, softmaxCrossEntropy } from '../../src/engine/autodiff/losses'
import { Tape } from '../../src/engine/autodiff/tape'
import { tensor } from '../../src/engine/onnx/builder'
import { HAS_ONNX, onnxCheck, prng } from './helpers'

/** Gradient models built by the tests below, checked by the ONNX checker in the last test. */
const checked = new Map<string, Uint8Array>()

function randomInputs(seed: number, shapes: number[][], scale = 1): GradCheckInput[] {
  const rand = prng(seed)
  return shapes.map((shape) => ({ shape, data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * (2 * rand() - 1)) }))
}

const T = 3
const B = 2
const I = 3
const HID = 4
const O = 2

/** h_t = tanh(x_t·Wx + h_{t−1}·Wh + b), unrolled with Gather(x, t). */
function rnnUnrolled(t: Tape, x: string, h0: string, wx: string, wh: string, b: string): string {
  let h = h0
  for (let k = 0; k < T; k++) h = t.tanh(t.add(t.add(t.matmul(t.gather(x, k), wx), t.matmul(h, wh)), b))
  return h
}

/**
 * The same recurrence as one opaque Loop. Forward: a Loop carrying h with every h_t as a scan
 * output. VJP: a reverse Loop that recomputes each cell and takes its VJP from a nested tape
 * seeded with the incoming dh, carrying dh and the weight-gradient sums.
 */
function rnnLoop(t: Tape, x: string, h0: string, wx: string, wh: string, b: string): { hT: string; hs: string } {
  const type = 'float64'
  const cell = (ct: Tape, xt: string, hPrev: string): string => ct.tanh(ct.add(ct.add(ct.matmul(xt, wx), ct.matmul(hPrev, wh)), b))
  const [hT, hs] = t.custom(
    [x, h0, wx, wh, b],
    (g) => {
      const body = g.subgraph('rnn_fwd')
      const iter = body.input('rnn_fwd_iter', 'int64', [])
      body.input('rnn_fwd_cond', 'bool', [])
      const hIn = body.input('rnn_fwd_h', type, [B, HID])
      const bt = new Tape(body, { dtype: type })
      for (const [n, s] of [[wx, [I, HID]], [wh, [HID, HID]], [b, [HID]], [hIn, [B, HID]]] as const) bt.declare(n, s)
      const xt = bt.declare(body.node('Gather', [x, iter], { axis: 0 }), [B, I])
      const h = cell(bt, xt, hIn)
      body.output('rnn_fwd_cond_out', 'bool', [], { from: 'rnn_fwd_cond' })
      body.output('rnn_fwd_h_out', type, [B, HID], { from: h })
      body.output('rnn_fwd_h_scan', type, [B, HID], { from: h })
      const [last, all] = g.node('Loop', [g.constant(tensor.int64([T], []), 'trip'), g.constBool(true), h0], { body }, 2)
      return [
        { name: last!, shape: [B, HID] },
        { name: all!, shape: [T, B, HID] }
      ]
    },
    ([dhT, dhs], { g, tape }) => {
      // h_{t−1} for every t: [h0, h_0 … h_{T−2}].
      const hPrevAll = g.node('Concat', [g.node('Unsqueeze', [h0, tape.ints([0])]), g.node('Slice', [hs!, tape.ints([0]), tape.ints([T - 1]), tape.ints([0])])], { axis: 0 })
      const body = g.subgraph('rnn_bwd')
      const k = body.input('rnn_bwd_iter', 'int64', [])
      body.input('rnn_bwd_cond', 'bool', [])
      const dhIn = body.input('rnn_bwd_dh', type, [B, HID])
      const dwxIn = body.input('rnn_bwd_dwx', type, [I, HID])
      const dwhIn = body.input('rnn_bwd_dwh', type, [HID, HID])
      const dbIn = body.input('rnn_bwd_db', type, [HID])
      const step = body.node('Sub', [body.constant(tensor.int64([T - 1], []), 'last'), k])
      const bt = new Tape(body, { dtype: type })
      for (const [n, s] of [[wx, [I, HID]], [wh, [HID, HID]], [b, [HID]]] as const) bt.declare(n, s)
      const xt = bt.declare(body.node('Gather', [x, step], { axis: 0 }), [B, I])
      const hPrev = bt.declare(body.node('Gather', [hPrevAll, step], { axis: 0 }), [B, HID])
      const dh = body.node('Add', [dhIn, body.node('Gather', [dhs!, step], { axis: 0 })])
      const [gx, gh, gwx, gwh, gb] = bt.grad(cell(bt, xt, hPrev), [xt, hPrev, wx, wh, b], { seeds: [dh] })
      body.output('rnn_bwd_cond_out', 'bool', [], { from: 'rnn_bwd_cond' })
      body.output('rnn_bwd_dh_out', type, [B, HID], { from: gh! })
      body.output('rnn_bwd_dwx_out', type, [I, HID], { from: body.node('Add', [dwxIn, gwx!]) })
      body.output('rnn_bwd_dwh_out', type, [HID, HID], { from: body.node('Add', [dwhIn, gwh!]) })
      body.output('rnn_bwd_db_out', type, [HID], { from: body.node('Add', [dbIn, gb!]) })
      body.output('rnn_bwd_dx_scan', type, [B, I], { from: gx! })
      const [dh0, dwx, dwh, db, dxRev] = g.node(
        'Loop',
        [g.constant(tensor.int64([T], []), 'trip'), g.constBool(true), dhT!, tape.zeros([I, HID], type), tape.zeros([HID, HID], type), tape.zeros([HID], type)],
        { body },
        5
      )
      // Scan outputs come in iteration order, i.e. t = T−1 … 0: reverse them.
      const dx = g.node('Slice', [dxRev!, tape.ints([-1]), tape.ints([-T - 1]), tape.ints([0]), tape.ints([-1])])
      return [dx, dh0!, dwx!, dwh!, db!]
    }
  )
  return { hT: hT!, hs: hs! }
}

describe('whole-model gradients vs float64 central differences', () => {
  it('2-layer MLP with softmax cross-entropy (one-hot and class-index targets)', async () => {
    const N = 3
    const inputs = randomInputs(11, [[N, 4], [4, 5], [5], [5, 3], [3]])
    const labels = { name: 'labels', tensor: { type: 'int64' as const, data: BigInt64Array.of(2n, 0n, 1n), dims: [N] } }
    const mlp = (t: Tape, [x, w1, b1, w2, b2]: string[], targets: string): string => {
      const hidden = t.tanh(t.add(t.matmul(x!, w1!), b1!))
      const logits = t.gemm(hidden, w2!, b2!)
      return softmaxCrossEntropy(t, logits, targets)
    }
    const byIndex = await gradCheck((t, xs) => mlp(t, xs, 'labels'), inputs, { extra: [labels] })
    expect(byIndex.failures.slice(0, 3)).toEqual([])
    expect(byIndex.ok).toBe(true)
    const oneHot = { name: 'onehot', tensor: { type: 'float64' as const, data: Float64Array.of(0, 0, 1, 1, 0, 0, 0, 1, 0), dims: [N, 3] } }
    const byProb = await gradCheck((t, xs) => mlp(t, xs, 'onehot'), inputs, { extra: [oneHot] })
    expect(byProb.ok).toBe(true)
    // Same loss and gradients whichever way the targets are given.
    expect(byProb.y[0]).toBeCloseTo(byIndex.y[0]!, 14)
    byProb.grads.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(byIndex.grads[i]![j]!, 14)))
    // A plausible loss: near ln 3 for small random weights.
    expect(byIndex.y[0]).toBeGreaterThan(0.5)
    expect(byIndex.y[0]).toBeLessThan(2)
    checked.set('mlp-grad', byIndex.model)
  })

  it('tiny RNN unrolled 3 steps, gradients for x, h0 and every weight', async () => {
    const inputs = randomInputs(12, [[T, B, I], [B, HID], [I, HID], [HID, HID], [HID], [HID, O], [B, O]])
    const report = await gradCheck((t, [x, h0, wx, wh, b, wy, target]) => {
      const hT = rnnUnrolled(t, x!, h0!, wx!, wh!, b!)
      return meanSquaredError(t, t.matmul(hT, wy!), target!)
    }, inputs)
    expect(report.failures.slice(0, 3)).toEqual([])
    expect(report.ok).toBe(true)
  })

  it('the same RNN as a Loop with a custom VJP (reverse Loop, nested tape) equals the unrolled gradients', async () => {
    const inputs = randomInputs(13, [[T, B, I], [B, HID], [I, HID], [HID, HID], [HID], [HID, O], [B, O]])
    // Use both outputs (final state and the scan of all states) so both cotangents reach the VJP.
    const lossOf = (t: Tape, hT: string, hs: string, wy: string, target: string): string =>
      t.add(meanSquaredError(t, t.matmul(hT, wy), target), t.mul(t.reduceMean(t.mul(hs, hs)), 0.3))
    const unrolled = await gradCheck((t, [x, h0, wx, wh, b, wy, target]) => {
      let h = h0!
      const all: string[] = []
      for (let k = 0; k < T; k++) {
        h = t.tanh(t.add(t.add(t.matmul(t.gather(x!, k), wx!), t.matmul(h, wh!)), b!))
        all.push(t.unsqueeze(h, [0]))
      }
      return lossOf(t, h, t.concat(all, 0), wy!, target!)
    }, inputs)
    const looped = await gradCheck((t, [x, h0, wx, wh, b, wy, target]) => {
      const { hT, hs } = rnnLoop(t, x!, h0!, wx!, wh!, b!)
      return lossOf(t, hT, hs, wy!, target!)
    }, inputs)
    expect(unrolled.ok).toBe(true)
    expect(looped.failures.slice(0, 3)).toEqual([])
    expect(looped.ok).toBe(true)
    expect(Math.abs(looped.y[0]! - unrolled.y[0]!)).toBeLessThanOrEqual(1e-15)
    looped.grads.forEach((g, i) =>
      g.forEach((v, j) => expect(Math.abs(v - unrolled.grads[i]![j]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v))))
    )
    checked.set('rnn-loop-grad', looped.model)
  })

  // A separate test, so a machine without python3-onnx shows a skip instead of passing the check vacuously.
  it.skipIf(!HAS_ONNX)('the gradient models above pass the ONNX checker (full_check)', () => {
    expect([...checked.keys()].sort()).toEqual(['mlp-grad', 'rnn-loop-grad'])
    for (const [name, model] of checked) {
      const file = join(mkdtempSync(join(tmpdir(), 'engram-ad-')), `${name}.onnx`)
      writeFileSync(file, model)
      expect(onnxCheck(file)?.output, name).toBe('')
    }
  })
})
