// Binary {0, 1} Hopfield nets, thresholds and external input in recall experiments: the engine (batched,
// synchronous) and the core give the same outcomes, and the sweeps run binary nets on the core.
import { describe, expect, it } from 'vitest'
import { runExperiment } from '../../src/main/services/experiments'
import { trainHopfield } from '../../src/main/services/hopfield'
import { experimentSpecSchema } from '../../src/shared/spec'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { drawCues } from '../../src/core/corrupt'
import { matchStored, recallSyncBatch, toEncoding } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'

const catalog = new DatasetCatalog(null)
// A, C, I, V: the letters a Hebb net keeps as fixed points.
const d = catalog.resolve({ builtin: 'letters', select: [0, 2, 8, 21], threshold: 0.5 })
const data = { stored: d.patterns, labels: d.labels, width: d.summary.width, height: d.summary.height }

describe('binary nets in recall experiments', () => {
  for (const external of ['none', 'cue'] as const) {
    it(`synchronous engine recall with external '${external}' equals core recallSyncBatch cue by cue`, async () => {
      const spec = experimentSpecSchema.parse({
        name: 'binary',
        seed: 9,
        dataset: { builtin: 'letters', select: [0, 2, 8, 21] },
        model: { kind: 'hopfield', encoding: 'binary', threshold: 0.5 },
        recall: { mode: 'sync', corruption: { type: 'flip', fraction: 0.15 }, cuesPerPattern: 6, maxSweeps: 30, external }
      })
      const r = await runExperiment(spec, data)
      expect(r.compute.path).toBe('engine')
      const { net } = trainHopfield(data.stored, spec.model, spec.seed)
      expect(net.encoding).toBe('binary')
      expect(Array.from(net.thresholds).every((t) => t === 0.5)).toBe(true)
      const stored = data.stored.map((p) => toEncoding(p, 'binary'))
      const { cues, sources } = drawCues(stored, spec.recall.corruption, 6, data.width, data.height, new Rng(9), 'binary')
      const core = recallSyncBatch(net, cues, sources.length, 30, external === 'cue' ? cues : undefined)
      const n = net.units
      const expected = Array.from(sources, (s, c) => matchStored(core.final.subarray(c * n, (c + 1) * n), stored) === s)
      expect(r.outcomes!.map((o) => o.success)).toEqual(expected)
      expect(r.outcomes!.map((o) => o.iterations)).toEqual(Array.from(core.iterations))
      // Traces: the first traceCount cues' runs, overlaps in the net's {0, 1} encoding, m = (1/N) Σ (2y−1)(2ξ−1),
      // checked against the synchronous rule written out here (h = Wy + x, ties keep the state, stop at a fixed
      // point or a 2-cycle). Overlap with the cue's own pattern ends at 1 exactly when the outcome is a success.
      expect(r.traces!).toHaveLength(Math.min(spec.recall.traceCount, sources.length))
      const m = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
        let sum = 0
        for (let i = 0; i < n; i++) sum += (2 * a[i]! - 1) * (2 * b[i]! - 1)
        return sum / n
      }
      r.traces!.forEach((trace, c) => {
        const cue = cues.subarray(c * n, (c + 1) * n)
        const states = [Array.from(cue)]
        for (let step = 0; step < 30; step++) {
          const y = states[states.length - 1]!
          const next = y.map((yi, i) => {
            let h = external === 'cue' ? cue[i]! : 0
            for (let j = 0; j < n; j++) h += net.weights[i * n + j]! * y[j]!
            return h > 0.5 ? 1 : h < 0.5 ? 0 : yi
          })
          if (next.every((v, i) => v === y[i])) break
          states.push(next)
          if (states.length >= 3 && next.every((v, i) => v === states[states.length - 3]![i])) break
        }
        expect(trace.pattern).toBe(sources[c])
        expect(trace.overlaps).toHaveLength(states.length)
        trace.overlaps.forEach((row, t) => row.forEach((o, p) => expect(o).toBeCloseTo(m(states[t]!, stored[p]!), 12)))
        expect(trace.overlaps[trace.overlaps.length - 1]![sources[c]!] === 1).toBe(expected[c])
      })
      // The 15 % flips leave something to repair: some traced run takes steps.
      expect(r.traces!.some((t) => t.overlaps.length > 1)).toBe(true)
    })
  }

  it('a binary net with θ_i = ½ Σ_j w_ij recalls exactly as the bipolar net (h − θ is half the bipolar field)', async () => {
    // Σ_j w_ij y_j − ½ Σ_j w_ij = ½ Σ_j w_ij (2y_j − 1): same signs, same ties, so the same asynchronous run.
    const { net } = trainHopfield(data.stored, { kind: 'hopfield', rule: 'hebb', normalisation: 'none' })
    const n = net.units
    const half = Array.from({ length: n }, (_, i) => {
      let row = 0
      for (let j = 0; j < n; j++) row += net.weights[i * n + j]!
      return row / 2
    })
    const base = {
      name: 'equivalence',
      seed: 4,
      dataset: { builtin: 'letters', select: [0, 2, 8, 21] },
      recall: { mode: 'async', corruption: { type: 'flip', fraction: 0.2 }, cuesPerPattern: 5 }
    }
    const bipolar = await runExperiment(experimentSpecSchema.parse({ ...base, model: { kind: 'hopfield' } }), data)
    const binary = await runExperiment(experimentSpecSchema.parse({ ...base, model: { kind: 'hopfield', encoding: 'binary', threshold: half } }), data)
    expect(binary.compute.path).toBe('core')
    expect(binary.outcomes!.map((o) => [o.success, o.iterations, o.hammingFinal])).toEqual(bipolar.outcomes!.map((o) => [o.success, o.iterations, o.hammingFinal]))
    expect(bipolar.metrics!.successRate).toBeGreaterThan(0.5)
    // Plain θ = 0 on {0, 1} states is a different (and here worse) net.
    const plain = await runExperiment(experimentSpecSchema.parse({ ...base, model: { kind: 'hopfield', encoding: 'binary' } }), data)
    expect(plain.metrics!.successRate).toBeLessThan(bipolar.metrics!.successRate)
  })

  it('noise sweep on a binary net runs on the core and starts from the fixed points', async () => {
    const spec = experimentSpecSchema.parse({
      name: 'binary noise',
      seed: 2,
      dataset: { builtin: 'letters', select: [0, 2, 8, 21] },
      model: { kind: 'hopfield', encoding: 'binary' },
      sweep: { type: 'noise', fractions: [0, 0.3], cuesPerPattern: 4, recall: { mode: 'sync', maxSweeps: 30 } }
    })
    const r = await runExperiment(spec, data)
    expect(r.compute.path).toBe('core')
    const { net } = trainHopfield(data.stored, spec.model, 2)
    const fixed = data.stored.filter((p) => {
      const y = toEncoding(p, 'binary')
      return recallSyncBatch(net, y, 1, 1).iterations[0] === 0
    }).length
    if (r.sweep?.type !== 'noise') throw new Error('expected a noise sweep')
    expect(r.sweep.points[0]!.success).toBe(fixed / 4)
    const anneal = experimentSpecSchema.parse({ ...spec, sweep: { type: 'anneal', fractions: [0.1], cuesPerPattern: 1 } })
    await expect(runExperiment(anneal, data)).rejects.toThrow(/spec\.model\.encoding: the anneal sweep runs on bipolar states/)
  })
})
