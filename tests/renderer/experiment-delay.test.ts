// The experiments page's long-term-dependency sweep (001/002): the form → a spec the contract accepts (no dataset,
// fields named when wrong), the form read back from a session, and the two charts (rows solved against the delay with
// the no-memory baseline; ‖∂ℓ/∂h_t‖ per step on a log axis, trained and at initialisation, colours fixed per cell).
import { describe, expect, it } from 'vitest'
import { experimentSpecSchema, type SweepResult } from '../../src/shared/spec'
import { autoName, buildExperimentSpec, defaultForm, readForm, usesSource } from '../../src/renderer/src/lib/experiment-spec'
import { DELAY_CELL_COLORS, delayAccuracyChart, delayGradientChart, GRADIENT_FLOOR, powerLabel } from '../../src/renderer/src/lib/experiment-charts'

type DelayResult = Extract<SweepResult, { type: 'delay' }>
type Series = { id: string; name: string; data: (number | string)[][]; lineStyle: { color: string; type: string }; markLine?: { data: { yAxis: number; name: string }[] } }
type Option = { series: Series[]; xAxis: { type: string; name: string; max: number }; yAxis: { type: string; name: string; min?: number; max?: number; interval?: number; axisLabel?: { showMaxLabel?: boolean } } }

const delayForm = () => ({ ...defaultForm(), type: 'delay' as const })

function result(task: 'adding' | 'first-bit', cells: ('rnn' | 'lstm' | 'gru')[]): DelayResult {
  const delays = [3, 6]
  return {
    type: 'delay',
    task,
    baseline: task === 'adding' ? { accuracy: 0.0784, loss: 1 / 6 } : { accuracy: 0.5, loss: Math.LN2 },
    hiddenSize: 8,
    trainingSteps: 300,
    evalRows: 500,
    points: cells.flatMap((cell) => delays.map((delay) => ({ cell, delay, trials: 1, accuracy: cell === 'rnn' ? 0.1 : 0.9, accuracies: [cell === 'rnn' ? 0.1 : 0.9], loss: 0.01 }))),
    profiles: cells.map((cell) => ({ cell, delay: 6, initial: [1e-60, 0, 5e-324, 1e-3, 1e-2, 0.1, 0.5, 1], trained: [1e-5, 1e-4, NaN, 1e-3, 1e-2, 0.1, 0.5, 1] }))
  }
}

describe('long-term-dependency (delay) sweep on the experiments page', () => {
  it('builds the default form into a spec the contract accepts, with no dataset or source', () => {
    const form = delayForm()
    expect(usesSource('delay')).toBe(false)
    expect(usesSource('beta')).toBe(true)
    const built = buildExperimentSpec(form, { model: null })
    expect(built.error).toBeUndefined()
    const spec = experimentSpecSchema.parse(built.spec)
    expect(spec.dataset).toBeUndefined()
    expect(spec.sweep).toEqual({
      type: 'delay',
      task: 'adding',
      cells: ['rnn', 'lstm', 'gru'],
      delays: [10, 20, 40],
      hiddenSize: 32,
      trainingSteps: 2000,
      batch: 32,
      learningRate: 0.01,
      clipNorm: 5,
      forgetBias: 1,
      trials: 1,
      evalRows: 500
    })
    expect(autoName(form, { model: null })).toBe('delay · adding · RNN/LSTM/GRU · delays 10, 20, 40 · H=32 · 2000 steps')
    const picked = buildExperimentSpec({ ...form, delay: { ...form.delay, task: 'first-bit', cells: ['gru', 'rnn'], delays: '6 3', profileDelay: 3 } }, { model: null })
    expect(experimentSpecSchema.parse(picked.spec).sweep).toMatchObject({ task: 'first-bit', cells: ['rnn', 'gru'], delays: [3, 6], profileDelay: 3 })
  })

  it('names the field of a bad delays list, no cell, or a profile delay that is not swept', () => {
    const form = delayForm()
    const bad = (delay: Partial<ReturnType<typeof defaultForm>['delay']>) => buildExperimentSpec({ ...form, delay: { ...form.delay, ...delay } }, { model: null })
    expect(bad({ delays: '10, x' })).toMatchObject({ field: 'delay.delays', error: "delays: 'x' is not a number" })
    expect(bad({ delays: '0, 10' })).toMatchObject({ field: 'delay.delays' })
    expect(bad({ delays: '2.5' })).toMatchObject({ field: 'delay.delays', error: "delays: '2.5' is not a whole number" })
    expect(bad({ delays: '501' })).toMatchObject({ field: 'delay.delays', error: 'delays: 501 is outside 1…500' })
    expect(bad({ delays: '1..21' })).toMatchObject({ field: 'delay.delays' })
    expect(bad({ delays: '' })).toMatchObject({ field: 'delay.delays' })
    expect(bad({ cells: [] })).toMatchObject({ field: 'delay.cells' })
    expect(bad({ profileDelay: 15 })).toMatchObject({ field: 'delay.profileDelay' })
  })

  it('reads the form back from a session, keeping only known cells and tasks', () => {
    const form = readForm({ type: 'delay', delay: { task: 'nope', cells: ['gru', 'x', 'rnn'], delays: '5, 10', hiddenSize: 16, profileDelay: 10 } })
    expect(form.type).toBe('delay')
    expect(form.delay).toMatchObject({ task: 'adding', cells: ['rnn', 'gru'], delays: '5, 10', hiddenSize: 16, trainingSteps: 2000, profileDelay: 10 })
    expect(readForm({ delay: { task: 'first-bit', profileDelay: null } }).delay).toMatchObject({ task: 'first-bit', profileDelay: null })
  })

  it('draws rows solved against the delay per cell, the no-memory baseline dashed, y 0–100 %', () => {
    const adding = delayAccuracyChart(result('adding', ['gru', 'rnn'])) as unknown as Option
    expect(adding.series.map((s) => s.id)).toEqual(['rnn', 'gru'])
    expect(adding.series.map((s) => s.name)).toEqual(['RNN', 'GRU'])
    expect(adding.series[1]!.data).toEqual([[3, 0.9], [6, 0.9]])
    expect(adding.series[0]!.markLine!.data).toEqual([{ yAxis: 0.0784, name: 'no memory: 7.84 %' }])
    expect(adding.yAxis).toMatchObject({ type: 'value', min: 0, max: 1 })
    expect(adding.xAxis.name).toContain('delay')
    expect(adding.yAxis.name).toBe('rows solved')
    const bit = delayAccuracyChart(result('first-bit', ['lstm'])) as unknown as Option
    expect(bit.series[0]!.markLine!.data).toEqual([{ yAxis: 0.5, name: 'no memory: 50.00 %' }])
  })

  it('draws ‖∂ℓ/∂h_t‖ per step on a log axis, trained solid and init dashed, zeros and denormals at the floor', () => {
    const c = delayGradientChart(result('adding', ['rnn', 'lstm', 'gru'])) as unknown as Option
    expect(c.yAxis).toMatchObject({ type: 'log', min: GRADIENT_FLOOR, max: 1, interval: 100 })
    const plain = delayGradientChart({ ...result('adding', ['lstm']), profiles: [{ cell: 'lstm', delay: 1, initial: [0.02, 0.5, 3], trained: [0.01, 0.2, 1] }] }) as unknown as Option
    expect(plain.yAxis).toMatchObject({ min: 0.01, max: 10, interval: 1 })
    const wide = delayGradientChart({ ...result('adding', ['rnn']), profiles: [{ cell: 'rnn', delay: 1, initial: [1e-37, 0.5, 1], trained: [1e-12, 0.2, 1] }] }) as unknown as Option
    expect(wide.yAxis).toMatchObject({ min: 1e-40, max: 1, interval: 10 })
    // A top between ticks (10 above the tick at 1) goes unlabelled rather than print over it.
    const over = delayGradientChart({ ...result('adding', ['rnn']), profiles: [{ cell: 'rnn', delay: 1, initial: [1e-19, 0.5, 1.2], trained: [1e-12, 0.2, 1] }] }) as unknown as Option
    expect(over.yAxis).toMatchObject({ min: 1e-20, max: 10, interval: 5, axisLabel: { showMaxLabel: false } })
    expect(wide.yAxis).toMatchObject({ axisLabel: { showMaxLabel: true } })
    expect(c.yAxis.name).toBe('‖∂ℓ/∂h_t‖')
    expect(c.xAxis.max).toBe(7)
    expect(c.series).toHaveLength(6)
    expect(c.series.map((s) => s.name)).toEqual(['RNN (trained)', 'RNN (init)', 'LSTM (trained)', 'LSTM (init)', 'GRU (trained)', 'GRU (init)'])
    expect(c.series.map((s) => s.lineStyle.type)).toEqual(['solid', 'dashed', 'solid', 'dashed', 'solid', 'dashed'])
    const init = c.series[1]!.data
    expect(init.slice(0, 3)).toEqual([[0, 1e-60], [1, GRADIENT_FLOOR], [2, GRADIENT_FLOOR]])
    expect(c.series[0]!.data[2]).toEqual([2, '-'])
    // One colour per cell, whichever cells a result has and in whatever order.
    for (const s of c.series) expect(s.lineStyle.color).toBe(DELAY_CELL_COLORS[s.id.split(':')[0] as 'rnn' | 'lstm' | 'gru'])
    const gruOnly = delayGradientChart(result('adding', ['gru'])) as unknown as Option
    expect(gruOnly.series.map((s) => s.lineStyle.color)).toEqual([DELAY_CELL_COLORS.gru, DELAY_CELL_COLORS.gru])
    expect(new Set(Object.values(DELAY_CELL_COLORS)).size).toBe(3)
    expect([1e-60, 1e-3, 0.01, 0.1, 1, 100, 1000].map(powerLabel)).toEqual(['1e-60', '1e-3', '0.01', '0.1', '1', '100', '1e3'])
  })
})
