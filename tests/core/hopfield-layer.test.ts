// The trainable Hopfield layer's core: finite-difference checks of every parameter's gradient, the layer equals
// core/attention.ts's attention head on the same numbers, the task's construction, and training beats the linear baseline.
import { describe, expect, it } from 'vitest'
import { attentionHead, matrix } from '../../src/core/attention'
import {
  accuracy,
  adamInit,
  adamStep,
  cosines,
  crossEntropy,
  epochBatches,
  gatherRows,
  HOPFIELD_LAYER_PARAMS,
  hopfieldLayerForward,
  hopfieldLayerGradients,
  initHopfieldLayer,
  linearLogits,
  linearStep,
  nearestPrototypes,
  prototypeCoverage,
  prototypeTask,
  type HopfieldLayerParams,
  type HopfieldLayerShape
} from '../../src/core/hopfield-layer'
import { Rng } from '../../src/core/rng'

const shape: HopfieldLayerShape = { inputSize: 5, storedPatterns: 4, keySize: 3, classes: 3 }

function randomParams(rng: Rng): HopfieldLayerParams {
  const r = (n: number): Float64Array => Float64Array.from({ length: n }, () => rng.normal())
  return { stored_patterns: r(4 * 5), w_q: r(5 * 3), w_k: r(5 * 3), w_v: r(3 * 3) }
}

describe('hopfield layer gradients', () => {
  it('match central finite differences for every parameter entry', () => {
    const rng = new Rng(7)
    const p = randomParams(rng)
    const B = 6
    const x = Float64Array.from({ length: B * 5 }, () => rng.normal())
    const y = Int32Array.from({ length: B }, () => rng.int(3))
    const beta = 0.7
    const { grads } = hopfieldLayerGradients(shape, p, beta, x, y, B)
    const h = 1e-6
    for (const name of HOPFIELD_LAYER_PARAMS) {
      const w = p[name]
      for (let i = 0; i < w.length; i++) {
        const keep = w[i]!
        w[i] = keep + h
        const up = hopfieldLayerGradients(shape, p, beta, x, y, B).loss
        w[i] = keep - h
        const down = hopfieldLayerGradients(shape, p, beta, x, y, B).loss
        w[i] = keep
        const fd = (up - down) / (2 * h)
        const err = Math.abs(fd - grads[name][i]!) / Math.max(1e-3, Math.abs(fd) + Math.abs(grads[name][i]!))
        expect(err, `${name}[${i}]: fd ${fd}, analytic ${grads[name][i]}`).toBeLessThan(1e-6)
      }
    }
  })

  it('the forward pass is the attention head Z = softmax(β R W_Q W_Kᵀ Yᵀ) Y W_K W_V (Ramsauer eq. 10)', () => {
    const rng = new Rng(3)
    const p = randomParams(rng)
    const B = 4
    const x = Float64Array.from({ length: B * 5 }, () => rng.normal())
    const f = hopfieldLayerForward(shape, p, 0.9, x, B)
    // attention.ts's values are Y W_V with W_V [d, d_v]: here V = (Y W_K) W_V, so its W_V is W_K W_V.
    const wKV = new Float64Array(5 * 3)
    for (let i = 0; i < 5; i++) for (let c = 0; c < 3; c++) for (let j = 0; j < 3; j++) wKV[i * 3 + c]! += p.w_k[i * 3 + j]! * p.w_v[j * 3 + c]!
    const head = attentionHead({ queries: matrix(B, 5, x), stored: matrix(4, 5, p.stored_patterns), wQ: matrix(5, 3, p.w_q), wK: matrix(5, 3, p.w_k), wV: matrix(5, 3, wKV), scale: 0.9 })
    f.attention.forEach((v, i) => expect(v).toBeCloseTo(head.weights.data[i]!, 12))
    f.logits.forEach((v, i) => expect(v).toBeCloseTo(head.output.data[i]!, 12))
    for (let b = 0; b < B; b++) expect(f.attention.subarray(b * 4, b * 4 + 4).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14)
  })
})

describe('cross-entropy', () => {
  it('is lse(logits) − logit_y: finite for a confident wrong answer, and its gradient is (softmax − onehot)/B', () => {
    const { loss, dLogits } = crossEntropy(Float64Array.of(1000, 0, -1000, 0, 0, 0), [2, 1], 2, 3)
    expect(loss).toBeCloseTo((2000 + Math.log(3)) / 2, 9)
    expect(Array.from(dLogits).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([0.5, 0, -0.5, 1 / 6, -1 / 3, 1 / 6].map((v) => Math.round(v * 1e12) / 1e12))
  })
})

describe('stored patterns against the prototypes', () => {
  it('cosines, each pattern’s nearest prototype and the coverage, on hand-checked numbers', () => {
    // Patterns [2, 3] against modes [3, 3]: (1,0,0) is mode 0; (1,1,0)/√2 is 1/√2 of modes 0 and 1.
    const c = cosines(Float64Array.of(1, 0, 0, 1, 1, 0), Float64Array.of(2, 0, 0, 0, 3, 0, 0, 0, -1), 2, 3, 3)
    ;[1, 0, 0, Math.SQRT1_2, Math.SQRT1_2, 0].forEach((v, i) => expect(c[i]).toBeCloseTo(v, 15))
    // Ties go to the first mode.
    expect(nearestPrototypes(c, 2, 3)).toEqual([{ mode: 0, cosine: 1 }, { mode: 0, cosine: c[3]! }])
    // Mode 0 best 1, mode 1 best 1/√2, mode 2 best 0.
    expect(prototypeCoverage(c, 2, 3)).toBeCloseTo((1 + Math.SQRT1_2 + 0) / 3, 15)
  })
})

describe('the prototype task', () => {
  const spec = { classes: 3, pairs: 1, width: 4, height: 3, flip: 0.1, train: 60, test: 40 }
  const streams = (seed: number) => ({ modes: new Rng(seed).fork(1), train: new Rng(seed).fork(2), test: new Rng(seed).fork(3) })

  it('has sign-symmetric modes, labels from the mode, and is reproducible from the seed', () => {
    const t = prototypeTask(spec, streams(5))
    const d = 12
    expect(t.modes.length).toBe(6 * d)
    for (let j = 0; j < 3; j++) for (let i = 0; i < d; i++) expect(t.modes[(2 * j + 1) * d + i]).toBe(-t.modes[2 * j * d + i]!)
    expect(Array.from(t.modeClass)).toEqual([0, 0, 1, 1, 2, 2])
    t.train.y.forEach((c, r) => expect(c).toBe(t.modeClass[t.train.mode[r]!]))
    expect(prototypeTask(spec, streams(5)).test.x).toEqual(t.test.x)
    expect(prototypeTask(spec, streams(6)).test.x).not.toEqual(t.test.x)
    // The test set does not move when the training set grows (its own stream).
    expect(prototypeTask({ ...spec, train: 80 }, streams(5)).test.x).toEqual(t.test.x)
    // About `flip` of the pixels differ from their mode.
    let flipped = 0
    for (let r = 0; r < t.train.n; r++) for (let i = 0; i < d; i++) if (t.train.x[r * d + i] !== t.modes[t.train.mode[r]! * d + i]) flipped++
    expect(flipped / (t.train.n * d)).toBeGreaterThan(0.05)
    expect(flipped / (t.train.n * d)).toBeLessThan(0.15)
  })

  it('the trained layer beats chance and the linear baseline on held-out data; the baseline stays near chance', () => {
    const task = prototypeTask({ classes: 3, pairs: 1, width: 6, height: 6, flip: 0.1, train: 300, test: 300 }, streams(11))
    const s: HopfieldLayerShape = { inputSize: 36, storedPatterns: 16, keySize: 36, classes: 3 }
    const beta = 1 / Math.sqrt(36)
    const p = initHopfieldLayer(s, new Rng(11).fork(4))
    const lin = { w: new Float64Array(36 * 3), b: new Float64Array(3) }
    const adam = adamInit(p)
    const adamLin = adamInit(lin as unknown as Record<string, Float64Array>)
    const order = new Rng(11).fork(5)
    for (let epoch = 0; epoch < 40; epoch++) {
      for (const idx of epochBatches(task.train.n, 20, order)) {
        const b = gatherRows(task.train, 36, idx)
        adamStep(p, hopfieldLayerGradients(s, p, beta, b.x, b.y, 20).grads, adam, 0.01)
        linearStep(lin, adamLin, b.x, b.y, 20, 36, 3, 0.01)
      }
    }
    const layer = accuracy(hopfieldLayerForward(s, p, beta, task.test.x, task.test.n).logits, task.test.y, task.test.n, 3)
    const linear = accuracy(linearLogits(lin, task.test.x, task.test.n, 36, 3), task.test.y, task.test.n, 3)
    expect(layer).toBeGreaterThan(0.9)
    expect(linear).toBeLessThan(0.5)
  })
})
