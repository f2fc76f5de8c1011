// NumPy's .npy arrays and .npz archives, written (and read back, for tests and import) without NumPy.
// Reference: numpy.lib.format (format version 1.0): b'\x93NUMPY', major 1, minor 0, a little-endian uint16 header
// length, then an ASCII dict literal {'descr': …, 'fortran_order': False, 'shape': (…), } padded with spaces and ended
// by '\n' so that the data starts on a 64-byte boundary; data in C order. An .npz is a ZIP archive (here stored, not
// deflated) of NAME.npy members; np.load(path)[NAME] gives each array. Metadata travels as a 0-d unicode array
// (dtype '<U…', no pickling needed) holding a JSON object.
import { encodeSafetensors, tensorBytes, tensorFromBytes, type DType, type NamedTensor } from './safetensors'
import { DTYPES, STATE_DICT_DTYPES } from '../shared/dtypes'

/** dtype -> NumPy descr and back, from the shared table. */
const FROM_DESCR: Record<string, DType> = Object.fromEntries(STATE_DICT_DTYPES.map((d) => [DTYPES[d].numpy, d]))
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

function header(descr: string, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 0 ? '()' : shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`
  // magic (6) + version (2) + length (2) + header, a multiple of 64, the header ending in '\n'.
  const total = Math.ceil((10 + text.length + 1) / 64) * 64
  text = text.padEnd(total - 10 - 1, ' ') + '\n'
  if (text.length > 0xffff) throw new Error(`npy: header of ${text.length} bytes is too long for format 1.0`)
  const out = new Uint8Array(10 + text.length)
  out.set(MAGIC, 0)
  out[6] = 1
  out[7] = 0
  out[8] = text.length & 0xff
  out[9] = text.length >> 8
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i)
  return out
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** One array as .npy bytes (little-endian, C order). */
export function encodeNpy(t: NamedTensor): Uint8Array {
  const count = t.shape.reduce((a, b) => a * b, 1)
  if (t.data.length !== count) throw new Error(`npy: shape [${t.shape.join(', ')}] holds ${count} values, data has ${t.data.length}`)
  const { array, numpy } = DTYPES[t.dtype]
  // Values are stored as the dtype says, whatever array holds them; then the little-endian bytes safetensors writes.
  const data = t.data instanceof array ? t.data : (array as { from(values: ArrayLike<number>): NamedTensor['data'] }).from(t.data)
  return concat([header(numpy, t.shape), tensorBytes(data)])
}

/** A string as a 0-d unicode array ('<U{n}', UTF-32LE): np.load gives it back without pickling. */
export function encodeNpyString(s: string): Uint8Array {
  const chars = Array.from(s)
  const n = Math.max(1, chars.length)
  const data = new Uint8Array(n * 4)
  const view = new DataView(data.buffer)
  chars.forEach((c, i) => view.setUint32(i * 4, c.codePointAt(0)!, true))
  return concat([header(`<U${n}`, []), data])
}

function parseHeader(bytes: Uint8Array): { descr: string; shape: number[]; offset: number } {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) throw new Error('npy: not a .npy file (bad magic)')
  const major = bytes[6]!
  if (major < 1 || major > 3) throw new Error(`npy: format version ${major} is not one of 1, 2, 3`)
  if (major > 1 && bytes.length < 12) throw new Error('npy: truncated header')
  const len = major === 1 ? bytes[8]! | (bytes[9]! << 8) : new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true)
  const start = major === 1 ? 10 : 12
  if (start + len > bytes.length) throw new Error(`npy: header of ${len} bytes runs past the end of the ${bytes.length}-byte array`)
  const text = new TextDecoder('latin1').decode(bytes.subarray(start, start + len))
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1]
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1]
  if (!descr || shapeText === undefined) throw new Error('npy: header lacks descr or shape')
  if (/'fortran_order':\s*True/.test(text)) throw new Error('npy: Fortran-ordered arrays are not supported')
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number)
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`npy: shape (${shapeText}) is not a tuple of non-negative integers`)
  return { descr, shape, offset: start + len }
}

/** Reads a .npy array of a numeric dtype this module writes. */
export function decodeNpy(bytes: Uint8Array): NamedTensor {
  const { descr, shape, offset } = parseHeader(bytes)
  const dtype = FROM_DESCR[descr]
  if (!dtype) throw new Error(`npy: unsupported dtype '${descr}' (supported: ${Object.keys(FROM_DESCR).join(', ')})`)
  const count = shape.reduce((a, b) => a * b, 1)
  const size = count * DTYPES[dtype].bytes
  if (offset + size > bytes.length) {
    throw new Error(`npy: shape (${shape.join(', ')}) of ${descr} needs ${size} data bytes, the array has ${bytes.length - offset}`)
  }
  return { dtype, shape, data: tensorFromBytes(dtype, bytes.subarray(offset, offset + size)) } as NamedTensor
}

/** Reads a 0-d unicode array written by encodeNpyString. */
export function decodeNpyString(bytes: Uint8Array): string {
  const { descr, shape, offset } = parseHeader(bytes)
  const m = /^<U(\d+)$/.exec(descr)
  if (!m || shape.length !== 0) throw new Error(`npy: expected a 0-d unicode array, got '${descr}' of shape (${shape.join(', ')})`)
  if (offset + Number(m[1]) * 4 > bytes.length) throw new Error(`npy: a ${descr} string needs ${Number(m[1]) * 4} data bytes, the array has ${bytes.length - offset}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, Number(m[1]) * 4)
  let s = ''
  for (let i = 0; i < Number(m[1]); i++) {
    const c = view.getUint32(i * 4, true)
    if (c === 0) break
    s += String.fromCodePoint(c)
  }
  return s
}

// ---- ZIP (stored) ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** A ZIP archive of the given members, stored uncompressed (what np.savez writes). */
export function encodeZip(members: Record<string, Uint8Array>): Uint8Array {
  const locals: Uint8Array[] = []
  const centrals: Uint8Array[] = []
  let offset = 0
  const names = Object.keys(members)
  for (const name of names) {
    const data = members[name]!
    const nameBytes = new TextEncoder().encode(name)
    if (data.byteLength >= 0xffffffff || offset >= 0xffffffff) throw new Error(`npz: member "${name}" is past the 4 GiB a plain ZIP can hold`)
    const crc = crc32(data)
    const local = new Uint8Array(30 + nameBytes.length)
    const lv = new DataView(local.buffer)
    lv.setUint32(0, 0x04034b50, true)
    lv.setUint16(4, 20, true) // version needed
    lv.setUint16(6, 0x0800, true) // UTF-8 names
    lv.setUint16(8, 0, true) // stored
    lv.setUint16(10, 0, true) // time
    lv.setUint16(12, 0x21, true) // date: 1980-01-01
    lv.setUint32(14, crc, true)
    lv.setUint32(18, data.byteLength, true)
    lv.setUint32(22, data.byteLength, true)
    lv.setUint16(26, nameBytes.length, true)
    local.set(nameBytes, 30)
    const central = new Uint8Array(46 + nameBytes.length)
    const cv = new DataView(central.buffer)
    cv.setUint32(0, 0x02014b50, true)
    cv.setUint16(4, 20, true)
    cv.setUint16(6, 20, true)
    cv.setUint16(8, 0x0800, true)
    cv.setUint16(10, 0, true)
    cv.setUint16(12, 0, true)
    cv.setUint16(14, 0x21, true)
    cv.setUint32(16, crc, true)
    cv.setUint32(20, data.byteLength, true)
    cv.setUint32(24, data.byteLength, true)
    cv.setUint16(28, nameBytes.length, true)
    cv.setUint32(42, offset, true)
    central.set(nameBytes, 46)
    locals.push(local, data)
    centrals.push(central)
    offset += local.byteLength + data.byteLength
  }
  const centralSize = centrals.reduce((n, c) => n + c.byteLength, 0)
  const end = new Uint8Array(22)
  const ev = new DataView(end.buffer)
  ev.setUint32(0, 0x06054b50, true)
  ev.setUint16(8, names.length, true)
  ev.setUint16(10, names.length, true)
  ev.setUint32(12, centralSize, true)
  ev.setUint32(16, offset, true)
  return concat([...locals, ...centrals, end])
}

/** The members of a stored (uncompressed) ZIP archive, checked against their CRCs. */
export function decodeZip(bytes: Uint8Array): Record<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let eocd = -1
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('npz: not a ZIP archive (no end of central directory)')
  // Every offset read from the file is checked before use: a damaged archive gets a named error, not a RangeError.
  const need = (at: number, len: number, what: string): void => {
    if (at < 0 || at + len > bytes.length) throw new Error(`npz: ${what} lies past the end of the ${bytes.length}-byte archive`)
  }
  const count = view.getUint16(eocd + 10, true)
  let at = view.getUint32(eocd + 16, true)
  const out: Record<string, Uint8Array> = {}
  for (let k = 0; k < count; k++) {
    need(at, 46, `central directory entry ${k}`)
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error('npz: bad central directory entry')
    const method = view.getUint16(at + 10, true)
    const crc = view.getUint32(at + 16, true)
    const size = view.getUint32(at + 20, true)
    const nameLen = view.getUint16(at + 28, true)
    const extraLen = view.getUint16(at + 30, true)
    const commentLen = view.getUint16(at + 32, true)
    const localAt = view.getUint32(at + 42, true)
    need(at + 46, nameLen, `the name of entry ${k}`)
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLen))
    need(localAt, 30, `the local header of "${name}"`)
    if (method !== 0) throw new Error(`npz: member "${name}" is compressed (method ${method}); only stored members are read`)
    const dataAt = localAt + 30 + view.getUint16(localAt + 26, true) + view.getUint16(localAt + 28, true)
    need(dataAt, size, `the data of "${name}"`)
    const data = bytes.slice(dataAt, dataAt + size)
    if (crc32(data) !== crc) throw new Error(`npz: member "${name}" fails its CRC check`)
    out[name] = data
    at += 46 + nameLen + extraLen + commentLen
  }
  return out
}

/** A state dict and its metadata as an .npz: one NAME.npy per tensor, and metadata.npy (a JSON string). */
export function encodeNpz(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const members: Record<string, Uint8Array> = {}
  for (const [name, t] of Object.entries(tensors)) {
    if (name === 'metadata') throw new Error('npz: "metadata" is reserved for the metadata string')
    members[`${name}.npy`] = encodeNpy(t)
  }
  members['metadata.npy'] = encodeNpyString(JSON.stringify(metadata))
  return encodeZip(members)
}

/** Reads an .npz written by encodeNpz (or np.savez with numeric arrays): tensors and metadata. */
export function decodeNpz(bytes: Uint8Array): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  const tensors: Record<string, NamedTensor> = {}
  let metadata: Record<string, string> = {}
  for (const [file, data] of Object.entries(decodeZip(bytes))) {
    if (!file.endsWith('.npy')) continue
    const name = file.slice(0, -4)
    if (name === 'metadata') metadata = JSON.parse(decodeNpyString(data)) as Record<string, string>
    else tensors[name] = decodeNpy(data)
  }
  return { tensors, metadata }
}

/** The weight-file formats every exporter offers: safetensors, or NumPy's .npz. */
export type WeightsFormat = 'safetensors' | 'npz'

/** A state dict with its metadata in a weight-file format. */
export function encodeStateDict(format: WeightsFormat, tensors: Record<string, NamedTensor>, metadata: Record<string, string>): Uint8Array {
  return format === 'npz' ? encodeNpz(tensors, metadata) : encodeSafetensors(tensors, metadata)
}
