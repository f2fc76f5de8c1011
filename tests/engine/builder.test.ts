// GraphBuilder: small graphs run in ORT with the right numbers; attributes, subgraphs and metadata encode correctly.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildModel, decodeModel, f32, GraphBuilder, readModelMetadata, tensor } from '../../src/engine/onnx/builder'
import { onnx } from '../../src/engine/onnx/proto'
import { createSession } from '../../src/engine/ort'
import { hasOnnx, onnxCheck } from './helpers'

function addMatMulModel(): Uint8Array {
  const g = new GraphBuilder('tiny')
  const x = g.input('x', 'float32', ['batch', 3])
  const w = g.initializer('w', tensor.float32([1, 2, 3, 4, 5, 6], [3, 2]))
  const bias = g.constFloat([0.5, -1], 'bias')
  const y = g.node('Add', [g.node('MatMul', [x, w]), bias])
  g.output('y', 'float32', ['batch', 2], { from: y })
  return buildModel({ graph: g, metadata: { kind: 'test', note: 'hello' }, docString: 'x·w + b' })
}

describe('GraphBuilder', () => {
  it('builds MatMul + Add that ORT runs with the right numbers', async () => {
    const { session, provider } = await createSession(addMatMulModel(), { provider: 'cpu' })
    expect(provider).toBe('cpu')
    expect(session.inputNames).toEqual(['x'])
    expect(session.outputNames).toEqual(['y'])
    const out = await session.run({ x: { type: 'float32', data: Float32Array.of(1, 0, 0, 1, 1, 1), dims: [2, 3] } })
    const y = out.y!
    expect(y.dims).toEqual([2, 2])
    // [1,0,0]·w = [1,2]; [1,1,1]·w = [9,12]; plus [0.5,-1]
    expect(Array.from(y.data as Float32Array)).toEqual([1.5, 1, 9.5, 11])
    await session.release()
  })

  it('writes metadata, producer, opset and IR version that decode back', () => {
    const bytes = addMatMulModel()
    expect(readModelMetadata(bytes)).toEqual({ kind: 'test', note: 'hello' })
    const m = decodeModel(bytes)
    expect(Number(m.irVersion)).toBe(8)
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]])
    expect(m.producerName).toBe('engram')
    expect(m.docString).toBe('x·w + b')
    const dims = m.graph!.input![0]!.type!.tensorType!.shape!.dim!
    expect(dims[0]!.dimParam).toBe('batch')
    expect(Number(dims[1]!.dimValue)).toBe(3)
    const names = m.graph!.node!.map((n) => n.name ?? '')
    expect(new Set(names).size).toBe(names.length)
    expect(names.every((n) => n.startsWith('tiny/'))).toBe(true)
  })

  it('encodes integer-valued float attributes as FLOAT', () => {
    const g = new GraphBuilder('attrs')
    const x = g.input('x', 'float32', [2])
    const a = g.node('LeakyRelu', [x], { alpha: 1 })
    const b = g.node('Cast', [a], { to: 1, note: f32([1, 2]) })
    g.output('y', 'float32', [2], { from: b })
    const attrs = decodeModel(buildModel({ graph: g })).graph!.node!.flatMap((n) => n.attribute ?? [])
    const T = onnx.AttributeProto.AttributeType
    expect(attrs.find((a) => a.name === 'alpha')!.type).toBe(T.FLOAT)
    expect(attrs.find((a) => a.name === 'to')!.type).toBe(T.INT)
    expect(attrs.find((a) => a.name === 'note')!.type).toBe(T.FLOATS)
  })

  it('runs a Loop subgraph reading an outer value, with bool and int64 constants', async () => {
    const bytes = loopModel()
    const { session } = await createSession(bytes, { provider: 'cpu' })
    const out = await session.run({ x: { type: 'float32', data: Float32Array.of(10, 20), dims: [2] } })
    expect(Array.from(out.y!.data as Float32Array)).toEqual([15, 30])
    await session.release()
  })

  it.skipIf(!hasOnnx())('the Loop model passes the onnx checker (full_check)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'engram-builder-')), 'loop.onnx')
    writeFileSync(file, loopModel())
    const check = onnxCheck(file)
    expect(check?.output).toBe('')
    expect(check?.ok).toBe(true)
  })

  /** acc ← acc + step, 5 times: 5 × [1, 2]. */
  function loopModel(): Uint8Array {
    const g = new GraphBuilder('loop')
    const x = g.input('x', 'float32', [2])
    const step = g.constFloat([1, 2], 'step')
    const body = g.subgraph('body')
    body.input('i', 'int64', [])
    const c = body.input('c', 'bool', [])
    const acc = body.input('acc', 'float32', [2])
    body.output('c_out', 'bool', [], { from: c })
    body.output('acc_out', 'float32', [2], { from: body.node('Add', [acc, step]) })
    const y = g.node('Loop', [g.constInt64(5), g.constBool(true), x], { body })
    g.output('y', 'float32', [2], { from: y })
    return buildModel({ graph: g })
  }

  it('rejects duplicate value names and data/dims mismatches', () => {
    const g = new GraphBuilder('dup')
    g.input('x', 'float32', [1])
    expect(() => g.input('x', 'float32', [1])).toThrow(/duplicate/)
    expect(() => g.initializer('w', tensor.float32([1, 2, 3], [2, 2]))).toThrow(/dims/)
  })
})
