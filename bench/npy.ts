// Minimal .npy (format 1.0) reader and writer for the benchmark's data exchange with the Python peers.
import { readFileSync, writeFileSync } from 'node:fs'

type NpyArray = Int8Array | Int32Array | Float32Array

const DESCR: Record<string, string> = { Int8Array: '|i1', Int32Array: '<i4', Float32Array: '<f4' }

/** Writes a C-order array; `shape` must multiply to data.length. */
export function writeNpy(file: string, data: NpyArray, shape: readonly number[]): void {
  if (shape.reduce((a, b) => a * b, 1) !== data.length) throw new RangeError(`npy: shape [${shape.join(',')}] does not fit ${data.length} values`)
  const descr = DESCR[data.constructor.name]
  if (!descr) throw new TypeError(`npy: unsupported array ${data.constructor.name}`)
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const pad = 64 - ((10 + header.length + 1) % 64)
  header += ' '.repeat(pad % 64) + '\n'
  const head = Buffer.alloc(10)
  head.write('\x93NUMPY', 0, 'latin1')
  head[6] = 1
  head[7] = 0
  head.writeUInt16LE(header.length, 8)
  writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]))
}

const READERS: Record<string, (b: ArrayBuffer) => NpyArray> = {
  '|i1': (b) => new Int8Array(b),
  '<i4': (b) => new Int32Array(b),
  '<f4': (b) => new Float32Array(b)
}

/** Reads a C-order .npy of int8, int32 or float32 (what the peers write back). */
export function readNpy(file: string): { data: NpyArray; shape: number[] } {
  const buf = readFileSync(file)
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`)
  const major = buf[6]!
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8)
  const start = major === 1 ? 10 : 12
  const header = buf.toString('latin1', start, start + headerLength)
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1] ?? ''
  const read = READERS[descr]
  if (!read || /'fortran_order':\s*True/.test(header)) throw new Error(`${file}: expected a C-order int8, int32 or float32 array, got ${header.trim()}`)
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map(Number)
  const body = buf.subarray(start + headerLength)
  return { data: read(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer), shape }
}

export function readNpyInt8(file: string): { data: Int8Array; shape: number[] } {
  const r = readNpy(file)
  if (!(r.data instanceof Int8Array)) throw new Error(`${file}: expected int8`)
  return { data: r.data, shape: r.shape }
}

export function readNpyInt32(file: string): { data: Int32Array; shape: number[] } {
  const r = readNpy(file)
  if (!(r.data instanceof Int32Array)) throw new Error(`${file}: expected int32`)
  return { data: r.data, shape: r.shape }
}
