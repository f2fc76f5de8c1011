// `engram run` for batch specs (a model trained once per grid point and seed, src/shared/batch.ts): here, one run after
// another, or with --queue one run per shard on the queue's workers; progress on stderr, one result file with every
// run's model info and state dict.
import type { BatchSpec } from '../shared/batch'
import { batchResultFile, batchTask, runBatchHere, type BatchInput } from '../main/services/batch'
import { DatasetCatalog } from '../main/services/datasets'
import { TextCatalog } from '../main/services/texts'
import { SpecError } from '../main/services/spec-file'
import { ENGRAM_VERSION } from '../main/version'
import { progressPrinter, stderrSay, withSigint, writeResult, type RunOptions } from './run'

export async function runBatchCli(spec: BatchSpec, opts: RunOptions): Promise<void> {
  if (opts.exports.length) throw new SpecError('--export: a batch holds several models; export one from a session (engram export <session> --model ID)')
  if (opts.queue?.trialsPerShard !== undefined) throw new SpecError('--shard-trials: a batch runs one training run per shard')
  const ctx = { datasets: new DatasetCatalog(opts.dataDir), texts: new TextCatalog(opts.dataDir), provider: 'auto' as const }
  // Every run's data and spec are checked here (batchTask), before any work starts.
  const input = batchTask(ctx, spec, 'spec').input as BatchInput
  const say = stderrSay(opts.quiet)
  say(`${spec.name}: ${input.runs.length} ${input.runs[0]!.run.model.kind} training runs${opts.queue ? ' on the queue' : ''}\n`)
  const output = await withSigint(async (cancelled) => {
    const hooks = { onProgress: progressPrinter(spec.name, opts.quiet), shouldCancel: cancelled }
    if (!opts.queue) return runBatchHere(input, hooks)
    const { runBatchOnQueue } = await import('../main/queue/coordinator') // bullmq loads only with --queue
    return runBatchOnQueue({ spec, provider: input.provider, requests: input.runs.map((r) => r.request) }, hooks, opts.queue)
  }, 'batch cancelled; no model is kept')
  const out = writeResult(opts, spec.name, batchResultFile(spec, output, ENGRAM_VERSION))
  if (output.result.kind === 'batch.train') for (const run of output.result.runs) say(`${spec.name}: ${run.model.name}\n`)
  console.log(out)
}
