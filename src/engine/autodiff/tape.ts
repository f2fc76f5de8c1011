// Reverse-mode autodiff over GraphBuilder: a tape of forward ops with static shapes that emits gradient nodes into the same graph.
//
// Every forward op is emitted as ONNX nodes at once and recorded with a backward rule (a closure
// that emits the vector–Jacobian product as more nodes). grad() walks the tape backwards and
// emits only the rules on paths from `wrt` to the outputs; several contributions to one value are
// added with a single Sum. Shapes are tracked statically because unbroadcasting (ReduceSum +
// Reshape), zeros and Expand need them; symbolic dims (e.g. 'batch') are allowed for forward-only
// graphs (export) and raise a clear error only if a gradient rule needs them.
// Backward nodes are not recorded, so there are no gradients of gradients.
import { DATA_TYPE, tensor, type Dim, type ElemType, type GraphBuilder, type TensorValue } from '../onnx/builder'
import {
  broadcastShapes,
  formatShape,
  invertPerm,
  isStatic,
  matmulShape,
  normAxis,
  numel,
  reshapeShape,
  resolveSlice,
  strides,
  UNKNOWN_DIM,
  type SliceAxis
} from './shapes'

export type FloatType = 'float32' | 'float64'

export interface ValueMeta {
  readonly type: ElemType
  readonly shape: readonly Dim[]
}

/** A tape value's name, or a JS number that becomes a scalar constant of the other operand's type. */
export type Operand = string | number

/** Gradients of an op's outputs (null: none reached it) → gradients of its tape inputs (null: none). */
type Vjp = (gradOutputs: readonly (string | null)[], needs: readonly boolean[]) => readonly (string | null)[]

interface Entry {
  readonly op: string
  readonly inputs: readonly string[]
  readonly outputs: readonly string[]
  readonly vjp: Vjp | null
}

/** An output of a custom op, declared with its shape so later rules can use it. */
export interface CustomOutput {
  name: string
  shape: readonly Dim[]
  type?: ElemType
}

export interface VjpContext {
  tape: Tape
  g: GraphBuilder
  inputs: readonly string[]
  outputs: readonly string[]
  /** needs[i]: whether input i lies on a path to a `wrt` value; a rule may return null where false. */
  needs: readonly boolean[]
}

/** Emits the op's nodes into `g` and returns its outputs (names and shapes). */
export type CustomForward = (g: GraphBuilder, inputs: readonly string[]) => readonly CustomOutput[]

/**
 * Emits the vector–Jacobian product. Output gradients that never arrived are given as zeros, so a
 * rule sees one gradient per output; it returns one gradient (or null) per input.
 */
export type CustomVjp = (gradOutputs: readonly string[], ctx: VjpContext) => readonly (string | null)[]

export interface GradOptions {
  /**
   * Cotangents for `ys`, one per output, shaped like it. Without seeds every y must hold a single
   * element and is seeded with 1 (the gradient of a scalar loss).
   */
  seeds?: readonly string[]
}

export interface SliceSpec {
  starts: readonly number[]
  ends: readonly number[]
  /** Defaults to 0..starts.length-1. */
  axes?: readonly number[]
  /** Defaults to 1 on every axis. */
  steps?: readonly number[]
}

export interface GemmOptions {
  transA?: boolean
  transB?: boolean
  alpha?: number
  beta?: number
}

const FLOAT_TYPES = new Set<ElemType>(['float32', 'float64'])

function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

function swapLast2(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i)
  perm[rank - 1] = rank - 2
  perm[rank - 2] = rank - 1
  return perm
}

export class Tape {
  readonly dtype: FloatType
  private readonly meta = new Map<string, ValueMeta>()
  private readonly entries: Entry[] = []
  private readonly consts = new Map<string, string>()

  /** `dtype` is the float type of constants made from JS numbers (float64 for gradient checks). */
  constructor(
    readonly g: GraphBuilder,
    opts: { dtype?: FloatType } = {}
  ) {
    this.dtype = opts.dtype ?? 'float32'
  }

  // -------------------------------------------------------------------------------------------
  // Values

  /** Registers a value made outside the tape (a Loop body input, an outer-scope value, a raw node). */
  declare(name: string, shape: readonly Dim[], type: ElemType = this.dtype): string {
    if (this.meta.has(name)) throw new Error(`autodiff: '${name}' is already on the tape`)
    this.meta.set(name, { type, shape: [...shape] })
    return name
  }

  /** A graph input on the tape. */
  input(name: string, shape: readonly Dim[], type: ElemType = this.dtype, docString?: string): string {
    return this.declare(this.g.input(name, type, shape, docString), shape, type)
  }

  /** A graph initializer on the tape (constant: gradients do not flow into it unless listed in `wrt`). */
  initializer(name: string, value: TensorValue): string {
    return this.declare(this.g.initializer(name, value), value.dims, value.type)
  }

  /** A constant on the tape: a JS number is a scalar and an array 1-D (of the tape dtype), or any TensorValue. */
  constant(value: number | readonly number[] | TensorValue, hint = 'c'): string {
    const t: TensorValue =
      typeof value === 'number'
        ? this.floatTensor([value], [], this.dtype)
        : Array.isArray(value)
          ? this.floatTensor(value as readonly number[], [value.length], this.dtype)
          : (value as TensorValue)
    return this.declare(this.g.constant(t, hint), t.dims, t.type)
  }

  has(name: string): boolean {
    return this.meta.has(name)
  }

  info(name: string): ValueMeta {
    const m = this.meta.get(name)
    if (!m) throw new Error(`autodiff: '${name}' is not on the tape (declare values made outside it with tape.declare)`)
    return m
  }

  shape(name: string): readonly Dim[] {
    return this.info(name).shape
  }

  type(name: string): ElemType {
    return this.info(name).type
  }

  // -------------------------------------------------------------------------------------------
  // Recording

  /** Emits one node and records it; `tapeInputs` are the operands the rule returns gradients for. */
  private emit(
    opType: string,
    nodeInputs: readonly string[],
    attrs: Record<string, number | string | readonly number[]>,
    outs: readonly ValueMeta[],
    tapeInputs: readonly string[],
    vjp: Vjp | null
  ): string[] {
    const names = this.g.node(opType, nodeInputs, attrs, outs.length)
    names.forEach((n, i) => this.meta.set(n, { type: outs[i]!.type, shape: [...outs[i]!.shape] }))
    this.entries.push({ op: opType, inputs: tapeInputs, outputs: names, vjp })
    return names
  }

  private emit1(
    opType: string,
    nodeInputs: readonly string[],
    attrs: Record<string, number | string | readonly number[]>,
    out: ValueMeta,
    tapeInputs: readonly string[],
    vjp: Vjp | null
  ): string {
    return this.emit(opType, nodeInputs, attrs, [out], tapeInputs, vjp)[0]!
  }

  /**
   * An opaque op with a hand-written VJP, e.g. a Loop whose backward pass is a reverse Loop.
   * `forward` emits nodes into this tape's graph and names its outputs with their shapes.
   */
  custom(inputs: readonly string[], forward: CustomForward, vjp: CustomVjp): string[] {
    for (const i of inputs) this.info(i)
    const outs = forward(this.g, inputs)
    const names = outs.map((o) => this.declare(o.name, o.shape, o.type ?? this.dtype))
    this.entries.push({
      op: 'custom',
      inputs: [...inputs],
      outputs: names,
      vjp: (gy, needs) => {
        const filled = gy.map((g, i) => g ?? this.zeros(this.staticShape(names[i]!, 'custom op'), this.type(names[i]!)))
        const gx = vjp(filled, { tape: this, g: this.g, inputs, outputs: names, needs })
        if (gx.length !== inputs.length) {
          throw new Error(`autodiff: custom VJP returned ${gx.length} gradients for ${inputs.length} inputs`)
        }
        return gx
      }
    })
    return names
  }

  /** An op without a gradient (comparisons, casts to integers, random draws): recorded so its outputs are on the tape. */
  nondiff(opType: string, inputs: readonly string[], attrs: Record<string, number | string | readonly number[]>, outs: readonly ValueMeta[]): string[] {
    return this.emit(opType, inputs, attrs, outs, [], null)
  }

  // -------------------------------------------------------------------------------------------
  // Gradients

  /**
   * Emits the gradient of `ys` (a scalar loss, or several outputs with `seeds`) with respect to
   * each of `wrt`, and returns the gradient value names in the same order. A `wrt` value the
   * outputs do not depend on gets zeros.
   */
  grad(ys: string | readonly string[], wrt: readonly string[], opts: GradOptions = {}): string[] {
    const yList = typeof ys === 'string' ? [ys] : [...ys]
    for (const w of wrt) {
      if (!FLOAT_TYPES.has(this.type(w))) throw new TypeError(`autodiff: cannot differentiate with respect to ${this.type(w)} value '${w}'`)
    }
    let seeds: string[]
    if (opts.seeds) {
      if (opts.seeds.length !== yList.length) throw new RangeError(`autodiff: ${opts.seeds.length} seeds for ${yList.length} outputs`)
      seeds = [...opts.seeds]
    } else {
      seeds = yList.map((y) => {
        const shape = this.shape(y)
        if (!isStatic(shape) || numel(shape) !== 1) {
          throw new RangeError(`autodiff: '${y}' has shape ${formatShape(shape)}; pass seeds to differentiate a non-scalar output`)
        }
        return this.g.constant(this.floatTensor([1], shape, this.floatType(y)), 'grad_seed')
      })
    }

    // Values that depend on some wrt value: only their gradients are ever needed.
    const live = new Set<string>(wrt)
    for (const e of this.entries) {
      if (e.vjp && e.inputs.some((i) => live.has(i))) {
        for (const o of e.outputs) if (FLOAT_TYPES.has(this.type(o))) live.add(o)
      }
    }
    const contrib = new Map<string, string[]>()
    const add = (name: string, g: string): void => {
      const list = contrib.get(name)
      if (list) list.push(g)
      else contrib.set(name, [g])
    }
    yList.forEach((y, i) => {
      if (live.has(y)) add(y, seeds[i]!)
    })
    for (let k = this.entries.length - 1; k >= 0; k--) {
      const e = this.entries[k]!
      if (!e.vjp || !e.outputs.some((o) => contrib.has(o))) continue
      const needs = e.inputs.map((i) => live.has(i))
      if (!needs.some(Boolean)) continue
      const gy = e.outputs.map((o) => this.total(contrib, o))
      const gx = e.vjp(gy, needs)
      e.inputs.forEach((inp, i) => {
        const g = gx[i]
        if (needs[i] && g) add(inp, g)
      })
    }
    return wrt.map((w) => this.total(contrib, w) ?? this.zeros(this.staticShape(w, 'zero gradient'), this.type(w)))
  }

  /** The summed gradient of a value (one Sum node, cached), or null if none arrived. */
  private total(contrib: Map<string, string[]>, name: string): string | null {
    const list = contrib.get(name)
    if (!list || list.length === 0) return null
    if (list.length === 1) return list[0]!
    const sum = this.g.node('Sum', list)
    contrib.set(name, [sum])
    return sum
  }

  // -------------------------------------------------------------------------------------------
  // Helpers for rules (emit plain nodes: not recorded)

  /** The static shape of a tape value; throws when a rule needs one and the value has symbolic dims. */
  staticShape(name: string, why: string): number[] {
    const s = this.shape(name)
    if (!isStatic(s)) throw new Error(`autodiff: ${why} needs a static shape for '${name}', got ${formatShape(s)}`)
    return [...s]
  }

  private needStatic(shape: readonly Dim[], why: string): number[] {
    if (!isStatic(shape)) throw new Error(`autodiff: ${why} needs static shapes, got ${formatShape(shape)}`)
    return [...shape]
  }

  private floatType(name: string): FloatType {
    const t = this.type(name)
    if (t !== 'float32' && t !== 'float64') throw new TypeError(`autodiff: '${name}' is ${t}, expected a float type`)
    return t
  }

  private floatTensor(values: readonly number[], dims: readonly number[] | readonly Dim[], type: FloatType): TensorValue {
    const d = dims as readonly number[]
    return type === 'float64' ? tensor.float64(values, d) : tensor.float32(values, d)
  }

  /** A cached scalar constant (one node per value and type in this graph). */
  scalar(value: number, type: FloatType = this.dtype): string {
    const key = `${type}:${Object.is(value, -0) ? '-0' : value}`
    let name = this.consts.get(key)
    if (!name) {
      name = this.g.constant(this.floatTensor([value], [], type), 'scalar')
      this.consts.set(key, name)
    }
    return name
  }

  /** A cached 1-D int64 constant (axes, shapes, sizes). */
  ints(values: readonly number[]): string {
    const key = `i64:${values.join(',')}`
    let name = this.consts.get(key)
    if (!name) {
      name = this.g.constant(tensor.int64(values), 'ints')
      this.consts.set(key, name)
    }
    return name
  }

  /** Zeros of a static shape, as ConstantOfShape so large zero tensors do not bloat the model. */
  zeros(shape: readonly number[], type: ElemType): string {
    const value: TensorValue =
      type === 'float64' ? tensor.float64([0], [1]) : type === 'float32' ? tensor.float32([0], [1]) : { type, dims: [1], data: [0] }
    return this.g.node('ConstantOfShape', [this.ints(shape)], { value })
  }

  /** Sums a broadcast gradient back to an operand's shape (ReduceSum over broadcast axes + Reshape). */
  sumTo(grad: string, from: readonly Dim[], to: readonly Dim[]): string {
    if (sameShape(from, to)) return grad
    const f = this.needStatic(from, 'unbroadcast')
    const t = this.needStatic(to, 'unbroadcast')
    const lead = f.length - t.length
    const axes: number[] = []
    for (let i = 0; i < f.length; i++) if (i < lead || (t[i - lead] === 1 && f[i] !== 1)) axes.push(i)
    let r = grad
    if (axes.length > 0) r = this.g.node('ReduceSum', [grad, this.ints(axes)], { keepdims: 1 })
    return lead > 0 ? this.g.node('Reshape', [r, this.ints(t)]) : r
  }

  private operands(a: Operand, b: Operand): [string, string] {
    if (typeof a === 'number' && typeof b === 'number') throw new TypeError('autodiff: at least one operand must be a tape value')
    const type = typeof a === 'string' ? this.floatType(a) : this.floatType(b as string)
    const x = typeof a === 'number' ? this.scalarOnTape(a, type) : a
    const y = typeof b === 'number' ? this.scalarOnTape(b, type) : b
    if (this.type(x) !== this.type(y)) throw new TypeError(`autodiff: '${x}' is ${this.type(x)} but '${y}' is ${this.type(y)}`)
    return [x, y]
  }

  private scalarOnTape(value: number, type: FloatType): string {
    const name = this.scalar(value, type)
    if (!this.meta.has(name)) this.meta.set(name, { type, shape: [] })
    return name
  }

  // -------------------------------------------------------------------------------------------
  // Elementwise arithmetic with broadcasting

  add(a: Operand, b: Operand): string {
    return this.binary('Add', a, b)
  }

  sub(a: Operand, b: Operand): string {
    return this.binary('Sub', a, b)
  }

  mul(a: Operand, b: Operand): string {
    return this.binary('Mul', a, b)
  }

  div(a: Operand, b: Operand): string {
    return this.binary('Div', a, b)
  }

  private binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', aIn: Operand, bIn: Operand): string {
    const [a, b] = this.operands(aIn, bIn)
    const sa = this.shape(a)
    const sb = this.shape(b)
    const sy = broadcastShapes(sa, sb)
    const g = this.g
    let y = ''
    y = this.emit1(op, [a, b], {}, { type: this.type(a), shape: sy }, [a, b], ([dy], needs) => {
      const d = dy!
      let da: string | null = null
      let db: string | null = null
      switch (op) {
        case 'Add':
          if (needs[0]) da = d
          if (needs[1]) db = d
          break
        case 'Sub':
          if (needs[0]) da = d
          if (needs[1]) db = g.node('Neg', [d])
          break
        case 'Mul':
          if (needs[0]) da = g.node('Mul', [d, b])
          if (needs[1]) db = g.node('Mul', [d, a])
          break
        case 'Div':
          if (needs[0]) da = g.node('Div', [d, b])
          // ∂(a/b)/∂b = −a/b² = −y/b
          if (needs[1]) db = g.node('Neg', [g.node('Div', [g.node('Mul', [d, y]), b])])
          break
      }
      return [da && this.sumTo(da, sy, sa), db && this.sumTo(db, sy, sb)]
    })
    return y
  }

  /** Sum of several values (ONNX Sum, with broadcasting). */
  sum(xs: readonly string[]): string {
    if (xs.length === 0) throw new RangeError('autodiff: sum of no values')
    const shapes = xs.map((x) => this.shape(x))
    const sy = broadcastShapes(...shapes)
    return this.emit1('Sum', xs, {}, { type: this.floatType(xs[0]!), shape: sy }, xs, ([dy], needs) =>
      shapes.map((s, i) => (needs[i] ? this.sumTo(dy!, sy, s) : null))
    )
  }

  // -------------------------------------------------------------------------------------------
  // Unary functions

  neg(x: string): string {
    return this.unary('Neg', x, (dy) => this.g.node('Neg', [dy]))
  }

  exp(x: string): string {
    let y = ''
    y = this.unary('Exp', x, (dy) => this.g.node('Mul', [dy, y]))
    return y
  }

  log(x: string): string {
    return this.unary('Log', x, (dy) => this.g.node('Div', [dy, x]))
  }

  sigmoid(x: string): string {
    let y = ''
    y = this.unary('Sigmoid', x, (dy) => {
      const one = this.scalar(1, this.floatType(x))
      return this.g.node('Mul', [dy, this.g.node('Mul', [y, this.g.node('Sub', [one, y])])])
    })
    return y
  }

  tanh(x: string): string {
    let y = ''
    y = this.unary('Tanh', x, (dy) => {
      const one = this.scalar(1, this.floatType(x))
      return this.g.node('Mul', [dy, this.g.node('Sub', [one, this.g.node('Mul', [y, y])])])
    })
    return y
  }

  /** Gradient 0 at x = 0, as in torch. */
  relu(x: string): string {
    return this.unary('Relu', x, (dy) => {
      const zero = this.scalar(0, this.floatType(x))
      return this.g.node('Where', [this.g.node('Greater', [x, zero]), dy, zero])
    })
  }

  /** Gradient sign(x) (0 at x = 0, as in torch). */
  abs(x: string): string {
    return this.unary('Abs', x, (dy) => this.g.node('Mul', [dy, this.g.node('Sign', [x])]))
  }

  sqrt(x: string): string {
    let y = ''
    y = this.unary('Sqrt', x, (dy) => this.g.node('Div', [dy, this.g.node('Add', [y, y])]))
    return y
  }

  identity(x: string): string {
    return this.unary('Identity', x, (dy) => dy)
  }

  private unary(op: string, x: string, rule: (dy: string) => string): string {
    return this.emit1(op, [x], {}, { type: this.floatType(x), shape: this.shape(x) }, [x], ([dy]) => [rule(dy!)])
  }

  /** Softmax along one axis (opset 13 semantics). */
  softmax(x: string, axis = -1): string {
    const rank = this.shape(x).length
    const a = normAxis(axis, rank)
    let y = ''
    y = this.emit1('Softmax', [x], { axis: a }, this.info(x), [x], ([dy]) => {
      // dx = y ⊙ (dy − Σ_axis dy ⊙ y)
      const s = this.g.node('ReduceSum', [this.g.node('Mul', [dy!, y]), this.ints([a])], { keepdims: 1 })
      return [this.g.node('Mul', [y, this.g.node('Sub', [dy!, s])])]
    })
    return y
  }

  /** LogSoftmax along one axis (opset 13 semantics). */
  logSoftmax(x: string, axis = -1): string {
    const rank = this.shape(x).length
    const a = normAxis(axis, rank)
    let y = ''
    y = this.emit1('LogSoftmax', [x], { axis: a }, this.info(x), [x], ([dy]) => {
      // dx = dy − softmax(x) ⊙ Σ_axis dy, with softmax(x) = exp(y)
      const s = this.g.node('ReduceSum', [dy!, this.ints([a])], { keepdims: 1 })
      return [this.g.node('Sub', [dy!, this.g.node('Mul', [this.g.node('Exp', [y]), s])])]
    })
    return y
  }

  // -------------------------------------------------------------------------------------------
  // Linear algebra

  /** numpy-style MatMul (batched, broadcasting, 1-D operands); rank-2 gradients use Gemm. */
  matmul(a: string, b: string): string {
    const sa = this.shape(a)
    const sb = this.shape(b)
    const sy = matmulShape(sa, sb)
    const type = this.floatType(a)
    const g = this.g
    return this.emit1('MatMul', [a, b], {}, { type, shape: sy }, [a, b], ([dy], needs) => {
      const d = dy!
      if (sa.length === 2 && sb.length === 2) {
        return [
          needs[0] ? g.node('Gemm', [d, b], { transB: 1 }) : null,
          needs[1] ? g.node('Gemm', [a, d], { transA: 1 }) : null
        ]
      }
      const SA = this.needStatic(sa, 'MatMul gradient')
      const SB = this.needStatic(sb, 'MatMul gradient')
      const SY = this.needStatic(sy, 'MatMul gradient')
      // Promote 1-D operands to matrices as numpy does, then undo it on the gradients.
      const A2 = SA.length === 1 ? [1, SA[0]!] : SA
      const B2 = SB.length === 1 ? [SB[0]!, 1] : SB
      const batch = broadcastShapes(A2.slice(0, -2), B2.slice(0, -2)) as number[]
      const M = A2[A2.length - 2]!
      const K = A2[A2.length - 1]!
      const N = B2[B2.length - 1]!
      const Y2 = [...batch, M, N]
      const dy2 = sameShape(SY, Y2) ? d : g.node('Reshape', [d, this.ints(Y2)])
      const a2 = SA.length === 1 ? g.node('Reshape', [a, this.ints(A2)]) : a
      const b2 = SB.length === 1 ? g.node('Reshape', [b, this.ints(B2)]) : b
      let da: string | null = null
      let db: string | null = null
      if (needs[0]) {
        const full = g.node('MatMul', [dy2, g.node('Transpose', [b2], { perm: swapLast2(B2.length) })])
        da = this.sumTo(full, [...batch, M, K], A2)
        if (SA.length === 1) da = g.node('Reshape', [da, this.ints(SA)])
      }
      if (needs[1]) {
        const full = g.node('MatMul', [g.node('Transpose', [a2], { perm: swapLast2(A2.length) }), dy2])
        db = this.sumTo(full, [...batch, K, N], B2)
        if (SB.length === 1) db = g.node('Reshape', [db, this.ints(SB)])
      }
      return [da, db]
    })
  }

  /** Y = alpha·op(A)·op(B) + beta·C (C optional, unidirectionally broadcast to [M, N]). */
  gemm(a: string, b: string, c?: string, opts: GemmOptions = {}): string {
    const transA = opts.transA ? 1 : 0
    const transB = opts.transB ? 1 : 0
    const alpha = opts.alpha ?? 1
    const beta = opts.beta ?? 1
    const sa = this.shape(a)
    const sb = this.shape(b)
    if (sa.length !== 2 || sb.length !== 2) throw new RangeError('autodiff: Gemm needs 2-D A and B')
    const M = transA ? sa[1]! : sa[0]!
    const N = transB ? sb[0]! : sb[1]!
    const sy: Dim[] = [M, N]
    if (c !== undefined) broadcastShapes(this.shape(c), sy)
    const attrs: Record<string, number> = { transA, transB }
    if (alpha !== 1) attrs.alpha = alpha
    if (beta !== 1) attrs.beta = beta
    const tapeInputs = c === undefined ? [a, b] : [a, b, c]
    const g = this.g
    const scaled = (x: string, s: number): string => (s === 1 ? x : g.node('Mul', [x, this.scalar(s, this.floatType(a))]))
    return this.emit1('Gemm', c === undefined ? [a, b] : [a, b, c], attrs, { type: this.floatType(a), shape: sy }, tapeInputs, ([dy], needs) => {
      const d = dy!
      const ga: Record<string, number> = alpha !== 1 ? { alpha } : {}
      let da: string | null = null
      let db: string | null = null
      if (needs[0]) {
        // dop(A) = alpha·dY·op(B)ᵀ; when A is stored transposed, dA = alpha·op(B)·dYᵀ.
        da = transA ? g.node('Gemm', [b, d], { transA: transB, transB: 1, ...ga }) : g.node('Gemm', [d, b], { transB: 1 - transB, ...ga })
      }
      if (needs[1]) {
        // dop(B) = alpha·op(A)ᵀ·dY; when B is stored transposed, dB = alpha·dYᵀ·op(A).
        db = transB ? g.node('Gemm', [d, a], { transA: 1, transB: transA, ...ga }) : g.node('Gemm', [a, d], { transA: 1 - transA, ...ga })
      }
      const dc = c !== undefined && needs[2] ? this.sumTo(scaled(d, beta), sy, this.shape(c)) : null
      return c === undefined ? [da, db] : [da, db, dc]
    })
  }

  // -------------------------------------------------------------------------------------------
  // Shape ops

  reshape(x: string, shape: readonly number[]): string {
    const sx = this.shape(x)
    const sy = reshapeShape(sx, shape)
    return this.emit1('Reshape', [x, this.ints(shape)], {}, { type: this.type(x), shape: sy }, [x], ([dy]) => [
      this.g.node('Reshape', [dy!, this.ints(this.needStatic(sx, 'Reshape gradient'))])
    ])
  }

  /** Transpose; `perm` defaults to reversing the axes. */
  transpose(x: string, perm?: readonly number[]): string {
    const sx = this.shape(x)
    const p = perm ? [...perm] : sx.map((_, i) => sx.length - 1 - i)
    if (p.length !== sx.length || [...p].sort((u, v) => u - v).some((v, i) => v !== i)) {
      throw new RangeError(`autodiff: perm [${p.join(',')}] is not a permutation of rank ${sx.length}`)
    }
    const sy = p.map((i) => sx[i]!)
    return this.emit1('Transpose', [x], { perm: p }, { type: this.type(x), shape: sy }, [x], ([dy]) => [
      this.g.node('Transpose', [dy!], { perm: invertPerm(p) })
    ])
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    const sx = this.shape(x)
    const rank = sx.length + axes.length
    const ax = axes.map((a) => normAxis(a, rank)).sort((u, v) => u - v)
    const sy: Dim[] = []
    let k = 0
    for (let i = 0; i < rank; i++) sy.push(ax.includes(i) ? 1 : sx[k++]!)
    return this.emit1('Unsqueeze', [x, this.ints(ax)], {}, { type: this.type(x), shape: sy }, [x], ([dy]) => [
      this.g.node('Squeeze', [dy!, this.ints(ax)])
    ])
  }

  squeeze(x: string, axes: readonly number[]): string {
    const sx = this.shape(x)
    const ax = axes.map((a) => normAxis(a, sx.length)).sort((u, v) => u - v)
    for (const a of ax) if (sx[a] !== 1) throw new RangeError(`autodiff: cannot squeeze axis ${a} of ${formatShape(sx)}`)
    const sy = sx.filter((_, i) => !ax.includes(i))
    return this.emit1('Squeeze', [x, this.ints(ax)], {}, { type: this.type(x), shape: sy }, [x], ([dy]) => [
      this.g.node('Unsqueeze', [dy!, this.ints(ax)])
    ])
  }

  /** Broadcast to `shape` (ONNX Expand semantics). */
  expand(x: string, shape: readonly number[]): string {
    const sx = this.shape(x)
    const sy = broadcastShapes(sx, shape)
    return this.emit1('Expand', [x, this.ints(shape)], {}, { type: this.type(x), shape: sy }, [x], ([dy]) => [this.sumTo(dy!, sy, sx)])
  }

  concat(xs: readonly string[], axis: number): string {
    if (xs.length === 0) throw new RangeError('autodiff: concat of no values')
    const shapes = xs.map((x) => this.shape(x))
    const rank = shapes[0]!.length
    const a = normAxis(axis, rank)
    const sizes = shapes.map((s) => s[a]!)
    const total: Dim = sizes.every((d) => typeof d === 'number') ? (sizes as number[]).reduce((u, v) => u + v, 0) : UNKNOWN_DIM
    const sy = shapes[0]!.map((d, i) => (i === a ? total : d))
    return this.emit1('Concat', xs, { axis: a }, { type: this.type(xs[0]!), shape: sy }, xs, ([dy]) => {
      const parts = this.g.node('Split', [dy!, this.ints(this.needStatic(sizes, 'Concat gradient'))], { axis: a }, xs.length)
      return parts
    })
  }

  /** Split into pieces of `sizes` along `axis`; an output no gradient reaches counts as zeros. */
  split(x: string, sizes: readonly number[], axis = 0): string[] {
    const sx = this.shape(x)
    const a = normAxis(axis, sx.length)
    const d = sx[a]!
    if (typeof d === 'number' && sizes.reduce((u, v) => u + v, 0) !== d) {
      throw new RangeError(`autodiff: split sizes [${sizes.join(',')}] do not add up to dim ${d}`)
    }
    const outs = sizes.map((s) => ({ type: this.type(x), shape: sx.map((e, i) => (i === a ? s : e)) }))
    return this.emit('Split', [x, this.ints(sizes)], { axis: a }, outs, [x], (gy) => {
      const parts = gy.map((g, i) => g ?? this.zeros(this.needStatic(outs[i]!.shape, 'Split gradient'), this.type(x)))
      return [this.g.node('Concat', parts, { axis: a })]
    })
  }

  /** Slice with constant starts/ends/axes/steps (ONNX clamping rules). */
  slice(x: string, spec: SliceSpec): string {
    const sx = this.shape(x)
    const axes = (spec.axes ?? spec.starts.map((_, i) => i)).map((a) => normAxis(a, sx.length))
    const steps = spec.steps ?? axes.map(() => 1)
    if (spec.ends.length !== axes.length || spec.starts.length !== axes.length || steps.length !== axes.length) {
      throw new RangeError('autodiff: slice starts, ends, axes and steps must have the same length')
    }
    const resolved = new Map<number, SliceAxis>()
    const sy: Dim[] = [...sx]
    axes.forEach((a, i) => {
      const d = sx[a]!
      if (typeof d === 'number') {
        const r = resolveSlice(d, spec.starts[i]!, spec.ends[i]!, steps[i]!)
        resolved.set(a, r)
        sy[a] = r.count
      } else sy[a] = UNKNOWN_DIM
    })
    const nodeInputs = [x, this.ints(spec.starts), this.ints(spec.ends), this.ints(axes), this.ints(steps)]
    return this.emit1('Slice', nodeInputs, {}, { type: this.type(x), shape: sy }, [x], ([dy]) => {
      const S = this.needStatic(sx, 'Slice gradient')
      const Y = this.needStatic(sy, 'Slice gradient')
      const g = this.g
      if (steps.every((s) => s === 1)) {
        // Contiguous: pad the gradient back with zeros.
        const pads = new Array<number>(2 * S.length).fill(0)
        for (const [a, r] of resolved) {
          pads[a] = r.start
          pads[S.length + a] = S[a]! - r.start - r.count
        }
        return [g.node('Pad', [dy!, this.ints(pads)])]
      }
      // Strided or reversed: scatter into a flat zero tensor at the selected (static) positions.
      const st = strides(S)
      const flat: number[] = []
      const total = numel(Y)
      const idx = new Array<number>(Y.length).fill(0)
      for (let n = 0; n < total; n++) {
        let off = 0
        for (let i = 0; i < Y.length; i++) {
          const r = resolved.get(i)
          off += (r ? r.start + idx[i]! * r.step : idx[i]!) * st[i]!
        }
        flat.push(off)
        for (let i = Y.length - 1; i >= 0; i--) {
          if (++idx[i]! < Y[i]!) break
          idx[i] = 0
        }
      }
      const flatDy = g.node('Reshape', [dy!, this.ints([-1])])
      const scattered = g.node('ScatterElements', [this.zeros([numel(S)], this.type(x)), this.ints(flat), flatDy], { axis: 0 })
      return [g.node('Reshape', [scattered, this.ints(S)])]
    })
  }

  /**
   * Gather along `axis`; `indices` is an integer tape value or constant JS indices (negative
   * ones count from the end). The gradient scatter-adds, so repeated indices accumulate.
   */
  gather(x: string, indices: string | number | readonly number[], axis = 0): string {
    const idx =
      typeof indices === 'string'
        ? indices
        : typeof indices === 'number'
          ? this.declare(this.g.constant(tensor.int64([indices], []), 'idx'), [], 'int64')
          : this.declare(this.g.constant(tensor.int64(indices), 'idx'), [indices.length], 'int64')
    const it = this.type(idx)
    if (it !== 'int64' && it !== 'int32') throw new TypeError(`autodiff: gather indices '${idx}' must be int64 or int32, got ${it}`)
    const sx = this.shape(x)
    const si = this.shape(idx)
    const a = normAxis(axis, sx.length)
    const sy = [...sx.slice(0, a), ...si, ...sx.slice(a + 1)]
    return this.emit1('Gather', [x, idx], { axis: a }, { type: this.type(x), shape: sy }, [x], ([dy]) => {
      const g = this.g
      const S = this.needStatic(sx, 'Gather gradient')
      const ri = si.length
      // ScatterND needs int64 indices; normalise negative ones so the scatter sees what Gather saw.
      let i64 = it === 'int64' ? idx : g.node('Cast', [idx], { to: DATA_TYPE.int64 })
      const dim = this.g.constant(tensor.int64([S[a]!], []), 'dim')
      const zero = this.g.constant(tensor.int64([0], []), 'zero_i')
      i64 = g.node('Where', [g.node('Less', [i64, zero]), g.node('Add', [i64, dim]), i64])
      const where = g.node('Unsqueeze', [i64, this.ints([-1])])
      if (a === 0) {
        return [g.node('ScatterND', [this.zeros(S, this.type(x)), where, dy!], { reduction: 'add' })]
      }
      // Move the gathered axis to the front, scatter along it, and move it back.
      const yRank = S.length - 1 + ri
      const permY = [
        ...Array.from({ length: ri }, (_, k) => a + k),
        ...Array.from({ length: a }, (_, k) => k),
        ...Array.from({ length: yRank - a - ri }, (_, k) => a + ri + k)
      ]
      const zShape = [S[a]!, ...S.slice(0, a), ...S.slice(a + 1)]
      const scattered = g.node('ScatterND', [this.zeros(zShape, this.type(x)), where, g.node('Transpose', [dy!], { perm: permY })], { reduction: 'add' })
      const back = [...Array.from({ length: a }, (_, k) => k + 1), 0, ...Array.from({ length: S.length - a - 1 }, (_, k) => a + 1 + k)]
      return [g.node('Transpose', [scattered], { perm: back })]
    })
  }

  // -------------------------------------------------------------------------------------------
  // Reductions

  /** Sum over `axes` (all when omitted). */
  reduceSum(x: string, axes?: readonly number[], keepdims = false): string {
    return this.reduce('ReduceSum', x, axes, keepdims)
  }

  /** Mean over `axes` (all when omitted). */
  reduceMean(x: string, axes?: readonly number[], keepdims = false): string {
    return this.reduce('ReduceMean', x, axes, keepdims)
  }

  private reduce(op: 'ReduceSum' | 'ReduceMean', x: string, axes: readonly number[] | undefined, keepdims: boolean): string {
    const sx = this.shape(x)
    const ax = [...new Set((axes ?? sx.map((_, i) => i)).map((a) => normAxis(a, sx.length)))].sort((u, v) => u - v)
    // Reducing no axes is the identity; an empty axes list in ONNX would mean "all axes" instead.
    if (ax.length === 0) return this.identity(x)
    const sy = keepdims ? sx.map((d, i) => (ax.includes(i) ? 1 : d)) : sx.filter((_, i) => !ax.includes(i))
    // Opset 17: ReduceSum takes axes as an input, ReduceMean still as an attribute (until opset 18).
    const nodeInputs = op === 'ReduceSum' ? [x, this.ints(ax)] : [x]
    const attrs: Record<string, number | readonly number[]> = op === 'ReduceSum' ? { keepdims: keepdims ? 1 : 0 } : { axes: ax, keepdims: keepdims ? 1 : 0 }
    return this.emit1(op, nodeInputs, attrs, { type: this.floatType(x), shape: sy }, [x], ([dy]) => {
      const S = this.needStatic(sx, `${op} gradient`)
      const g = this.g
      const kept = keepdims ? dy! : g.node('Unsqueeze', [dy!, this.ints(ax)])
      let full = g.node('Expand', [kept, this.ints(S)])
      if (op === 'ReduceMean') {
        const n = ax.reduce((p, i) => p * S[i]!, 1)
        full = g.node('Mul', [full, this.scalar(1 / n, this.floatType(x))])
      }
      return [full]
    })
  }

  // -------------------------------------------------------------------------------------------
  // Selection

  /** cond ? a : b with broadcasting; `cond` is a bool value (not differentiated). */
  where(cond: string, aIn: Operand, bIn: Operand): string {
    if (this.type(cond) !== 'bool') throw new TypeError(`autodiff: where condition '${cond}' must be bool`)
    const [a, b] = this.operands(aIn, bIn)
    const sa = this.shape(a)
    const sb = this.shape(b)
    const sy = broadcastShapes(this.shape(cond), sa, sb)
    return this.emit1('Where', [cond, a, b], {}, { type: this.type(a), shape: sy }, [a, b], ([dy], needs) => {
      const zero = this.scalar(0, this.floatType(a))
      return [
        needs[0] ? this.sumTo(this.g.node('Where', [cond, dy!, zero]), sy, sa) : null,
        needs[1] ? this.sumTo(this.g.node('Where', [cond, zero, dy!]), sy, sb) : null
      ]
    })
  }

  /**
   * Clip to [min, max] (either may be omitted). The gradient passes where min ≤ x ≤ max, as in
   * torch.clamp; the bounds themselves are not differentiated.
   */
  clip(x: string, min?: Operand, max?: Operand): string {
    const type = this.floatType(x)
    const lo = min === undefined ? undefined : typeof min === 'number' ? this.scalarOnTape(min, type) : min
    const hi = max === undefined ? undefined : typeof max === 'number' ? this.scalarOnTape(max, type) : max
    for (const v of [lo, hi]) if (v !== undefined && this.shape(v).length !== 0) throw new RangeError('autodiff: clip bounds must be scalars')
    return this.emit1('Clip', [x, lo ?? '', hi ?? ''], {}, this.info(x), [x], ([dy]) => {
      const g = this.g
      const conds: string[] = []
      if (lo !== undefined) conds.push(g.node('GreaterOrEqual', [x, lo]))
      if (hi !== undefined) conds.push(g.node('LessOrEqual', [x, hi]))
      if (conds.length === 0) return [dy!]
      const mask = conds.length === 2 ? g.node('And', conds) : conds[0]!
      return [g.node('Where', [mask, dy!, this.scalar(0, type)])]
    })
  }

  /** Elementwise comparison giving a bool tape value (no gradient). */
  compare(op: 'Greater' | 'Less' | 'Equal' | 'GreaterOrEqual' | 'LessOrEqual', aIn: Operand, bIn: Operand): string {
    const [a, b] = this.operands(aIn, bIn)
    return this.nondiff(op, [a, b], {}, [{ type: 'bool', shape: broadcastShapes(this.shape(a), this.shape(b)) }])[0]!
  }
}
