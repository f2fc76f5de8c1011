// One rounding for every classification accuracy (the source scan that keeps it so: tests/lint/accuracy-format.test.ts).
import { describe, expect, it } from 'vitest'
import { accuracyPct } from '../../src/renderer/src/lib/format'

describe('accuracy', () => {
  it('has one formatter, to 0.1 %', () => {
    expect(accuracyPct(0.8724)).toBe('87.2 %')
    expect(accuracyPct(0.8775)).toBe('87.8 %')
    expect(accuracyPct(null)).toBe('–')
  })
})
