// What the benchmarks share: command-line values, the peers' Python and BLAS kernel, medians, the machine, and the
// JSON record each run writes under bench/results/.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The value after `--name` on the command line, or the fallback. */
export function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback
}

export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3'

/** An OpenBLAS kernel choice for a peer process: its environment is set when the process starts. */
export interface BlasKernel {
  id: string
  label: string
  env: NodeJS.ProcessEnv
}

/**
 * The kernels a peer is measured with, to report the faster: the one OpenBLAS picks itself (OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE unset, whatever the caller's shell had) and, where the CPU has AVX-512, SkylakeX (PEERS.md).
 */
export function blasKernels(): BlasKernel[] {
  const picked = { ...process.env }
  delete picked.OPENBLAS_CORETYPE
  delete picked.OPENBLAS_L2_SIZE
  const kernels: BlasKernel[] = [{ id: 'auto', label: 'OPENBLAS_CORETYPE unset', env: picked }]
  if (cpuFlags().has('avx512f')) kernels.push({ id: 'skx', label: 'OPENBLAS_CORETYPE=SkylakeX', env: { ...picked, OPENBLAS_CORETYPE: 'SkylakeX' } })
  return kernels
}

/**
 * A one-shot peer measured with every kernel of blasKernels(): the run with the lowest median time, and its kernel's
 * label (null when the peer failed with every kernel).
 */
export async function fastestKernel<R extends { seconds: number[] }>(run: (kernel: BlasKernel) => Promise<R | null>): Promise<{ result: R; kernel: string } | null> {
  let best: { result: R; kernel: string } | null = null
  for (const kernel of blasKernels()) {
    const result = await run(kernel)
    if (result && (!best || median(result.seconds) < median(best.result.seconds))) best = { result, kernel: kernel.label }
  }
  return best
}

function cpuFlags(): Set<string> {
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? ''
    return new Set(flags.trim().split(/\s+/))
  } catch {
    return new Set()
  }
}

/** The CPU as /proc/cpuinfo names it (model name, family, model), else Node's name for it. */
export function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8')
    const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim()
    return `${field('model name') ?? 'unknown'} (family ${field('cpu family') ?? '?'}, model ${field('model') ?? '?'})`
  } catch {
    return cpus()[0]?.model ?? 'unknown'
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const k = s.length >> 1
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2
}

export function machine(): { cpu: string | undefined; cores: number; loadavg: number[] } {
  return { cpu: cpus()[0]?.model, cores: cpus().length, loadavg: loadavg() }
}

/** Writes a run's record (with the date and the machine) as JSON and says where. */
export function writeRecord(out: string, record: Record<string, unknown>): void {
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...record }, null, 2) + '\n')
  console.log(`wrote ${out}`)
}

/** Runs a benchmark's main and exits non-zero on failure. */
export function run(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e)
    process.exit(1)
  })
}
