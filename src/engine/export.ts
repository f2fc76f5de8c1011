// Hopfield export to ONNX: the recall program with the net's weights and thresholds embedded.
import { gridForm, needsGridForm, type HopfieldNet } from '../core/hopfield'
import { buildHopfieldRecallModel } from './programs/hopfield-recall'

/**
 * A standalone ONNX model (opset 17, IR 8) computing synchronous recall of `net`: inputs `state`
 * float32 [batch, units] and `max_iterations` int64 scalar; outputs `final_state` float32
 * [batch, units] and `iterations` int32 [batch]. `metadata` lands in metadata_props (kind, units
 * and states are always set from the net; pass rule, engram_version and the training spec here).
 *
 * A net on a grid 1/D with D not a power of two (Hebb 1/N or 1/P, Storkey, energy training) is embedded as the
 * integers K = D·W and its thresholds in the same units (core/hopfield.ts gridForm): float32 then sums exactly in
 * any order, so the exported model settles every cue as the app does, ties included. Sign dynamics do not depend on
 * the positive factor; metadata `weights_scale` (= 1/D) gives it back for energies in the model's units.
 */
export function exportHopfieldOnnx(net: HopfieldNet, metadata: Record<string, string> = {}): Uint8Array {
  const form = needsGridForm(net) ? gridForm(net) : null
  const grid: Record<string, string> = form
    ? {
        weights_scale: String(1 / form.denominator),
        weights_denominator: String(form.denominator),
        weights_units: `embedded weights and thresholds are ${form.denominator}× the model's (thresholds rounded to the half-integer grid, which orders integer net inputs exactly as the model's thresholds do)`
      }
    : {}
  return buildHopfieldRecallModel({
    units: net.units,
    encoding: net.encoding,
    embed: form ? { weights: form.weights, thresholds: form.thresholds } : { weights: net.weights, thresholds: net.thresholds },
    metadata: { ...metadata, ...grid }
  })
}
