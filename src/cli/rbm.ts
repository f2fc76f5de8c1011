// `engram run` for RBM training specs (model.kind 'rbm'): progress and figures on stderr, the result file, exports.
import { dirname, resolve } from 'node:path'
import type { RbmRunSpec } from '../shared/rbm-run'
import { DatasetCatalog } from '../main/services/datasets'
import { exportRbmResult, runRbmSpec } from '../main/services/rbm-run'
import { exportTargets, progressPrinter, stderrSay, withSigint, writeExports, writeResult, type RunOptions } from './run'

const pct = (x: number | null | undefined): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '–')

/** Trains, prints progress and the final figures on stderr, writes the result (and exports); prints the result path. */
export async function runRbmCli(spec: RbmRunSpec, opts: RunOptions): Promise<void> {
  const formats = exportTargets(opts)
  const catalog = new DatasetCatalog(opts.dataDir)
  const say = stderrSay(opts.quiet)
  const progress = progressPrinter(spec.name, opts.quiet)
  let wasCancelled = false
  const result = await withSigint(
    (cancelled) =>
      runRbmSpec(spec, catalog, {
        onProgress: (fraction, done, total, message, metrics) => {
          if (metrics && typeof metrics.epoch === 'number') {
            const acc = metrics.accuracyTrain !== undefined ? ` · accuracy ${pct(metrics.accuracyTrain)} train, ${pct(metrics.accuracyHeldOut)} held out` : ''
            say(
              `\r${spec.name}: epoch ${metrics.epoch}/${spec.model.epochs}: reconstruction error ${metrics.reconstructionError!.toFixed(4)} · ` +
                `${spec.model.visibleUnits === 'bernoulli' ? 'PLL' : 'metric error'} ${metrics.pseudoLikelihood!.toFixed(2)} · F train ${metrics.freeEnergyTrain!.toFixed(2)}${acc}\n`
            )
            return
          }
          progress(fraction, done, total, message)
        },
        shouldCancel: () => (wasCancelled = cancelled())
      }, dirname(resolve(opts.specPath))),
    'run cancelled before the first epoch finished'
  )
  if (wasCancelled && result.rbm.partial) say(`${spec.name}: cancelled; keeping the ${result.rbm.history.length} finished epochs (model.continueFrom with this result continues it)\n`)
  const out = writeResult(opts, spec.name, result)
  const m = result.metrics
  const info = result.rbm
  say(
    `${spec.name}: RBM ${info.visible - (info.labelUnits ?? 0)}${info.labelUnits ? ` + ${info.labelUnits} label` : ''} visible × ${info.hidden} hidden, ` +
      `${info.trainRows} train + ${info.heldOutRows} held-out rows, ${m.epochs} epochs (${m.steps} updates) in ${m.seconds.toFixed(2)} s on engine/${result.compute.provider}\n` +
      `${spec.name}: reconstruction error ${m.reconstructionError.toFixed(4)} · free energy ${m.freeEnergyTrain.toFixed(2)} train` +
      (m.freeEnergyHeldOut !== null ? `, ${m.freeEnergyHeldOut.toFixed(2)} held out` : '') +
      '\n'
  )
  if (info.classification) {
    say(`${spec.name}: accuracy ${pct(m.accuracyTrain)} train · ${pct(info.classification.accuracy)} on ${info.classification.rows} ${info.classification.split} rows (chance ${pct(1 / info.classification.classes.length)})\n`)
  }
  if (info.likelihood) {
    say(`${spec.name}: AIS log Z ${info.likelihood.logZ.toFixed(2)} · log-likelihood ${info.likelihood.train.toFixed(2)} train${info.likelihood.heldOut !== null ? `, ${info.likelihood.heldOut.toFixed(2)} held out` : ''} (nats per row)\n`)
  }
  writeExports(formats, (format) => exportRbmResult(result, format).bytes, spec.name, say)
  console.log(out)
}
