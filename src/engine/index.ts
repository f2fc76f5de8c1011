// The engine's public surface in one import (loads onnxruntime-node: Node processes and workers only).
export * from './onnx/builder'
export * from './programs/hopfield-recall'
export * from './provider-table'
export * from './ort'
export * from './session-cache'
export * from './recall'
export * from './export'
