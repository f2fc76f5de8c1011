// The renderer's page registry: each model family has a page, and every job a family runs is followed by one page
// (its result routed somewhere, training included), so a new family cannot be half registered.
import { describe, expect, it } from 'vitest'
import { FAMILIES } from '../../src/shared/families'
import { isPage, jobRoute, PAGES } from '../../src/renderer/src/pages'

describe('page registry', () => {
  it('has a page for every model family and unique ids and tabs', () => {
    for (const f of FAMILIES) expect(PAGES.filter((p) => 'family' in p && p.family === f.kind), f.kind).toHaveLength(1)
    expect(new Set(PAGES.map((p) => p.id)).size).toBe(PAGES.length)
    expect(new Set(PAGES.map((p) => p.tab)).size).toBe(PAGES.length)
    expect(isPage('rbm')).toBe(true)
    expect(isPage('nope')).toBe(false)
  })

  it('routes the end of every job kind a family declares, and experiments', () => {
    for (const f of FAMILIES) {
      for (const kind of [f.train.request.shape.kind.value, ...f.runs.map((r) => r.request.shape.kind.value)]) {
        expect(jobRoute(kind)?.done, kind).toBeTypeOf('function')
      }
    }
    expect(jobRoute('experiment')?.done).toBeTypeOf('function')
    expect(jobRoute('nope')).toBeUndefined()
  })
})
