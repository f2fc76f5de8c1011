import { it } from 'vitest'
import { trainRecurrentTaskJob } from '../src/main/services/recurrent-task'
import { recurrentModelSpecSchema } from '../src/shared/families/recurrent'
it('try', async () => {
  for (const [cell, T, lr, H, steps] of [['lstm', 4, 0.02, 16, 600], ['lstm', 6, 0.02, 16, 1000], ['gru', 6, 0.02, 16, 1000], ['rnn', 6, 0.02, 16, 1000]] as const) {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const spec = recurrentModelSpecSchema.parse({ kind: 'recurrent', cell, hiddenSize: H, sequenceLength: T, batch: 32, steps, learningRate: lr, embeddingSize: 4, task: { kind: 'classify', source: { type: 'parity' } } }) as any
      const { info } = await trainRecurrentTaskJob({ modelId: 'x', name: 'p', spec, seed, provider: 'cpu' }, {})
      const r = info.taskResult as any
      console.log('RES', cell, T, lr, H, steps, seed, r.accuracy)
    }
  }
}, 900_000)
