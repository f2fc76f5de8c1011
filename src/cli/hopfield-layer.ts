// `engram run` for Hopfield layer specs (model.kind 'hopfield-layer'): the page's trainable layer trained from a spec,
// progress on stderr (epoch, loss, held-out accuracy beside the linear or mean-pooling baseline, rate, ETA), Ctrl-C keeps the epochs
// done as a partial model, the result file, exports.
import { hopfieldLayerClasses } from '../shared/families/hopfield-layer'
import type { HopfieldLayerRunSpec } from '../shared/hopfield-layer-run'
import { exportHopfieldLayerResult, runHopfieldLayerSpec } from '../main/services/hopfield-layer-run'
import { exportTargets, progressPrinter, stderrSay, withSigint, writeExports, writeResult, type RunOptions } from './run'

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`

/** Trains, prints progress and the final figures on stderr, writes the result (and exports); prints the result path. */
export async function runHopfieldLayerCli(spec: HopfieldLayerRunSpec, opts: RunOptions): Promise<void> {
  const formats = exportTargets(opts, ['onnx', 'safetensors'])
  const say = stderrSay(opts.quiet)
  const progress = progressPrinter(spec.name, opts.quiet, 'epochs')
  let wasCancelled = false
  const result = await withSigint(
    (cancelled) => runHopfieldLayerSpec(spec, { onProgress: progress, shouldCancel: () => (wasCancelled = cancelled()) }),
    'run cancelled before the first epoch finished'
  )
  const l = result.layer
  const pooling = spec.model.mode === 'pooling'
  const m = result.metrics
  if (wasCancelled && l.partial) say(`\n${spec.name}: cancelled; keeping the ${l.epochsDone} epochs done (a partial model)\n`)
  if (l.stopReason) say(`\n${spec.name}: stopped: ${l.stopReason}\n`)
  const out = writeResult(opts, spec.name, result)
  say(
    `${spec.name}: ${l.name}: ${m.epochs} epochs in ${m.seconds.toFixed(2)} s on ${result.compute.path}/${result.compute.provider} · loss ${m.loss.toFixed(4)} · ` +
      `held-out accuracy ${pct(m.testAccuracy)} (train ${pct(m.trainAccuracy)}) · ${pooling ? 'mean pooling' : 'linear baseline'} ${pct(m.baselineTestAccuracy)} · chance ${pct(1 / hopfieldLayerClasses(spec.model))}` +
      (pooling ? ` · key attention ${(l.history.at(-1)?.keyAttention ?? 0).toFixed(2)}` : '') +
      '\n'
  )
  if (result.compute.fallbackReason) say(`${spec.name}: trained on the core: ${result.compute.fallbackReason}\n`)
  writeExports(formats, (format) => exportHopfieldLayerResult(result, format), spec.name, say)
  console.log(out)
}
