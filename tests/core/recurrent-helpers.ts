// Shared by the recurrent tests (core, PyTorch fixtures, ONNX export): the error measure their tolerances are stated in.
import { expect } from 'vitest'

/** max |a − b| / max(1, |b|) over equal-length arrays (absolute below 1, relative above). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let w = 0
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)))
  return w
}

/** Worst central finite-difference error of `analytic` = ∂loss/∂x over every entry of x (relative above 1, absolute below). */
export function fdError(x: Float64Array, analytic: Float64Array, loss: () => number, eps = 1e-5): number {
  let worst = 0
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!
    x[i] = keep + eps
    const up = loss()
    x[i] = keep - eps
    const down = loss()
    x[i] = keep
    const fd = (up - down) / (2 * eps)
    worst = Math.max(worst, Math.abs(fd - analytic[i]!) / Math.max(1, Math.abs(analytic[i]!)))
  }
  return worst
}
