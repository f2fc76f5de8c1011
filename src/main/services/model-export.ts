// `engram export`: a trained model (Hopfield network, RBM, char-LM, Hopfield layer) from a result file or a saved session, as file bytes.
import type { HopfieldNet } from '../../core/hopfield'
import type { ExperimentResult } from '../../shared/spec'
import { ApiError } from '../../shared/api'
import type { ExportFormat } from '../../shared/family'
import { familyOf } from '../../shared/families'
import type { DatasetCatalog } from './datasets'
import { exportModel } from './families'
import { hopfieldExportBytes } from './families/hopfield'
import { exportRbmResult } from './rbm-run'
import { exportRecurrentResult } from './recurrent-run'
import { exportHopfieldLayerResult } from './hopfield-layer-run'
import { readAnyResultFile, resultTensor, SpecError } from './spec-file'
import type { SessionStore } from './store'

export type { ExportFormat }

export interface ModelExport {
  bytes: Uint8Array
  /** The format and the model's size, for the command's one-line report ("onnx, 64 units", "onnx, RBM 784×64"). */
  description: string
}

/** The model of a result file written by `engram run`: an RBM or char-LM result, or a recall / dataset sweep result's Hopfield net. */
export function exportResultFile(path: string, format: ExportFormat): ModelExport {
  const read = readAnyResultFile(path)
  if (read.kind === 'rbm') {
    const { bytes, rbm } = exportRbmResult(read.result, format, path)
    return { bytes, description: `${format}, RBM ${rbm.visible}×${rbm.hidden}` }
  }
  if (read.kind === 'recurrent') {
    const { bytes, net } = exportRecurrentResult(read.result, format, path)
    return { bytes, description: `${format}, ${read.result.recurrent.name} (${net.spec.vocabSize !== undefined ? `vocabulary ${net.spec.vocabSize}` : `${net.spec.inputSize} input features`})` }
  }
  if (read.kind === 'hopfield-layer') {
    return { bytes: exportHopfieldLayerResult(read.result, format, path), description: `${format}, ${read.result.layer.name}` }
  }
  const { net, metadata } = netFromResult(path, read.result)
  return { bytes: hopfieldExportBytes(net, metadata, format), description: `${format}, ${net.units} units` }
}

function netFromResult(path: string, result: ExperimentResult): { net: HopfieldNet; metadata: Record<string, string> } {
  if (!result.model) throw new SpecError(`${path}: this result holds no model (a capacity sweep trains many); export needs a recall or dataset sweep result`)
  const w = result.model.stateDict.weights
  const t = result.model.stateDict.thresholds
  if (!w || !t) throw new SpecError(`${path}: result.model.stateDict needs 'weights' and 'thresholds'`)
  const wt = resultTensor(path, 'model.stateDict.weights', w)
  const tt = resultTensor(path, 'model.stateDict.thresholds', t)
  const weights = wt.data
  const thresholds = tt.data
  const n = result.model.units
  const shape = (x: { shape: number[] }) => `[${x.shape.join(', ')}]`
  if (!(weights instanceof Float32Array) || shape(wt) !== `[${n}, ${n}]`) throw new SpecError(`${path}: model.stateDict.weights must be float32 [${n}, ${n}], got ${wt.dtype} ${shape(wt)}`)
  if (!(thresholds instanceof Float32Array) || shape(tt) !== `[${n}]`) throw new SpecError(`${path}: model.stateDict.thresholds must be float32 [${n}], got ${tt.dtype} ${shape(tt)}`)
  const net: HopfieldNet = { units: n, weights, thresholds, encoding: result.spec.model.encoding ?? 'bipolar' }
  // The weights' grid (core/hopfield.ts), so the export settles ties as the run did; older results have none.
  const scale = result.model.stateDict.scale ? resultTensor(path, 'model.stateDict.scale', result.model.stateDict.scale).data[0] : undefined
  if (scale !== undefined) net.scale = Number(scale)
  return { net, metadata: { ...result.model.metadata, 'engram.source': 'result file' } }
}

/**
 * A model of a saved session, found by the session's id or name: the model `modelId` names (any family), else the
 * session's active model; exported through its family's service, as the app's export button does.
 */
export function exportSessionModel(store: SessionStore, datasets: DatasetCatalog, session: string, modelId: string | undefined, format: ExportFormat): ModelExport {
  const row = store.list().find((r) => r.id === session) ?? store.list().find((r) => r.name === session)
  if (!row) throw new SpecError(`export: no saved session with id or name '${session}' (and no such .json file)`)
  const loaded = store.load(row.id)
  if (!loaded) throw new SpecError(`export: session '${row.name}' could not be loaded`)
  const id = modelId ?? loaded.state.activeModelId
  const info = loaded.state.models.find((m) => m.id === id)
  if (!info) throw new SpecError(`--model: session '${row.name}' has no model '${id ?? ''}' (models: ${loaded.state.models.map((m) => `${m.id} (${m.kind})`).join(', ') || 'none'})`)
  try {
    const { bytes } = exportModel({ datasets, provider: 'cpu' }, loaded, info, format, '--format')
    return { bytes, description: `${format}, ${familyOf(info.kind)?.label ?? info.kind} '${info.name}'` }
  } catch (error) {
    if (error instanceof ApiError) throw new SpecError(error.message)
    throw error
  }
}
