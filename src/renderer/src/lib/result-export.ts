// Results out of the app: every result table as CSV or JSON, every chart as PNG or SVG (and its data as CSV/JSON).
// One helper for all of them, so each table and chart gets the same files with the same names.
import { init, use } from 'echarts/core'
import { SVGRenderer } from 'echarts/renderers'
import type { ChartOption } from './charts'
import { downloadBytes } from './download'

use([SVGRenderer])

export type Cell = string | number | null
export interface ResultTable {
  columns: string[]
  rows: Cell[][]
}

function csvCell(v: Cell): string {
  if (v === null) return ''
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v
  return /[",\n\r]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** RFC 4180: a header line, then one line per row; numbers at full precision. */
export function toCsv(table: ResultTable): string {
  return [table.columns, ...table.rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
}

/** One object per row, keyed by column. */
export function toJson(table: ResultTable): string {
  const rows = table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r[i] ?? null])))
  return JSON.stringify(rows, null, 2) + '\n'
}

/** A cell as shown back to a number where it is one ("1,234" -> 1234, "87.2 %" -> 0.872), "—" to null, else its text. */
export function parseCell(text: string): Cell {
  const t = text.replace(/\s+/g, ' ').trim()
  if (t === '' || t === '—' || t === '–') return null
  const percent = /^(-?[\d.,]+) ?%$/.exec(t)
  const n = Number((percent ? percent[1]! : t).replace(/,/g, ''))
  if (!Number.isFinite(n)) return t
  return percent ? Number((n / 100).toPrecision(12)) : n
}

/** What an HTML table shows: header cells as columns (the first row when there is no thead), body rows as rows. */
export function tableFromElement(table: HTMLTableElement): ResultTable {
  const text = (c: Element): string => (c as HTMLElement).innerText ?? c.textContent ?? ''
  const rows = [...table.rows]
  const headRows = table.tHead ? [...table.tHead.rows] : rows.slice(0, 1)
  const head = headRows[headRows.length - 1]
  const columns = head ? [...head.cells].map((c, i) => text(c).replace(/\s+/g, ' ').trim() || `column ${i + 1}`) : []
  const body = rows.filter((r) => !headRows.includes(r))
  return { columns, rows: body.map((r) => [...r.cells].map((c) => parseCell(text(c)))) }
}

type SeriesLike = { name?: unknown; type?: unknown; data?: unknown }

function seriesValue(d: unknown): { x: Cell | undefined; y: Cell } {
  const v = d !== null && typeof d === 'object' && !Array.isArray(d) && 'value' in d ? (d as { value: unknown }).value : d
  if (Array.isArray(v)) return { x: v[0] as Cell, y: (v[1] ?? null) as Cell }
  return { x: undefined, y: typeof v === 'number' || typeof v === 'string' ? v : null }
}

/** A chart's data as a table: the x values, then one column per series (category axes give the x values by index). */
export function chartTable(option: ChartOption): ResultTable {
  const xAxis = (Array.isArray(option.xAxis) ? option.xAxis[0] : option.xAxis) as { data?: unknown[]; name?: string } | undefined
  const categories = Array.isArray(xAxis?.data) ? (xAxis.data as Cell[]) : null
  const series = ((Array.isArray(option.series) ? option.series : option.series ? [option.series] : []) as SeriesLike[]).filter((s) => Array.isArray(s.data))
  const xs: Cell[] = []
  const seen = new Map<string, number>()
  const cells: Map<number, Cell>[] = series.map(() => new Map())
  series.forEach((s, k) => {
    ;(s.data as unknown[]).forEach((d, i) => {
      const { x, y } = seriesValue(d)
      const xv: Cell = x !== undefined ? x : (categories?.[i] ?? i)
      const key = JSON.stringify(xv)
      let row = seen.get(key)
      if (row === undefined) {
        row = xs.length
        seen.set(key, row)
        xs.push(xv)
      }
      cells[k]!.set(row, y)
    })
  })
  const names = series.map((s, k) => (typeof s.name === 'string' && s.name ? s.name : `series ${k + 1}`))
  return { columns: [xAxis?.name || 'x', ...names], rows: xs.map((x, r) => [x, ...cells.map((c) => c.get(r) ?? null)]) }
}

/** The chart drawn again by ECharts' SVG renderer (server-side mode: no DOM needed), white background. */
export function chartSvg(option: ChartOption, width = 640, height = 360): string {
  const chart = init(null, null, { renderer: 'svg', ssr: true, width, height })
  try {
    chart.setOption({ ...option, animation: false, backgroundColor: '#ffffff' } as ChartOption)
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}

/** What the export needs of a live ECharts instance (vue-echarts' component exposes these). */
export interface ChartLike {
  getDataURL(opts: { type: 'png'; pixelRatio: number; backgroundColor: string }): string
  getWidth(): number
  getHeight(): number
}

/** The table, PNG and SVG of a chart on screen, for ResultExport. */
export function chartExporters(
  chart: () => ChartLike | null | undefined,
  option: () => ChartOption
): { table: () => ResultTable; png: () => string | null; svg: () => string } {
  return {
    table: () => chartTable(option()),
    png: () => chart()?.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }) ?? null,
    svg: () => {
      const c = chart()
      return chartSvg(option(), c?.getWidth() || 640, c?.getHeight() || 360)
    }
  }
}

/** A file name from a result's name: letters, digits, dot, dash and underscore. */
export function fileBase(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'result'
}

export type ExportKind = 'csv' | 'json' | 'png' | 'svg'

const TYPES: Record<ExportKind, string> = { csv: 'text/csv', json: 'application/json', png: 'image/png', svg: 'image/svg+xml' }

export function downloadText(name: string, kind: ExportKind, text: string): void {
  downloadBytes(`${fileBase(name)}.${kind}`, new TextEncoder().encode(text), TYPES[kind])
}

export function downloadDataUrl(name: string, kind: ExportKind, dataUrl: string): void {
  const comma = dataUrl.indexOf(',')
  const bin = atob(dataUrl.slice(comma + 1))
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  downloadBytes(`${fileBase(name)}.${kind}`, bytes, TYPES[kind])
}
