// safetensors reader/writer for flat state dicts (sessions, checkpoints, export to Python).
// Reference: https://github.com/huggingface/safetensors (format section of the README; the Rust crate's serialize/validate).
// Legend: file = u64 LE header length H | H bytes of UTF-8 JSON header (space padded) | byte buffer;
// header maps name → { dtype, shape, data_offsets: [begin, end) relative to the buffer }, plus optional "__metadata__".

import { DTYPES, STATE_DICT_DTYPES, type StateDictDType } from '../shared/dtypes'

/** A state dict's element types (the shared dtype table's state-dict rows). */
export type DType = StateDictDType

export interface NamedTensor {
  dtype: DType
  shape: number[]
  data: Float32Array | Float64Array | Int8Array | Int32Array | Uint8Array
}

type TypedArrayCtor = Float32ArrayConstructor | Float64ArrayConstructor | Int8ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor

/** safetensors code, byte size and typed array of each dtype, from the shared table. */
export const DTYPE_INFO = Object.fromEntries(
  STATE_DICT_DTYPES.map((d) => [d, { code: DTYPES[d].safetensors, bytes: DTYPES[d].bytes, ctor: DTYPES[d].array }])
) as Record<DType, { code: string; bytes: number; ctor: TypedArrayCtor }>

const CODE_TO_DTYPE: Record<string, DType> = Object.fromEntries(STATE_DICT_DTYPES.map((d) => [DTYPES[d].safetensors, d]))

/** The safetensors crate refuses headers above 100 MB; so do we, before allocating. */
const MAX_HEADER_BYTES = 100_000_000

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

export function elementCount(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

/** Checks dtype, shape and data agree; throws naming the tensor. */
export function checkTensor(name: string, t: NamedTensor): void {
  const info = DTYPE_INFO[t.dtype]
  if (!info) throw new Error(`tensor "${name}": unknown dtype ${String(t.dtype)}`)
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`tensor "${name}": shape must be an array of non-negative integers`)
  }
  if (!(t.data instanceof info.ctor)) throw new Error(`tensor "${name}": data is not a ${info.ctor.name} for dtype ${t.dtype}`)
  const n = elementCount(t.shape)
  if (t.data.length !== n) throw new Error(`tensor "${name}": data has ${t.data.length} elements, shape [${t.shape.join(', ')}] needs ${n}`)
}

/** Little-endian bytes of a typed array (a copy). */
export function tensorBytes(data: NamedTensor['data']): Uint8Array {
  const bytes = new Uint8Array(data.byteLength)
  if (LITTLE_ENDIAN_HOST || data.BYTES_PER_ELEMENT === 1) {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    return bytes
  }
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i]!, true)
    else if (data instanceof Float64Array) view.setFloat64(i * 8, data[i]!, true)
    else view.setInt32(i * 4, data[i]!, true)
  }
  return bytes
}

/** A typed array of `dtype` from little-endian bytes (copied, so it is aligned and owns its buffer). */
export function tensorFromBytes(dtype: DType, bytes: Uint8Array): NamedTensor['data'] {
  const info = DTYPE_INFO[dtype]
  if (bytes.byteLength % info.bytes !== 0) throw new Error(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`)
  const n = bytes.byteLength / info.bytes
  const out = new info.ctor(n)
  if (LITTLE_ENDIAN_HOST || info.bytes === 1) {
    new Uint8Array(out.buffer).set(bytes)
    return out
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < n; i++) {
    out[i] = dtype === 'float32' ? view.getFloat32(i * 4, true) : dtype === 'float64' ? view.getFloat64(i * 8, true) : view.getInt32(i * 4, true)
  }
  return out
}

/**
 * Layout as the reference serializer: tensors ordered by element size descending, then name, so every tensor
 * starts aligned to its element size; header JSON lists "__metadata__" first (if any), then tensors in data order,
 * and is padded with spaces so the buffer starts at a multiple of 8.
 */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors)
  for (const name of names) {
    if (name === '__metadata__') throw new Error('tensor name "__metadata__" is reserved')
    if (name.length === 0) throw new Error('tensor names must not be empty')
    checkTensor(name, tensors[name]!)
  }
  names.sort((a, b) => {
    const d = DTYPE_INFO[tensors[b]!.dtype].bytes - DTYPE_INFO[tensors[a]!.dtype].bytes
    return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0
  })
  const header: Record<string, unknown> = {}
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new Error(`metadata "${k}" must be a string`)
    header.__metadata__ = metadata
  }
  let offset = 0
  for (const name of names) {
    const t = tensors[name]!
    const end = offset + t.data.byteLength
    header[name] = { dtype: DTYPE_INFO[t.dtype].code, shape: t.shape, data_offsets: [offset, end] }
    offset = end
  }
  const json = new TextEncoder().encode(JSON.stringify(header))
  const headerLen = Math.ceil(json.length / 8) * 8
  const out = new Uint8Array(8 + headerLen + offset)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(headerLen), true)
  out.set(json, 8)
  out.fill(0x20, 8 + json.length, 8 + headerLen)
  let pos = 8 + headerLen
  for (const name of names) {
    const b = tensorBytes(tensors[name]!.data)
    out.set(b, pos)
    pos += b.length
  }
  return out
}

export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`safetensors: file has ${bytes.length} bytes, too short for the 8-byte header length`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLenBig = view.getBigUint64(0, true)
  if (headerLenBig > BigInt(MAX_HEADER_BYTES)) throw new Error(`safetensors: header length ${headerLenBig} exceeds ${MAX_HEADER_BYTES} bytes`)
  const headerLen = Number(headerLenBig)
  if (8 + headerLen > bytes.length) throw new Error(`safetensors: header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen))
  } catch {
    throw new Error('safetensors: header is not valid UTF-8')
  }
  if (!text.startsWith('{')) throw new Error('safetensors: header must be a JSON object starting with "{"')
  let header: unknown
  try {
    header = JSON.parse(text)
  } catch (e) {
    throw new Error(`safetensors: header is not valid JSON (${(e as Error).message})`)
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('safetensors: header must be a JSON object')

  const metadata: Record<string, string> = {}
  const entries: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = []
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('safetensors: "__metadata__" must be an object of strings')
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new Error(`safetensors: metadata "${k}" must be a string`)
        metadata[k] = v
      }
      continue
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`safetensors: tensor "${name}" entry must be an object`)
    const v = value as Record<string, unknown>
    for (const key of Object.keys(v)) {
      if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') throw new Error(`safetensors: tensor "${name}" has unknown field "${key}"`)
    }
    if (typeof v.dtype !== 'string') throw new Error(`safetensors: tensor "${name}" field "dtype" must be a string`)
    const dtype = CODE_TO_DTYPE[v.dtype]
    if (!dtype) throw new Error(`safetensors: tensor "${name}" has unsupported dtype "${v.dtype}" (supported: ${Object.keys(CODE_TO_DTYPE).join(', ')})`)
    if (!Array.isArray(v.shape) || v.shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
      throw new Error(`safetensors: tensor "${name}" field "shape" must be an array of non-negative integers`)
    }
    const offs = v.data_offsets
    if (!Array.isArray(offs) || offs.length !== 2 || offs.some((o) => !Number.isSafeInteger(o) || (o as number) < 0)) {
      throw new Error(`safetensors: tensor "${name}" field "data_offsets" must be [begin, end] non-negative integers`)
    }
    const [begin, end] = offs as [number, number]
    if (end < begin) throw new Error(`safetensors: tensor "${name}" data_offsets end ${end} < begin ${begin}`)
    const shape = v.shape as number[]
    const expected = elementCount(shape) * DTYPE_INFO[dtype].bytes
    if (end - begin !== expected) {
      throw new Error(`safetensors: tensor "${name}" has ${end - begin} bytes but dtype ${v.dtype} shape [${shape.join(', ')}] needs ${expected}`)
    }
    entries.push({ name, dtype, shape, begin, end })
  }

  // The buffer must be covered exactly, without holes or overlaps (as the reference validator requires).
  const bufferLen = bytes.length - 8 - headerLen
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)
  let cursor = 0
  for (const e of sorted) {
    if (e.begin !== cursor) {
      throw new Error(`safetensors: tensor "${e.name}" starts at byte ${e.begin}, expected ${cursor} (${e.begin > cursor ? 'hole' : 'overlap'} in the data buffer)`)
    }
    cursor = e.end
  }
  if (cursor !== bufferLen) throw new Error(`safetensors: tensors cover ${cursor} bytes but the data buffer has ${bufferLen}`)

  const tensors: Record<string, NamedTensor> = {}
  const base = 8 + headerLen
  for (const e of entries) {
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: tensorFromBytes(e.dtype, bytes.subarray(base + e.begin, base + e.end)) }
  }
  return { tensors, metadata }
}
