// Exported Hopfield ONNX (weights embedded): same outputs as the in-app model and the reference; passes the onnx checker.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportHopfieldOnnx } from '../../src/engine/export'
import { decodeModel, readModelMetadata } from '../../src/engine/onnx/builder'
import { createSession } from '../../src/engine/ort'
import { recallBatch } from '../../src/engine/recall'
import { hebbNet, onnxCheck, prng, randomStates, referenceRecall } from './helpers'

describe('exportHopfieldOnnx', () => {
  const n = 48
  const rand = prng(7)
  const net = hebbNet(randomStates(rand, 6, n, 'bipolar'), 6, n)
  const model = exportHopfieldOnnx(net, { rule: 'hebb', engram_version: '0.1.0', kind: 'not-hopfield', dynamics: 'custom' })

  it('gives the in-app model and the reference outputs at batch 1, 7 and 64 (scalar and [1] max_iterations)', async () => {
    const { session } = await createSession(model, { provider: 'cpu' })
    expect([...session.inputNames].sort()).toEqual(['max_iterations', 'state'])
    expect(session.outputNames).toEqual(['final_state', 'iterations'])
    for (const batch of [1, 7, 64]) {
      const cues = randomStates(rand, batch, n, 'bipolar')
      const ref = referenceRecall(net, cues, batch, 20)
      const inApp = await recallBatch(net, cues, batch, { maxIterations: 20, provider: 'cpu' })
      for (const dims of [[], [1]]) {
        const out = await session.run({
          state: { type: 'float32', data: Float32Array.from(cues), dims: [batch, n] },
          max_iterations: { type: 'int64', data: BigInt64Array.of(20n), dims }
        })
        expect(out.final_state!.dims).toEqual([batch, n])
        expect(out.iterations!.type).toBe('int32')
        expect(Array.from(out.final_state!.data as Float32Array)).toEqual(Array.from(ref.final))
        expect(Array.from(out.iterations!.data as Int32Array)).toEqual(Array.from(ref.iterations))
        expect(Array.from(out.final_state!.data as Float32Array)).toEqual(Array.from(inApp.final))
      }
    }
    await session.release()
  })

  it('carries metadata: facts from the net win over the caller; the caller adds rule and version and may override defaults', () => {
    const meta = readModelMetadata(model)
    expect(meta).toMatchObject({
      kind: 'hopfield',
      rule: 'hebb',
      engram_version: '0.1.0',
      units: '48',
      states: 'bipolar',
      dynamics: 'custom',
      weights_embedded: 'true'
    })
    const m = decodeModel(model)
    expect(m.producerName).toBe('engram')
    expect(m.producerVersion).toBe('0.1.0')
    expect(m.docString).toMatch(/final_state float32 \[batch, 48\]/)
    expect(m.graph!.initializer!.map((t) => t.name).sort()).toEqual(['thresholds', 'weights'])
    expect(m.graph!.input![0]!.type!.tensorType!.shape!.dim![0]!.dimParam).toBe('batch')
  })

  it('passes the onnx 1.12 checker with full_check (both variants)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-export-'))
    const { buildHopfieldRecallModel } = await import('../../src/engine/programs/hopfield-recall')
    const files = {
      embedded: model,
      inputs: buildHopfieldRecallModel({ units: n }),
      binary: exportHopfieldOnnx({ ...net, encoding: 'binary' }, {})
    }
    for (const [name, bytes] of Object.entries(files)) {
      const file = join(dir, `${name}.onnx`)
      writeFileSync(file, bytes)
      const check = onnxCheck(file)
      if (check === null) {
        console.warn('skipping onnx checker assertion: /usr/bin/python3 has no onnx module')
        return
      }
      expect({ name, ...check }).toEqual({ name, ok: true, output: '' })
    }
  })
})
