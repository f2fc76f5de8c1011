// Tensor element types, one table for every format that names them: the runtime's typed arrays and ORT tensor type
// strings (engine/ort.ts), ONNX TensorProto.DataType (engine/onnx/builder.ts resolves the enum name through
// onnx-proto), safetensors dtype codes (core/safetensors.ts) and NumPy array-protocol descrs (core/npy.ts), plus the
// byte size all of them share. Adding a type means adding one row here.
// Reference: onnx/onnx.proto (TensorProto.DataType), huggingface/safetensors README (dtype codes), NumPy's
// array-interface typestr (byte order '<' little-endian, '|' not applicable).

/** The typed array of each element type (as a type: `InstanceType` would pin the buffer to ArrayBuffer). */
export interface TypedArrays {
  float32: Float32Array
  float64: Float64Array
  int64: BigInt64Array
  int32: Int32Array
  int8: Int8Array
  uint8: Uint8Array
  bool: Uint8Array
}

export const DTYPES = {
  float32: { array: Float32Array, bytes: 4, onnx: 'FLOAT', safetensors: 'F32', numpy: '<f4' },
  float64: { array: Float64Array, bytes: 8, onnx: 'DOUBLE', safetensors: 'F64', numpy: '<f8' },
  int64: { array: BigInt64Array, bytes: 8, onnx: 'INT64', safetensors: 'I64', numpy: '<i8' },
  int32: { array: Int32Array, bytes: 4, onnx: 'INT32', safetensors: 'I32', numpy: '<i4' },
  int8: { array: Int8Array, bytes: 1, onnx: 'INT8', safetensors: 'I8', numpy: '|i1' },
  uint8: { array: Uint8Array, bytes: 1, onnx: 'UINT8', safetensors: 'U8', numpy: '|u1' },
  // ORT and ONNX hold booleans as one byte each (0/1).
  bool: { array: Uint8Array, bytes: 1, onnx: 'BOOL', safetensors: 'BOOL', numpy: '|b1' }
} as const satisfies {
  [K in keyof TypedArrays]: { array: new (length: number) => TypedArrays[K]; bytes: number; onnx: string; safetensors: string; numpy: string }
}

/** Every element type the engine reads and writes (ORT's tensor type strings). */
export type ElemType = keyof typeof DTYPES

export const ELEM_TYPES = Object.keys(DTYPES) as ElemType[]

/** The typed array holding a tensor of type T. */
export type TypedArrayOf<T extends ElemType> = TypedArrays[T]

/**
 * What a state dict may hold (sessions, checkpoints, safetensors, .npy/.npz, result files): the numeric types whose
 * elements are plain JS numbers. int64 (BigInt) and bool stay inside the engine.
 */
export const STATE_DICT_DTYPES = ['float32', 'float64', 'int8', 'int32', 'uint8'] as const
export type StateDictDType = (typeof STATE_DICT_DTYPES)[number]
