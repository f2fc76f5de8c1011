// Every example spec in examples/ is valid against the contract (the README and docs point users at them).
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readRunSpecFile } from '../../src/main/services/spec-file'
import { runExperiment } from '../../src/main/services/experiments'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { experimentData } from '../../src/main/services/experiments/data'

const dir = join(import.meta.dirname, '..', '..', 'examples')
// The shipped specs; a result a user wrote here (an older CLI put them beside the spec) is not one.
const files = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.result.json'))

describe('examples/', () => {
  it('has examples', () => expect(files.length).toBeGreaterThanOrEqual(5))
  for (const f of files) {
    it(`${f} is a valid spec`, () => {
      expect(() => readRunSpecFile(join(dir, f))).not.toThrow()
    })
  }

  it("discrete-hopfield-003.json: 003's binary net with the cue held on recovers (1, 1, 1, 0) from every one-unit error", async () => {
    const run = readRunSpecFile(join(dir, 'discrete-hopfield-003.json'))
    if (run.kind !== 'experiment') throw new Error('expected an experiment spec')
    const r = await runExperiment(run.spec, experimentData(run.spec, new DatasetCatalog(null)))
    expect(r.metrics!.cues).toBe(20)
    expect(r.model?.metadata.states).toBe('binary (0, 1)')
    // 003: one wrong unit of (1, 1, 1, 0), with the cue as input, always comes back.
    expect(r.metrics!.successRate).toBe(1)
  })
})
