// The numeric limits a contract schema puts on a field (min, max, exclusive or not, whole numbers), read from the
// zod schema itself so that a form states exactly the limits the backend enforces, never a copy of them.
import type { z } from 'zod'

export interface NumberLimits {
  min: number
  max: number
  /** The bound itself is not allowed (z.number().gt(0), .positive() on a real number). */
  minExclusive: boolean
  maxExclusive: boolean
  integer: boolean
}

export const NO_LIMITS: NumberLimits = { min: -Infinity, max: Infinity, minExclusive: false, maxExclusive: false, integer: false }

interface Internals {
  _zod: { def: { type: string; innerType?: unknown; in?: unknown; element?: unknown; shape?: Record<string, unknown>; options?: unknown[]; checks?: { _zod: { def: Record<string, unknown> } }[]; format?: string | null; values?: unknown[]; discriminator?: string } }
}

function def(schema: unknown): Internals['_zod']['def'] {
  return (schema as Internals)._zod.def
}

/** Through default / optional / nullable / prefault / readonly / pipe wrappers to the schema that checks the value. */
function unwrap(schema: unknown): unknown {
  let s = schema
  for (let i = 0; i < 20; i++) {
    const d = def(s)
    if (d.innerType !== undefined) s = d.innerType
    else if (d.type === 'pipe' && d.in !== undefined) s = d.in
    else return s
  }
  return s
}

/** The limits of a number schema (wrappers unwrapped). Throws when the schema is not a number. */
export function numberLimits(schema: z.ZodType): NumberLimits {
  let s = unwrap(schema)
  // A number-or-list field (one threshold for every unit, or one per unit): the number's limits.
  if (def(s).type === 'union') s = unwrap(def(s).options?.map(unwrap).find((o) => def(o).type === 'number') ?? s)
  const d = def(s)
  if (d.type !== 'number') throw new Error(`numberLimits: a ${d.type} schema, not a number`)
  const out: NumberLimits = { ...NO_LIMITS, integer: typeof d.format === 'string' && /int/.test(d.format) }
  for (const check of d.checks ?? []) {
    const c = check._zod.def
    const value = c.value as number
    if (c.check === 'greater_than' && (value > out.min || (value === out.min && !c.inclusive))) {
      out.min = value
      out.minExclusive = !c.inclusive
    } else if (c.check === 'less_than' && (value < out.max || (value === out.max && !c.inclusive))) {
      out.max = value
      out.maxExclusive = !c.inclusive
    } else if (c.check === 'multiple_of' && value === 1) out.integer = true
  }
  // A whole number above an exclusive bound: the next whole number is the inclusive one (positive() -> at least 1).
  if (out.integer && out.minExclusive) {
    out.min = Math.floor(out.min) + 1
    out.minExclusive = false
  }
  if (out.integer && out.maxExclusive) {
    out.max = Math.ceil(out.max) - 1
    out.maxExclusive = false
  }
  if (out.integer && Number.isFinite(out.max) && out.max >= Number.MAX_SAFE_INTEGER) out.max = Infinity
  return out
}

/**
 * The limits of the number at `path` inside an object schema: `hidden`, `sparsity.target`, `[]` for an array's
 * element; a union is entered by its discriminator's value (`capacity.units` in the sweep union) or else by the
 * first option that has the key.
 */
export function limitsAt(schema: z.ZodType, path: string): NumberLimits {
  let s: unknown = schema
  const parts = path.split('.')
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string
    s = unwrap(s)
    const d = def(s)
    if (d.type === 'object' && d.shape && part in d.shape) s = d.shape[part]
    else if (d.type === 'array' && part === '[]') s = d.element
    else if (d.type === 'union' && d.options) {
      const options = d.options.map(unwrap)
      const byTag = d.discriminator
        ? options.find((o) => {
            const tag = def(o).shape?.[d.discriminator as string]
            return tag !== undefined && (def(tag).values ?? []).includes(part)
          })
        : undefined
      if (byTag) s = byTag
      else {
        const withKey = options.find((o) => def(o).shape?.[part] !== undefined)
        if (!withKey) throw new Error(`limitsAt: no '${part}' in ${path}`)
        s = def(withKey).shape?.[part]
      }
    } else throw new Error(`limitsAt: no '${part}' in ${path}`)
  }
  return numberLimits(s as z.ZodType)
}

/** Limits tightened by a bound the form knows and the schema cannot (the rows of the chosen dataset). */
export function tighten(limits: NumberLimits, bounds: { min?: number; max?: number; integer?: boolean }): NumberLimits {
  const out = { ...limits }
  if (bounds.min !== undefined && bounds.min > out.min) Object.assign(out, { min: bounds.min, minExclusive: false })
  if (bounds.max !== undefined && bounds.max < out.max) Object.assign(out, { max: bounds.max, maxExclusive: false })
  if (bounds.integer) out.integer = true
  return out
}

function fmt(n: number): string {
  return Math.abs(n) >= 1e6 && Number.isInteger(n) ? n.toLocaleString('en') : String(n)
}

/** The limits in words: "a whole number from 1 to 10,000", "a number above 0 and at most 10". */
export function describeLimits(l: NumberLimits): string {
  const kind = l.integer ? 'a whole number' : 'a number'
  const lo = Number.isFinite(l.min) ? (l.minExclusive ? `above ${fmt(l.min)}` : `at least ${fmt(l.min)}`) : null
  const hi = Number.isFinite(l.max) ? (l.maxExclusive ? `below ${fmt(l.max)}` : `at most ${fmt(l.max)}`) : null
  if (lo && hi && !l.minExclusive && !l.maxExclusive) return `${kind} from ${fmt(l.min)} to ${fmt(l.max)}`
  return [kind, [lo, hi].filter(Boolean).join(' and ')].filter(Boolean).join(' ')
}

/** A typed value in an error: huge ones as 1e+9, not ten digits. */
function shown(v: number): string {
  return Math.abs(v) >= 1e6 ? v.toExponential() : String(v)
}

/** Why a value breaks the limits (naming them), or null when it keeps them. NaN: not a number. */
export function checkNumber(value: number, l: NumberLimits): string | null {
  if (!Number.isFinite(value)) return `not a number: enter ${describeLimits(l)}`
  if (l.integer && !Number.isInteger(value)) return `${shown(value)} is not a whole number: enter ${describeLimits(l)}`
  if (value < l.min || (l.minExclusive && value === l.min)) return `${shown(value)} is too small: ${l.minExclusive ? 'above' : 'at least'} ${fmt(l.min)}`
  if (value > l.max || (l.maxExclusive && value === l.max)) return `${shown(value)} is too large: ${l.maxExclusive ? 'below' : 'at most'} ${fmt(l.max)}`
  return null
}
