// Bad input as a class (issue 11): every count, size and list a spec file or an API call can carry has an upper bound
// in its schema, so a request for 10⁹ of anything is refused by validation, with the field named, before any work.
// The schemas are walked, not listed by hand: a new field without a bound fails here. Real-valued settings whose
// size costs nothing (thresholds, temperatures), seeds, and text (ids, names; the server caps the request size) are
// exempt.
import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { methods } from '../../src/shared/api'
import { rbmRunSpecSchema } from '../../src/shared/rbm-run'
import { experimentSpecSchema } from '../../src/shared/spec'

/** Larger than any count a run can honour on one machine (and than any dataset, unit count or trial count). */
const CAP = 100_000_000

interface Unbounded {
  path: string
  what: 'integer' | 'list'
}

type Def = { type: string; [k: string]: unknown }
const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } })._zod?.def

function walk(s: unknown, path: string, out: Unbounded[], seen: Set<unknown>): void {
  const def = defOf(s)
  if (!def || seen.has(s)) return
  seen.add(s)
  switch (def.type) {
    case 'number': {
      const n = s as { maxValue: number | null; isInt: boolean }
      // Seeds name a random stream (any 32-bit value), they count nothing (a batch's list of seeds too).
      if (n.isInt && !path.endsWith('.seed') && !path.endsWith('.seeds.*') && !(n.maxValue !== null && n.maxValue <= CAP)) out.push({ path, what: 'integer' })
      break
    }
    case 'array': {
      const checks = (def.checks as { _zod: { def: { check: string; maximum?: number } } }[] | undefined) ?? []
      const max = checks.find((c) => c._zod.def.check === 'max_length')?._zod.def.maximum
      if (!(max !== undefined && max <= CAP)) out.push({ path, what: 'list' })
      walk(def.element, `${path}.*`, out, seen)
      break
    }
    case 'object':
      for (const [k, v] of Object.entries(def.shape as Record<string, unknown>)) walk(v, `${path}.${k}`, out, seen)
      break
    case 'union':
      ;(def.options as unknown[]).forEach((o) => walk(o, path, out, seen))
      break
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
      walk(def.innerType, path, out, seen)
      break
    case 'pipe':
      walk(def.in, path, out, seen)
      break
    case 'record':
      walk(def.valueType, `${path}.*`, out, seen)
      break
    default:
      break
  }
}

function unbounded(schema: z.ZodType, root: string): Unbounded[] {
  const out: Unbounded[] = []
  walk(schema, root, out, new Set())
  return out
}

describe('every count and list in the contract has an upper bound', () => {
  it('experiment specs', () => expect(unbounded(experimentSpecSchema, 'spec')).toEqual([]))
  it('RBM training specs', () => expect(unbounded(rbmRunSpecSchema, 'spec')).toEqual([]))
  for (const [name, m] of Object.entries(methods)) {
    it(`API ${name}`, () => expect(unbounded(m.params as z.ZodType, 'params')).toEqual([]))
  }

  it('a spec asking for 10⁹ of something is refused naming the field', () => {
    const r = experimentSpecSchema.safeParse({ name: 'x', seed: 1, model: { kind: 'hopfield' }, sweep: { type: 'capacity', units: 100, patternCounts: [1e9] } })
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.path).toEqual(['sweep', 'patternCounts', 0])
  })
})
