// The engine-vs-core fallback, once: every engine path of an experiment goes through withCoreFallback.
import { CancelledError } from '../../../shared/errors'
import type { ComputePath } from './common'

/** An engine run's value, the provider that ran it, and why that is not the provider asked for (if so). */
export interface EngineRun<T> {
  value: T
  provider: string
  fallbackReason?: string
}

/**
 * Runs `engine` when `onEngine`, else `core`. If the engine fails with anything but a cancel, `core` runs instead and
 * the result says why; an engine that fell back by itself (provider unavailable → CPU) keeps its own reason. Both
 * closures must start from the same state (an rng restored from one saved state), so the numbers do not depend on
 * the path. A core that fails after the engine failed throws its own error: a bug fails the run, it is not hidden.
 */
export async function withCoreFallback<T>(onEngine: boolean, engine: () => Promise<EngineRun<T>>, core: () => T | Promise<T>): Promise<{ value: T; compute: ComputePath }> {
  if (!onEngine) return { value: await core(), compute: { path: 'core', provider: 'core' } }
  let reason: string
  try {
    const out = await engine()
    return { value: out.value, compute: { path: 'engine', provider: out.provider, ...(out.fallbackReason ? { fallbackReason: out.fallbackReason } : {}) } }
  } catch (error) {
    if (error instanceof CancelledError) throw error
    reason = `engine failed (${error instanceof Error ? error.message : String(error)}); ran on the core`
  }
  return { value: await core(), compute: { path: 'core', provider: 'core', fallbackReason: reason } }
}

/** An engine sweep's points as an EngineRun. */
export function pointsRun<P>(out: { points: P; provider: string; fallbackReason?: string }): EngineRun<P> {
  return { value: out.points, provider: out.provider, ...(out.fallbackReason ? { fallbackReason: out.fallbackReason } : {}) }
}
