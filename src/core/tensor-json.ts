// A tensor as JSON (dtype, shape, base64 of little-endian bytes), for results and the API; browser-safe (no Buffer).
// Reference: src/shared/spec.ts tensorJsonSchema; RFC 4648 base64 (standard alphabet, padded).
// Legend: t NamedTensor {dtype, shape, data}; base64 text of data's little-endian bytes.

import { tensorJsonSchema, type TensorJson } from '../shared/spec'
import { checkTensor, elementCount, DTYPE_INFO, tensorBytes, tensorFromBytes, type NamedTensor } from './safetensors'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const DECODE = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i

export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = []
  let chunk = ''
  const n = bytes.length
  let i = 0
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    chunk += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!
    // Keep string pieces small so large tensors don't build one pathological rope.
    if (chunk.length >= 16384) {
      parts.push(chunk)
      chunk = ''
    }
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16
    chunk += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + '=='
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    chunk += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + '='
  }
  parts.push(chunk)
  return parts.join('')
}

export function base64ToBytes(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Error(`base64: length ${text.length} is not a multiple of 4`)
  let pad = 0
  if (text.endsWith('==')) pad = 2
  else if (text.endsWith('=')) pad = 1
  const out = new Uint8Array((text.length / 4) * 3 - pad)
  let o = 0
  for (let i = 0; i < text.length; i += 4) {
    let v = 0
    for (let k = 0; k < 4; k++) {
      const c = text.charCodeAt(i + k)
      let d: number
      if (c === 61 /* '=' */ && i + 4 === text.length && k >= 4 - pad) d = 0
      else {
        d = c < 128 ? DECODE[c]! : -1
        if (d < 0) throw new Error(`base64: invalid character at position ${i + k}`)
      }
      v = (v << 6) | d
    }
    if (o < out.length) out[o++] = (v >> 16) & 255
    if (o < out.length) out[o++] = (v >> 8) & 255
    if (o < out.length) out[o++] = v & 255
  }
  return out
}

export function tensorToJson(t: NamedTensor): TensorJson {
  checkTensor('tensor', t)
  return { dtype: t.dtype, shape: [...t.shape], data: bytesToBase64(tensorBytes(t.data)) }
}

export function tensorFromJson(j: unknown): NamedTensor {
  const parsed = tensorJsonSchema.safeParse(j)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`tensor JSON: field "${issue.path.join('.') || '(root)'}": ${issue.message}`)
  }
  const { dtype, shape, data } = parsed.data
  const bytes = base64ToBytes(data)
  const expected = elementCount(shape) * DTYPE_INFO[dtype].bytes
  if (bytes.length !== expected) throw new Error(`tensor JSON: field "data" has ${bytes.length} bytes, dtype ${dtype} shape [${shape.join(', ')}] needs ${expected}`)
  return { dtype, shape: [...shape], data: tensorFromBytes(dtype, bytes) }
}
