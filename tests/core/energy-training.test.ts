import { describe, expect, it } from 'vitest'
import { lettersDataset } from '../../src/core/datasets/letters'
import { trainEnergy } from '../../src/core/energy-training'
import { energy, hebb, isFixedPoint } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'

const { patterns, labels } = lettersDataset()
const fixedCount = (net: ReturnType<typeof hebb>, pats: Int8Array[]) => pats.filter((p) => isFixedPoint(net, p)).length

describe('004 training by energy minimisation on the 10×10 letters', () => {
  it('Hebb keeps none of the 26 correlated letters as fixed points; at most 4 mutually (e.g. C A I V)', () => {
    expect(fixedCount(hebb(patterns), patterns)).toBe(0)
    const caiv = ['C', 'A', 'I', 'V'].map((l) => patterns[labels.indexOf(l)]!)
    expect(fixedCount(hebb(caiv), caiv)).toBe(4)
    expect(fixedCount(hebb(patterns.slice(0, 3)), patterns.slice(0, 3))).toBe(0)
  })

  it('few-step SGD (2 sweeps) makes all 26 letters fixed points', () => {
    const r = trainEnergy(patterns, { rng: new Rng(5), epochs: 100, valleys: 'few-steps', mode: 'sgd', eta: 0.01 })
    expect(fixedCount(r.net, patterns)).toBe(26)
    expect(r.history.at(-1)!.fixedTargets).toBe(26)
    expect(r.history[0]!.fixedTargets).toBeLessThan(26)
  })

  it('valleys from the targets (batch) make all 26 letters fixed points, each in a valley of E', () => {
    const r = trainEnergy(patterns, { rng: new Rng(6), epochs: 100, valleys: 'targets', mode: 'batch', eta: 0.01 })
    expect(fixedCount(r.net, patterns)).toBe(26)
    // Every letter now sits in its own valley: each single flip raises E.
    for (const p of patterns) {
      const e0 = energy(r.net, p)
      for (let i = 0; i < 100; i += 7) {
        const q = Int8Array.from(p)
        q[i] = -q[i]!
        expect(energy(r.net, q)).toBeGreaterThan(e0)
      }
    }
  })

  it('valleys from random starts (batch) store the first 10 letters', () => {
    const ten = patterns.slice(0, 10)
    const r = trainEnergy(ten, { rng: new Rng(5), epochs: 150, valleys: 'random', mode: 'batch', eta: 0.01 })
    expect(fixedCount(r.net, ten)).toBe(10)
  })

  it('keeps the diagonal and the symmetry of W', () => {
    const r = trainEnergy(patterns.slice(0, 8), { rng: new Rng(1), epochs: 30, valleys: 'few-steps', eta: 0.01 })
    for (let i = 0; i < 100; i++) {
      expect(r.net.weights[i * 101]).toBe(0)
      for (let j = 0; j < i; j++) expect(r.net.weights[i * 100 + j]).toBe(r.net.weights[j * 100 + i])
    }
  })
})

describe('importance', () => {
  it('SGD samples targets in proportion to importance (3 : 1 : 0)', () => {
    const three = [patterns[0]!, patterns[8]!, patterns[21]!]
    const r = trainEnergy(three, { rng: new Rng(9), epochs: 400, valleys: 'few-steps', importance: [3, 1, 0], stopWhenStable: false })
    expect(r.samples[2]).toBe(0)
    expect(r.samples[0]! + r.samples[1]!).toBe(1200)
    // Binomial(1200, 3/4): mean 900, sd 15.
    expect(Math.abs(r.samples[0]! - 900)).toBeLessThan(60)
  })

  it('reports progress, honours cancel, validates importance', () => {
    const seen: number[] = []
    trainEnergy(patterns.slice(0, 4), { rng: new Rng(2), epochs: 5, valleys: 'few-steps', stopWhenStable: false, onProgress: (f) => seen.push(f) })
    expect(seen).toEqual([0.2, 0.4, 0.6, 0.8, 1])
    let calls = 0
    expect(() => trainEnergy(patterns.slice(0, 4), { rng: new Rng(2), epochs: 50, valleys: 'few-steps', stopWhenStable: false, shouldCancel: () => ++calls > 3 })).toThrow('cancelled')
    expect(() => trainEnergy(patterns.slice(0, 2), { rng: new Rng(2), epochs: 1, valleys: 'targets', importance: [1] })).toThrow(/importance must hold 2/)
  })
})
