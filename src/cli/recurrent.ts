// `engram run` for recurrent specs (model.kind 'recurrent'): the app's char-LM trained from a spec, progress on stderr
// (step, loss, perplexity, rate, ETA), Ctrl-C keeps the steps done as a partial model, the samples, the result file,
// exports.
import { dirname, resolve } from 'node:path'
import type { RecurrentRunResult, RecurrentRunSpec } from '../shared/recurrent-run'
import { exportRecurrentResult, runRecurrentSpec } from '../main/services/recurrent-run'
import { TextCatalog } from '../main/services/texts'
import { exportTargets, percent, progressPrinter, stderrSay, withSigint, writeExports, writeResult, type RunOptions } from './run'

/** Trains, prints progress, the final figures and the samples on stderr, writes the result (and exports); prints the result path. */
export async function runRecurrentCli(spec: RecurrentRunSpec, opts: RunOptions): Promise<void> {
  const formats = exportTargets(opts, ['onnx', 'safetensors'])
  const ctx = { specDir: dirname(resolve(opts.specPath)), texts: new TextCatalog(opts.dataDir) }
  const say = stderrSay(opts.quiet)
  const progress = progressPrinter(spec.name, opts.quiet, 'steps')
  let wasCancelled = false
  // runRecurrentSpec checks the text, its vocabulary and the prompts before the engine starts (errors name the field).
  const result = await withSigint(
    (cancelled) => runRecurrentSpec(spec, ctx, { onProgress: progress, shouldCancel: () => (wasCancelled = cancelled()) }),
    'run cancelled before the first steps finished'
  )
  const info = result.recurrent
  const m = result.metrics
  if (wasCancelled && info.partial) say(`\n${spec.name}: cancelled; keeping the ${info.stepsDone} steps done (a partial model)\n`)
  if (info.stopReason) say(`\n${spec.name}: stopped: ${info.stopReason}\n`)
  const out = writeResult(opts, spec.name, result)
  const trained = m.loss !== null ? ` · loss ${m.loss.toFixed(3)}${m.perplexity !== null ? ` · perplexity ${m.perplexity.toFixed(2)}` : ''}` : ''
  const on = `${m.steps} steps in ${m.seconds.toFixed(2)} s on ${result.compute.path}/${result.compute.provider}${trained}`
  const task = info.taskResult
  if (task) say(`${spec.name}: ${info.name}: ${on}\n${spec.name}: ${taskSummary(task)}\n`)
  else say(`${spec.name}: ${info.name} (vocabulary ${info.vocab.length}, ${info.textChars} characters): ${on} · eval loss ${m.evalLoss.toFixed(3)} (perplexity ${m.evalPerplexity!.toFixed(2)})\n`)
  if (result.compute.fallbackReason) say(`${spec.name}: trained on the core: ${result.compute.fallbackReason}\n`)
  result.samples.forEach((s, i) => {
    say(`${spec.name}: sample ${i + 1} (prompt ${JSON.stringify(s.prompt)}, temperature ${s.temperature}, top-k ${s.topK}, seed ${s.seed}): ${JSON.stringify(s.sample)}\n`)
    say(`${spec.name}:   argmax: ${JSON.stringify(s.argmax)}\n`)
  })
  result.predictions.forEach((p, i) => {
    const what = p.task === 'classify' ? `${p.label} (${p.probabilities!.map((c) => `${c.label} ${c.p.toFixed(3)}`).join(', ')})` : String(p.value)
    say(`${spec.name}: predict ${i + 1} (${JSON.stringify(spec.predict[i]).slice(0, 60)}): ${what}\n`)
  })
  writeExports(formats, (format) => exportRecurrentResult(result, format).bytes, spec.name, say)
  console.log(out)
}


/** A task's held-out scores against its baseline, in one line. */
function taskSummary(t: NonNullable<RecurrentRunResult['recurrent']['taskResult']>): string {
  if (t.kind === 'classify') return `held-out accuracy ${percent(t.accuracy)} on ${t.evalRows} rows (majority class '${t.baseline.label}': ${percent(t.baseline.accuracy)}); confusion ${JSON.stringify(t.confusion)}`
  if (t.kind === 'tag') return `held-out: ${percent(t.accuracy)} of the steps of ${t.evalRows} rows tagged right, ${percent(t.sequenceAccuracy)} of rows all right, last step ${percent(t.lastStepAccuracy)} (always '${t.baseline.label}': ${percent(t.baseline.accuracy)})`
  if (t.kind === 'regress') return `held-out: ${percent(t.accuracy)} of ${t.evalRows} rows within ±${t.tolerance}, MSE ${t.mse.toPrecision(4)} (always 1: ${percent(t.baseline.accuracy)}, MSE ${t.baseline.mse.toPrecision(4)})`
  return `validation (${t.validationWindows} windows, horizon ${t.horizon}): RMSE ${t.rmse.toPrecision(4)}, MAE ${t.mae.toPrecision(4)} (persistence: RMSE ${t.persistence.rmse.toPrecision(4)}, MAE ${t.persistence.mae.toPrecision(4)})`
}
