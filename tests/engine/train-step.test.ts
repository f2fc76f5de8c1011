// Train-step programs: logistic regression and an MLP train (loss falls) and equal a float64 JS reference; K-step Loop == K single steps; forward export.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { binaryCrossEntropyWithLogits, softmaxCrossEntropy } from '../../src/engine/autodiff/losses'
import { decodeModel, readModelMetadata } from '../../src/engine/onnx/builder'
import { adamw, sgd, type OptimiserConfig } from '../../src/engine/optim/optimiser'
import { referenceOptimiserStep, zeroOptimiserState, type SlotState } from '../../src/engine/optim/reference'
import { createSession } from '../../src/engine/ort'
import { buildTrainStep, exportForwardModel, TrainStepRunner, type ForwardFn } from '../../src/engine/programs/train-step'
import { hasOnnx, onnxCheck, prng } from './helpers'

// ---- tiny float64 linear algebra for the references (row-major)

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m)
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let s = 0
    for (let l = 0; l < k; l++) s += a[i * k + l]! * b[l * m + j]!
    out[i * m + j] = s
  }
  return out
}

function transpose(a: ArrayLike<number>, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m)
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = a[i * m + j]!
  return out
}

function colSums(a: ArrayLike<number>, n: number, m: number): Float64Array {
  const out = new Float64Array(m)
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j]! += a[i * m + j]!
  return out
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)))
  return worst
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z))

// ---- logistic regression: p(y=1|x) = σ(x·w + b), BCE-with-logits loss

const N = 8
const D = 3

function lrData(seed: number): { x: Float64Array; y: Float64Array } {
  const rand = prng(seed)
  const x = Float64Array.from({ length: N * D }, () => 2 * rand() - 1)
  const y = Float64Array.from({ length: N }, (_, i) => (x[i * D]! - 0.5 * x[i * D + 1]! + 0.3 * (rand() - 0.5) > 0 ? 1 : 0))
  return { x, y }
}

const lrForward: ForwardFn = (t, p, b) => {
  const logits = t.add(t.matmul(b.x!, p.w!), p.b!)
  return { loss: binaryCrossEntropyWithLogits(t, logits, b.y!), outputs: { probability: t.sigmoid(logits) } }
}

function lrLossAndGrads(w: Float64Array, bias: Float64Array, x: Float64Array, y: Float64Array, n: number): { loss: number; grads: Float64Array[] } {
  const z = matmul(x, w, n, D, 1).map((v) => v + bias[0]!)
  let loss = 0
  const dz = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    loss += Math.max(z[i]!, 0) - z[i]! * y[i]! + Math.log(1 + Math.exp(-Math.abs(z[i]!)))
    dz[i] = (sigmoid(z[i]!) - y[i]!) / n
  }
  return { loss: loss / n, grads: [matmul(transpose(x, n, D), dz, D, n, 1), colSums(dz, n, 1)] }
}

// ---- MLP: softmax(tanh(x·W1 + b1)·W2 + b2), cross-entropy on class indices

const K = 3
const MB = 4
const HID = 5
const C = 3

const mlpForward: ForwardFn = (t, p, b) => {
  const hidden = t.tanh(t.add(t.matmul(b.x!, p.W1!), p.b1!))
  const logits = t.add(t.matmul(hidden, p.W2!), p.b2!)
  return { loss: softmaxCrossEntropy(t, logits, b.labels!), outputs: { logits, probabilities: t.softmax(logits, 1) } }
}

const MLP_PARAMS = [
  { name: 'W1', shape: [D, HID] },
  { name: 'b1', shape: [HID], decay: false },
  { name: 'W2', shape: [HID, C] },
  { name: 'b2', shape: [C], decay: false }
]

function mlpInit(seed: number): Float64Array[] {
  const rand = prng(seed)
  return MLP_PARAMS.map((p) => Float64Array.from({ length: p.shape.reduce((a, c) => a * c, 1) }, () => rand() - 0.5))
}

function mlpData(seed: number): { x: Float64Array; labels: BigInt64Array } {
  const rand = prng(seed)
  const x = Float64Array.from({ length: K * MB * D }, () => 2 * rand() - 1)
  const labels = BigInt64Array.from({ length: K * MB }, (_, i) => {
    const r = x.subarray(i * D, i * D + D)
    return BigInt(r[0]! > 0.3 ? 0 : r[1]! > 0 ? 1 : 2)
  })
  return { x, labels }
}

function mlpLossAndGrads(ps: readonly Float64Array[], x: Float64Array, labels: BigInt64Array): { loss: number; grads: Float64Array[] } {
  const [W1, b1, W2, b2] = ps as [Float64Array, Float64Array, Float64Array, Float64Array]
  const n = labels.length
  const h = matmul(x, W1, n, D, HID).map((v, i) => Math.tanh(v + b1[i % HID]!))
  const logits = matmul(h, W2, n, HID, C).map((v, i) => v + b2[i % C]!)
  const dlogits = new Float64Array(n * C)
  let loss = 0
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * C, i * C + C)
    const mx = Math.max(...row)
    const e = Array.from(row, (v) => Math.exp(v - mx))
    const s = e.reduce((a, b) => a + b, 0)
    const label = Number(labels[i]!)
    loss -= row[label]! - mx - Math.log(s)
    for (let j = 0; j < C; j++) dlogits[i * C + j] = (e[j]! / s - (j === label ? 1 : 0)) / n
  }
  const dh = matmul(dlogits, transpose(W2, HID, C), n, C, HID)
  const dpre = dh.map((v, i) => v * (1 - h[i]! * h[i]!))
  return {
    loss: loss / n,
    grads: [matmul(transpose(x, n, D), dpre, D, n, HID), colSums(dpre, n, HID), matmul(transpose(h, n, HID), dlogits, HID, n, C), colSums(dlogits, n, C)]
  }
}

/** Float64 reference training: the same optimiser step on hand-derived gradients. */
function referenceTraining(
  cfg: OptimiserConfig,
  init: readonly Float64Array[],
  decay: readonly boolean[],
  lossAndGrads: (ps: readonly Float64Array[], step: number) => { loss: number; grads: Float64Array[] },
  lrs: readonly number[]
): { params: Float64Array[]; losses: number[]; state: SlotState[] } {
  let params: Float64Array[] = init.map((p) => Float64Array.from(p))
  let state = zeroOptimiserState(cfg, init.map((p) => p.length))
  const losses: number[] = []
  lrs.forEach((lr, k) => {
    const { loss, grads } = lossAndGrads(params, k)
    losses.push(loss)
    const r = referenceOptimiserStep(cfg, params, grads, state, lr, k + 1, decay)
    params = r.params
    state = r.state
  })
  return { params, losses, state }
}

describe('train step programs', () => {
  it('logistic regression, one step per run (AdamW, bias exempt from decay): loss falls and equals the float64 reference', async () => {
    const { x, y } = lrData(21)
    const cfg = adamw({ weightDecay: 0.05 })
    const program = buildTrainStep({
      forward: lrForward,
      params: [{ name: 'w', shape: [D, 1] }, { name: 'b', shape: [1], decay: false }],
      batch: [{ name: 'x', shape: [N, D] }, { name: 'y', shape: [N, 1] }],
      optimiser: cfg,
      dtype: 'float64'
    })
    const init = [Float64Array.of(0.1, -0.2, 0.05), Float64Array.of(0)]
    const runner = await TrainStepRunner.create(program, { params: { w: init[0]!, b: init[1]! } }, { provider: 'cpu', threads: 1 })
    const lrs = [0.1, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02]
    const losses: number[] = []
    for (const lr of lrs) losses.push(...(await runner.run({ x, y }, lr)).loss)
    const ref = referenceTraining(cfg, init, [true, false], (ps) => lrLossAndGrads(ps[0]!, ps[1]!, x, y, N), lrs)
    expect(maxRel(losses, ref.losses)).toBeLessThanOrEqual(1e-12)
    const got = runner.getParams()
    expect(maxRel(got.w!, ref.params[0]!)).toBeLessThanOrEqual(1e-12)
    expect(maxRel(got.b!, ref.params[1]!)).toBeLessThanOrEqual(1e-12)
    const sd = runner.stateDict()
    expect(Object.keys(sd).sort()).toEqual(['b', 'b.exp_avg', 'b.exp_avg_sq', 'step', 'w', 'w.exp_avg', 'w.exp_avg_sq'])
    expect(maxRel(sd['w.exp_avg_sq']!.data, ref.state[0]!.exp_avg_sq!)).toBeLessThanOrEqual(1e-12)
    expect(runner.stepsTaken).toBe(lrs.length)
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! - 0.05)
    await runner.release()
  })

  it('MLP: a K=3 Loop model equals 3 single-step runs and the float64 reference; loss falls over epochs', async () => {
    const { x, labels } = mlpData(31)
    const init = mlpInit(32)
    const cfg = sgd({ momentum: 0.9, nesterov: true, weightDecay: 1e-3, maxGradNorm: 0.5 })
    const spec = {
      forward: mlpForward,
      params: MLP_PARAMS,
      batch: [{ name: 'x', shape: [MB, D] }, { name: 'labels', shape: [MB], type: 'int64' as const }],
      optimiser: cfg,
      dtype: 'float64' as const
    }
    const looped = buildTrainStep({ ...spec, steps: K })
    const single = buildTrainStep(spec)
    expect(looped.io.batch.map((b) => b.shape)).toEqual([[K, MB, D], [K, MB]])
    const initRecord = Object.fromEntries(MLP_PARAMS.map((p, i) => [p.name, init[i]!]))
    const opts = { provider: 'cpu' as const, threads: 1 }
    const loopRunner = await TrainStepRunner.create(looped, { params: initRecord }, opts)
    const singleRunner = await TrainStepRunner.create(single, { params: initRecord }, opts)
    const epochs = 4
    const lrs = Array.from({ length: epochs * K }, (_, k) => 0.5 * 0.95 ** k)
    const loopLosses: number[] = []
    const loopNorms: number[] = []
    const singleLosses: number[] = []
    for (let e = 0; e < epochs; e++) {
      const r = await loopRunner.run({ x, labels }, lrs.slice(e * K, e * K + K))
      loopLosses.push(...r.loss)
      loopNorms.push(...r.gradNorm!)
      for (let k = 0; k < K; k++) {
        const xs = x.slice(k * MB * D, (k + 1) * MB * D)
        const ls = labels.slice(k * MB, (k + 1) * MB)
        singleLosses.push(...(await singleRunner.run({ x: xs, labels: ls }, lrs[e * K + k]!)).loss)
      }
    }
    expect(loopRunner.stepsTaken).toBe(epochs * K)
    expect(maxRel(loopLosses, singleLosses)).toBeLessThanOrEqual(1e-12)
    const lp = loopRunner.stateDict()
    const sp = singleRunner.stateDict()
    for (const key of Object.keys(sp)) expect(maxRel(lp[key]!.data, sp[key]!.data)).toBeLessThanOrEqual(1e-12)
    expect(Object.keys(sp)).toContain('W1.momentum_buffer')

    const ref = referenceTraining(
      cfg,
      init,
      MLP_PARAMS.map((p) => p.decay ?? true),
      (ps, step) => {
        const k = step % K
        return mlpLossAndGrads(ps, x.slice(k * MB * D, (k + 1) * MB * D), labels.slice(k * MB, (k + 1) * MB))
      },
      lrs
    )
    expect(maxRel(loopLosses, ref.losses)).toBeLessThanOrEqual(1e-12)
    MLP_PARAMS.forEach((p, i) => expect(maxRel(lp[p.name]!.data, ref.params[i]!)).toBeLessThanOrEqual(1e-12))
    // Clipping was active at least once, and training helps: the last epoch's mean loss is lower.
    expect(loopNorms.some((n) => n > 0.5)).toBe(true)
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length
    expect(mean(loopLosses.slice(-K))).toBeLessThan(mean(loopLosses.slice(0, K)) - 0.05)
    await loopRunner.release()
    await singleRunner.release()
  })

  it('float32 (the default): logistic regression trains; resuming from a state dict continues the same trajectory', async () => {
    const { x, y } = lrData(41)
    const program = buildTrainStep({
      forward: lrForward,
      params: [{ name: 'w', shape: [D, 1] }, { name: 'b', shape: [1] }],
      batch: [{ name: 'x', shape: [N, D] }, { name: 'y', shape: [N, 1] }],
      optimiser: adamw(),
      steps: 5
    })
    expect(program.dtype).toBe('float32')
    // The same minibatch for each of the 5 steps in a run.
    const x32 = Float32Array.from({ length: 5 * x.length }, (_, i) => x[i % x.length]!)
    const y32 = Float32Array.from({ length: 5 * y.length }, (_, i) => y[i % y.length]!)
    const a = await TrainStepRunner.create(program, { params: { w: [0, 0, 0], b: [0] } }, { provider: 'cpu', threads: 1 })
    const first = await a.run({ x: x32, y: y32 }, 0.1)
    expect(first.loss[0]).toBeCloseTo(Math.LN2, 6)
    const sd = a.stateDict()
    const resumed = await TrainStepRunner.create(
      program,
      {
        params: { w: sd.w!.data, b: sd.b!.data },
        state: Object.fromEntries(Object.entries(sd).filter(([k]) => k.includes('.')).map(([k, v]) => [k, v.data])),
        stepsTaken: sd.step!.data[0]!
      },
      { provider: 'cpu', threads: 1 }
    )
    const second = await a.run({ x: x32, y: y32 }, 0.1)
    const again = await resumed.run({ x: x32, y: y32 }, 0.1)
    expect(again.loss).toEqual(second.loss)
    expect(Array.from(resumed.getParams().w!)).toEqual(Array.from(a.getParams().w!))
    expect(second.loss[4]!).toBeLessThan(first.loss[0]! - 0.05)
    await expect(a.run({ x: Float64Array.from(x32), y: y32 }, 0.1)).rejects.toThrow(/float32 array/)
    await expect(a.run({ x: x32, y: y32 }, [0.1, 0.1])).rejects.toThrow(/lr/)
    await a.release()
    await resumed.release()
  })

  it('export: forward-only model with embedded weights, dynamic batch, the loss branch and its targets pruned', async () => {
    const rand = prng(51)
    const w = Float32Array.from({ length: D }, () => rand() - 0.5)
    const bias = Float32Array.of(0.25)
    const model = lrExport(w, bias)
    const proto = decodeModel(model)
    expect(proto.graph!.input!.map((i) => i.name)).toEqual(['x'])
    expect(proto.graph!.output!.map((o) => o.name)).toEqual(['probability'])
    expect(proto.graph!.initializer!.map((i) => i.name).sort()).toEqual(['b', 'w'])
    expect(proto.graph!.node!.some((n) => n.opType === 'Log' || n.opType === 'Abs')).toBe(false)
    expect(readModelMetadata(model)).toMatchObject({ kind: 'logistic-regression', inputs: 'x', outputs: 'probability', weights_embedded: 'true' })
    const { session } = await createSession(model, { provider: 'cpu', threads: 1 })
    for (const batch of [1, 5]) {
      const xv = Float32Array.from({ length: batch * D }, () => 2 * rand() - 1)
      const out = await session.run({ x: { type: 'float32', data: xv, dims: [batch, D] } })
      expect(out.probability!.dims).toEqual([batch, 1])
      const want = Array.from({ length: batch }, (_, i) => sigmoid(w[0]! * xv[i * D]! + w[1]! * xv[i * D + 1]! + w[2]! * xv[i * D + 2]! + bias[0]!))
      expect(maxRel(out.probability!.data as Float32Array, want)).toBeLessThan(1e-6)
    }
    await session.release()
  })

  it('export of the MLP keeps just the chosen output', async () => {
    const init = mlpInit(61)
    const model = mlpExport(init)
    const { session } = await createSession(model, { provider: 'cpu', threads: 1 })
    const { x, labels } = mlpData(62)
    const out = await session.run({ x: { type: 'float64', data: x, dims: [K * MB, D] } })
    const probs = out.probabilities!.data as Float64Array
    // Row sums are 1, and the arg-max agrees with the reference logits.
    const ref = mlpLossAndGrads(init, x, labels)
    expect(Number.isFinite(ref.loss)).toBe(true)
    for (let i = 0; i < K * MB; i++) expect(probs[i * C]! + probs[i * C + 1]! + probs[i * C + 2]!).toBeCloseTo(1, 12)
    await session.release()
  })

  it.skipIf(!hasOnnx())('the exports and the MLP training model pass the onnx checker (full_check)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-train-'))
    const files = {
      lr: lrExport(Float32Array.of(0.1, -0.2, 0.3), Float32Array.of(0.25)),
      mlp: mlpExport(mlpInit(61)),
      loop: buildTrainStep({ forward: mlpForward, params: MLP_PARAMS, batch: [{ name: 'x', shape: [MB, D] }, { name: 'labels', shape: [MB], type: 'int64' }], optimiser: adamw({ maxGradNorm: 1 }), steps: 2 }).model
    }
    for (const [name, bytes] of Object.entries(files)) {
      writeFileSync(join(dir, `${name}.onnx`), bytes)
      const check = onnxCheck(join(dir, `${name}.onnx`))
      expect(check?.output, name).toBe('')
      expect(check?.ok, name).toBe(true)
    }
  })

  /** The logistic regression's forward model with weights embedded, the loss branch pruned. */
  function lrExport(w: Float32Array, bias: Float32Array): Uint8Array {
    return exportForwardModel({
      forward: lrForward,
      params: [{ name: 'w', shape: [D, 1], value: w }, { name: 'b', shape: [1], value: bias }],
      inputs: [{ name: 'x', shape: ['batch', D] }, { name: 'y', shape: ['batch', 1] }],
      metadata: { kind: 'logistic-regression', training: '{"optimiser":"adamw"}' }
    })
  }

  /** The MLP's float64 forward model, probabilities only. */
  function mlpExport(init: ReturnType<typeof mlpInit>): Uint8Array {
    return exportForwardModel({
      forward: mlpForward,
      params: MLP_PARAMS.map((p, i) => ({ ...p, value: init[i]! })),
      inputs: [{ name: 'x', shape: ['batch', D] }, { name: 'labels', shape: ['batch'], type: 'int64' }],
      outputs: ['probabilities'],
      dtype: 'float64'
    })
  }

  it('rejects bad specs with the field named', () => {
    const base = { forward: lrForward, optimiser: sgd(), batch: [{ name: 'x', shape: [N, D] }, { name: 'y', shape: [N, 1] }] }
    expect(() => buildTrainStep({ ...base, params: [{ name: 'lr', shape: [1] }] })).toThrow(/reserved/)
    expect(() => buildTrainStep({ ...base, params: [{ name: 'x', shape: [D, 1] }] })).toThrow(/duplicate/)
    expect(() => buildTrainStep({ ...base, params: [{ name: 'w', shape: [D, 1] }, { name: 'b', shape: [1] }], steps: 0 })).toThrow(/steps/)
    expect(() =>
      buildTrainStep({ ...base, params: [{ name: 'w', shape: [D, 1] }, { name: 'b', shape: [1] }], batch: [{ name: 'x', shape: ['batch', D] }, { name: 'y', shape: ['batch', 1] }] })
    ).toThrow(/static shape/)
    expect(() =>
      buildTrainStep({ ...base, forward: (t, p, b) => t.matmul(b.x!, p.w!), params: [{ name: 'w', shape: [D, 1] }] })
    ).toThrow(/scalar/)
  })
})
