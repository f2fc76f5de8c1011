// 003 recurrent auto-associator with its three stop rules, under missing or flipped units.
import { autoHebb, recallRecurrent } from '../../../core/auto-associative'
import { chooseUnits, CORE_PATH, perFraction, requireData, type SweepRunner } from './common'
import { resolveCues } from './data'
import { workedRecurrent } from './worked'

export const runRecurrentSweep: SweepRunner<'recurrent'> = (ctx) => {
  const { sweep, rng, hooks } = ctx
  const data = requireData(ctx)
  const stored = data.stored
  const net = autoHebb(stored, { modified: sweep.modified })
  const points = perFraction(sweep.fractions, stored.length, sweep.cuesPerPattern, hooks, (fraction, eachCue) => {
    let recovered = 0
    let storedMatch = 0
    let repeat = 0
    let limit = 0
    let iterations = 0
    const cues = eachCue((pi) => {
      const p = stored[pi]!
      const cue = Int8Array.from(p)
      for (const i of chooseUnits(p.length, Math.round(fraction * p.length), rng)) cue[i] = sweep.corruption === 'missing' ? 0 : -cue[i]!
      const r = recallRecurrent(net, cue, { stored, maxIterations: sweep.maxIterations, activation: sweep.activation })
      if (r.outcome === 'stored-match') {
        storedMatch++
        if (r.storedIndex === pi) recovered++
      } else if (r.outcome === 'repeat') repeat++
      else limit++
      iterations += r.steps.length
    })
    return { fraction, recovered: recovered / cues, storedMatch: storedMatch / cues, repeat: repeat / cues, maxIterations: limit / cues, meanIterations: iterations / cues, cues }
  })
  const worked = ctx.spec.cues ? workedRecurrent(net, stored, resolveCues(ctx.spec, data), sweep.activation, sweep.maxIterations) : undefined
  return { compute: CORE_PATH, sweep: { type: 'recurrent', points }, ...(worked ? { worked } : {}) }
}
