// Engine modern Hopfield retrieval (float32 ONNX, chunked online softmax, settled queries leaving the Loop) against the
// float64 core (core/modern-hopfield.ts): one update, iteration to convergence with per-query step counts, the step
// limit, large β; the exported retrieval step round-tripped in onnxruntime-node at several batch sizes; onnx checker.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { modernHopfield, retrievalWeights, retrieve, update } from '../../src/core/modern-hopfield'
import { Rng } from '../../src/core/rng'
import { decodeModel } from '../../src/engine/onnx/builder'
import { createSession } from '../../src/engine/ort'
import { exportModernHopfieldOnnx, modernRetrieveBatch } from '../../src/engine/modern-hopfield'
import { buildModernHopfieldRetrievalModel } from '../../src/engine/programs/modern-hopfield-retrieval'
import { HAS_ONNX, onnxCheck } from './helpers'

interface Case {
  patterns: Float32Array
  queries: Float32Array
  count: number
  dim: number
  batch: number
}

/** Patterns with norms near `scale`; half the queries are noisy patterns, half random points. */
function makeCase(seed: number, count: number, dim: number, batch: number, scale = 1.5, noise = 0.05): Case {
  const rng = new Rng(seed)
  const patterns = Float32Array.from({ length: count * dim }, () => (scale * rng.normal()) / Math.sqrt(dim))
  const queries = new Float32Array(batch * dim)
  for (let q = 0; q < batch; q++) {
    const p = rng.int(count)
    for (let k = 0; k < dim; k++) queries[q * dim + k] = q % 2 === 0 ? patterns[p * dim + k]! + noise * rng.normal() : (scale * rng.normal()) / Math.sqrt(dim)
  }
  return { patterns, queries, count, dim, batch }
}

function maxRelDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0
  for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k]! - want[k]!) / (1 + Math.abs(want[k]!)))
  return worst
}

describe('modern Hopfield retrieval on the engine', () => {
  it('one update equals the core at every chunking of the score matrix (N = 37: one chunk, 10, 7 with padding, 1)', async () => {
    const c = makeCase(1, 37, 11, 13)
    const norm = (v: Float32Array, k: number): number => Math.hypot(...v.subarray(k * c.dim, (k + 1) * c.dim))
    const scoreBound = Math.max(...Array.from({ length: c.count }, (_, k) => norm(c.patterns, k))) * Math.max(...Array.from({ length: c.batch }, (_, k) => norm(c.queries, k)))
    for (const beta of [0.3, 8, 250]) {
      const mem = modernHopfield({ data: c.patterns, count: c.count, dim: c.dim }, beta)
      const want = new Float64Array(c.batch * c.dim)
      for (let q = 0; q < c.batch; q++) want.set(update(mem, c.queries.subarray(q * c.dim, (q + 1) * c.dim)).state, q * c.dim)
      for (const patternChunk of [37, 10, 7, 1]) {
        const got = await modernRetrieveBatch(c.patterns, c.count, c.dim, c.queries, c.batch, { beta, mode: 'step', patternChunk, provider: 'cpu' })
        expect(got.state.every(Number.isFinite)).toBe(true)
        // float32 rounds the exponent β·xᵀξ by about 2^-24·β·|xᵀξ| ≤ 2^-24·β·M·‖ξ‖: the weights inherit that relative error.
        expect(maxRelDiff(got.state, want)).toBeLessThan(3e-6 + 2 ** -21 * beta * scoreBound)
        expect(Array.from(got.steps)).toEqual(new Array(c.batch).fill(1))
        // the plain one-update graph (no Loop around it; modernRetrieveBatch runs the converge program for one step).
        const { session } = await createSession(buildModernHopfieldRetrievalModel({ dim: c.dim, count: c.count, mode: 'step', chunk: patternChunk }), { provider: 'cpu', threads: 1 })
        const out = await session.run({
          state: { type: 'float32', data: c.queries, dims: [c.batch, c.dim] },
          patterns: { type: 'float32', data: c.patterns, dims: [c.count, c.dim] },
          beta: { type: 'float32', data: Float32Array.of(beta), dims: [] }
        })
        expect(maxRelDiff(out.retrieved!.data as Float32Array, want)).toBeLessThan(3e-6 + 2 ** -21 * beta * scoreBound)
        await session.release()
      }
    }
  })

  it('to convergence: the same fixed points and the same per-query step counts as the core', async () => {
    let compared = 0
    let borderline = 0
    const stepCounts = new Set<number>()
    for (const [seed, count, dim, batch, patternChunk] of [
      [2, 37, 11, 13, 10],
      [3, 101, 23, 29, 33],
      [4, 250, 19, 41, 64]
    ] as const) {
      const c = makeCase(seed, count, dim, batch)
      for (const beta of [8, 40]) {
        const mem = modernHopfield({ data: c.patterns, count, dim }, beta)
        const got = await modernRetrieveBatch(c.patterns, count, dim, c.queries, batch, { beta, epsilon: 1e-4, maxSteps: 60, patternChunk, chunk: 17, provider: 'cpu' })
        for (let q = 0; q < batch; q++) {
          const r = retrieve(mem, c.queries.subarray(q * dim, (q + 1) * dim), { epsilon: 1e-4, maxSteps: 60, trace: true })
          // a move within float32 rounding of ε may stop one update apart (then both states are within ~ε of the
          // fixed point); every other query must take exactly the core's number of updates.
          const nearEps = r.moves.some((m) => Math.abs(m - 1e-4) < 1e-6)
          if (nearEps) {
            expect(Math.abs(got.steps[q]! - r.steps)).toBeLessThanOrEqual(1)
            expect(maxRelDiff(got.state.subarray(q * dim, (q + 1) * dim), r.state)).toBeLessThan(2e-4)
            borderline++
          } else {
            expect(got.steps[q]).toBe(r.steps)
            expect(maxRelDiff(got.state.subarray(q * dim, (q + 1) * dim), r.state)).toBeLessThan(5e-6)
            compared++
          }
          stepCounts.add(r.steps)
        }
      }
    }
    expect(compared + borderline).toBe(2 * (13 + 29 + 41))
    expect(borderline).toBeLessThanOrEqual(3)
    // queries settled after different numbers of updates, each kept at its own fixed point: they left the loop.
    expect(stepCounts.size).toBeGreaterThan(3)
  })

  it('queries still moving at maxSteps come out with steps = maxSteps and the core state after maxSteps updates', async () => {
    const c = makeCase(5, 23, 13, 19, 1.5, 0.3)
    const beta = 3
    const mem = modernHopfield({ data: c.patterns, count: c.count, dim: c.dim }, beta)
    const got = await modernRetrieveBatch(c.patterns, c.count, c.dim, c.queries, c.batch, { beta, epsilon: 1e-7, maxSteps: 3, patternChunk: 5, provider: 'cpu' })
    let capped = 0
    for (let q = 0; q < c.batch; q++) {
      const r = retrieve(mem, c.queries.subarray(q * c.dim, (q + 1) * c.dim), { epsilon: 1e-7, maxSteps: 3 })
      expect(got.steps[q]).toBe(r.steps)
      if (!r.converged) capped++
      expect(maxRelDiff(got.state.subarray(q * c.dim, (q + 1) * c.dim), r.state)).toBeLessThan(5e-6)
    }
    expect(capped).toBeGreaterThan(0)
  })

  it('edges of the chunking: one stored pattern, a batch of 1, a last chunk of one row, ties at the max across chunks', async () => {
    const dim = 9
    // N = 1: every weight is 1, so one update returns x_1 exactly whatever the query and β.
    const single = makeCase(11, 1, dim, 4)
    for (const beta of [0.01, 50]) {
      const got = await modernRetrieveBatch(single.patterns, 1, dim, single.queries, 4, { beta, mode: 'step', patternChunk: 1, provider: 'cpu' })
      for (let q = 0; q < 4; q++) expect(Array.from(got.state.subarray(q * dim, (q + 1) * dim))).toEqual(Array.from(single.patterns))
    }
    // N = 11 in chunks of 5: the last chunk is the single row 10. Rows 1, 6 and 10 are the same pattern, one in each chunk,
    // and the query is that pattern, so the maximum score is reached in every chunk (the online softmax rescales by
    // exp(0)) and the three tied weights must come out equal.
    const c = makeCase(12, 11, dim, 3, 3)
    for (const r of [6, 10]) c.patterns.set(c.patterns.subarray(dim, 2 * dim), r * dim)
    c.queries.set(c.patterns.subarray(dim, 2 * dim), 0)
    for (const beta of [0.5, 30]) {
      const mem = modernHopfield({ data: c.patterns, count: 11, dim }, beta)
      const w = retrievalWeights(mem, c.queries.subarray(0, dim))
      expect(w[1]).toBe(w[6])
      expect(w[6]).toBe(w[10])
      for (const patternChunk of [5, 11, 64]) {
        for (const batch of [1, 3]) {
          const got = await modernRetrieveBatch(c.patterns, 11, dim, c.queries.subarray(0, batch * dim), batch, { beta, mode: 'step', patternChunk, provider: 'cpu' })
          for (let q = 0; q < batch; q++) expect(maxRelDiff(got.state.subarray(q * dim, (q + 1) * dim), update(mem, c.queries.subarray(q * dim, (q + 1) * dim)).state)).toBeLessThan(5e-6)
        }
      }
    }
  })

  it('reads the chunks straight from the patterns input: no per-run copy of the whole pattern set', () => {
    const { graph } = decodeModel(buildModernHopfieldRetrievalModel({ dim: 7, count: 50, mode: 'converge', chunk: 8 }))
    const consumers = (g: typeof graph): string[] => (g!.node ?? []).filter((n) => (n.input ?? []).includes('patterns')).map((n) => n.opType!)
    // main graph: nothing reads the patterns (an earlier version padded, reshaped and transposed them on every run).
    expect(consumers(graph)).toEqual([])
    const loopBody = (g: typeof graph) => (g!.node ?? []).find((n) => n.opType === 'Loop')!.attribute!.find((a) => a.name === 'body')!.g!
    // retrieval_step body → chunk Loop body: the only reader is the Slice of chunk k.
    expect(consumers(loopBody(loopBody(graph)))).toEqual(['Slice'])
  })

  it('names a non-finite value in the patterns or the queries', async () => {
    const c = makeCase(13, 6, 4, 3)
    const patterns = Float32Array.from(c.patterns)
    patterns[4 * 4 + 2] = Number.NaN
    await expect(modernRetrieveBatch(patterns, 6, 4, c.queries, 3, { beta: 1 })).rejects.toThrow(/patterns: row 4, component 2 is not finite/)
    const queries = Float32Array.from(c.queries)
    queries[2 * 4 + 3] = -Infinity
    await expect(modernRetrieveBatch(c.patterns, 6, 4, queries, 3, { beta: 1 })).rejects.toThrow(/queries: row 2, component 3 is not finite/)
  })

  it('rejects bad hyper-parameters, naming them', async () => {
    const c = makeCase(6, 5, 3, 2)
    const run = (o: Record<string, unknown>): Promise<unknown> => modernRetrieveBatch(c.patterns, 5, 3, c.queries, 2, { beta: 1, ...o })
    await expect(run({ beta: 0 })).rejects.toThrow(/beta/)
    await expect(run({ beta: -2 })).rejects.toThrow(/beta/)
    await expect(run({ epsilon: -1 })).rejects.toThrow(/epsilon/)
    await expect(run({ maxSteps: 0 })).rejects.toThrow(/maxSteps/)
    await expect(run({ patternChunk: 0 })).rejects.toThrow(/patternChunk/)
    await expect(modernRetrieveBatch(c.patterns, 5, 3, c.queries, 3, { beta: 1 })).rejects.toThrow(/queries has 6 values/)
    expect(() => buildModernHopfieldRetrievalModel({ dim: 3, count: 0, mode: 'step' })).toThrow(/count/)
  })
})

describe('modern Hopfield ONNX export', () => {
  const c = makeCase(7, 29, 17, 23)
  const beta = 6.5
  const bytes = exportModernHopfieldOnnx(c.patterns, c.count, c.dim, beta, { engram_version: 'test' })

  it('is MatMul–Mul–Softmax–MatMul with the patterns embedded, and round-trips at batch 1, 5 and 23', async () => {
    const graph = decodeModel(bytes).graph!
    expect((graph.node ?? []).map((n) => n.opType).filter((t) => t !== 'Identity')).toEqual(['MatMul', 'Mul', 'Softmax', 'MatMul'])
    expect((graph.initializer ?? []).map((t) => t.name)).toContain('stored_patterns')
    const { session } = await createSession(bytes, { provider: 'cpu', threads: 1 })
    const mem = modernHopfield({ data: c.patterns, count: c.count, dim: c.dim }, beta)
    for (const batch of [1, 5, 23]) {
      const out = await session.run({ state: { type: 'float32', data: c.queries.slice(0, batch * c.dim), dims: [batch, c.dim] } })
      const retrieved = out.retrieved!.data as Float32Array
      const weights = out.weights!.data as Float32Array
      expect(out.retrieved!.dims).toEqual([batch, c.dim])
      for (let q = 0; q < batch; q++) {
        const cue = c.queries.subarray(q * c.dim, (q + 1) * c.dim)
        expect(maxRelDiff(retrieved.subarray(q * c.dim, (q + 1) * c.dim), update(mem, cue).state)).toBeLessThan(2e-6)
        expect(maxRelDiff(weights.subarray(q * c.count, (q + 1) * c.count), retrievalWeights(mem, cue))).toBeLessThan(2e-6)
      }
    }
    await session.release()
  })

  it.skipIf(!HAS_ONNX)('the export and both retrieval programs pass the onnx checker (full_check)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-modern-onnx-'))
    try {
      const models = {
        export: bytes,
        step: buildModernHopfieldRetrievalModel({ dim: 17, count: 29, mode: 'step', chunk: 8 }),
        converge: buildModernHopfieldRetrievalModel({ dim: 17, count: 29, mode: 'converge', chunk: 8 })
      }
      for (const [name, model] of Object.entries(models)) {
        const file = join(dir, `${name}.onnx`)
        writeFileSync(file, model)
        const r = onnxCheck(file)
        expect(r?.ok, `${name}: ${r?.output}`).toBe(true)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a bad β or non-finite patterns, naming them', () => {
    expect(() => exportModernHopfieldOnnx(c.patterns, c.count, c.dim, 0)).toThrow(/beta/)
    const bad = Float32Array.from(c.patterns)
    bad[20] = Number.NaN
    expect(() => exportModernHopfieldOnnx(bad, c.count, c.dim, 1)).toThrow(/pattern 1, component 3/)
  })
})
