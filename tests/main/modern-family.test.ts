// The modern Hopfield family through the API: storing letters, a traced retrieval checked against the update
// written out here (softmax(β Xᵀξ) by hand), the three fixed-point kinds as β grows, the dense memory, export, reopen.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { keptResult } from '../../src/shared/session'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { corruptValues } from '../../src/main/services/families/modern'
import { corrupt } from '../../src/core/corrupt'
import { Rng } from '../../src/core/rng'
import { decodeSafetensors } from '../../src/core/safetensors'
import { runModel, trainKind, withBackend } from '../helpers/backend'

const backend = withBackend('engram-modern-')
const letters = new DatasetCatalog(null).resolve({ builtin: 'letters', count: 7, threshold: 0.5 })
const X = letters.patterns.map((p) => Array.from(p))
const d = X[0]!.length

/** One update written out: scores z_i = x_i·ξ, p = softmax(βz) (shifted by the max), ξ' = Σ p_i x_i. */
function handUpdate(beta: number, xi: number[]): { p: number[]; next: number[] } {
  const z = X.map((x) => x.reduce((s, v, k) => s + v * xi[k]!, 0))
  const m = Math.max(...z)
  const e = z.map((v) => Math.exp(beta * (v - m)))
  const sum = e.reduce((a, b) => a + b, 0)
  const p = e.map((v) => v / sum)
  return { p, next: Array.from({ length: d }, (_, k) => X.reduce((s, x, i) => s + p[i]! * x[k]!, 0)) }
}

function handEnergy(beta: number, xi: number[]): number {
  const z = X.map((x) => x.reduce((s, v, k) => s + v * xi[k]!, 0))
  const m = Math.max(...z)
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(beta * (v - m)), 0)) / beta
  const M = Math.max(...X.map((x) => Math.sqrt(x.reduce((s, v) => s + v * v, 0))))
  return -lse + 0.5 * xi.reduce((s, v) => s + v * v, 0) + Math.log(X.length) / beta + 0.5 * M * M
}

describe('modern Hopfield family through the API', () => {
  it('stores 7 letters, retrieves a 20 %-flipped A step by step as the update written out says, and reopens', async () => {
    const s = await backend.call('sessions.create', { name: 'modern' })
    const model = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 7 }, model: { kind: 'modern', beta: 0.2 } })
    expect(model).toMatchObject({ units: 100, patterns: 7, width: 10, height: 10, largestNorm: 10, capacityEstimate: null })
    // Δ_i = x_i·x_i − max_{j≠i} x_i·x_j, by hand.
    const dots = (i: number, j: number): number => X[i]!.reduce((a, v, k) => a + v * X[j]![k]!, 0)
    expect(model.separations).toEqual(X.map((_, i) => 100 - Math.max(...X.map((__, j) => (j === i ? -Infinity : dots(i, j))))))
    const r = (await runModel(backend, { sessionId: s.id, modelId: model.id, run: { kind: 'modern.retrieve', pattern: 0, corruption: { type: 'flip', fraction: 0.2 }, seed: 5 } })).result
    // The cue is core/corrupt.ts's draw for the same seed.
    expect(r.cue).toEqual(Array.from(corrupt(letters.patterns[0]!, { type: 'flip', fraction: 0.2 }, 10, 10, new Rng(5))))
    expect(r.cue.filter((v, k) => v !== X[0]![k]).length).toBe(20)
    let xi = r.cue
    for (const [t, step] of r.steps.entries()) {
      expect(step.state, `state ${t}`).toEqual(xi.map((v) => expect.closeTo(v, 12)))
      const { p, next } = handUpdate(0.2, xi)
      step.weights.forEach((w, i) => expect(w).toBeCloseTo(p[i]!, 12))
      expect(step.energy).toBeCloseTo(handEnergy(0.2, xi), 9)
      if (t > 0) expect(step.energy).toBeLessThanOrEqual(r.steps[t - 1]!.energy + 1e-12)
      xi = next
    }
    expect(r).toMatchObject({ variant: 'continuous', beta: 0.2, converged: true, retrieved: 0, hamming: 0, fixedPoint: { kind: 'single', patterns: [0] } })
    // Letters overlap a lot, so at β = 0.2 the fixed point is near x_0, not on it; Theorem 5 bounds one update's error.
    expect(r.error).toBeLessThan(0.05)
    const afterOne = Math.hypot(...r.steps[1]!.state.map((v, k) => v - X[0]![k]!))
    expect(afterOne).toBeLessThanOrEqual(r.errorBound!)
    const reopened = await backend.call('sessions.open', { id: s.id })
    expect(keptResult(reopened, 'modern.retrieve')?.result.cue).toEqual(r.cue)
    expect(reopened.models.find((m) => m.id === model.id)?.kind).toBe('modern')
  })

  it('β decides the fixed point: the global average at small β, single-pattern retrieval at large β', async () => {
    const s = await backend.call('sessions.create', { name: 'beta' })
    const model = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 7 }, model: { kind: 'modern' } })
    const at = async (beta: number) =>
      (await runModel(backend, { sessionId: s.id, modelId: model.id, run: { kind: 'modern.retrieve', pattern: 3, corruption: { type: 'flip', fraction: 0.3 }, seed: 2, beta, maxSteps: 200 } })).result
    const small = await at(1e-4)
    expect(small.fixedPoint?.kind).toBe('global')
    // The global fixed point is (nearly) the mean of the stored patterns.
    const mean = Array.from({ length: d }, (_, k) => X.reduce((a, x) => a + x[k]!, 0) / X.length)
    small.steps.at(-1)!.state.forEach((v, k) => expect(Math.abs(v - mean[k]!)).toBeLessThan(0.05))
    const large = await at(1)
    expect(large.fixedPoint).toMatchObject({ kind: 'single', patterns: [3] })
    // The cue, one update onto x_3 (to rounding), then at most two that hardly move.
    expect(large.steps.length).toBeLessThanOrEqual(4)
    expect(large.error).toBeLessThan(1e-6)
  })

  it('dense associative memory: F = x³ settles with its energy never rising; F = exp retrieves the letter nearest the cue', async () => {
    const s = await backend.call('sessions.create', { name: 'dense' })
    const model = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 7 }, model: { kind: 'modern', variant: 'dense', interaction: { kind: 'polynomial', degree: 3 } } })
    // N^(n−1) / (2 (2n−3)!! ln N) at N = 100, n = 3: 10⁴ / (2·3·ln 100).
    expect(model.capacityEstimate).toBeCloseTo(1e4 / (6 * Math.log(100)), 9)
    const cubic = (await runModel(backend, { sessionId: s.id, modelId: model.id, run: { kind: 'modern.retrieve', pattern: 2, corruption: { type: 'flip', fraction: 0.1 }, seed: 9 } })).result
    expect(cubic).toMatchObject({ variant: 'dense', beta: null, converged: true, fixedPoint: null })
    for (let t = 1; t < cubic.steps.length; t++) expect(cubic.steps[t]!.energy).toBeLessThanOrEqual(cubic.steps[t - 1]!.energy)
    // The last sweep changed nothing: the state is a fixed point (x³ on 7 alike letters need not pick the nearest:
    // the other letters' squared overlaps outvote the few units where C and G differ).
    expect(cubic.steps.at(-1)!.state).toEqual(cubic.steps.at(-2)!.state)
    const expModel = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 7 }, model: { kind: 'modern', variant: 'dense', interaction: { kind: 'exp' } } })
    expect(expModel.capacityEstimate).toBeNull()
    for (const [pattern, fraction] of [[2, 0.1], [2, 0.25], [5, 0.3]] as const) {
      const r = (await runModel(backend, { sessionId: s.id, modelId: expModel.id, run: { kind: 'modern.retrieve', pattern, corruption: { type: 'flip', fraction }, seed: 9 } })).result
      // F = exp weighs each letter by exp(overlap): the stored letter nearest the cue (largest overlap, by hand) wins;
      // letters are alike, so at 25–30 % noise that need not be the letter the cue came from.
      const overlapsOfCue = X.map((x) => x.reduce((a, v, k) => a + v * r.cue[k]!, 0))
      const nearest = overlapsOfCue.indexOf(Math.max(...overlapsOfCue))
      expect(r).toMatchObject({ variant: 'dense', beta: null, converged: true, retrieved: nearest, fixedPoint: null })
      expect(r.steps.at(-1)!.state).toEqual(X[nearest])
      expect(r.hamming).toBe(X[nearest]!.filter((v, k) => v !== X[pattern]![k]).length)
      for (let t = 1; t < r.steps.length; t++) expect(r.steps[t]!.energy).toBeLessThanOrEqual(r.steps[t - 1]!.energy)
      // Overlaps m_μ/N at the end: 1 for the retrieved letter.
      expect(r.steps.at(-1)!.weights[nearest]).toBe(1)
    }
    await expect(backend.call('models.run', { sessionId: s.id, modelId: model.id, run: { kind: 'modern.retrieve', pattern: 2, beta: 1 } })).rejects.toMatchObject({ field: 'params.run.beta' })
    await expect(backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'onnx' })).rejects.toMatchObject({ field: 'params.format' })
  })

  it('names the field of bad input before any work', async () => {
    const s = await backend.call('sessions.create', { name: 'bad' })
    await expect(backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'letters', count: 3 }, model: { kind: 'modern', beta: -1 } })).rejects.toMatchObject({ field: 'params.model.beta' })
    await expect(backend.call('models.train', { sessionId: s.id, dataset: { builtin: 'letters', count: 3 }, model: { kind: 'modern', variant: 'dense', values: 'grey' } })).rejects.toMatchObject({
      field: 'params.model.values'
    })
    const model = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 3 }, model: { kind: 'modern' } })
    await expect(backend.call('models.run', { sessionId: s.id, modelId: model.id, run: { kind: 'modern.retrieve', pattern: 3 } })).rejects.toMatchObject({ field: 'params.run.pattern' })
  })

  it('exports the retrieval step as ONNX (equal to one update) and the patterns as safetensors', async () => {
    const s = await backend.call('sessions.create', { name: 'export' })
    const model = await trainKind(backend, { sessionId: s.id, dataset: { builtin: 'letters', count: 7 }, model: { kind: 'modern', beta: 0.05 } })
    const onnx = await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'onnx' })
    const session = await InferenceSession.create(readFileSync(onnx.path))
    const cue = Float32Array.from(corruptValues(Float64Array.from(X[4]!), { type: 'maskFraction', fraction: 0.5, fill: 0 }, 10, 10, new Rng(3)))
    const out = await session.run({ [session.inputNames[0]!]: new Tensor('float32', cue, [1, d]) })
    const { next, p } = handUpdate(0.05, Array.from(cue))
    const retrieved = out[session.outputNames[0]!]!.data as Float32Array
    retrieved.forEach((v, k) => expect(Math.abs(v - next[k]!)).toBeLessThan(1e-4))
    const weights = out[session.outputNames[1]!]!.data as Float32Array
    weights.forEach((v, i) => expect(Math.abs(v - p[i]!)).toBeLessThan(1e-5))
    const st = await backend.call('models.export', { sessionId: s.id, modelId: model.id, format: 'safetensors' })
    const dict = decodeSafetensors(readFileSync(st.path))
    expect(dict.tensors.patterns!.shape).toEqual([7, d])
    expect(Array.from(dict.tensors.patterns!.data as Float64Array)).toEqual(X.flat())
    expect(dict.metadata).toMatchObject({ kind: 'modern', variant: 'continuous', beta: '0.05' })
  })
})
