import { describe, expect, it } from 'vitest'
import { binarise } from '../../src/core/datasets/binarise'
import { lettersDataset } from '../../src/core/datasets/letters'
import { seeds000Nine, seeds003Auto } from '../../src/core/datasets/seeds'
import { hamming } from '../../src/core/hopfield'

describe('lettersDataset', () => {
  const d = lettersDataset()

  it('has 26 bipolar 10×10 letters A–Z', () => {
    expect(d.labels.join('')).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ')
    expect(d.patterns).toHaveLength(26)
    for (const p of d.patterns) {
      expect(p.length).toBe(100)
      expect([...p].every((v) => v === 1 || v === -1)).toBe(true)
    }
  })

  it('letters are pairwise at Hamming distance ≥ 8 (the minimum is exactly 8, e.g. C–O)', () => {
    let min = Infinity
    for (let a = 0; a < 26; a++) for (let b = a + 1; b < 26; b++) min = Math.min(min, hamming(d.patterns[a]!, d.patterns[b]!))
    expect(min).toBe(8)
    expect(hamming(d.patterns[2]!, d.patterns[14]!)).toBe(8)
  })

  it("'L' is a vertical bar in columns 1–2 and a bottom bar on row 8", () => {
    const L = d.patterns[11]!
    const on = [...L].flatMap((v, i) => (v === 1 ? [i] : []))
    expect(on.length).toBe(7 * 2 + 8)
    expect(L[1 * 10 + 1]).toBe(1)
    expect(L[8 * 10 + 8]).toBe(1)
    expect(L[0]).toBe(-1)
  })
})

describe('seed datasets', () => {
  it('003: one pattern (1, 1, 1, −1), 4×1', () => {
    const d = seeds003Auto()
    expect([d.width, d.height]).toEqual([4, 1])
    expect(d.patterns.map((p) => [...p])).toEqual([[1, 1, 1, -1]])
    expect(d.labels).toHaveLength(1)
  })

  it('000: [0 1 0 1 0 1 0 1 0] as a 3×3 image, bipolar and binary', () => {
    const d = seeds000Nine()
    expect([d.width, d.height]).toEqual([3, 3])
    expect([...d.binary[0]!]).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0])
    expect([...d.patterns[0]!]).toEqual([-1, 1, -1, 1, -1, 1, -1, 1, -1])
  })
})

describe('binarise', () => {
  it('pixel > threshold → +1, equal or below → −1', () => {
    expect([...binarise([0, 0.5, 0.51, 1], 0.5)]).toEqual([-1, -1, 1, 1])
    expect([...binarise(Uint8Array.from([0, 127, 128, 255]), 127)]).toEqual([-1, -1, 1, 1])
    expect(() => binarise([Number.NaN], 0.5)).toThrow(/pixel 0/)
  })
})
