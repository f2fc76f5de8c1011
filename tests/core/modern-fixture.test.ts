// Modern Hopfield, attention and dense-AM core against an independent NumPy/PyTorch 1.13 reference
// (scripts/modern-hopfield-fixture.py → tests/fixtures/modern/reference.json): torch.softmax/logsumexp updates and
// energies, iteration to convergence, torch.nn.MultiheadAttention (one head), and dense-AM energies recomputed in full.
// The committed JSON is the reference; where /usr/bin/python3 has numpy and torch the generator is re-run and must
// give the same numbers (a visible skip otherwise).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { attentionHead, matrix } from '../../src/core/attention'
import { denseAM, energy, energyDifference, overlaps, type Interaction } from '../../src/core/dense-am'
import { energy as modernEnergy, modernHopfield, retrieve, update } from '../../src/core/modern-hopfield'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const FIXTURE = join(ROOT, 'tests/fixtures/modern/reference.json')
const SCRIPT = join(ROOT, 'scripts/modern-hopfield-fixture.py')

interface Reference {
  modern: {
    count: number
    dim: number
    patterns: number[]
    states: number[]
    epsilon: number
    maxSteps: number
    betas: { beta: number; rows: { weights: number[]; update: number[]; energy: number; fixedPoint: number[]; steps: number }[] }[]
  }
  attention: { queries: number[]; stored: number[]; S: number; T: number; dModel: number; dKV: number; wQ: number[]; wK: number[]; wV: number[]; output: number[]; weights: number[] }
  dense: { units: number; count: number; patterns: number[]; states: number[]; kinds: Record<string, { energies: number[]; differences: number[][] }> }
}

const ref = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Reference

function expectClose(got: ArrayLike<number>, want: readonly number[], tol: number): void {
  expect(got.length).toBe(want.length)
  for (let k = 0; k < want.length; k++) expect(Math.abs(got[k]! - want[k]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(want[k]!)))
}

const torchAvailable = spawnSync('/usr/bin/python3', ['-c', 'import numpy, torch'], { encoding: 'utf8' }).status === 0

describe('modern Hopfield against PyTorch', () => {
  const { count, dim, patterns, states } = ref.modern
  it('weights, one update and energy for 5 states × 3 β (13 patterns, d = 7)', () => {
    for (const b of ref.modern.betas) {
      const mem = modernHopfield({ data: patterns, count, dim }, b.beta)
      b.rows.forEach((r, s) => {
        const xi = states.slice(s * dim, (s + 1) * dim)
        const u = update(mem, xi)
        expectClose(u.weights, r.weights, 1e-13)
        expectClose(u.state, r.update, 1e-13)
        expect(Math.abs(modernEnergy(mem, xi) - r.energy)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(r.energy)))
      })
    }
  })

  it('iteration to convergence: the same fixed points and the same number of updates', () => {
    for (const b of ref.modern.betas) {
      const mem = modernHopfield({ data: patterns, count, dim }, b.beta)
      b.rows.forEach((r, s) => {
        const got = retrieve(mem, states.slice(s * dim, (s + 1) * dim), { epsilon: ref.modern.epsilon, maxSteps: ref.modern.maxSteps })
        expect(got.steps).toBe(r.steps)
        expectClose(got.state, r.fixedPoint, 1e-11)
      })
    }
  })
})

describe('attention head against torch.nn.MultiheadAttention (one head, no bias, identity output projection)', () => {
  it('output and attention weights', () => {
    const a = ref.attention
    const out = attentionHead({
      queries: matrix(a.S, a.dModel, a.queries),
      stored: matrix(a.T, a.dKV, a.stored),
      wQ: matrix(a.dModel, a.dModel, a.wQ),
      wK: matrix(a.dKV, a.dModel, a.wK),
      wV: matrix(a.dKV, a.dModel, a.wV)
    })
    expectClose(out.weights.data, a.weights, 1e-12)
    expectClose(out.output.data, a.output, 1e-12)
  })
})

describe('dense associative memory against NumPy (energies recomputed in full)', () => {
  const d = ref.dense
  const rows = (flat: number[], k: number): number[][] => Array.from({ length: k }, (_, i) => flat.slice(i * d.units, (i + 1) * d.units))
  const kinds: Record<string, Interaction> = {
    poly3: { kind: 'polynomial', degree: 3 },
    rect4: { kind: 'rectified-polynomial', degree: 4 },
    exp: { kind: 'exp' }
  }
  it('energies and energy differences of F = x³, rectified x⁴ and exp', () => {
    const nStates = d.states.length / d.units
    for (const [name, f] of Object.entries(kinds)) {
      const want = d.kinds[name]!
      const mem = denseAM(rows(d.patterns, d.count), f)
      rows(d.states, nStates).forEach((s, k) => {
        expect(Math.abs(energy(mem, s) - want.energies[k]!)).toBeLessThanOrEqual(1e-12 * Math.abs(want.energies[k]!))
        const m = overlaps(mem, s)
        for (let i = 0; i < d.units; i++) {
          const got = energyDifference(mem, s, i, m)
          if (f.kind === 'exp') expect(Math.sign(got)).toBe(Math.sign(want.differences[k]![i]!))
          else expect(got).toBe(want.differences[k]![i])
        }
      })
    }
  })
})

describe('the fixture generator', () => {
  it.skipIf(!torchAvailable)('re-run with NumPy and PyTorch gives the committed numbers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-modern-'))
    try {
      const r = spawnSync('/usr/bin/python3', [SCRIPT, dir], { encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      const fresh = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference & Record<string, unknown>
      const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : typeof v === 'number' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(flat) : [])
      const a = flat({ modern: fresh.modern, attention: fresh.attention, dense: fresh.dense, attentionView: fresh.attentionView })
      const b = flat({ modern: ref.modern, attention: ref.attention, dense: ref.dense, attentionView: (ref as unknown as Record<string, unknown>).attentionView })
      expectClose(a, b, 1e-12)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
