// Hopfield export to ONNX: the recall program with the net's weights and thresholds embedded.
import type { HopfieldNet } from '../core/hopfield'
import { buildHopfieldRecallModel } from './programs/hopfield-recall'

/**
 * A standalone ONNX model (opset 17, IR 8) computing synchronous recall of `net`: inputs `state`
 * float32 [batch, units] and `max_iterations` int64 scalar; outputs `final_state` float32
 * [batch, units] and `iterations` int32 [batch]. `metadata` lands in metadata_props (kind, units
 * and states are always set from the net; pass rule, engram_version and the training spec here).
 */
export function exportHopfieldOnnx(net: HopfieldNet, metadata: Record<string, string> = {}): Uint8Array {
  return buildHopfieldRecallModel({
    units: net.units,
    encoding: net.encoding,
    embed: { weights: net.weights, thresholds: net.thresholds },
    metadata
  })
}
