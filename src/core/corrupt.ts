// Cue corruption for recall experiments: bit flips, masked rectangles, masked random units.
// Reference: seeds/003 ("input with one mistake / two missing components", noisy versions of pattern A).
// Legend: N = width·height units, pattern row-major (unit y·width + x); k = round(fraction·N) affected units;
// P stored patterns; cues (P·cuesPerPattern)×N row-major.

import type { Corruption } from '../shared/spec'
import type { Encoding } from './hopfield'
import type { Rng } from './rng'

function checkFraction(fraction: number): void {
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`fraction must be in [0, 1], got ${fraction}`)
}

/** k distinct units, uniformly: the first k slots of a partial Fisher–Yates shuffle. */
function chooseUnits(n: number, k: number, rng: Rng): Int32Array {
  const idx = new Int32Array(n)
  for (let i = 0; i < n; i++) idx[i] = i
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i)
    const t = idx[i]!
    idx[i] = idx[j]!
    idx[j] = t
  }
  return idx.subarray(0, k)
}

/** Flips exactly round(fraction·N) distinct units; bipolar v → −v, binary v → 1 − v. */
export function flipBits(pattern: ArrayLike<number>, fraction: number, rng: Rng, encoding: Encoding = 'bipolar'): Int8Array {
  checkFraction(fraction)
  const out = Int8Array.from(pattern)
  const k = Math.round(fraction * out.length)
  for (const i of chooseUnits(out.length, k, rng)) out[i] = encoding === 'binary' ? 1 - out[i]! : -out[i]!
  return out
}

/** Sets the rectangle (clipped to the image) to `fill`. */
export function maskRect(
  pattern: ArrayLike<number>,
  width: number,
  height: number,
  rect: { x: number; y: number; width: number; height: number },
  fill: -1 | 0 | 1
): Int8Array {
  if (pattern.length !== width * height) throw new Error(`pattern has ${pattern.length} units, expected ${width}×${height}`)
  const out = Int8Array.from(pattern)
  const x0 = Math.max(0, rect.x)
  const y0 = Math.max(0, rect.y)
  const x1 = Math.min(width, rect.x + rect.width)
  const y1 = Math.min(height, rect.y + rect.height)
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out[y * width + x] = fill
  return out
}

/** Sets exactly round(fraction·N) distinct units, chosen uniformly, to `fill`. */
export function maskFraction(pattern: ArrayLike<number>, fraction: number, fill: -1 | 0 | 1, rng: Rng): Int8Array {
  checkFraction(fraction)
  const out = Int8Array.from(pattern)
  const k = Math.round(fraction * out.length)
  for (const i of chooseUnits(out.length, k, rng)) out[i] = fill
  return out
}

export function corrupt(pattern: ArrayLike<number>, corruption: Corruption, width: number, height: number, rng: Rng, encoding: Encoding = 'bipolar'): Int8Array {
  if (pattern.length !== width * height) throw new Error(`pattern has ${pattern.length} units, expected ${width}×${height}`)
  switch (corruption.type) {
    case 'none':
      return Int8Array.from(pattern)
    case 'flip':
      return flipBits(pattern, corruption.fraction, rng, encoding)
    // A binary net has no 'unknown' or −1: masked units are off (0) unless the fill is +1.
    case 'mask':
      return maskRect(pattern, width, height, corruption, encoding === 'binary' ? (corruption.fill === 1 ? 1 : 0) : corruption.fill)
    case 'maskFraction':
      return maskFraction(pattern, corruption.fraction, encoding === 'binary' ? (corruption.fill === 1 ? 1 : 0) : corruption.fill, rng)
  }
}

/** k cues per stored pattern, in order: pattern 0's k cues, then pattern 1's, ...; sources[c] = pattern of cue c. */
export function drawCues(
  stored: ArrayLike<number>[],
  corruption: Corruption,
  cuesPerPattern: number,
  width: number,
  height: number,
  rng: Rng,
  encoding: Encoding = 'bipolar'
): { cues: Int8Array; sources: Int32Array } {
  if (!Number.isInteger(cuesPerPattern) || cuesPerPattern < 0) throw new Error(`cuesPerPattern must be a non-negative integer, got ${cuesPerPattern}`)
  const n = width * height
  const total = stored.length * cuesPerPattern
  const cues = new Int8Array(total * n)
  const sources = new Int32Array(total)
  let c = 0
  stored.forEach((p, k) => {
    if (p.length !== n) throw new Error(`stored pattern ${k} has ${p.length} units, expected ${width}×${height}`)
    for (let r = 0; r < cuesPerPattern; r++) {
      cues.set(corrupt(p, corruption, width, height, rng, encoding), c * n)
      sources[c++] = k
    }
  })
  return { cues, sources }
}
