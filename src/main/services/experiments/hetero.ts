// 003 one-layer hetero-associative net: conditions, δ̄, and one-shot recall under input noise.
import { bamCodes } from '../../../core/bam-codes'
import { heteroConditions, heteroHebb, heteroRecall } from '../../../core/hetero'
import { chooseUnits, CORE_PATH, perFraction, requireData, type SweepRunner } from './common'
import { resolveCues } from './data'
import { workedHetero } from './worked'

export const runHeteroSweep: SweepRunner<'hetero'> = (ctx) => {
  const { sweep, rng, hooks } = ctx
  const data = requireData(ctx)
  // An inline dataset runs on its values as written: binary rows store W = Σ s tᵀ on 0/1 and recall with the step (003 Example (1)).
  const given = data.given
  const encoding = given?.encoding ?? 'bipolar'
  const xs = given ? given.patterns : data.stored
  let ys: Int8Array[]
  if (sweep.codes === 'dataset') {
    const targets = given ? given.targets : data.targets
    if (!targets) throw new Error("spec.sweep.codes: this dataset has no Y side; use 'binary-index' or 'one-hot'")
    ys = targets
  } else ys = bamCodes(xs.length, sweep.codes, encoding)
  const net = heteroHebb(xs, ys, { encoding })
  const conditions = heteroConditions(xs, ys)
  const points = perFraction(sweep.fractions, xs.length, sweep.cuesPerPattern, hooks, (fraction, eachCue) => {
    let success = 0
    const cues = eachCue((p) => {
      const x = xs[p]!
      const cue = Int8Array.from(x)
      for (const i of chooseUnits(x.length, Math.round(fraction * x.length), rng)) cue[i] = encoding === 'binary' ? 1 - cue[i]! : -cue[i]!
      const y = heteroRecall(net, cue).output
      if (y.every((v, j) => v === ys[p]![j])) success++
    })
    return { fraction, success: success / cues, cues }
  })
  const worked = ctx.spec.cues ? workedHetero(net, ys, resolveCues(ctx.spec, data)) : undefined
  return { compute: CORE_PATH, sweep: { type: 'hetero', inputs: net.inputs, outputs: net.outputs, conditions, points }, ...(worked ? { worked } : {}) }
}
