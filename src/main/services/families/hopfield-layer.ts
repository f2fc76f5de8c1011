// The trainable Hopfield layer on the services side: training (engine, core fallback) on the task its spec names, the
// attention view of a held-out input, export (ONNX with the weights embedded; safetensors).
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../../shared/api'
import { hopfieldLayerFamily as family, hopfieldLayerSpecProblem, type HopfieldLayerInfo } from '../../../shared/families/hopfield-layer'
import { hopfieldLayerAttend, hopfieldLayerExportBytes, hopfieldLayerModelName, hopfieldLayerParams, trainHopfieldLayerJob, type HopfieldLayerTrainInput } from '../hopfield-layer'
import { modelTensors, type ServiceFamily, type SessionData } from './types'

const paramsOf = (session: SessionData, model: HopfieldLayerInfo) => {
  const tensors = modelTensors(session, model.id, family.tensors)
  return hopfieldLayerParams((name) => tensors[name]!)
}

export const hopfieldLayerService: ServiceFamily<typeof family> = {
  family,
  trainTask(ctx, request, field) {
    const problem = hopfieldLayerSpecProblem(request.model, `${field}.model`)
    if (problem) throw new ApiError({ code: 'bad-request', ...problem })
    const input: HopfieldLayerTrainInput = { modelId: randomUUID(), name: hopfieldLayerModelName(request.model), spec: request.model, seed: request.seed, provider: ctx.provider }
    return { kind: 'hopfield-layer.train', input }
  },
  runTask(_ctx, _session, _model, run, field) {
    throw new ApiError({ code: 'bad-request', field: `${field}.kind`, message: `${field}.kind: a Hopfield layer has no run '${(run as { kind: string }).kind}'` })
  },
  jobs: {
    'hopfield-layer.train': async (input: HopfieldLayerTrainInput, hooks) => {
      const out = await trainHopfieldLayerJob(input, hooks)
      return { result: { kind: 'hopfield-layer.train', model: out.info }, tensors: out.tensors }
    }
  },
  views: {
    'hopfield-layer.attend': (_ctx, session, model, view, field) => ({ kind: 'hopfield-layer.attend', result: hopfieldLayerAttend(model, paramsOf(session, model), view.index, `${field}.index`) })
  },
  export(_ctx, session, model, format) {
    return { suffix: `hopfield-layer-${model.id.slice(0, 8)}.${format}`, bytes: hopfieldLayerExportBytes(model, paramsOf(session, model), format, 'params.format') }
  }
}
