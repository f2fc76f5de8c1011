// `engram run` for experiment specs (sweeps and recall experiments on Hopfield-type nets): progress on stderr, the result file.
import type { ExperimentSpec } from '../shared/spec'
import { DatasetCatalog } from '../main/services/datasets'
import { runExperiment } from '../main/services/experiments'
import { experimentData } from '../main/services/experiments/data'
import { SpecError } from '../main/services/spec-file'
import { progressPrinter, withSigint, writeResult, type RunOptions } from './run'
import { sweepSummary } from './sweep-summary'

/** Where it ran, said once: `engine/cpu`, `core` (not `core/core`), `engine (cpu)` (a provider that names its path), and why not the engine when it fell back. */
function where(c: { path: string; provider: string; fallbackReason?: string | undefined }): string {
  const at = c.provider === c.path || c.provider.startsWith(`${c.path} `) ? c.provider : `${c.path}/${c.provider}`
  return c.fallbackReason ? `${at} (${c.fallbackReason})` : at
}

export async function runExperimentCli(spec: ExperimentSpec, opts: RunOptions): Promise<void> {
  if (opts.exports.length) throw new SpecError("--export: experiment specs do not export from 'run'; for a result that holds a model use: engram export <result.json>")
  const catalog = new DatasetCatalog(opts.dataDir)
  // The dataset (built-in, imported or inline) and the explicit cues are checked here, before any work starts.
  const data = experimentData(spec, catalog, 'spec')
  const result = await withSigint(async (cancelled) => {
    const hooks = { onProgress: progressPrinter(spec.name, opts.quiet), shouldCancel: cancelled }
    if (!opts.queue) return runExperiment(spec, data, hooks)
    const { runOnQueue } = await import('../main/queue/coordinator') // bullmq loads only with --queue
    return runOnQueue(spec, hooks, opts.queue)
  })
  const out = writeResult(opts, spec.name, result)
  const m = result.metrics
  if (!opts.quiet && result.sweep) {
    process.stderr.write(`${spec.name}: ${result.sweep.type} sweep done on ${where(result.compute)}\n`)
    for (const line of sweepSummary(result.sweep)) process.stderr.write(`${line}\n`)
  }
  if (!opts.quiet && m) {
    process.stderr.write(
      `${spec.name}: ${m.patterns} patterns × ${m.units} units, ${m.cues} cues, success ${(m.successRate * 100).toFixed(1)}%, ` +
        `stored fixed points ${m.storedFixedPoints}/${m.patterns}, ${m.seconds.toFixed(2)} s on ${where(result.compute)}\n`
    )
  }
  console.log(out)
}
