// Recurrent networks on the services side: a char-LM trained on a shipped corpus or an imported text (engine fast path,
// core fallback), generation from a prompt, export (ONNX with the standard LSTM/GRU/RNN ops; safetensors with
// PyTorch's names). The session keeps the vocabulary in the model entry and the weights under their PyTorch names.
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../../shared/api'
import { recurrentFamily as family, type RecurrentInfo } from '../../../shared/families/recurrent'
import type { ExportFormat } from '../../../shared/family'
import { encodeRecurrentSafetensors, type RecurrentNet } from '../../../core/recurrent'
import { exportRecurrentOnnx } from '../../../engine/recurrent-export'
import { ENGRAM_VERSION } from '../../version'
import { generateRecurrentJob, promptTokens, recurrentModelName, recurrentNetFromTensors, textTokens, trainRecurrentJob, type RecurrentGenerateInput, type RecurrentTrainInput } from '../recurrent'
import type { ServiceFamily, SessionData } from './types'

function netOf(session: SessionData, model: RecurrentInfo): ReturnType<typeof recurrentNetFromTensors> {
  return recurrentNetFromTensors(model, (name) => {
    const t = session.tensors.get(`models/${model.id}/${name}`)
    if (!t) throw new Error(`model ${model.id}: tensor '${name}' is missing from the session`)
    return t
  })
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

export const recurrentService: ServiceFamily<typeof family> = {
  family,
  trainTask(ctx, request, field) {
    const spec = request.model
    if (!ctx.texts) throw new ApiError({ code: 'failed', message: 'models.train: this backend has no texts' })
    const { name, text } = ctx.texts.read(spec.text, `${field}.model.text`)
    const { vocab, tokens } = textTokens(name, text, spec.sequenceLength, `${field}.model.text`, `${field}.model.sequenceLength`)
    const input: RecurrentTrainInput = {
      modelId: randomUUID(),
      name: recurrentModelName(spec, name),
      spec,
      seed: request.seed,
      textName: name,
      vocab,
      tokens,
      provider: ctx.provider
    }
    return { kind: 'recurrent.train', input }
  },
  runTask(_ctx, session, model, run, field) {
    const input: RecurrentGenerateInput = { info: model, params: netOf(session, model).params, prompt: promptTokens(model, run, field), run }
    return { kind: 'recurrent.generate', input }
  },
  jobs: {
    'recurrent.train': async (input: RecurrentTrainInput, hooks) => {
      const out = await trainRecurrentJob(input, hooks)
      return { result: { kind: 'recurrent.train', model: out.info }, tensors: out.tensors }
    },
    'recurrent.generate': async (input: RecurrentGenerateInput) => ({ result: { kind: 'recurrent.generate', result: await generateRecurrentJob(input) } })
  },
  onTrained(state) {
    delete state.results['recurrent.generate']
  },
  export(_ctx, session, model, format) {
    const suffix = `recurrent-${model.id.slice(0, 8)}.${format}`
    return { suffix, bytes: recurrentExportBytes(netOf(session, model), recurrentExportMetadata(model), format, 'params.format') }
  }
}
