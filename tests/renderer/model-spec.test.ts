import { describe, expect, it } from 'vitest'
import { hopfieldModelSpecSchema } from '../../src/shared/spec'
import {
  buildModelSpec,
  DEFAULT_ENERGY,
  defaultModelOptions,
  defaultZeroDiagonal,
  describeModelSpec,
  modelOptionsOf,
  RULES,
  ruleCapacity,
  zeroDiagonalOf
} from '../../src/renderer/src/lib/model-spec'

describe('model options → HopfieldModelSpec', () => {
  it('sends the normalisation only for Hebb, and the diagonal only when it differs from the rule default', () => {
    expect(buildModelSpec({ ...defaultModelOptions('hebb'), normalisation: '1/N' })).toEqual({ kind: 'hopfield', rule: 'hebb', normalisation: '1/N' })
    expect(buildModelSpec({ ...defaultModelOptions('hebb'), zeroDiagonal: false })).toEqual({
      kind: 'hopfield',
      rule: 'hebb',
      normalisation: 'none',
      zeroDiagonal: false
    })
    // A Hebb normalisation left on screen does not leak into another rule's spec.
    expect(buildModelSpec({ ...defaultModelOptions('storkey'), normalisation: '1/P' })).toEqual({ kind: 'hopfield', rule: 'storkey', normalisation: 'none' })
    expect(buildModelSpec(defaultModelOptions('pseudo-inverse'))).toEqual({ kind: 'hopfield', rule: 'pseudo-inverse', normalisation: 'none' })
    expect(buildModelSpec({ ...defaultModelOptions('pseudo-inverse'), zeroDiagonal: true })).toMatchObject({ zeroDiagonal: true })
  })

  it('sends the energy settings only for energy training, never a diagonal (the backend keeps it zero)', () => {
    const energy = { ...DEFAULT_ENERGY, valleys: 'random' as const, epochs: 30, eta: 0.05 }
    const spec = buildModelSpec({ rule: 'energy', normalisation: '1/N', zeroDiagonal: false, energy, encoding: 'bipolar', threshold: 0 })
    expect(spec).toEqual({ kind: 'hopfield', rule: 'energy', normalisation: 'none', energy })
    expect(buildModelSpec({ ...defaultModelOptions('hebb'), energy })).not.toHaveProperty('energy')
  })

  it('builds specs the contract accepts unchanged, for every rule', () => {
    for (const r of RULES) {
      for (const zeroDiagonal of [true, false]) {
        const spec = buildModelSpec({ ...defaultModelOptions(r.id), zeroDiagonal })
        expect(hopfieldModelSpecSchema.parse(spec)).toEqual(spec)
      }
    }
  })

  it('reads a trained spec back into the options (and the rule defaults of the diagonal)', () => {
    expect(defaultZeroDiagonal('pseudo-inverse')).toBe(false)
    expect(defaultZeroDiagonal('storkey')).toBe(true)
    expect(zeroDiagonalOf({ rule: 'pseudo-inverse' })).toBe(false)
    expect(zeroDiagonalOf({ rule: 'hebb', zeroDiagonal: false })).toBe(false)
    const options = {
      rule: 'energy' as const,
      normalisation: 'none' as const,
      zeroDiagonal: true,
      energy: { ...DEFAULT_ENERGY, mode: 'batch' as const, epochs: 7 },
      encoding: 'binary' as const,
      threshold: 0.5
    }
    expect(modelOptionsOf(buildModelSpec(options))).toEqual(options)
    expect(modelOptionsOf({ kind: 'hopfield', rule: 'energy', normalisation: 'none' }).energy).toEqual(DEFAULT_ENERGY)
    for (const r of RULES) {
      const o = defaultModelOptions(r.id)
      expect(buildModelSpec(modelOptionsOf(buildModelSpec(o)))).toEqual(buildModelSpec(o))
    }
  })

  it('describes specs and the load each rule holds', () => {
    expect(describeModelSpec({ kind: 'hopfield', rule: 'hebb', normalisation: '1/N' })).toBe('hebb · 1/N · wii = 0')
    expect(describeModelSpec({ kind: 'hopfield', rule: 'pseudo-inverse', normalisation: 'none' })).toBe('pseudo-inverse · wii kept')
    expect(describeModelSpec({ kind: 'hopfield', rule: 'energy', normalisation: 'none', energy: { ...DEFAULT_ENERGY, cueNoise: 0.1 } })).toBe(
      'energy · few-steps sgd · 50 ep · η 0.01 · 2 sweeps · noise 0.1 · wii = 0'
    )
    expect(ruleCapacity('hebb', 100)?.alpha).toBe(0.138)
    expect(ruleCapacity('storkey', 100)?.alpha).toBeCloseTo(1 / Math.sqrt(2 * Math.log(100)), 12)
    expect(ruleCapacity('pseudo-inverse', 100)?.alpha).toBe(1)
    expect(ruleCapacity('energy', 100)).toBeNull()
    expect(RULES.every((r) => r.caption.length > 20 && !r.caption.includes('\n'))).toBe(true)
  })
})
