// IDX file parser (MNIST / Fashion-MNIST format) over bytes: validates magic, type code, dimensions and size.
// Reference: LeCun, Cortes & Burges, "THE MNIST DATABASE", section "FILE FORMATS FOR THE MNIST DATABASE" (the IDX format);
// used for the RBM data of seeds/004 (binarised images). Decompression (.gz) is the caller's job: core parses bytes only.
// Legend: magic = [0, 0, type code, rank]; then rank big-endian uint32 dimensions d_0..d_{rank−1}; then Π d_k values,
// big-endian, row-major (last dimension fastest). Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
// 0x0D float32, 0x0E float64.

export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64'

export interface IdxArray {
  dtype: IdxDType
  dims: number[]
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array
}

const TYPES: Record<number, { dtype: IdxDType; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 }
}

export class IdxFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'IdxFormatError'
  }
}

export interface ParseIdxOptions {
  /** Name used in error messages (e.g. the file name); default 'IDX data'. */
  name?: string
  /** Refuse files whose data would exceed this many bytes; default 2 GiB. */
  maxBytes?: number
  /** Accept bytes after the data (default false: trailing bytes are an error). */
  allowTrailing?: boolean
}

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`

/** Parses an IDX file. Throws IdxFormatError naming the problem (and the file, when `name` is given). */
export function parseIdx(bytes: Uint8Array, opts: ParseIdxOptions = {}): IdxArray {
  const name = opts.name ?? 'IDX data'
  const maxBytes = opts.maxBytes ?? 2 ** 31
  const fail = (msg: string): never => {
    throw new IdxFormatError(`${name}: ${msg}`)
  }
  if (bytes.length < 4) fail(`truncated header: ${bytes.length} bytes, an IDX header needs at least 4`)
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) fail('this is gzip-compressed data; decompress it first')
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`bad magic: first two bytes are ${hex(bytes[0]!)} ${hex(bytes[1]!)}, expected 0x00 0x00`)
  const code = bytes[2]!
  const type = TYPES[code]
  if (!type) fail(`unknown type code ${hex(code)}; expected one of 0x08 (uint8), 0x09 (int8), 0x0b (int16), 0x0c (int32), 0x0d (float32), 0x0e (float64)`)
  const rank = bytes[3]!
  if (rank === 0) fail('rank is 0; an IDX file needs at least one dimension')
  const headerLength = 4 + 4 * rank
  if (bytes.length < headerLength) fail(`truncated header: rank ${rank} needs ${headerLength} header bytes, the data has ${bytes.length}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const dims: number[] = []
  let count = 1
  for (let k = 0; k < rank; k++) {
    const d = view.getUint32(4 + 4 * k, false)
    dims.push(d)
    count *= d
  }
  const { dtype, size } = type!
  const dataBytes = count * size
  if (dataBytes > maxBytes) fail(`dimensions [${dims.join(', ')}] need ${dataBytes} data bytes, more than the limit of ${maxBytes}`)
  const available = bytes.length - headerLength
  if (available < dataBytes) {
    fail(`truncated data: dimensions [${dims.join(', ')}] of ${dtype} need ${dataBytes} bytes after the ${headerLength}-byte header, found ${available}`)
  }
  if (available > dataBytes && !opts.allowTrailing) {
    fail(`${available - dataBytes} unexpected bytes after the data (dimensions [${dims.join(', ')}] of ${dtype} need ${dataBytes})`)
  }
  const start = headerLength
  let data: IdxArray['data']
  switch (dtype) {
    case 'uint8':
      data = bytes.slice(start, start + count)
      break
    case 'int8':
      data = new Int8Array(bytes.slice(start, start + count).buffer)
      break
    case 'int16':
      data = new Int16Array(count)
      for (let k = 0; k < count; k++) data[k] = view.getInt16(start + 2 * k, false)
      break
    case 'int32':
      data = new Int32Array(count)
      for (let k = 0; k < count; k++) data[k] = view.getInt32(start + 4 * k, false)
      break
    case 'float32':
      data = new Float32Array(count)
      for (let k = 0; k < count; k++) data[k] = view.getFloat32(start + 4 * k, false)
      break
    case 'float64':
      data = new Float64Array(count)
      for (let k = 0; k < count; k++) data[k] = view.getFloat64(start + 8 * k, false)
      break
  }
  return { dtype, dims, data }
}

/** Encodes an IDX file (big-endian), the inverse of parseIdx: for tests and exports. */
export function encodeIdx(array: IdxArray): Uint8Array {
  const entry = Object.entries(TYPES).find(([, t]) => t.dtype === array.dtype)
  if (!entry) throw new IdxFormatError(`encodeIdx: unsupported dtype ${String(array.dtype)}`)
  const code = Number(entry[0])
  const size = entry[1].size
  const rank = array.dims.length
  if (rank < 1 || rank > 255) throw new IdxFormatError(`encodeIdx: rank must be 1..255, got ${rank}`)
  const count = array.dims.reduce((a, b) => a * b, 1)
  if (array.data.length !== count) throw new IdxFormatError(`encodeIdx: ${array.data.length} values for dimensions [${array.dims.join(', ')}]`)
  const out = new Uint8Array(4 + 4 * rank + count * size)
  const view = new DataView(out.buffer)
  out[2] = code
  out[3] = rank
  array.dims.forEach((d, k) => view.setUint32(4 + 4 * k, d, false))
  const start = 4 + 4 * rank
  for (let k = 0; k < count; k++) {
    const x = array.data[k]!
    switch (array.dtype) {
      case 'uint8':
        view.setUint8(start + k, x)
        break
      case 'int8':
        view.setInt8(start + k, x)
        break
      case 'int16':
        view.setInt16(start + 2 * k, x, false)
        break
      case 'int32':
        view.setInt32(start + 4 * k, x, false)
        break
      case 'float32':
        view.setFloat32(start + 4 * k, x, false)
        break
      case 'float64':
        view.setFloat64(start + 8 * k, x, false)
        break
    }
  }
  return out
}

/**
 * An images file ([N, rows, cols] uint8) as N×(rows·cols) values; `threshold` binarises (x/255 > threshold → 1),
 * otherwise values are scaled to [0, 1].
 */
export function idxImages(array: IdxArray, threshold?: number): { rows: number; cols: number; count: number; pixels: Float32Array } {
  if (array.dtype !== 'uint8' || array.dims.length !== 3) {
    throw new IdxFormatError(`expected an images file (uint8, rank 3), got ${array.dtype} of rank ${array.dims.length}`)
  }
  const [count, rows, cols] = array.dims as [number, number, number]
  const src = array.data as Uint8Array
  const pixels = new Float32Array(src.length)
  if (threshold === undefined) for (let k = 0; k < src.length; k++) pixels[k] = src[k]! / 255
  else for (let k = 0; k < src.length; k++) pixels[k] = src[k]! / 255 > threshold ? 1 : 0
  return { rows, cols, count, pixels }
}

/** A labels file ([N] uint8). */
export function idxLabels(array: IdxArray): Uint8Array {
  if (array.dtype !== 'uint8' || array.dims.length !== 1) {
    throw new IdxFormatError(`expected a labels file (uint8, rank 1), got ${array.dtype} of rank ${array.dims.length}`)
  }
  return array.data as Uint8Array
}
