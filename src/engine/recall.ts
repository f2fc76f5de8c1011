// Batched synchronous Hopfield recall on ONNX Runtime, in chunks, with progress and cancellation.
//
// session.run() blocks the calling thread for each chunk: call this from a worker thread.
//
// Exactness: a net on a grid whose D is not a power of two (Hebb 1/N or 1/P, Storkey, energy training) goes to the
// full-W program as K = D·W with D·x and gridThreshold(θ, D) (core/hopfield.ts): integers below 2^23, so float32
// MatMul is exact in any summation order and every decision, ties included, is the core's. Nets on a power-of-two
// grid are exact as given. The low-rank program gets thresholds in the same grid units and scale 1.
import { checkPattern, gridDenominator, gridForm, gridThreshold, GRID_LIMIT, needsGridForm, type HopfieldNet } from '../core/hopfield'
import { buildHopfieldRecallModel, HOPFIELD_RECALL_IO as IO, recallNeedsKBlocks, type StateEncoding } from './programs/hopfield-recall'
import {
  buildHopfieldRecallLowRankModel,
  HOPFIELD_RECALL_LOWRANK_IO as LR,
  lowRankSupported
} from './programs/hopfield-recall-lowrank'
import { resolveThreads } from './ort'
import type { ProviderRequest } from './provider-table'
import { sessionCache } from './session-cache'
import { CancelledError } from '../shared/errors'

export interface RecallBatchOptions {
  maxIterations: number
  provider?: ProviderRequest
  threads?: number
  /** Cues per session.run(); default 1024. Smaller chunks mean finer progress and cancellation. */
  chunk?: number
  /** Called after each chunk with cues done so far and the total. */
  onProgress?: (done: number, total: number) => void
  /** Checked before each chunk; true aborts with CancelledError. */
  shouldCancel?: () => boolean
  /**
   * For a Hebb-rule net (zero diagonal, W = scale·(ξᵀξ − P·I)): recall through the P stored patterns
   * instead of W. Exact (integer net inputs), about N/(2P) times fewer multiply-adds per update, and
   * rows leave the batch as they settle. Needs (units+2)·count < 2^21.
   */
  lowRank?: LowRankRecall
  /**
   * External input x per cue (batch×units, same layout as the cues), held on during recall: h = W·s + x. On a grid
   * the decisions are exact while Σ|K| + D·|x| ≤ 2^23 (always for |x| ≤ 1, the cue); larger x is refused there.
   */
  external?: Int8Array
}

/** The stored patterns behind a Hebb-rule net, as hebb() was given them. */
export interface LowRankRecall {
  /** count × units row-major, in the net's encoding. */
  patterns: Int8Array
  count: number
  /** The Hebb normalisation c = 1/D: 1, 1/N or 1/P. */
  scale: number
}

export interface RecallBatchResult {
  /** B×N final states in the net's encoding. */
  final: Int8Array
  /** Per cue: synchronous updates that changed it (maxIterations if it never settled). */
  iterations: Int32Array
  provider: string
  fallbackReason?: string
}

export const DEFAULT_RECALL_CHUNK = 1024

// One weights-as-input model per (units, encoding, external, K blocks): its bytes are the session-cache key.
const modelCache = new Map<string, Uint8Array>()

function recallModel(units: number, encoding: StateEncoding, external: boolean, kBlocks: boolean): Uint8Array {
  const key = `${units}:${encoding}:${external}:${kBlocks}`
  let model = modelCache.get(key)
  if (!model) {
    model = buildHopfieldRecallModel({ units, encoding, external, stateType: 'int8', kBlocks })
    modelCache.set(key, model)
  }
  return model
}

export async function recallBatch(
  net: HopfieldNet,
  cues: Int8Array,
  batch: number,
  opts: RecallBatchOptions
): Promise<RecallBatchResult> {
  const n = net.units
  if (!Number.isInteger(batch) || batch < 0) throw new RangeError(`batch must be a non-negative integer, got ${batch}`)
  if (cues.length !== batch * n) throw new RangeError(`cues have ${cues.length} entries, expected ${batch}×${n}`)
  if (net.weights.length !== n * n) throw new RangeError(`weights have ${net.weights.length} entries, expected ${n}×${n}`)
  if (net.thresholds.length !== n) throw new RangeError(`thresholds have ${net.thresholds.length} entries, expected ${n}`)
  const { maxIterations } = opts
  if (!Number.isInteger(maxIterations) || maxIterations < 0) {
    throw new RangeError(`maxIterations must be a non-negative integer, got ${maxIterations}`)
  }
  const chunk = opts.chunk ?? DEFAULT_RECALL_CHUNK
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunk must be a positive integer, got ${chunk}`)
  checkCues(cues, batch, n, net.encoding)
  const ext = opts.external
  if (ext && ext.length !== batch * n) throw new RangeError(`external has ${ext.length} entries, expected ${batch}×${n}`)
  if (ext && opts.lowRank) throw new RangeError('lowRank recall has no external input; leave one of them out')
  if (opts.lowRank) return recallLowRank(net, cues, batch, maxIterations, chunk, opts.lowRank, opts)

  const form = needsGridForm(net) ? gridForm(net) : null
  const d = form?.denominator ?? 1
  if (form && ext) {
    let maxX = 0
    for (let k = 0; k < ext.length; k++) maxX = Math.max(maxX, Math.abs(ext[k]!))
    if (maxX * d > GRID_LIMIT) {
      throw new RangeError(`external: |x| up to ${maxX} on the net's grid 1/${d} leaves the exact float32 range (D·|x| ≤ 2^22); use |x| ≤ 1`)
    }
  }
  const created = await sessionCache.get(recallModel(n, net.encoding, !!ext, recallNeedsKBlocks(n, resolveThreads(opts.threads))), {
    ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {})
  })
  const weights = { type: 'float32', data: form?.weights ?? net.weights, dims: [n, n] } as const
  const thresholds = { type: 'float32', data: form?.thresholds ?? net.thresholds, dims: [n] } as const
  const maxIt = { type: 'int64', data: BigInt64Array.of(BigInt(maxIterations)), dims: [] } as const

  return runInChunks(batch, n, chunk, opts, created, async (start, rows) => {
    const out = await created.session.run({
      [IO.state]: { type: 'int8', data: cues.slice(start * n, (start + rows) * n), dims: [rows, n] },
      [IO.maxIterations]: maxIt,
      ...(ext ? { [IO.external]: { type: 'float32', data: Float32Array.from(ext.subarray(start * n, (start + rows) * n), (x) => x * d), dims: [rows, n] } as const } : {}),
      [IO.weights]: weights,
      [IO.thresholds]: thresholds
    })
    const finalState = out[IO.finalState]
    const its = out[IO.iterations]
    if (finalState?.type !== 'int8' || its?.type !== 'int32') throw new Error('recall model returned unexpected outputs')
    return { final: finalState.data, iterations: its.data }
  })
}

/**
 * Same errors as checkPattern on each cue, after one fast pass: four bytes at a time, since a large
 * batch has tens of millions of entries and a per-element loop cost more than the low-rank recall.
 */
function checkCues(cues: Int8Array, batch: number, n: number, encoding: StateEncoding): void {
  const bad = firstInvalid(cues.subarray(0, batch * n), encoding)
  if (bad < 0) return
  const b = Math.floor(bad / n)
  checkPattern(cues.subarray(b * n, (b + 1) * n), encoding, n, `cue ${b}`)
}

/** Index of the first entry outside the encoding's alphabet, or −1. */
export function firstInvalid(values: Int8Array, encoding: StateEncoding): number {
  const lo = encoding === 'bipolar' ? -1 : 0
  const slow = (from: number, to: number): number => {
    for (let k = from; k < to; k++) if (values[k] !== 1 && values[k] !== lo) return k
    return -1
  }
  const head = Math.min((4 - (values.byteOffset & 3)) & 3, values.length)
  const words = (values.length - head) >> 2
  let bad = slow(0, head)
  if (bad >= 0) return bad
  const w32 = new Int32Array(values.buffer, values.byteOffset + head, words)
  for (let k = 0; k < words; k++) {
    const w = w32[k]!
    // Bipolar bytes are 0x01 or 0xFF: bit 0 set and bits 1–7 all equal. Binary bytes are 0x00 or 0x01.
    let ok: boolean
    if (lo === -1) {
      const y = (w >>> 1) & 0x7f7f7f7f
      ok = (w & 0x01010101) === 0x01010101 && (y ^ Math.imul(y & 0x01010101, 0x7f)) === 0
    } else {
      ok = (w & 0xfefefefe) === 0
    }
    if (!ok) {
      bad = slow(head + 4 * k, head + 4 * k + 4)
      if (bad >= 0) return bad
    }
  }
  return slow(head + 4 * words, values.length)
}

// One low-rank model per (units, count, encoding).
const lowRankModelCache = new Map<string, Uint8Array>()

function lowRankModel(units: number, count: number, encoding: StateEncoding): Uint8Array {
  const key = `${units}:${count}:${encoding}`
  let model = lowRankModelCache.get(key)
  if (!model) {
    model = buildHopfieldRecallLowRankModel({ units, count, encoding })
    lowRankModelCache.set(key, model)
  }
  return model
}

/**
 * Checks that `lowRank` describes `net`: zero diagonal and, on a sample of entries (all of them for
 * small nets), w_ij = scale·Σ_p ξ_pi ξ_pj (exactly on the net's grid, up to rounding for a net without one).
 * A mismatch would make recall silently follow different weights. Returns D = 1/scale.
 */
function checkLowRank(net: HopfieldNet, lr: LowRankRecall): number {
  const n = net.units
  const { patterns, count, scale } = lr
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`lowRank.count must be a positive integer, got ${count}`)
  if (patterns.length !== count * n) throw new RangeError(`lowRank.patterns have ${patterns.length} entries, expected ${count}×${n}`)
  const d = Math.round(1 / scale)
  if (!(Number.isFinite(scale) && scale > 0) || d < 1 || d > GRID_LIMIT || Math.abs(d * scale - 1) > 1e-12) {
    throw new RangeError(`lowRank.scale must be 1/D for an integer D from 1 to 2^22 (1, 1/N or 1/P), got ${scale}`)
  }
  const netD = gridDenominator(net)
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(net.thresholds[i]!)) throw new RangeError(`lowRank: threshold ${i} is ${net.thresholds[i]}, expected a finite number`)
  }
  if (!lowRankSupported(n, count)) throw new RangeError(`lowRank needs (units+2)·count < 2^21, got (${n}+2)·${count}`)
  for (let k = 0; k < count; k++) checkPattern(patterns.subarray(k * n, (k + 1) * n), net.encoding, n, `lowRank pattern ${k}`)
  const binary = net.encoding === 'binary'
  const xi = (k: number, i: number): number => (binary ? 2 * patterns[k * n + i]! - 1 : patterns[k * n + i]!)
  const samplesPerRow = Math.min(n, Math.max(4, Math.ceil(4096 / n)))
  for (let i = 0; i < n; i++) {
    if (net.weights[i * n + i] !== 0) throw new Error(`lowRank: weight (${i}, ${i}) is ${net.weights[i * n + i]}, expected 0 (zero diagonal)`)
    for (let t = 0; t < samplesPerRow; t++) {
      const j = samplesPerRow === n ? t : (i * 7919 + t * 104729 + 1) % n
      if (j === i) continue
      let k2 = 0
      for (let k = 0; k < count; k++) k2 += xi(k, i) * xi(k, j)
      const expected = k2 / d
      const w = net.weights[i * n + j]!
      const off = netD > 0 ? Math.round(w * netD) * d !== k2 * netD : Math.abs(w - expected) > 1e-5 * (Math.abs(expected) + scale)
      if (off) throw new Error(`lowRank: weight (${i}, ${j}) is ${w}, but the patterns and scale give ${expected}`)
    }
  }
  return d
}

async function recallLowRank(
  net: HopfieldNet,
  cues: Int8Array,
  batch: number,
  maxIterations: number,
  chunk: number,
  lr: LowRankRecall,
  opts: RecallBatchOptions
): Promise<RecallBatchResult> {
  const n = net.units
  const d = checkLowRank(net, lr)
  const created = await sessionCache.get(lowRankModel(n, lr.count, net.encoding), {
    ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {})
  })
  const patterns = { type: 'int8', data: lr.patterns, dims: [lr.count, n] } as const
  // θ in units of c, made exact here (the program's own θ/c would round 1/D to float32 first): scale 1 then.
  const thresholds = { type: 'float32', data: Float32Array.from(net.thresholds, (t) => gridThreshold(t, d)), dims: [n] } as const
  const scale = { type: 'float32', data: Float32Array.of(1), dims: [] } as const
  const maxIt = { type: 'int64', data: BigInt64Array.of(BigInt(maxIterations)), dims: [] } as const

  return runInChunks(batch, n, chunk, opts, created, async (start, rows) => {
    const out = await created.session.run({
      [LR.state]: { type: 'int8', data: cues.slice(start * n, (start + rows) * n), dims: [rows, n] },
      [LR.maxIterations]: maxIt,
      [LR.patterns]: patterns,
      [LR.thresholds]: thresholds,
      [LR.scale]: scale
    })
    const finalState = out[LR.finalState]
    const its = out[LR.iterations]
    if (finalState?.type !== 'int8' || its?.type !== 'int32') throw new Error('low-rank recall model returned unexpected outputs')
    return { final: finalState.data, iterations: its.data }
  })
}

/** Runs `chunk` cues per session.run, with progress after each chunk and cancellation between them. */
async function runInChunks(
  batch: number,
  n: number,
  chunk: number,
  opts: RecallBatchOptions,
  created: { provider: string; fallbackReason?: string },
  runChunk: (start: number, rows: number) => Promise<{ final: ArrayLike<number>; iterations: Int32Array }>
): Promise<RecallBatchResult> {
  const final = new Int8Array(batch * n)
  const iterations = new Int32Array(batch)
  for (let start = 0; start < batch; start += chunk) {
    if (opts.shouldCancel?.()) throw new CancelledError()
    const rows = Math.min(chunk, batch - start)
    const out = await runChunk(start, rows)
    final.set(out.final, start * n)
    iterations.set(out.iterations, start)
    opts.onProgress?.(start + rows, batch)
  }
  const result: RecallBatchResult = { final, iterations, provider: created.provider }
  if (created.fallbackReason !== undefined) result.fallbackReason = created.fallbackReason
  return result
}
