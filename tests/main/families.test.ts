// The model-family registry holds together: every family declared in shared has its services, every job kind a
// worker handler, every view an implementation; the API's unions are built from the declarations; and a family
// whose declaration is inconsistent is refused when it is defined.
import { describe, expect, it } from 'vitest'
import { defineFamily, trainJob } from '../../src/shared/family'
import { FAMILIES, modelSpecSchema, runRequestSchema, sessionModelSchema, viewRequestSchema } from '../../src/shared/families'
import { bamModelSpecSchema } from '../../src/shared/spec'
import { bamInfoSchema } from '../../src/shared/families/bam'
import { JOB_TABLE, SERVICE_FAMILIES } from '../../src/main/services/families'

const runKinds = FAMILIES.flatMap((f) => f.runs.map((r) => r.request.shape.kind.value))
const viewKinds = FAMILIES.flatMap((f) => f.views.map((v) => v.request.shape.kind.value))

describe('family registry', () => {
  it('has one service per family, in the same order, and a worker handler for every job kind', () => {
    expect(SERVICE_FAMILIES.map((s) => s.family)).toEqual([...FAMILIES])
    for (const f of FAMILIES) {
      const service = SERVICE_FAMILIES.find((s) => s.family === f)!
      const kinds = [f.train.request.shape.kind.value, ...f.runs.map((r) => r.request.shape.kind.value)]
      expect(Object.keys(service.jobs).sort(), f.kind).toEqual([...kinds].sort())
      for (const k of kinds) expect(JOB_TABLE[k], k).toBeTypeOf('function')
      expect(Object.keys(service.views ?? {}).sort(), f.kind).toEqual(f.views.map((v) => v.request.shape.kind.value).sort())
      expect(f.exports.length, f.kind).toBeGreaterThan(0)
    }
    expect(JOB_TABLE.experiment).toBeTypeOf('function')
  })

  it('gives every run and view kind to one family only', () => {
    expect(new Set(runKinds).size).toBe(runKinds.length)
    expect(new Set(viewKinds).size).toBe(viewKinds.length)
    expect(new Set(FAMILIES.map((f) => f.kind)).size).toBe(FAMILIES.length)
  })

  it('builds the API unions from the declarations', () => {
    for (const f of FAMILIES) expect(modelSpecSchema.safeParse({ kind: f.kind }).success, f.kind).toBe(true)
    expect(modelSpecSchema.safeParse({ kind: 'lstm' }).error?.issues[0]?.path).toEqual(['kind'])
    for (const k of runKinds) expect(runRequestSchema.safeParse({ kind: k }).error?.issues.every((i) => i.path[0] !== 'kind') ?? true, k).toBe(true)
    expect(runRequestSchema.safeParse({ kind: 'rbm.train' }).success).toBe(false)
    for (const k of viewKinds) expect(viewRequestSchema.safeParse({ kind: k }).error?.issues.every((i) => i.path[0] !== 'kind') ?? true, k).toBe(true)
    // A session model must carry its kind.
    expect(sessionModelSchema.safeParse({ id: 'x' }).success).toBe(false)
  })

  it('refuses an inconsistent declaration when the family is defined', () => {
    const base = {
      kind: 'bam',
      label: 'test',
      spec: bamModelSpecSchema,
      model: bamInfoSchema,
      tensors: ['weights'],
      train: trainJob('bam.train', bamModelSpecSchema, bamInfoSchema),
      runs: [],
      views: [],
      kept: [],
      exports: ['npz']
    } as const
    expect(defineFamily(base).kind).toBe('bam')
    expect(() => defineFamily({ ...base, train: trainJob('other.train', bamModelSpecSchema, bamInfoSchema) })).toThrow("its train job must be 'bam.train'")
    expect(() => defineFamily({ ...base, kept: ['bam.recall'] })).toThrow("kept run 'bam.recall' is not one of its runs")
    expect(() => defineFamily({ ...base, kind: 'rnn', train: trainJob('rnn.train', bamModelSpecSchema, bamInfoSchema) })).toThrow("spec and model must carry kind 'rnn'")
  })
})
