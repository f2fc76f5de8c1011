// `engram run` on recurrent task specs through the built CLI: the parity and forecast examples (progress with the
// held-out accuracy or RMSE, the scores against their baselines, the predictions, the result file), the exports from a
// result (ONNX with the standard LSTM/GRU op and the head on the last step, against the core at the trained sequence
// length and at another; safetensors == the result's weights), a CSV beside its spec, and bad specs refused naming the
// field before any training.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { argmaxRows, forward, syntheticClassBatch } from '../../src/core/recurrent'
import { Rng } from '../../src/core/rng'
import { decodeSafetensors } from '../../src/core/safetensors'
import { tensorFromJson } from '../../src/core/tensor-json'
import { recurrentNetFromResult } from '../../src/main/services/recurrent-run'
import { recurrentRunResultSchema, type RecurrentRunResult } from '../../src/shared/recurrent-run'
import { tempDir } from '../helpers/backend'
import { onnxLogitsError } from '../helpers/recurrent-onnx'

const root = join(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'engram.mjs')

function engram(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}
const readResult = (path: string): RecurrentRunResult => recurrentRunResultSchema.parse(JSON.parse(readFileSync(path, 'utf8')))

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  if (!existsSync(join(root, 'out', 'main', 'cli.js'))) throw new Error('build first: npm run build')
  tmp = tempDir('engram-cli-recurrent-tasks-')
})
afterAll(() => tmp.cleanup())

describe('engram run: recurrent tasks', () => {
  it('the parity example: learns parity of 4 bits, its predictions, the result re-scored by the core, ONNX at T 4 and 9, safetensors', async () => {
    const out = join(tmp.dir, 'parity.result.json')
    const onnx = join(tmp.dir, 'parity.onnx')
    const r = engram(['run', 'examples/recurrent-parity.json', '--out', out, '--export', onnx])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/recurrent-parity: +\d+% \(step \d+\/600 · loss [\d.]+ · held-out accuracy [\d.]+ % ·/)
    expect(r.stderr).toMatch(/parity-LSTM 1×16 · parity · T 4: 600 steps in [\d.]+ s on engine\/cpu/)
    expect(r.stderr).toMatch(/held-out accuracy 100\.0 % on 1000 rows \(majority class '(even|odd)': \d\d\.\d %\)/)
    expect(r.stderr).toMatch(/predict 1 \("0110"\): even/)
    expect(r.stderr).toMatch(/predict 2 \("1011"\): odd/)
    const result = readResult(out)
    expect(result.predictions.map((p) => p.label)).toEqual(['even', 'odd', 'even'])
    const t = result.recurrent.taskResult!
    if (t.kind !== 'classify') throw new Error('not a classifier')
    expect(t.accuracy).toBe(1)
    expect(t.baseline.accuracy).toBeLessThan(0.55)
    expect(result.metrics.evalPerplexity).toBeCloseTo(Math.exp(result.metrics.evalLoss), 12)

    // The result's weights on the core classify the held-out rows (the seed's fork 2) as reported.
    const net = recurrentNetFromResult(result)
    const held = syntheticClassBatch('parity', 4, 1000, new Rng(2).fork(2))
    const predicted = argmaxRows(forward(net, { steps: 4, batch: 1000, tokens: held.tokens }).logits!, 2)
    expect(predicted.reduce((a, p, i) => a + (p === held.classes[i] ? 1 : 0), 0)).toBe(1000)
    // ONNX (tokens → the head on the last step) at the trained length and a longer one.
    for (const T of [4, 9]) expect(await onnxLogitsError(new Uint8Array(readFileSync(onnx)), net, syntheticClassBatch('parity', T, 5, new Rng(T)).tokens, T, 5)).toBeLessThan(1e-5)
    // Export again from the result file: safetensors holds the result's weights under PyTorch's names.
    const st = join(tmp.dir, 'parity.safetensors')
    expect(engram(['export', out, '--format', 'safetensors', '--out', st]).status).toBe(0)
    const dict = decodeSafetensors(new Uint8Array(readFileSync(st)))
    expect(Object.keys(dict.tensors).sort()).toEqual(['bias_hh_l0', 'bias_ih_l0', 'embedding.weight', 'head.bias', 'head.weight', 'weight_hh_l0', 'weight_ih_l0'])
    expect(Array.from(dict.tensors['head.weight']!.data)).toEqual(Array.from(tensorFromJson(result.model.stateDict['head.weight']!).data))
  }, 120_000)

  it('the forecast example: a GRU beats persistence on Mackey-Glass; ONNX from the result at T 20 and 33', async () => {
    const out = join(tmp.dir, 'forecast.result.json')
    const r = engram(['run', 'examples/recurrent-forecast.json', '--out', out])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/held-out RMSE [\d.]+/)
    expect(r.stderr).toMatch(/validation \(300 windows, horizon 5\): RMSE [\d.]+, MAE [\d.]+ \(persistence: RMSE [\d.]+, MAE [\d.]+\)/)
    const result = readResult(out)
    const t = result.recurrent.taskResult!
    if (t.kind !== 'forecast') throw new Error('not a forecaster')
    expect(t.rmse).toBeLessThan(0.5 * t.persistence.rmse)
    expect(result.metrics.evalPerplexity).toBeNull()
    expect(result.predictions).toHaveLength(1)
    const net = recurrentNetFromResult(result)
    const window = (result.spec.predict[0] as number[]).map((v) => (v - t.normalisation.offset) / t.normalisation.scale)
    const z = forward(net, { steps: 20, batch: 1, input: Float64Array.from(window) }).logits![0]!
    expect(result.predictions[0]!.value).toBeCloseTo(z * t.normalisation.scale + t.normalisation.offset, 12)
    const onnx = join(tmp.dir, 'forecast.onnx')
    const ex = engram(['export', out, '--format', 'onnx', '--out', onnx])
    expect(ex.status, ex.stderr).toBe(0)
    expect(ex.stdout).toMatch(/onnx, forecast-GRU 1×16 · Mackey-Glass τ 17 \(1 input features\)/)
    for (const T of [20, 33]) expect(await onnxLogitsError(new Uint8Array(readFileSync(onnx)), net, Float64Array.from({ length: T * 3 }, (_, i) => Math.cos(i / 4)), T, 3)).toBeLessThan(1e-5)
  }, 120_000)

  it('a CSV beside its spec; bad specs are refused naming the field before any training', () => {
    writeFileSync(join(tmp.dir, 'series.csv'), `day,value\n${Array.from({ length: 120 }, (_, i) => `${i},${Math.sin(i / 5).toFixed(4)}`).join('\n')}\n`)
    const base = { name: 'csv-forecast', seed: 1, model: { kind: 'recurrent', cell: 'rnn', hiddenSize: 8, sequenceLength: 10, batch: 8, steps: 20, task: { kind: 'forecast', series: { type: 'csv', path: 'series.csv', column: 'value' } } } }
    const write = (name: string, spec: object) => {
      const path = join(tmp.dir, `${name}.json`)
      writeFileSync(path, JSON.stringify(spec))
      return path
    }
    const ok = engram(['run', write('csv', base), '--out', join(tmp.dir, 'csv.result.json'), '--quiet'])
    expect(ok.status, ok.stderr).toBe(0)
    const t = readResult(join(tmp.dir, 'csv.result.json')).recurrent.taskResult!
    expect(t).toMatchObject({ kind: 'forecast', points: 120, trainEnd: 96 })

    const model = base.model
    const cases: { spec: object; field: RegExp }[] = [
      { spec: { ...base, model: { ...model, task: { ...model.task, series: { type: 'csv', path: 'nothere.csv', column: 'value' } } } }, field: /spec\.model\.task\.series\.path/ },
      { spec: { ...base, model: { ...model, task: { ...model.task, series: { type: 'csv', path: 'series.csv', column: 'price' } } } }, field: /spec\.model\.task\.series\.column: no column 'price'/ },
      { spec: { ...base, generate: [{ prompt: 'a' }] }, field: /spec\.generate: samples are for the char-LM/ },
      { spec: { ...base, predict: ['abc'] }, field: /spec\.predict\.0: a forecast reads a window of exactly 10 numbers/ },
      { spec: { ...base, model: { ...model, task: { kind: 'classify', source: { type: 'parity' }, evalRows: 5 } } }, field: /spec\.model\.task\.evalRows/ }
    ]
    for (const c of cases) {
      const out = join(tmp.dir, 'bad.result.json')
      const r = engram(['run', write('bad', c.spec), '--out', out])
      expect(r.status).not.toBe(0)
      expect(r.stderr).toMatch(c.field)
      expect(r.stderr).not.toMatch(/%/)
      expect(existsSync(out)).toBe(false)
    }
  }, 120_000)
})
