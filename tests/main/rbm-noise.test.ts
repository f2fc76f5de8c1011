// RBM training with in-graph noise (spec noise 'graph'): the same spec and seed give the same run; it is a different
// (but equally valid) sample path from the core-fed noise; it learns as well.
import { describe, expect, it } from 'vitest'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { graphNoiseSeed, trainRbmJob } from '../../src/main/services/rbm'
import { rbmModelSpecSchema } from '../../src/shared/spec'

const catalog = new DatasetCatalog(null)
const dataset = { builtin: 'digits' as const, count: 300, threshold: 0.5 }
const data = catalog.greyRows(dataset, 'dataset')

async function train(noise: 'core' | 'graph' | undefined, seed = 4) {
  const spec = rbmModelSpecSchema.parse({ kind: 'rbm', hidden: 24, epochs: 2, batchSize: 25, learningRate: 0.1, ...(noise ? { noise } : {}) })
  return trainRbmJob({ modelId: 'm', name: 'n', dataset, spec, seed, data, engine: { provider: 'cpu' } })
}

describe("RBM noise 'graph'", () => {
  it('is reproducible for the same spec and seed, differs from core noise, and learns', async () => {
    const a = await train('graph')
    const b = await train('graph')
    expect(Array.from(b.tensors.weights!.data as Float32Array)).toEqual(Array.from(a.tensors.weights!.data as Float32Array))
    expect(b.info.history.map((h) => h.reconstructionError)).toEqual(a.info.history.map((h) => h.reconstructionError))
    const core = await train(undefined)
    expect(Array.from(core.tensors.weights!.data as Float32Array)).not.toEqual(Array.from(a.tensors.weights!.data as Float32Array))
    // Another seed, another path.
    const other = await train('graph', 5)
    expect(Array.from(other.tensors.weights!.data as Float32Array)).not.toEqual(Array.from(a.tensors.weights!.data as Float32Array))
    // Learning: the reconstruction error falls, and lands close to the core-noise run's.
    const [e1, e2] = a.info.history.map((h) => h.reconstructionError)
    expect(e2!).toBeLessThan(e1!)
    expect(Math.abs(e2! - core.info.history[1]!.reconstructionError)).toBeLessThan(0.1 * core.info.history[1]!.reconstructionError)
  })

  it('keeps the in-graph seed an exact float32 below 2^24', () => {
    for (const s of [0, 1, 2 ** 32 - 1, 123456789]) {
      const g = graphNoiseSeed(s)
      expect(Number.isInteger(g)).toBe(true)
      expect(g).toBeLessThan(2 ** 24 - 200_000)
      expect(Math.fround(g + 1009 * 3 + 17 * 90)).toBe(g + 1009 * 3 + 17 * 90)
    }
    expect(graphNoiseSeed(1)).not.toBe(graphNoiseSeed(2))
  })
})
