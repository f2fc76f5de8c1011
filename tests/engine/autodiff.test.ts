// Autodiff op rules: every rule against float64 central finite differences in ORT CPU, plus the tape's own behaviour.
import { describe, expect, it } from 'vitest'
import { Tape } from '../../src/engine/autodiff/tape'
import { gradCheck, type GradCheckReport } from '../../src/engine/autodiff/gradcheck'
import { buildModel, decodeModel, GraphBuilder, tensor } from '../../src/engine/onnx/builder'
import { createSession, type EngineTensor } from '../../src/engine/ort'
import { prng } from './helpers'

type Kind = 'any' | 'positive' | 'awayFromZero'

interface DiffInput {
  shape: number[]
  kind?: Kind
  data?: number[]
}

interface ExtraInput {
  name: string
  tensor: EngineTensor
}

function sample(rand: () => number, n: number, kind: Kind): number[] {
  return Array.from({ length: n }, () => {
    const u = rand()
    if (kind === 'positive') return 0.5 + 1.5 * u
    if (kind === 'awayFromZero') return (rand() < 0.5 ? -1 : 1) * (0.2 + 1.3 * u)
    return 3 * u - 1.5
  })
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

/** gradCheck (one session, central differences, 1e-6 relative) on seeded random inputs; asserts it passes. */
async function checkGrad(
  build: (t: Tape, xs: string[]) => string,
  inputs: DiffInput[],
  opts: { seed?: number; extra?: ExtraInput[] } = {}
): Promise<GradCheckReport> {
  const rand = prng(opts.seed ?? 7)
  const data = inputs.map((inp) => inp.data ?? sample(rand, size(inp.shape), inp.kind ?? 'any'))
  const report = await gradCheck(
    build,
    inputs.map((inp, i) => ({ shape: inp.shape, data: data[i]! })),
    opts.extra ? { extra: opts.extra } : {}
  )
  expect(report.shapeMismatches).toEqual([])
  expect(report.failures.slice(0, 3)).toEqual([])
  expect(report.ok).toBe(true)
  return report
}

describe('autodiff op rules vs float64 central differences', () => {
  it('MatMul 2-D (Gemm gradients)', async () => {
    await checkGrad((t, [a, b]) => t.matmul(a!, b!), [{ shape: [2, 3] }, { shape: [3, 4] }])
  })

  it('MatMul batched with broadcasting batch dims', async () => {
    await checkGrad((t, [a, b]) => t.matmul(a!, b!), [{ shape: [2, 1, 2, 3] }, { shape: [3, 3, 2] }])
  })

  it('MatMul with 1-D operands on either side', async () => {
    await checkGrad((t, [v, m, w]) => t.add(t.matmul(v!, m!), t.matmul(m!, w!)), [{ shape: [3] }, { shape: [3, 3] }, { shape: [3] }])
  })

  it('Gemm with transA, transB, alpha, beta and a broadcast C', async () => {
    await checkGrad((t, [a, b, c]) => t.gemm(a!, b!, c!, { transA: true, transB: true, alpha: 0.7, beta: -1.3 }), [
      { shape: [3, 2] },
      { shape: [4, 3] },
      { shape: [4] }
    ])
    await checkGrad((t, [a, b, c]) => t.gemm(a!, b!, c!, { alpha: 2 }), [{ shape: [2, 3] }, { shape: [3, 4] }, { shape: [2, 1] }])
    await checkGrad((t, [a, b]) => t.gemm(a!, b!, undefined, { transB: true }), [{ shape: [2, 3] }, { shape: [4, 3] }])
  })

  it('Add and Sub with broadcasting (unbroadcast by ReduceSum + Reshape)', async () => {
    await checkGrad((t, [a, b]) => t.add(a!, b!), [{ shape: [2, 1, 3] }, { shape: [4, 1] }])
    await checkGrad((t, [a, b]) => t.sub(a!, b!), [{ shape: [3] }, { shape: [2, 3] }])
  })

  it('Mul and Div with broadcasting, and JS-number operands', async () => {
    await checkGrad((t, [a, b]) => t.mul(t.mul(a!, b!), 1.5), [{ shape: [2, 3] }, { shape: [1, 3] }])
    await checkGrad((t, [a, b]) => t.div(a!, b!), [{ shape: [2, 1] }, { shape: [2, 3], kind: 'awayFromZero' }])
    await checkGrad((t, [a]) => t.div(2, a!), [{ shape: [4], kind: 'awayFromZero' }])
  })

  it('Neg, Exp, Log, Sqrt, Abs', async () => {
    await checkGrad((t, [x]) => t.neg(x!), [{ shape: [2, 2] }])
    await checkGrad((t, [x]) => t.exp(x!), [{ shape: [2, 3] }])
    await checkGrad((t, [x]) => t.log(x!), [{ shape: [5], kind: 'positive' }])
    await checkGrad((t, [x]) => t.sqrt(x!), [{ shape: [5], kind: 'positive' }])
    await checkGrad((t, [x]) => t.abs(x!), [{ shape: [6], kind: 'awayFromZero' }])
  })

  it('Sigmoid, Tanh, Relu (inputs away from the kink)', async () => {
    await checkGrad((t, [x]) => t.sigmoid(x!), [{ shape: [2, 3] }])
    await checkGrad((t, [x]) => t.tanh(x!), [{ shape: [2, 3] }])
    await checkGrad((t, [x]) => t.relu(x!), [{ shape: [8], kind: 'awayFromZero' }])
  })

  it('Softmax and LogSoftmax on inner and outer axes', async () => {
    await checkGrad((t, [x]) => t.softmax(x!, 1), [{ shape: [2, 3, 2] }])
    await checkGrad((t, [x]) => t.logSoftmax(x!, 0), [{ shape: [3, 2] }])
    await checkGrad((t, [x]) => t.logSoftmax(x!), [{ shape: [2, 4] }])
  })

  it('Concat and Split (an unused Split output counts as zeros)', async () => {
    await checkGrad((t, [a, b, c]) => t.concat([a!, b!, c!], 1), [{ shape: [2, 1] }, { shape: [2, 3] }, { shape: [2, 2] }])
    await checkGrad((t, [x]) => {
      const [p, , r] = t.split(x!, [1, 2, 1], 0)
      return t.mul(t.add(p!, r!), r!)
    }, [{ shape: [4, 2] }])
  })

  it('Slice: contiguous (Pad), strided and reversed (scatter)', async () => {
    await checkGrad((t, [x]) => t.slice(x!, { starts: [1, -3], ends: [3, 100], axes: [0, 1] }), [{ shape: [4, 5] }])
    await checkGrad((t, [x]) => t.slice(x!, { starts: [0, 4], ends: [4, -100], axes: [0, 1], steps: [2, -2] }), [{ shape: [4, 5] }])
  })

  it('Reshape, Transpose, Unsqueeze, Squeeze, Expand, Identity', async () => {
    await checkGrad((t, [x]) => t.reshape(x!, [3, -1]), [{ shape: [2, 3, 2] }])
    await checkGrad((t, [x]) => t.transpose(x!, [2, 0, 1]), [{ shape: [2, 3, 2] }])
    await checkGrad((t, [x]) => t.squeeze(t.mul(t.unsqueeze(x!, [0, -1]), 2), [0]), [{ shape: [2, 3] }])
    await checkGrad((t, [x]) => t.expand(x!, [2, 3, 4]), [{ shape: [3, 1] }])
    await checkGrad((t, [x]) => t.identity(x!), [{ shape: [3] }])
  })

  it('Sum of several broadcasting values', async () => {
    await checkGrad((t, [a, b, c]) => t.sum([a!, b!, c!]), [{ shape: [2, 3] }, { shape: [3] }, { shape: [2, 1] }])
  })

  it('Gather: constant indices with repeats and negatives, axis 1 with 2-D indices, scalar index input', async () => {
    await checkGrad((t, [x]) => t.gather(x!, [2, 0, 2, -1], 0), [{ shape: [3, 2] }])
    await checkGrad((t, [x]) => {
      const idx = t.constant(tensor.int64([0, 2, 2, -3], [2, 2]), 'idx')
      return t.gather(x!, idx, 1)
    }, [{ shape: [2, 3, 2] }])
    await checkGrad((t, [x]) => t.gather(x!, 'k'), [{ shape: [3, 2, 2] }], {
      extra: [{ name: 'k', tensor: { type: 'int64', data: BigInt64Array.of(1n), dims: [] } }]
    })
    await checkGrad((t, [x]) => t.gather(x!, 'ki', 1), [{ shape: [2, 4] }], {
      extra: [{ name: 'ki', tensor: { type: 'int32', data: Int32Array.of(3, -4, 3), dims: [3] } }]
    })
  })

  it('ReduceSum and ReduceMean, keepdims on and off, some and all axes', async () => {
    await checkGrad((t, [x]) => t.reduceSum(x!, [0, 2]), [{ shape: [2, 3, 2] }])
    await checkGrad((t, [x]) => t.reduceSum(x!, [-1], true), [{ shape: [2, 3] }])
    await checkGrad((t, [x]) => t.reduceMean(x!), [{ shape: [2, 3] }])
    await checkGrad((t, [x]) => t.reduceMean(x!, [1], true), [{ shape: [2, 3, 2] }])
  })

  it('Where (broadcast condition and branches) and Clip (both, one, no bounds)', async () => {
    await checkGrad((t, [a, b]) => t.where(t.compare('Greater', a!, 0), a!, b!), [{ shape: [2, 3], kind: 'awayFromZero' }, { shape: [3] }])
    await checkGrad((t, [x]) => t.clip(x!, -0.5, 0.8), [{ shape: [3, 4], data: [-1.2, -0.6, -0.4, 0, 0.3, 0.79, 0.81, 1.4, -0.2, 0.6, -0.9, 0.1] }])
    await checkGrad((t, [x]) => t.clip(x!, undefined, 0.5), [{ shape: [4], data: [-2, 0.2, 0.7, 0.45] }])
    await checkGrad((t, [x]) => t.clip(x!), [{ shape: [2] }])
  })

  it('custom op: opaque forward with a hand-written VJP (softplus)', async () => {
    const softplus = (t: Tape, x: string): string =>
      t.custom(
        [x],
        // ORT CPU has no float64 Softplus kernel, so the opaque forward spells it log(1 + eᵛ).
        (g, [v]) => [{ name: g.node('Log', [g.node('Add', [g.node('Exp', [v!]), t.scalar(1, 'float64')])]), shape: t.shape(x) }],
        ([dy], { g, inputs: [v] }) => [g.node('Mul', [dy!, g.node('Sigmoid', [v!])])]
      )[0]!
    const r = await checkGrad((t, [x, w]) => t.mul(softplus(t, t.mul(x!, w!)), w!), [{ shape: [2, 3] }, { shape: [3] }])
    expect(Array.from(r.y).every((v) => Number.isFinite(v))).toBe(true)
  })
})

describe('Tape behaviour', () => {
  it('sums several contributions with one Sum node, gives zeros to an unrelated wrt, handles a scalar loss', async () => {
    const g = new GraphBuilder('tape')
    const t = new Tape(g, { dtype: 'float64' })
    const x = t.input('x', [3])
    const z = t.input('z', [2])
    // loss = Σ (x·x + exp(x)) : x reaches the loss through three uses
    const loss = t.reduceSum(t.add(t.mul(x, x), t.exp(x)))
    const [gx, gz] = t.grad(loss, [x, z])
    g.output('gx', 'float64', [3], { from: gx! })
    g.output('gz', 'float64', [2], { from: gz! })
    const model = buildModel({ graph: g })
    const ops = decodeModel(model).graph!.node!.map((n) => n.opType)
    expect(ops.filter((o) => o === 'Sum')).toHaveLength(1)
    const { session } = await createSession(model, { provider: 'cpu', threads: 1 })
    const xv = Float64Array.of(0.5, -1, 2)
    const out = await session.run({ x: { type: 'float64', data: xv, dims: [3] }, z: { type: 'float64', data: Float64Array.of(1, 2), dims: [2] } })
    const want = Array.from(xv, (v) => 2 * v + Math.exp(v))
    const got = Array.from(out.gx!.data as Float64Array)
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 14))
    expect(Array.from(out.gz!.data as Float64Array)).toEqual([0, 0])
    await session.release()
  })

  it('emits rules only for paths that reach wrt (no gradient nodes for a constant branch)', () => {
    const g = new GraphBuilder('prune')
    const t = new Tape(g, { dtype: 'float64' })
    const x = t.input('x', [2, 2])
    const c = t.input('c', [2, 2])
    const before = decodeModel(buildModel({ graph: g })).graph!.node!.length
    const y = t.reduceSum(t.add(t.matmul(c, c), x))
    const afterForward = decodeModel(buildModel({ graph: g })).graph!.node!.length
    t.grad(y, [x])
    const nodes = decodeModel(buildModel({ graph: g })).graph!.node!.slice(afterForward)
    expect(afterForward).toBeGreaterThan(before)
    // d/dx of Σ(c·c + x) is the seed expanded: no Gemm/MatMul for the c·c branch.
    expect(nodes.some((n) => n.opType === 'Gemm' || n.opType === 'MatMul')).toBe(false)
  })

  it('multiple outputs with seeds equal the sum of their separate VJPs', async () => {
    const g = new GraphBuilder('seeds')
    const t = new Tape(g, { dtype: 'float64' })
    const x = t.input('x', [2])
    const [a, b] = t.split(t.mul(x, x), [1, 1])
    const sa = g.constant(tensor.float64([3], [1]))
    const sb = g.constant(tensor.float64([5], [1]))
    const [gx] = t.grad([a!, b!], [x], { seeds: [sa, sb] })
    g.output('gx', 'float64', [2], { from: gx! })
    const { session } = await createSession(buildModel({ graph: g }), { provider: 'cpu', threads: 1 })
    const out = await session.run({ x: { type: 'float64', data: Float64Array.of(2, -1), dims: [2] } })
    expect(Array.from(out.gx!.data as Float64Array)).toEqual([3 * 2 * 2, 5 * 2 * -1])
    await session.release()
  })

  it('rejects a non-scalar output without seeds and names symbolic shapes that a rule needs', () => {
    const g = new GraphBuilder('errors')
    const t = new Tape(g, { dtype: 'float64' })
    const x = t.input('x', [2, 3])
    expect(() => t.grad(t.exp(x), [x])).toThrow(/seeds/)
    const b = t.input('b', ['batch', 3])
    // Forward with a symbolic batch dim works (export); its gradient needs the static shape.
    const loss = t.reduceSum(t.add(b, t.reduceSum(x, [0])))
    expect(t.shape(loss)).toEqual([])
    expect(() => t.grad(loss, [x])).toThrow(/static shape/)
    expect(() => t.matmul(x, t.input('w', [4, 2]))).toThrow(/inner dimensions/)
    expect(() => t.add(x, 'nope')).toThrow(/not on the tape/)
  })
})
