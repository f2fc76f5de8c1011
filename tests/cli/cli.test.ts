// The built `engram` CLI end to end: help, run from a spec, errors that name the field, export.
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { experimentResultSchema } from '../../src/shared/spec'
import { decodeSafetensors } from '../../src/core/safetensors'
import { decodeNpz } from '../../src/core/npy'
import { encodeIdx } from '../../src/core/data/idx'
import { gzipSync } from 'node:zlib'
import { tempDir } from '../helpers/backend'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { drawCues } from '../../src/core/corrupt'
import { hamming, matchStored } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'
import { createSession } from '../../src/engine/ort'

const root = join(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'engram.mjs')

function engram(args: string[], env: NodeJS.ProcessEnv = {}, cwd = root): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  if (!existsSync(join(root, 'out', 'main', 'cli.js'))) throw new Error('build first: npm run build')
  tmp = tempDir('engram-cli-')
})
afterAll(() => tmp.cleanup())

describe('engram CLI', () => {
  it('lists run, serve and export, each with its own help', () => {
    const help = engram(['--help'])
    expect(help.status).toBe(0)
    for (const cmd of ['run', 'serve', 'export', 'import']) expect(help.stdout).toMatch(new RegExp(`^  ${cmd} `, 'm'))
    for (const cmd of ['run', 'serve', 'export']) {
      const sub = engram([cmd, '--help'])
      expect(sub.status).toBe(0)
      expect(sub.stdout).toMatch(new RegExp(`^Usage: engram ${cmd}`))
    }
  })

  it('runs the letters example reproducibly and writes a valid result; its ONNX export settles the cues as the result says', async () => {
    const a = join(tmp.dir, 'a.json')
    const b = join(tmp.dir, 'b.json')
    expect(engram(['run', 'examples/hopfield-letters.json', '--out', a, '--quiet']).status).toBe(0)
    expect(engram(['run', 'examples/hopfield-letters.json', '--out', b, '--quiet']).status).toBe(0)
    const ra = experimentResultSchema.parse(JSON.parse(readFileSync(a, 'utf8')))
    const rb = experimentResultSchema.parse(JSON.parse(readFileSync(b, 'utf8')))
    expect(ra.metrics?.cues).toBe(400)
    expect(ra.metrics?.storedFixedPoints).toBe(4)
    expect(ra.outcomes).toEqual(rb.outcomes)
    expect(ra.traces).toEqual(rb.traces)
    for (const t of ra.traces ?? []) for (let i = 1; i < t.energy.length; i++) expect(t.energy[i]!).toBeLessThanOrEqual(t.energy[i - 1]!)
    // Export the model from the result file.
    const st = join(tmp.dir, 'letters.safetensors')
    const ex = engram(['export', a, '--format', 'safetensors', '--out', st])
    expect(ex.status, ex.stderr).toBe(0)
    const decoded = decodeSafetensors(new Uint8Array(readFileSync(st)))
    expect(decoded.tensors.weights!.shape).toEqual([100, 100])
    const onnx = join(tmp.dir, 'letters.onnx')
    expect(engram(['export', a, '--format', 'onnx', '--out', onnx]).status).toBe(0)
    const npz = join(tmp.dir, 'letters.npz')
    expect(engram(['export', a, '--format', 'npz', '--out', npz]).status).toBe(0)
    const fromNpz = decodeNpz(new Uint8Array(readFileSync(npz)))
    expect(Array.from(fromNpz.tensors.weights!.data)).toEqual(Array.from(decoded.tensors.weights!.data))
    expect(fromNpz.metadata).toEqual(decoded.metadata)
    expect(engram(['export', a, '--format', 'npy', '--out', npz]).stderr).toMatch(/--format: expected onnx, safetensors or npz, got 'npy'/)

    // The exported ONNX model, in a fresh onnxruntime session, settles the run's own cues (the same seeded draw:
    // letters A C I V, 10 % flips, seed 42) where the result says they settled: recalled pattern, Hamming distance
    // to the cue's pattern and step count, cue by cue.
    const d = new DatasetCatalog(null).resolve({ builtin: 'letters', select: [0, 2, 8, 21], threshold: 0.5 })
    const { cues, sources } = drawCues(d.patterns, { type: 'flip', fraction: 0.1 }, 100, d.summary.width, d.summary.height, new Rng(42), 'bipolar')
    const n = d.summary.width * d.summary.height
    const { session } = await createSession(new Uint8Array(readFileSync(onnx)), { provider: 'cpu' })
    try {
      const out = await session.run({
        state: { type: 'float32', data: Float32Array.from(cues), dims: [sources.length, n] },
        max_iterations: { type: 'int64', data: BigInt64Array.of(50n), dims: [] }
      })
      const final = out.final_state!.data as Float32Array
      const iterations = out.iterations!.data as Int32Array
      const got = Array.from(sources, (s, c) => {
        const y = final.subarray(c * n, (c + 1) * n)
        return { pattern: s, recalled: matchStored(y, d.patterns), hammingFinal: hamming(y, d.patterns[s]!), iterations: iterations[c]! }
      })
      expect(got).toEqual(ra.outcomes!.map((o) => ({ pattern: o.pattern, recalled: o.recalled, hammingFinal: o.hammingFinal, iterations: o.iterations })))
      // Not all trivially at the cue: recall repairs the flips.
      expect(got.some((o) => o.iterations > 0 && o.hammingFinal === 0)).toBe(true)
    } finally {
      await session.release()
    }
  })

  it('runs a capacity sweep on the engine: Hebb fails well above 0.138N, Storkey and pseudo-inverse hold', () => {
    // No model: the sweep trains its own rules.
    const spec = {
      name: 'cap',
      seed: 11,
      sweep: { type: 'capacity', units: 100, patternCounts: [8, 25], rules: ['hebb', 'storkey', 'pseudo-inverse'], trials: 3, noise: 0.1, cuesPerPattern: 2, recall: { mode: 'sync' } }
    }
    const file = join(tmp.dir, 'cap.json')
    writeFileSync(file, JSON.stringify(spec))
    const out = join(tmp.dir, 'cap.result.json')
    const r = engram(['run', file, '--out', out])
    expect(r.status, r.stderr).toBe(0)
    const result = experimentResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')))
    // What it found, on stderr: one row per P, one column per rule, each the result's recall success.
    expect(r.stderr).toMatch(/cap: capacity sweep done on engine\/cpu( \(.+\))?\n/)
    const rows = r.stderr.split('\n').filter((l) => /^ {2}P \d/.test(l)).map((l) => l.trim().split(/ {2,}/))
    const recall = (rule: string, p: number) => {
      const x = result.sweep?.type === 'capacity' ? result.sweep.points.find((q) => q.rule === rule && q.patterns === p)! : undefined!
      return `${(x.recallSuccess! * 100).toFixed(1)} %`
    }
    expect(rows).toEqual([8, 25].map((p) => [`P ${p} (${(p / 100).toFixed(3)})`, recall('hebb', p), recall('storkey', p), recall('pseudo-inverse', p)]))
    expect(result.compute.path).toBe('engine')
    if (result.sweep?.type !== 'capacity') throw new Error('expected a capacity sweep')
    expect(result.sweep.theory.hebbCritical).toBeCloseTo(13.8, 10)
    const at = (rule: string, p: number) => result.sweep!.type === 'capacity' ? result.sweep!.points.find((x) => x.rule === rule && x.patterns === p)! : undefined!
    expect(at('hebb', 8).fixedFraction).toBeGreaterThan(0.95)
    expect(at('hebb', 25).fixedFraction).toBeLessThan(0.5)
    expect(at('storkey', 25).fixedFraction).toBeGreaterThan(0.95)
    expect(at('pseudo-inverse', 25).fixedFraction).toBe(1)
    expect(result.model).toBeUndefined()
    expect(engram(['export', out, '--format', 'onnx', '--out', join(tmp.dir, 'none.onnx')]).stderr).toMatch(/holds no model/)
  })

  it('imports an IDX dataset and runs a spec on it', () => {
    const data = new Uint8Array(6 * 9)
    for (let k = 0; k < 6; k++) for (let i = 0; i < 9; i++) data[k * 9 + i] = (k + i) % 3 === 0 ? 255 : 0
    const file = join(tmp.dir, 'tiny-images-idx3-ubyte.gz')
    writeFileSync(file, gzipSync(encodeIdx({ dtype: 'uint8', dims: [6, 3, 3], data })))
    const dataDir = join(tmp.dir, 'data')
    const imported = engram(['import', file, '--name', 'tiny', '--data-dir', dataDir])
    expect(imported.status, imported.stderr).toBe(0)
    expect(imported.stdout).toMatch(/user:tiny: 6 images of 3×3/)
    const bad = engram(['import', join(root, 'package.json'), '--name', 'nope', '--data-dir', dataDir])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/params\.images: /)
    const spec = join(tmp.dir, 'tiny.json')
    writeFileSync(spec, JSON.stringify({ name: 'tiny', seed: 1, dataset: { builtin: 'user:tiny', count: 2 }, model: { kind: 'hopfield', rule: 'pseudo-inverse' }, recall: { cuesPerPattern: 3 } }))
    const out = join(tmp.dir, 'tiny.result.json')
    const r = engram(['run', spec, '--out', out, '--data-dir', dataDir, '--quiet'])
    expect(r.status, r.stderr).toBe(0)
    expect(experimentResultSchema.parse(JSON.parse(readFileSync(out, 'utf8'))).metrics?.units).toBe(9)
  })

  it('without --out, writes the result into the current directory, never beside the spec (the README example stays clean)', () => {
    const scratch = join(tmp.dir, 'scratch')
    mkdirSync(scratch, { recursive: true })
    const spec = join(root, 'examples', 'hopfield-letters.json')
    const name = (JSON.parse(readFileSync(spec, 'utf8')) as { name: string }).name
    const besideSpec = join(root, 'examples', `${name}.result.json`)
    const before = existsSync(besideSpec)
    const r = engram(['run', spec, '--quiet'], {}, scratch)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe(join(scratch, `${name}.result.json`))
    expect(experimentResultSchema.parse(JSON.parse(readFileSync(join(scratch, `${name}.result.json`), 'utf8'))).spec.name).toBe(name)
    expect(existsSync(besideSpec)).toBe(before)
  })

  it('rejects a bad spec with an error naming the field and writes nothing', () => {
    const spec = JSON.parse(readFileSync(join(root, 'examples', 'hopfield-letters.json'), 'utf8'))
    spec.recall.corruption.fraction = 1.5
    const bad = join(tmp.dir, 'bad.json')
    writeFileSync(bad, JSON.stringify(spec))
    const out = join(tmp.dir, 'bad.result.json')
    const r = engram(['run', bad, '--out', out])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/spec\.recall\.corruption\.fraction: /)
    expect(existsSync(out)).toBe(false)
    spec.recall.corruption.fraction = 0.1
    spec.dataset.select = [0, 26]
    writeFileSync(bad, JSON.stringify(spec))
    expect(engram(['run', bad, '--out', out]).stderr).toMatch(/spec\.dataset\.select\.1: index 26 is out of range/)
    delete spec.dataset
    writeFileSync(bad, JSON.stringify(spec))
    expect(engram(['run', bad, '--out', out]).stderr).toMatch(/spec\.dataset: a dataset is required/)
    writeFileSync(bad, '{ "seed": ')
    expect(engram(['run', bad]).stderr).toMatch(/not valid JSON/)
    expect(engram(['run']).status).toBe(2)
    expect(engram(['frobnicate']).stderr).toMatch(/unknown command 'frobnicate'/)
    expect(engram(['export', 'nosuch', '--format', 'onnx', '--out', join(tmp.dir, 'x.onnx'), '--data-dir', tmp.dir]).stderr).toMatch(/no saved session/)
  })
})
