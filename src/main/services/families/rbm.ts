// RBMs on the services side: training and Gibbs sampling jobs on the engine, receptive fields and the hidden
// layer as views, export (ONNX, safetensors, .npz).
import { randomUUID } from 'node:crypto'
import { rbmFamily as family } from '../../../shared/families/rbm'
import type { RbmInfo } from '../../../shared/session'
import { ApiError } from '../../../shared/api'
import { checkRbmLabels, hiddenActivations, rbmExportBytes, rbmResume, rbmVisibleRows, sampleRbmJob, sessionRbm, trainRbmJob, type RbmSampleInput, type RbmTrainInput } from '../rbm'
import type { FamilyContext, ServiceFamily, SessionData } from './types'

interface SampleTaskInput {
  sample: RbmSampleInput
  modelId: string
  width: number
  height: number
}

/** The session's RBM; the dataset is read only for a Gaussian RBM saved without its feature statistics (recomputed, see sessionRbm). */
const rbmOf = (ctx: FamilyContext, session: SessionData, info: RbmInfo): ReturnType<typeof sessionRbm> =>
  sessionRbm(session.tensors, info, () => ctx.datasets.greyRows(info.dataset, 'params.modelId'))

export const rbmService: ServiceFamily<typeof family> = {
  family,
  trainTask(ctx, request, field, session) {
    const data = ctx.datasets.greyRows(request.dataset, `${field}.dataset`)
    checkRbmLabels(request.model, data, request.dataset.builtin, `${field}.model.labels`)
    const summary = ctx.datasets.summary(request.dataset.builtin)
    const spec = request.model
    let resume: RbmTrainInput['resume']
    if (spec.continueFrom !== undefined) {
      // The model to continue: in this session, an RBM, saved with its training state and compatible with this run.
      const at = `${field}.model.continueFrom`
      const prior = session?.state.models.find((m) => m.id === spec.continueFrom)
      if (!session || !prior) throw new ApiError({ code: 'bad-request', field: at, message: `${at}: no model '${spec.continueFrom}' in this session` })
      if (prior.kind !== 'rbm') throw new ApiError({ code: 'bad-request', field: at, message: `${at}: '${prior.name}' is a ${prior.kind} model, not an RBM` })
      resume = rbmResume(prior, (name) => session.tensors.get(`models/${prior.id}/${name}`), { spec, seed: request.seed, dataset: request.dataset, data }, field)
    }
    const input: RbmTrainInput = {
      modelId: randomUUID(),
      name: `RBM ${data.visible}→${spec.hidden} · ${summary.name} · ${data.rows} rows${resume ? ` · continued to ${spec.epochs} epochs` : ''}`,
      dataset: request.dataset,
      spec,
      seed: request.seed,
      data,
      ...(resume ? { resume } : {})
    }
    return { kind: 'rbm.train', input }
  },
  runTask(ctx, session, model, run) {
    const rbm = rbmOf(ctx, session, model)
    // From data: on the scale training saw (the training split's statistics for Gaussian units), with the one-hot labels of a classification RBM.
    const rows = run.from === 'data' ? rbmVisibleRows(model, ctx.datasets.greyRows(model.dataset, 'params.modelId'), rbm) : null
    const input: SampleTaskInput = {
      modelId: model.id,
      width: model.width,
      height: model.height,
      sample: { rbm, count: run.count, steps: run.steps, from: run.from, seed: run.seed, data: rows }
    }
    return { kind: 'rbm.sample', input }
  },
  jobs: {
    'rbm.train': async (input: RbmTrainInput, hooks) => {
      const out = await trainRbmJob(input, hooks)
      return { result: { kind: 'rbm.train', model: out.info }, tensors: out.tensors }
    },
    'rbm.sample': async (input: SampleTaskInput, hooks) => {
      const out = await sampleRbmJob(input.sample, hooks)
      const { modelId, width, height } = input
      return { result: { kind: 'rbm.sample', modelId, width, height, steps: input.sample.steps, from: input.sample.from, samples: out.samples, provider: out.provider } }
    }
  },
  views: {
    'rbm.filters': (ctx, session, model, view) => {
      const rbm = rbmOf(ctx, session, model)
      const { hidden: H } = rbm
      // The pixels' weights only (a classification RBM's label units are not part of the picture).
      const V = rbm.visible - rbm.labelUnits
      const end = Math.min(H, view.offset + view.limit)
      const filters: number[][] = []
      for (let j = view.offset; j < end; j++) {
        const column = new Array<number>(V)
        for (let i = 0; i < V; i++) column[i] = Math.round(rbm.weights[i * H + j]! * 1e5) / 1e5
        filters.push(column)
      }
      return { kind: 'rbm.filters', visible: V, hidden: H, width: model.width, height: model.height, offset: view.offset, filters }
    },
    'rbm.hidden': (ctx, session, model, view, field) => ({
      kind: 'rbm.hidden',
      ...hiddenActivations(rbmOf(ctx, session, model), model, ctx.datasets.greyRows(model.dataset, 'params.modelId'), view.rows, `${field}.rows`)
    })
  },
  export(ctx, session, model, format) {
    return { suffix: `rbm-${model.id.slice(0, 8)}.${format}`, bytes: rbmExportBytes(rbmOf(ctx, session, model), model, session.state.name, format) }
  }
}
