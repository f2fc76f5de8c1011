// Figures of Hopfield pooling (the Hopfield layer's pooling mode, docs/hopfield-layer.md): held-out accuracy on the
// key-instance bags beside mean pooling trained on the same minibatches with the same Adam, over seeds, with the mean
// attention the key gets; harder variants; the engine against the float64 core.
//
// Run: npx tsx bench/hopfield-pooling.ts [--seeds 10] [--out bench/results/hopfield-pooling.json]
// Every number comes from the app's own training job (trainHopfieldPoolingJob) on specs parsed by the family's schema.
import { resolve } from 'node:path'
import { trainHopfieldPoolingJob } from '../src/main/services/hopfield-pooling'
import { hopfieldLayerModelSpecSchema } from '../src/shared/families/hopfield-layer'
import { argValue, median, ROOT, run, writeRecord } from './common'

const SEEDS = Number(argValue('--seeds', '10'))
const OUT = resolve(ROOT, argValue('--out', 'bench/results/hopfield-pooling.json'))

interface Row {
  label: string
  spec: Record<string, unknown>
  pooling: number[]
  mean: number[]
  keyAttention: number[]
  seconds: number[]
}

async function accuracies(label: string, spec: Record<string, unknown>, coreOnly = false): Promise<Row> {
  const parsed = hopfieldLayerModelSpecSchema.parse({ kind: 'hopfield-layer', mode: 'pooling', epochs: 30, ...spec })
  const row: Row = { label, spec, pooling: [], mean: [], keyAttention: [], seconds: [] }
  for (let seed = 1; seed <= SEEDS; seed++) {
    const t0 = performance.now()
    const { info } = await trainHopfieldPoolingJob({ modelId: label, name: label, spec: parsed, seed, provider: 'cpu', threads: 1, coreOnly }, {})
    row.seconds.push((performance.now() - t0) / 1000)
    row.pooling.push(info.testAccuracy)
    row.mean.push(info.baseline.testAccuracy)
    row.keyAttention.push(info.history.at(-1)!.keyAttention!)
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const pct = (xs: number[]) => `${(100 * avg(xs)).toFixed(1)} (${(100 * Math.min(...xs)).toFixed(1)}–${(100 * Math.max(...xs)).toFixed(1)})`
  console.log(`| ${label} | ${pct(row.pooling)} | ${pct(row.mean)} | ${avg(row.keyAttention).toFixed(2)} | ${median(row.seconds).toFixed(2)} s |`)
  return row
}

run(async () => {
  const rows: Row[] = []
  console.log(`\nHeld-out accuracy, % (mean, min–max over seeds 1–${SEEDS}); mean key attention; median time per run (cpu, 1 thread)\n`)
  console.log('| spec | Hopfield pooling | mean pooling | key attention | time |\n|---|---|---|---|---|')
  rows.push(await accuracies('default: d 16, bags of 4–12, σ 0.5, 400 bags, 30 epochs, engine', {}))
  rows.push(await accuracies('default on the core (float64)', {}, true))
  rows.push(await accuracies('bags of 8–32', { bags: { minBag: 8, maxBag: 32 } }))
  rows.push(await accuracies('σ 1', { bags: { noise: 1 } }))
  rows.push(await accuracies('d 32', { bags: { size: 32 } }))
  rows.push(await accuracies('d 8', { bags: { size: 8 } }))
  writeRecord(OUT, { seeds: SEEDS, rows })
})
