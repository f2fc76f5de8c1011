// A synchronous recall experiment with Hebb 1/N and 1/P at N = 100 (letters A E I O U X): the engine's outcomes
// (low-rank), the core's traces, the core reference and the ONNX exported from the result file all settle every cue
// alike, because the result carries the weights' grid (stateDict.scale) next to the weights.
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { runExperiment } from '../../src/main/services/experiments'
import { trainHopfield } from '../../src/main/services/hopfield'
import { experimentSpecSchema } from '../../src/shared/spec'
import { DatasetCatalog } from '../../src/main/services/datasets'
import { drawCues } from '../../src/core/corrupt'
import { matchStored, recallSyncBatch, type HopfieldNet } from '../../src/core/hopfield'
import { Rng } from '../../src/core/rng'
import { tensorFromJson } from '../../src/core/tensor-json'
import { exportHopfieldOnnx } from '../../src/engine/export'

const catalog = new DatasetCatalog(null)
const select = [0, 4, 8, 14, 20, 23] // A E I O U X
const d = catalog.resolve({ builtin: 'letters', select, threshold: 0.5 })
const data = { stored: d.patterns, labels: d.labels, width: d.summary.width, height: d.summary.height }

describe('exact recall experiments at N = 100', () => {
  for (const normalisation of ['1/N', '1/P'] as const) {
    it(`Hebb ${normalisation}: outcomes, traces, core and the ONNX exported from the result agree cue by cue`, async () => {
      const cuesPerPattern = 30
      const spec = experimentSpecSchema.parse({
        name: 'exact',
        seed: 21,
        dataset: { builtin: 'letters', select },
        model: { kind: 'hopfield', rule: 'hebb', normalisation },
        recall: { mode: 'sync', corruption: { type: 'flip', fraction: 0.1 }, cuesPerPattern, maxSweeps: 30, traceCount: 6 * cuesPerPattern }
      })
      const r = await runExperiment(spec, data)
      expect(r.compute.path).toBe('engine')
      const { net } = trainHopfield(data.stored, spec.model, spec.seed)
      const { cues, sources } = drawCues(data.stored, spec.recall.corruption, cuesPerPattern, data.width, data.height, new Rng(21))
      const batch = sources.length
      const core = recallSyncBatch(net, cues, batch, 30)
      const n = net.units
      const outcomes = r.outcomes!
      expect(outcomes.map((o) => o.success)).toEqual(Array.from(sources, (s, c) => matchStored(core.final.subarray(c * n, (c + 1) * n), data.stored) === s))
      expect(outcomes.map((o) => o.iterations)).toEqual(Array.from(core.iterations))
      // Each trace (core, step by step) ends where its outcome (engine) says: the same final overlap.
      expect(r.traces!).toHaveLength(batch)
      r.traces!.forEach((t, c) => expect(t.overlaps.at(-1)![t.pattern]).toBe(outcomes[c]!.overlapFinal))

      // The result file's model, as `engram export` reads it: weights, thresholds and the grid's scale.
      const sd = r.model!.stateDict
      const fromResult: HopfieldNet = {
        units: n,
        weights: tensorFromJson(sd.weights!).data as Float32Array,
        thresholds: tensorFromJson(sd.thresholds!).data as Float32Array,
        encoding: 'bipolar',
        scale: Number(tensorFromJson(sd.scale!).data[0])
      }
      expect(fromResult.scale).toBe(normalisation === '1/N' ? 1 / 100 : 1 / 6)
      const session = await ort.InferenceSession.create(exportHopfieldOnnx(fromResult))
      const out = await session.run({
        state: new ort.Tensor('float32', Float32Array.from(cues), [batch, n]),
        max_iterations: new ort.Tensor('int64', BigInt64Array.of(30n), [])
      })
      await session.release()
      expect(Array.from(out.final_state!.data as Float32Array)).toEqual(Array.from(core.final))
      expect(Array.from(out.iterations!.data as Int32Array)).toEqual(Array.from(core.iterations))
    })
  }
})
