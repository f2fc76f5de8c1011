// Images in a modern and a classical Hopfield net (004; Ramsauer et al. 2020, "Hopfield Networks is All You Need",
// and its blog post's picture): continuous patterns x = 2g − 1 ∈ [−1, 1] from grey levels g ∈ [0, 1], cues with the
// lower half masked or with Gaussian noise, and the measures that tell a retrieved image from a blend or a mixture.
// Legend: P stored images of d = width·height pixels, row-major; rows of `stored` are x_μ.
import { distance } from './modern-hopfield'
import type { Rng } from './rng'

export type ImageCueKind = 'half' | 'noise'

/** x = 2g − 1 for grey levels g ∈ [0, 1]. */
export function centredImage(grey: ArrayLike<number>): Float64Array {
  return Float64Array.from(grey, (g) => 2 * g - 1)
}

/**
 * The cue of image x: 'half' sets the lower ⌈height/2⌉ rows to 0 (unknown: neither ink nor paper, the middle of
 * [−1, 1]); 'noise' adds σ·N(0, 1) to every pixel (not clipped). Draws only for 'noise', d normals in pixel order.
 */
export function imageCue(x: ArrayLike<number>, kind: ImageCueKind, width: number, height: number, sigma: number, rng: Rng): Float64Array {
  if (x.length !== width * height) throw new RangeError(`image has ${x.length} pixels, expected ${width}×${height}`)
  const out = Float64Array.from(x)
  if (kind === 'half') out.fill(0, Math.floor(height / 2) * width)
  else {
    if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new RangeError(`noise σ must be a finite number ≥ 0, got ${sigma}`)
    for (let k = 0; k < out.length; k++) out[k]! += sigma * rng.normal()
  }
  return out
}

/** The stored image nearest to a state (Euclidean; the first of equals) and its distance. */
export function nearestImage(stored: readonly ArrayLike<number>[], state: ArrayLike<number>): { index: number; distance: number } {
  let index = 0
  let best = Infinity
  stored.forEach((x, i) => {
    const d = distance(x, state)
    if (d < best) {
      best = d
      index = i
    }
  })
  return { index, distance: best }
}

/** exp(H(p)), H the entropy in nats: 1 when one weight holds everything, P when all P are equal. */
export function effectiveCount(p: ArrayLike<number>): number {
  let h = 0
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) h -= p[i]! * Math.log(p[i]!)
  return Math.exp(h)
}

/** Root mean square of a − b per pixel. */
export function rms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return distance(a, b) / Math.sqrt(a.length)
}

/** The mean of the stored images: the modern net's global fixed point as β → 0 (softmax weights all 1/P). */
export function meanImage(stored: readonly ArrayLike<number>[]): Float64Array {
  const d = stored[0]!.length
  const out = new Float64Array(d)
  for (const x of stored) for (let k = 0; k < d; k++) out[k]! += x[k]!
  for (let k = 0; k < d; k++) out[k]! /= stored.length
  return out
}
