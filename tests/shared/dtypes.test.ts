// The one dtype table against the formats' own definitions: onnx.proto's TensorProto.DataType numbers, NumPy's
// dtype strings and itemsizes, the typed arrays' element sizes; and the modules that read it agree with it.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { DTYPES, ELEM_TYPES, STATE_DICT_DTYPES } from '../../src/shared/dtypes'
import { DATA_TYPE } from '../../src/engine/onnx/builder'
import { decodeNpy, encodeNpy } from '../../src/core/npy'
import { DTYPE_INFO } from '../../src/core/safetensors'

const python = spawnSync('/usr/bin/python3', ['-c', 'import numpy, onnx'], { encoding: 'utf8' }).status === 0

describe('dtype table', () => {
  it('ONNX codes are onnx.proto TensorProto.DataType values; sizes are the typed arrays’', () => {
    // From onnx/onnx.proto: FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, BOOL = 9, DOUBLE = 11.
    expect(DATA_TYPE).toEqual({ float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 })
    for (const t of ELEM_TYPES) expect(DTYPES[t].bytes, t).toBe(DTYPES[t].array.BYTES_PER_ELEMENT)
    for (const t of STATE_DICT_DTYPES) expect(DTYPE_INFO[t]).toEqual({ code: DTYPES[t].safetensors, bytes: DTYPES[t].bytes, ctor: DTYPES[t].array })
  })

  it.skipIf(!python)('NumPy and onnx (python) agree row by row', () => {
    const script = `
import json, numpy as np, onnx
# onnx >= 1.13 has helper.np_dtype_to_tensor_dtype; 1.12 (the version the checker tests pin) has mapping.
to_onnx = getattr(onnx.helper, 'np_dtype_to_tensor_dtype', None) or (lambda d: onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[d])
names = {'float32': 'float32', 'float64': 'float64', 'int64': 'int64', 'int32': 'int32', 'int8': 'int8', 'uint8': 'uint8', 'bool': 'bool'}
print(json.dumps({t: [np.dtype(n).str, np.dtype(n).itemsize, int(to_onnx(np.dtype(n)))] for t, n in names.items()}))`
    const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    const py = JSON.parse(r.stdout) as Record<string, [string, number, number]>
    for (const t of ELEM_TYPES) expect([DTYPES[t].numpy, DTYPES[t].bytes, DATA_TYPE[t]], t).toEqual(py[t])
  })

  it('.npy round-trips every state-dict dtype with the table’s descr', () => {
    for (const t of STATE_DICT_DTYPES) {
      const data = DTYPES[t].array.from([1, 2, 3, 4, 5, 6])
      const bytes = encodeNpy({ dtype: t, shape: [2, 3], data })
      expect(new TextDecoder().decode(bytes.subarray(10, 40))).toContain(`'descr': '${DTYPES[t].numpy}'`)
      const back = decodeNpy(bytes)
      expect(back.dtype).toBe(t)
      expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, 6])
    }
  })
})
