// The 003 classics in the experiment spec: hetero-associative conditions and the recurrent auto-associator.
import { describe, expect, it } from 'vitest'
import { runExperiment } from '../../src/main/services/experiments'
import { experimentSpecSchema } from '../../src/shared/spec'
import { DatasetCatalog } from '../../src/main/services/datasets'

const catalog = new DatasetCatalog(null)
function data(builtin: 'seeds-003-auto' | 'seeds-003-bam', pairs = false) {
  const d = catalog.resolve({ builtin, threshold: 0.5 })
  return { stored: d.patterns, labels: d.labels, width: d.summary.width, height: d.summary.height, ...(pairs ? { targets: catalog.pairTargets({ builtin, threshold: 0.5 }, d.indices) } : {}) }
}

describe('003 classics as sweeps', () => {
  it('recurrent auto-associator: every cue with three of four components missing comes back to (1,1,1,−1)', async () => {
    const spec = experimentSpecSchema.parse({
      name: 'rec',
      seed: 1,
      dataset: { builtin: 'seeds-003-auto' },
      model: { kind: 'hopfield' },
      sweep: { type: 'recurrent', corruption: 'missing', fractions: [0.75], cuesPerPattern: 12 }
    })
    const r = await runExperiment(spec, data('seeds-003-auto'))
    if (r.sweep?.type !== 'recurrent') throw new Error('expected a recurrent sweep')
    expect(r.sweep.points[0]).toMatchObject({ recovered: 1, storedMatch: 1, repeat: 0, cues: 12 })
    // Two mistakes (half flipped) never come back: 003's (−1,−1,1,1) case stops on a repeat.
    const flip = await runExperiment({ ...spec, sweep: { ...spec.sweep!, corruption: 'flip', fractions: [0.5] } as never }, data('seeds-003-auto'))
    if (flip.sweep?.type !== 'recurrent') throw new Error('expected a recurrent sweep')
    expect(flip.sweep.points[0]!.recovered).toBe(0)
  })

  it('hetero-associative net on the BAM letters: recall at no noise, conditions and δ̄ reported', async () => {
    const spec = experimentSpecSchema.parse({
      name: 'het',
      seed: 2,
      dataset: { builtin: 'seeds-003-bam' },
      model: { kind: 'hopfield' },
      sweep: { type: 'hetero', codes: 'dataset', fractions: [0], cuesPerPattern: 3 }
    })
    const r = await runExperiment(spec, data('seeds-003-bam', true))
    if (r.sweep?.type !== 'hetero') throw new Error('expected a hetero sweep')
    expect(r.sweep).toMatchObject({ inputs: 15, outputs: 2 })
    expect(r.sweep.points[0]).toMatchObject({ success: 1, cues: 6 })
    // A and C share 8 of 15 components: not orthogonal (A·C = 1), so 003's sufficient conditions fail.
    expect(r.sweep.conditions.allOrthogonal).toBe(false)
    expect(r.sweep.conditions.minNormSquared).toBe(15)
    expect(r.sweep.conditions.boundApplies).toBe(false)
  })
})

describe('Boltzmann machine sweep (004)', () => {
  it('learns the 9-neuron pattern of seed 000 by exact maximum likelihood and completes it from 2/3 of its pixels', async () => {
    const spec = experimentSpecSchema.parse({
      name: 'bm',
      seed: 4,
      dataset: { builtin: 'seeds-000-nine' },
      model: { kind: 'hopfield' },
      sweep: { type: 'boltzmann', hidden: 2, mode: 'exact', epochs: 150, eta: 0.5, unseen: 0.33, cuesPerPattern: 6 }
    })
    const d = catalog.resolve({ builtin: 'seeds-000-nine', threshold: 0.5 })
    const r = await runExperiment(spec, { stored: d.patterns, labels: d.labels, width: 3, height: 3 })
    if (r.sweep?.type !== 'boltzmann') throw new Error('expected a Boltzmann sweep')
    const ll = r.sweep.history.map((h) => h.logLikelihood!)
    // Exact log-likelihood of the one training pattern rises from about −9 ln 2 towards 0.
    expect(ll[0]!).toBeLessThan(-5)
    expect(ll.at(-1)!).toBeGreaterThan(ll[0]! + 4)
    expect(r.sweep.patternProbabilities![0]!).toBeGreaterThan(0.5)
    expect(r.sweep.completion.success).toBeGreaterThan(0.8)
    // Too big to enumerate: named error.
    const big = experimentSpecSchema.parse({ ...spec, dataset: { builtin: 'letters', count: 2 } })
    const l = catalog.resolve({ builtin: 'letters', count: 2, threshold: 0.5 })
    await expect(runExperiment(big, { stored: l.patterns, labels: l.labels, width: 10, height: 10 })).rejects.toThrow(/spec\.sweep\.mode: exact statistics/)
  })
})
