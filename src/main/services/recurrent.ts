// Recurrent char-LM jobs: the text as tokens, training on the engine (buildRecurrentTrainStep + TrainStepRunner, K Adam
// steps per run, float32; the core RecurrentTrainer when the engine cannot run, with the reason kept), live loss,
// perplexity and samples, NaN/Inf stops naming the step and the tensor, cancel keeps the last good weights; generation
// on the core.
// Legend: N characters of text, V vocabulary, T window (sequence length), B batch, L layers, H hidden, E embedding size,
// K steps per engine run.
import type { NamedTensor } from '../../core/safetensors'
import { Rng } from '../../core/rng'
import { forward, generate, initRecurrentNet, paramShapes, recurrentStateDict, softmaxCrossEntropy, type Params, type RecurrentNet, type RecurrentSpec } from '../../core/recurrent'
import { recurrentSamplers, RecurrentMonitor, runSampler, type SampledTokens, type SampleRun } from '../../engine/recurrent-samplers'
import { foreignCellVariant, MAX_VOCAB, type RecurrentGenerateResult, type RecurrentInfo, type RecurrentModelSpec, type RecurrentPoint } from '../../shared/families/recurrent'
import { ApiError } from '../../shared/api'
import { CancelledError } from '../../shared/errors'
import { CHECKPOINT_MS, type ComputeHooks } from './hooks'
import { carryTensors, RecurrentStepper, type StepBatch } from './recurrent-steps'

/** A text as a vocabulary (characters sorted by code point) and token ids. */
export function tokenize(text: string): { vocab: string[]; tokens: Int32Array } {
  const chars = [...text]
  const vocab = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!)
  const id = new Map(vocab.map((c, i) => [c, i]))
  return { vocab, tokens: Int32Array.from(chars, (c) => id.get(c)!) }
}

/** What training needs of a model spec: everything but the text, which the caller has read (the app's text, a spec file's). */
export type RecurrentTrainSpec = Omit<RecurrentModelSpec, 'text'>

/** Refuses another cell's setting (`peephole` on a GRU…), naming `<at>.<key>`, before any work. */
export function refuseForeignVariant(spec: Parameters<typeof foreignCellVariant>[0], at: string): void {
  const v = foreignCellVariant(spec)
  if (v) throw new ApiError({ code: 'bad-request', field: `${at}.${v.key}`, message: `${at}.${v.key}: ${v.message}` })
}

/** The char-LM reads left to right: a bidirectional spec is refused, naming the field (it is for sequence tasks). */
export function refuseBidirectionalLm(spec: { bidirectional?: boolean | undefined }, field: string): void {
  if (spec.bidirectional) throw new ApiError({ code: 'bad-request', field, message: `${field}: a language model reads left to right; bidirectional layers are for sequence tasks (model.task)` })
}

/**
 * A text's vocabulary and tokens, refused before any training (naming `textField`) when it has more distinct
 * characters than MAX_VOCAB or a single one, and (naming `lengthField`) when it is too short for the BPTT window.
 */
export function textTokens(
  name: string,
  text: string,
  sequenceLength: number,
  textField: string,
  lengthField: string,
  stateful?: { batch: number; field: string }
): { vocab: string[]; tokens: Int32Array } {
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
  if (stateful) statefulWindows(tokens.length - 1, sequenceLength, stateful.batch, `'${name}' (${tokens.length} characters)`, stateful.field)
  return { vocab, tokens }
}

/**
 * Stateful truncated BPTT over `n` consecutive steps (a text's n = N − 1 character pairs, a series' training windows):
 * B parallel streams of ⌊n/B⌋ steps, each cut into windows of T; a pass over the data is W = ⌊⌊n/B⌋/T⌋ windows per
 * stream. Refused naming `field` when a stream holds fewer than two windows (no state to carry).
 */
export function statefulWindows(n: number, T: number, B: number, what: string, field: string): { stream: number; windows: number } {
  const stream = Math.floor(n / B)
  const windows = Math.floor(stream / T)
  if (windows < 2) {
    throw new ApiError({
      code: 'bad-request',
      field,
      message: `${field}: ${what} in ${B} streams (the batch) leaves ${stream} steps per stream, ${windows} window${windows === 1 ? '' : 's'} of ${T}; stateful training carries the state between consecutive windows and needs at least 2 (a smaller batch or sequenceLength)`
    })
  }
  return { stream, windows }
}

/** Stateful training reads one long sequence forward: bidirectional layers are refused, naming the field. */
export function refuseStatefulBidirectional(spec: { bidirectional?: boolean | undefined; stateful?: boolean | undefined }, field: string): void {
  if (spec.stateful && spec.bidirectional) {
    throw new ApiError({ code: 'bad-request', field, message: `${field}: stateful training carries the state forward from window to window; bidirectional layers also read each window backwards, so the two do not combine` })
  }
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

/** The cell and its variant (nonlinearity, peephole, coupled gates, GRU form) as the core spec names them. */
export function coreCell(spec: RecurrentTrainSpec): Pick<RecurrentSpec, 'cell' | 'nonlinearity' | 'peephole' | 'coupled' | 'gruForm'> {
  return {
    cell: spec.cell,
    ...(spec.cell === 'rnn' ? { nonlinearity: spec.nonlinearity } : {}),
    ...(spec.cell === 'lstm' && spec.peephole ? { peephole: true } : {}),
    ...(spec.cell === 'lstm' && spec.coupled ? { coupled: true } : {}),
    ...(spec.cell === 'gru' ? { gruForm: spec.gruForm } : {}),
  }
}

/** The core spec of a char-LM: token input through an embedding, a softmax head over the vocabulary on every step. */
export function recurrentCoreSpec(spec: RecurrentTrainSpec, vocab: number): RecurrentSpec {
  return {
    ...coreCell(spec),
    inputSize: spec.embeddingSize,
    hiddenSize: spec.hiddenSize,
    numLayers: spec.layers,
    bidirectional: false,
    dropout: spec.layers > 1 ? spec.dropout : 0,
    vocabSize: vocab,
    head: { outputSize: vocab, loss: 'softmax-ce', on: 'all' }
  }
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

/** A stateful model reads each evaluation window after the text before it: up to this many windows of it. */
export const STATE_WARMUP_WINDOWS = 4

/** The warm-up of a stateful model's evaluation windows: STATE_WARMUP_WINDOWS·T characters, or what the text has. */
export function evalWarmup(n: number, T: number): number {
  return Math.max(0, Math.min(STATE_WARMUP_WINDOWS * T, n - T - 2))
}

/**
 * Mean cross-entropy per character (nats) of the net on the evaluation windows, on the float64 core. With `warm` > 0
 * (a stateful model) each window is read after the `warm` characters before it, their steps ignored by the loss
 * (the windows of warm + T steps are spread evenly; the scored T are the last of each).
 */
export function recurrentEvalLoss(net: RecurrentNet, tokens: Int32Array, T: number, B: number, warm = 0): number {
  const { x, y } = recurrentEvalWindows(tokens, warm + T, B)
  y.fill(-1, 0, warm * B)
  const fwd = forward(net, { steps: warm + T, batch: B, tokens: x })
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
  /** A stateful model's carried state when it stopped ([L, B, H]); null: start from zero. */
  carry?: { h0: Float64Array; c0?: Float64Array } | null
}

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
 * Stateless: each step draws B windows at random. Stateful (spec.stateful): B streams through the text, each step the
 * next window of every stream, the final state of one window the initial state of the next (the gradient stops at the
 * boundary), reset to zero at the start of each pass. Cancel (between engine runs) keeps the weights of the last
 * finished run; a NaN/Inf keeps the last good ones and names the step and the tensor in stopReason.
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
  const stateful = spec.stateful === true
  const coreSpec = recurrentCoreSpec(spec, V)
  const resume = input.resume
  const net = initRecurrentNet(coreSpec, new Rng(input.seed))
  net.params = asF32(resume ? resume.params : net.params)
  const data = new Rng(input.seed).fork(1)
  // A continued training: the steps already taken count in Adam's bias correction (unless its moments restart).
  const before = resume?.stepsTaken ?? 0
  const optimiserSteps = resume?.moments ? before : 0
  const p = coreSpec.dropout
  const streams = stateful ? statefulWindows(tokens.length - 1, T, B, 'the text', 'model.stateful') : null
  let drawn = 0
  const drawBatch = (): StepBatch => {
    const k = drawn++
    // Stateful: window k mod W of every stream (stream b starts at b·⌊(N − 1)/B⌋); stateless: B random windows.
    const j = streams ? k % streams.windows : 0
    const starts = streams ? Array.from({ length: B }, (_, b) => b * streams.stream + j * T) : Array.from({ length: B }, () => data.int(tokens.length - T))
    const w = windows(tokens, T, starts)
    const masks = p > 0 ? Array.from({ length: L - 1 }, () => Float64Array.from({ length: T * B * H }, () => (data.next() < p ? 0 : Math.fround(1 / (1 - p))))) : null
    return { tokens: w.x, classes: w.y, masks, ...(streams ? { carry: j > 0 } : {}) }
  }
  // The windows the model already trained on are drawn again and skipped: a continuation sees the very windows one longer run would.
  for (let s = 0; s < before; s++) drawBatch()

  const K = stepsPerRun(spec.steps)
  const stepper = await RecurrentStepper.create({
    spec: coreSpec,
    net,
    steps: T,
    batch: B,
    K,
    learningRate: spec.learningRate,
    clipNorm: spec.clipNorm,
    stateful,
    provider: input.provider,
    threads: input.threads,
    moments: resume?.moments ?? null,
    optimiserSteps,
    carry: resume?.carry ?? null
  })
  const fallbackReason = stepper.fallbackReason
  const provider = stepper.provider
  const stateShape = [L, B, H]
  // Evaluation and samples: on the engine for a large model (the core's float64 took seconds at H 512), else the core.
  // A stateful model's evaluation reads each window after a warm-up (evalWarmup): the core does that one.
  let monitor = !stepper.fallbackReason && !stateful && evalFlop(coreSpec, T, B) >= ENGINE_MONITOR_MIN_FLOP ? new RecurrentMonitor(stepper.net, { provider: input.provider, ...(input.threads ? { threads: input.threads } : {}) }) : null
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
    if (!monitor) return Promise.resolve(recurrentEvalLoss(stepper.net, tokens, T, B, warm))
    const { x, y } = recurrentEvalWindows(tokens, T, B)
    return onCore((m) => m.loss(stepper.net, x, y, T, B), () => recurrentEvalLoss(stepper.net, tokens, T, B, warm))
  }
  const first = tokens[0]!
  const sampleNow = async () =>
    sampleText(vocab, first, await onCore((m) => m.sample(stepper.net, [first], sampleRun(input.seed)), () => generate(stepper.net, [first], SAMPLE_LENGTH, { temperature: SAMPLE_TEMPERATURE }, new Rng(input.seed))))

  const history: RecurrentPoint[] = []
  let done = 0
  let partial = false
  let stopReason: string | null = null
  let sample = ''
  let optimTensors: Record<string, NamedTensor> = {}
  const sampleEvery = Math.max(1, Math.round(spec.steps / K / 6))
  const warm = stateful ? evalWarmup(tokens.length, T) : 0
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
    return { info, tensors: { ...recurrentStateDict(stepper.net, 'float32'), ...optim } }
  }
  const optimNow = () => ({ ...stepper.adamTensors(paramShapes(coreSpec)), ...carryTensors(stepper.carried(), stateShape) })
  let lastCheckpoint = performance.now()
  try {
    for (let chunk = 0; done < spec.steps; chunk++) {
      // A turn of the event loop between engine runs, so a worker reads a cancel before the next run, not several later.
      if (hooks.shouldCancel && chunk > 0) await new Promise((resolve) => setImmediate(resolve))
      if (hooks.shouldCancel?.()) {
        partial = true
        break
      }
      const r = await stepper.run(Array.from({ length: K }, drawBatch), done)
      done += r.completed
      if (r.stopReason) {
        stopReason = r.stopReason
        partial = true
        break
      }
      const loss = r.losses.reduce((a, b) => a + b, 0) / r.losses.length
      const point = { step: before + done, loss, perplexity: Math.exp(loss) }
      history.push(point)
      const withSample = chunk % sampleEvery === sampleEvery - 1 || done >= spec.steps
      if (withSample) sample = await sampleNow()
      hooks.onProgress?.(done / spec.steps, done, spec.steps, `step ${before + done}/${before + spec.steps} · loss ${loss.toFixed(3)} · perplexity ${point.perplexity.toFixed(2)}`, point, withSample ? sample : undefined)
      // A checkpoint with each sample (about 6 a run) and at least every CHECKPOINT_MS: what a cancel now would keep, Adam's moments included.
      if (hooks.onCheckpoint && done < spec.steps && (withSample || performance.now() - lastCheckpoint >= CHECKPOINT_MS)) {
        lastCheckpoint = performance.now()
        const cp = snapshot(true, optimNow(), await evalLoss())
        hooks.onCheckpoint(cp.info as unknown as RecurrentInfo, cp.tensors)
      }
    }
    // Adam's moments (and a stateful run's carried state) go with the weights so the model can be continued exactly
    // (not after a non-finite stop: they moved on).
    if (!stopReason) optimTensors = optimNow()
    if (!(done === 0 && partial && !stopReason)) {
      if (!sample) sample = await sampleNow()
      return snapshot(partial, optimTensors, await evalLoss())
    }
  } finally {
    await stepper.release()
    await monitor?.release()
  }
  throw new CancelledError()
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
    g = await recurrentSamplers.use(info.id, net, { provider: 'cpu' }, ({ session }) => runSampler(session, net, input.prompt, run))
  } catch (error) {
    g = generate(net, input.prompt, run.length, { temperature: run.temperature, topK: run.topK }, new Rng(run.seed))
    computedBy = `core (engine failed: ${error instanceof Error ? error.message : String(error)})`
  }
  const text = (ids: number[]): string => ids.map((t) => info.vocab[t]).join('')
  return { modelId: info.id, prompt: run.prompt, sample: text(g.tokens), argmax: text(g.argmax), temperature: run.temperature, topK: run.topK, seed: run.seed, computedBy }
}
