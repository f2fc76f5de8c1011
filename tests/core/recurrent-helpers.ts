// Shared by the recurrent tests (core, PyTorch fixtures, ONNX export): the error measure their tolerances are stated in.
import { expect } from 'vitest'

/** max |a − b| / max(1, |b|) over equal-length arrays (absolute below 1, relative above). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let w = 0
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)))
  return w
}
