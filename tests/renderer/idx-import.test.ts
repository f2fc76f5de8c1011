// Importing an IDX file from the app: chunked base64 equals the one-shot encoding, and default names.
import { describe, expect, it } from 'vitest'
import { BASE64_CHUNK, bytesToBase64, datasetNameFromFile } from '../../src/renderer/src/lib/idx-import'

/** The one-shot reference: a binary string byte by byte, then btoa. */
function reference(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

/** Decodes with atob and compares byte by byte. */
function decodesTo(b64: string, bytes: Uint8Array): boolean {
  const s = atob(b64)
  if (s.length !== bytes.length) return false
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== bytes[i]) return false
  return true
}

describe('bytesToBase64', () => {
  it('matches the one-shot encoding at chunk boundaries and beyond (padding only at the end)', async () => {
    for (const n of [0, 1, 2, 3, BASE64_CHUNK - 1, BASE64_CHUNK, BASE64_CHUNK + 1, 3 * BASE64_CHUNK + 2]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff)
      expect(await bytesToBase64(bytes)).toBe(reference(bytes))
    }
  })

  it('reports progress up to 1 on a large file, yielding in between', async () => {
    const bytes = new Uint8Array(9 * 1024 * 1024 + 5).map((_, i) => i & 0xff)
    const seen: number[] = []
    const got = await bytesToBase64(bytes, (x) => seen.push(x))
    expect(got).toHaveLength(4 * Math.ceil(bytes.length / 3))
    expect(decodesTo(got, bytes)).toBe(true)
    expect(seen.length).toBeGreaterThan(1)
    expect(seen[seen.length - 1]).toBe(1)
    expect([...seen].sort((a, b) => a - b)).toEqual(seen)
  })
})

describe('datasetNameFromFile', () => {
  it('drops the IDX suffixes and keeps [a-z0-9._-]', () => {
    expect(datasetNameFromFile('train-images-idx3-ubyte.gz')).toBe('train-images')
    expect(datasetNameFromFile('C:\\data\\My Letters.idx')).toBe('my-letters')
    expect(datasetNameFromFile('t10k-images.idx3-ubyte')).toBe('t10k-images')
    expect(datasetNameFromFile('???')).toBe('dataset')
    expect(datasetNameFromFile(`${'a'.repeat(100)}.idx`)).toHaveLength(64)
  })
})
