// The attention view (models.view 'modern.attention'): against the NumPy/PyTorch fixture (given projections and the
// identity, on ±1 patterns with a repeated pattern so two keys tie), through the API on stored letters (the identity
// head is the model's own update with β = 1/√d; cues drawn as a retrieval draws them), and its errors.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/shared/api'
import type { ModernInfo } from '../../src/shared/families/modern'
import { modernAttentionViewSchema } from '../../src/shared/families/modern'
import { attentionView } from '../../src/main/services/families/modern-attention'
import { corruptValues } from '../../src/main/services/families/modern'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { modernHopfield, update } from '../../src/core/modern-hopfield'
import { Rng } from '../../src/core/rng'
import { trainKind, withBackend } from '../helpers/backend'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
interface Head { q: number[]; k: number[]; v: number[]; weights: number[]; output: number[]; hopfield: number[] }
const ref = (JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/modern/reference.json'), 'utf8')) as { attentionView: { T: number; d: number; S: number; dk: number; dv: number; stored: number[]; queries: number[]; wQ: number[]; wK: number[]; wV: number[]; given: Head; identity: Head } }).attentionView

const rows = (flat: number[], cols: number): number[][] => Array.from({ length: flat.length / cols }, (_, i) => flat.slice(i * cols, (i + 1) * cols))
const info = (T: number, d: number): ModernInfo => ({
  kind: 'modern', id: 'm', name: 'm', spec: { kind: 'modern', variant: 'continuous', beta: 0.5, values: 'bipolar', interaction: { kind: 'polynomial', degree: 3 } },
  dataset: { builtin: 'letters', threshold: 0.5 }, units: d, patterns: T, width: d, height: 1, labels: [], largestNorm: 0, separations: [], wellSeparatedThreshold: null, capacityEstimate: null, createdAt: ''
})
function expectClose(got: number[][], want: number[], tol: number): void {
  const flat = got.flat()
  expect(flat.length).toBe(want.length)
  for (let k = 0; k < want.length; k++) expect(Math.abs(flat[k]! - want[k]!), `entry ${k}`).toBeLessThanOrEqual(tol * (1 + Math.abs(want[k]!)))
}
const view = (v: unknown) => modernAttentionViewSchema.parse(v)

describe('attention view against NumPy/PyTorch', () => {
  const stored = Float64Array.from(ref.stored)
  const queries = { from: 'given', values: rows(ref.queries, ref.d) }
  it('given W_Q, W_K [15, 5], W_V [15, 6]: Q, K, V, A, Z and the Hopfield update on [k ; v], β = 1/√5', () => {
    const r = attentionView(info(ref.T, ref.d), stored, view({ kind: 'modern.attention', queries, projection: { kind: 'given', wQ: rows(ref.wQ, ref.dk), wK: rows(ref.wK, ref.dk), wV: rows(ref.wV, ref.dv) } }), 'params.view')
    expect(r.dims).toEqual({ queries: 3, stored: 9, d: 15, dk: 5, dv: 6 })
    expect(r.scale).toBe(1 / Math.sqrt(5))
    for (const key of ['q', 'k', 'v', 'weights', 'output'] as const) expectClose(r[key], ref.given[key], 1e-12)
    expectClose(r.hopfieldOutput, ref.given.hopfield, 1e-12)
    expect(r.maxDiff.weights).toBeLessThan(1e-14)
    expect(r.maxDiff.output).toBeLessThan(1e-13)
    // Patterns 0 and 1 are equal: their keys tie in every row, and argmax takes the first.
    r.weights.forEach((row) => expect(row[0]).toBe(row[1]))
  })

  it('identity projections: K = V = Y, d_k = d = 15, the head is ξ ← Yᵀ softmax(Y ξ/√15)', () => {
    const r = attentionView(info(ref.T, ref.d), stored, view({ kind: 'modern.attention', queries }), 'params.view')
    expect(r.dims).toEqual({ queries: 3, stored: 9, d: 15, dk: 15, dv: 15 })
    for (const key of ['q', 'k', 'v', 'weights', 'output'] as const) expectClose(r[key], ref.identity[key], 1e-12)
    expectClose(r.hopfieldOutput, ref.identity.hopfield, 1e-12)
    // Query 0 is pattern 0 with a fifth of its units flipped, query 1 from pattern 2: the largest weights say so.
    expect(r.argmax.slice(0, 2)).toEqual([0, 2])
  })
})

describe('attention view through the API', () => {
  const backend = withBackend('engram-attention-')
  const letters = new DatasetCatalog(null).resolve({ builtin: 'letters', count: 6, threshold: 0.5 })
  const X = letters.patterns.map((p) => Float64Array.from(p))

  it('cues of stored letters: identity head = the modern update at β = 1/√100 on the same cues; random d_k = 7 agrees with Hopfield', async () => {
    const s = await backend.call('sessions.create', { name: 'attention' })
    const model = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 6 }, model: { kind: 'modern', beta: 2 } })
    const cues = { from: 'cues', patterns: [4, 0, 4], corruption: { type: 'maskFraction', fraction: 0.3, fill: 0 }, seed: 9 }
    const r = await backend.call('models.view', { sessionId: s.id, modelId: model.id, view: { kind: 'modern.attention', queries: cues } })
    if (r.kind !== 'modern.attention') throw new Error(r.kind)
    // The cues: one stream from seed 9, in order, drawn as the retrieval run draws a cue.
    const rng = new Rng(9)
    const want = [4, 0, 4].map((p) => Array.from(corruptValues(X[p]!, { type: 'maskFraction', fraction: 0.3, fill: 0 }, 10, 10, rng)))
    expect(r.queries).toEqual(want)
    expect(r.queries[0]).not.toEqual(r.queries[2])
    expect(r.queryPatterns).toEqual([4, 0, 4])
    expect(r.scale).toBe(0.1)
    const mem = modernHopfield(X, 0.1)
    want.forEach((cue, i) => {
      const u = update(mem, cue)
      r.output[i]!.forEach((v, k) => expect(v).toBeCloseTo(u.state[k]!, 12))
      r.weights[i]!.forEach((v, j) => expect(v).toBeCloseTo(u.weights[j]!, 14))
    })
    expect(r.argmax).toEqual([4, 0, 4])
    const rand = await backend.call('models.view', { sessionId: s.id, modelId: model.id, view: { kind: 'modern.attention', queries: cues, projection: { kind: 'random', dk: 7, seed: 3 } } })
    if (rand.kind !== 'modern.attention') throw new Error(rand.kind)
    expect(rand.dims).toEqual({ queries: 3, stored: 6, d: 100, dk: 7, dv: 100 })
    expect(rand.v).toEqual(X.map((x) => Array.from(x)))
    expect(Math.max(rand.maxDiff.weights, rand.maxDiff.output)).toBeLessThan(1e-12)
    // Seeded: the same seed, the same projections.
    const again = await backend.call('models.view', { sessionId: s.id, modelId: model.id, view: { kind: 'modern.attention', queries: cues, projection: { kind: 'random', dk: 7, seed: 3 } } })
    expect(again).toEqual(rand)
  })

  it('names the field in error before computing', async () => {
    const s = await backend.call('sessions.create', { name: 'attention-errors' })
    const model = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 6 }, model: { kind: 'modern' } })
    const call = (v: unknown) => backend.call('models.view', { sessionId: s.id, modelId: model.id, view: v as never })
    const fieldOf = async (v: unknown): Promise<string | undefined> => {
      const e = await call(v).then(() => null, (err: unknown) => err)
      expect(e).toBeInstanceOf(ApiError)
      return (e as ApiError).field
    }
    expect(await fieldOf({ kind: 'modern.attention', queries: { from: 'cues', patterns: [6] } })).toBe('params.view.queries.patterns[0]')
    expect(await fieldOf({ kind: 'modern.attention', queries: { from: 'given', values: [[1, 2, 3]] } })).toBe('params.view.queries.values[0]')
    expect(await fieldOf({ kind: 'modern.attention', queries: { from: 'cues', patterns: new Array(33).fill(0) } })).toMatch(/^params\.view\.queries/)
    expect(await fieldOf({ kind: 'modern.attention', queries: { from: 'cues', patterns: [0] }, projection: { kind: 'random', dk: 0 } })).toMatch(/^params\.view\.projection/)
    const eye = (n: number, m: number) => Array.from({ length: n }, (_, i) => Array.from({ length: m }, (__, j) => (i === j ? 1 : 0)))
    expect(await fieldOf({ kind: 'modern.attention', queries: { from: 'cues', patterns: [0] }, projection: { kind: 'given', wQ: eye(100, 4), wK: eye(100, 5), wV: eye(100, 3) } })).toBe('params.view.projection.wK')
    expect(await fieldOf({ kind: 'modern.attention', queries: { from: 'cues', patterns: [0] }, projection: { kind: 'given', wQ: eye(99, 4), wK: eye(100, 4), wV: eye(100, 3) } })).toBe('params.view.projection.wQ')
  })
})
