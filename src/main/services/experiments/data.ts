// The data an experiment spec runs on: its dataset (built-in, imported or inline) and its explicit cues, resolved and
// checked against the sizes they must fit before any work starts; errors name the spec field.
import { bamCodes } from '../../../core/bam-codes'
import type { Encoding } from '../../../core/hopfield'
import { ApiError } from '../../../shared/api'
import type { CueVector, ExperimentSpec } from '../../../shared/spec'
import type { DatasetCatalog } from '../datasets'
import type { ExperimentData } from './common'

function bad(field: string, message: string): ApiError {
  return new ApiError({ code: 'bad-request', field, message: `${field}: ${message}` })
}

/** An inline dataset: stored patterns as bipolar images (the contract of ExperimentData), the rows as written in `given`. */
function inlineData(dataset: NonNullable<ExperimentSpec['dataset']>): ExperimentData {
  const encoding = dataset.encoding!
  const patterns = dataset.patterns!.map((r) => Int8Array.from(r))
  const targets = dataset.targets?.map((r) => Int8Array.from(r))
  const bipolar = (p: Int8Array): Int8Array => (encoding === 'binary' ? p.map((v) => 2 * v - 1) : Int8Array.from(p))
  const n = patterns[0]!.length
  return {
    stored: patterns.map(bipolar),
    labels: dataset.labels ?? patterns.map((_, p) => `s(${p + 1})`),
    width: dataset.width ?? n,
    height: dataset.height ?? 1,
    ...(targets ? { targets: targets.map(bipolar) } : {}),
    given: { encoding, patterns, ...(targets ? { targets } : {}) }
  }
}

/**
 * The spec's dataset as ExperimentData (null for a capacity sweep without one), its pair targets when a hetero or BAM
 * sweep reads the dataset's own, and its explicit cues checked against the net they will run on. `field` prefixes
 * the names in errors ('spec', or 'params.spec.spec' in the app).
 */
export function experimentData(spec: ExperimentSpec, catalog: DatasetCatalog, field = 'spec'): ExperimentData | null {
  const ds = spec.dataset
  if (!ds) return null
  let data: ExperimentData
  if (ds.builtin === undefined) data = inlineData(ds)
  else {
    const ref = { builtin: ds.builtin, threshold: ds.threshold, ...(ds.select ? { select: ds.select } : {}), ...(ds.count !== undefined ? { count: ds.count } : {}) }
    const d = catalog.resolve(ref, `${field}.dataset`)
    data = { stored: d.patterns, labels: d.labels, width: d.summary.width, height: d.summary.height }
    const pairs = (spec.sweep?.type === 'bam' && spec.sweep.bam.codes === 'dataset') || (spec.sweep?.type === 'hetero' && spec.sweep.codes === 'dataset')
    if (pairs) data.targets = catalog.pairTargets(ref, d.indices, `${field}.dataset`)
    if (spec.sweep?.type === 'images') {
      const g = catalog.greyRows(ref, `${field}.dataset`)
      data.grey = Array.from({ length: g.rows }, (_, i) => g.values.subarray(i * g.visible, (i + 1) * g.visible))
    }
  }
  if (spec.sweep?.type === 'images' && !data.grey) data.grey = data.stored.map((p) => Float32Array.from(p, (v) => (v + 1) / 2))
  checkOrder(spec, data.stored[0]!.length, field)
  if (spec.cues) resolveCues(spec, data, field)
  return data
}

function checkOrder(spec: ExperimentSpec, n: number, field: string): void {
  const order = spec.recall.order
  if (!Array.isArray(order) || spec.sweep) return
  if (order.length !== n) throw bad(`${field}.recall.order`, `${order.length} units given for a net of ${n}: the order must be a permutation of 1..${n} (units counted from 1)`)
  order.forEach((u, k) => {
    if (u > n) throw bad(`${field}.recall.order.${k}`, `unit ${u} does not exist: units are counted from 1 to ${n}`)
  })
}

/** The states a cue side may hold, and how to change one: what the net it runs on allows. */
interface CueAlphabet {
  encoding: Encoding
  /** 0 as "unknown" (bipolar nets that take it: the recurrent auto-associator, hetero, BAM, async/sync never). */
  unknown: boolean
  what: string
}

/** The net the spec's cues run on, its encoding on each side and whether it takes 0 for an unknown unit. */
function cueAlphabet(spec: ExperimentSpec, data: ExperimentData): { x: CueAlphabet; y: CueAlphabet | null } {
  const sweep = spec.sweep
  if (sweep?.type === 'bam') {
    const a = { encoding: sweep.bam.encoding, unknown: sweep.bam.encoding === 'bipolar', what: `a ${sweep.bam.encoding} BAM` }
    return { x: a, y: a }
  }
  if (sweep?.type === 'hetero') {
    const encoding = data.given?.encoding ?? 'bipolar'
    return { x: { encoding, unknown: encoding === 'bipolar', what: `a ${encoding} hetero-associative net` }, y: null }
  }
  if (sweep?.type === 'recurrent') return { x: { encoding: 'bipolar', unknown: true, what: 'the recurrent auto-associator' }, y: null }
  const encoding = spec.model.encoding ?? 'bipolar'
  const recurrent = spec.recall.mode === 'recurrent'
  return { x: { encoding, unknown: recurrent && encoding === 'bipolar', what: `a ${encoding} Hopfield net (${spec.recall.mode})` }, y: null }
}

/** The stored vectors a cue's `from` names on one side, in the side's encoding. */
function sideStored(data: ExperimentData, side: 'x' | 'y', alphabet: CueAlphabet, spec: ExperimentSpec): Int8Array[] | null {
  const given = data.given
  const toEnc = (p: Int8Array): Int8Array => (alphabet.encoding === 'binary' ? p.map((v) => (v === 1 ? 1 : 0)) : Int8Array.from(p))
  if (side === 'x') return spec.sweep?.type === 'hetero' && given ? given.patterns : data.stored.map(toEnc)
  if (spec.sweep?.type === 'bam' && spec.sweep.bam.codes !== 'dataset') return bamCodes(data.stored.length, spec.sweep.bam.codes, alphabet.encoding)
  return data.targets ? data.targets.map(toEnc) : null
}

function resolveVector(c: CueVector, n: number, stored: Int8Array[], alphabet: CueAlphabet, field: string): Int8Array {
  let v: Int8Array
  if (c.values) {
    if (c.values.length !== n) throw bad(`${field}.values`, `${c.values.length} values, expected ${n} (the net's units on this side)`)
    v = new Int8Array(n)
    c.values.forEach((x, i) => {
      const ok = alphabet.encoding === 'bipolar' ? x === 1 || x === -1 || (x === 0 && alphabet.unknown) : x === 0 || x === 1
      if (!ok) {
        const allowed = alphabet.encoding === 'bipolar' ? (alphabet.unknown ? '−1, 0 (unknown) or 1' : '−1 or 1 (this net has no unknown state)') : '0 or 1'
        throw bad(`${field}.values.${i}`, `value ${x} (unit ${i + 1}) is not a state of ${alphabet.what}: ${allowed}`)
      }
      v[i] = x
    })
    return v
  }
  const p = c.from!
  if (p > stored.length) throw bad(`${field}.from`, `pattern ${p} does not exist: ${stored.length} stored, counted from 1`)
  v = Int8Array.from(stored[p - 1]!)
  const unit = (u: number, key: string, k: number): number => {
    if (u > n) throw bad(`${field}.${key}.${k}`, `unit ${u} does not exist: units are counted from 1 to ${n}`)
    return u - 1
  }
  c.flip?.forEach((u, k) => {
    const i = unit(u, 'flip', k)
    v[i] = alphabet.encoding === 'binary' ? 1 - v[i]! : -v[i]!
  })
  c.missing?.forEach((u, k) => {
    const i = unit(u, 'missing', k)
    if (!alphabet.unknown) throw bad(`${field}.missing`, `${alphabet.what} has no unknown state (0): change units with 'flip', or give the values`)
    v[i] = 0
  })
  return v
}

export interface ResolvedCue {
  label?: string
  x?: Int8Array
  y?: Int8Array
  /** The stored pattern the x side starts from (counted from 1), when the cue names one. */
  from?: number
}

/** Every explicit cue as the vectors it stands for, checked against the net's sizes and states; errors name the field. */
export function resolveCues(spec: ExperimentSpec, data: ExperimentData, field = 'spec'): ResolvedCue[] {
  const alphabets = cueAlphabet(spec, data)
  const n = data.stored[0]!.length
  return (spec.cues ?? []).map((c, k) => {
    const f = `${field}.cues.${k}`
    const out: ResolvedCue = { ...(c.label !== undefined ? { label: c.label } : {}), ...(c.x?.from !== undefined ? { from: c.x.from } : {}) }
    if (c.x) out.x = resolveVector(c.x, n, sideStored(data, 'x', alphabets.x, spec)!, alphabets.x, `${f}.x`)
    if (c.y) {
      if (!alphabets.y) throw bad(`${f}.y`, 'a y cue is for a BAM (a bam sweep)')
      const ys = sideStored(data, 'y', alphabets.y, spec)
      if (!ys) throw bad(`${f}.y`, "this BAM's dataset has no Y side")
      out.y = resolveVector(c.y, ys[0]!.length, ys, alphabets.y, `${f}.y`)
    }
    return out
  })
}
