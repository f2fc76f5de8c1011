// The onnx-proto namespace, resolved the same way under Node ESM, tsx, vitest and bundlers.
import * as onnxProtoModule from 'onnx-proto'

export type { onnx as OnnxProto } from 'onnx-proto'

type OnnxNamespace = typeof onnxProtoModule.onnx

// onnx-proto is CommonJS that assigns `$root.onnx`, which Node's CJS lexer cannot see, so under
// native ESM the namespace only exists on the default export; bundlers expose it directly.
const loaded = onnxProtoModule as unknown as { onnx?: OnnxNamespace; default?: { onnx?: OnnxNamespace } }
const resolved = loaded.onnx ?? loaded.default?.onnx
if (!resolved) throw new Error('onnx-proto did not expose the onnx namespace')

export const onnx: OnnxNamespace = resolved
