// Float64 central-difference gradient check of tape-built graphs, run in ORT CPU (for tests and custom-op authors).
import { buildModel, GraphBuilder } from '../onnx/builder'
import { createSession, type EngineTensor } from '../ort'
import { Tape } from './tape'

export interface GradCheckInput {
  shape: readonly number[]
  data: Float64Array | readonly number[]
}

export interface GradCheckOptions {
  /** Finite-difference step; default 1e-5 (truncation ~h², round-off ~ε/h both near 1e-10 in float64). */
  step?: number
  /** An element passes when |analytic − numeric| ≤ relTol·max(|analytic|, |numeric|) + absTol. */
  relTol?: number
  absTol?: number
  /** Cotangent r for y (the checked scalar is Σ r·y); default a fixed irregular sequence. */
  cotangent?: Float64Array
  /** Non-differentiated graph inputs (indices, masks), declared on the tape before `build` runs. */
  extra?: readonly { name: string; tensor: EngineTensor }[]
}

export interface GradCheckFailure {
  input: number
  index: number
  analytic: number
  numeric: number
}

export interface GradCheckReport {
  ok: boolean
  /** Largest |analytic − numeric| / (relTol·scale + absTol) over all elements: ≤ 1 passes. */
  worstRatio: number
  failures: GradCheckFailure[]
  y: Float64Array
  yDims: readonly number[]
  grads: Float64Array[]
  gradDims: (readonly number[])[]
  /** Gradients whose run-time shape differs from their input's shape (a rule bug even if values pass). */
  shapeMismatches: number[]
  model: Uint8Array
}

function defaultCotangent(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, k) => Math.sin(1.7 * k + 0.3) + 0.25)
}

/**
 * Builds y = build(x₀, x₁, …) in float64, emits ∂(Σ r·y)/∂xᵢ with the tape (r fed as the seed),
 * and compares every element with a central difference of Σ r·y computed from ORT's own forward
 * output. One session; 1 + 2·Σ|xᵢ| runs, so keep inputs small.
 */
export async function gradCheck(
  build: (t: Tape, xs: string[]) => string,
  inputs: readonly GradCheckInput[],
  opts: GradCheckOptions = {}
): Promise<GradCheckReport> {
  const h = opts.step ?? 1e-5
  const relTol = opts.relTol ?? 1e-6
  const absTol = opts.absTol ?? 1e-9
  const g = new GraphBuilder('gradcheck')
  const t = new Tape(g, { dtype: 'float64' })
  const xs = inputs.map((inp, i) => t.input(`x${i}`, inp.shape))
  for (const e of opts.extra ?? []) t.input(e.name, e.tensor.dims, e.tensor.type)
  const y = build(t, xs)
  const yShape = t.staticShape(y, 'gradCheck')
  const r = g.input('cotangent', 'float64', yShape)
  const grads = t.grad(y, xs, { seeds: [r] })
  g.output('y', 'float64', yShape, { from: y })
  grads.forEach((gr, i) => g.output(`g${i}`, 'float64', inputs[i]!.shape, { from: gr }))
  const model = buildModel({ graph: g })
  const { session } = await createSession(model, { provider: 'cpu', threads: 1 })
  try {
    const values = inputs.map((inp) => Float64Array.from(inp.data))
    values.forEach((v, i) => {
      const want = inputs[i]!.shape.reduce((a, b) => a * b, 1)
      if (v.length !== want) throw new RangeError(`gradCheck: input ${i} has ${v.length} values for shape [${inputs[i]!.shape.join(',')}]`)
    })
    const count = yShape.reduce((a, b) => a * b, 1)
    const rv = opts.cotangent ?? defaultCotangent(count)
    const feeds = (vals: Float64Array[]): Record<string, EngineTensor> => {
      const f: Record<string, EngineTensor> = { cotangent: { type: 'float64', data: rv, dims: yShape } }
      vals.forEach((v, i) => (f[`x${i}`] = { type: 'float64', data: v, dims: inputs[i]!.shape }))
      for (const e of opts.extra ?? []) f[e.name] = e.tensor
      return f
    }
    const base = await session.run(feeds(values))
    const objective = async (vals: Float64Array[]): Promise<number> => {
      const out = (await session.run(feeds(vals))).y!.data as Float64Array
      let s = 0
      for (let k = 0; k < out.length; k++) s += out[k]! * rv[k]!
      return s
    }
    const report: GradCheckReport = {
      ok: true,
      worstRatio: 0,
      failures: [],
      y: base.y!.data as Float64Array,
      yDims: base.y!.dims,
      grads: [],
      gradDims: [],
      shapeMismatches: [],
      model
    }
    for (let i = 0; i < inputs.length; i++) {
      const gi = base[`g${i}`]!
      const a = gi.data as Float64Array
      report.grads.push(a)
      report.gradDims.push(gi.dims)
      const dimsOk = gi.dims.length === inputs[i]!.shape.length && gi.dims.every((d, k) => d === inputs[i]!.shape[k])
      if (!dimsOk) report.shapeMismatches.push(i)
      for (let j = 0; j < values[i]!.length; j++) {
        const orig = values[i]![j]!
        values[i]![j] = orig + h
        const up = await objective(values)
        values[i]![j] = orig - h
        const down = await objective(values)
        values[i]![j] = orig
        const numeric = (up - down) / (2 * h)
        const analytic = a[j] ?? Number.NaN
        const ratio = Math.abs(numeric - analytic) / (relTol * Math.max(Math.abs(numeric), Math.abs(analytic)) + absTol)
        if (!(ratio <= 1)) report.failures.push({ input: i, index: j, analytic, numeric })
        if (!(ratio <= report.worstRatio)) report.worstRatio = ratio
      }
    }
    report.ok = report.failures.length === 0 && report.shapeMismatches.length === 0
    return report
  } finally {
    await session.release()
  }
}
