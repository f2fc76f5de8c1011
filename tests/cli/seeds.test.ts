// Every worked example of the seeds as a spec (examples/seeds/), run through the built `engram` CLI and compared with
// the numbers the seed prints (examples/seeds/expected/: each check quotes the seed and names the result field).
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { experimentResultSchema, type ExperimentResult } from '../../src/shared/spec'
import { tempDir } from '../helpers/backend'

const root = join(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'engram.mjs')
const dir = join(root, 'examples', 'seeds')
const expectedDir = join(dir, 'expected')

interface SeedChecks {
  spec: string
  seed: string
  section: string
  reproduces: string
  notes?: string
  checks: { printed: string; path: string; equals: unknown }[]
}

function engram(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A field of the result by its dotted path (array indices as numbers); undefined where the path leads nowhere. */
function at(value: unknown, path: string): unknown {
  let v: unknown = value
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

const specs = readdirSync(dir).filter((f) => f.endsWith('.json'))
const expectations = readdirSync(expectedDir).filter((f) => f.endsWith('.json'))

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  if (!existsSync(join(root, 'out', 'main', 'cli.js'))) throw new Error('build first: npm run build')
  tmp = tempDir('engram-seeds-')
})
afterAll(() => tmp.cleanup())

describe('examples/seeds: the seeds’ worked examples through `engram run`', () => {
  it('every spec has the seed’s numbers beside it, and every set of numbers its spec', () => {
    expect(specs.length).toBeGreaterThanOrEqual(7)
    expect(expectations.sort()).toEqual([...specs].sort())
  })

  for (const file of specs) {
    it(`${file}: the result has the numbers the seed prints`, () => {
      const expected = JSON.parse(readFileSync(join(expectedDir, file), 'utf8')) as SeedChecks
      expect(expected.spec).toBe(`../${file}`)
      expect(expected.seed).toMatch(/^00[0-4]_[0-9a-f]+\.txt$/)
      expect(expected.checks.length).toBeGreaterThan(0)
      const out = join(tmp.dir, file.replace(/\.json$/, '.result.json'))
      const run = engram(['run', join('examples', 'seeds', file), '--out', out, '--quiet'])
      expect(run.status, run.stderr).toBe(0)
      const result: ExperimentResult = experimentResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')))
      // The result says what ran: the spec with its cues, and the dynamics with every default resolved.
      expect(result.spec.cues?.length).toBe(result.worked?.cases.length)
      expect(result.compute.path).toBe('core')
      for (const check of expected.checks) {
        expect(at(result, check.path), `${expected.section}: "${check.printed}" (${check.path})`).toEqual(check.equals)
      }
    })
  }
})

describe('the new spec fields: a bad value is named before anything runs', () => {
  const base = {
    name: 'bad',
    seed: 1,
    dataset: { encoding: 'binary', patterns: [[1, 1, 1, 0]] },
    model: { kind: 'hopfield', encoding: 'binary' },
    recall: { mode: 'async', order: [1, 4, 3, 2], external: 'cue' },
    cues: [{ x: { from: 1, flip: [1, 2] } }]
  }
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['a value outside the stated encoding', { dataset: { encoding: 'binary', patterns: [[1, 1, 1, 0], [0, 1, 0, 1], [1, 0, 2, 0]] } }, /spec\.dataset\.patterns\.2\.2: value 2 at row 3, column 3 is not binary/],
    ['a ragged row', { dataset: { encoding: 'bipolar', patterns: [[1, -1, 1, -1], [1, 1, 1]] } }, /spec\.dataset\.patterns\.1: row 2 has 3 values, expected 4/],
    ['no encoding for inline patterns', { dataset: { patterns: [[1, 0, 1, 0]] } }, /spec\.dataset\.encoding: say how the inline patterns are written/],
    ['targets without a sweep that reads them', { dataset: { encoding: 'binary', patterns: [[1, 0, 1, 0]], targets: [[1, 0]] } }, /spec\.dataset\.targets: targets are read by a hetero sweep/],
    ['an order that repeats a unit', { recall: { mode: 'async', order: [1, 4, 4, 2] } }, /spec\.recall\.order\.2: unit 4 appears twice/],
    ['an order with a unit past N', { recall: { mode: 'async', order: [1, 5, 3, 2] } }, /spec\.recall\.order\.1: unit 5 does not exist: units are counted from 1 to 4/],
    ['an order too short', { recall: { mode: 'async', order: [1, 3, 2] } }, /spec\.recall\.order: 3 units given for a net of 4/],
    ['an external input for the recurrent auto-associator', { recall: { mode: 'recurrent', external: 'cue' } }, /spec\.recall\.external: the recurrent auto-associator \(003\) has no external input/],
    ['an order with sync dynamics', { recall: { mode: 'sync', order: [1, 4, 3, 2] } }, /spec\.recall\.order: a given order is an asynchronous one/],
    ['a cue of the wrong length', { cues: [{ x: { values: [0, 0, 1] } }] }, /spec\.cues\.0\.x\.values: 3 values, expected 4/],
    ['a flipped unit past N', { cues: [{ x: { from: 1, flip: [2, 9] } }] }, /spec\.cues\.0\.x\.flip\.1: unit 9 does not exist/],
    ['a pattern that is not stored', { cues: [{ x: { from: 2 } }] }, /spec\.cues\.0\.x\.from: pattern 2 does not exist: 1 stored/],
    ['an unknown unit in a binary Hopfield net', { cues: [{ x: { from: 1, missing: [1] } }] }, /spec\.cues\.0\.x\.missing: a binary Hopfield net \(async\) has no unknown state/],
    ['a y cue without a BAM', { cues: [{ y: { values: [0, 1] } }] }, /spec\.cues\.0\.y: a y cue is for a BAM/]
  ]
  for (const [what, patch, message] of cases) {
    it(what, () => {
      const specPath = join(tmp.dir, 'bad.json')
      const out = join(tmp.dir, 'bad.result.json')
      writeFileSync(specPath, JSON.stringify({ ...base, ...patch }))
      const run = engram(['run', specPath, '--out', out, '--quiet'])
      expect(run.status).toBe(1)
      expect(run.stderr).toMatch(message)
      expect(existsSync(out)).toBe(false)
    })
  }

  it('a BAM cue on the y side only, with 0 for unknown, runs; 0 in a bipolar async Hopfield cue does not', () => {
    const bam = {
      name: 'bam-y',
      seed: 1,
      dataset: { encoding: 'bipolar', patterns: [[1, -1, 1, -1], [1, 1, -1, -1]], targets: [[1, 1], [-1, 1]] },
      model: { kind: 'hopfield' },
      sweep: { type: 'bam', bam: { kind: 'bam', codes: 'dataset', encoding: 'bipolar' }, fractions: [0], cuesPerPattern: 1 },
      cues: [{ y: { from: 2 } }, { y: { values: [0, 1] } }]
    }
    const specPath = join(tmp.dir, 'bam-y.json')
    const out = join(tmp.dir, 'bam-y.result.json')
    writeFileSync(specPath, JSON.stringify(bam))
    const run = engram(['run', specPath, '--out', out, '--quiet'])
    expect(run.status, run.stderr).toBe(0)
    const r = experimentResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')))
    expect(r.worked?.cases[0]?.x).toEqual([0, 0, 0, 0])
    expect(r.worked?.cases[0]?.y).toEqual([-1, 1])
    expect(r.worked?.cases[0]?.final).toEqual([1, 1, -1, -1])
    expect(r.worked?.cases[0]?.match).toBe(2)
    expect(r.worked?.cases[1]?.y).toEqual([0, 1])
    const hop = { ...bam, dataset: { encoding: 'bipolar', patterns: [[1, -1, 1, -1]] }, sweep: undefined, recall: { mode: 'async' }, cues: [{ x: { values: [1, 0, 1, -1] } }] }
    writeFileSync(specPath, JSON.stringify(hop))
    const bad = engram(['run', specPath, '--out', out, '--quiet'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/spec\.cues\.0\.x\.values\.1: value 0 \(unit 2\) is not a state of a bipolar Hopfield net \(async\): −1 or 1/)
  })
})
