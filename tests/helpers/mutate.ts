// Seeded mutations of a JSON document for the fuzz tests (spec files, API params): one value dropped, scaled, resized,
// replaced by an odd value, or a key added beside it.
import type { Rng } from '../../src/core/rng'

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

export const ODD_VALUES: Json[] = [-1, 0, 0.5, 1e9, 1e308, -1e308, 2 ** 53 + 2, '12', '', 'NaN', null, true, [], {}, [1e9], 'user:../../etc/passwd']

/** Every path to a value in the document. */
export function paths(doc: Json, at: (string | number)[] = []): (string | number)[][] {
  if (doc === null || typeof doc !== 'object') return [at]
  const inner = Array.isArray(doc) ? doc.flatMap((v, i) => paths(v, [...at, i])) : Object.entries(doc).flatMap(([k, v]) => paths(v, [...at, k]))
  return [at, ...inner]
}

export function mutate(doc: Json, rng: Rng): { doc: Json; what: string } {
  const copy = JSON.parse(JSON.stringify(doc)) as Json
  const all = paths(copy).filter((p) => p.length > 0)
  const p = all[rng.int(all.length)]!
  const parent = p.slice(0, -1).reduce<Json>((o, k) => (o as Record<string, Json>)[k]!, copy) as Record<string | number, Json>
  const key = p[p.length - 1]!
  const old = parent[key]
  const kind = rng.int(5)
  if (kind === 0 && !Array.isArray(parent)) {
    delete parent[key]
    return { doc: copy, what: `drop ${p.join('.')}` }
  }
  if (kind === 1 && typeof old === 'number') {
    parent[key] = [old * 1000, -old, old + 0.5, old * 1e6][rng.int(4)]!
    return { doc: copy, what: `scale ${p.join('.')}` }
  }
  if (kind === 2 && Array.isArray(old)) {
    parent[key] = rng.int(2) === 0 ? [] : [...old, ...old, ...old]
    return { doc: copy, what: `resize ${p.join('.')}` }
  }
  if (kind === 3 && !Array.isArray(parent) && typeof parent === 'object') {
    parent[`unknown${rng.int(10)}`] = 1
    return { doc: copy, what: `add a key beside ${p.join('.')}` }
  }
  parent[key] = ODD_VALUES[rng.int(ODD_VALUES.length)]!
  return { doc: copy, what: `set ${p.join('.')} = ${JSON.stringify(parent[key])}` }
}

