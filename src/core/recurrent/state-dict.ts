// Recurrent nets as flat state dicts and safetensors with PyTorch's names and gate order (torch.nn.LSTM/GRU/RNN
// load_state_dict takes the recurrent tensors as they are; embedding.weight and head.* fit nn.Embedding / nn.Linear).
// Reference: PyTorch nn.RNNBase parameter names; safetensors format (../safetensors.ts).
// Legend: metadata carries the spec as JSON under "engram_recurrent_spec"; names and shapes as in spec.ts.

import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../safetensors'
import { checkParams, paramShapes, validateSpec, type Params, type RecurrentNet, type RecurrentSpec } from './spec'

export const SPEC_METADATA_KEY = 'engram_recurrent_spec'

/** name → tensor with PyTorch's names and shapes, in float32 or float64. */
export function recurrentStateDict(net: RecurrentNet, dtype: 'float32' | 'float64' = 'float32'): Record<string, NamedTensor> {
  checkParams(net.spec, net.params)
  const out: Record<string, NamedTensor> = {}
  for (const [name, shape] of paramShapes(net.spec)) {
    const a = net.params[name]!
    out[name] = { dtype, shape, data: dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a) }
  }
  return out
}

export function encodeRecurrentSafetensors(net: RecurrentNet, dtype: 'float32' | 'float64' = 'float32', metadata: Record<string, string> = {}): Uint8Array {
  return encodeSafetensors(recurrentStateDict(net, dtype), { ...metadata, [SPEC_METADATA_KEY]: JSON.stringify(net.spec) })
}

/** Reads a file written by encodeRecurrentSafetensors (or one with the same names and the spec passed in). */
export function decodeRecurrentSafetensors(bytes: Uint8Array, spec?: RecurrentSpec): RecurrentNet {
  const { tensors, metadata } = decodeSafetensors(bytes)
  let s = spec
  if (!s) {
    const text = metadata[SPEC_METADATA_KEY]
    if (!text) throw new Error(`safetensors: no "${SPEC_METADATA_KEY}" metadata; pass the spec`)
    s = JSON.parse(text) as RecurrentSpec
  }
  validateSpec(s)
  const params: Params = {}
  for (const [name, shape] of paramShapes(s)) {
    const t = tensors[name]
    if (!t) throw new Error(`safetensors: tensor "${name}" is missing`)
    if (t.shape.join(',') !== shape.join(',')) throw new Error(`safetensors: tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`)
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new Error(`safetensors: tensor "${name}" is ${t.dtype}, expected float32 or float64`)
    params[name] = Float64Array.from(t.data)
  }
  checkParams(s, params)
  return { spec: s, params }
}
