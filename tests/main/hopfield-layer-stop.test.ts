// A NaN in training stops the Hopfield layer's job: the weights of the last good epoch are kept, the model is partial
// and stopReason names the epoch, the step and the value; a NaN in the first epoch fails the job naming it. The core's
// gradient is wrapped to return a NaN loss from a chosen call on (nothing in a valid spec makes one on its own).
import { describe, expect, it, vi } from 'vitest'
import { trainHopfieldLayerJob } from '../../src/main/services/hopfield-layer'
import { hopfieldLayerModelSpecSchema } from '../../src/shared/families/hopfield-layer'

const poison = vi.hoisted(() => ({ from: Infinity, calls: 0 }))
vi.mock('../../src/core/hopfield-layer', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/hopfield-layer')>()
  return {
    ...real,
    hopfieldLayerGradients: (...args: Parameters<typeof real.hopfieldLayerGradients>) => {
      const g = real.hopfieldLayerGradients(...args)
      return ++poison.calls >= poison.from ? { ...g, loss: NaN } : g
    }
  }
})

const spec = hopfieldLayerModelSpecSchema.parse({ kind: 'hopfield-layer', task: { width: 4, height: 4, train: 40, test: 20 }, storedPatterns: 4, epochs: 5, batch: 10 })
const input = { modelId: 'm', name: 'm', spec, seed: 1, provider: 'cpu' as const, coreOnly: true }

describe('hopfield layer job: non-finite values', () => {
  it('stops at the first NaN loss, keeping the last good epoch', async () => {
    poison.calls = 0
    poison.from = Infinity
    const clean = await trainHopfieldLayerJob({ ...input, spec: { ...spec, epochs: 2 } }, {})
    // 4 steps per epoch: the 10th call is epoch 3, step 2.
    poison.calls = 0
    poison.from = 10
    const out = await trainHopfieldLayerJob(input, {})
    expect(out.info).toMatchObject({ epochsDone: 2, partial: true, stopReason: 'non-finite loss (NaN) at step 2 in epoch 3; weights kept from epoch 2' })
    expect(out.params.stored_patterns).toEqual(clean.params.stored_patterns)
    expect(out.info.history).toEqual(clean.info.history)
  })

  it('a NaN in the first epoch fails the job naming it', async () => {
    poison.calls = 0
    poison.from = 1
    await expect(trainHopfieldLayerJob(input, {})).rejects.toThrow(/non-finite loss \(NaN\) at step 1 in epoch 1/)
  })
})
