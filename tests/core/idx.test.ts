// IDX parser on hand-made bytes: every type code, big-endian values, and bad or truncated files with clear errors.
import { describe, expect, it } from 'vitest'
import { encodeIdx, idxImages, idxLabels, IdxFormatError, parseIdx } from '../../src/core/data/idx'

function bytes(...b: number[]): Uint8Array {
  return Uint8Array.from(b)
}

describe('parseIdx', () => {
  it('reads a 2×3 uint8 file written by hand (MNIST layout)', () => {
    const file = bytes(0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 250, 0, 255)
    const a = parseIdx(file)
    expect(a.dtype).toBe('uint8')
    expect(a.dims).toEqual([2, 3])
    expect(Array.from(a.data)).toEqual([1, 2, 3, 250, 0, 255])
  })

  it('reads big-endian int8, int16, int32, float32, float64', () => {
    expect(Array.from(parseIdx(bytes(0, 0, 0x09, 1, 0, 0, 0, 2, 0xff, 0x7f)).data)).toEqual([-1, 127])
    expect(Array.from(parseIdx(bytes(0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe)).data)).toEqual([258, -2])
    expect(Array.from(parseIdx(bytes(0, 0, 0x0c, 1, 0, 0, 0, 1, 0x80, 0, 0, 1)).data)).toEqual([-2147483647])
    expect(Array.from(parseIdx(bytes(0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0)).data)).toEqual([1.5])
    expect(Array.from(parseIdx(bytes(0, 0, 0x0e, 1, 0, 0, 0, 1, 0xc0, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18)).data)).toEqual([-Math.PI])
  })

  it('round-trips encodeIdx for every dtype, with a byte offset into a larger buffer', () => {
    const cases = [
      { dtype: 'uint8', dims: [2, 2, 2], data: Uint8Array.from([0, 1, 2, 3, 4, 5, 254, 255]) },
      { dtype: 'int8', dims: [3], data: Int8Array.from([-128, 0, 127]) },
      { dtype: 'int16', dims: [1, 3], data: Int16Array.from([-32768, 5, 32767]) },
      { dtype: 'int32', dims: [2], data: Int32Array.from([-7, 1 << 30]) },
      { dtype: 'float32', dims: [2], data: Float32Array.from([0.25, -3e20]) },
      { dtype: 'float64', dims: [2], data: Float64Array.from([1e-300, -2.5]) }
    ] as const
    for (const c of cases) {
      const enc = encodeIdx({ dtype: c.dtype, dims: [...c.dims], data: c.data })
      const padded = new Uint8Array(enc.length + 3)
      padded.set(enc, 3)
      const back = parseIdx(padded.subarray(3))
      expect(back.dtype).toBe(c.dtype)
      expect(back.dims).toEqual(c.dims)
      expect(Array.from(back.data)).toEqual(Array.from(c.data))
    }
  })

  it('accepts zero-length dimensions', () => {
    const a = parseIdx(bytes(0, 0, 0x08, 2, 0, 0, 0, 0, 0, 0, 0, 28))
    expect(a.dims).toEqual([0, 28])
    expect(a.data.length).toBe(0)
  })

  const bad: [string, Uint8Array, RegExp][] = [
    ['empty', bytes(), /truncated header: 0 bytes/],
    ['gzip', bytes(0x1f, 0x8b, 8, 0, 0, 0), /this is gzip-compressed data; decompress it first/],
    ['bad magic', bytes(0, 1, 0x08, 1, 0, 0, 0, 1, 5), /bad magic: first two bytes are 0x00 0x01/],
    ['unknown type', bytes(0, 0, 0x0a, 1, 0, 0, 0, 1, 5), /unknown type code 0x0a/],
    ['rank 0', bytes(0, 0, 0x08, 0), /rank is 0/],
    ['truncated dims', bytes(0, 0, 0x08, 3, 0, 0, 0, 1, 0, 0), /truncated header: rank 3 needs 16 header bytes, the data has 10/],
    ['truncated data', bytes(0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4), /truncated data: dimensions \[2, 3\] of uint8 need 6 bytes .* found 4/],
    ['truncated float', bytes(0, 0, 0x0d, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0), /truncated data: dimensions \[2\] of float32 need 8 bytes .* found 6/],
    ['trailing bytes', bytes(0, 0, 0x08, 1, 0, 0, 0, 1, 7, 8), /1 unexpected bytes after the data/]
  ]
  for (const [what, file, message] of bad) {
    it(`rejects ${what} with a clear IdxFormatError`, () => {
      expect(() => parseIdx(file, { name: 'train-images' })).toThrow(IdxFormatError)
      expect(() => parseIdx(file, { name: 'train-images' })).toThrow(new RegExp(`^train-images: ${message.source}`))
    })
  }

  it('allows trailing bytes on request and enforces maxBytes before allocating', () => {
    expect(Array.from(parseIdx(bytes(0, 0, 0x08, 1, 0, 0, 0, 1, 7, 8), { allowTrailing: true }).data)).toEqual([7])
    const huge = bytes(0, 0, 0x0e, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
    expect(() => parseIdx(huge)).toThrow(/more than the limit/)
  })
})

describe('idxImages / idxLabels', () => {
  const images = encodeIdx({ dtype: 'uint8', dims: [2, 1, 3], data: Uint8Array.from([0, 128, 255, 127, 128, 51]) })
  it('scales to [0,1] or binarises at a threshold', () => {
    const scaled = idxImages(parseIdx(images))
    expect(scaled).toMatchObject({ count: 2, rows: 1, cols: 3 })
    expect(scaled.pixels[2]).toBe(1)
    expect(scaled.pixels[5]).toBeCloseTo(0.2, 6)
    expect(Array.from(idxImages(parseIdx(images), 0.5).pixels)).toEqual([0, 1, 1, 0, 1, 0])
  })
  it('checks the kind of file', () => {
    expect(() => idxImages(parseIdx(bytes(0, 0, 0x08, 1, 0, 0, 0, 1, 3)))).toThrow(/images file/)
    expect(Array.from(idxLabels(parseIdx(bytes(0, 0, 0x08, 1, 0, 0, 0, 2, 3, 9))))).toEqual([3, 9])
    expect(() => idxLabels(parseIdx(images))).toThrow(/labels file/)
  })
})
