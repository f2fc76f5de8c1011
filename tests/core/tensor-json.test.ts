import { describe, expect, it } from 'vitest'
import { base64ToBytes, bytesToBase64, tensorFromJson, tensorToJson } from '../../src/core/tensor-json'

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0))

describe('tensor JSON', () => {
  it('base64 matches RFC 4648 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy']
    ]
    for (const [plain, b64] of vectors) {
      expect(bytesToBase64(Uint8Array.from(ascii(plain)))).toBe(b64)
      expect([...base64ToBytes(b64)]).toEqual(ascii(plain))
    }
    expect(() => base64ToBytes('Zm9')).toThrow(/multiple of 4/)
    expect(() => base64ToBytes('Zm=v')).toThrow(/invalid character at position 2/)
  })

  it('float32 [1, −2] is base64 of its little-endian bytes 00 00 80 3F 00 00 00 C0', () => {
    const j = tensorToJson({ dtype: 'float32', shape: [2], data: Float32Array.from([1, -2]) })
    expect(j).toEqual({ dtype: 'float32', shape: [2], data: 'AACAPwAAAMA=' })
    expect([...tensorFromJson(j).data]).toEqual([1, -2])
  })

  it('round-trips a large int8 tensor and names bad fields', () => {
    const data = Int8Array.from({ length: 100001 }, (_, i) => ((i * 37) % 256) - 128)
    const back = tensorFromJson(JSON.parse(JSON.stringify(tensorToJson({ dtype: 'int8', shape: [100001], data }))))
    expect(back.data).toEqual(data)
    expect(() => tensorFromJson({ dtype: 'int16', shape: [1], data: 'AA==' })).toThrow(/field "dtype"/)
    expect(() => tensorFromJson({ dtype: 'int32', shape: [2], data: 'AAAAAA==' })).toThrow(/field "data" has 4 bytes.*needs 8/)
  })
})
