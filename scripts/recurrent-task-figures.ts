// The measured figures of docs/recurrent.md's "Sequence tasks": each task trained on the engine (the app's job,
// trainRecurrentTaskJob) for several seeds and cells, its held-out score against its baseline. Not a timing benchmark.
// Run: npx tsx scripts/recurrent-task-figures.ts [--quick]
import { trainRecurrentTaskJob } from '../src/main/services/recurrent-task'
import { recurrentModelSpecSchema, type RecurrentInfo } from '../src/shared/families/recurrent'

type Row = { label: string; model: Record<string, unknown>; seeds: number[] }
const quick = process.argv.includes('--quick')
const cells = ['lstm', 'gru', 'rnn'] as const
const seeds = quick ? [1] : [1, 2, 3]
const token = { hiddenSize: 16, embeddingSize: 4, batch: 32, learningRate: 0.02 }
const rows: Row[] = [
  ...cells.flatMap((cell) => [4, 8].map((T) => ({ label: `parity, many-to-one, T ${T}, 1000 steps`, model: { ...token, cell, sequenceLength: T, steps: 1000, task: { kind: 'classify', source: { type: 'parity' } } }, seeds }))),
  ...cells.flatMap((cell) => [8, 16].map((T) => ({ label: `parity so far, many-to-many, T ${T}, 600 steps`, model: { ...token, cell, sequenceLength: T, steps: 600, task: { kind: 'tag', source: { type: 'parity' } } }, seeds }))),
  ...cells.map((cell) => ({ label: 'Reber grammar, T 24, 300 steps', model: { ...token, cell, sequenceLength: 24, steps: 300, task: { kind: 'classify', source: { type: 'reber' } } }, seeds })),
  ...cells.map((cell) => ({ label: 'embedded Reber grammar, T 24, 1500 steps', model: { ...token, cell, sequenceLength: 24, steps: 1500, task: { kind: 'classify', source: { type: 'reber', embedded: true } } }, seeds })),
  ...cells.map((cell) => ({ label: 'adding problem, T 20, 2000 steps, H 32', model: { cell, hiddenSize: 32, batch: 32, learningRate: 0.005, sequenceLength: 20, steps: 2000, task: { kind: 'classify', source: { type: 'adding' } } }, seeds })),
  ...cells.map((cell) => ({ label: 'noisy sine (noise 0.1), window 20, horizon 5, 300 steps', model: { cell, hiddenSize: 16, batch: 32, learningRate: 0.01, sequenceLength: 20, steps: 300, task: { kind: 'forecast', series: { type: 'sine' }, horizon: 5 } }, seeds })),
  ...cells.map((cell) => ({ label: 'Mackey-Glass τ 17, window 20, horizon 5, 300 steps', model: { cell, hiddenSize: 16, batch: 32, learningRate: 0.01, sequenceLength: 20, steps: 300, task: { kind: 'forecast', series: { type: 'mackey-glass' }, horizon: 5 } }, seeds }))
]

const fmt = (r: NonNullable<RecurrentInfo['taskResult']>): { score: string; baseline: string } => {
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`
  if (r.kind === 'classify') return { score: pct(r.accuracy), baseline: pct(r.baseline.accuracy) }
  if (r.kind === 'tag') return { score: `${pct(r.accuracy)} (last step ${pct(r.lastStepAccuracy)})`, baseline: pct(r.baseline.accuracy) }
  if (r.kind === 'regress') return { score: pct(r.accuracy), baseline: pct(r.baseline.accuracy) }
  return { score: `RMSE ${r.rmse.toFixed(4)}`, baseline: `RMSE ${r.persistence.rmse.toFixed(4)}` }
}

console.log('| task | cell | held-out score per seed | baseline |')
console.log('|---|---|---|---|')
for (const row of rows) {
  const scores: string[] = []
  let baseline = ''
  for (const seed of row.seeds) {
    const spec = recurrentModelSpecSchema.parse({ kind: 'recurrent', ...row.model })
    const { info } = await trainRecurrentTaskJob({ modelId: 'figures', name: row.label, spec: { ...spec, task: spec.task! }, seed, provider: 'cpu', threads: 1 }, {})
    const f = fmt(info.taskResult!)
    scores.push(f.score)
    baseline = f.baseline
  }
  console.log(`| ${row.label} | ${String(row.model.cell).toUpperCase()} | ${scores.join(' · ')} | ${baseline} |`)
}
