// Results leave the app: CSV and JSON of tables and of chart data, SVG of a chart (ECharts' SVG renderer, no DOM).
import { describe, expect, it } from 'vitest'
import type { ChartOption } from '../../src/renderer/src/lib/charts'
import { chartSvg, chartTable, fileBase, parseCell, toCsv, toJson } from '../../src/renderer/src/lib/result-export'
import { trainingChart } from '../../src/renderer/src/lib/experiment-charts'

describe('tables', () => {
  it('writes RFC 4180 CSV (quotes where needed, full precision) and JSON rows', () => {
    const t = { columns: ['fraction', 'success', 'note'], rows: [[0.1, 0.123456789, 'a, "b"'], [0.2, null, 'plain']] }
    expect(toCsv(t)).toBe('fraction,success,note\r\n0.1,0.123456789,"a, ""b"""\r\n0.2,,plain\r\n')
    expect(JSON.parse(toJson(t))).toEqual([
      { fraction: 0.1, success: 0.123456789, note: 'a, "b"' },
      { fraction: 0.2, success: null, note: 'plain' }
    ])
  })

  it('reads shown cells back as numbers where they are numbers', () => {
    expect(parseCell(' 1,234 ')).toBe(1234)
    expect(parseCell('0.95')).toBe(0.95)
    expect(parseCell('87.2 %')).toBe(0.872)
    expect(parseCell('100%')).toBe(1)
    expect(parseCell('ξ3')).toBe('ξ3')
    expect(parseCell('—')).toBeNull()
    expect(fileBase('capacity: hebb / storkey')).toBe('capacity-hebb-storkey')
  })
})

describe('charts', () => {
  const option: ChartOption = {
    xAxis: { type: 'value', name: 'P/N' },
    yAxis: { type: 'value' },
    series: [
      { type: 'line', name: 'hebb', data: [[0.05, 1], [0.1, 0.8]] },
      { type: 'line', name: 'storkey', data: [[0.1, 0.9], [0.15, 0.7]] }
    ]
  }

  it('gives the data of every series by x', () => {
    expect(chartTable(option)).toEqual({
      columns: ['P/N', 'hebb', 'storkey'],
      rows: [
        [0.05, 1, null],
        [0.1, 0.8, 0.9],
        [0.15, null, 0.7]
      ]
    })
    const bars: ChartOption = { xAxis: { type: 'category', data: ['A', 'B'] }, yAxis: { type: 'value' }, series: [{ type: 'bar', name: 'success', data: [{ value: 0.5 }, { value: 1 }] }] }
    expect(chartTable(bars)).toEqual({ columns: ['x', 'success'], rows: [['A', 0.5], ['B', 1]] })
  })

  it('draws an SVG with the series in it', () => {
    const svg = chartSvg({ ...option, legend: { show: true } }, 400, 300)
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('width="400"')
    expect(svg).toMatch(/<path[^>]*d="M/)
  })

  it('exports a chart of the app: the energy-training history, by epoch, one column per series', () => {
    const option = trainingChart(
      [
        { epoch: 1, fixedTargets: 1, raised: 4 },
        { epoch: 2, fixedTargets: 3, raised: 2 }
      ],
      3
    )
    const table = chartTable(option)
    expect(table.rows.map((r) => r[0])).toEqual([1, 2])
    expect(table.columns.length).toBeGreaterThan(1)
    expect(table.rows[1]).toContain(3)
    expect(chartSvg(option)).toMatch(/^<svg/)
  })
})
