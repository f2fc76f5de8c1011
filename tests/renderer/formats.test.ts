// One rounding for every classification accuracy: the epoch summary, the model card and the confusion matrix all
// format through accuracyPct, so one value never shows as two numbers.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { accuracyPct } from '../../src/renderer/src/lib/format'

const COMPONENTS = join(__dirname, '../../src/renderer/src/components')

describe('accuracy', () => {
  it('has one formatter, to 0.1 %', () => {
    expect(accuracyPct(0.8724)).toBe('87.2 %')
    expect(accuracyPct(0.8775)).toBe('87.8 %')
    expect(accuracyPct(null)).toBe('–')
  })

  it('is formatted nowhere else in the components', () => {
    const offenders: string[] = []
    for (const file of readdirSync(COMPONENTS).filter((f: string) => f.endsWith('.vue'))) {
      readFileSync(join(COMPONENTS, file), 'utf8')
        .split('\n')
        .forEach((line: string, i: number) => {
          // Chance level (100 / classes) is not an accuracy.
          const rest = line.replace('(100 / classification.classes.length).toFixed(0)', '')
          if (/accuracy/i.test(rest) && /toFixed\(|Math\.round\(\s*100|100 \*/.test(rest)) offenders.push(`${file}:${i + 1}`)
        })
    }
    expect(offenders).toEqual([])
  })
})
