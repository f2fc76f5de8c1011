// BAMs on the services side: Hebbian training of the pairs (with 003's sufficient conditions and δ̄), X ↔ Y recall
// and the one-shot hetero-associative pass, export (safetensors, .npz).
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../../shared/api'
import { bamFamily as family } from '../../../shared/families/bam'
import type { BamInfo, BamRecallResult } from '../../../shared/session'
import type { BamModelSpec, DatasetRef } from '../../../shared/spec'
import { bamEnergy, bamHebb, bamRecall, type BamNet } from '../../../core/bam'
import { bamCodes } from '../../../core/bam-codes'
import { heteroConditions, heteroRecall } from '../../../core/hetero'
import type { NamedTensor } from '../../../core/safetensors'
import { encodeStateDict } from '../../../core/npy'
import { ENGRAM_VERSION } from '../../version'
import { modelTensors, type ServiceFamily } from './types'

/** 003's conditions cost P²·N: checked for up to this many pairs. */
const MAX_CONDITION_PAIRS = 1000

interface BamTrainInput {
  modelId: string
  name: string
  dataset: DatasetRef
  spec: BamModelSpec
  xs: Int8Array[]
  ys: Int8Array[]
  width: number
  height: number
  labels: string[]
}

type BamRun = Extract<import('../../../shared/families').RunRequest, { kind: 'bam.recall' }>

interface BamRecallInput {
  info: BamInfo
  weights: Float32Array
  run: BamRun
}

function pairConditions(xs: Int8Array[], ys: Int8Array[]): NonNullable<BamInfo['conditions']> {
  const c = heteroConditions(xs, ys)
  return { ...c, violations: c.violations.slice(0, 20), violationCount: c.violations.length }
}

function netOf(info: BamInfo, weights: Float32Array): BamNet {
  return { xUnits: info.xUnits, yUnits: info.yUnits, weights, encoding: info.spec.encoding, thresholdsX: new Float32Array(info.xUnits), thresholdsY: new Float32Array(info.yUnits) }
}

function recall({ info, weights, run }: BamRecallInput): BamRecallResult {
  const net = netOf(info, weights)
  if (run.mode === 'one-shot') {
    const x = run.x!
    const one = heteroRecall({ inputs: info.xUnits, outputs: info.yUnits, weights, encoding: info.spec.encoding }, x)
    const y = Array.from(one.output)
    // The stored pair whose code came out (for an X given exactly, its own code: the association holds).
    const match = info.y.findIndex((t) => t.every((v, j) => v === y[j]))
    return {
      modelId: info.id,
      cue: { x, y: null },
      steps: [{ layer: 'y', netInput: Array.from(one.netInput), state: y, energy: bamEnergy(net, x, y) }],
      x,
      y,
      halfSteps: 1,
      outcome: 'one-shot',
      mode: 'one-shot',
      match,
      negativeMatch: -1,
      spurious: match < 0
    }
  }
  const r = bamRecall(net, { ...(run.x ? { x: run.x } : {}), ...(run.y ? { y: run.y } : {}) }, {
    ...(run.first ? { first: run.first } : {}),
    maxIterations: run.maxIterations,
    stored: { inputs: info.x, targets: info.y }
  })
  return {
    modelId: info.id,
    cue: { x: run.x ?? null, y: run.y ?? null },
    steps: r.steps.map((st) => ({ layer: st.layer, netInput: Array.from(st.netInput), state: Array.from(st.state), energy: st.energy })),
    x: Array.from(r.x),
    y: Array.from(r.y),
    halfSteps: r.halfSteps,
    outcome: r.outcome,
    match: r.match,
    negativeMatch: r.negativeMatch,
    spurious: r.spurious,
    mode: 'bam'
  }
}

export const bamService: ServiceFamily<typeof family> = {
  family,
  trainTask(ctx, request, field) {
    const data = ctx.datasets.resolve(request.dataset, `${field}.dataset`)
    const enc = request.model.encoding
    const toEnc = (v: Int8Array): Int8Array => (enc === 'binary' ? v.map((u) => (u === 1 ? 1 : 0)) : Int8Array.from(v))
    const xs = data.patterns.map(toEnc)
    const ys = request.model.codes === 'dataset' ? ctx.datasets.pairTargets(request.dataset, data.indices, `${field}.dataset`).map(toEnc) : bamCodes(xs.length, request.model.codes, enc)
    const input: BamTrainInput = {
      modelId: randomUUID(),
      name: `BAM · ${data.summary.name} · ${xs.length} pairs`,
      dataset: request.dataset,
      spec: request.model,
      xs,
      ys,
      width: data.summary.width,
      height: data.summary.height,
      labels: data.labels
    }
    return { kind: 'bam.train', input }
  },
  runTask(_ctx, session, model, run, field) {
    const check = (v: number[] | undefined, n: number, f: string): void => {
      if (!v) return
      if (v.length !== n) throw new ApiError({ code: 'bad-request', field: f, message: `${f}: ${v.length} values, the layer has ${n} units` })
      const bad = v.findIndex((u) => model.spec.encoding === 'binary' && u === -1)
      if (bad >= 0) throw new ApiError({ code: 'bad-request', field: `${f}.${bad}`, message: `${f}.${bad}: −1 is not a binary state` })
    }
    check(run.x, model.xUnits, `${field}.x`)
    check(run.y, model.yUnits, `${field}.y`)
    if (run.mode === 'one-shot' && !run.x) throw new ApiError({ code: 'bad-request', field: `${field}.x`, message: `${field}.x: the one-shot hetero-associative net maps x to y; give x` })
    if (!run.x && !run.y) throw new ApiError({ code: 'bad-request', field: `${field}.x`, message: `${field}.x: give x, y or both` })
    const { weights } = modelTensors(session, model.id, family.tensors)
    const input: BamRecallInput = { info: model, weights: weights!.data as Float32Array, run }
    return { kind: 'bam.recall', input }
  },
  jobs: {
    'bam.train': (input: BamTrainInput) => {
      const net = bamHebb(input.xs, input.ys, input.spec.encoding)
      const model: BamInfo = {
        kind: 'bam',
        id: input.modelId,
        name: input.name,
        spec: input.spec,
        dataset: input.dataset,
        xUnits: net.xUnits,
        yUnits: net.yUnits,
        width: input.width,
        height: input.height,
        labels: input.labels,
        x: input.xs.map((v) => Array.from(v)),
        y: input.ys.map((v) => Array.from(v)),
        ...(input.xs.length <= MAX_CONDITION_PAIRS ? { conditions: pairConditions(input.xs, input.ys) } : {}),
        createdAt: new Date().toISOString()
      }
      return { result: { kind: 'bam.train', model }, tensors: { weights: { dtype: 'float32', shape: [net.xUnits, net.yUnits], data: net.weights } } }
    },
    'bam.recall': (input: BamRecallInput) => ({ result: { kind: 'bam.recall', result: recall(input) } })
  },
  onTrained(state) {
    delete state.results['bam.recall']
  },
  export(_ctx, session, model, format) {
    if (format === 'onnx') throw new Error('BAMs have no ONNX export (the backend checks the family\'s formats first)')
    const { weights } = modelTensors(session, model.id, family.tensors)
    const pack = (rows: number[][]): NamedTensor => ({ dtype: 'int8', shape: [rows.length, rows[0]?.length ?? 0], data: Int8Array.from(rows.flat()) })
    const bytes = encodeStateDict(
      format,
      { weights: weights!, x: pack(model.x), y: pack(model.y) },
      { 'engram.version': ENGRAM_VERSION, kind: 'bam', encoding: model.spec.encoding, codes: model.spec.codes, dataset: model.dataset.builtin, labels: model.labels.join(',') }
    )
    return { suffix: `bam-${model.id.slice(0, 8)}.${format}`, bytes }
  }
}
