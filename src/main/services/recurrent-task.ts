// Recurrent sequence tasks beyond the char-LM (spec.task): many-to-one classification (parity, Reber, embedded Reber,
// the adding problem, a CSV of text,label) and time-series forecasting (a CSV column, a noisy sine, Mackey-Glass).
// The data is checked before any training (errors name the spec field); training runs on the engine
// (buildRecurrentTrainStep, head on the last step, softmax cross-entropy or MSE, K Adam steps per run, float32) or on
// the core's RecurrentTrainer when the engine cannot run (the very same batches); progress reports the loss and the
// accuracy (RMSE for forecasts) on a fixed monitor set; cancel keeps the last finished run's weights. Scoring is an
// exact float64 core pass: held-out accuracy and confusion against the majority class, or RMSE/MAE against persistence.
// Legend: T steps (spec.sequenceLength, = the forecast window W), B batch, H hidden, L layers, K steps per engine run,
// h horizon, V vocabulary (token 0 the pad for left-padded tasks), C classes.
import type { NamedTensor } from '../../core/safetensors'
import { Rng } from '../../core/rng'
import {
  ADDING_TOLERANCE,
  argmaxRows,
  confusionMatrix,
  DELAY_BASELINE,
  DELAY_INPUTS,
  delayBatch,
  errorStats,
  fitNormalisation,
  forecastBatch,
  forecastSplit,
  forward,
  IGNORED,
  initRecurrentNet,
  leftPad,
  mackeyGlass,
  meanSquaredError,
  PAD,
  parseCsv,
  runningParity,
  recurrentStateDict,
  sineSeries,
  softmaxCrossEntropy,
  SYNTHETIC_CLASSES,
  syntheticClassBatch,
  syntheticVocab,
  timeMajor,
  minSyntheticLength,
  paramShapes,
  type Normalisation,
  type RecurrentNet,
  type RecurrentSpec,
  type SyntheticClassify
} from '../../core/recurrent'
import { ApiError } from '../../shared/api'
import { CancelledError } from '../../shared/errors'
import {
  MAX_CLASSES,
  MAX_FORECAST_SHOWN,
  MAX_SERIES_POINTS,
  MAX_TASK_ROWS,
  MAX_VOCAB,
  type RecurrentInfo,
  type RecurrentPoint,
  type RecurrentPredictResult,
  type RecurrentTask
} from '../../shared/families/recurrent'
import type { ComputeHooks } from './hooks'
import { coreCell, recurrentNetFromTensors, refuseStatefulBidirectional, STATE_WARMUP_WINDOWS, statefulWindows, stepsPerRun, type RecurrentTrainSpec, type TrainedRecurrentInfo } from './recurrent'
import { RecurrentStepper, type StepBatch } from './recurrent-steps'

/** A training spec with its task. */
export type RecurrentTaskSpec = RecurrentTrainSpec & { task: RecurrentTask }
type TaskResult = NonNullable<RecurrentInfo['taskResult']>

/** One batch of a task: tokens [T, B] or features [T, B, I]; class ids [B] or values [B]. */
export interface TaskBatch {
  batch: number
  tokens?: Int32Array
  input?: Float64Array
  classes?: Int32Array
  values?: Float64Array
}

/** A task's data, checked and ready: how to draw training batches, the held-out rows, what the result reports. */
export interface PreparedTask {
  kind: TaskResult['kind']
  /** For people: 'parity', 'reviews.csv (text → label)', 'Mackey-Glass τ 17'. */
  name: string
  /** Rows of a CSV, points of a series, or the held-out rows of a synthetic task. */
  size: number
  /** Token tasks: id → character (PAD first for left-padded ones); [] for feature input. */
  vocab: string[]
  /** Feature input: channels (adding 2, forecast 1); 0 for tokens. */
  features: number
  /** C classes (classify) or 1. */
  outputSize: number
  classes: string[]
  /** B training rows, drawn from `rng`. */
  draw(rng: Rng, B: number): TaskBatch
  /** The held-out rows (validation split or a stream of their own). */
  heldOut: TaskBatch
  trainRows: number
  /** CSV rows longer than T. */
  truncated: number
  /** A CSV tagger: the pad steps' target is −1 (IGNORED), left out of the loss and the scores. */
  padTag?: boolean
  /** Classify: the training split's most frequent class (synthetic: the held-out rows', the best constant answer). */
  majority: number
  /** Forecast: the series, its normalisation, the split and the windows. */
  forecast?: {
    series: Float64Array
    norm: Normalisation
    trainEnd: number
    trainStarts: number[]
    validationStarts: number[]
    /** Windows of W steps at `starts` (target h steps after each window's last value). */
    windows(W: number, starts: readonly number[]): TaskBatch
  }
}

/** Reads a task's CSV (an imported text or a file beside a spec); errors name `field`. */
export type CsvReader = (source: { file?: string; path?: string }, field: string) => { name: string; text: string }

const refuse = (field: string, message: string): never => {
  throw new ApiError({ code: 'bad-request', field, message: `${field}: ${message}` })
}

/** The CSV's header and rows with the named columns' indices; refused naming `field` (the column fields, the row). */
function csvTable(name: string, text: string, field: string, columns: Record<string, string>): { rows: string[][]; at: Record<string, number> } {
  let table: string[][] = []
  try {
    table = parseCsv(text)
  } catch (error) {
    refuse(field, `${name}: ${(error as Error).message}`)
  }
  const [header, ...rows] = table
  if (!header || rows.length === 0) refuse(field, `${name} needs a header row and at least one data row`)
  if (rows.length > MAX_TASK_ROWS) refuse(field, `${name} has ${rows.length} rows, more than the ${MAX_TASK_ROWS} a task takes`)
  const at: Record<string, number> = {}
  for (const [key, column] of Object.entries(columns)) {
    const i = header!.indexOf(column)
    if (i < 0) refuse(`${field}.${key}`, `no column '${column}' in ${name} (its header: ${header!.map((h) => JSON.stringify(h)).join(', ')})`)
    at[key] = i
  }
  rows.forEach((r, k) => {
    if (r.length !== header!.length) refuse(field, `${name} row ${k + 2} has ${r.length} fields, the header ${header!.length}`)
  })
  return { rows, at }
}

function syntheticTask(type: SyntheticClassify, T: number, evalRows: number, seed: number, field: string): PreparedTask {
  if (T < minSyntheticLength(type)) refuse(`${field}.sequenceLength`, `${type} needs at least ${minSyntheticLength(type)} steps, got ${T}`)
  const heldOut = syntheticClassBatch(type, T, evalRows, new Rng(seed).fork(2))
  const counts = [0, 0]
  for (const c of heldOut.classes) counts[c]!++
  return {
    kind: 'classify',
    name: `${type === 'parity' ? 'parity' : type === 'reber' ? 'Reber grammar' : 'embedded Reber grammar'} · T ${T}`,
    size: evalRows,
    vocab: syntheticVocab(type),
    features: 0,
    outputSize: 2,
    classes: SYNTHETIC_CLASSES[type],
    draw: (rng, B) => syntheticClassBatch(type, T, B, rng),
    heldOut,
    trainRows: 0,
    truncated: 0,
    majority: counts[1]! > counts[0]! ? 1 : 0
  }
}

/** Rows split by a seeded shuffle: the held-out share first; refused naming `field` when a side would be empty. */
function splitRows(n: number, validationFraction: number, seed: number, name: string, field: string): { train: number[]; val: number[] } {
  const order = new Rng(seed).fork(3).permutation(n)
  const nVal = Math.round(n * validationFraction)
  if (nVal < 1 || n - nVal < 1) refuse(field, `${name} has ${n} rows: too few to hold out ${validationFraction} of them and train on the rest`)
  return { val: Array.from(order.subarray(0, nVal)), train: Array.from(order.subarray(nVal)) }
}

/** A CSV of space-separated tokens and tags: a word vocabulary (PAD first), the tags, left-padded rows whose pad steps have target −1 (ignored). */
function csvTagTask(source: { tokensColumn: string; tagsColumn: string }, name: string, text: string, T: number, validationFraction: number, seed: number, field: string): PreparedTask {
  const { rows, at } = csvTable(name, text, field, { tokensColumn: source.tokensColumn, tagsColumn: source.tagsColumn })
  const split = (v: string) => v.trim().split(/\s+/).filter((x) => x !== '')
  const tokens = rows.map((r) => split(r[at.tokensColumn!]!))
  const tags = rows.map((r) => split(r[at.tagsColumn!]!))
  tokens.forEach((tk, k) => {
    if (tk.length === 0) refuse(`${field}.tokensColumn`, `${name} row ${k + 2} has no tokens`)
    if (tk.length !== tags[k]!.length) refuse(`${field}.tagsColumn`, `${name} row ${k + 2} has ${tk.length} tokens and ${tags[k]!.length} tags`)
  })
  const words = [...new Set(tokens.flat())].sort()
  const tagNames = [...new Set(tags.flat())].sort()
  if (words.length + 1 > MAX_VOCAB) refuse(`${field}.tokensColumn`, `'${source.tokensColumn}' has ${words.length} distinct tokens, more than the ${MAX_VOCAB - 1} a model here takes`)
  if (tagNames.length > MAX_CLASSES) refuse(`${field}.tagsColumn`, `'${source.tagsColumn}' has ${tagNames.length} distinct tags, more than the ${MAX_CLASSES} a tagger here takes`)
  if (tagNames.length < 2) refuse(`${field}.tagsColumn`, `'${source.tagsColumn}' has a single tag; nothing to tag`)
  const wordId = new Map(words.map((w, i) => [w, i + 1]))
  const tagId = new Map(tagNames.map((w, i) => [w, i]))
  const x = tokens.map((tk) => leftPad(tk.map((w) => wordId.get(w)!), T))
  // The pad steps' target is −1: the loss (and its gradient) leaves them out, as torch's ignore_index.
  const y = tags.map((tg) => leftPad(tg.map((w) => tagId.get(w)!), T, IGNORED))
  const { train, val } = splitRows(rows.length, validationFraction, seed, name, field)
  const rowsOf = (idx: readonly number[]): TaskBatch => ({ batch: idx.length, tokens: timeMajor(idx.map((i) => x[i]!), T), classes: timeMajor(idx.map((i) => y[i]!), T) })
  const counts = new Array<number>(tagNames.length).fill(0)
  for (const i of train) for (const c of y[i]!) if (c >= 0) counts[c]!++
  return {
    kind: 'tag',
    name: `${name} (${source.tokensColumn} → ${source.tagsColumn})`,
    size: rows.length,
    vocab: [PAD, ...words],
    features: 0,
    outputSize: tagNames.length,
    classes: tagNames,
    draw: (rng, B) => rowsOf(Array.from({ length: B }, () => train[rng.int(train.length)]!)),
    heldOut: rowsOf(val),
    trainRows: train.length,
    truncated: tokens.filter((tk) => tk.length > T).length,
    padTag: true,
    majority: counts.indexOf(Math.max(...counts))
  }
}

/** Parity tagging: the parity task's rows, each step's target the parity so far (many-to-many). */
function parityTagTask(T: number, evalRows: number, seed: number, field: string): PreparedTask {
  const base = syntheticTask('parity', T, evalRows, seed, field)
  const tagged = (d: TaskBatch): TaskBatch => ({ batch: d.batch, tokens: d.tokens!, classes: runningParity(d.tokens!, T, d.batch) })
  const heldOut = tagged(base.heldOut)
  const ones = heldOut.classes!.reduce((a, c) => a + c, 0)
  return { ...base, kind: 'tag', name: `parity so far · T ${T}`, draw: (rng, B) => tagged(base.draw(rng, B)), heldOut, majority: 2 * ones > heldOut.classes!.length ? 1 : 0 }
}

/** f's value, computed on the first call only. */
function once<V>(f: () => V): () => V {
  let v: { value: V } | null = null
  return () => (v ??= { value: f() }).value
}

// The held-out rows of the adding problem and of a forecast are built when training needs them (a getter), not when
// the spec is only checked: at the bounds they reach 20,000 × 512 × 2 and 40,000 × 512 values.
function addingTask(T: number, evalRows: number, seed: number): PreparedTask {
  const asBatch = (d: ReturnType<typeof delayBatch>): TaskBatch => ({ batch: d.batch, input: d.input, values: d.values! })
  const held = once(() => asBatch(delayBatch('adding', T - 1, evalRows, new Rng(seed).fork(2))))
  return {
    kind: 'regress',
    name: `adding problem · T ${T}`,
    size: evalRows,
    vocab: [],
    features: DELAY_INPUTS,
    outputSize: 1,
    classes: [],
    draw: (rng, B) => asBatch(delayBatch('adding', T - 1, B, rng)),
    get heldOut() {
      return held()
    },
    trainRows: 0,
    truncated: 0,
    majority: 0
  }
}

function csvClassifyTask(source: { textColumn: string; labelColumn: string }, name: string, text: string, T: number, validationFraction: number, seed: number, field: string): PreparedTask {
  const { rows, at } = csvTable(name, text, field, { textColumn: source.textColumn, labelColumn: source.labelColumn })
  const texts = rows.map((r) => r[at.textColumn!]!)
  const labels = rows.map((r) => r[at.labelColumn!]!.trim())
  const classes = [...new Set(labels)].sort()
  if (classes.length < 2) refuse(`${field}.labelColumn`, `'${source.labelColumn}' has a single label (${JSON.stringify(classes[0])}); nothing to classify`)
  if (classes.length > MAX_CLASSES) refuse(`${field}.labelColumn`, `'${source.labelColumn}' has ${classes.length} distinct labels, more than the ${MAX_CLASSES} a classifier here takes`)
  const chars = [...new Set(texts.flatMap((t) => [...t]))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!)
  if (chars.length + 1 > MAX_VOCAB) refuse(`${field}.textColumn`, `'${source.textColumn}' has ${chars.length} distinct characters, more than the ${MAX_VOCAB - 1} a model here takes`)
  const vocab = [PAD, ...chars]
  const id = new Map(chars.map((c, i) => [c, i + 1]))
  const encoded = texts.map((t) => leftPad([...t].map((c) => id.get(c)!), T))
  const truncated = texts.filter((t) => [...t].length > T).length
  const y = labels.map((l) => classes.indexOf(l))
  const { train, val } = splitRows(rows.length, validationFraction, seed, name, field)
  const rowsOf = (idx: readonly number[]): TaskBatch => ({ batch: idx.length, tokens: timeMajor(idx.map((i) => encoded[i]!), T), classes: Int32Array.from(idx, (i) => y[i]!) })
  const counts = new Array<number>(classes.length).fill(0)
  for (const i of train) counts[y[i]!]!++
  return {
    kind: 'classify',
    name: `${name} (${source.textColumn} → ${source.labelColumn})`,
    size: rows.length,
    vocab,
    features: 0,
    outputSize: classes.length,
    classes,
    draw: (rng, B) => rowsOf(Array.from({ length: B }, () => train[rng.int(train.length)]!)),
    heldOut: rowsOf(val),
    trainRows: train.length,
    truncated,
    majority: counts.indexOf(Math.max(...counts))
  }
}

function seriesOf(task: Extract<RecurrentTask, { kind: 'forecast' }>, seed: number, csv: CsvReader, field: string): { name: string; series: Float64Array } {
  const s = task.series
  if (s.type === 'sine') return { name: `noisy sine (period ${s.period}, noise ${s.noise})`, series: sineSeries(s.points, s.period, s.noise, new Rng(seed).fork(4)) }
  if (s.type === 'mackey-glass') return { name: `Mackey-Glass τ ${s.tau}`, series: mackeyGlass(s.points, s.tau) }
  const { name, text } = csv(s, `${field}.series`)
  const { rows, at } = csvTable(name, text, `${field}.series`, { column: s.column })
  if (rows.length > MAX_SERIES_POINTS) refuse(`${field}.series`, `${name} has ${rows.length} points, more than ${MAX_SERIES_POINTS}`)
  const series = Float64Array.from(rows, (r, k) => {
    const raw = r[at.column!]!.trim()
    const v = raw === '' ? NaN : Number(raw)
    if (!Number.isFinite(v)) refuse(`${field}.series.column`, `${name} row ${k + 2}: '${raw}' in column '${s.column}' is not a finite number`)
    return v
  })
  return { name: `${name} · ${s.column}`, series }
}

function forecastTask(task: Extract<RecurrentTask, { kind: 'forecast' }>, T: number, seed: number, csv: CsvReader, field: string): PreparedTask {
  const { name, series } = seriesOf(task, seed, csv, field)
  const h = task.horizon
  const split = forecastSplit(series.length, T, h, task.validationFraction)
  if (split.trainStarts.length < 1 || split.validationStarts.length < 1) {
    refuse(`${field.replace(/\.task$/, '')}.sequenceLength`, `a window of ${T} and a horizon of ${h} leave ${split.trainStarts.length} training and ${split.validationStarts.length} validation windows in ${series.length} points; both need at least one`)
  }
  const norm = fitNormalisation(series.subarray(0, split.trainEnd), task.normalise)
  const windows = (W: number, starts: readonly number[]): TaskBatch => {
    const b = forecastBatch(series, norm, W, h, starts)
    return { batch: starts.length, input: b.input, values: b.values }
  }
  const rowsAt = (starts: readonly number[]): TaskBatch => windows(T, starts)
  const held = once(() => rowsAt(split.validationStarts))
  return {
    kind: 'forecast',
    name,
    size: series.length,
    vocab: [],
    features: 1,
    outputSize: 1,
    classes: [],
    draw: (rng, B) => rowsAt(Array.from({ length: B }, () => split.trainStarts[rng.int(split.trainStarts.length)]!)),
    get heldOut() {
      return held()
    },
    trainRows: split.trainStarts.length,
    truncated: 0,
    majority: 0,
    forecast: { series, norm, ...split, windows }
  }
}

/** A task's data from its spec, refused (naming `field`.model.task…) before any training. */
export function prepareRecurrentTask(spec: RecurrentTaskSpec, seed: number, csv: CsvReader, field: string): PreparedTask {
  const at = `${field}.model.task`
  const T = spec.sequenceLength
  const task = spec.task
  if (spec.stateful) {
    refuseStatefulBidirectional(spec, `${field}.model.stateful`)
    if (task.kind !== 'forecast') refuse(`${field}.model.stateful`, `stateful training carries the state along one long sequence (the char-LM, a forecast); a ${task.kind} task's rows are separate sequences`)
  }
  if (task.kind === 'forecast') {
    const data = forecastTask(task, T, seed, csv, at)
    if (spec.stateful) statefulWindows(data.trainRows, T, spec.batch, `${data.trainRows} training windows of ${data.name}`, `${field}.model.stateful`)
    return data
  }
  if (task.kind === 'tag') {
    const s = task.source
    if (s.type === 'parity') return parityTagTask(T, task.evalRows, seed, `${field}.model`)
    const { name, text } = csv(s, `${at}.source`)
    return csvTagTask(s, name, text, T, task.validationFraction, seed, `${at}.source`)
  }
  const s = task.source
  if (s.type === 'adding') {
    if (T < 2) refuse(`${field}.model.sequenceLength`, `the adding problem needs at least 2 steps, got ${T}`)
    return addingTask(T, task.evalRows, seed)
  }
  if (s.type === 'csv') {
    const { name, text } = csv(s, `${at}.source`)
    return csvClassifyTask(s, name, text, T, task.validationFraction, seed, `${at}.source`)
  }
  return syntheticTask(s.type === 'parity' ? 'parity' : s.embedded ? 'embedded-reber' : 'reber', T, task.evalRows, seed, `${field}.model`)
}

/** The core spec of a task model: tokens through an embedding (or feature channels), one head on the last step. */
export function taskCoreSpec(spec: RecurrentTrainSpec & { task: RecurrentTask }, shape: { vocab: number; features: number; outputSize: number }): RecurrentSpec {
  const mse = spec.task.kind === 'forecast' || (spec.task.kind === 'classify' && spec.task.source.type === 'adding')
  return {
    ...coreCell(spec),
    inputSize: shape.features > 0 ? shape.features : spec.embeddingSize,
    hiddenSize: spec.hiddenSize,
    numLayers: spec.layers,
    bidirectional: spec.bidirectional === true,
    dropout: spec.layers > 1 ? spec.dropout : 0,
    ...(shape.features > 0 ? {} : { vocabSize: shape.vocab }),
    head: { outputSize: shape.outputSize, loss: mse ? 'mse' : 'softmax-ce', on: spec.task.kind === 'tag' ? 'all' : 'last' }
  }
}

/** A trained task model's shape from its session entry (vocabulary, classes). */
export function taskShapeOf(info: { spec: RecurrentTaskSpec; vocab: readonly string[]; taskResult?: RecurrentInfo['taskResult'] }): { vocab: number; features: number; outputSize: number } {
  const t = info.spec.task
  const features = t.kind === 'forecast' ? 1 : t.source.type === 'adding' ? DELAY_INPUTS : 0
  const outputSize = info.taskResult?.kind === 'classify' || info.taskResult?.kind === 'tag' ? info.taskResult.classes.length : t.kind === 'tag' ? 2 : 1
  return { vocab: info.vocab.length, features, outputSize }
}

/** The net a session (or a result file) keeps, char-LM or task model: the spec rebuilt from the entry, the weights from its tensors. */
export function recurrentModelNet(info: { spec: RecurrentTrainSpec; vocab: readonly string[]; taskResult?: RecurrentInfo['taskResult'] }, tensor: (name: string) => NamedTensor): RecurrentNet {
  const task = info.spec.task
  if (!task) return recurrentNetFromTensors(info, tensor)
  const spec = taskCoreSpec({ ...info.spec, task }, taskShapeOf({ ...info, spec: { ...info.spec, task } }))
  return { spec, params: Object.fromEntries([...paramShapes(spec).keys()].map((name) => [name, Float64Array.from(tensor(name).data as ArrayLike<number>)])) }
}

const CELL = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' } as const

export function taskModelName(spec: RecurrentTaskSpec, data: Pick<PreparedTask, 'name'>): string {
  const what = spec.task.kind === 'forecast' ? 'forecast' : spec.task.kind === 'tag' ? 'tag' : spec.task.source.type === 'csv' ? 'classify' : spec.task.source.type
  return `${what}-${CELL[spec.cell]} ${spec.layers}×${spec.hiddenSize} · ${data.name}`
}

/** Rows [from, to) of a batch (time-major inputs sliced per step). */
function subBatch(d: TaskBatch, from: number, to: number, T: number): TaskBatch {
  const B = d.batch
  const n = to - from
  const pick = <A extends Int32Array | Float64Array>(a: A): A => {
    const width = a.length / (T * B)
    const out = new (a.constructor as new (n: number) => A)(T * n * width)
    for (let t = 0; t < T; t++) out.set(a.subarray((t * B + from) * width, (t * B + to) * width), t * n * width)
    return out
  }
  return {
    batch: n,
    ...(d.tokens ? { tokens: pick(d.tokens) } : { input: pick(d.input!) }),
    ...(d.classes ? { classes: d.classes.length === B ? d.classes.slice(from, to) : pick(d.classes) } : { values: d.values!.slice(from, to) })
  }
}

/** The head's outputs on a batch ([B, O]; a head on every step [T, B, O]), on the float64 core, in chunks of 1024 rows. */
function headOutputs(net: RecurrentNet, d: TaskBatch, T: number): Float64Array {
  const O = net.spec.head!.outputSize
  const steps = net.spec.head!.on === 'all' ? T : 1
  const B = d.batch
  const out = new Float64Array(steps * B * O)
  for (let from = 0; from < B; from += 1024) {
    const to = Math.min(B, from + 1024)
    const part = from === 0 && to === B ? d : subBatch(d, from, to, T)
    const logits = forward(net, { steps: T, batch: part.batch, ...(part.tokens ? { tokens: part.tokens } : { input: part.input! }) }).logits!
    for (let t = 0; t < steps; t++) out.set(logits.subarray(t * part.batch * O, (t + 1) * part.batch * O), (t * B + from) * O)
  }
  return out
}

/** The loss and the score (classify: accuracy; regress: share within the tolerance; forecast: RMSE in the series' units). */
function score(data: PreparedTask, net: RecurrentNet, d: TaskBatch, T: number): { loss: number; score: number; outputs: Float64Array } {
  const outputs = headOutputs(net, d, T)
  if (data.kind === 'classify' || data.kind === 'tag') {
    const predicted = argmaxRows(outputs, data.outputSize)
    let right = 0
    let counted = 0
    predicted.forEach((p, i) => {
      if (d.classes![i]! < 0) return
      counted++
      right += p === d.classes![i] ? 1 : 0
    })
    return { loss: softmaxCrossEntropy(outputs, d.classes!, data.outputSize).loss, score: right / counted, outputs }
  }
  const loss = meanSquaredError(outputs, d.values!).loss
  if (data.kind === 'regress') return { loss, score: outputs.reduce((a, v, i) => a + (Math.abs(v - d.values![i]!) < ADDING_TOLERANCE ? 1 : 0), 0) / d.batch, outputs }
  return { loss, score: Math.sqrt(loss) * data.forecast!.norm.scale, outputs }
}

function taskResultOf(data: PreparedTask, net: RecurrentNet, T: number, h: number, warm = 0): { result: TaskResult; loss: number } {
  const d = data.heldOut
  const s = warm > 0 ? score(data, net, warmWindows(data, T, warm), T + warm) : score(data, net, d, T)
  if (data.kind === 'classify') {
    const predicted = argmaxRows(s.outputs, data.outputSize)
    const baseline = d.classes!.reduce((a, c) => a + (c === data.majority ? 1 : 0), 0) / d.batch
    return {
      loss: s.loss,
      result: {
        kind: 'classify',
        classes: data.classes,
        trainRows: data.trainRows,
        evalRows: d.batch,
        accuracy: s.score,
        loss: s.loss,
        baseline: { label: data.classes[data.majority]!, accuracy: baseline },
        confusion: confusionMatrix(d.classes!, predicted, data.outputSize),
        truncated: data.truncated
      }
    }
  }
  if (data.kind === 'tag') {
    const predicted = argmaxRows(s.outputs, data.outputSize)
    const B = d.batch
    let rowsRight = 0
    let lastRight = 0
    for (let b = 0; b < B; b++) {
      let all = true
      for (let t = 0; t < T; t++) all &&= d.classes![t * B + b]! < 0 || predicted[t * B + b] === d.classes![t * B + b]
      rowsRight += all ? 1 : 0
      lastRight += predicted[(T - 1) * B + b] === d.classes![(T - 1) * B + b] ? 1 : 0
    }
    const real = d.classes!.filter((c) => c >= 0)
    const baseline = real.reduce((a, c) => a + (c === data.majority ? 1 : 0), 0) / real.length
    const scored = predicted.map((p, i) => (d.classes![i]! < 0 ? -1 : p))
    return {
      loss: s.loss,
      result: {
        kind: 'tag',
        classes: data.classes,
        evalRows: B,
        accuracy: s.score,
        sequenceAccuracy: rowsRight / B,
        lastStepAccuracy: lastRight / B,
        loss: s.loss,
        baseline: { label: data.classes[data.majority]!, accuracy: baseline },
        confusion: confusionMatrix(
          d.classes!.filter((_, i) => scored[i]! >= 0),
          scored.filter((p) => p >= 0),
          data.outputSize
        )
      }
    }
  }
  if (data.kind === 'regress') {
    return { loss: s.loss, result: { kind: 'regress', evalRows: d.batch, accuracy: s.score, tolerance: ADDING_TOLERANCE, mse: s.loss, baseline: { accuracy: DELAY_BASELINE.adding.accuracy, mse: DELAY_BASELINE.adding.loss } } }
  }
  const f = data.forecast!
  const un = (v: number) => v * f.norm.scale + f.norm.offset
  const starts = f.validationStarts
  const truth = starts.map((st) => f.series[st + T - 1 + h]!)
  const forecast = Array.from(s.outputs, un)
  const persistence = starts.map((st) => f.series[st + T - 1]!)
  const shown = Math.min(starts.length, MAX_FORECAST_SHOWN)
  return {
    loss: s.loss,
    result: {
      kind: 'forecast',
      window: T,
      horizon: h,
      normalisation: f.norm,
      points: f.series.length,
      trainEnd: f.trainEnd,
      trainWindows: f.trainStarts.length,
      validationWindows: starts.length,
      ...errorStats(forecast, truth),
      persistence: errorStats(persistence, truth),
      times: starts.slice(0, shown).map((st) => st + T - 1 + h),
      truth: truth.slice(0, shown),
      forecast: forecast.slice(0, shown),
      lastWindow: Array.from(f.series.subarray(f.series.length - T))
    }
  }
}

/** What a task's training job gets (it crosses to a worker: plain data; the CSV's text read and checked by the caller). */
export interface RecurrentTaskTrainInput<S extends RecurrentTaskSpec = RecurrentTaskSpec> {
  modelId: string
  name: string
  spec: S
  seed: number
  /** The task's CSV, when it has one. */
  csv?: { name: string; text: string }
  provider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml'
  threads?: number
}

/** A reader that hands back the CSV already read (the job's side of prepareRecurrentTask). */
export function csvFrom(csv: { name: string; text: string } | undefined): CsvReader {
  return (_source, field) => csv ?? refuse(field, 'the CSV was not read')
}

/** The monitor rows a progress report scores (the first 256 held-out rows). */
const MONITOR_ROWS = 256

const asF32 = (net: RecurrentNet): void => {
  for (const k of Object.keys(net.params)) net.params[k] = Float64Array.from(net.params[k]!, Math.fround)
}

/**
 * Trains a task model. Same input → same numbers: the init (Rng(seed)), the training rows (its fork 1) and the held-out
 * rows (fork 2) all come from the seed, and both paths draw the same rows in the same order. A stateful forecaster
 * (spec.stateful) trains on B streams through the training windows, each step the next window of every stream from the
 * state the last one ended in, and is scored on windows read after the STATE_WARMUP_WINDOWS·T values before them.
 * Cancel keeps the last finished run; a NaN/Inf keeps the last good weights and names the step and the tensor.
 */
export async function trainRecurrentTaskJob<S extends RecurrentTaskSpec>(input: RecurrentTaskTrainInput<S>, hooks: ComputeHooks): Promise<{ info: TrainedRecurrentInfo<S>; tensors: Record<string, NamedTensor> }> {
  const { spec } = input
  const data = prepareRecurrentTask(spec, input.seed, csvFrom(input.csv), 'spec')
  const T = spec.sequenceLength
  const B = spec.batch
  const L = spec.layers
  const H = spec.hiddenSize
  const D = spec.bidirectional ? 2 : 1
  const coreSpec = taskCoreSpec(spec, { vocab: data.vocab.length, features: data.features, outputSize: data.outputSize })
  const net = initRecurrentNet(coreSpec, new Rng(input.seed))
  asF32(net)
  const rows = new Rng(input.seed).fork(1)
  const p = coreSpec.dropout
  const f = data.forecast
  const streams = spec.stateful && f ? statefulWindows(f.trainStarts.length, T, B, 'the training windows', 'spec.model.stateful') : null
  let drawn = 0
  const draw = (): StepBatch => {
    const j = streams ? drawn++ % streams.windows : 0
    // Stateful: window j of every stream (stream b starts at training window b·⌊n/B⌋); else B rows drawn at random.
    const b = streams ? f!.windows(T, Array.from({ length: B }, (_, r) => f!.trainStarts[r * streams.stream + j * T]!)) : data.draw(rows, B)
    const masks = p > 0 ? Array.from({ length: L - 1 }, () => Float64Array.from({ length: T * B * D * H }, () => (rows.next() < p ? 0 : Math.fround(1 / (1 - p))))) : null
    return { ...b, masks, ...(streams ? { carry: j > 0 } : {}) }
  }
  const warm = streams ? Math.min(STATE_WARMUP_WINDOWS * T, f!.validationStarts[0]!) : 0
  const monitorRows = Math.min(MONITOR_ROWS, data.heldOut.batch)
  const monitor = warm > 0 ? f!.windows(T + warm, f!.validationStarts.slice(0, monitorRows).map((s) => s - warm)) : subBatch(data.heldOut, 0, monitorRows, T)
  const K = stepsPerRun(spec.steps)
  const mse = coreSpec.head!.loss === 'mse'
  const stepper = await RecurrentStepper.create({ spec: coreSpec, net, steps: T, batch: B, K, learningRate: spec.learningRate, clipNorm: spec.clipNorm, stateful: !!streams, provider: input.provider, threads: input.threads })
  const history: RecurrentPoint[] = []
  let done = 0
  let partial = false
  let stopReason: string | null = null
  try {
    while (done < spec.steps) {
      if (hooks.shouldCancel?.()) {
        partial = true
        break
      }
      const r = await stepper.run(Array.from({ length: K }, draw), done)
      done += r.completed
      if (r.stopReason) {
        stopReason = r.stopReason
        partial = true
        break
      }
      const loss = r.losses.reduce((a, b) => a + b, 0) / r.losses.length
      const m = score(data, stepper.net, monitor, T + warm)
      const point: RecurrentPoint = { step: done, loss, ...(mse ? {} : { perplexity: Math.exp(loss) }), ...(data.kind === 'forecast' ? { rmse: m.score } : { accuracy: m.score }) }
      history.push(point)
      const what = data.kind === 'forecast' ? `held-out RMSE ${m.score.toPrecision(4)}` : `held-out accuracy ${(100 * m.score).toFixed(1)} %`
      hooks.onProgress?.(done / spec.steps, done, spec.steps, `step ${done}/${spec.steps} · loss ${loss.toFixed(4)} · ${what}`, point)
    }
  } finally {
    await stepper.release()
  }
  if (done === 0 && partial && !stopReason) throw new CancelledError()
  const { result, loss } = taskResultOf(data, stepper.net, T, spec.task.kind === 'forecast' ? spec.task.horizon : 0, warm)
  const info: TrainedRecurrentInfo<S> = {
    kind: 'recurrent',
    id: input.modelId,
    name: input.name,
    spec,
    seed: input.seed,
    textName: data.name,
    textChars: data.size,
    vocab: data.vocab,
    stepsDone: done,
    history,
    evalLoss: loss,
    provider: stepper.provider,
    fallbackReason: stepper.fallbackReason,
    partial,
    stopReason,
    sample: '',
    taskResult: result,
    createdAt: new Date().toISOString()
  }
  return { info, tensors: recurrentStateDict(stepper.net, 'float32') }
}

/** A stateful forecaster's held-out windows, each read after the `warm` values before it (same targets). */
function warmWindows(data: PreparedTask, T: number, warm: number): TaskBatch {
  const f = data.forecast!
  return f.windows(T + warm, f.validationStarts.map((s) => s - warm))
}

type PredictInfo = Pick<RecurrentInfo, 'id' | 'vocab' | 'taskResult'> & { spec: RecurrentTaskSpec }

/** A predict run's input as the net reads it, refused naming the field `at` (checked before the job starts, and in it). */
export function predictInput(info: PredictInfo, input: string | number[], at: string): { steps: number; tokens?: Int32Array; input?: Float64Array; given?: number } {
  const t = info.spec.task
  const T = info.spec.sequenceLength
  if (t.kind === 'forecast') {
    // A stateful forecaster also reads a longer history: the values before the window set its state.
    const fits = typeof input !== 'string' && (input.length === T || (info.spec.stateful === true && input.length > T))
    if (!fits) return refuse(at, info.spec.stateful ? `a stateful forecast reads at least ${T} numbers (the model's sequenceLength; earlier values set its state)` : `a forecast reads a window of exactly ${T} numbers (the model's sequenceLength)`)
    if (info.taskResult?.kind !== 'forecast') return refuse(at, 'the model has no forecast result (its normalisation is missing)')
    const norm = info.taskResult.normalisation
    return { steps: input.length, input: Float64Array.from(input, (v) => (v - norm.offset) / norm.scale) }
  }
  if (t.source.type === 'adding') {
    if (typeof input === 'string' || input.length % DELAY_INPUTS !== 0) return refuse(at, 'the adding problem reads (value, marker) pairs: an even count of numbers')
    return { steps: input.length / DELAY_INPUTS, input: Float64Array.from(input) }
  }
  if (typeof input !== 'string') return refuse(at, 'a classifier reads a sequence of characters (a string)')
  const words = t.kind === 'tag' && t.source.type === 'csv'
  const chars = words ? input.trim().split(/\s+/) : [...input]
  const padded = info.vocab[0] === PAD
  const index = new Map(info.vocab.map((c, i) => [c, i]))
  const bad = chars.find((c) => !index.has(c) || (padded && c === PAD))
  if (bad !== undefined) refuse(at, `'${bad}' is not in the model's vocabulary (${info.vocab.filter((c) => c !== PAD).join(words ? ' ' : '')})`)
  const ids = chars.map((c) => index.get(c)!)
  const tokens = Int32Array.from(padded ? leftPad(ids, T) : ids)
  return { steps: tokens.length, tokens, given: Math.min(ids.length, tokens.length) }
}

/**
 * A trained task model on one input (float64 core on the stored float32 weights): a sequence's class probabilities, the
 * adding problem's sum, or the forecast h steps after a window (given in the series' units).
 */
export function predictRecurrentTask(info: PredictInfo, net: RecurrentNet, input: string | number[], at: string): RecurrentPredictResult {
  const x = predictInput(info, input, at)
  const out = forward(net, { steps: x.steps, batch: 1, ...(x.tokens ? { tokens: x.tokens } : { input: x.input! }) }).logits!
  const computedBy = 'core (float64 on the stored float32 weights)'
  const r = info.taskResult
  if (r?.kind === 'forecast') return { modelId: info.id, task: 'forecast', value: out[0]! * r.normalisation.scale + r.normalisation.offset, computedBy }
  if (r?.kind === 'regress') return { modelId: info.id, task: 'regress', value: out[0]!, computedBy }
  const classes = r?.kind === 'classify' || r?.kind === 'tag' ? r.classes : []
  if (r?.kind === 'tag') {
    // A padded tagger's pad steps come first: the tags of the steps given.
    const tags = Array.from(argmaxRows(out, classes.length), (c) => classes[c]!).slice(x.steps - (x.given ?? x.steps))
    return { modelId: info.id, task: 'tag', tags, label: tags.at(-1)!, computedBy }
  }
  const m = Math.max(...out)
  const e = Array.from(out, (v) => Math.exp(v - m))
  const z = e.reduce((a, b) => a + b, 0)
  const probabilities = e.map((v, i) => ({ label: classes[i] ?? String(i), p: v / z }))
  const best = probabilities.reduce((a, b) => (b.p > a.p ? b : a))
  return { modelId: info.id, task: 'classify', probabilities, label: best.label, computedBy }
}
