// Recurrent networks on the services side: a char-LM trained on a shipped corpus or an imported text (engine fast path,
// core fallback), generation from a prompt, export (ONNX with the standard LSTM/GRU/RNN ops; safetensors with
// PyTorch's names). The session keeps the vocabulary in the model entry and the weights under their PyTorch names.
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../../shared/api'
import { MAX_VOCAB, recurrentFamily as family, type RecurrentInfo } from '../../../shared/families/recurrent'
import { encodeRecurrentSafetensors } from '../../../core/recurrent'
import { exportRecurrentOnnx } from '../../../engine/recurrent-export'
import { ENGRAM_VERSION } from '../../version'
import { generateRecurrentJob, recurrentNetFromTensors, tokenize, trainRecurrentJob, type RecurrentGenerateInput, type RecurrentTrainInput } from '../recurrent'
import type { ServiceFamily, SessionData } from './types'

function netOf(session: SessionData, model: RecurrentInfo): ReturnType<typeof recurrentNetFromTensors> {
  return recurrentNetFromTensors(model, (name) => {
    const t = session.tensors.get(`models/${model.id}/${name}`)
    if (!t) throw new Error(`model ${model.id}: tensor '${name}' is missing from the session`)
    return t
  })
}

const CELL_LABEL = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' } as const

export const recurrentService: ServiceFamily<typeof family> = {
  family,
  trainTask(ctx, request, field) {
    const spec = request.model
    if (!ctx.texts) throw new ApiError({ code: 'failed', message: 'models.train: this backend has no texts' })
    const { name, text } = ctx.texts.read(spec.text, `${field}.model.text`)
    const { vocab, tokens } = tokenize(text)
    if (vocab.length > MAX_VOCAB) {
      throw new ApiError({ code: 'bad-request', field: `${field}.model.text`, message: `${field}.model.text: ${vocab.length} distinct characters, more than the ${MAX_VOCAB} a char-LM here takes` })
    }
    if (vocab.length < 2) throw new ApiError({ code: 'bad-request', field: `${field}.model.text`, message: `${field}.model.text: the text has a single distinct character; nothing to predict` })
    if (tokens.length < spec.sequenceLength + 2) {
      throw new ApiError({
        code: 'bad-request',
        field: `${field}.model.sequenceLength`,
        message: `${field}.model.sequenceLength: ${spec.sequenceLength} needs a text of at least ${spec.sequenceLength + 2} characters ('${name}' has ${tokens.length})`
      })
    }
    const cell = spec.cell === 'lstm' ? `LSTM${spec.peephole ? ' peephole' : ''}${spec.coupled ? ' coupled' : ''}` : CELL_LABEL[spec.cell]
    const input: RecurrentTrainInput = {
      modelId: randomUUID(),
      name: `char-${cell} ${spec.layers}×${spec.hiddenSize} · ${name}`,
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
    const index = new Map(model.vocab.map((c, i) => [c, i]))
    const chars = [...run.prompt]
    const unknown = chars.find((c) => !index.has(c))
    if (unknown !== undefined) {
      throw new ApiError({ code: 'bad-request', field: `${field}.prompt`, message: `${field}.prompt: '${unknown}' is not in the model's vocabulary (${model.vocab.length} characters of '${model.textName}')` })
    }
    if (run.topK > model.vocab.length) {
      throw new ApiError({ code: 'bad-request', field: `${field}.topK`, message: `${field}.topK: ${run.topK} is more than the vocabulary's ${model.vocab.length} characters (0 keeps all)` })
    }
    const input: RecurrentGenerateInput = { info: model, params: netOf(session, model).params, prompt: chars.map((c) => index.get(c)!), run }
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
    const net = netOf(session, model)
    const meta = { 'engram.version': ENGRAM_VERSION, vocab: JSON.stringify(model.vocab), text: model.textName, training: JSON.stringify({ ...model.spec, seed: model.seed }) }
    if (format === 'onnx') return { suffix: `recurrent-${model.id.slice(0, 8)}.onnx`, bytes: exportRecurrentOnnx(net, { metadata: meta }) }
    if (format === 'safetensors') return { suffix: `recurrent-${model.id.slice(0, 8)}.safetensors`, bytes: encodeRecurrentSafetensors(net, 'float32', meta) }
    throw new ApiError({ code: 'bad-request', field: 'params.format', message: `params.format: a recurrent network exports as onnx or safetensors, not ${format}` })
  }
}
