import { describe, expect, it } from 'vitest'
import { divergingColor, GAP_COLOR, greyColor, greyRange, mosaicGrid, mosaicPixels, normaliseFilter, tileAt } from '../../src/renderer/src/lib/mosaic'

function pixel(b: { width: number; data: Uint8ClampedArray }, x: number, y: number): number[] {
  const p = (y * b.width + x) * 4
  return Array.from(b.data.subarray(p, p + 4))
}

describe('filter normalisation', () => {
  it('divides each filter by its own max |w|, keeping signs and zero', () => {
    expect(Array.from(normaliseFilter([0.5, -2, 0, 1]))).toEqual([0.25, -1, 0, 0.5])
    expect(Array.from(normaliseFilter([0.001, 0.004]))).toEqual([0.25, 1])
    expect(Array.from(normaliseFilter([0, 0, 0]))).toEqual([0, 0, 0])
  })
})

describe('colour scales', () => {
  it('diverging: white at 0, blue for negative, red for positive, symmetric stops, clamped', () => {
    expect(divergingColor(0)).toEqual([247, 247, 247])
    expect(divergingColor(-1)).toEqual([33, 102, 172])
    expect(divergingColor(1)).toEqual([178, 24, 43])
    expect(divergingColor(5)).toEqual(divergingColor(1))
    expect(divergingColor(Number.NaN)).toEqual(divergingColor(0))
    const [r, , b] = divergingColor(-0.3)
    expect(b).toBeGreaterThan(r)
    const [r2, , b2] = divergingColor(0.3)
    expect(r2).toBeGreaterThan(b2)
  })

  it('grey: 0 is paper, 1 is ink; the range is [0, 1] unless the values leave it', () => {
    expect(greyColor(0)).toEqual([247, 245, 240])
    expect(greyColor(1)).toEqual([31, 39, 51])
    expect(greyRange([[0, 0.5, 1]])).toEqual([0, 1])
    expect(greyRange([[-2, 0], [3]])).toEqual([-2, 3])
    expect(greyRange([[0.5, 0.5]])).toEqual([0, 1])
  })
})

describe('mosaic bitmap', () => {
  it('lays tiles out about square, or in the columns asked for', () => {
    expect(mosaicGrid(100)).toEqual({ columns: 10, rows: 10 })
    expect(mosaicGrid(36)).toEqual({ columns: 6, rows: 6 })
    expect(mosaicGrid(10)).toEqual({ columns: 4, rows: 3 })
    expect(mosaicGrid(5, 8)).toEqual({ columns: 5, rows: 1 })
    expect(mosaicGrid(0)).toEqual({ columns: 0, rows: 0 })
  })

  it('draws each filter on its own scale, with gaps between tiles', () => {
    // Two 2×1 filters: [1, −1] and [0.01, 0]: each is scaled to its own max, so 0.01 is as red as 1.
    const b = mosaicPixels([[1, -1], [0.01, 0]], { width: 2, height: 1, mode: 'diverging' })
    expect([b.width, b.height, b.columns, b.rows]).toEqual([7, 3, 2, 1])
    expect(pixel(b, 0, 0)).toEqual([...GAP_COLOR, 255])
    expect(pixel(b, 1, 1)).toEqual([...divergingColor(1), 255])
    expect(pixel(b, 2, 1)).toEqual([...divergingColor(-1), 255])
    expect(pixel(b, 3, 1)).toEqual([...GAP_COLOR, 255])
    expect(pixel(b, 4, 1)).toEqual([...divergingColor(1), 255])
    expect(pixel(b, 5, 1)).toEqual([...divergingColor(0), 255])
  })

  it('draws grey tiles from their values, and leaves a tile of the wrong size as gap', () => {
    const b = mosaicPixels([[0, 1], [1]], { width: 2, height: 1, mode: 'grey', gap: 0 })
    expect(b.width).toBe(4)
    expect(pixel(b, 0, 0)).toEqual([...greyColor(0), 255])
    expect(pixel(b, 1, 0)).toEqual([...greyColor(1), 255])
    expect(pixel(b, 2, 0)).toEqual([...GAP_COLOR, 255])
  })

  it('finds the tile under a point', () => {
    const opts = { width: 2, height: 2 }
    // 3 tiles in 2 columns: tile k at x0 = 1 + 3 (k % 2), y0 = 1 + 3 floor(k / 2).
    expect(tileAt(1, 1, 3, opts)).toBe(0)
    expect(tileAt(4.5, 2.9, 3, opts)).toBe(1)
    expect(tileAt(1, 4, 3, opts)).toBe(2)
    expect(tileAt(3, 1, 3, opts)).toBe(-1)
    expect(tileAt(4, 4, 3, opts)).toBe(-1)
    expect(tileAt(0, 0, 3, opts)).toBe(-1)
  })
})
