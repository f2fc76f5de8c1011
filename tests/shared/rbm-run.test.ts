// RBM run specs beside experiment specs: dispatch on model.kind, the example is valid, errors name the field.
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { rbmRunSpecSchema } from '../../src/shared/rbm-run'
import { rbmInfoSchema } from '../../src/shared/session'
import { parseRunSpec } from '../../src/main/services/spec-file'

const examples = join(import.meta.dirname, '..', '..', 'examples')
const read = (name: string): unknown => JSON.parse(readFileSync(join(examples, name), 'utf8'))

describe('RBM run spec', () => {
  it('the example is an RBM spec with label units; every other example is its own family or an experiment spec', () => {
    const spec = rbmRunSpecSchema.parse(read('rbm-digits.json'))
    expect(spec.model).toMatchObject({ kind: 'rbm', labels: true, hidden: 64, epochs: 3 })
    expect(spec.engine).toEqual({ provider: 'auto', threads: 0 })
    for (const name of readdirSync(examples).filter((f) => f.endsWith('.json') && !f.endsWith('.result.json'))) {
      expect(parseRunSpec(read(name), name).kind, name).toBe(name.startsWith('rbm-') ? 'rbm' : name.startsWith('recurrent-') ? 'recurrent' : name.startsWith('hopfield-layer-') ? 'hopfield-layer' : name.startsWith('batch-') ? 'batch' : 'experiment')
    }
  })

  it('dispatches on model.kind and names the field of a bad value', () => {
    expect(parseRunSpec({ seed: 1, dataset: { builtin: 'digits' }, model: { kind: 'rbm' } }).kind).toBe('rbm')
    expect(parseRunSpec({ name: 'e', seed: 1, model: { kind: 'hopfield' }, sweep: { type: 'capacity', units: 16, patternCounts: [2], rules: ['hebb'], trials: 1, cuesPerPattern: 1 } }).kind).toBe('experiment')
    // A family without a spec file of its own is named, not parsed as an experiment spec with a confusing error.
    expect(() => parseRunSpec({ seed: 1, model: { kind: 'bam' } }, 'b.json')).toThrow(/b\.json: model\.kind: 'bam' has no spec file of its own/)
    expect(() => parseRunSpec(null)).toThrow(/spec/)
    expect(() => parseRunSpec({ seed: 1, model: { kind: 'rbm' } }, 'x.json')).toThrow(/x\.json: spec\.dataset: /)
    expect(() => parseRunSpec({ seed: 1, dataset: { builtin: 'digits' }, model: { kind: 'rbm', labels: 'yes' } })).toThrow(/spec\.model\.labels: /)
    expect(() => parseRunSpec({ seed: 1, dataset: { builtin: 'digits' }, model: { kind: 'rbm' }, recall: {} })).toThrow(/Unrecognized key/)
    expect(rbmRunSpecSchema.parse({ seed: 1, dataset: { builtin: 'digits' }, model: { kind: 'rbm' } }).model.labels).toBe(false)
  })

  it('an RBM saved before label units existed still loads: no labels, no accuracies, no classification', () => {
    const old = {
      id: 'r',
      name: 'RBM 4→2',
      spec: { kind: 'rbm', visibleUnits: 'bernoulli', hidden: 2, k: 1, persistent: false, learningRate: 0.1, momentum: 0.5, weightDecay: 0, batchSize: 2, epochs: 1, binarise: 'threshold', heldOut: 0 },
      dataset: { builtin: 'seeds-000-nine', threshold: 0.5 },
      seed: 1,
      visible: 4,
      hidden: 2,
      width: 2,
      height: 2,
      trainRows: 4,
      heldOutRows: 0,
      history: [{ epoch: 1, steps: 2, seconds: 0.1, reconstructionError: 0.2, pseudoLikelihood: -3, freeEnergyTrain: -1, freeEnergyHeldOut: null }],
      provider: 'cpu',
      partial: false,
      createdAt: '2026-01-01T00:00:00.000Z'
    }
    // v4 sessions tag each model with its kind (the v3 → v4 migration adds it).
    const info = rbmInfoSchema.parse({ kind: 'rbm', ...old })
    expect(info.spec.labels).toBe(false)
    expect(info.labelUnits).toBeUndefined()
    expect(info.classification).toBeUndefined()
    expect(info.history[0]!.accuracyTrain).toBeUndefined()
  })
})
