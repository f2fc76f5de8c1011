// Bad input as a class, fuzzed for a bounded time: every example spec mutated (numbers made huge, negative, fractional
// or strings; keys dropped or added; arrays emptied) is either accepted by the checks that run before any work or
// refused with one line naming the field; result files whose tensors are damaged (bad base64, data shorter than the
// shape, NaN/Inf values, wrong dtype) given to `engram export` fail with one line, never a stack, and never export
// a NaN. Seeded: a failure names the trial that reproduces it.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Rng } from '../../src/core/rng'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { experimentData } from '../../src/main/services/experiments/data'
import { runExperiment } from '../../src/main/services/experiments'
import { parseRunSpec, SpecError } from '../../src/main/services/spec-file'
import { ApiError } from '../../src/shared/api'
import { experimentSpecSchema } from '../../src/shared/spec'
import { tempDir } from '../helpers/backend'
import { inProcessCli } from '../helpers/cli'
import { mutate, type Json } from '../helpers/mutate'

const examples = join(import.meta.dirname, '..', '..', 'examples')
const specFiles = readdirSync(examples).filter((f) => f.endsWith('.json') && !f.endsWith('.result.json'))
/** Per spec file: enough mutations to reach every field of the small specs, bounded in time for CI. */
const MUTATIONS = 300
const TIME_BUDGET_MS = 4000

/** The checks a run makes before any work: the spec schema, then (experiments) the data it names. */
function preflight(doc: Json, catalog: DatasetCatalog): void {
  const run = parseRunSpec(doc, 'spec.json')
  if (run.kind === 'experiment') experimentData(run.spec, catalog)
}

describe('spec fuzz: mutated example specs are accepted or refused with a named field before any work', () => {
  const catalog = new DatasetCatalog(null)
  for (const file of specFiles) {
    it(file, () => {
      const valid = JSON.parse(readFileSync(join(examples, file), 'utf8')) as Json
      expect(() => preflight(valid, catalog)).not.toThrow()
      const rng = new Rng(file.length * 7919)
      const start = Date.now()
      let refused = 0
      let tried = 0
      for (; tried < MUTATIONS && Date.now() - start < TIME_BUDGET_MS; tried++) {
        const { doc, what } = mutate(valid, rng)
        try {
          preflight(doc, catalog)
        } catch (error) {
          refused++
          // The CLI prints SpecError messages as one line; anything else would be a stack trace.
          expect(error instanceof SpecError || error instanceof ApiError, `${file} trial ${tried}: ${what}: ${String(error)}`).toBe(true)
          const message = (error as Error).message
          expect(message.includes('\n') ? message.split('\n').every((l) => l.trim() === '' || /^ {2}|^spec\.json|^\S/.test(l)) : true, `${file} trial ${tried}: ${what}`).toBe(true)
          expect(message, `${file} trial ${tried}: ${what}`).toMatch(/[a-zA-Z]+(\.[\w\]]+|\[\d+\])*:/)
        }
      }
      expect(tried).toBeGreaterThanOrEqual(50)
      expect(refused).toBeGreaterThan(tried / 10)
    })
  }
})

describe('damaged tensors in a result file given to `engram export`', () => {
  let tmp: ReturnType<typeof tempDir>
  let resultPath: string
  const cli = inProcessCli()
  beforeAll(async () => {
    tmp = tempDir('engram-fuzz-')
    const spec = experimentSpecSchema.parse({
      name: 'tiny',
      seed: 1,
      dataset: { encoding: 'bipolar', patterns: [[1, -1, 1, -1], [1, 1, -1, -1]] },
      model: { kind: 'hopfield' }
    })
    const result = await runExperiment(spec, experimentData(spec, new DatasetCatalog(null)))
    resultPath = join(tmp.dir, 'tiny.result.json')
    writeFileSync(resultPath, JSON.stringify(result))
  })
  afterAll(() => tmp.cleanup())

  const f32 = (values: number[]) => Buffer.from(Float32Array.from(values).buffer).toString('base64')
  const damages: [string, (t: { dtype: string; shape: number[]; data: string }) => void][] = [
    ['bad base64', (t) => (t.data = '%%%not base64%%%')],
    ['data shorter than its shape', (t) => (t.data = t.data.slice(0, 8))],
    ['NaN weights', (t) => (t.data = f32(Array.from({ length: 16 }, (_, i) => (i === 5 ? NaN : 1))))],
    ['Inf weights', (t) => (t.data = f32(Array.from({ length: 16 }, (_, i) => (i === 3 ? -Infinity : 0))))],
    ['a shape that does not match the units', (t) => (t.shape = [2, 8])],
    ['a negative dimension', (t) => (t.shape = [-4, -4])],
    ['an unknown dtype', (t) => (t.dtype = 'float128')]
  ]
  for (const [what, damage] of damages) {
    for (const format of ['onnx', 'safetensors', 'npz'] as const) {
      it(`${what} → ${format}: one line, exit 1, nothing written`, async () => {
        const doc = JSON.parse(readFileSync(resultPath, 'utf8')) as { model: { stateDict: { weights: { dtype: string; shape: number[]; data: string } } } }
        damage(doc.model.stateDict.weights)
        const damaged = join(tmp.dir, `damaged-${format}.json`)
        writeFileSync(damaged, JSON.stringify(doc))
        const out = join(tmp.dir, `out-${what.replace(/\W+/g, '-')}.${format}`)
        const { code } = await cli.run(['export', damaged, '--format', format, '--out', out])
        const stderr = cli.writes()
        expect(code).toBe(1)
        expect(stderr).toHaveLength(1)
        expect(stderr[0]).toMatch(/^engram: .*weights.*\n$/)
        expect(stderr[0]!.split('\n').filter(Boolean)).toHaveLength(1)
        expect(readdirSync(tmp.dir)).not.toContain(out.split('/').pop())
      })
    }
  }
})
