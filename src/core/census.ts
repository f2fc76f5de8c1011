// Spurious-state census of a Hopfield net: where every start (N ≤ 20) or many random starts end, and what those ends are.
// Reference: seeds/004 (spurious / parasitic memories, stationary patterns), seeds/003 (energy, convergence);
// Amit, Gutfreund & Sompolinsky 1985 (negatives and odd mixtures sign(±ξ¹ ± ξ² ± ξ³) as spurious minima).
// Legend: N units; P stored patterns ξ^μ (bipolar images); a start y⁰ ∈ {−1,1}^N settles to an attractor y*;
// basin size = number of starts (exhaustive: of 2^N) or fraction of random starts ending there;
// mixture = sign(Σ_{μ∈S} ε_μ ξ^μ) for an odd subset S (|S| = 3 by default) and signs ε_μ = ±1.

import { energy, type HopfieldNet } from './hopfield'
import { checkCancel, lowValue, settle, type Hooks, type TieRule } from './dynamics'
import type { Rng } from './rng'

export type AttractorKind = 'stored' | 'negative' | 'mixture' | 'other' | 'cycle' | 'unsettled'

export interface Attractor {
  state: Int8Array
  kind: AttractorKind
  /** Stored pattern index for 'stored' / 'negative'. */
  pattern: number
  /** For 'mixture': the pattern indices and their signs. */
  mixture: { patterns: number[]; signs: number[] } | null
  /** Starts that ended here. */
  count: number
  /** count / starts. */
  basinFraction: number
  energy: number
}

export interface CensusOptions extends Hooks {
  /** 'exhaustive' needs N ≤ 20. Default: exhaustive for N ≤ 20, else sampled. */
  method?: 'exhaustive' | 'sampled'
  /** Random starts for 'sampled'. */
  samples?: number
  rng?: Rng
  /** Deterministic dynamics by default ('async-sequential') so an exhaustive census has exact basin sizes. */
  dynamics?: 'async-sequential' | 'async-random' | 'sync'
  maxSweeps?: number
  tie?: TieRule
  /** Odd mixture orders to look for. Default [3]. */
  mixtureOrders?: number[]
}

export interface CensusResult {
  method: 'exhaustive' | 'sampled'
  starts: number
  attractors: Attractor[]
  /** Sums of counts per kind (they add up to `starts`). */
  countsByKind: Record<AttractorKind, number>
}

function key(y: ArrayLike<number>): string {
  let s = ''
  for (let i = 0; i < y.length; i++) s += y[i] === 1 ? '1' : '0'
  return s
}

function combinations(p: number, k: number): number[][] {
  const out: number[][] = []
  const cur: number[] = []
  const rec = (start: number): void => {
    if (cur.length === k) {
      out.push([...cur])
      return
    }
    for (let i = start; i < p; i++) {
      cur.push(i)
      rec(i + 1)
      cur.pop()
    }
  }
  rec(0)
  return out
}

export const MAX_EXHAUSTIVE_UNITS = 20

export function census(net: HopfieldNet, stored: ArrayLike<number>[], opts: CensusOptions = {}): CensusResult {
  const n = net.units
  const enc = net.encoding
  const lowV = lowValue(enc)
  const method = opts.method ?? (n <= MAX_EXHAUSTIVE_UNITS ? 'exhaustive' : 'sampled')
  if (method === 'exhaustive' && n > MAX_EXHAUSTIVE_UNITS) throw new Error(`exhaustive census needs N ≤ ${MAX_EXHAUSTIVE_UNITS}, got ${n}`)
  const dynamics = opts.dynamics ?? 'async-sequential'
  if ((dynamics === 'async-random' || method === 'sampled') && !opts.rng) throw new Error(`census: ${method === 'sampled' ? "method 'sampled'" : "dynamics 'async-random'"} needs an rng`)
  const maxSweeps = opts.maxSweeps ?? 100
  const starts = method === 'exhaustive' ? 2 ** n : (opts.samples ?? 1000)
  if (!Number.isInteger(starts) || starts < 1) throw new Error(`samples must be a positive integer, got ${opts.samples}`)

  // Known states: stored patterns, negatives (bipolar: −ξ; binary: 1 − ξ), odd mixtures.
  const known = new Map<string, { kind: AttractorKind; pattern: number; mixture: Attractor['mixture'] }>()
  const bip = stored.map((s) => Float64Array.from(s, (v) => (enc === 'binary' ? 2 * v - 1 : v)))
  const toState = (b: ArrayLike<number>): Int8Array => Int8Array.from(b, (v) => (v > 0 ? 1 : lowV))
  bip.forEach((s, p) => {
    const k = key(toState(s))
    if (!known.has(k)) known.set(k, { kind: 'stored', pattern: p, mixture: null })
  })
  bip.forEach((s, p) => {
    const k = key(toState(s.map((v) => -v)))
    if (!known.has(k)) known.set(k, { kind: 'negative', pattern: p, mixture: null })
  })
  for (const order of opts.mixtureOrders ?? [3]) {
    if (order % 2 === 0 || order < 3) throw new Error(`mixture orders must be odd and ≥ 3, got ${order}`)
    if (order > bip.length) continue
    for (const subset of combinations(bip.length, order)) {
      for (let mask = 0; mask < 1 << order; mask++) {
        const signs = subset.map((_, k) => ((mask >> k) & 1 ? -1 : 1))
        const sum = new Float64Array(n)
        subset.forEach((p, k) => {
          for (let i = 0; i < n; i++) sum[i]! += signs[k]! * bip[p]![i]!
        })
        const k = key(toState(sum))
        if (!known.has(k)) known.set(k, { kind: 'mixture', pattern: -1, mixture: { patterns: subset, signs } })
      }
    }
  }

  const found = new Map<string, Attractor>()
  const y = new Int8Array(n)
  const settleOpts = dynamics === 'sync' ? { mode: 'sync' as const, maxSweeps, tie: opts.tie } : { mode: 'async' as const, order: dynamics === 'async-random' ? ('random' as const) : ('sequential' as const), rng: opts.rng, maxSweeps, tie: opts.tie }
  const progressEvery = Math.max(1, Math.floor(starts / 100))
  for (let s = 0; s < starts; s++) {
    if (s % progressEvery === 0) {
      checkCancel(opts)
      opts.onProgress?.(s / starts)
    }
    if (method === 'exhaustive') for (let i = 0; i < n; i++) y[i] = (s >> i) & 1 ? 1 : lowV
    else for (let i = 0; i < n; i++) y[i] = opts.rng!.int(2) === 1 ? 1 : lowV
    const r = settle(net, y, settleOpts)
    const k = key(y) + (r.outcome === 'fixed-point' ? '' : r.outcome === 'cycle' ? '|c' : '|u')
    let a = found.get(k)
    if (!a) {
      const info = r.outcome === 'fixed-point' ? known.get(key(y)) : undefined
      const kind: AttractorKind = r.outcome === 'cycle' ? 'cycle' : r.outcome === 'max-iterations' ? 'unsettled' : (info?.kind ?? 'other')
      a = { state: Int8Array.from(y), kind, pattern: info?.pattern ?? -1, mixture: info?.mixture ?? null, count: 0, basinFraction: 0, energy: energy(net, y) }
      found.set(k, a)
    }
    a.count++
  }
  opts.onProgress?.(1)
  const rank: Record<AttractorKind, number> = { stored: 0, negative: 1, mixture: 2, other: 3, cycle: 4, unsettled: 5 }
  const attractors = [...found.values()].sort((a, b) => b.count - a.count || a.energy - b.energy || rank[a.kind] - rank[b.kind] || a.pattern - b.pattern)
  const countsByKind: Record<AttractorKind, number> = { stored: 0, negative: 0, mixture: 0, other: 0, cycle: 0, unsettled: 0 }
  for (const a of attractors) {
    a.basinFraction = a.count / starts
    countsByKind[a.kind] += a.count
  }
  return { method, starts, attractors, countsByKind }
}
