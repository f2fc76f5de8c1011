// 003 one-layer hetero-associative net: conditions, δ̄, and one-shot recall under input noise.
import { bamCodes } from '../../../core/bam-codes'
import { heteroConditions, heteroHebb, heteroRecall } from '../../../core/hetero'
import { chooseUnits, CORE_PATH, perFraction, requireData, type SweepRunner } from './common'

export const runHeteroSweep: SweepRunner<'hetero'> = (ctx) => {
  const { sweep, rng, hooks } = ctx
  const data = requireData(ctx)
  const xs = data.stored
  let ys: Int8Array[]
  if (sweep.codes === 'dataset') {
    if (!data.targets) throw new Error("spec.sweep.codes: this dataset has no Y side; use 'binary-index' or 'one-hot'")
    ys = data.targets
  } else ys = bamCodes(xs.length, sweep.codes)
  const net = heteroHebb(xs, ys)
  const conditions = heteroConditions(xs, ys)
  const points = perFraction(sweep.fractions, xs.length, sweep.cuesPerPattern, hooks, (fraction, eachCue) => {
    let success = 0
    const cues = eachCue((p) => {
      const x = xs[p]!
      const cue = Int8Array.from(x)
      for (const i of chooseUnits(x.length, Math.round(fraction * x.length), rng)) cue[i] = -cue[i]!
      const y = heteroRecall(net, cue).output
      if (y.every((v, j) => v === ys[p]![j])) success++
    })
    return { fraction, success: success / cues, cues }
  })
  return { compute: CORE_PATH, sweep: { type: 'hetero', inputs: net.inputs, outputs: net.outputs, conditions, points } }
}
