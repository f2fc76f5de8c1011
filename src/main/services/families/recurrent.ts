// Recurrent networks on the services side: a char-LM trained on a shipped corpus or an imported text (engine fast path,
// core fallback), generation from a prompt, export (ONNX with the standard LSTM/GRU/RNN ops; safetensors with
// PyTorch's names). The session keeps the vocabulary in the model entry and the weights under their PyTorch names.
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../../shared/api'
import { MAX_TOTAL_STEPS, recurrentFamily as family, withCellVariants, type RecurrentInfo, type RecurrentModelSpec } from '../../../shared/families/recurrent'
import type { ExportFormat } from '../../../shared/family'
import { encodeRecurrentSafetensors, type RecurrentNet } from '../../../core/recurrent'
import { exportRecurrentOnnx } from '../../../engine/recurrent-export'
import { recurrentSamplers } from '../../../engine/recurrent-samplers'
import { ENGRAM_VERSION } from '../../version'
import { generateRecurrentJob, promptTokens, recurrentModelName, refuseBidirectionalLm, refuseForeignVariant, textTokens, trainRecurrentJob, type RecurrentGenerateInput, type RecurrentResume, type RecurrentTrainInput } from '../recurrent'
import { predictInput, predictRecurrentTask, recurrentModelNet, prepareRecurrentTask, taskCoreSpec, taskModelName, taskShapeOf, trainRecurrentTaskJob, type CsvReader, type RecurrentTaskSpec, type RecurrentTaskTrainInput } from '../recurrent-task'
import type { Params } from '../../../core/recurrent'
import type { FamilyContext, ServiceFamily, SessionData } from './types'

type AppTaskSpec = RecurrentModelSpec & { task: NonNullable<RecurrentModelSpec['task']> }

/** A run on a trained task model (crosses to a worker: plain data). */
interface RecurrentPredictInput {
  info: Pick<RecurrentInfo, 'id' | 'vocab' | 'taskResult'> & { spec: RecurrentTaskSpec }
  params: Params
  input: string | number[]
  field: string
}

function netOf(session: SessionData, model: RecurrentInfo): RecurrentNet {
  return recurrentModelNet(model, (name) => {
    const t = session.tensors.get(`models/${model.id}/${name}`)
    if (!t) throw new Error(`model ${model.id}: tensor '${name}' is missing from the session`)
    return t
  })
}

/** A task's CSV from the imported texts (a `path` is for spec files). */
function appCsv(ctx: FamilyContext): CsvReader {
  return (source, field) => {
    if (source.path !== undefined) refusePath(field)
    if (!ctx.texts) throw new ApiError({ code: 'failed', message: 'models.train: this backend has no texts' })
    return ctx.texts.read({ file: source.file! }, field)
  }
}

function refusePath(field: string): never {
  throw new ApiError({ code: 'bad-request', field: `${field}.path`, message: `${field}.path: a file path is for spec files (engram run); import the CSV as a text and name it in 'file'` })
}

/** The export metadata of a trained char-LM: the vocabulary, the text's name, the spec and seed it was trained with. */
export function recurrentExportMetadata(model: { vocab: readonly string[]; textName: string; spec: object; seed: number }): Record<string, string> {
  return { 'engram.version': ENGRAM_VERSION, vocab: JSON.stringify(model.vocab), text: model.textName, training: JSON.stringify({ ...model.spec, seed: model.seed }) }
}

/** A char-LM as ONNX (the standard LSTM/GRU/RNN operators) or safetensors (PyTorch's names); other formats refused naming `field`. */
export function recurrentExportBytes(net: RecurrentNet, metadata: Record<string, string>, format: ExportFormat, field: string): Uint8Array {
  if (format === 'onnx') return exportRecurrentOnnx(net, { metadata })
  if (format === 'safetensors') return encodeRecurrentSafetensors(net, 'float32', metadata)
  throw new ApiError({ code: 'bad-request', field, message: `${field}: a recurrent network exports as onnx or safetensors, not ${format}` })
}

/** What must equal the continued model's spec (the rest — steps, learning rate, clipping — may change). */
const CONTINUE_SAME = ['cell', 'peephole', 'coupled', 'gruForm', 'nonlinearity', 'hiddenSize', 'layers', 'embeddingSize', 'text', 'sequenceLength', 'batch', 'dropout', 'stateful'] as const

/**
 * The state a training continues from (spec.continueFrom): the model's weights, its Adam moments (saved with it under
 * optim/<name>.exp_avg / .exp_avg_sq; a model saved without them restarts them, and says so) and its step count.
 */
function resumeFrom(session: SessionData | undefined, spec: RecurrentModelSpec, seed: number, vocab: string[], field: string): RecurrentResume {
  const at = `${field}.model.continueFrom`
  const prior = session?.state.models.find((m) => m.id === spec.continueFrom)
  if (!session || !prior) throw new ApiError({ code: 'bad-request', field: at, message: `${at}: no model '${spec.continueFrom}' in this session` })
  if (prior.kind !== 'recurrent') throw new ApiError({ code: 'bad-request', field: at, message: `${at}: '${prior.name}' is a ${prior.kind} model, not a recurrent network` })
  // A model saved with another cell's settings from the form (before they were refused) compares without them.
  const priorSpec = withCellVariants(prior.spec)
  for (const k of CONTINUE_SAME) {
    const was = JSON.stringify(priorSpec[k])
    if (JSON.stringify(spec[k]) !== was) throw new ApiError({ code: 'bad-request', field: `${field}.model.${k}`, message: `${field}.model.${k}: must stay ${was} to continue '${prior.name}'` })
  }
  if (seed !== prior.seed) throw new ApiError({ code: 'bad-request', field: `${field}.seed`, message: `${field}.seed: must stay ${prior.seed} to continue '${prior.name}' (its training windows come from it)` })
  if (JSON.stringify(vocab) !== JSON.stringify(prior.vocab)) {
    throw new ApiError({ code: 'bad-request', field: `${field}.model.text`, message: `${field}.model.text: the text has changed since '${prior.name}' was trained (its vocabulary differs)` })
  }
  if (prior.stepsDone + spec.steps > MAX_TOTAL_STEPS) {
    throw new ApiError({ code: 'bad-request', field: `${field}.model.steps`, message: `${field}.model.steps: ${prior.stepsDone} + ${spec.steps} steps is more than the ${MAX_TOTAL_STEPS} a model may take in all` })
  }
  const net = netOf(session, prior)
  const moments: Record<string, Float64Array> = {}
  for (const name of Object.keys(net.params)) {
    for (const slot of ['exp_avg', 'exp_avg_sq'] as const) {
      const t = session.tensors.get(`models/${prior.id}/optim/${name}.${slot}`)
      if (t) moments[`${name}.${slot}`] = Float64Array.from(t.data as ArrayLike<number>)
    }
  }
  const complete = Object.keys(moments).length === 2 * Object.keys(net.params).length
  // A stateful model's carried state (saved beside the moments): the continuation starts where it stopped.
  const state = (k: string) => session.tensors.get(`models/${prior.id}/optim/state.${k}`)
  const h0 = state('h0')
  const c0 = state('c0')
  const carry = spec.stateful && h0 ? { h0: Float64Array.from(h0.data as ArrayLike<number>), ...(c0 ? { c0: Float64Array.from(c0.data as ArrayLike<number>) } : {}) } : null
  return { id: prior.id, name: prior.name, params: net.params, moments: complete ? moments : null, stepsTaken: prior.stepsDone, history: prior.history, carry }
}

export const recurrentService: ServiceFamily<typeof family> = {
  family,
  trainTask(ctx, request, field, session) {
    const spec = request.model
    refuseForeignVariant(spec, `${field}.model`)
    if (spec.task) {
      if (spec.continueFrom !== undefined) throw new ApiError({ code: 'bad-request', field: `${field}.model.continueFrom`, message: `${field}.model.continueFrom: continuing is for the char-LM; a task model trains from the start` })
      const taskSpec = { ...spec, task: spec.task }
      let csv: { name: string; text: string } | undefined
      const read = appCsv(ctx)
      const data = prepareRecurrentTask(taskSpec, request.seed, (source, f) => (csv = read(source, f)), field)
      const input: RecurrentTaskTrainInput<AppTaskSpec> = { modelId: randomUUID(), name: taskModelName(taskSpec, data), spec: taskSpec, seed: request.seed, ...(csv ? { csv } : {}), provider: ctx.provider }
      return { kind: 'recurrent.train', input }
    }
    refuseBidirectionalLm(spec, `${field}.model.bidirectional`)
    if (!ctx.texts) throw new ApiError({ code: 'failed', message: 'models.train: this backend has no texts' })
    const { name, text } = ctx.texts.read(spec.text, `${field}.model.text`)
    const { vocab, tokens } = textTokens(name, text, spec.sequenceLength, `${field}.model.text`, `${field}.model.sequenceLength`, spec.stateful ? { batch: spec.batch, field: `${field}.model.stateful` } : undefined)
    const resume = spec.continueFrom !== undefined ? resumeFrom(session, spec, request.seed, vocab, field) : undefined
    const input: RecurrentTrainInput = {
      modelId: randomUUID(),
      name: `${recurrentModelName(spec, name)}${resume ? ` · continued to ${resume.stepsTaken + spec.steps} steps` : ''}`,
      spec,
      seed: request.seed,
      textName: name,
      vocab,
      tokens,
      provider: ctx.provider,
      ...(resume ? { resume } : {})
    }
    return { kind: 'recurrent.train', input }
  },
  runTask(_ctx, session, model, run, field) {
    const task = model.spec.task
    if (run.kind === 'recurrent.predict') {
      if (!task) throw new ApiError({ code: 'bad-request', field: `${field}.kind`, message: `${field}.kind: '${model.name}' is a char-LM: use recurrent.generate` })
      const info = { ...model, spec: { ...model.spec, task } }
      predictInput(info, run.input, `${field}.input`)
      const input: RecurrentPredictInput = { info, params: netOf(session, model).params, input: run.input, field: `${field}.input` }
      return { kind: 'recurrent.predict', input }
    }
    if (task) throw new ApiError({ code: 'bad-request', field: `${field}.kind`, message: `${field}.kind: '${model.name}' is a ${task.kind} model: use recurrent.predict` })
    const input: RecurrentGenerateInput = { info: model, params: netOf(session, model).params, prompt: promptTokens(model, run, field), run }
    return { kind: 'recurrent.generate', input }
  },
  jobs: {
    'recurrent.train': async (input: RecurrentTrainInput | RecurrentTaskTrainInput<AppTaskSpec>, hooks) => {
      const out = 'tokens' in input ? await trainRecurrentJob(input, hooks) : await trainRecurrentTaskJob(input, hooks)
      return { result: { kind: 'recurrent.train', model: out.info }, tensors: out.tensors }
    },
    'recurrent.generate': async (input: RecurrentGenerateInput) => ({ result: { kind: 'recurrent.generate', result: await generateRecurrentJob(input) } }),
    'recurrent.predict': (input: RecurrentPredictInput) => {
      const net = { spec: taskCoreSpec(input.info.spec, taskShapeOf(input.info)), params: input.params }
      return Promise.resolve({ result: { kind: 'recurrent.predict', result: predictRecurrentTask(input.info, net, input.input, input.field) } })
    }
  },
  // Generation keeps the model's sampler session (recurrentSamplers): it runs here, so the next call finds it.
  inProcessJobs: ['recurrent.generate'],
  onForget(modelIds) {
    for (const id of modelIds) void recurrentSamplers.release(id)
  },
  onTrained(state) {
    delete state.results['recurrent.generate']
    delete state.results['recurrent.predict']
  },
  export(_ctx, session, model, format) {
    const suffix = `recurrent-${model.id.slice(0, 8)}.${format}`
    return { suffix, bytes: recurrentExportBytes(netOf(session, model), recurrentExportMetadata(model), format, 'params.format') }
  }
}
