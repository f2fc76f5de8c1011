// Mosaics of small images as one RGBA bitmap (pure, so it is tested without a canvas): RBM receptive
// fields on a diverging scale symmetric around 0, each normalised by its own max |w|; samples (visible
// means in [0, 1]) as ink on paper, like the recall lab's patterns.

export type MosaicMode = 'diverging' | 'grey'
type Rgb = readonly [number, number, number]

/** RdBu-like stops at −1, −½, 0, ½, 1: blue for negative weights, red for positive, white at 0. */
const DIVERGING: readonly Rgb[] = [
  [33, 102, 172],
  [146, 197, 222],
  [247, 247, 247],
  [244, 165, 130],
  [178, 24, 43]
]
/** Paper and ink of PatternCanvas (#f7f5f0, #1f2733). */
const PAPER: Rgb = [247, 245, 240]
const INK: Rgb = [31, 39, 51]
/** Between tiles: darker than any tile's background, so tiles stay apart. */
export const GAP_COLOR: Rgb = [120, 128, 140]

/** A filter divided by its own max |w|: values in [−1, 1], 0 stays 0 (an all-zero filter stays zero). */
export function normaliseFilter(values: ArrayLike<number>): Float32Array {
  let max = 0
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!)
    if (a > max) max = a
  }
  const out = new Float32Array(values.length)
  if (max > 0 && Number.isFinite(max)) for (let i = 0; i < values.length; i++) out[i] = values[i]! / max
  return out
}

function lerp(a: Rgb, b: Rgb, t: number): Rgb {
  return [Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t), Math.round(a[2] + (b[2] - a[2]) * t)]
}

/** Colour of t ∈ [−1, 1] on the diverging scale (clamped; NaN is white). */
export function divergingColor(t: number): Rgb {
  const x = Number.isFinite(t) ? Math.max(-1, Math.min(1, t)) : 0
  const pos = (x + 1) * 2
  const i = Math.min(3, Math.floor(pos))
  return lerp(DIVERGING[i]!, DIVERGING[i + 1]!, pos - i)
}

/** Colour of a grey level in [0, 1]: 0 paper, 1 ink. */
export function greyColor(v: number): Rgb {
  const x = Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0
  return lerp(PAPER, INK, x)
}

/**
 * The range grey tiles are drawn over: [0, 1] when every value lies in it (Bernoulli means), else
 * the values' own min and max (Gaussian units' reconstructions and samples, on the grey-level scale, can leave it).
 */
export function greyRange(tiles: readonly ArrayLike<number>[]): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (const t of tiles) {
    for (let i = 0; i < t.length; i++) {
      const v = t[i]!
      if (!Number.isFinite(v)) continue
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
  }
  if (lo >= 0 && hi <= 1) return [0, 1]
  if (!(hi > lo)) return [0, 1]
  return [lo, hi]
}

/** Columns × rows for n tiles: about square, `columns` when given. */
export function mosaicGrid(n: number, columns?: number): { columns: number; rows: number } {
  if (n <= 0) return { columns: 0, rows: 0 }
  const cols = Math.max(1, Math.min(n, Math.round(columns ?? Math.ceil(Math.sqrt(n)))))
  return { columns: cols, rows: Math.ceil(n / cols) }
}

export interface MosaicOptions {
  /** Tile size in cells (the image's width and height). */
  width: number
  height: number
  mode: MosaicMode
  columns?: number
  /** Cells between tiles and around the mosaic. */
  gap?: number
}

export interface MosaicBitmap {
  width: number
  height: number
  columns: number
  rows: number
  /** RGBA, row-major, width × height pixels (one per cell). */
  data: Uint8ClampedArray
}

/** One pixel per cell: tiles left to right, top to bottom, `gap` pixels apart. Tiles of the wrong size are left as gap. */
export function mosaicPixels(tiles: readonly ArrayLike<number>[], opts: MosaicOptions): MosaicBitmap {
  const gap = Math.max(0, Math.floor(opts.gap ?? 1))
  const w = Math.max(1, opts.width)
  const h = Math.max(1, opts.height)
  const { columns, rows } = mosaicGrid(tiles.length, opts.columns)
  const width = Math.max(1, columns * (w + gap) + gap)
  const height = Math.max(1, rows * (h + gap) + gap)
  const data = new Uint8ClampedArray(width * height * 4)
  for (let p = 0; p < width * height; p++) {
    data[p * 4] = GAP_COLOR[0]
    data[p * 4 + 1] = GAP_COLOR[1]
    data[p * 4 + 2] = GAP_COLOR[2]
    data[p * 4 + 3] = 255
  }
  const [lo, hi] = opts.mode === 'grey' ? greyRange(tiles) : [0, 1]
  tiles.forEach((tile, k) => {
    if (tile.length !== w * h) return
    const values = opts.mode === 'diverging' ? normaliseFilter(tile) : tile
    const x0 = gap + (k % columns) * (w + gap)
    const y0 = gap + Math.floor(k / columns) * (h + gap)
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = values[y * w + x]!
        const c = opts.mode === 'diverging' ? divergingColor(v) : greyColor((v - lo) / (hi - lo))
        const p = ((y0 + y) * width + x0 + x) * 4
        data[p] = c[0]
        data[p + 1] = c[1]
        data[p + 2] = c[2]
      }
    }
  })
  return { width, height, columns, rows, data }
}

/** The tile under a point of the bitmap (pixel coordinates), or −1 in a gap or past the last tile. */
export function tileAt(x: number, y: number, n: number, opts: Pick<MosaicOptions, 'width' | 'height' | 'columns' | 'gap'>): number {
  const gap = Math.max(0, Math.floor(opts.gap ?? 1))
  const { columns } = mosaicGrid(n, opts.columns)
  const cx = Math.floor((x - gap) / (opts.width + gap))
  const cy = Math.floor((y - gap) / (opts.height + gap))
  if (cx < 0 || cy < 0 || cx >= columns) return -1
  const inX = x - gap - cx * (opts.width + gap)
  const inY = y - gap - cy * (opts.height + gap)
  if (inX >= opts.width || inY >= opts.height) return -1
  const k = cy * columns + cx
  return k < n ? k : -1
}
