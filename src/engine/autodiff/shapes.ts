// Static shape arithmetic for the autodiff tape: broadcasting, MatMul, Reshape and Slice shapes, axis handling.
import type { Dim } from '../onnx/builder'

/** Marks a dimension the tape cannot know before run time (a symbolic dim combined with something else). */
export const UNKNOWN_DIM = '?'

export function isStatic(shape: readonly Dim[]): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number')
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(',')}]`
}

/** Axis in [0, rank); negative axes count from the end, as in ONNX. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RangeError(`${what} ${axis} out of range for rank ${rank}`)
  return a
}

/** Multidirectional (numpy) broadcasting; a symbolic dim wins over 1, unequal symbolic dims give UNKNOWN_DIM. */
export function broadcastShapes(...shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length))
  const out: Dim[] = []
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1
    for (const s of shapes) {
      const k = i - (rank - s.length)
      if (k < 0) continue
      const e = s[k]!
      if (e === 1) continue
      if (d === 1 || d === e) d = e
      else if (typeof d === 'number' && typeof e === 'number') {
        throw new RangeError(`shapes ${shapes.map(formatShape).join(' and ')} do not broadcast`)
      } else d = UNKNOWN_DIM
    }
    out.push(d)
  }
  return out
}

/** numpy.matmul shape rules, including 1-D operands. */
export function matmulShape(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) throw new RangeError('MatMul operands must have rank ≥ 1')
  const a2 = a.length === 1 ? [1, a[0]!] : a
  const b2 = b.length === 1 ? [b[0]!, 1] : b
  const k1 = a2[a2.length - 1]!
  const k2 = b2[b2.length - 2]!
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new RangeError(`MatMul inner dimensions differ: ${formatShape(a)} · ${formatShape(b)}`)
  }
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2))
  const out: Dim[] = [...batch]
  if (a.length > 1) out.push(a2[a2.length - 2]!)
  if (b.length > 1) out.push(b2[b2.length - 1]!)
  return out
}

/** ONNX Reshape (allowzero = 0): 0 copies the input dim, one -1 is inferred. */
export function reshapeShape(input: readonly Dim[], target: readonly number[]): Dim[] {
  const out: Dim[] = target.map((d, i) => {
    if (d === 0) {
      if (i >= input.length) throw new RangeError(`Reshape: 0 at position ${i} has no input dim to copy`)
      return input[i]!
    }
    return d
  })
  const inferred = out.indexOf(-1)
  if (out.filter((d) => d === -1).length > 1) throw new RangeError('Reshape: more than one -1')
  if (inferred >= 0) {
    const known = out.filter((_, i) => i !== inferred)
    if (isStatic(input) && isStatic(known)) {
      const total = numel(input)
      const rest = numel(known)
      if (rest === 0 || total % rest !== 0) throw new RangeError(`Reshape: cannot infer -1 for ${formatShape(input)} → ${formatShape(target)}`)
      out[inferred] = total / rest
    } else {
      out[inferred] = UNKNOWN_DIM
    }
  } else if (isStatic(input) && isStatic(out) && numel(input) !== numel(out)) {
    throw new RangeError(`Reshape: ${formatShape(input)} has ${numel(input)} elements, ${formatShape(out)} needs ${numel(out)}`)
  }
  return out
}

/** One axis of an ONNX Slice, resolved: first index, step and element count. */
export interface SliceAxis {
  start: number
  step: number
  count: number
}

/** Clamping as in the ONNX Slice spec (opset 13). */
export function resolveSlice(dim: number, start: number, end: number, step: number): SliceAxis {
  if (step === 0 || !Number.isInteger(step)) throw new RangeError(`Slice step must be a non-zero integer, got ${step}`)
  let s = start < 0 ? start + dim : start
  let e = end < 0 ? end + dim : end
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim)
    e = Math.min(Math.max(e, 0), dim)
  } else {
    s = Math.min(Math.max(s, 0), dim - 1)
    e = Math.min(Math.max(e, -1), dim - 1)
  }
  const count = Math.max(0, Math.ceil((e - s) / step))
  return { start: s, step, count }
}

/** Inverse of a permutation. */
export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length)
  perm.forEach((p, i) => (inv[p] = i))
  return inv
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length)
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc
    acc *= shape[i]!
  }
  return s
}
