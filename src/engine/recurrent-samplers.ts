// Sampler sessions kept per model, so a second generation from the same weights is one run() (no graph build, no
// session create). Keyed by an owner (the model's id) and a digest of the weights themselves: a model whose weights
// change (a checkpoint, then the finished training, under one id) gets a new session, never a stale one. Bounded (LRU);
// release(owner) drops a model's sessions (model deleted, session closed).
// RecurrentMonitor: a training job's evaluation loss and text samples on the engine (float32), weights fed as inputs so
// one session of each serves every version of the weights the job passes through.
import { createHash } from 'node:crypto'
import { Rng } from '../core/rng'
import type { RecurrentNet } from '../core/recurrent/spec'
import { softmaxCrossEntropy } from '../core/recurrent/training'
import { createSession, resolveThreads, type CreatedSession, type CreateSessionOptions, type EngineSession, type EngineTensor } from './ort'
import { buildRecurrentSampler, exportRecurrentOnnx, RECURRENT_ONNX_IO as EIO, RECURRENT_SAMPLER_IO as SIO, recurrentOnnxWeights } from './recurrent-export'

/** What one sample draws: its length, temperature (0: the argmax line), top-k (0: all) and the seed of its uniforms. */
export interface SampleRun {
  length: number
  temperature: number
  topK: number
  seed: number
}

/** A sample and the argmax line as token ids. */
export interface SampledTokens {
  tokens: number[]
  argmax: number[]
}

/**
 * One run() of a sampler built with the prompt input: the prompt runs from a zero state, then `run.length` draws with
 * core generate()'s uniforms (one Rng(seed).next() per draw; none at temperature 0). `extra` adds feeds (the weights of
 * a sampler built with weights as inputs).
 */
export async function runSampler(session: EngineSession, net: RecurrentNet, prompt: readonly number[], run: SampleRun, extra: Record<string, EngineTensor> = {}): Promise<SampledTokens> {
  const { spec } = net
  if (prompt.length === 0) throw new RangeError('sampler: the prompt needs at least one token')
  const L = spec.numLayers
  const H = spec.hiddenSize
  const zeros = new Float32Array(L * H)
  const rng = new Rng(run.seed)
  const uniforms = Float32Array.from({ length: run.length }, () => (run.temperature === 0 ? 0 : rng.next()))
  const out = await session.run({
    ...extra,
    [SIO.prompt]: { type: 'int64', data: BigInt64Array.from(prompt.slice(0, -1), (v) => BigInt(v)), dims: [prompt.length - 1, 1] },
    [SIO.token]: { type: 'int64', data: BigInt64Array.of(BigInt(prompt[prompt.length - 1]!)), dims: [1] },
    [SIO.h0]: { type: 'float32', data: zeros, dims: [L, 1, H] },
    ...(spec.cell === 'lstm' ? { [SIO.c0]: { type: 'float32' as const, data: zeros, dims: [L, 1, H] } } : {}),
    [SIO.uniforms]: { type: 'float32', data: uniforms, dims: [run.length, 1] },
    [SIO.temperature]: { type: 'float32', data: Float32Array.of(run.temperature), dims: [] },
    [SIO.topK]: { type: 'int64', data: BigInt64Array.of(BigInt(run.topK || spec.vocabSize!)), dims: [1] }
  })
  return { tokens: Array.from(out[SIO.tokens]!.data as BigInt64Array, Number), argmax: Array.from(out[SIO.argmax]!.data as BigInt64Array, Number) }
}

/** Hex SHA-256 of a net's spec and weights (every parameter's name and float64 bytes, in name order). */
export function recurrentWeightsDigest(net: RecurrentNet): string {
  const h = createHash('sha256').update(JSON.stringify(net.spec))
  for (const name of Object.keys(net.params).sort()) {
    const v = net.params[name]!
    h.update(`\0${name}\0${v.length}\0`).update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
  }
  return h.digest('hex')
}

interface Entry {
  owner: string
  created: Promise<CreatedSession>
  /** use() calls running on the session; a dropped entry's session is released when the last one ends. */
  busy: number
  dropped: boolean
}

export class RecurrentSamplerCache {
  // Map order doubles as LRU order: a hit is moved to the end.
  private readonly entries = new Map<string, Entry>()

  constructor(readonly maxEntries = 4) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`sampler cache: maxEntries must be a positive integer, got ${maxEntries}`)
  }

  get size(): number {
    return this.entries.size
  }

  /**
   * The sampler session for these weights (buildRecurrentSampler with the prompt input, weights embedded so ORT prepacks
   * them), created on first use. Concurrent callers share one creation; a failed creation is not kept. Not leased: a
   * later eviction or release() may release it, so run through use().
   */
  get(owner: string, net: RecurrentNet, opts: CreateSessionOptions = {}): Promise<CreatedSession> {
    return this.entry(owner, net, opts).created
  }

  /**
   * Runs `fn` on the sampler session for these weights (as get()), leased: an eviction or release() while `fn` runs
   * takes the entry out of the cache at once but releases the session only after `fn` has finished.
   */
  async use<T>(owner: string, net: RecurrentNet, opts: CreateSessionOptions, fn: (created: CreatedSession) => Promise<T>): Promise<T> {
    const entry = this.entry(owner, net, opts)
    entry.busy++
    try {
      return await fn(await entry.created)
    } finally {
      entry.busy--
      if (entry.dropped && entry.busy === 0) await this.releaseSession(entry)
    }
  }

  /** Releases the sessions of one owner (a deleted model), or all of them (a leased one when its use() ends). */
  async release(owner?: string): Promise<void> {
    const keys = [...this.entries].filter(([, e]) => owner === undefined || e.owner === owner).map(([k]) => k)
    await Promise.all(keys.map((k) => this.drop(k)))
  }

  private entry(owner: string, net: RecurrentNet, opts: CreateSessionOptions): Entry {
    const key = `${owner}|${recurrentWeightsDigest(net)}|${opts.provider ?? 'auto'}|${resolveThreads(opts.threads)}`
    const hit = this.entries.get(key)
    if (hit) {
      this.entries.delete(key)
      this.entries.set(key, hit)
      return hit
    }
    const created = Promise.resolve().then(() => createSession(buildRecurrentSampler(net, { prompt: true }), opts))
    const entry: Entry = { owner, created, busy: 0, dropped: false }
    this.entries.set(key, entry)
    created.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key)
    })
    while (this.entries.size > this.maxEntries) {
      const [oldest] = this.entries.keys()
      void this.drop(oldest!)
    }
    return entry
  }

  private drop(key: string): Promise<void> {
    const e = this.entries.get(key)
    this.entries.delete(key)
    if (!e || e.dropped) return Promise.resolve()
    e.dropped = true
    return e.busy > 0 ? Promise.resolve() : this.releaseSession(e)
  }

  private releaseSession(e: Entry): Promise<void> {
    return e.created.then((c) => c.session.release(), () => undefined)
  }
}

/** The samplers this process (or worker thread) keeps. */
export const recurrentSamplers = new RecurrentSamplerCache()

/** The weights of a net as feeds for a graph built with weights as inputs. */
function weightFeeds(net: RecurrentNet): Record<string, EngineTensor> {
  return Object.fromEntries([...recurrentOnnxWeights(net)].map(([name, w]) => [name, { type: 'float32' as const, data: w.data, dims: w.dims }]))
}

/**
 * A training job's evaluation and samples on the engine, float32: the eval graph (exportRecurrentOnnx) and the sampler
 * (with the prompt input), each with the weights as inputs, created on first use and kept until release().
 */
export class RecurrentMonitor {
  private evalSession: Promise<CreatedSession> | null = null
  private samplerSession: Promise<CreatedSession> | null = null

  constructor(
    private readonly shape: RecurrentNet,
    private readonly opts: CreateSessionOptions = {}
  ) {}

  /** Mean cross-entropy (nats) of the head's logits on tokens x [T, B] against y [T, B], from a zero state. */
  async loss(net: RecurrentNet, x: Int32Array, y: Int32Array, T: number, B: number): Promise<number> {
    const { spec } = net
    this.evalSession ??= createSession(exportRecurrentOnnx(this.shape, { weights: 'inputs' }), this.opts)
    const { session } = await this.evalSession
    const S = spec.numLayers * (spec.bidirectional ? 2 : 1)
    const zeros = new Float32Array(S * B * spec.hiddenSize)
    const out = await session.run({
      ...weightFeeds(net),
      [EIO.tokens]: { type: 'int64', data: BigInt64Array.from(x, (v) => BigInt(v)), dims: [T, B] },
      [EIO.h0]: { type: 'float32', data: zeros, dims: [S, B, spec.hiddenSize] },
      ...(spec.cell === 'lstm' ? { [EIO.c0]: { type: 'float32' as const, data: zeros, dims: [S, B, spec.hiddenSize] } } : {})
    })
    return softmaxCrossEntropy(Float64Array.from(out[EIO.logits]!.data as Float32Array), y, spec.vocabSize!).loss
  }

  /** A sample from a prompt (runSampler) with the net's current weights. */
  async sample(net: RecurrentNet, prompt: readonly number[], run: SampleRun): Promise<SampledTokens> {
    this.samplerSession ??= createSession(buildRecurrentSampler(this.shape, { prompt: true, weights: 'inputs' }), this.opts)
    const { session } = await this.samplerSession
    return runSampler(session, net, prompt, run, weightFeeds(net))
  }

  async release(): Promise<void> {
    const all = [this.evalSession, this.samplerSession]
    this.evalSession = this.samplerSession = null
    await Promise.all(all.map((p) => p?.then((c) => c.session.release(), () => undefined)))
  }
}
