// An exported recurrent net (ONNX tokens or features → logits) against the float64 core: the worst relative difference of the logits
// for the same tokens from a zero state, in a fresh onnxruntime-node session.
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { forward, type RecurrentNet } from '../../src/core/recurrent'

/** max |onnx − core| / (1 + |core|) over the logits ([T, B, O], or [B, O] for a head on the last step) of `tokens` (time-major [T, B]) or features [T, B, I]. */
export async function onnxLogitsError(onnx: Uint8Array, net: RecurrentNet, tokens: Int32Array | Float64Array, T: number, B: number): Promise<number> {
  const { numLayers: L, hiddenSize: H } = net.spec
  const session = await InferenceSession.create(onnx)
  try {
    const zeros = new Float32Array(L * B * H)
    const out = await session.run({
      ...(tokens instanceof Int32Array
        ? { tokens: new Tensor('int64', BigInt64Array.from(tokens, (v) => BigInt(v)), [T, B]) }
        : { input: new Tensor('float32', Float32Array.from(tokens), [T, B, net.spec.inputSize]) }),
      h0: new Tensor('float32', zeros, [L, B, H]),
      ...(net.spec.cell === 'lstm' ? { c0: new Tensor('float32', zeros, [L, B, H]) } : {})
    })
    const core = forward(net, { steps: T, batch: B, ...(tokens instanceof Int32Array ? { tokens } : { input: tokens }) }).logits!
    const logits = out['logits']!.data as Float32Array
    if (logits.length !== core.length) throw new Error(`logits: ${logits.length} values from ONNX, ${core.length} from the core`)
    let worst = 0
    for (let i = 0; i < core.length; i++) worst = Math.max(worst, Math.abs(logits[i]! - core[i]!) / (1 + Math.abs(core[i]!)))
    return worst
  } finally {
    await session.release()
  }
}
