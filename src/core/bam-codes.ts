// Y codes for a BAM: the index of each stored pattern in binary (±1 bits) or one-hot.
// Reference: seeds/003 (BAM letter examples pair each letter with a short bipolar code).
// Legend: P patterns; binary-index uses m = max(1, ⌈log₂ P⌉) bits, bit b of p → +1 if set else −1 (0 for binary
// encoding); one-hot uses m = P units, +1 at p and −1 elsewhere.

import type { Encoding } from './hopfield'

export function bamCodes(count: number, kind: 'binary-index' | 'one-hot', encoding: Encoding = 'bipolar'): Int8Array[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`bamCodes: count must be a positive integer, got ${count}`)
  const low = encoding === 'bipolar' ? -1 : 0
  if (kind === 'one-hot') return Array.from({ length: count }, (_, p) => Int8Array.from({ length: count }, (_, j) => (j === p ? 1 : low)))
  const bits = Math.max(1, Math.ceil(Math.log2(count)))
  return Array.from({ length: count }, (_, p) => Int8Array.from({ length: bits }, (_, b) => ((p >> (bits - 1 - b)) & 1 ? 1 : low)))
}
