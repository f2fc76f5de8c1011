import { describe, expect, it } from 'vitest'
import { parseRowList } from '../../src/renderer/src/lib/rows'

describe('parseRowList', () => {
  it('reads numbers and ranges in order, without repeats', () => {
    expect(parseRowList('0-3, 7 2;10', 20)).toEqual([0, 1, 2, 3, 7, 10])
    expect(parseRowList(' 5 ', 6)).toEqual([5])
  })
  it('names the bad part', () => {
    expect(() => parseRowList('', 10)).toThrow(/rows: give row numbers/)
    expect(() => parseRowList('3-1', 10)).toThrow(/'3-1' runs backwards/)
    expect(() => parseRowList('a', 10)).toThrow(/'a' is not a row number/)
    expect(() => parseRowList('0-10', 10)).toThrow(/10 is past the last row \(9\)/)
    expect(() => parseRowList('0-99', 200, 64)).toThrow(/at most 64/)
  })
})
