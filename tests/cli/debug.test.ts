// Every error from the CLI is one line; an internal error (a bug) says so and exits 70; --debug adds the stack trace.
import { describe, expect, it, vi } from 'vitest'
import * as modelExport from '../../src/main/services/model-export'
import { inProcessCli } from '../helpers/cli'

vi.mock('../../src/main/services/model-export', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/main/services/model-export')>()
  return { ...real, exportResultFile: vi.fn(real.exportResultFile) }
})

const { run } = inProcessCli()

describe('engram error lines', () => {
  it('a user error is one line naming the field; --debug adds its stack', async () => {
    const plain = await run(['export', 'x.json', '--format', 'tiff', '--out', 'y'])
    expect(plain).toEqual({ code: 2, text: "engram: --format: expected onnx, safetensors or npz, got 'tiff'\n" })
    const debug = await run(['export', 'x.json', '--format', 'tiff', '--out', 'y', '--debug'])
    expect(debug.code).toBe(2)
    expect(debug.text.split('\n')[0]).toBe("engram: --format: expected onnx, safetensors or npz, got 'tiff'")
    expect(debug.text).toMatch(/\n {4}at /)
  })

  it('an internal error is one line that says it is a bug (exit 70); the stack only with --debug', async () => {
    vi.mocked(modelExport.exportResultFile).mockImplementation(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'shape')")
    })
    const file = `${import.meta.dirname}/../../examples/hopfield-letters.json`
    const plain = await run(['export', file, '--format', 'onnx', '--out', '/tmp/engram-debug-test.onnx'])
    expect(plain.code).toBe(70)
    expect(plain.text).toBe(
      "engram: internal error: TypeError: Cannot read properties of undefined (reading 'shape') (a bug: run again with --debug for the stack trace, and please report it)\n"
    )
    const debug = await run(['--debug', 'export', file, '--format', 'onnx', '--out', '/tmp/engram-debug-test.onnx'])
    expect(debug.code).toBe(70)
    expect(debug.text).toMatch(/^engram: internal error: TypeError: Cannot read properties of undefined \(reading 'shape'\)\nTypeError: .*\n {4}at /)
  })
})
