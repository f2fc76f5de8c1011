// A batch of training runs defined in the app: the page's form as the base spec, a list of seeds, and a grid over one
// or two top-level fields of the model spec (models.trainBatch, src/shared/batch.ts). Parsed and checked here before
// any call, with the field named (the same schema the backend checks with); the results table's rows after.
import { batchSpecSchema, MAX_BATCH_RUNS, type BatchResult, type BatchSpec, type GridValue } from '../../../shared/batch'
import type { DatasetRef } from '../../../shared/spec'

/** Grid rows the form offers (the spec allows up to 4; two keep a table readable). */
export const UI_GRID_FIELDS = 2
const MAX_SEED = 2 ** 32 - 1

export interface GridRow {
  /** A top-level field of the model spec, or '' for an unused row. */
  field: string
  /** Comma- or space-separated values. */
  values: string
}

export interface BatchForm {
  name: string
  /** As typed; null until edited: then the page's seed and the two after it (seedsFor). */
  seeds: string | null
  grid: GridRow[]
}

/** The seeds a form shows: as typed, or by default the page's seed and the two after it. */
export function seedsFor(form: BatchForm, seed: number): string {
  return form.seeds ?? [seed, seed + 1, seed + 2].filter((s) => s <= MAX_SEED).join(', ')
}

/** The page's training request, the batch's base: its dataset (families that train on one) and model spec. */
export interface BatchBase {
  dataset?: DatasetRef
  model: BatchSpec['model']
  seed: number
}

/** Where a problem is: the name, the seeds, a grid row's field or values, the run count, or the page's own form. */
export type BatchField = 'name' | 'seeds' | `grid.${number}` | 'runs' | 'base'

export type BuiltBatch =
  | { ok: true; spec: BatchSpec; points: number; seeds: number; runs: number }
  | { ok: false; field: BatchField; message: string; points: number | null; seeds: number | null; runs: number | null }

export function defaultBatchForm(kind: string): BatchForm {
  return { name: `${kind}-batch`, seeds: null, grid: Array.from({ length: UI_GRID_FIELDS }, () => ({ field: '', values: '' })) }
}

/** The model-spec fields a grid may vary: numbers, strings and booleans at the top level (not the family, not continueFrom). */
export function gridFields(model: Record<string, unknown>): string[] {
  return Object.keys(model)
    .filter((k) => k !== 'kind' && k !== 'continueFrom')
    .filter((k) => ['number', 'string', 'boolean'].includes(typeof model[k]))
    .sort()
}

const tokens = (text: string): string[] =>
  text
    .split(/[\s,;]+/)
    .map((t) => t.trim())
    .filter(Boolean)

/** "1, 2, 3" or "1-8" (inclusive ranges) → distinct seeds, at most MAX_BATCH_RUNS. */
export function parseSeeds(text: string): { seeds: number[] } | { error: string } {
  const seeds: number[] = []
  for (const tok of tokens(text)) {
    const range = /^(\d+)-(\d+)$/.exec(tok)
    const [a, b] = range ? [Number(range[1]), Number(range[2])] : [Number(tok), Number(tok)]
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > MAX_SEED || (!range && !/^\d+$/.test(tok))) return { error: `'${tok}' is not a seed (a whole number from 0 to ${MAX_SEED}, or a range like 1-8)` }
    if (b < a) return { error: `'${tok}': the range runs backwards` }
    if (b - a + 1 + seeds.length > MAX_BATCH_RUNS) return { error: `at most ${MAX_BATCH_RUNS} seeds` }
    for (let s = a; s <= b; s++) {
      if (seeds.includes(s)) return { error: `seed ${s} is given twice (its runs would be the same)` }
      seeds.push(s)
    }
  }
  if (!seeds.length) return { error: 'give at least one seed' }
  return { seeds }
}

/** A grid row's values, typed like the base spec's value of the field. */
export function parseValues(text: string, like: unknown): { values: GridValue[] } | { error: string } {
  const raw = tokens(text)
  if (!raw.length) return { error: 'give at least one value' }
  if (raw.length > MAX_BATCH_RUNS) return { error: `at most ${MAX_BATCH_RUNS} values` }
  const values: GridValue[] = []
  for (const tok of raw) {
    let v: GridValue
    if (typeof like === 'number') {
      v = Number(tok)
      if (!Number.isFinite(v)) return { error: `'${tok}' is not a number` }
    } else if (typeof like === 'boolean') {
      if (tok !== 'true' && tok !== 'false') return { error: `'${tok}' is not true or false` }
      v = tok === 'true'
    } else v = tok
    if (values.includes(v)) return { error: `${String(v)} is given twice` }
    values.push(v)
  }
  return { values }
}

/** The batch spec of a base and a form, or the first problem with its field; the counts whenever they are known. */
export function buildBatch(base: BatchBase, form: BatchForm): BuiltBatch {
  const model = base.model as unknown as Record<string, unknown>
  const s = parseSeeds(seedsFor(form, base.seed))
  const seeds = 'seeds' in s ? s.seeds.length : null
  const grid: Record<string, GridValue[]> = {}
  let gridProblem: { field: BatchField; message: string } | null = null
  form.grid.forEach((row, i) => {
    if (!row.field || gridProblem) return
    if (row.field in grid) return void (gridProblem = { field: `grid.${i}`, message: `${row.field}: already varied in another row` })
    if (!gridFields(model).includes(row.field)) return void (gridProblem = { field: `grid.${i}`, message: `${row.field}: not a field of this model spec` })
    const v = parseValues(row.values, model[row.field])
    if ('error' in v) gridProblem = { field: `grid.${i}`, message: `${row.field}: ${v.error}` }
    else grid[row.field] = v.values
  })
  const points = gridProblem ? null : Object.values(grid).reduce((n, v) => n * v.length, 1)
  const runs = points !== null && seeds !== null ? points * seeds : null
  const fail = (field: BatchField, message: string): BuiltBatch => ({ ok: false, field, message, points, seeds, runs })
  if (!form.name.trim()) return fail('name', 'Name: give the batch a name')
  if ('error' in s) return fail('seeds', `Seeds: ${s.error}`)
  if (gridProblem) return fail((gridProblem as { field: BatchField }).field, (gridProblem as { message: string }).message)
  if (runs !== null && runs > MAX_BATCH_RUNS) return fail('runs', `${points} grid points × ${seeds} seeds = ${runs} runs; at most ${MAX_BATCH_RUNS}`)
  const candidate = { name: form.name.trim(), ...(base.dataset ? { dataset: base.dataset } : {}), model: base.model, batch: { seeds: (s as { seeds: number[] }).seeds, grid } }
  const parsed = batchSpecSchema.safeParse(candidate)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const path = issue.path.map(String)
    const message = `spec.${path.join('.')}: ${issue.message}`
    if (path[0] === 'batch' && path[1] === 'grid') return fail(`grid.${Math.max(0, form.grid.findIndex((r) => r.field === path[2]))}`, message)
    if (path[0] === 'batch' && path[1] === 'seeds') return fail('seeds', message)
    if (path[0] === 'name') return fail('name', message)
    return fail('base', message)
  }
  return { ok: true, spec: parsed.data, points: points!, seeds: seeds!, runs: runs! }
}

/** A finished run's final numbers: its training history's last point, numbers only (step, epoch and time left out). */
export function finalMetrics(model: Record<string, unknown>): Record<string, number> {
  const history = model.history
  const last = Array.isArray(history) && history.length ? (history[history.length - 1] as Record<string, unknown>) : {}
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(last)) if (typeof v === 'number' && !['step', 'epoch', 'seconds', 'steps'].includes(k)) out[k] = v
  if (typeof model.evalLoss === 'number') out.evalLoss = model.evalLoss
  return out
}

export interface BatchRow {
  index: number
  seed: number
  params: Record<string, GridValue>
  modelId: string
  name: string
  metrics: Record<string, number>
}

/** The results table: one row per run in run order, and the metric columns every row can fill or leave blank. */
export function batchTable(result: BatchResult): { gridFields: string[]; metrics: string[]; rows: BatchRow[] } {
  const rows = result.runs.map((r) => ({
    index: r.index,
    seed: r.seed,
    params: r.params,
    modelId: r.model.id,
    name: r.model.name,
    metrics: finalMetrics(r.model as unknown as Record<string, unknown>)
  }))
  const gridFieldsUsed = [...new Set(result.runs.flatMap((r) => Object.keys(r.params)))]
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))]
  return { gridFields: gridFieldsUsed, metrics, rows }
}

/** A page's built training request (its `params` or `spec`, or its error) as a batch's base. */
type Request = { model: object; seed?: number; dataset?: unknown }
export function batchBaseOf(built: { params?: Request; spec?: Request; error?: string; field?: string }): BatchBase | { field: string; error: string } {
  if (built.error !== undefined) return { field: built.field ?? 'form', error: built.error }
  const request = built.params ?? built.spec
  if (!request) return { field: 'form', error: 'not ready' }
  // The model as the page's form gives it (the batch schema parses it again, with defaults, before any call).
  return { ...(request.dataset ? { dataset: request.dataset as DatasetRef } : {}), model: request.model as BatchSpec['model'], seed: request.seed ?? 0 }
}
