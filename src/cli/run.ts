// `engram run`: what every spec runner shares (options, where the result goes, Ctrl-C, throttled progress), and the
// table of runners by spec kind (experiment specs, and each family's training spec: one line per family).
import { mkdirSync } from 'node:fs'
import { dirname, extname, resolve } from 'node:path'
import { writeFileAtomic } from '../main/services/backend'
import { SpecError, type RunSpec } from '../main/services/spec-file'
import { EXPORT_FORMATS, type ExportFormat } from '../shared/family'

export interface RunOptions {
  specPath: string
  /** --out; without it the result goes to `<spec name>.result.json` in the current directory. */
  out?: string | undefined
  quiet: boolean
  dataDir: string
  /** --export files (runners whose results carry a model). */
  exports: readonly string[]
  /** --queue: run the spec's shards on this queue's workers (shardable experiment specs). */
  queue?: { url: string; trialsPerShard?: number }
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

/**
 * Runs `work` with Ctrl-C turned into a cancel request: `cancelled()` says whether one came. When `work` fails after a
 * Ctrl-C (cancelled before it had anything to keep), prints `engram: <whenNothingKept>` and exits with 130.
 */
export async function withSigint<T>(work: (cancelled: () => boolean) => Promise<T>, whenNothingKept = 'run cancelled'): Promise<T> {
  let cancelled = false
  const onSigint = (): void => {
    cancelled = true
  }
  process.on('SIGINT', onSigint)
  try {
    return await work(() => cancelled)
  } catch (error) {
    if (cancelled) {
      process.stderr.write(`\nengram: ${whenNothingKept}\n`)
      process.exit(130)
    }
    throw error
  } finally {
    process.off('SIGINT', onSigint)
  }
}

/** A share as a percentage with one decimal (`12.5 %`); '–' for none. */
export function percent(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(1)} %`
}

/** Writes a line to stderr unless --quiet. */
export function stderrSay(quiet: boolean): (line: string) => void {
  return (line) => {
    if (!quiet) process.stderr.write(line)
  }
}

/** Seconds as "42 s", "3 min 5 s" or "2 h 10 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}

/**
 * A progress line on stderr at most every 200 ms (and always the last), unless --quiet. With `unit` (what `done`
 * counts, e.g. 'steps') the line also gives the rate since the printer was made and the time left at that rate.
 */
export function progressPrinter(name: string, quiet: boolean, unit?: string): (fraction: number, done: number, total: number, message: string) => void {
  let lastPrint = 0
  const started = performance.now()
  return (fraction, done, total, message) => {
    const t = Date.now()
    if (quiet || (t - lastPrint < 200 && done < total)) return
    lastPrint = t
    let pace = ''
    if (unit && done > 0) {
      const rate = done / Math.max(1e-3, (performance.now() - started) / 1000)
      pace = ` · ${rate.toFixed(rate < 10 ? 1 : 0)} ${unit}/s · ETA ${formatDuration((total - done) / rate)}`
    }
    process.stderr.write(`\r${name}: ${(fraction * 100).toFixed(0).padStart(3)}% (${message}${pace})`)
    if (done === total) process.stderr.write('\n')
  }
}

/** The format an --export file names by its extension, one of `formats` (else refused, before any work). */
export function exportFormatOf(path: string, formats: readonly ExportFormat[] = EXPORT_FORMATS): ExportFormat {
  const ext = extname(path).toLowerCase().slice(1)
  const format = formats.find((f) => f === ext)
  if (!format) throw new SpecError(`--export ${path}: the file must end in ${formats.map((f) => `.${f}`).join(', ').replace(/, ([^,]*)$/, ' or $1')}`)
  return format
}

/** The --export files with their formats, checked before any work (`formats`: those the runner's model exports as). */
export function exportTargets(opts: RunOptions, formats?: readonly ExportFormat[]): { path: string; format: ExportFormat }[] {
  return opts.exports.map((p) => ({ path: resolve(p), format: exportFormatOf(p, formats) }))
}

/** Writes each --export file with the bytes `bytesOf` gives for its format, saying so on stderr (`say`). */
export function writeExports(files: readonly { path: string; format: ExportFormat }[], bytesOf: (format: ExportFormat) => Uint8Array, name: string, say: (line: string) => void): void {
  for (const e of files) {
    const bytes = bytesOf(e.format)
    mkdirSync(dirname(e.path), { recursive: true })
    writeFileAtomic(e.path, bytes)
    say(`${name}: wrote ${e.path} (${bytes.byteLength} bytes, ${e.format})\n`)
  }
}

export type SpecRunners = { [K in RunSpec['kind']]: SpecRunner<Extract<RunSpec, { kind: K }>['spec']> }
