// The only module that imports onnxruntime-node: sessions behind a small typed wrapper, with CPU fallback.
//
// session.run() executes synchronously on the calling JS thread (ORT wraps it in setImmediate),
// so long runs belong in a worker thread.
import { availableParallelism } from 'node:os'
import { env, InferenceSession, Tensor, listSupportedBackends } from 'onnxruntime-node'
import { buildModel, GraphBuilder } from './onnx/builder'
import { defaultThreads, platformProviders, providerOrder, type ProviderRequest } from './provider-table'
import { DTYPES, type ElemType, type TypedArrayOf } from '../shared/dtypes'

// ORT's process-wide logger prints a red stderr line for every provider that fails to load (CUDA
// on most Linux boxes under 'auto'), duplicating the error that createSession already catches and
// reports as fallbackReason. It is read once, when the first session initialises ORT.
env.logLevel = 'fatal'

export type EngineDType = ElemType

/** dtype -> typed array (the shared dtype table); bool tensors are bytes (0/1). */
export type EngineDataTypes = { [K in EngineDType]: TypedArrayOf<K> }

export type EngineTensor = {
  [K in EngineDType]: { type: K; data: EngineDataTypes[K]; dims: readonly number[] }
}[EngineDType]

export interface EngineSession {
  readonly inputNames: readonly string[]
  readonly outputNames: readonly string[]
  /** Runs the model; blocks the JS thread while ORT computes. */
  run(feeds: Record<string, EngineTensor>): Promise<Record<string, EngineTensor>>
  release(): Promise<void>
}

export interface CreateSessionOptions {
  provider?: ProviderRequest
  /** Intra-op threads; 0 or undefined picks a default for this machine. */
  threads?: number
}

export interface CreatedSession {
  session: EngineSession
  /** The provider the session actually runs on. */
  provider: string
  /** Why preferred providers were skipped, when any were. */
  fallbackReason?: string
}

const ENGINE_DTYPES = new Set<string>(Object.keys(DTYPES))

class OrtEngineSession implements EngineSession {
  constructor(private readonly inner: InferenceSession) {}

  get inputNames(): readonly string[] {
    return this.inner.inputNames
  }

  get outputNames(): readonly string[] {
    return this.inner.outputNames
  }

  async run(feeds: Record<string, EngineTensor>): Promise<Record<string, EngineTensor>> {
    const ortFeeds: Record<string, Tensor> = {}
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new Tensor(t.type, t.data, t.dims)
    const results = await this.inner.run(ortFeeds)
    const out: Record<string, EngineTensor> = {}
    for (const [name, t] of Object.entries(results)) {
      if (!ENGINE_DTYPES.has(t.type)) throw new TypeError(`output '${name}' has unsupported type ${t.type}`)
      out[name] = { type: t.type, data: t.data, dims: t.dims } as EngineTensor
    }
    return out
  }

  release(): Promise<void> {
    return this.inner.release()
  }
}

/** First line of an ORT error, trimmed: the full text repeats paths and stack details. */
function shortReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const line = text.split('\n').find((l) => l.trim() !== '') ?? 'unknown error'
  const trimmed = line.trim()
  return trimmed.length > 200 ? `${trimmed.slice(0, 197)}...` : trimmed
}

/**
 * Providers that already failed to load in this process, with the reason. Loading a missing CUDA
 * library costs time on every attempt and cannot start working without a restart.
 */
const failedProviders = new Map<string, string>()

export function resolveThreads(threads?: number): number {
  return threads && threads > 0 ? Math.floor(threads) : defaultThreads(availableParallelism())
}

/**
 * Creates a session on the requested provider (or the platform's preference order for 'auto'),
 * falling back to CPU with the reason recorded: ORT itself throws rather than falling back when an
 * execution provider cannot load.
 */
export async function createSession(model: Uint8Array, opts: CreateSessionOptions = {}): Promise<CreatedSession> {
  const intraOpNumThreads = resolveThreads(opts.threads)
  const reasons: string[] = []
  for (const provider of providerOrder(opts.provider ?? 'auto')) {
    const known = failedProviders.get(provider)
    if (known !== undefined && provider !== 'cpu') {
      reasons.push(`${provider}: ${known}`)
      continue
    }
    try {
      const inner = await InferenceSession.create(model, {
        executionProviders: [provider],
        intraOpNumThreads,
        graphOptimizationLevel: 'all',
        // Warnings (level 2) would print EP fallback chatter for every session to stderr.
        logSeverityLevel: 3,
        // Developers: ENGRAM_ORT_PROFILE=<prefix> writes ORT's per-node timing trace (<prefix>_<date>.json) per session.
        ...(process.env.ENGRAM_ORT_PROFILE ? { enableProfiling: true, profileFilePrefix: process.env.ENGRAM_ORT_PROFILE } : {})
      })
      const created: CreatedSession = { session: new OrtEngineSession(inner), provider }
      if (reasons.length > 0) created.fallbackReason = reasons.join('; ')
      return created
    } catch (err) {
      if (provider === 'cpu') throw err
      const reason = shortReason(err)
      failedProviders.set(provider, reason)
      reasons.push(`${provider}: ${reason}`)
    }
  }
  throw new Error('no execution provider could be tried') // unreachable: providerOrder ends with cpu
}

/**
 * Providers this build of onnxruntime-node knows about, in the platform's preference order
 * (ORT's own list where it has one). Listed does not mean loadable: CUDA may lack its libraries.
 */
export function listAvailableProviders(): string[] {
  const preferred = platformProviders()
  let names: string[]
  try {
    names = typeof listSupportedBackends === 'function' ? listSupportedBackends().map((b) => b.name) : preferred
  } catch {
    names = preferred
  }
  const rank = (p: string): number => {
    const i = preferred.indexOf(p)
    return i === -1 ? preferred.length : i
  }
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b))
}

export interface ProviderProbe {
  /** Providers that created a session here, in preference order (always includes 'cpu'). */
  usable: string[]
  /** Provider -> shortened load error, for those that did not. */
  failed: Record<string, string>
}

// Smallest valid model: y = Identity(x) over a float scalar.
function probeModel(): Uint8Array {
  const g = new GraphBuilder('probe')
  g.output('y', 'float32', [], { from: g.input('x', 'float32', []) })
  return buildModel({ graph: g })
}

/**
 * Which of the platform's providers actually load, by creating a throw-away session on each.
 * listAvailableProviders() only says what this ORT build knows about (CUDA is listed without its libraries).
 */
export async function probeProviders(): Promise<ProviderProbe> {
  const probe: ProviderProbe = { usable: [], failed: {} }
  const model = probeModel()
  for (const provider of providerOrder('auto')) {
    const created = await createSession(model, { provider: provider as ProviderRequest, threads: 1 })
    if (created.provider === provider) probe.usable.push(provider)
    else probe.failed[provider] = failedProviders.get(provider) ?? created.fallbackReason ?? 'unknown error'
    await created.session.release()
  }
  return probe
}
