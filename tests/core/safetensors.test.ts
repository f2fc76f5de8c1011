import { describe, expect, it } from 'vitest'
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../src/core/safetensors'

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0))

function withHeader(header: string, data: number[]): Uint8Array {
  const h = ascii(header)
  return Uint8Array.from([h.length, 0, 0, 0, 0, 0, 0, 0, ...h, ...data])
}

describe('safetensors', () => {
  it('encodes a one-tensor file byte for byte', () => {
    const bytes = encodeSafetensors({ a: { dtype: 'int8', shape: [2], data: Int8Array.from([1, -1]) } })
    // Header JSON is 53 bytes, padded with 3 spaces to 56; then the two data bytes 0x01 0xFF.
    const json = '{"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}'
    expect(json.length).toBe(53)
    expect([...bytes]).toEqual([56, 0, 0, 0, 0, 0, 0, 0, ...ascii(json), 32, 32, 32, 1, 255])
  })

  it('puts metadata first and orders data by element size, then name', () => {
    const bytes = encodeSafetensors(
      {
        b: { dtype: 'uint8', shape: [1], data: Uint8Array.from([7]) },
        z: { dtype: 'float64', shape: [1], data: Float64Array.from([1]) },
        a: { dtype: 'int32', shape: [1], data: Int32Array.from([-2]) }
      },
      { kind: 'hopfield' }
    )
    const json =
      '{"__metadata__":{"kind":"hopfield"},"z":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
      '"a":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},"b":{"dtype":"U8","shape":[1],"data_offsets":[12,13]}}'
    const padded = Math.ceil(json.length / 8) * 8
    expect(bytes[0]).toBe(padded)
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + json.length))).toBe(json)
    // 1.0 as float64 LE is 00 00 00 00 00 00 F0 3F; −2 as int32 LE is FE FF FF FF.
    expect([...bytes.subarray(8 + padded)]).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0xfe, 0xff, 0xff, 0xff, 7])
  })

  it('round-trips every dtype, shapes with zero and many dimensions, and metadata', () => {
    const tensors: Record<string, NamedTensor> = {
      'hopfield.weights': { dtype: 'float32', shape: [2, 3], data: Float32Array.from([0.5, -1.25, 3, 1e-7, -0, 65504]) },
      f64: { dtype: 'float64', shape: [3], data: Float64Array.from([Math.PI, -1e300, 5e-324]) },
      i8: { dtype: 'int8', shape: [1, 1, 3], data: Int8Array.from([-128, 0, 127]) },
      i32: { dtype: 'int32', shape: [], data: Int32Array.from([-2147483648]) },
      u8: { dtype: 'uint8', shape: [0, 4], data: new Uint8Array(0) }
    }
    const { tensors: back, metadata } = decodeSafetensors(encodeSafetensors(tensors, { rule: 'hebb', units: '3' }))
    expect(metadata).toEqual({ rule: 'hebb', units: '3' })
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort())
    for (const [name, t] of Object.entries(tensors)) {
      expect(back[name]!.dtype).toBe(t.dtype)
      expect(back[name]!.shape).toEqual(t.shape)
      expect(back[name]!.data).toEqual(t.data)
    }
  })

  it('reads a file written with a hole-free layout in any header order', () => {
    const f = withHeader('{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [9, 8])
    const { tensors } = decodeSafetensors(f)
    expect([...tensors.a!.data, ...tensors.b!.data]).toEqual([9, 8])
  })

  it('rejects bad files with errors naming the tensor or field', () => {
    expect(() => decodeSafetensors(new Uint8Array(4))).toThrow(/too short/)
    expect(() => decodeSafetensors(Uint8Array.from([200, 0, 0, 0, 0, 0, 0, 0, 123]))).toThrow(/runs past the end/)
    expect(() => decodeSafetensors(withHeader('[1]', []))).toThrow(/JSON object/)
    expect(() => decodeSafetensors(withHeader('{"w":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}', [0, 0]))).toThrow(/"w".*unsupported dtype "BF16"/)
    expect(() => decodeSafetensors(withHeader('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]))).toThrow(/"w" has 4 bytes.*needs 8/)
    expect(() => decodeSafetensors(withHeader('{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}', [0]))).toThrow(/"w" field "shape"/)
    expect(() => decodeSafetensors(withHeader('{"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', [0, 0]))).toThrow(/"w" starts at byte 1.*hole/)
    expect(() => decodeSafetensors(withHeader('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [0, 0]))).toThrow(/cover 1 bytes.*has 2/)
    expect(() => decodeSafetensors(withHeader('{"__metadata__":{"n":1}}', []))).toThrow(/metadata "n"/)
    expect(() => decodeSafetensors(withHeader('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}', [0]))).toThrow(/"w" has unknown field "x"/)
  })

  it('refuses inconsistent tensors when encoding', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'float32', shape: [3], data: new Float32Array(2) } })).toThrow(/"w": data has 2 elements/)
    expect(() => encodeSafetensors({ w: { dtype: 'int8', shape: [1], data: new Float32Array(1) } })).toThrow(/"w": data is not a Int8Array/)
  })
})
