// `engram run`: what every spec runner shares (options, where the result goes, Ctrl-C, throttled progress), and the
// table of runners by spec kind (experiment specs, and each family's training spec: one line per family).
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { writeFileAtomic } from '../main/services/backend'
import type { RunSpec } from '../main/services/spec-file'

export interface RunOptions {
  specPath: string
  /** --out; without it the result goes to `<spec name>.result.json` in the current directory. */
  out?: string | undefined
  quiet: boolean
  dataDir: string
  /** --export files (runners whose results carry a model). */
  exports: readonly string[]
  /** --queue: run the spec's shards on this queue's workers (shardable experiment specs). */
  queue?: { url: string; trialsPerShard: number }
}

export type SpecRunner<S> = (spec: S, opts: RunOptions) => Promise<void>

/** Where a run's result goes: --out, else `<name>.result.json` in the current directory (never beside the spec). */
export function resultPath(opts: RunOptions, name: string): string {
  return resolve(opts.out ?? `${name}.result.json`)
}

/** Writes the result file atomically; returns its absolute path. */
export function writeResult(opts: RunOptions, name: string, value: unknown): string {
  const out = resultPath(opts, name)
  mkdirSync(dirname(out), { recursive: true })
  writeFileAtomic(out, new TextEncoder().encode(JSON.stringify(value, null, 1)))
  return out
}

/** Runs `work` with Ctrl-C turned into a cancel request: `cancelled()` says whether one came. */
export async function withSigint<T>(work: (cancelled: () => boolean) => Promise<T>): Promise<T> {
  let cancelled = false
  const onSigint = (): void => {
    cancelled = true
  }
  process.on('SIGINT', onSigint)
  try {
    return await work(() => cancelled)
  } finally {
    process.off('SIGINT', onSigint)
  }
}

/** A progress line on stderr at most every 200 ms (and always the last), unless --quiet. */
export function progressPrinter(name: string, quiet: boolean): (fraction: number, done: number, total: number, message: string) => void {
  let lastPrint = 0
  return (fraction, done, total, message) => {
    const t = Date.now()
    if (quiet || (t - lastPrint < 200 && done < total)) return
    lastPrint = t
    process.stderr.write(`\r${name}: ${(fraction * 100).toFixed(0).padStart(3)}% (${message})`)
    if (done === total) process.stderr.write('\n')
  }
}

export type SpecRunners = { [K in RunSpec['kind']]: SpecRunner<Extract<RunSpec, { kind: K }>['spec']> }
