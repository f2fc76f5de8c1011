// Grey-level images to bipolar patterns for Hopfield storage.
// Reference: seeds/000 (Hopfield on hand-written digits); spec.ts datasetRef.threshold.
// Legend: pixels N grey levels (any range); threshold t; output N values in {−1, +1}.

/** pixel > threshold → +1, else −1. */
export function binarise(pixels: ArrayLike<number>, threshold: number): Int8Array {
  if (!Number.isFinite(threshold)) throw new Error(`threshold must be finite, got ${threshold}`)
  const out = new Int8Array(pixels.length)
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!
    if (Number.isNaN(v)) throw new Error(`pixel ${i} is NaN`)
    out[i] = v > threshold ? 1 : -1
  }
  return out
}
