// .npy / .npz: our files load in NumPy as the same arrays, NumPy's np.savez files load here, round trips are exact.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { crc32, decodeNpy, decodeNpyString, decodeNpz, decodeZip, encodeNpy, encodeNpyString, encodeNpz, encodeZip } from '../../src/core/npy'
import type { NamedTensor } from '../../src/core/safetensors'

const dir = mkdtempSync(join(tmpdir(), 'engram-npy-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs Python with NumPy; null when /usr/bin/python3 or numpy is missing (the test then says so). */
function python(code: string): string | null {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' })
  if (probe.status !== 0) return null
  const r = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`)
  return r.stdout
}

const tensors: Record<string, NamedTensor> = {
  weights: { dtype: 'float32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => (i - 5.5) / 3) },
  thresholds: { dtype: 'float64', shape: [4], data: Float64Array.of(0, -1.5, 1e-300, Math.PI) },
  patterns: { dtype: 'int8', shape: [2, 3], data: Int8Array.of(1, -1, 1, -1, -1, 1) },
  counts: { dtype: 'int32', shape: [2], data: Int32Array.of(-7, 2 ** 30) },
  pixels: { dtype: 'uint8', shape: [1, 2, 2], data: Uint8Array.of(0, 255, 7, 128) },
  scalar: { dtype: 'float32', shape: [], data: Float32Array.of(2.5) }
}
const metadata = { kind: 'hopfield', rule: 'hebb', note: 'ünïcode ✓ 𝔼' }

describe('npy / npz', () => {
  it('round-trips every dtype, shape and the metadata string exactly', () => {
    for (const t of Object.values(tensors)) {
      const bytes = encodeNpy(t)
      // The header pads the data to a 64-byte boundary, as numpy.lib.format writes it.
      const headerLen = bytes[8]! | (bytes[9]! << 8)
      expect((10 + headerLen) % 64).toBe(0)
      const back = decodeNpy(bytes)
      expect(back.dtype).toBe(t.dtype)
      expect(back.shape).toEqual(t.shape)
      expect(Array.from(back.data)).toEqual(Array.from(t.data))
    }
    expect(decodeNpyString(encodeNpyString(metadata.note))).toBe(metadata.note)
    const npz = decodeNpz(encodeNpz(tensors, metadata))
    expect(Object.keys(npz.tensors).sort()).toEqual(Object.keys(tensors).sort())
    expect(npz.metadata).toEqual(metadata)
  })

  it('CRC-32 of "123456789" is 0xCBF43926; a corrupted member is refused', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    const zip = encodeZip({ 'a.npy': encodeNpy(tensors.weights!) })
    zip[40]! ^= 0xff
    expect(() => decodeZip(zip)).toThrow(/a\.npy" fails its CRC check/)
    expect(() => decodeNpy(new Uint8Array(12))).toThrow(/not a \.npy file/)
    expect(() => encodeNpy({ dtype: 'float32', shape: [2, 2], data: Float32Array.of(1) })).toThrow(/holds 4 values, data has 1/)
  })

  it('NumPy loads our .npz as the same arrays and metadata (and our reader loads np.savez output)', () => {
    const file = join(dir, 'ours.npz')
    writeFileSync(file, encodeNpz(tensors, metadata))
    const out = python(
      [
        'import json, numpy as np',
        `d = np.load(${JSON.stringify(file)})`,
        'print(json.dumps({k: {"dtype": str(d[k].dtype), "shape": list(d[k].shape), "values": d[k].ravel().tolist()} for k in d.files if k != "metadata"}))',
        'print(str(d["metadata"]))'
      ].join('\n')
    )
    if (out === null) {
      console.warn('skipping the NumPy check: /usr/bin/python3 has no numpy')
      return
    }
    const [arrays, meta] = out.trim().split('\n')
    const got = JSON.parse(arrays!) as Record<string, { dtype: string; shape: number[]; values: number[] }>
    const names: Record<string, string> = { float32: 'float32', float64: 'float64', int8: 'int8', int32: 'int32', uint8: 'uint8' }
    for (const [name, t] of Object.entries(tensors)) {
      expect(got[name]).toEqual({ dtype: names[t.dtype], shape: t.shape, values: Array.from(t.data) })
    }
    expect(JSON.parse(meta!)).toEqual(metadata)

    const theirs = join(dir, 'theirs.npz')
    python(`import numpy as np\nnp.savez(${JSON.stringify(theirs)}, w=np.arange(6, dtype=np.float32).reshape(2, 3) / 4, b=np.array([1, -2], dtype=np.int8))`)
    const back = decodeNpz(new Uint8Array(readFileSync(theirs)))
    expect(back.tensors.w).toEqual({ dtype: 'float32', shape: [2, 3], data: Float32Array.of(0, 0.25, 0.5, 0.75, 1, 1.25) })
    expect(Array.from(back.tensors.b!.data)).toEqual([1, -2])
  })
})
