// The trainable Hopfield layer on the services side: training (engine, core fallback) on the task its spec names, the
// attention view of a held-out input, export (ONNX with the weights embedded; safetensors).
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../../shared/api'
import { hopfieldLayerFamily as family, hopfieldLayerSpecProblem, type HopfieldLayerInfo } from '../../../shared/families/hopfield-layer'
import { hopfieldLayerAttend, hopfieldLayerExportBytes, hopfieldLayerModelName, hopfieldLayerParams, trainHopfieldLayerJob, type HopfieldLayerTrainInput } from '../hopfield-layer'
import { HOPFIELD_POOLING_PARAMS } from '../../../core/hopfield-pooling'
import { hopfieldPoolingBag, hopfieldPoolingExportBytes, hopfieldPoolingParams, trainHopfieldPoolingJob } from '../hopfield-pooling'
import { modelTensors, type ServiceFamily, type SessionData } from './types'

const paramsOf = (session: SessionData, model: HopfieldLayerInfo) => {
  const tensors = modelTensors(session, model.id, family.tensors)
  return hopfieldLayerParams((name) => tensors[name]!)
}
const poolingParamsOf = (session: SessionData, model: HopfieldLayerInfo) => {
  const tensors = modelTensors(session, model.id, HOPFIELD_POOLING_PARAMS)
  return hopfieldPoolingParams((name) => tensors[name]!)
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
      const out = input.spec.mode === 'pooling' ? await trainHopfieldPoolingJob(input, hooks) : await trainHopfieldLayerJob(input, hooks)
      return { result: { kind: 'hopfield-layer.train', model: out.info }, tensors: out.tensors }
    }
  },
  views: {
    'hopfield-layer.attend': (_ctx, session, model, view, field) => {
      if (model.spec.mode !== 'lookup') throw new ApiError({ code: 'bad-request', field: `${field}.kind`, message: `${field}.kind: a pooling layer has no stored patterns to attend over; use the hopfield-layer.bag view` })
      return { kind: 'hopfield-layer.attend', result: hopfieldLayerAttend(model, paramsOf(session, model), view.index, `${field}.index`) }
    },
    'hopfield-layer.bag': (_ctx, session, model, view, field) => {
      if (model.spec.mode !== 'pooling') throw new ApiError({ code: 'bad-request', field: `${field}.kind`, message: `${field}.kind: only a pooling layer (mode 'pooling') pools bags; use the hopfield-layer.attend view` })
      return { kind: 'hopfield-layer.bag', result: hopfieldPoolingBag(model, poolingParamsOf(session, model), view.index, `${field}.index`) }
    }
  },
  export(_ctx, session, model, format) {
    const bytes = model.spec.mode === 'pooling' ? hopfieldPoolingExportBytes(model, poolingParamsOf(session, model), format, 'params.format') : hopfieldLayerExportBytes(model, paramsOf(session, model), format, 'params.format')
    return { suffix: `hopfield-${model.spec.mode === 'pooling' ? 'pooling' : 'layer'}-${model.id.slice(0, 8)}.${format}`, bytes }
  }
}
