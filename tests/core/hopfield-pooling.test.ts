// Hopfield pooling's core: finite-difference checks of every parameter's gradient (float64), a padded bag gives exactly
// the unpadded bag's output and gradient, the forward pass is the attention head with one learned query, the MIL task's
// construction (the two decoys sum to the key, bag sizes in range, the key's slot recorded), and on the task attention
// pooling learns what mean pooling cannot.
import { describe, expect, it } from 'vitest'
import { attentionHead, matrix } from '../../src/core/attention'
import { accuracy, adamInit, adamStep, epochBatches, linearLogits, linearStep } from '../../src/core/hopfield-layer'
import {
  BAG_ROLE,
  bagMeans,
  bagTask,
  gatherBags,
  HOPFIELD_POOLING_PARAMS,
  hopfieldPoolingForward,
  hopfieldPoolingGradients,
  initHopfieldPooling,
  keyAttention,
  type HopfieldPoolingParams,
  type HopfieldPoolingShape
} from '../../src/core/hopfield-pooling'
import { Rng } from '../../src/core/rng'
import { randomBags } from '../helpers/fixtures'

const shape: HopfieldPoolingShape = { inputSize: 5, keySize: 3, classes: 2 }

function randomParams(rng: Rng): HopfieldPoolingParams {
  const r = (n: number): Float64Array => Float64Array.from({ length: n }, () => rng.normal())
  return { query: r(3), w_k: r(5 * 3), w_v: r(3 * 2), bias: r(2) }
}

describe('hopfield pooling gradients', () => {
  it('match central finite differences for every parameter entry, on padded bags', () => {
    const rng = new Rng(7)
    const p = randomParams(rng)
    const batch = randomBags(rng, 5, 4, 5)
    const y = Int32Array.from({ length: 5 }, () => rng.int(2))
    const beta = 0.7
    const { grads } = hopfieldPoolingGradients(shape, p, beta, batch, y)
    const h = 1e-6
    for (const name of HOPFIELD_POOLING_PARAMS) {
      const w = p[name]
      for (let i = 0; i < w.length; i++) {
        const keep = w[i]!
        w[i] = keep + h
        const up = hopfieldPoolingGradients(shape, p, beta, batch, y).loss
        w[i] = keep - h
        const down = hopfieldPoolingGradients(shape, p, beta, batch, y).loss
        w[i] = keep
        const fd = (up - down) / (2 * h)
        const err = Math.abs(fd - grads[name][i]!) / Math.max(1e-3, Math.abs(fd) + Math.abs(grads[name][i]!))
        expect(err, `${name}[${i}]: fd ${fd}, analytic ${grads[name][i]}`).toBeLessThan(1e-6)
      }
    }
  })

  it('a bag padded to any length gives exactly the unpadded bag’s attention, logits, loss and gradients', () => {
    const rng = new Rng(11)
    const p = randomParams(rng)
    for (const n of [1, 2, 5]) {
      const bag = Float64Array.from({ length: n * 5 }, () => rng.normal())
      const plain = hopfieldPoolingGradients(shape, p, 0.8, { x: bag, mask: new Uint8Array(n).fill(1), bags: 1, length: n }, [1])
      for (const length of [n + 1, n + 7]) {
        const x = new Float64Array(length * 5).fill(-3.5)
        x.set(bag)
        const mask = Uint8Array.from({ length }, (_, i) => (i < n ? 1 : 0))
        const padded = hopfieldPoolingGradients(shape, p, 0.8, { x, mask, bags: 1, length }, [1])
        expect(padded.loss).toBe(plain.loss)
        expect(Array.from(padded.forward.logits)).toEqual(Array.from(plain.forward.logits))
        expect(Array.from(padded.forward.attention.subarray(0, n))).toEqual(Array.from(plain.forward.attention))
        expect(Array.from(padded.forward.attention.subarray(n)).every((a) => a === 0)).toBe(true)
        for (const k of HOPFIELD_POOLING_PARAMS) expect(Array.from(padded.grads[k]), `${k}, n ${n}, padded to ${length}`).toEqual(Array.from(plain.grads[k]))
      }
    }
  })

  it('a bag whose mask is all 0 is refused', () => {
    const p = randomParams(new Rng(1))
    expect(() => hopfieldPoolingForward(shape, p, 1, { x: new Float64Array(10), mask: new Uint8Array(2), bags: 1, length: 2 })).toThrow(/no instance/)
  })

  it('the pooled vector is the attention head softmax(β q Kᵀ) K with K = Y W_K (Ramsauer eq. 10 with a learned query)', () => {
    const rng = new Rng(3)
    const p = randomParams(rng)
    const n = 4
    const x = Float64Array.from({ length: n * 5 }, () => rng.normal())
    const f = hopfieldPoolingForward(shape, p, 0.6, { x, mask: new Uint8Array(n).fill(1), bags: 1, length: n })
    const eye = (m: number) => matrix(m, m, Float64Array.from({ length: m * m }, (_, i) => (i % (m + 1) === 0 ? 1 : 0)))
    // The query as R = q with W_Q = I; the bag as the stored patterns Y with W_K; W_V = W_K, so the head returns K's mix.
    const wK = matrix(5, 3, p.w_k)
    const head = attentionHead({ queries: matrix(1, 3, p.query), stored: matrix(n, 5, x), wQ: eye(3), wK, wV: wK, scale: 0.6 })
    head.output.data.forEach((v, j) => expect(Math.abs(v - f.pooled[j]!)).toBeLessThan(1e-12))
    head.weights.data.forEach((v, i) => expect(Math.abs(v - f.attention[i]!)).toBeLessThan(1e-12))
  })
})

describe('the key-instance MIL task', () => {
  const spec = { size: 16, minBag: 4, maxBag: 12, noise: 0.5, train: 400, test: 500 }

  it('draws bag sizes in range, one key per positive bag, two decoys per negative bag, padding masked', () => {
    const root = new Rng(1)
    const task = bagTask(spec, { key: root.fork(1), train: root.fork(2), test: root.fork(3) })
    expect(Array.from(task.half).reduce((a, v) => a + v, 0)).toBe(8)
    const set = task.test
    const sizes = new Set<number>()
    for (let b = 0; b < set.bags; b++) {
      const roles = Array.from(set.role.subarray(b * 12, (b + 1) * 12))
      const n = set.size[b]!
      sizes.add(n)
      expect(n).toBeGreaterThanOrEqual(4)
      expect(n).toBeLessThanOrEqual(12)
      expect(roles.filter((r) => r !== BAG_ROLE.padding).length).toBe(n)
      expect(Array.from(set.mask.subarray(b * 12, (b + 1) * 12))).toEqual(roles.map((r) => (r === BAG_ROLE.padding ? 0 : 1)))
      expect(roles.filter((r) => r === BAG_ROLE.key).length).toBe(set.y[b])
      expect(roles.filter((r) => r === BAG_ROLE.decoy).length).toBe(set.y[b] ? 0 : 2)
    }
    expect(sizes.size).toBe(9)
    const positives = Array.from(set.y).filter((v) => v === 1).length
    expect(positives).toBeGreaterThan(200)
    expect(positives).toBeLessThan(300)
  })

  it('the noiseless decoys are the key’s two halves: with σ = 0 their sum minus the noise is the key', () => {
    // Means over many negative bags: the two decoys average to p⊙m and p⊙(1−m), so together to p.
    const root = new Rng(2)
    const task = bagTask({ ...spec, test: 4000, train: 1 }, { key: root.fork(1), train: root.fork(2), test: root.fork(3) })
    const sum = new Float64Array(16)
    let negatives = 0
    const set = task.test
    for (let b = 0; b < set.bags; b++) {
      if (set.y[b]) continue
      negatives++
      for (let i = 0; i < 12; i++) if (set.role[b * 12 + i] === BAG_ROLE.decoy) for (let j = 0; j < 16; j++) sum[j]! += set.x[(b * 12 + i) * 16 + j]!
    }
    // The noise on the sum is N(0, 2τ²) per bag, τ² = (σ² + 1)/2; its mean over the bags is within 5 standard errors.
    const tol = 5 * Math.sqrt(spec.noise ** 2 + 1) / Math.sqrt(negatives)
    sum.forEach((v, j) => expect(Math.abs(v / negatives - task.key[j]!), `coordinate ${j}`).toBeLessThan(tol))
  })

  it('attention pooling learns it (≥ 85 % held out, the key gets most of the attention) where mean pooling stays near chance', () => {
    const root = new Rng(3)
    const task = bagTask(spec, { key: root.fork(1), train: root.fork(2), test: root.fork(3) })
    const s: HopfieldPoolingShape = { inputSize: 16, keySize: 16, classes: 2 }
    const p = initHopfieldPooling(s, root.fork(4))
    const state = adamInit(p)
    const lin = { w: new Float64Array(16 * 2), b: new Float64Array(2) }
    const linState = adamInit(lin as unknown as Record<string, Float64Array>)
    const order = root.fork(5)
    const beta = 0.25
    for (let epoch = 0; epoch < 20; epoch++) {
      for (const idx of epochBatches(spec.train, 20, order)) {
        const b = gatherBags(task.train, 16, idx)
        adamStep(p, hopfieldPoolingGradients(s, p, beta, b, b.y).grads, state, 0.01)
        linearStep(lin, linState, bagMeans(b, 16), b.y, 20, 16, 2, 0.01)
      }
    }
    const all = gatherBags(task.test, 16, Array.from({ length: spec.test }, (_, i) => i))
    const f = hopfieldPoolingForward(s, p, beta, all)
    expect(accuracy(f.logits, all.y, spec.test, 2)).toBeGreaterThan(0.85)
    expect(keyAttention(task.test, f.attention)).toBeGreaterThan(0.6)
    const meanAcc = accuracy(linearLogits(lin, bagMeans(all, 16), spec.test, 16, 2), all.y, spec.test, 2)
    expect(meanAcc).toBeLessThan(0.6)
  })
})
