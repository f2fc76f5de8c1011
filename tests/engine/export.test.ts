// Exported Hopfield ONNX (weights embedded), run in its own onnxruntime-node session: the same outputs as the core
// reference and the in-app engine, at N = 48 (integer weights), N = 100 with Hebb 1/N and P = 6 with 1/P (weights
// not exact in float32, embedded on their integer grid); metadata; the onnx checker.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { hebb, recallSyncBatch, type HopfieldNet } from '../../src/core/hopfield'
import { lettersDataset } from '../../src/core/datasets/letters'
import { exportHopfieldOnnx } from '../../src/engine/export'
import { decodeModel, readModelMetadata } from '../../src/engine/onnx/builder'
import { recallBatch } from '../../src/engine/recall'
import { HAS_ONNX, hebbNet, onnxCheck, prng, randomStates, referenceRecall } from './helpers'

/** The exported bytes in a fresh onnxruntime-node session, nothing of the app's engine in between. */
async function runExported(model: Uint8Array, cues: Int8Array, batch: number, n: number, maxIterations: number, dims: number[] = []): Promise<{ final: number[]; iterations: number[] }> {
  const session = await ort.InferenceSession.create(model)
  try {
    const out = await session.run({
      state: new ort.Tensor('float32', Float32Array.from(cues), [batch, n]),
      max_iterations: new ort.Tensor('int64', BigInt64Array.of(BigInt(maxIterations)), dims)
    })
    expect(out.final_state!.dims).toEqual([batch, n])
    expect(out.iterations!.type).toBe('int32')
    return { final: Array.from(out.final_state!.data as Float32Array), iterations: Array.from(out.iterations!.data as Int32Array) }
  } finally {
    await session.release()
  }
}

/** Half the cues a stored pattern with ~10 % of units flipped, half uniformly random. */
function cuesNear(rand: () => number, stored: Int8Array[], batch: number): Int8Array {
  const n = stored[0]!.length
  const cues = randomStates(rand, batch, n, 'bipolar')
  for (let b = 0; b < batch; b += 2) {
    const p = stored[Math.floor(rand() * stored.length)]!
    for (let i = 0; i < n; i++) cues[b * n + i] = rand() < 0.1 ? -p[i]! : p[i]!
  }
  return cues
}

describe('exportHopfieldOnnx', () => {
  const n = 48
  const rand = prng(7)
  const net = hebbNet(randomStates(rand, 6, n, 'bipolar'), 6, n)
  const model = exportHopfieldOnnx(net, { rule: 'hebb', engram_version: '0.1.0', kind: 'not-hopfield', dynamics: 'custom' })

  it('integer weights: the float64 reference, the core and the in-app engine at batch 1, 7 and 64 (scalar and [1] max_iterations)', async () => {
    const session = await ort.InferenceSession.create(model)
    expect([...session.inputNames].sort()).toEqual(['max_iterations', 'state'])
    expect(session.outputNames).toEqual(['final_state', 'iterations'])
    await session.release()
    for (const batch of [1, 7, 64]) {
      const cues = randomStates(rand, batch, n, 'bipolar')
      const ref = referenceRecall(net, cues, batch, 20)
      const core = recallSyncBatch(net, cues, batch, 20)
      const inApp = await recallBatch(net, cues, batch, { maxIterations: 20, provider: 'cpu' })
      for (const dims of [[], [1]]) {
        const out = await runExported(model, cues, batch, n, 20, dims)
        expect(out.final).toEqual(Array.from(ref.final))
        expect(out.iterations).toEqual(Array.from(ref.iterations))
        expect(out.final).toEqual(Array.from(core.final))
        expect(out.iterations).toEqual(Array.from(core.iterations))
        expect(out.final).toEqual(Array.from(inApp.final))
      }
    }
  })

  const letters = ((): Int8Array[] => {
    const { patterns, labels } = lettersDataset()
    return [...'AEIOUX'].map((c) => patterns[labels.indexOf(c)]!)
  })()
  const scaled: { name: string; net: HopfieldNet; stored: Int8Array[] }[] = [
    { name: 'letters A E I O U X, Hebb 1/P (P = 6)', net: hebb(letters, { normalisation: '1/P' }), stored: letters },
    { name: 'letters, Hebb 1/N (N = 100), thresholds ±0.5', net: { ...hebb(letters, { normalisation: '1/N' }), thresholds: Float32Array.from({ length: 100 }, (_, i) => [0, 0.5, -0.5][i % 3]!) }, stored: letters }
  ]
  for (const { name, net: scaledNet, stored } of scaled) {
    it(`${name}: the exported model settles every cue as the core and the in-app engine do, ties included`, async () => {
      const exported = exportHopfieldOnnx(scaledNet)
      const r = prng(17)
      const batch = 120
      const cues = cuesNear(r, stored, batch)
      const core = recallSyncBatch(scaledNet, cues, batch, 30)
      const out = await runExported(exported, cues, batch, 100, 30)
      expect(out.final).toEqual(Array.from(core.final))
      expect(out.iterations).toEqual(Array.from(core.iterations))
      const inApp = await recallBatch(scaledNet, cues, batch, { maxIterations: 30, provider: 'cpu' })
      expect(out.final).toEqual(Array.from(inApp.final))
      expect(out.iterations).toEqual(Array.from(inApp.iterations))
      // Weights embedded on their integer grid K = D·W, with the scale in the metadata.
      const d = Math.round(1 / scaledNet.scale!)
      expect(readModelMetadata(exported)).toMatchObject({ weights_scale: String(1 / d), weights_denominator: String(d) })
      const w = decodeModel(exported).graph!.initializer!.find((t) => t.name === 'weights')!
      const k = new Float32Array(Uint8Array.from(w.rawData!).buffer)
      expect(Array.from(k.subarray(0, 300))).toEqual(Array.from(scaledNet.weights.subarray(0, 300), (v) => Math.round(v * d)))
    })
  }

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
    // Integer weights with no declared grid go in as they are.
    expect(meta.weights_scale).toBeUndefined()
    const m = decodeModel(model)
    expect(m.producerName).toBe('engram')
    expect(m.producerVersion).toBe('0.1.0')
    expect(m.docString).toMatch(/final_state float32 \[batch, 48\]/)
    expect(m.graph!.initializer!.map((t) => t.name).sort()).toEqual(['thresholds', 'weights'])
    expect(m.graph!.input![0]!.type!.tensorType!.shape!.dim![0]!.dimParam).toBe('batch')
  })

  it.skipIf(!HAS_ONNX)('passes the onnx 1.12 checker with full_check (both variants)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-export-'))
    const { buildHopfieldRecallModel } = await import('../../src/engine/programs/hopfield-recall')
    const files = {
      embedded: model,
      inputs: buildHopfieldRecallModel({ units: n }),
      binary: exportHopfieldOnnx({ ...net, encoding: 'binary' }, {}),
      grid: exportHopfieldOnnx(scaled[0]!.net, {})
    }
    for (const [name, bytes] of Object.entries(files)) {
      const file = join(dir, `${name}.onnx`)
      writeFileSync(file, bytes)
      expect({ name, ...onnxCheck(file) }).toEqual({ name, ok: true, output: '' })
    }
  })
})
