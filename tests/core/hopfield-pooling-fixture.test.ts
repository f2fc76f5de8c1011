// Hopfield pooling's core against an independent PyTorch 1.13 reference (scripts/hopfield-pooling-fixture.py →
// tests/fixtures/hopfield-pooling/reference.json): the masked pooling in torch ops (masked_fill −inf), F.cross_entropy,
// autograd's gradients and torch.optim.Adam for four steps on bags of different sizes. The committed JSON is the
// reference; where /usr/bin/python3 has numpy and torch the generator is re-run and must give the same numbers.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectClose, rerunFixture, TORCH_AVAILABLE } from '../helpers/fixtures'
import { adamInit, adamStep } from '../../src/core/hopfield-layer'
import { HOPFIELD_POOLING_PARAMS, hopfieldPoolingGradients, type BagBatch, type HopfieldPoolingParams, type HopfieldPoolingShape } from '../../src/core/hopfield-pooling'

const ROOT = resolve(import.meta.dirname, '../..')
const FIXTURE = join(ROOT, 'tests/fixtures/hopfield-pooling/reference.json')
const SCRIPT = join(ROOT, 'scripts/hopfield-pooling-fixture.py')

interface Reference {
  sizes: HopfieldPoolingShape
  batch: number
  length: number
  steps: number
  beta: number
  learningRate: number
  init: Record<string, number[]>
  x: number[]
  mask: number[]
  y: number[]
  first: { grads: Record<string, number[]>; attention: number[]; logits: number[] }
  losses: number[]
  final: Record<string, number[]>
}

const ref = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Reference


describe('hopfield pooling against PyTorch', () => {
  const s = ref.sizes
  const { batch: B, length: N } = ref
  const d = s.inputSize
  const params = (): HopfieldPoolingParams => Object.fromEntries(HOPFIELD_POOLING_PARAMS.map((k) => [k, Float64Array.from(ref.init[k]!)])) as HopfieldPoolingParams
  const batch = (step: number): BagBatch => ({
    x: Float64Array.from(ref.x.slice(step * B * N * d, (step + 1) * B * N * d)),
    mask: Uint8Array.from(ref.mask.slice(step * B * N, (step + 1) * B * N)),
    bags: B,
    length: N
  })
  const labels = (step: number) => Int32Array.from(ref.y.slice(step * B, (step + 1) * B))

  it('the fixture has bags of different sizes', () => {
    const sizes = new Set(Array.from({ length: ref.steps * B }, (_, b) => ref.mask.slice(b * N, (b + 1) * N).reduce((a, v) => a + v, 0)))
    expect(sizes.size).toBeGreaterThan(3)
  })

  it("the first step's attention, logits, loss and every gradient equal autograd's", () => {
    const g = hopfieldPoolingGradients(s, params(), ref.beta, batch(0), labels(0))
    expect(Math.abs(g.loss - ref.losses[0]!)).toBeLessThan(1e-13)
    expectClose(g.forward.attention, ref.first.attention, 1e-13, 'attention')
    expectClose(g.forward.logits, ref.first.logits, 1e-13, 'logits')
    for (const k of HOPFIELD_POOLING_PARAMS) expectClose(g.grads[k], ref.first.grads[k]!, 1e-12, `grad ${k}`)
  })

  it('four Adam steps give torch.optim.Adam’s losses and weights', () => {
    const p = params()
    const state = adamInit(p)
    for (let step = 0; step < ref.steps; step++) {
      const g = hopfieldPoolingGradients(s, p, ref.beta, batch(step), labels(step))
      expect(Math.abs(g.loss - ref.losses[step]!), `loss ${step}`).toBeLessThan(1e-12)
      adamStep(p, g.grads, state, ref.learningRate)
    }
    for (const k of HOPFIELD_POOLING_PARAMS) expectClose(p[k], ref.final[k]!, 1e-11, k)
  })

  it.skipIf(!TORCH_AVAILABLE)('re-run with PyTorch gives the committed numbers', () => {
    const fresh = rerunFixture<Reference>(SCRIPT, 'engram-hpool-')
    for (const k of HOPFIELD_POOLING_PARAMS) expectClose(fresh.final[k]!, ref.final[k]!, 1e-12, `re-run ${k}`)
    expectClose(fresh.losses, ref.losses, 1e-12, 're-run losses')
  })
})
