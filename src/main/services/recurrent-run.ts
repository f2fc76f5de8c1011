// Recurrent char-LM training from a spec file (`engram run`): read and check the text and the prompts (errors name the
// spec field, before any training), train with the app's job (trainRecurrentJob: engine, core fallback), draw the
// spec's samples with the app's generation job, and write a self-contained result (history, samples, the weights);
// export such a result as ONNX or safetensors.
import { resolve } from 'node:path'
import { tensorToJson } from '../../core/tensor-json'
import type { RecurrentNet } from '../../core/recurrent'
import { RNG_ALGORITHM } from '../../core/rng'
import type { ExportFormat } from '../../shared/family'
import type { RecurrentRunResult, RecurrentRunSpec } from '../../shared/recurrent-run'
import { SPEC_VERSION } from '../../shared/spec'
import { ENGRAM_VERSION } from '../version'
import { resultTensor, SpecError } from './spec-file'
import { recurrentExportBytes, recurrentExportMetadata } from './families/recurrent'
import type { ComputeHooks } from './hooks'
import { generateRecurrentJob, promptTokens, recurrentModelName, refuseBidirectionalLm, refuseForeignVariant, textTokens, trainRecurrentJob } from './recurrent'
import { predictInput, predictRecurrentTask, prepareRecurrentTask, recurrentModelNet, taskModelName, trainRecurrentTaskJob, type CsvReader } from './recurrent-task'
import type { NamedTensor } from '../../core/safetensors'
import type { RecurrentInfo, RecurrentTask } from '../../shared/families/recurrent'
import { readTextFile, type TextCatalog } from './texts'

export interface RecurrentRunContext {
  /** The spec file's directory: a `model.text.path` is relative to it. */
  specDir: string
  /** The shipped corpora and the imported texts (under --data-dir). */
  texts: TextCatalog
}

/** What a spec trains on, checked: the text as tokens and each sample's prompt as token ids. */
interface PreparedRecurrentSpec {
  textName: string
  vocab: string[]
  tokens: Int32Array
  prompts: number[][]
}

/**
 * Reads the spec's text and checks it and the prompts as the app does (size, UTF-8, vocabulary bounds, the BPTT
 * window, prompt characters, top-k): every error names the spec field (spec.model.text.path, spec.generate.0.prompt…).
 */
function prepareRecurrentSpec(spec: RecurrentRunSpec, ctx: RecurrentRunContext): PreparedRecurrentSpec {
  refuseBidirectionalLm(spec.model, 'spec.model.bidirectional')
  const source = spec.model.text
  const field = 'path' in source ? 'spec.model.text.path' : 'spec.model.text'
  const { name, text } = 'path' in source ? readTextFile(resolve(ctx.specDir, source.path), field) : ctx.texts.read(source, field)
  const { vocab, tokens } = textTokens(name, text, spec.model.sequenceLength, field, 'spec.model.sequenceLength', spec.model.stateful ? { batch: spec.model.batch, field: 'spec.model.stateful' } : undefined)
  const prompts = spec.generate.map((g, i) => promptTokens({ vocab, textName: name }, g, `spec.generate.${i}`))
  return { textName: name, vocab, tokens, prompts }
}

/** A task's CSV for a spec: a file beside it (`path`) or an imported text (`file`); errors name the spec field. */
function specCsv(ctx: RecurrentRunContext): CsvReader {
  return (source, field) => (source.path !== undefined ? readTextFile(resolve(ctx.specDir, source.path), `${field}.path`) : ctx.texts.read({ file: source.file! }, field))
}

/** The result file's head: spec, versions, compute path. */
function resultHead(spec: RecurrentRunSpec, info: { createdAt: string; provider: string; fallbackReason: string | null }) {
  const engine = /^engine \((.+)\)$/.exec(info.provider)
  return {
    kind: 'engram.recurrent-result' as const,
    version: SPEC_VERSION as typeof SPEC_VERSION,
    spec,
    createdAt: info.createdAt,
    engram: ENGRAM_VERSION,
    rng: RNG_ALGORITHM,
    compute: engine ? { path: 'engine' as const, provider: engine[1]! } : { path: 'core' as const, provider: 'core', ...(info.fallbackReason ? { fallbackReason: info.fallbackReason } : {}) }
  }
}

/** The weights only: Adam's moments (optim/…) serve a session's continuation, which a spec file cannot ask for. */
const weightsOnly = (tensors: Record<string, NamedTensor>) => Object.fromEntries(Object.entries(tensors).flatMap(([k, t]) => (k.startsWith('optim/') ? [] : [[k, tensorToJson(t)]])))

/** A task spec (model.task): checks its data and its predict inputs (naming the field), trains, runs the inputs. */
async function runRecurrentTaskSpec(spec: RecurrentRunSpec & { model: { task: RecurrentTask } }, ctx: RecurrentRunContext, hooks: ComputeHooks): Promise<RecurrentRunResult> {
  const taskSpec = spec.model
  let csv: { name: string; text: string } | undefined
  const read = specCsv(ctx)
  const data = prepareRecurrentTask(taskSpec, spec.seed, (source, field) => (csv = read(source, field)), 'spec')
  const probe = { id: spec.name, vocab: data.vocab, spec: taskSpec, taskResult: probeResult(data) }
  spec.predict.forEach((input, i) => predictInput(probe, input, `spec.predict.${i}`))
  const started = performance.now()
  const { info, tensors } = await trainRecurrentTaskJob(
    { modelId: spec.name, name: taskModelName(taskSpec, data), spec: taskSpec, seed: spec.seed, ...(csv ? { csv } : {}), provider: spec.engine.provider, threads: spec.engine.threads },
    hooks
  )
  const seconds = (performance.now() - started) / 1000
  const net = recurrentModelNet(info, (name) => tensors[name]!)
  const predictions = spec.predict.map((input, i) => {
    const { modelId: _, ...p } = predictRecurrentTask(info, net, input, `spec.predict.${i}`)
    return p
  })
  const last = info.history.at(-1)
  const { kind: _kind, spec: _spec, ...kept } = info
  const ce = info.taskResult?.kind === 'classify'
  return {
    ...resultHead(spec, info),
    metrics: { steps: info.stepsDone, seconds, loss: last?.loss ?? null, perplexity: last?.perplexity ?? null, evalLoss: info.evalLoss, evalPerplexity: ce ? Math.exp(info.evalLoss) : null },
    recurrent: kept,
    samples: [],
    predictions,
    model: { kind: 'recurrent', stateDict: weightsOnly(tensors), metadata: recurrentExportMetadata({ ...info, spec: taskSpec }) }
  }
}

/** What predictInput needs of a result before training: a forecast's normalisation (the one training will use). */
function probeResult(data: ReturnType<typeof prepareRecurrentTask>): RecurrentInfo['taskResult'] {
  if (!data.forecast) return undefined
  return { kind: 'forecast', window: 0, horizon: 0, normalisation: data.forecast.norm, points: 0, trainEnd: 0, trainWindows: 0, validationWindows: 0, rmse: 0, mae: 0, persistence: { rmse: 0, mae: 0 }, times: [], truth: [], forecast: [], lastWindow: [] }
}

/** Trains the spec's char-LM and draws its samples (or a task model and its predictions); cancel (hooks.shouldCancel) keeps the steps done as a partial model. */
export async function runRecurrentSpec(spec: RecurrentRunSpec, ctx: RecurrentRunContext, hooks: ComputeHooks = {}): Promise<RecurrentRunResult> {
  refuseForeignVariant(spec.model, 'spec.model')
  const task = spec.model.task
  if (task) return runRecurrentTaskSpec({ ...spec, model: { ...spec.model, task } }, ctx, hooks)
  const { textName, vocab, tokens, prompts } = prepareRecurrentSpec(spec, ctx)
  const started = performance.now()
  const { info, tensors } = await trainRecurrentJob(
    {
      modelId: spec.name,
      name: recurrentModelName(spec.model, textName),
      spec: spec.model,
      seed: spec.seed,
      textName,
      vocab,
      tokens,
      provider: spec.engine.provider,
      threads: spec.engine.threads
    },
    hooks
  )
  const seconds = (performance.now() - started) / 1000
  const net = recurrentModelNet(info, (name) => tensors[name]!)
  const samples = []
  for (const [i, run] of spec.generate.entries()) {
    const { modelId: _, ...sample } = await generateRecurrentJob({ info, params: net.params, prompt: prompts[i]!, run })
    samples.push(sample)
  }
  const last = info.history.at(-1)
  const { kind: _kind, spec: _spec, ...kept } = info
  return {
    ...resultHead(spec, info),
    metrics: {
      steps: info.stepsDone,
      seconds,
      loss: last?.loss ?? null,
      perplexity: last?.perplexity ?? null,
      evalLoss: info.evalLoss,
      evalPerplexity: Math.exp(info.evalLoss)
    },
    recurrent: kept,
    samples,
    predictions: [],
    model: {
      kind: 'recurrent',
      stateDict: weightsOnly(tensors),
      metadata: recurrentExportMetadata({ vocab, textName, spec: spec.model, seed: spec.seed })
    }
  }
}

/** The trained char-LM or task model of a result file (float32 weights as stored, on the float64 core). */
export function recurrentNetFromResult(result: RecurrentRunResult, source = 'result'): RecurrentNet {
  const dict = result.model.stateDict
  return recurrentModelNet({ spec: result.spec.model, vocab: result.recurrent.vocab, taskResult: result.recurrent.taskResult }, (name) => {
    const t = dict[name]
    if (!t) throw new SpecError(`${source}: model.stateDict: tensor '${name}' is missing`)
    return resultTensor(source, `model.stateDict.${name}`, t)
  })
}

/** ONNX (tokens → logits, the standard LSTM/GRU/RNN operators) or safetensors (PyTorch's names) bytes of a result's model. */
export function exportRecurrentResult(result: RecurrentRunResult, format: ExportFormat, source = 'result'): { bytes: Uint8Array; net: RecurrentNet } {
  const net = recurrentNetFromResult(result, source)
  return { bytes: recurrentExportBytes(net, { ...result.model.metadata, 'engram.source': 'result file' }, format, '--format'), net }
}
