// Recurrent char-LM jobs: the text as tokens, training on the engine (buildRecurrentTrainStep + TrainStepRunner, K Adam
// steps per run, float32; the core RecurrentTrainer when the engine cannot run, with the reason kept), live loss,
// perplexity and samples, NaN/Inf stops naming the step and the tensor, cancel keeps the last good weights; generation
// on the core.
// Legend: N characters of text, V vocabulary, T window (sequence length), B batch, L layers, H hidden, E embedding size,
// K steps per engine run.
import type { NamedTensor } from '../../core/safetensors'
import { Rng } from '../../core/rng'
import {
  firstNonFinite,
  forward,
  generate,
  initRecurrentNet,
  NonFiniteError,
  paramShapes,
  RecurrentTrainer,
  recurrentStateDict,
  softmaxCrossEntropy,
  type Params,
  type RecurrentNet,
  type RecurrentSpec
} from '../../core/recurrent'
import { adam } from '../../engine/optim/optimiser'
import { buildRecurrentTrainStep, programParamName, type EngineCell } from '../../engine/programs/recurrent'
import { TrainStepRunner } from '../../engine/programs/train-step'
import { recurrentSamplers, RecurrentMonitor, runSampler, type SampledTokens, type SampleRun } from '../../engine/recurrent-samplers'
import { MAX_VOCAB, type RecurrentGenerateResult, type RecurrentInfo, type RecurrentModelSpec, type RecurrentPoint } from '../../shared/families/recurrent'
import { ApiError } from '../../shared/api'
import { CancelledError } from '../../shared/errors'
import { CHECKPOINT_MS, type ComputeHooks } from './hooks'

/** A text as a vocabulary (characters sorted by code point) and token ids. */
export function tokenize(text: string): { vocab: string[]; tokens: Int32Array } {
  const chars = [...text]
  const vocab = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!)
  const id = new Map(vocab.map((c, i) => [c, i]))
  return { vocab, tokens: Int32Array.from(chars, (c) => id.get(c)!) }
}

/** What training needs of a model spec: everything but the text, which the caller has read (the app's text, a spec file's). */
export type RecurrentTrainSpec = Omit<RecurrentModelSpec, 'text'>

/** The char-LM reads left to right: a bidirectional spec is refused, naming the field (it is for sequence tasks). */
export function refuseBidirectionalLm(spec: { bidirectional?: boolean | undefined }, field: string): void {
  if (spec.bidirectional) throw new ApiError({ code: 'bad-request', field, message: `${field}: a language model reads left to right; bidirectional layers are for sequence tasks (model.task)` })
}

/**
 * A text's vocabulary and tokens, refused before any training (naming `textField`) when it has more distinct
 * characters than MAX_VOCAB or a single one, and (naming `lengthField`) when it is too short for the BPTT window.
 */
export function textTokens(name: string, text: string, sequenceLength: number, textField: string, lengthField: string): { vocab: string[]; tokens: Int32Array } {
  const { vocab, tokens } = tokenize(text)
  if (vocab.length > MAX_VOCAB) {
    throw new ApiError({ code: 'bad-request', field: textField, message: `${textField}: ${vocab.length} distinct characters, more than the ${MAX_VOCAB} a char-LM here takes` })
  }
  if (vocab.length < 2) throw new ApiError({ code: 'bad-request', field: textField, message: `${textField}: the text has a single distinct character; nothing to predict` })
  if (tokens.length < sequenceLength + 2) {
    throw new ApiError({
      code: 'bad-request',
      field: lengthField,
      message: `${lengthField}: ${sequenceLength} needs a text of at least ${sequenceLength + 2} characters ('${name}' has ${tokens.length})`
    })
  }
  return { vocab, tokens }
}

/** A generation request's prompt as token ids, refused naming `field`.prompt (a character outside the vocabulary) or `field`.topK. */
export function promptTokens(model: Pick<RecurrentInfo, 'vocab' | 'textName'>, run: { prompt: string; topK: number }, field: string): number[] {
  const index = new Map(model.vocab.map((c, i) => [c, i]))
  const chars = [...run.prompt]
  const unknown = chars.find((c) => !index.has(c))
  if (unknown !== undefined) {
    throw new ApiError({ code: 'bad-request', field: `${field}.prompt`, message: `${field}.prompt: '${unknown}' is not in the model's vocabulary (${model.vocab.length} characters of '${model.textName}')` })
  }
  if (run.topK > model.vocab.length) {
    throw new ApiError({ code: 'bad-request', field: `${field}.topK`, message: `${field}.topK: ${run.topK} is more than the vocabulary's ${model.vocab.length} characters (0 keeps all)` })
  }
  return chars.map((c) => index.get(c)!)
}

const CELL_LABEL = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' } as const

/** A trained model's display name: 'char-LSTM 1×64 · <text>'. */
export function recurrentModelName(spec: RecurrentTrainSpec, textName: string): string {
  const cell = spec.cell === 'lstm' ? `LSTM${spec.peephole ? ' peephole' : ''}${spec.coupled ? ' coupled' : ''}` : CELL_LABEL[spec.cell]
  return `char-${cell} ${spec.layers}×${spec.hiddenSize} · ${textName}`
}

/** The core spec of a char-LM: token input through an embedding, a softmax head over the vocabulary on every step. */
export function recurrentCoreSpec(spec: RecurrentTrainSpec, vocab: number): RecurrentSpec {
  return {
    cell: spec.cell,
    ...(spec.cell === 'rnn' ? { nonlinearity: spec.nonlinearity } : {}),
    ...(spec.cell === 'lstm' && spec.peephole ? { peephole: true } : {}),
    ...(spec.cell === 'lstm' && spec.coupled ? { coupled: true } : {}),
    ...(spec.cell === 'gru' ? { gruForm: spec.gruForm } : {}),
    inputSize: spec.embeddingSize,
    hiddenSize: spec.hiddenSize,
    numLayers: spec.layers,
    bidirectional: false,
    dropout: spec.layers > 1 ? spec.dropout : 0,
    vocabSize: vocab,
    head: { outputSize: vocab, loss: 'softmax-ce', on: 'all' }
  }
}

/**
 * After an engine run of K steps that began at step `done`: why training must stop (a non-finite loss, or a non-finite
 * weight, naming the step and the tensor), or null. `next` holds the run's weights under their program names.
 */
export function engineNonFinite(losses: readonly number[], next: Record<string, ArrayLike<number>>, names: readonly string[], done: number, K: number): string | null {
  const bad = losses.findIndex((l) => !Number.isFinite(l))
  if (bad >= 0) return `non-finite loss (${losses[bad]}) at step ${done + bad + 1}; weights kept from step ${done}`
  for (const name of names) {
    const a = next[programParamName(name)]!
    const i = firstNonFinite(a)
    if (i >= 0) return `non-finite ${name} (${a[i]}) after step ${done + K}; weights kept from step ${done}`
  }
  return null
}

export function engineCell(spec: Pick<RecurrentTrainSpec, 'cell' | 'nonlinearity' | 'gruForm'>): EngineCell {
  if (spec.cell === 'rnn') return spec.nonlinearity === 'relu' ? 'rnn-relu' : 'rnn-tanh'
  if (spec.cell === 'gru') return spec.gruForm === 'original' ? 'gru-original' : 'gru'
  return 'lstm'
}

/** The net a session keeps: the spec rebuilt from the model entry, the weights from its tensors (PyTorch names). */
export function recurrentNetFromTensors(info: { spec: RecurrentTrainSpec; vocab: readonly string[] }, tensor: (name: string) => NamedTensor): RecurrentNet {
  const spec = recurrentCoreSpec(info.spec, info.vocab.length)
  const params: Params = {}
  for (const name of paramShapes(spec).keys()) params[name] = Float64Array.from(tensor(name).data as ArrayLike<number>)
  return { spec, params }
}

/** One window per row: inputs tokens[s..s+T), targets tokens[s+1..s+T], time-major [T, B]. */
function windows(tokens: Int32Array, T: number, starts: readonly number[]): { x: Int32Array; y: Int32Array } {
  const B = starts.length
  const x = new Int32Array(T * B)
  const y = new Int32Array(T * B)
  starts.forEach((s, b) => {
    for (let t = 0; t < T; t++) {
      x[t * B + b] = tokens[s + t]!
      y[t * B + b] = tokens[s + t + 1]!
    }
  })
  return { x, y }
}

/** The evaluation windows: B windows spread evenly over the text (the first starts at 0, the last ends at the text's end). */
export function recurrentEvalWindows(tokens: Int32Array, T: number, B: number): { x: Int32Array; y: Int32Array } {
  const last = tokens.length - T - 1
  return windows(tokens, T, Array.from({ length: B }, (_, b) => (B === 1 ? 0 : Math.round((b * last) / (B - 1)))))
}

/** Mean cross-entropy per character (nats) of the net on the evaluation windows, on the float64 core. */
export function recurrentEvalLoss(net: RecurrentNet, tokens: Int32Array, T: number, B: number): number {
  const { x, y } = recurrentEvalWindows(tokens, T, B)
  const fwd = forward(net, { steps: T, batch: B, tokens: x })
  return softmaxCrossEntropy(fwd.logits!, y, net.spec.vocabSize!).loss
}

/** Steps per engine run: the largest divisor of the steps that keeps about 40 reports (at most 25). */
export function stepsPerRun(steps: number): number {
  const target = Math.min(25, Math.max(1, Math.ceil(steps / 40)))
  for (let k = target; k > 1; k--) if (steps % k === 0) return k
  return 1
}

export interface RecurrentTrainInput<S extends RecurrentTrainSpec = RecurrentModelSpec> {
  modelId: string
  name: string
  spec: S
  seed: number
  textName: string
  vocab: string[]
  tokens: Int32Array
  provider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml'
  /** Engine intra-op threads (a spec file's engine.threads); 0 or absent: the engine's default. */
  threads?: number
  /** Continue this model (spec.continueFrom) instead of starting from a fresh init. */
  resume?: RecurrentResume
}

/** Where a continued training starts: the model's weights, Adam moments (by `name.slot`; null: restart them), steps and curve. */
export interface RecurrentResume {
  id: string
  name: string
  params: Params
  moments: Record<string, Float64Array> | null
  stepsTaken: number
  history: RecurrentPoint[]
}

const ADAM_SLOTS = ['exp_avg', 'exp_avg_sq'] as const

/** A trained model's entry; its spec is the one trained (the app's, or a spec file's with its own text field). */
export type TrainedRecurrentInfo<S extends RecurrentTrainSpec = RecurrentModelSpec> = Omit<RecurrentInfo, 'spec'> & { spec: S }

const SAMPLE_LENGTH = 160
const SAMPLE_TEMPERATURE = 0.8

/**
 * Forward FLOPs of an evaluation from which a training job evaluates and samples on the engine (float32, one session each
 * for the job: RecurrentMonitor) rather than on the float64 core: about 20 ms of the core's time.
 */
export const ENGINE_MONITOR_MIN_FLOP = 2e7

/** Forward FLOPs of the evaluation windows (T·B steps through every layer and the head). */
export function evalFlop(spec: RecurrentSpec, T: number, B: number): number {
  const G = spec.cell === 'lstm' ? (spec.coupled ? 3 : 4) : spec.cell === 'gru' ? 3 : 1
  const H = spec.hiddenSize
  let f = 0
  for (let k = 0; k < spec.numLayers; k++) f += G * H * ((k === 0 ? spec.inputSize : H) + H)
  return 2 * T * B * (f + H * (spec.head?.outputSize ?? 0))
}

/** A training sample: SAMPLE_LENGTH characters after `first` at SAMPLE_TEMPERATURE (the run for the engine's sampler). */
const sampleRun = (seed: number): SampleRun => ({ length: SAMPLE_LENGTH, temperature: SAMPLE_TEMPERATURE, topK: 0, seed })

/** The sample's text: the first character and the drawn ones. */
const sampleText = (vocab: string[], first: number, g: SampledTokens): string => vocab[first]! + g.tokens.map((t) => vocab[t]).join('')

/** A copy of the params with every value rounded to float32 (what the engine holds and the session stores). */
const asF32 = (p: Params): Params => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v, Math.fround)]))

/**
 * Trains a char-LM. Same input → same numbers: the init, the windows and the dropout masks all come from the seed.
 * Cancel (between engine runs) keeps the weights of the last finished run; a NaN/Inf keeps the last good ones and names
 * the step and the tensor in stopReason.
 */
export async function trainRecurrentJob<S extends RecurrentTrainSpec>(
  input: RecurrentTrainInput<S>,
  hooks: ComputeHooks
): Promise<{ info: TrainedRecurrentInfo<S>; tensors: Record<string, NamedTensor> }> {
  const { spec, tokens, vocab } = input
  const V = vocab.length
  const T = spec.sequenceLength
  const B = spec.batch
  const L = spec.layers
  const H = spec.hiddenSize
  const coreSpec = recurrentCoreSpec(spec, V)
  const resume = input.resume
  let net = initRecurrentNet(coreSpec, new Rng(input.seed))
  net.params = asF32(resume ? resume.params : net.params)
  const data = new Rng(input.seed).fork(1)
  // A continued training: the steps already taken count in Adam's bias correction (unless its moments restart).
  const before = resume?.stepsTaken ?? 0
  const optimiserSteps = resume?.moments ? before : 0
  const p = coreSpec.dropout
  const drawBatch = (): { x: Int32Array; y: Int32Array; masks: Float64Array[] | null } => {
    const starts = Array.from({ length: B }, () => data.int(tokens.length - T))
    const w = windows(tokens, T, starts)
    const masks = p > 0 ? Array.from({ length: L - 1 }, () => Float64Array.from({ length: T * B * H }, () => (data.next() < p ? 0 : Math.fround(1 / (1 - p))))) : null
    return { ...w, masks }
  }
  // The windows the model already trained on are drawn again and skipped: a continuation sees the very windows one longer run would.
  for (let s = 0; s < before; s++) drawBatch()

  const K = stepsPerRun(spec.steps)
  let runner: TrainStepRunner | null = null
  let fallbackReason: string | null = null
  try {
    const program = buildRecurrentTrainStep({
      cell: engineCell(spec),
      ...(coreSpec.peephole ? { peephole: true } : {}),
      ...(coreSpec.coupled ? { coupled: true } : {}),
      steps: T,
      batch: B,
      inputSize: spec.embeddingSize,
      hiddenSize: H,
      numLayers: L,
      bidirectional: false,
      outputSize: V,
      vocabSize: V,
      ...(p > 0 ? { dropoutMask: true } : {}),
      optimiser: adam(spec.clipNorm > 0 ? { maxGradNorm: spec.clipNorm } : {}),
      ...(K > 1 ? { stepsPerRun: K } : {}),
      dtype: 'float32'
    })
    const init = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [programParamName(k), v]))
    const state = resume?.moments ? Object.fromEntries(Object.entries(resume.moments).map(([k, v]) => [`${programParamName(k.slice(0, k.lastIndexOf('.')))}${k.slice(k.lastIndexOf('.'))}`, v])) : undefined
    runner = await TrainStepRunner.create(program, { params: init, ...(state ? { state, stepsTaken: optimiserSteps } : {}) }, { provider: input.provider, ...(input.threads ? { threads: input.threads } : {}) })
  } catch (error) {
    fallbackReason = `engine unavailable: ${error instanceof Error ? error.message : String(error)}`
  }
  const optimiser = { kind: 'adam' as const, learningRate: spec.learningRate, clipNorm: spec.clipNorm }
  const split = (m: Record<string, Float64Array>, slot: string) => Object.fromEntries(Object.keys(net.params).map((k) => [k, m[`${k}.${slot}`]!]))
  const trainer = runner
    ? null
    : resume?.moments
      ? RecurrentTrainer.restore(coreSpec, { step: optimiserSteps, params: net.params, moments: { exp_avg: split(resume.moments, 'exp_avg'), exp_avg_sq: split(resume.moments, 'exp_avg_sq') } }, optimiser)
      : new RecurrentTrainer(net, optimiser)
  // The core trainer restored from a state holds its own copy of the net: that copy is the one it trains.
  if (trainer) net = trainer.net
  const provider = runner ? `engine (${runner.provider})` : 'core'
  // Evaluation and samples: on the engine for a large model (the core's float64 took seconds at H 512), else the core.
  let monitor = runner && evalFlop(coreSpec, T, B) >= ENGINE_MONITOR_MIN_FLOP ? new RecurrentMonitor(net, { provider: input.provider, ...(input.threads ? { threads: input.threads } : {}) }) : null
  const onCore = async <R>(engine: (m: RecurrentMonitor) => Promise<R>, core: () => R): Promise<R> => {
    if (monitor) {
      try {
        return await engine(monitor)
      } catch {
        // The engine could not evaluate: the core does, for the rest of the job.
        await monitor.release()
        monitor = null
      }
    }
    return core()
  }
  const evalLoss = () => {
    const { x, y } = recurrentEvalWindows(tokens, T, B)
    return onCore((m) => m.loss(net, x, y, T, B), () => recurrentEvalLoss(net, tokens, T, B))
  }
  const first = tokens[0]!
  const sampleNow = async () =>
    sampleText(vocab, first, await onCore((m) => m.sample(net, [first], sampleRun(input.seed)), () => generate(net, [first], SAMPLE_LENGTH, { temperature: SAMPLE_TEMPERATURE }, new Rng(input.seed))))

  const history: RecurrentPoint[] = []
  let done = 0
  let partial = false
  let stopReason: string | null = null
  let sample = ''
  let optimTensors: Record<string, NamedTensor> = {}
  const sampleEvery = Math.max(1, Math.round(spec.steps / K / 6))
  /** The model as it stands: what the job returns, and each checkpoint (partial) on the way. */
  const snapshot = (isPartial: boolean, optim: Record<string, NamedTensor>, evalLossNow: number): { info: TrainedRecurrentInfo<S>; tensors: Record<string, NamedTensor> } => {
    const info: TrainedRecurrentInfo<S> = {
      kind: 'recurrent',
      id: input.modelId,
      name: input.name,
      spec,
      seed: input.seed,
      textName: input.textName,
      textChars: tokens.length,
      vocab,
      stepsDone: before + done,
      history: [...(resume?.history ?? []), ...history],
      evalLoss: evalLossNow,
      provider,
      fallbackReason,
      partial: isPartial,
      stopReason,
      sample,
      ...(resume ? { continuedFrom: { id: resume.id, name: resume.name, steps: before, adamRestarted: !resume.moments } } : {}),
      createdAt: new Date().toISOString()
    }
    return { info, tensors: { ...recurrentStateDict(net, 'float32'), ...optim } }
  }
  let lastCheckpoint = performance.now()
  const zeros = new Float32Array(K * L * B * H)
  try {
    for (let chunk = 0; done < spec.steps; chunk++) {
      // A turn of the event loop between engine runs, so a worker reads a cancel before the next run, not several later.
      if (hooks.shouldCancel && chunk > 0) await new Promise((resolve) => setImmediate(resolve))
      if (hooks.shouldCancel?.()) {
        partial = true
        break
      }
      const batches = Array.from({ length: K }, drawBatch)
      let losses: number[]
      if (runner) {
        const r = await runner.run(
          {
            tokens: BigInt64Array.from(batches.flatMap((b) => Array.from(b.x, (v) => BigInt(v)))),
            h0: zeros,
            ...(spec.cell === 'lstm' ? { c0: zeros } : {}),
            ...(p > 0 ? { dropout_mask: Float32Array.from(batches.flatMap((b) => b.masks!.flatMap((m) => Array.from(m)))) } : {}),
            targets: BigInt64Array.from(batches.flatMap((b) => Array.from(b.y, (v) => BigInt(v))))
          },
          spec.learningRate
        )
        losses = r.loss
        const next = runner.getParams()
        stopReason = engineNonFinite(losses, next, Object.keys(net.params), done, K)
        if (stopReason) {
          partial = true
          break
        }
        for (const name of Object.keys(net.params)) net.params[name] = Float64Array.from(next[programParamName(name)]!)
      } else {
        losses = []
        try {
          for (const b of batches) losses.push(trainer!.step({ steps: T, batch: B, tokens: b.x }, { classes: b.y }, b.masks ? { train: true, dropoutMasks: b.masks } : {}).loss)
        } catch (error) {
          if (!(error instanceof NonFiniteError)) throw error
          stopReason = `${error.message}; weights kept from step ${trainer!.stepCount}`
          done = trainer!.stepCount - optimiserSteps
          partial = true
          break
        }
      }
      done += K
      const loss = losses.reduce((a, b) => a + b, 0) / losses.length
      const point = { step: before + done, loss, perplexity: Math.exp(loss) }
      history.push(point)
      const withSample = chunk % sampleEvery === sampleEvery - 1 || done >= spec.steps
      if (withSample) sample = await sampleNow()
      hooks.onProgress?.(done / spec.steps, done, spec.steps, `step ${before + done}/${before + spec.steps} · loss ${loss.toFixed(3)} · perplexity ${point.perplexity.toFixed(2)}`, point, withSample ? sample : undefined)
      // A checkpoint with each sample (about 6 a run) and at least every CHECKPOINT_MS: what a cancel now would keep, Adam's moments included.
      if (hooks.onCheckpoint && done < spec.steps && (withSample || performance.now() - lastCheckpoint >= CHECKPOINT_MS)) {
        lastCheckpoint = performance.now()
        const cp = snapshot(true, adamTensors(runner ? runner.stateDict() : null, trainer?.getState() ?? null, paramShapes(coreSpec)), await evalLoss())
        hooks.onCheckpoint(cp.info as unknown as RecurrentInfo, cp.tensors)
      }
    }
    // Adam's moments go with the weights so the model can be continued exactly (not after a non-finite stop: they moved on).
    if (!stopReason) optimTensors = adamTensors(runner ? runner.stateDict() : null, trainer?.getState() ?? null, paramShapes(coreSpec))
    if (!(done === 0 && partial && !stopReason)) {
      if (!sample) sample = await sampleNow()
      return snapshot(partial, optimTensors, await evalLoss())
    }
  } finally {
    await runner?.release()
    await monitor?.release()
  }
  throw new CancelledError()
}

/** Adam's moments as session tensors `optim/<name>.exp_avg` / `.exp_avg_sq` (float32), from the engine or the core. */
function adamTensors(engine: ReturnType<TrainStepRunner['stateDict']> | null, core: ReturnType<RecurrentTrainer['getState']> | null, shapes: Map<string, number[]>): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {}
  for (const [name, shape] of shapes) {
    for (const slot of ADAM_SLOTS) {
      const data = engine ? engine[`${programParamName(name)}.${slot}`]?.data : core?.moments?.[slot][name]
      if (!data) return {} // no step taken yet (or no Adam): nothing to continue from
      out[`optim/${name}.${slot}`] = { dtype: 'float32', shape: [...shape], data: Float32Array.from(data) }
    }
  }
  return out
}

export interface RecurrentGenerateInput {
  info: Pick<RecurrentInfo, 'id' | 'vocab'> & { spec: RecurrentTrainSpec }
  params: Params
  prompt: number[]
  run: { prompt: string; length: number; temperature: number; topK: number; seed: number }
}

/**
 * A sample and the argmax line from a prompt: in-graph (one run() for the whole sample, float32 weights as stored), or
 * on the float64 core when the engine fails (computedBy says which, with the reason).
 */
export async function generateRecurrentJob(input: RecurrentGenerateInput): Promise<RecurrentGenerateResult> {
  const { info, run } = input
  const net: RecurrentNet = { spec: recurrentCoreSpec(info.spec, info.vocab.length), params: input.params }
  let g: { tokens: number[]; argmax: number[] }
  let computedBy = 'engine (in-graph sampler, one run)'
  try {
    // The model's sampler session is kept (recurrentSamplers): a second generation from these weights is one run().
    const { session } = await recurrentSamplers.get(info.id, net, { provider: 'cpu' })
    g = await runSampler(session, net, input.prompt, run)
  } catch (error) {
    g = generate(net, input.prompt, run.length, { temperature: run.temperature, topK: run.topK }, new Rng(run.seed))
    computedBy = `core (engine failed: ${error instanceof Error ? error.message : String(error)})`
  }
  const text = (ids: number[]): string => ids.map((t) => info.vocab[t]).join('')
  return { modelId: info.id, prompt: run.prompt, sample: text(g.tokens), argmax: text(g.argmax), temperature: run.temperature, topK: run.topK, seed: run.seed, computedBy }
}
