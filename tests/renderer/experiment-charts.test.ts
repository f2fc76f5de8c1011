import { describe, expect, it } from 'vitest'
import { capacityTheory } from '../../src/core/sweeps'
import {
  basinRadiusChart,
  basinSuccessChart,
  CAPACITY_Y_MAX,
  capacityChart,
  censusRows,
  cueSweepChart,
  describeAttractor,
  niceCeil,
  RULE_COLORS,
  theoryLines,
  trainingChart,
  type BasinsSweepResult,
  type CapacitySweepResult,
  type CensusSweepResult
} from '../../src/renderer/src/lib/experiment-charts'

type Series = { id: string; name: string; data: [number, number | string][]; lineStyle: { color: string; type: string }; symbol?: string; markLine?: { data: { name: string; xAxis: number }[] } }

function capacity(units: number, counts: number[], rules: string[]): CapacitySweepResult {
  return {
    type: 'capacity',
    units,
    theory: capacityTheory(units),
    points: counts.flatMap((p, k) =>
      rules.map((rule) => ({
        rule,
        patterns: p,
        load: p / units,
        fixedFraction: 1 - k / counts.length,
        allFixedFraction: k === 0 ? 1 : 0,
        recallSuccess: rule === 'pseudo-inverse' && p > units ? null : 1 - (k + 1) / counts.length,
        meanOverlap: 0.9,
        trials: 2,
        skipped: 0
      }))
    )
  }
}

describe('capacity chart', () => {
  it('draws the theory as loads: 0.138, 1/(2 ln N), 1/(4 ln N), Storkey 1/√(2 ln N), pseudo-inverse 1', () => {
    const lines = theoryLines(capacity(100, [2], ['hebb', 'storkey', 'pseudo-inverse']), ['hebb', 'storkey', 'pseudo-inverse'])
    const alpha = Object.fromEntries(lines.map((l) => [l.name, l.alpha]))
    expect(alpha['Hebb 0.138 N']).toBeCloseTo(0.138, 12)
    expect(alpha['Hebb N/(2 ln N)']).toBeCloseTo(1 / (2 * Math.log(100)), 12)
    expect(alpha['Hebb N/(4 ln N)']).toBeCloseTo(1 / (4 * Math.log(100)), 12)
    expect(alpha['Storkey N/√(2 ln N)']).toBeCloseTo(1 / Math.sqrt(2 * Math.log(100)), 12)
    expect(alpha['Pseudo-inverse N']).toBe(1)
    expect(lines.find((l) => l.rule === 'storkey')?.patterns).toBeCloseTo(100 / Math.sqrt(2 * Math.log(100)), 9)
    // Only the rules swept.
    expect(theoryLines(capacity(100, [2], ['storkey']), ['storkey']).map((l) => l.rule)).toEqual(['storkey'])
  })

  it('one colour per rule; fixed points solid, recall dashed; gaps for missing values; theory on the rule’s series', () => {
    const sweep = capacity(64, [4, 8, 16, 32], ['hebb', 'storkey', 'pseudo-inverse'])
    const chart = capacityChart([{ id: 'r1', label: 'run 1', sweep }])
    const series = chart.option.series as Series[]
    expect(chart.rules).toEqual(['hebb', 'storkey', 'pseudo-inverse'])
    expect(series.map((s) => s.id)).toEqual([
      'r1:hebb:fixed',
      'r1:hebb:recall',
      'r1:storkey:fixed',
      'r1:storkey:recall',
      'r1:pseudo-inverse:fixed',
      'r1:pseudo-inverse:recall'
    ])
    // Both series of a rule share its name: one legend entry shows or hides the pair.
    expect(series.map((s) => s.name)).toEqual(['hebb', 'hebb', 'storkey', 'storkey', 'pseudo-inverse', 'pseudo-inverse'])
    for (const s of series) expect(s.lineStyle.color).toBe(RULE_COLORS[s.name])
    expect(series.map((s) => s.lineStyle.type)).toEqual(['solid', 'dashed', 'solid', 'dashed', 'solid', 'dashed'])
    expect(series[0]!.data).toEqual([
      [4 / 64, 1],
      [8 / 64, 0.75],
      [16 / 64, 0.5],
      [32 / 64, 0.25]
    ])
    expect(series[1]!.data.map((d) => d[1])).toEqual([0.75, 0.5, 0.25, 0])

    // Loads up to 0.5: the Hebb and Storkey lines are drawn, the pseudo-inverse's α = 1 is listed off the chart.
    const hebbMarks = series[0]!.markLine!.data
    expect(hebbMarks.map((m) => m.name)).toEqual(['N/(4 ln N)', 'N/(2 ln N)', '0.138 N'])
    expect(hebbMarks[2]!.xAxis).toBeCloseTo(0.138, 12)
    expect(series[2]!.markLine!.data).toEqual([{ name: 'N/√(2 ln N)', xAxis: 1 / Math.sqrt(2 * Math.log(64)) }])
    expect(series[4]!.markLine).toBeUndefined()
    expect(chart.offChart.map((l) => l.name)).toEqual(['Pseudo-inverse N'])
    expect(chart.lines).toHaveLength(4)
    expect(chart.xMax).toBe(0.6)
    expect(chart.option.xAxis).toMatchObject({ min: 0, max: 0.6 })
    expect(chart.option.yAxis).toMatchObject({ min: 0, max: CAPACITY_Y_MAX })
  })

  it('draws a line within reach of the data, and marks gaps', () => {
    const sweep = capacity(10, [2, 4, 8, 12], ['pseudo-inverse'])
    const chart = capacityChart([{ id: 'r', label: 'r', sweep }])
    expect(chart.lines.map((l) => l.name)).toEqual(['Pseudo-inverse N'])
    expect(chart.xMax).toBe(1.5)
    const recall = (chart.option.series as Series[])[1]!
    expect(recall.data.at(-1)).toEqual([1.2, '-'])
  })

  it('overlays runs: colour still by rule, symbols by run, names with the run, theory once per N', () => {
    const a = capacity(64, [4, 8, 16, 32], ['hebb'])
    const b = capacity(100, [10, 20, 40], ['hebb', 'storkey'])
    const c = capacity(64, [8, 16], ['hebb'])
    const chart = capacityChart([
      { id: 'a', label: 'run 1', sweep: a },
      { id: 'b', label: 'run 2', sweep: b },
      { id: 'c', label: 'run 3', sweep: c }
    ])
    const series = chart.option.series as Series[]
    expect(series.map((s) => s.name)).toEqual(['hebb · run 1', 'hebb · run 1', 'hebb · run 2', 'hebb · run 2', 'storkey · run 2', 'storkey · run 2', 'hebb · run 3', 'hebb · run 3'])
    expect(series.map((s) => s.symbol)).toEqual(['circle', 'circle', 'triangle', 'triangle', 'triangle', 'triangle', 'rect', 'rect'])
    expect(series.filter((s) => s.name.startsWith('hebb')).every((s) => s.lineStyle.color === RULE_COLORS.hebb)).toBe(true)
    // Hebb lines for N = 64 (on run 1) and N = 100 (on run 2), none again for run 3; labels say N when they differ.
    expect(series[0]!.markLine!.data.map((m) => m.name)).toEqual(['N/(4 ln N) · 64', 'N/(2 ln N) · 64', '0.138 N · 64'])
    expect(series[2]!.markLine!.data.map((m) => m.name)).toEqual(['N/(4 ln N) · 100', 'N/(2 ln N) · 100', '0.138 N · 100'])
    expect(series[6]!.markLine).toBeUndefined()
    expect(chart.lines.filter((l) => l.rule === 'hebb')).toHaveLength(6)
  })

  it('rounds axis ends up to nice numbers', () => {
    expect([0.416, 0.52, 1.04, 0.138, 7, 0].map(niceCeil)).toEqual([0.5, 0.6, 1.2, 0.15, 8, 1])
  })
})

describe('cue sweep, basins, training and census', () => {
  it('noisy cues: success solid, overlap dashed, one colour per run, sorted by fraction', () => {
    const sweep = { type: 'noise' as const, points: [0.2, 0, 0.1].map((f) => ({ fraction: f, success: 1 - f, meanOverlap: f === 0.2 ? null : 1 - f / 2, cues: 10 })) }
    const option = cueSweepChart([
      { id: 'x', label: 'run 1', sweep },
      { id: 'y', label: 'run 2', sweep }
    ])
    const series = option.series as Series[]
    expect(series.map((s) => [s.name, s.lineStyle.type ?? 'solid'])).toEqual([
      ['success · run 1', 'solid'],
      ['mean overlap · run 1', 'dashed'],
      ['success · run 2', 'solid'],
      ['mean overlap · run 2', 'dashed']
    ])
    expect(series[0]!.data).toEqual([
      [0, 1],
      [0.1, 0.9],
      [0.2, 0.8]
    ])
    expect(series[1]!.data.at(-1)).toEqual([0.2, '-'])
    expect(series[0]!.lineStyle.color).not.toBe(series[2]!.lineStyle.color)
    expect(option.xAxis).toMatchObject({ name: 'fraction of units flipped', max: 0.2 })
    expect(cueSweepChart([{ id: 'p', label: 'p', sweep: { ...sweep, type: 'partial' } }]).xAxis).toMatchObject({ name: 'fraction of units masked' })
  })

  const basins: BasinsSweepResult = {
    type: 'basins',
    threshold: 0.9,
    basins: [
      { pattern: 0, label: 'A', radius: 3, success: [1, 1, 1, 0.95, 0.5] },
      { pattern: 1, label: 'B', radius: -1, success: [0] }
    ]
  }

  it('basins: a bar per pattern, success against radius with the threshold', () => {
    const bars = basinRadiusChart(basins, 100)
    expect(bars.xAxis).toMatchObject({ data: ['#0 A', '#1 B'] })
    const bar = (bars.series as { data: { value: number }[] }[])[0]!
    expect(bar.data.map((d) => d.value)).toEqual([3, -1])
    expect(bars.yAxis).toMatchObject({ min: -1, max: 3 })
    const lines = basinSuccessChart(basins)
    const series = lines.series as Series[]
    expect(series.map((s) => s.name)).toEqual(['#0 A', '#1 B'])
    expect(series[0]!.data).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 0.95],
      [4, 0.5]
    ])
    expect((series[0]!.markLine as unknown as { data: { yAxis: number }[] }).data).toEqual([{ yAxis: 0.9 }])
    expect(lines.xAxis).toMatchObject({ max: 4 })
  })

  it('energy training: fixed targets per epoch against P, raised states on the right axis', () => {
    const history = [
      { epoch: 1, fixedTargets: 2, raised: 5 },
      { epoch: 2, fixedTargets: 5, raised: 1 }
    ]
    const option = trainingChart(history, 5)
    const series = option.series as Series[]
    expect(series.map((s) => s.id)).toEqual(['fixed', 'raised'])
    expect(series[0]!.data).toEqual([
      [1, 2],
      [2, 5]
    ])
    expect(series[1]!.data).toEqual([
      [1, 5],
      [2, 1]
    ])
    expect((option.yAxis as { max?: number }[])[0]).toMatchObject({ min: 0, max: 5 })
  })

  it('census: rows by kind (stored, negative, mixture, other, cycle), then by count; attractors described', () => {
    const a = (kind: string, pattern: number, count: number, mixture: CensusSweepResult['attractors'][number]['mixture'] = null) => ({
      kind,
      pattern,
      mixture,
      count,
      basinFraction: count / 100,
      energy: -count,
      state: [1, -1]
    })
    const census: CensusSweepResult = {
      type: 'census',
      method: 'sampled',
      starts: 100,
      countsByKind: { stored: 50, negative: 30, mixture: 10, other: 5, cycle: 5, unsettled: 0 },
      attractors: [a('other', -1, 5), a('negative', 1, 30), a('cycle', -1, 5), a('stored', 0, 20), a('mixture', -1, 10, { patterns: [0, 1, 2], signs: [1, -1, 1] }), a('stored', 1, 30)]
    }
    const rows = censusRows(census)
    expect(rows.map((r) => `${r.kind}${r.pattern}`)).toEqual(['stored1', 'stored0', 'negative1', 'mixture-1', 'other-1', 'cycle-1'])
    expect(census.attractors[0]!.kind).toBe('other')
    expect(rows.map((r) => describeAttractor(r))).toEqual(['ξ1', 'ξ0', '−ξ1', 'sign(ξ0 − ξ1 + ξ2)', '—', '—'])
    expect(describeAttractor(rows[0]!, ['A', 'B'])).toBe('ξ1 B')
  })
})
