// Figures of the trainable Hopfield layer (docs/hopfield-layer.md): held-out accuracy of the layer beside the linear
// baseline trained on the same minibatches with the same Adam, over seeds; accuracy against the number of stored
// patterns P; harder tasks; and the training time on the engine and on the core, at the default size and a large one.
//
// Run: npx tsx bench/hopfield-layer.ts [--seeds 10] [--out bench/results/hopfield-layer.json]
// Every number comes from the app's own training job (trainHopfieldLayerJob) on specs parsed by the family's schema.
import { resolve } from 'node:path'
import { trainHopfieldLayerJob } from '../src/main/services/hopfield-layer'
import { hopfieldLayerModelSpecSchema } from '../src/shared/families/hopfield-layer'
import { argValue, median, ROOT, run, writeRecord } from './common'

const SEEDS = Number(argValue('--seeds', '10'))
const OUT = resolve(ROOT, argValue('--out', 'bench/results/hopfield-layer.json'))

interface Row {
  label: string
  spec: Record<string, unknown>
  layer: number[]
  linear: number[]
  seconds: number[]
}

async function accuracies(label: string, spec: Record<string, unknown>, coreOnly = false, seeds = SEEDS): Promise<Row> {
  const parsed = hopfieldLayerModelSpecSchema.parse({ kind: 'hopfield-layer', ...spec })
  const row: Row = { label, spec, layer: [], linear: [], seconds: [] }
  for (let seed = 1; seed <= seeds; seed++) {
    const t0 = performance.now()
    const { info } = await trainHopfieldLayerJob({ modelId: label, name: label, spec: parsed, seed, provider: 'cpu', threads: 1, coreOnly }, {})
    row.seconds.push((performance.now() - t0) / 1000)
    row.layer.push(info.testAccuracy)
    row.linear.push(info.baseline.testAccuracy)
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const pct = (x: number) => `${(100 * x).toFixed(1)}`
  console.log(
    `| ${label} | ${pct(mean(row.layer))} (${pct(Math.min(...row.layer))}–${pct(Math.max(...row.layer))}) | ${pct(mean(row.linear))} (${pct(Math.min(...row.linear))}–${pct(Math.max(...row.linear))}) | ${median(row.seconds).toFixed(2)} s |`
  )
  return row
}

run(async () => {
  const rows: Row[] = []
  console.log(`\nHeld-out accuracy, % (mean, min–max over seeds 1–${SEEDS}); median training time per run on the engine (cpu, 1 thread)\n`)
  console.log('| spec | Hopfield layer | linear baseline | time |\n|---|---|---|---|')
  rows.push(await accuracies('default: 3 classes × 1 pair, 6×6, P 16, 40 epochs', {}))
  for (const P of [1, 2, 4, 6, 8, 32]) rows.push(await accuracies(`default, P ${P}`, { storedPatterns: P }))
  rows.push(await accuracies('4 classes × 2 pairs (16 prototypes), P 32, 60 epochs', { task: { classes: 4, pairs: 2, train: 800 }, storedPatterns: 32, epochs: 60 }))
  rows.push(await accuracies('default, noise 0.25', { task: { flip: 0.25 } }))
  rows.push(await accuracies('default on the core (float64)', {}, true))
  // The engine's size: 10×10 images, 64 prototypes, 64 stored patterns, 5,000 samples (3 seeds).
  const large = { task: { classes: 8, pairs: 4, width: 10, height: 10, train: 5000, test: 1000 }, storedPatterns: 64, epochs: 20, batch: 50, learningRate: 0.003 }
  rows.push(await accuracies('large: 8 classes × 4 pairs, 10×10, P 64, 5,000 samples, 20 epochs, lr 0.003, engine', large, false, 3))
  rows.push(await accuracies('large, core (float64)', large, true, 3))
  writeRecord(OUT, { seeds: SEEDS, rows })
})
