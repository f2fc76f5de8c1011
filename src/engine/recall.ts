// Batched synchronous Hopfield recall on ONNX Runtime, in chunks, with progress and cancellation.
//
// session.run() blocks the calling thread for each chunk: call this from a worker thread.
import { checkPattern, type HopfieldNet } from '../core/hopfield'
import { buildHopfieldRecallModel, HOPFIELD_RECALL_IO as IO, type StateEncoding } from './programs/hopfield-recall'
import type { ProviderRequest } from './provider-table'
import { sessionCache } from './session-cache'

export interface RecallBatchOptions {
  maxIterations: number
  provider?: ProviderRequest
  threads?: number
  /** Cues per session.run(); default 1024. Smaller chunks mean finer progress and cancellation. */
  chunk?: number
  /** Called after each chunk with cues done so far and the total. */
  onProgress?: (done: number, total: number) => void
  /** Checked before each chunk; true aborts with Error('cancelled'). */
  shouldCancel?: () => boolean
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

// One weights-as-input model per (units, encoding): its bytes are the session-cache key.
const modelCache = new Map<string, Uint8Array>()

function recallModel(units: number, encoding: StateEncoding): Uint8Array {
  const key = `${units}:${encoding}`
  let model = modelCache.get(key)
  if (!model) {
    model = buildHopfieldRecallModel({ units, encoding })
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
  for (let b = 0; b < batch; b++) checkPattern(cues.subarray(b * n, (b + 1) * n), net.encoding, n, `cue ${b}`)

  const created = await sessionCache.get(recallModel(n, net.encoding), {
    ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {})
  })
  const final = new Int8Array(batch * n)
  const iterations = new Int32Array(batch)
  const weights = { type: 'float32', data: net.weights, dims: [n, n] } as const
  const thresholds = { type: 'float32', data: net.thresholds, dims: [n] } as const
  const maxIt = { type: 'int64', data: BigInt64Array.of(BigInt(maxIterations)), dims: [] } as const

  for (let start = 0; start < batch; start += chunk) {
    if (opts.shouldCancel?.()) throw new Error('cancelled')
    const rows = Math.min(chunk, batch - start)
    const state = Float32Array.from(cues.subarray(start * n, (start + rows) * n))
    const out = await created.session.run({
      [IO.state]: { type: 'float32', data: state, dims: [rows, n] },
      [IO.maxIterations]: maxIt,
      [IO.weights]: weights,
      [IO.thresholds]: thresholds
    })
    const finalState = out[IO.finalState]
    const its = out[IO.iterations]
    if (finalState?.type !== 'float32' || its?.type !== 'int32') throw new Error('recall model returned unexpected outputs')
    // States are exactly ±1/0 in float32, so the conversion is lossless.
    final.set(finalState.data, start * n)
    iterations.set(its.data, start)
    opts.onProgress?.(start + rows, batch)
  }
  const result: RecallBatchResult = { final, iterations, provider: created.provider }
  if (created.fallbackReason !== undefined) result.fallbackReason = created.fallbackReason
  return result
}
