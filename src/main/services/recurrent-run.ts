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
import { generateRecurrentJob, promptTokens, recurrentModelName, recurrentNetFromTensors, textTokens, trainRecurrentJob } from './recurrent'
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
  const source = spec.model.text
  const field = 'path' in source ? 'spec.model.text.path' : 'spec.model.text'
  const { name, text } = 'path' in source ? readTextFile(resolve(ctx.specDir, source.path), field) : ctx.texts.read(source, field)
  const { vocab, tokens } = textTokens(name, text, spec.model.sequenceLength, field, 'spec.model.sequenceLength')
  const prompts = spec.generate.map((g, i) => promptTokens({ vocab, textName: name }, g, `spec.generate.${i}`))
  return { textName: name, vocab, tokens, prompts }
}

/** Trains the spec's char-LM and draws its samples; cancel (hooks.shouldCancel) keeps the steps done as a partial model. */
export async function runRecurrentSpec(spec: RecurrentRunSpec, ctx: RecurrentRunContext, hooks: ComputeHooks = {}): Promise<RecurrentRunResult> {
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
  const net = recurrentNetFromTensors(info, (name) => tensors[name]!)
  const samples = []
  for (const [i, run] of spec.generate.entries()) {
    const { modelId: _, ...sample } = await generateRecurrentJob({ info, params: net.params, prompt: prompts[i]!, run })
    samples.push(sample)
  }
  const last = info.history.at(-1)
  const engine = /^engine \((.+)\)$/.exec(info.provider)
  const { kind: _kind, spec: _spec, ...kept } = info
  return {
    kind: 'engram.recurrent-result',
    version: SPEC_VERSION,
    spec,
    createdAt: info.createdAt,
    engram: ENGRAM_VERSION,
    rng: RNG_ALGORITHM,
    compute: engine ? { path: 'engine', provider: engine[1]! } : { path: 'core', provider: 'core', ...(info.fallbackReason ? { fallbackReason: info.fallbackReason } : {}) },
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
    model: {
      kind: 'recurrent',
      // The weights only: Adam's moments (optim/…) serve a session's continuation, which a spec file cannot ask for.
      stateDict: Object.fromEntries(Object.entries(tensors).flatMap(([k, t]) => (k.startsWith('optim/') ? [] : [[k, tensorToJson(t)]]))),
      metadata: recurrentExportMetadata({ vocab, textName, spec: spec.model, seed: spec.seed })
    }
  }
}

/** The trained char-LM of a result file (float32 weights as stored, on the float64 core). */
export function recurrentNetFromResult(result: RecurrentRunResult, source = 'result'): RecurrentNet {
  const dict = result.model.stateDict
  return recurrentNetFromTensors({ spec: result.spec.model, vocab: result.recurrent.vocab }, (name) => {
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
