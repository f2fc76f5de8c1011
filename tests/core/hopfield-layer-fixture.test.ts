// The Hopfield layer's core against an independent PyTorch 1.13 reference (scripts/hopfield-layer-fixture.py →
// tests/fixtures/hopfield-layer/reference.json): the layer in torch ops, F.cross_entropy, autograd's gradients and
// torch.optim.Adam for four steps. The committed JSON is the reference; where /usr/bin/python3 has numpy and torch the
// generator is re-run and must give the same numbers (a visible skip otherwise).
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectClose, rerunFixture, TORCH_AVAILABLE } from '../helpers/fixtures'
import { adamInit, adamStep, HOPFIELD_LAYER_PARAMS, hopfieldLayerGradients, type HopfieldLayerParams, type HopfieldLayerShape } from '../../src/core/hopfield-layer'

const ROOT = resolve(import.meta.dirname, '../..')
const FIXTURE = join(ROOT, 'tests/fixtures/hopfield-layer/reference.json')
const SCRIPT = join(ROOT, 'scripts/hopfield-layer-fixture.py')

interface Reference {
  sizes: HopfieldLayerShape
  batch: number
  steps: number
  beta: number
  learningRate: number
  init: Record<string, number[]>
  x: number[]
  y: number[]
  first: { grads: Record<string, number[]>; attention: number[]; logits: number[] }
  losses: number[]
  final: Record<string, number[]>
}

const ref = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Reference


describe('hopfield layer against PyTorch', () => {
  const s = ref.sizes
  const d = s.inputSize
  const B = ref.batch
  const params = (): HopfieldLayerParams => Object.fromEntries(HOPFIELD_LAYER_PARAMS.map((k) => [k, Float64Array.from(ref.init[k]!)])) as HopfieldLayerParams
  const batch = (step: number) => ({ x: Float64Array.from(ref.x.slice(step * B * d, (step + 1) * B * d)), y: Int32Array.from(ref.y.slice(step * B, (step + 1) * B)) })

  it("the first step's attention, logits, loss and every gradient equal autograd's", () => {
    const b = batch(0)
    const g = hopfieldLayerGradients(s, params(), ref.beta, b.x, b.y, B)
    expect(Math.abs(g.loss - ref.losses[0]!)).toBeLessThan(1e-13)
    expectClose(g.forward.attention, ref.first.attention, 1e-13, 'attention')
    expectClose(g.forward.logits, ref.first.logits, 1e-13, 'logits')
    for (const k of HOPFIELD_LAYER_PARAMS) expectClose(g.grads[k], ref.first.grads[k]!, 1e-12, `grad ${k}`)
  })

  it('four Adam steps give torch.optim.Adam’s losses and weights', () => {
    const p = params()
    const state = adamInit(p)
    for (let step = 0; step < ref.steps; step++) {
      const b = batch(step)
      const g = hopfieldLayerGradients(s, p, ref.beta, b.x, b.y, B)
      expect(Math.abs(g.loss - ref.losses[step]!), `loss ${step}`).toBeLessThan(1e-12)
      adamStep(p, g.grads, state, ref.learningRate)
    }
    for (const k of HOPFIELD_LAYER_PARAMS) expectClose(p[k], ref.final[k]!, 1e-11, k)
  })

  it.skipIf(!TORCH_AVAILABLE)('re-run with PyTorch gives the committed numbers', () => {
    const fresh = rerunFixture<Reference>(SCRIPT, 'engram-hlayer-')
    for (const k of HOPFIELD_LAYER_PARAMS) expectClose(fresh.final[k]!, ref.final[k]!, 1e-12, `re-run ${k}`)
    expectClose(fresh.losses, ref.losses, 1e-12, 're-run losses')
  })
})
