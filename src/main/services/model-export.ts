// `engram export`: a trained model (Hopfield network or RBM) from a result file or a saved session, as file bytes.
import type { HopfieldNet } from '../../core/hopfield'
import { tensorFromJson } from '../../core/tensor-json'
import type { ExperimentResult } from '../../shared/spec'
import { hopfieldExportBytes, netFromTensors } from './backend'
import { modelMetadata } from './hopfield'
import { rbmExportBytes, sessionRbm } from './rbm'
import { exportRbmResult } from './rbm-run'
import { readAnyResultFile, SpecError } from './spec-file'
import type { SessionStore } from './store'

export type ExportFormat = 'onnx' | 'safetensors' | 'npz'

export interface ModelExport {
  bytes: Uint8Array
  /** The format and the model's size, for the command's one-line report ("onnx, 64 units", "onnx, RBM 784×64"). */
  description: string
}

/** The model of a result file written by `engram run`: an RBM result, or a recall / dataset sweep result's Hopfield net. */
export function exportResultFile(path: string, format: ExportFormat): ModelExport {
  const read = readAnyResultFile(path)
  if (read.kind === 'rbm') {
    const { bytes, rbm } = exportRbmResult(read.result, format)
    return { bytes, description: `${format}, RBM ${rbm.visible}×${rbm.hidden}` }
  }
  const { net, metadata } = netFromResult(path, read.result)
  return { bytes: hopfieldExportBytes(net, metadata, format), description: `${format}, ${net.units} units` }
}

function netFromResult(path: string, result: ExperimentResult): { net: HopfieldNet; metadata: Record<string, string> } {
  if (!result.model) throw new SpecError(`${path}: this result holds no model (a capacity sweep trains many); export needs a recall or dataset sweep result`)
  const w = result.model.stateDict.weights
  const t = result.model.stateDict.thresholds
  if (!w || !t) throw new SpecError(`${path}: result.model.stateDict needs 'weights' and 'thresholds'`)
  const weights = tensorFromJson(w).data
  const thresholds = tensorFromJson(t).data
  const n = result.model.units
  if (!(weights instanceof Float32Array) || weights.length !== n * n) throw new SpecError(`${path}: result.model.stateDict.weights must be float32 [${n}, ${n}]`)
  if (!(thresholds instanceof Float32Array) || thresholds.length !== n) throw new SpecError(`${path}: result.model.stateDict.thresholds must be float32 [${n}]`)
  return { net: { units: n, weights, thresholds, encoding: result.spec.model.encoding ?? 'bipolar' }, metadata: { ...result.model.metadata, 'engram.source': 'result file' } }
}

/**
 * A model of a saved session, found by the session's id or name: the model `modelId` names (an RBM or a Hopfield
 * model), else the session's active model.
 */
export function exportSessionModel(store: SessionStore, session: string, modelId: string | undefined, format: ExportFormat): ModelExport {
  const row = store.list().find((r) => r.id === session) ?? store.list().find((r) => r.name === session)
  if (!row) throw new SpecError(`export: no saved session with id or name '${session}' (and no such .json file)`)
  const loaded = store.load(row.id)
  if (!loaded) throw new SpecError(`export: session '${row.name}' could not be loaded`)
  const { state, tensors } = loaded
  const id = modelId ?? state.activeModelId
  const rbmInfo = state.rbms.find((r) => r.id === id)
  if (rbmInfo) {
    const rbm = sessionRbm(tensors, rbmInfo)
    return { bytes: rbmExportBytes(rbm, rbmInfo, state.name, format), description: `${format}, RBM ${rbm.visible}×${rbm.hidden}` }
  }
  const info = state.models.find((m) => m.id === id)
  if (!info) throw new SpecError(`--model: session '${row.name}' has no model '${id ?? ''}' (models: ${state.models.map((m) => m.id).join(', ') || 'none'})`)
  const net = netFromTensors(tensors, info.id, info.spec.encoding).net
  const metadata = modelMetadata(info.spec, net, { dataset: info.dataset.builtin, patterns: String(info.patterns), session: row.name })
  return { bytes: hopfieldExportBytes(net, metadata, format), description: `${format}, ${net.units} units` }
}
