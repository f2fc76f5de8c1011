import { describe, expect, it } from 'vitest'
import { corrupt, drawCues, flipBits, maskFraction, maskRect } from '../../src/core/corrupt'
import { hamming } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'

const ones = (n: number): Int8Array => new Int8Array(n).fill(1)

describe('flipBits', () => {
  it('flips exactly round(fraction·N) distinct units', () => {
    const rng = new Rng(1)
    expect(hamming(flipBits(ones(100), 0.1, rng), ones(100))).toBe(10)
    expect(hamming(flipBits(ones(30), 0.25, rng), ones(30))).toBe(8) // round(7.5) = 8
    expect(hamming(flipBits(ones(9), 0, rng), ones(9))).toBe(0)
    expect([...flipBits(ones(4), 1, rng)]).toEqual([-1, -1, -1, -1])
    const out = flipBits(ones(100), 0.37, rng)
    expect(out.filter((v) => v === -1).length).toBe(37)
  })

  it('binary flips are 0 ↔ 1', () => {
    const p = Int8Array.from([0, 1, 0, 1, 0, 1])
    const f = flipBits(p, 0.5, new Rng(3), 'binary')
    expect(hamming(f, p)).toBe(3)
    expect([...f].every((v) => v === 0 || v === 1)).toBe(true)
  })

  it('chooses units uniformly: each of 10 units flipped ≈ 30% of 20000 times', () => {
    const rng = new Rng(5)
    const counts = new Array<number>(10).fill(0)
    for (let t = 0; t < 20000; t++) flipBits(ones(10), 0.3, rng).forEach((v, i) => (counts[i]! += v === -1 ? 1 : 0))
    for (const c of counts) expect(Math.abs(c - 6000)).toBeLessThan(300)
  })

  it('rejects fractions outside [0, 1]', () => {
    expect(() => flipBits(ones(4), 1.5, new Rng(1))).toThrow(/fraction/)
  })
})

describe('maskRect', () => {
  it('fills the rectangle and nothing else', () => {
    const out = maskRect(ones(20), 5, 4, { x: 1, y: 2, width: 3, height: 2 }, -1)
    const masked = [...out].flatMap((v, i) => (v === -1 ? [i] : []))
    // Rows 2–3, columns 1–3 of a 5-wide image.
    expect(masked).toEqual([11, 12, 13, 16, 17, 18])
  })

  it('clips to the image', () => {
    const out = maskRect(ones(100), 10, 10, { x: 8, y: 8, width: 5, height: 5 }, 0)
    expect([...out].flatMap((v, i) => (v === 0 ? [i] : []))).toEqual([88, 89, 98, 99])
  })
})

describe('maskFraction', () => {
  it('sets exactly round(fraction·N) units to the fill value', () => {
    const out = maskFraction(ones(50), 0.2, 0, new Rng(9))
    expect(out.filter((v) => v === 0).length).toBe(10)
    expect(out.filter((v) => v === 1).length).toBe(40)
  })
})

describe('corrupt and drawCues', () => {
  it('dispatches on the corruption type', () => {
    const p = ones(16)
    expect(hamming(corrupt(p, { type: 'none' }, 4, 4, new Rng(1)), p)).toBe(0)
    expect(hamming(corrupt(p, { type: 'flip', fraction: 0.25 }, 4, 4, new Rng(1)), p)).toBe(4)
    expect(hamming(corrupt(p, { type: 'mask', x: 0, y: 0, width: 2, height: 2, fill: -1 }, 4, 4, new Rng(1)), p)).toBe(4)
    expect(corrupt(p, { type: 'maskFraction', fraction: 0.5, fill: 0 }, 4, 4, new Rng(1)).filter((v) => v === 0).length).toBe(8)
  })

  it('orders cues pattern by pattern and is reproducible from the seed', () => {
    const a = ones(9)
    const b = new Int8Array(9).fill(-1)
    const spec = { type: 'flip', fraction: 2 / 9 } as const
    const { cues, sources } = drawCues([a, b], spec, 3, 3, 3, new Rng(42))
    expect(cues.length).toBe(6 * 9)
    expect([...sources]).toEqual([0, 0, 0, 1, 1, 1])
    for (let c = 0; c < 6; c++) expect(hamming(cues.subarray(c * 9, c * 9 + 9), c < 3 ? a : b)).toBe(2)
    expect([...drawCues([a, b], spec, 3, 3, 3, new Rng(42)).cues]).toEqual([...cues])
    expect(() => drawCues([ones(8)], spec, 1, 3, 3, new Rng(1))).toThrow(/stored pattern 0/)
  })
})
