// Damaged files: IDX, safetensors and .npz readers fed thousands of truncated and bit-flipped copies of valid files
// either read them or throw an error that names the format and the problem — never a bare RangeError or TypeError.
import { describe, expect, it } from 'vitest'
import { encodeIdx, parseIdx } from '../../src/core/data/idx'
import { decodeNpz, encodeNpz } from '../../src/core/npy'
import { Rng } from '../../src/core/rng'
import { decodeSafetensors, encodeSafetensors } from '../../src/core/safetensors'

const tensors = {
  w: { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
  p: { dtype: 'int8' as const, shape: [4], data: Int8Array.of(1, -1, 1, -1) }
}
const cases: [string, Uint8Array, (b: Uint8Array) => unknown, RegExp][] = [
  ['IDX', encodeIdx({ dtype: 'uint8', dims: [3, 4, 4], data: Uint8Array.from({ length: 48 }, (_, i) => i) }), (b) => parseIdx(b, { name: 'images.idx' }), /^images\.idx: /],
  ['safetensors', encodeSafetensors(tensors, { kind: 'test' }), decodeSafetensors, /^safetensors: /],
  ['npz', encodeNpz(tensors, { kind: 'test' }), decodeNpz, /^np[yz]: /]
]

function damage(bytes: Uint8Array, rng: Rng): Uint8Array {
  if (rng.int(3) === 0) return bytes.slice(0, rng.int(bytes.length))
  const out = Uint8Array.from(bytes)
  for (let k = 1 + rng.int(4); k > 0; k--) out[rng.int(out.length)] = rng.int(256)
  return out
}

describe('readers of damaged files', () => {
  for (const [format, valid, read, named] of cases) {
    it(`${format}: 2000 damaged copies read or fail with a named error`, () => {
      expect(() => read(valid)).not.toThrow()
      const rng = new Rng(format.length)
      let failed = 0
      for (let i = 0; i < 2000; i++) {
        try {
          read(damage(valid, rng))
        } catch (e) {
          failed++
          expect(e).toBeInstanceOf(Error)
          expect((e as Error).constructor).not.toBe(RangeError)
          expect((e as Error).constructor).not.toBe(TypeError)
          expect((e as Error).message).toMatch(named)
        }
      }
      expect(failed).toBeGreaterThan(500)
    })
  }
})
