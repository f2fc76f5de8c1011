// BAM on dataset ↔ code pairs: recall from noisy X (is Y right?) or from noisy Y alone (is X right?).
import { bamHebb, bamRecall } from '../../../core/bam'
import { bamCodes } from '../../../core/bam-codes'
import { CORE_PATH, perFraction, requireData, type SweepRunner } from './common'
import { resolveCues } from './data'
import { workedBam } from './worked'

export const runBamSweep: SweepRunner<'bam'> = (ctx) => {
  const { sweep, rng, hooks } = ctx
  const data = requireData(ctx)
  const enc = sweep.bam.encoding
  const toEnc = (p: Int8Array): Int8Array => (enc === 'binary' ? p.map((v) => (v === 1 ? 1 : 0)) : Int8Array.from(p))
  const xs = data.stored.map(toEnc)
  let ys: Int8Array[]
  if (sweep.bam.codes === 'dataset') {
    if (!data.targets) throw new Error("spec.sweep.bam.codes: this dataset has no Y side; use 'binary-index' or 'one-hot'")
    ys = data.targets.map(toEnc)
  } else {
    ys = bamCodes(xs.length, sweep.bam.codes, enc)
  }
  const net = bamHebb(xs, ys, enc)
  const stored = { inputs: xs, targets: ys }
  const flipTo = (p: Int8Array, k: number): Int8Array => {
    const out = Int8Array.from(p)
    for (const i of rng.permutation(p.length).subarray(0, k)) out[i] = enc === 'binary' ? 1 - out[i]! : -out[i]!
    return out
  }
  const equal = (a: Int8Array, b: Int8Array): boolean => a.every((v, i) => v === b[i])
  const points = perFraction(sweep.fractions, xs.length, sweep.cuesPerPattern, hooks, (fraction, eachCue) => {
    let pair = 0
    let recall = 0
    let spurious = 0
    let halfSteps = 0
    const cues = eachCue((p) => {
      const x = xs[p]!
      const cue = sweep.cue === 'x' ? { x: flipTo(x, Math.round(fraction * net.xUnits)) } : { y: flipTo(ys[p]!, Math.round(fraction * net.yUnits)) }
      const r = bamRecall(net, cue, { maxIterations: sweep.maxIterations, stored, ...(sweep.first && sweep.first !== 'auto' ? { first: sweep.first } : {}) })
      const xOk = equal(r.x, x)
      const yOk = equal(r.y, ys[p]!)
      if (xOk && yOk) pair++
      if (sweep.cue === 'x' ? yOk : xOk) recall++
      if (r.spurious) spurious++
      halfSteps += r.halfSteps
    })
    return { fraction, pairSuccess: pair / cues, recallSuccess: recall / cues, spurious: spurious / cues, meanHalfSteps: halfSteps / cues, cues }
  })
  const worked = ctx.spec.cues ? workedBam(net, stored, resolveCues(ctx.spec, data), sweep.first ?? 'auto', sweep.maxIterations) : undefined
  return { compute: CORE_PATH, sweep: { type: 'bam', xUnits: net.xUnits, yUnits: net.yUnits, cue: sweep.cue, points }, ...(worked ? { worked } : {}) }
}
