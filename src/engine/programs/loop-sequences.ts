// Loop bodies whose settled rows leave the batch (hopfield-recall-lowrank.ts, modern-hopfield-retrieval.ts) carry
// their finished rows in sequences of tensors; the graph builder declares tensors only, so the body's sequence
// values are retyped after it is built.
import { DATA_TYPE, type ElemType } from '../onnx/builder'
import type { OnnxProto } from '../onnx/proto'

export function sequenceOf(elem: ElemType): OnnxProto.ITypeProto {
  return { sequenceType: { elemType: { tensorType: { elemType: DATA_TYPE[elem] } } } }
}

/** Retypes each body input `<name>_in` and output `<name>_out` as a sequence of `elem` tensors. */
export function retypeAsSequences(body: OnnxProto.IGraphProto, entries: readonly (readonly [string, ElemType])[]): void {
  const retype = (list: OnnxProto.IValueInfoProto[], name: string, elem: ElemType): void => {
    const info = list.find((v) => v.name === name)
    if (!info) throw new Error(`internal: no body value '${name}'`)
    info.type = sequenceOf(elem)
  }
  for (const [name, elem] of entries) {
    retype(body.input ?? [], `${name}_in`, elem)
    retype(body.output ?? [], `${name}_out`, elem)
  }
}
