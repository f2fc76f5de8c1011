// `engram run` on recurrent specs end to end through the built CLI: the example char-LSTM (progress, samples, the
// result file, its exports: ONNX logits == the core's, safetensors == the result's weights), a GRU on a text file
// beside its spec twice (same numbers), Ctrl-C keeping a partial model, and bad specs refused naming the field before
// any training.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generate } from '../../src/core/recurrent'
import { Rng } from '../../src/core/rng'
import { decodeSafetensors } from '../../src/core/safetensors'
import { tensorFromJson } from '../../src/core/tensor-json'
import { recurrentNetFromResult } from '../../src/main/services/recurrent-run'
import type { z } from 'zod'
import { recurrentRunResultSchema, recurrentRunSpecSchema, type RecurrentRunResult } from '../../src/shared/recurrent-run'
import { tempDir } from '../helpers/backend'
import { onnxLogitsError } from '../helpers/recurrent-onnx'

const root = join(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'engram.mjs')

function engram(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

type SpecInput = z.input<typeof recurrentRunSpecSchema>

const readResult = (path: string): RecurrentRunResult => recurrentRunResultSchema.parse(JSON.parse(readFileSync(path, 'utf8')))

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  if (!existsSync(join(root, 'out', 'main', 'cli.js'))) throw new Error('build first: npm run build')
  tmp = tempDir('engram-cli-recurrent-')
})
afterAll(() => tmp.cleanup())

/** Writes a spec (and its text file, when given) into the temporary directory; returns the spec's path. */
function writeSpec(name: string, spec: SpecInput, text?: { file: string; content: string | Uint8Array }): string {
  if (text) writeFileSync(join(tmp.dir, text.file), text.content)
  const path = join(tmp.dir, `${name}.json`)
  writeFileSync(path, JSON.stringify(spec))
  return path
}

describe('engram run: recurrent specs', () => {
  it('trains the example char-LSTM with progress, draws its samples, writes the result and exports that give the core’s logits', async () => {
    const out = join(tmp.dir, 'lstm.result.json')
    const onnx = join(tmp.dir, 'lstm.onnx')
    const st = join(tmp.dir, 'lstm.safetensors')
    const r = engram(['run', 'examples/recurrent-sonnets.json', '--out', out, '--export', onnx, '--export', st])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe(out)
    expect(r.stderr).toMatch(/recurrent-sonnets: +\d+% \(step \d+\/300 · loss [\d.]+ · perplexity [\d.]+ · [\d.]+ steps\/s · ETA \d+ s\)/)
    expect(r.stderr).toMatch(/char-LSTM 1×32 · Shakespeare, nine sonnets \(vocabulary 55, \d+ characters\): 300 steps in [\d.]+ s on engine\/cpu · loss [\d.]+ · perplexity [\d.]+ · eval loss [\d.]+/)
    expect(r.stderr).toMatch(/sample 1 \(prompt "Shall I compare thee", temperature 0\.8, top-k 10, seed 1\): ".{10,}/)
    expect(r.stderr).toMatch(/argmax: "/)
    expect(r.stderr).not.toMatch(/ at .*\.js:\d+/)

    const result = readResult(out)
    const info = result.recurrent
    expect(info).toMatchObject({ stepsDone: 300, partial: false, stopReason: null, fallbackReason: null, textName: 'Shakespeare, nine sonnets' })
    expect(result.compute).toEqual({ path: 'engine', provider: 'cpu' })
    // Loss falls from about ln V; the eval loss (core, final weights) with it.
    expect(info.history[0]!.loss).toBeGreaterThan(Math.log(info.vocab.length) - 0.5)
    expect(result.metrics.loss!).toBeLessThan(info.history[0]!.loss - 1)
    expect(result.metrics.evalLoss).toBeLessThan(info.history[0]!.loss - 1)
    expect(result.metrics.evalPerplexity).toBeCloseTo(Math.exp(result.metrics.evalLoss), 10)

    // The samples: the spec's lengths; the first is core generate()'s for its seed, the greedy one is its argmax line.
    const net = recurrentNetFromResult(result)
    const [warm, greedy] = result.samples
    expect(warm!.sample).toHaveLength(120)
    const index = new Map(info.vocab.map((c, i) => [c, i]))
    const ids = (text: string): number[] => [...text].map((c) => index.get(c)!)
    const core = generate(net, ids('Shall I compare thee'), 120, { temperature: 0.8, topK: 10 }, new Rng(1))
    expect(warm!.sample).toBe(core.tokens.map((t) => info.vocab[t]).join(''))
    expect(warm!.argmax).toBe(core.argmax.map((t) => info.vocab[t]).join(''))
    expect(greedy).toMatchObject({ prompt: 'Love ', temperature: 0 })
    expect(greedy!.sample).toHaveLength(80)
    expect(greedy!.sample).toBe(greedy!.argmax)

    // The ONNX from --export gives the core's next-character logits for a prompt; safetensors holds the result's weights.
    const prompt = Int32Array.from(ids('Shall I compare thee to a summer'))
    expect(await onnxLogitsError(new Uint8Array(readFileSync(onnx)), net, prompt, prompt.length, 1)).toBeLessThan(1e-5)
    const dict = decodeSafetensors(new Uint8Array(readFileSync(st)))
    expect(Object.keys(dict.tensors).sort()).toEqual(Object.keys(result.model.stateDict).sort())
    expect(Array.from(dict.tensors['weight_hh_l0']!.data)).toEqual(Array.from(tensorFromJson(result.model.stateDict['weight_hh_l0']!).data))
    expect(JSON.parse(dict.metadata.vocab!)).toEqual(info.vocab)

    // engram export reads recurrent results too.
    const again = join(tmp.dir, 'again.onnx')
    const ex = engram(['export', out, '--format', 'onnx', '--out', again])
    expect(ex.status, ex.stderr).toBe(0)
    expect(ex.stdout).toMatch(/onnx, char-LSTM 1×32 · Shakespeare, nine sonnets \(vocabulary 55\)/)
    expect(await onnxLogitsError(new Uint8Array(readFileSync(again)), net, prompt, prompt.length, 1)).toBeLessThan(1e-5)
    expect(engram(['export', out, '--format', 'npz', '--out', join(tmp.dir, 'x.npz')]).stderr).toMatch(/--format: a recurrent network exports as onnx or safetensors, not npz/)
  }, 120_000)

  it('gives the same result for the same spec and seed (a 2-layer GRU with dropout on a text file beside the spec, quiet)', () => {
    const spec = writeSpec(
      'gru',
      {
        name: 'gru',
        seed: 9,
        model: { kind: 'recurrent', text: { path: 'verse.txt' }, cell: 'gru', hiddenSize: 12, layers: 2, dropout: 0.2, embeddingSize: 8, sequenceLength: 16, batch: 4, steps: 30 },
        generate: [{ prompt: 'the ', length: 40, temperature: 1, topK: 4, seed: 3 }],
        engine: { provider: 'cpu' }
      },
      { file: 'verse.txt', content: 'the cat sat on the mat; the dog sat on the log.\n'.repeat(8) }
    )
    const runs = ['a', 'b'].map((x) => {
      const out = join(tmp.dir, `gru-${x}.json`)
      const r = engram(['run', spec, '--out', out, '--quiet'])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      return readResult(out)
    })
    const [a, b] = runs as [RecurrentRunResult, RecurrentRunResult]
    expect(a.recurrent).toMatchObject({ textName: 'verse.txt', stepsDone: 30, partial: false })
    expect(a.recurrent.vocab).toEqual([...new Set('the cat sat on the mat; the dog sat on the log.\n')].sort())
    expect(b.recurrent.history).toEqual(a.recurrent.history)
    expect(b.metrics.evalLoss).toBe(a.metrics.evalLoss)
    expect(b.samples).toEqual(a.samples)
    expect(a.samples[0]!.sample).toHaveLength(40)
    expect(b.model.stateDict).toEqual(a.model.stateDict)
  }, 60_000)

  it('Ctrl-C stops training and keeps the steps done as a partial model, with its samples', async () => {
    const spec = writeSpec('long', { name: 'long', seed: 1, model: { kind: 'recurrent', hiddenSize: 16, steps: 50_000 }, generate: [{ prompt: 'Love', length: 20 }], engine: { provider: 'cpu' } })
    const out = join(tmp.dir, 'long.result.json')
    const child = spawn(process.execPath, [bin, 'run', spec, '--out', out], { cwd: root })
    let stderr = ''
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no progress line: ${stderr}`)), 30_000)
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        if (/step \d+\/50000/.test(stderr)) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    child.kill('SIGINT')
    expect(await exited, stderr).toBe(0)
    expect(stderr).toMatch(/long: cancelled; keeping the \d+ steps done \(a partial model\)/)
    const result = readResult(out)
    expect(result.recurrent.partial).toBe(true)
    expect(result.recurrent.stopReason).toBeNull()
    expect(result.recurrent.stepsDone).toBeGreaterThan(0)
    expect(result.recurrent.stepsDone).toBeLessThan(50_000)
    expect(result.metrics.steps).toBe(result.recurrent.stepsDone)
    expect(result.samples[0]!.sample).toHaveLength(20)
  }, 60_000)

  it('refuses a bad spec before any training, naming the field, without a stack trace, and writes nothing', () => {
    const model = { kind: 'recurrent' as const, hiddenSize: 8, steps: 5 }
    const cases: { spec: SpecInput | Record<string, unknown>; text?: { file: string; content: string | Uint8Array }; error: RegExp; args?: string[] }[] = [
      { spec: { seed: 1, model: { ...model, cell: 'lstmx' } }, error: /spec\.model\.cell: Invalid option: expected one of "lstm"\|"gru"\|"rnn"/ },
      { spec: { seed: 1, model: { ...model, hiddenSize: 5000 } }, error: /spec\.model\.hiddenSize: Too big: expected number to be <=1024/ },
      { spec: { seed: 1, model: { ...model, text: { path: 'nothere.txt' } } }, error: /spec\.model\.text\.path: cannot read .*nothere\.txt \(ENOENT\)/ },
      { spec: { seed: 1, model: { ...model, text: { path: 'empty.txt' } } }, text: { file: 'empty.txt', content: '' }, error: /spec\.model\.text\.path: the file is empty/ },
      { spec: { seed: 1, model: { ...model, text: { path: 'blank.txt' } } }, text: { file: 'blank.txt', content: ' \n\n ' }, error: /spec\.model\.text\.path: the text has no characters but white space/ },
      { spec: { seed: 1, model: { ...model, text: { path: 'bin.txt' } } }, text: { file: 'bin.txt', content: Uint8Array.of(0xff, 0xfe, 0x00, 0xc3) }, error: /spec\.model\.text\.path: not valid UTF-8/ },
      { spec: { seed: 1, model: { ...model, text: { path: 'aaa.txt' } } }, text: { file: 'aaa.txt', content: 'a'.repeat(100) }, error: /spec\.model\.text\.path: the text has a single distinct character/ },
      { spec: { seed: 1, model: { ...model, text: { path: 'short.txt' } } }, text: { file: 'short.txt', content: 'abc' }, error: /spec\.model\.sequenceLength: 32 needs a text of at least 34 characters \('short\.txt' has 3\)/ },
      { spec: { seed: 1, model, generate: [{ prompt: 'Shall I' }, { prompt: 'Café' }] }, error: /spec\.generate\.1\.prompt: 'é' is not in the model's vocabulary \(55 characters of 'Shakespeare, nine sonnets'\)/ },
      { spec: { seed: 1, model, generate: [{ prompt: 'Love', topK: 200 }] }, error: /spec\.generate\.0\.topK: 200 is more than the vocabulary's 55 characters/ },
      { spec: { seed: 1, model: { ...model, text: { file: 'user-text:nothere' } } }, error: /spec\.model\.text\.file: no imported text 'nothere'/ },
      { spec: { seed: 1, model: { ...model, cell: 'gru', coupled: true } }, error: /spec\.model\.coupled: the coupled input–forget gate is an LSTM variant; cell 'gru' has no coupled/ },
      { spec: { seed: 1, model: { ...model, gruForm: 'original' } }, error: /spec\.model\.gruForm: the GRU's form is a GRU setting; cell 'lstm' has no gruForm \(leave it out or set "pytorch"\)/ },
      { spec: { seed: 1, model }, args: ['--export', join(tmp.dir, 'x.npz')], error: /--export .*x\.npz: the file must end in \.onnx or \.safetensors/ }
    ]
    cases.forEach((c, i) => {
      const spec = writeSpec(`bad-${i}`, c.spec as SpecInput, c.text)
      const out = join(tmp.dir, `bad-${i}.result.json`)
      const r = engram(['run', spec, '--out', out, '--data-dir', tmp.dir, ...(c.args ?? [])])
      expect(r.status, `${c.error}: ${r.stderr}`).toBe(1)
      expect(r.stderr).toMatch(c.error)
      expect(r.stderr).not.toMatch(/step \d|\n +at /)
      expect(existsSync(out)).toBe(false)
    })
  }, 60_000)
})
