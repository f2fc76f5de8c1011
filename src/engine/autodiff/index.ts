// Reverse-mode autodiff over the ONNX graph builder: the tape, its shape helpers and common losses.
export * from './tape'
export * from './losses'
export * from './shapes'
