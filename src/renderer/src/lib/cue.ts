// Cue construction in the renderer: the same seeded corruption the backend and CLI use (src/core).
import { corrupt } from '../../../core/corrupt'
import { Rng } from '../../../core/rng'
import type { Corruption } from '../../../shared/spec'

export function makeCue(base: ArrayLike<number>, corruption: Corruption, width: number, height: number, seed: number): Int8Array {
  return corrupt(base, corruption, width, height, new Rng(seed))
}

/** A fresh uint32 seed (crypto when available: the dice should not repeat across reloads). */
export function randomSeed(): number {
  const c = (globalThis as { crypto?: Crypto }).crypto
  if (c?.getRandomValues) return c.getRandomValues(new Uint32Array(1))[0]!
  return Math.floor(Math.random() * 2 ** 32)
}

export const DEFAULT_CORRUPTION: Corruption = { type: 'flip', fraction: 0.2 }

/** A corruption of `type` carrying over what the current one has (fraction, fill), clipped to the image. */
export function corruptionOfType(type: Corruption['type'], current: Corruption, width: number, height: number): Corruption {
  const fraction = 'fraction' in current ? current.fraction : 0.2
  const fill = 'fill' in current ? current.fill : -1
  switch (type) {
    case 'none':
      return { type: 'none' }
    case 'flip':
      return { type: 'flip', fraction }
    case 'maskFraction':
      return { type: 'maskFraction', fraction, fill }
    case 'mask':
      return {
        type: 'mask',
        x: 0,
        y: 0,
        width: Math.max(1, Math.ceil(width / 2)),
        height: Math.max(1, Math.ceil(height / 2)),
        fill
      }
  }
}

export function describeCorruption(c: Corruption): string {
  switch (c.type) {
    case 'none':
      return 'none'
    case 'flip':
      return `flip ${(c.fraction * 100).toFixed(0)} %`
    case 'maskFraction':
      return `mask ${(c.fraction * 100).toFixed(0)} % → ${c.fill}`
    case 'mask':
      return `mask ${c.width}×${c.height} at (${c.x}, ${c.y}) → ${c.fill}`
  }
}

/** Fraction of units where a and b differ. */
export function differingFraction(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length)
  if (n === 0) return 0
  let d = 0
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) d++
  return d / n
}
