// The measured figures of docs/recurrent.md's "Stateful truncated BPTT": the same model, data, T, batch and steps
// trained stateless (independent windows from a zero state) and stateful (B streams, the state carried across windows),
// on the engine through the app's jobs, for several seeds. Not a timing benchmark.
// Char-LM (a synthetic text with structure longer than T; the sonnets): loss (nats per character) on the same evaluation windows read cold (zero state, T characters of context)
// and warm (after the 4T characters before them); forecast: each model's own held-out RMSE (the stateful one reads each
// validation window after the 4T values before it).
// Run: npx tsx scripts/recurrent-stateful-figures.ts [--quick]
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { evalWarmup, recurrentEvalLoss, recurrentNetFromTensors, textTokens, trainRecurrentJob } from '../src/main/services/recurrent'
import { trainRecurrentTaskJob } from '../src/main/services/recurrent-task'
import { Rng } from '../src/core/rng'
import { recurrentModelSpecSchema } from '../src/shared/families/recurrent'

const quick = process.argv.includes('--quick')
const seeds = quick ? [1] : [1, 2, 3]
const text = readFileSync(join(import.meta.dirname, '..', 'resources', 'corpora', 'sonnets.txt'), 'utf8')

// A text whose structure is longer than T: lines 'c..........c' (a random letter of ten, ten dots, the same letter).
// With T 8 no window holds both letters of a line: a stateless model can only guess the closing letter (ln 10 nats),
// a stateful one can carry it. Ideal loss per character: 2·ln 10 / 13 = 0.354 (guessing both letters), ln 10 / 13 = 0.177
// (guessing the opening one only).
{
  const rng = new Rng(7)
  const recall = Array.from({ length: 800 }, () => {
    const c = 'abcdefghij'[rng.int(10)]!
    return `${c}${'.'.repeat(10)}${c}\n`
  }).join('')
  console.log('Char-LM on a text with structure longer than T (800 lines of 13 characters), H 32, E 8, T 8, batch 16, Adam lr 0.01 (nats per character, per seed)\n')
  console.log('| cell | steps | training | eval, cold (zero state) | eval, warm (after 4T characters) |')
  console.log('|---|---|---|---|---|')
  for (const cell of ['lstm', 'gru'] as const) {
    for (const stateful of [false, true]) {
      const cold: string[] = []
      const warmed: string[] = []
      for (const seed of seeds) {
        const spec = recurrentModelSpecSchema.parse({ kind: 'recurrent', cell, hiddenSize: 32, embeddingSize: 8, sequenceLength: 8, batch: 16, steps: quick ? 300 : 1500, learningRate: 0.01, stateful })
        const { vocab, tokens } = textTokens('recall', recall, 8, 'text', 'sequenceLength')
        const { info, tensors } = await trainRecurrentJob({ modelId: 'f', name: 'f', spec, seed, textName: 'recall', vocab, tokens, provider: 'cpu', threads: 1 }, {})
        const net = recurrentNetFromTensors(info, (n) => tensors[n]!)
        cold.push(recurrentEvalLoss(net, tokens, 8, 64).toFixed(3))
        warmed.push(recurrentEvalLoss(net, tokens, 8, 64, evalWarmup(tokens.length, 8)).toFixed(3))
      }
      console.log(`| ${cell.toUpperCase()} | ${quick ? 300 : 1500} | ${stateful ? 'stateful' : 'stateless'} | ${cold.join(' · ')} | ${warmed.join(' · ')} |`)
    }
  }
  console.log('')
}

const lmRows = [
  { cell: 'lstm', T: 8, steps: quick ? 300 : 1500 },
  { cell: 'gru', T: 8, steps: quick ? 300 : 1500 }
] as const
console.log('Char-LM on the shipped sonnets (5,533 characters: these models learn them by heart), H 128, E 16, batch 32, Adam lr 0.005, clip 5 (loss in nats per character, per seed)\n')
console.log('| cell | T | steps | training | eval, cold (zero state) | eval, warm (after 4T characters) |')
console.log('|---|---|---|---|---|---|')
for (const row of lmRows) {
  for (const stateful of [false, true]) {
    const cold: string[] = []
    const warmed: string[] = []
    for (const seed of seeds) {
      const spec = recurrentModelSpecSchema.parse({ kind: 'recurrent', cell: row.cell, hiddenSize: 128, embeddingSize: 16, sequenceLength: row.T, batch: 32, steps: row.steps, learningRate: 0.005, stateful })
      const { vocab, tokens } = textTokens('sonnets', text, row.T, 'text', 'sequenceLength')
      const { info, tensors } = await trainRecurrentJob({ modelId: 'f', name: 'f', spec, seed, textName: 'sonnets', vocab, tokens, provider: 'cpu', threads: 1 }, {})
      const net = recurrentNetFromTensors(info, (n) => tensors[n]!)
      cold.push(recurrentEvalLoss(net, tokens, row.T, 32).toFixed(3))
      warmed.push(recurrentEvalLoss(net, tokens, row.T, 32, evalWarmup(tokens.length, row.T)).toFixed(3))
    }
    console.log(`| ${row.cell.toUpperCase()} | ${row.T} | ${row.steps} | ${stateful ? 'stateful' : 'stateless'} | ${cold.join(' · ')} | ${warmed.join(' · ')} |`)
  }
}

console.log('\nForecast, Mackey-Glass τ 17 (1500 points), horizon 5, H 16, batch 8, Adam lr 0.01 (validation RMSE per seed)\n')
console.log('| cell | window T | steps | training | held-out RMSE | persistence |')
console.log('|---|---|---|---|---|---|')
for (const cell of ['lstm', 'gru'] as const) {
  for (const T of [4]) {
    for (const stateful of [false, true]) {
      const scores: string[] = []
      let persistence = ''
      for (const seed of seeds) {
        const spec = recurrentModelSpecSchema.parse({ kind: 'recurrent', cell, hiddenSize: 16, sequenceLength: T, batch: 8, steps: quick ? 200 : 600, learningRate: 0.01, stateful, task: { kind: 'forecast', series: { type: 'mackey-glass' }, horizon: 5 } })
        const { info } = await trainRecurrentTaskJob({ modelId: 'f', name: 'f', spec: { ...spec, task: spec.task! }, seed, provider: 'cpu', threads: 1 }, {})
        const r = info.taskResult!
        if (r.kind !== 'forecast') throw new Error('not a forecast')
        scores.push(r.rmse.toFixed(4))
        persistence = r.persistence.rmse.toFixed(4)
      }
      console.log(`| ${cell.toUpperCase()} | ${T} | ${quick ? 200 : 600} | ${stateful ? 'stateful' : 'stateless'} | ${scores.join(' · ')} | ${persistence} |`)
    }
  }
}
