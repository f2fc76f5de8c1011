// The epoch summary, the model card and the confusion matrix all format accuracies through accuracyPct
// (src/renderer/src/lib/format.ts), so one value never shows as two numbers: no component rounds one itself.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const COMPONENTS = join(__dirname, '../../src/renderer/src/components')

describe('accuracy in the components', () => {
  it('is formatted nowhere but accuracyPct', () => {
    const offenders: string[] = []
    for (const file of readdirSync(COMPONENTS).filter((f) => f.endsWith('.vue'))) {
      readFileSync(join(COMPONENTS, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // Chance level (100 / classes) is not an accuracy.
          const rest = line.replace('(100 / classification.classes.length).toFixed(0)', '')
          if (/accuracy/i.test(rest) && /toFixed\(|Math\.round\(\s*100|100 \*/.test(rest)) offenders.push(`${file}:${i + 1}`)
        })
    }
    expect(offenders).toEqual([])
  })
})
