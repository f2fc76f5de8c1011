// The sweep summary `engram run` prints: for a run of every sweep type, the lines carry the result's own figures.
import { describe, expect, it } from 'vitest'
import { sweepSummary, table } from '../../src/cli/sweep-summary'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { runExperiment } from '../../src/main/services/experiments'
import { experimentData } from '../../src/main/services/experiments/data'
import { experimentSpecSchema, type SweepResult } from '../../src/shared/spec'

const letters = { builtin: 'letters', count: 4 } as const
const cpu = { provider: 'cpu', threads: 1 } as const
const SPECS: Record<string, object> = {
  capacity: { sweep: { type: 'capacity', units: 32, patternCounts: [2, 6], rules: ['hebb', 'storkey'], trials: 2, cuesPerPattern: 2 } },
  'dense-capacity': { sweep: { type: 'dense-capacity', units: 24, patternCounts: [4, 12], interactions: [{ kind: 'polynomial', degree: 3 }, { kind: 'exp' }], trials: 1, noise: 0.1 } },
  'gradient-flow': { sweep: { type: 'gradient-flow', weights: [[0.5]], steps: 10 } },
  delay: { sweep: { type: 'delay', task: 'first-bit', cells: ['rnn', 'gru'], delays: [2, 3], hiddenSize: 6, batch: 8, evalRows: 40, trainingSteps: 20 } },
  noise: { dataset: letters, sweep: { type: 'noise', fractions: [0, 0.3], cuesPerPattern: 3 } },
  partial: { dataset: letters, sweep: { type: 'partial', fractions: [0.1, 0.6], cuesPerPattern: 3 } },
  basins: { dataset: { builtin: 'letters', count: 2 }, sweep: { type: 'basins', trialsPerRadius: 2, maxRadius: 6 } },
  census: { dataset: { builtin: 'seeds-003-auto' }, sweep: { type: 'census' } },
  bam: { dataset: letters, sweep: { type: 'bam', fractions: [0, 0.2], cuesPerPattern: 2 } },
  hetero: { dataset: letters, sweep: { type: 'hetero', fractions: [0, 0.2], cuesPerPattern: 2 } },
  recurrent: { dataset: letters, sweep: { type: 'recurrent', fractions: [0, 0.2], cuesPerPattern: 2, maxIterations: 10 } },
  anneal: { dataset: letters, sweep: { type: 'anneal', fractions: [0.1, 0.3], cuesPerPattern: 2, schedule: { kind: 'geometric', start: 2, end: 0.05, steps: 6 } } },
  boltzmann: { dataset: { builtin: 'seeds-000-nine' }, sweep: { type: 'boltzmann', hidden: 2, mode: 'exact', epochs: 3, eta: 0.3, unseen: 0.3, cuesPerPattern: 2 } },
  beta: { dataset: letters, sweep: { type: 'beta', betas: [1e-4, 2] } },
  images: { dataset: { builtin: 'digits', count: 6 }, sweep: { type: 'images', betas: [0.01, 1] } }
}

async function run(type: string): Promise<SweepResult> {
  const spec = experimentSpecSchema.parse({ name: type, seed: 5, engine: cpu, ...SPECS[type] })
  const data = experimentData(spec, new DatasetCatalog('/nonexistent-engram-data'), 'spec')
  const result = await runExperiment(spec, data)
  return result.sweep!
}

/** The table's rows as cells (the lines after `head`, split on runs of 2+ spaces). */
function rowsOf(lines: readonly string[], head: string): string[][] {
  const at = lines.findIndex((l) => l.trim().startsWith(head))
  expect(at, `a table headed '${head}' in\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0)
  const out: string[][] = []
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('  ')) break
    out.push(l.trim().split(/ {2,}/))
  }
  return out
}
const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`)

describe('sweep summary', () => {
  it('pads a table: first column left, the rest right', () => {
    expect(table(['a', 'bb'], [['xyz', '1'], ['q', '22']])).toEqual(['  a    bb', '  xyz   1', '  q    22'])
  })

  it('capacity and dense-capacity: one row per P, one column per rule or F, each the point’s recall', async () => {
    const cap = await run('capacity')
    if (cap.type !== 'capacity') throw new Error(cap.type)
    const rows = rowsOf(sweepSummary(cap), 'patterns')
    expect(rows.map((r) => r[0])).toEqual(['P 2 (0.063)', 'P 6 (0.188)'])
    for (const p of cap.points) expect(rows[[2, 6].indexOf(p.patterns)]![1 + ['hebb', 'storkey'].indexOf(p.rule)]).toBe(pct(p.recallSuccess))
    expect(sweepSummary(cap).at(-1)).toContain(`0.138N = ${cap.theory.hebbCritical.toFixed(1)}`)

    const dense = await run('dense-capacity')
    if (dense.type !== 'dense-capacity') throw new Error(dense.type)
    const lines = sweepSummary(dense)
    expect(lines.join('\n')).toContain('  patterns   F = x³  F = exp(x)')
    const drows = rowsOf(lines, 'patterns')
    for (const p of dense.points) expect(drows[[4, 12].indexOf(p.patterns)]![p.interaction.kind === 'exp' ? 2 : 1]).toBe(pct(p.recalled))
    expect(lines.at(-1)).toContain(`n = 3: ${dense.theory.krotovHopfield[0]!.capacity.toFixed(1)}`)
  })

  it('delay: one row per cell, one column per delay; gradient flow: the norms at 0, T/2 and T', async () => {
    const d = await run('delay')
    if (d.type !== 'delay') throw new Error(d.type)
    const rows = rowsOf(sweepSummary(d), 'cell')
    expect(rows.map((r) => r[0])).toEqual(['RNN', 'GRU'])
    for (const p of d.points) expect(rows[['rnn', 'gru'].indexOf(p.cell)]![1 + [2, 3].indexOf(p.delay)]).toBe(pct(p.accuracy))
    expect(sweepSummary(d)[0]).toContain(`no memory: ${pct(d.baseline.accuracy)}`)

    const g = await run('gradient-flow')
    if (g.type !== 'gradient-flow') throw new Error(g.type)
    // W = 0.5 at h = 0: ∂h_T/∂h_t = 0.5^(T − t).
    expect(sweepSummary(g)).toEqual([`‖∂h_T/∂h_t‖ over T = 10 steps (1 unit): t = 0: ${(0.5 ** 10).toExponential(3)}, t = 5: ${(0.5 ** 5).toFixed(4)}, t = 10: 1.0000`])
    expect((0.5 ** 10).toExponential(3)).toBe('9.766e-4')
  })

  it('every other sweep type prints its points', async () => {
    for (const type of ['noise', 'partial', 'basins', 'census', 'bam', 'hetero', 'recurrent', 'anneal', 'boltzmann', 'beta', 'images']) {
      const s = await run(type)
      const lines = sweepSummary(s)
      expect(lines.length, type).toBeGreaterThan(0)
      const text = lines.join('\n')
      expect(text, type).not.toMatch(/undefined|NaN|\[object/)
      if (s.type === 'noise' || s.type === 'partial') {
        const rows = rowsOf(lines, s.type === 'noise' ? 'flipped' : 'masked')
        s.points.forEach((p, i) => expect(rows[i]!.slice(0, 2)).toEqual([pct(p.fraction), pct(p.success)]))
      } else if (s.type === 'basins') {
        expect(rowsOf(lines, 'pattern')).toEqual(s.basins.map((b) => [b.label, b.radius < 0 ? 'none' : String(b.radius)]))
      } else if (s.type === 'census') {
        for (const [k, n] of Object.entries(s.countsByKind)) expect(text).toContain(`${k} ${n}`)
      } else if (s.type === 'bam') {
        rowsOf(lines, 'noise').forEach((r, i) => expect(r.slice(0, 3)).toEqual([pct(s.points[i]!.fraction), pct(s.points[i]!.pairSuccess), pct(s.points[i]!.recallSuccess)]))
      } else if (s.type === 'hetero') {
        rowsOf(lines, 'noise').forEach((r, i) => expect(r.slice(0, 2)).toEqual([pct(s.points[i]!.fraction), pct(s.points[i]!.success)]))
      } else if (s.type === 'recurrent') {
        rowsOf(lines, 'noise').forEach((r, i) => expect(r.slice(0, 2)).toEqual([pct(s.points[i]!.fraction), pct(s.points[i]!.recovered)]))
      } else if (s.type === 'anneal') {
        rowsOf(lines, 'noise').forEach((r, i) => expect(r.slice(0, 3)).toEqual([pct(s.points[i]!.fraction), pct(s.points[i]!.annealed), pct(s.points[i]!.deterministic)]))
      } else if (s.type === 'boltzmann') {
        expect(text).toContain(`${pct(s.completion.success)} of ${s.completion.cues} cues`)
      } else if (s.type === 'beta') {
        rowsOf(lines, 'β').forEach((r, i) => expect(r.slice(1, 3)).toEqual([pct(s.points[i]!.retrieved), pct(s.points[i]!.oneStep)]))
        expect(rowsOf(lines, 'β').map((r) => r[0])).toEqual(['1.000e-4', '2.0000'])
      } else if (s.type === 'images') {
        rowsOf(lines, 'β').forEach((r, i) => expect(r[1]).toBe(pct(s.modern[i]!.retrieved)))
        expect(lines.at(-1)).toContain(`exact ${pct(s.classical.exact)}`)
      } else throw new Error(`unexpected ${s.type}`)
    }
  }, 120_000)
})
