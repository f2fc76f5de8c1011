// ONNX program: one training step (or K minibatch steps in a Loop) from a forward function, with its runner and forward export.
//
// Legend: θ parameters (graph inputs `name`, outputs `name_out`), s optimiser state per parameter
// and slot (`name.slot` → `name.slot_out`), lr learning rate (scalar, or [K] in a Loop model so a
// schedule can change within one run), step the 1-based number of the first step in the run
// (int64), loss the forward's scalar loss ([K] in a Loop model), grad_norm the global gradient
// norm before clipping (only with clipping). Batch inputs are fed per step ([K, …] in a Loop
// model, read in the body with Gather(batch, iter)).
// Parameters and state are inputs and outputs, not initialisers, so one model (and one cached
// session) serves every run and the weights round-trip through JS between runs (ENGINE-NOTES §3).
import { Tape, type FloatType } from '../autodiff/tape'
import { isStatic, numel, UNKNOWN_DIM } from '../autodiff/shapes'
import { buildModel, GraphBuilder, tensor, type Dim, type ElemType } from '../onnx/builder'
import type { OnnxProto } from '../onnx/proto'
import { emitOptimiserStep, optimiserSlots, type OptimiserConfig, type StateSlot } from '../optim/optimiser'
import { createSession, type CreateSessionOptions, type EngineSession, type EngineTensor } from '../ort'

export interface ParamSpec {
  name: string
  shape: readonly number[]
  /** Weight decay applies to this parameter (default true). */
  decay?: boolean
}

export interface BatchSpec {
  name: string
  /** Shape of one step's batch; must be static for training (symbolic dims are for export). */
  shape: readonly Dim[]
  /** Default: the program's float type (use 'int64' for class indices). */
  type?: ElemType
}

export interface ForwardResult {
  /** Scalar loss to minimise. */
  loss: string
  /** Named values an exported model can expose (predictions, probabilities). */
  outputs?: Readonly<Record<string, string>>
  /** The next value of each carried input (TrainStepOptions.carry), by name; required when the program carries any. */
  carry?: Readonly<Record<string, string>>
}

/**
 * The model: builds the forward pass with tape ops from parameter and batch value names and
 * returns the loss (and optionally named outputs). The same function serves training and export.
 */
export type ForwardFn = (
  t: Tape,
  params: Readonly<Record<string, string>>,
  batch: Readonly<Record<string, string>>
) => string | ForwardResult

export interface TrainStepOptions {
  forward: ForwardFn
  params: readonly ParamSpec[]
  batch: readonly BatchSpec[]
  /**
   * Values carried from step to step and from run to run (a recurrent net's state for truncated BPTT): fed once per
   * run as `name`, read by the forward with the batch inputs under their names, replaced after each step by the
   * forward's `carry[name]`, and output after the run's last step as `name_out`. Each step's tape starts from the
   * carried value as a constant, so no gradient crosses a step boundary.
   */
  carry?: readonly BatchSpec[]
  optimiser: OptimiserConfig
  /** K: run K minibatch steps inside one Loop per session.run; omit for a single-step model. */
  steps?: number
  /** Default 'float32'; 'float64' for checks against references. */
  dtype?: FloatType
  name?: string
  metadata?: Record<string, string>
}

export interface TrainStepIO {
  params: { name: string; input: string; output: string; shape: readonly number[] }[]
  state: { param: string; slot: StateSlot; input: string; output: string; shape: readonly number[] }[]
  /** Batch inputs with the shape they are fed in ([K, …] in a Loop model). */
  batch: { name: string; input: string; shape: readonly number[]; type: ElemType }[]
  /** Carried values: fed as `input`, their value after the run's last step output as `output`. */
  carry: { name: string; input: string; output: string; shape: readonly number[]; type: ElemType }[]
  lr: string
  step: string
  loss: string
  gradNorm: string | null
  /** K for a Loop model, null for a single-step model. */
  steps: number | null
}

export interface TrainStepProgram {
  model: Uint8Array
  io: TrainStepIO
  dtype: FloatType
  optimiser: OptimiserConfig
}

const RESERVED = new Set(['lr', 'step', 'loss', 'grad_norm'])

function normaliseForward(r: string | ForwardResult): ForwardResult {
  return typeof r === 'string' ? { loss: r } : r
}

function checkNames(params: readonly ParamSpec[], batch: readonly { name: string }[]): void {
  const seen = new Set<string>()
  for (const { name } of [...params, ...batch]) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RangeError(`train step: name '${name}' must be an identifier`)
    if (RESERVED.has(name)) throw new RangeError(`train step: name '${name}' is reserved`)
    if (seen.has(name)) throw new RangeError(`train step: duplicate name '${name}'`)
    seen.add(name)
  }
  for (const p of params) {
    if (!p.shape.every((d) => Number.isInteger(d) && d > 0)) throw new RangeError(`train step: parameter '${p.name}' needs a positive static shape`)
  }
}

/** Builds the training program: one step, or K steps in a Loop (`steps`). */
export function buildTrainStep(opts: TrainStepOptions): TrainStepProgram {
  const dtype = opts.dtype ?? 'float32'
  const K = opts.steps ?? null
  if (K !== null && (!Number.isInteger(K) || K < 1)) throw new RangeError(`train step: steps must be a positive integer, got ${K}`)
  const carrySpecs = opts.carry ?? []
  checkNames(opts.params, [...opts.batch, ...carrySpecs])
  for (const b of [...opts.batch, ...carrySpecs]) {
    if (!isStatic(b.shape)) throw new RangeError(`train step: batch '${b.name}' needs a static shape for training, got [${b.shape.join(',')}]`)
  }
  const slots = optimiserSlots(opts.optimiser)
  const name = opts.name ?? 'train_step'
  const g = new GraphBuilder(name)

  const io: TrainStepIO = {
    params: opts.params.map((p) => ({ name: p.name, input: p.name, output: `${p.name}_out`, shape: p.shape })),
    state: opts.params.flatMap((p) =>
      slots.map((slot) => ({ param: p.name, slot, input: `${p.name}.${slot}`, output: `${p.name}.${slot}_out`, shape: p.shape }))
    ),
    batch: opts.batch.map((b) => ({
      name: b.name,
      input: b.name,
      shape: K === null ? (b.shape as number[]) : [K, ...(b.shape as number[])],
      type: b.type ?? dtype
    })),
    carry: carrySpecs.map((c) => ({ name: c.name, input: c.name, output: `${c.name}_out`, shape: c.shape as number[], type: c.type ?? dtype })),
    lr: 'lr',
    step: 'step',
    loss: 'loss',
    gradNorm: null,
    steps: K
  }

  const paramIn = io.params.map((p) => g.input(p.input, dtype, p.shape))
  const stateIn = io.state.map((s) => g.input(s.input, dtype, s.shape))
  const batchIn = io.batch.map((b) => g.input(b.input, b.type, b.shape))
  const carryIn = io.carry.map((c) => g.input(c.input, c.type, c.shape, 'carried from the previous step (no gradient through it)'))
  const lr = g.input(io.lr, dtype, K === null ? [] : [K], K === null ? 'learning rate' : 'learning rate per step')
  const step = g.input(io.step, 'int64', [], '1-based number of the (first) step in this run')

  // One step in `sg` given that graph's values; shared by the plain and the Loop form.
  const emitStep = (sg: GraphBuilder, params: string[], state: string[], batch: string[], carried: string[], lrV: string, stepV: string) => {
    const t = new Tape(sg, { dtype })
    params.forEach((p, i) => t.declare(p, opts.params[i]!.shape, dtype))
    batch.forEach((b, i) => t.declare(b, opts.batch[i]!.shape, io.batch[i]!.type))
    carried.forEach((c, i) => t.declare(c, io.carry[i]!.shape, io.carry[i]!.type))
    const paramMap = Object.fromEntries(opts.params.map((p, i) => [p.name, params[i]!]))
    const batchMap = Object.fromEntries([...opts.batch.map((b, i) => [b.name, batch[i]!]), ...io.carry.map((c, i) => [c.name, carried[i]!])])
    const { loss, carry } = normaliseForward(opts.forward(t, paramMap, batchMap))
    const carryOut = io.carry.map((c) => {
      const v = carry?.[c.name]
      if (!v) throw new RangeError(`train step: the forward returns no next value for the carried input '${c.name}'`)
      const sv = t.shape(v)
      if (sv.length !== c.shape.length || sv.some((d, i) => d !== c.shape[i])) throw new RangeError(`train step: carried '${c.name}' is [${c.shape.join(',')}], the forward's next value [${sv.join(',')}]`)
      return v
    })
    const ls = t.shape(loss)
    if (!isStatic(ls) || numel(ls) !== 1) throw new RangeError(`train step: the loss must be a scalar, got shape [${ls.join(',')}]`)
    if (t.type(loss) !== dtype) throw new TypeError(`train step: the loss is ${t.type(loss)}, expected ${dtype}`)
    const grads = t.grad(loss, params)
    const items = params.map((p, i) => ({
      param: p,
      grad: grads[i]!,
      state: Object.fromEntries(slots.map((s, k) => [s, state[i * slots.length + k]!])),
      decay: opts.params[i]!.decay ?? true
    }))
    const upd = emitOptimiserStep(sg, opts.optimiser, dtype, items, lrV, stepV)
    const scalarLoss = ls.length === 0 ? loss : sg.node('Reshape', [loss, t.ints([])])
    return { loss: scalarLoss, params: upd.params, state: upd.state.flatMap((st) => slots.map((s) => st[s]!)), gradNorm: upd.gradNorm, carry: carryOut }
  }

  if (K === null) {
    const r = emitStep(g, paramIn, stateIn, batchIn, carryIn, lr, step)
    r.params.forEach((p, i) => g.output(io.params[i]!.output, dtype, io.params[i]!.shape, { from: p }))
    r.state.forEach((s, i) => g.output(io.state[i]!.output, dtype, io.state[i]!.shape, { from: s }))
    r.carry.forEach((c, i) => g.output(io.carry[i]!.output, io.carry[i]!.type, io.carry[i]!.shape, { from: c }))
    g.output(io.loss, dtype, [], { from: r.loss })
    if (r.gradNorm) io.gradNorm = g.output('grad_norm', dtype, [], { from: r.gradNorm })
  } else {
    const body = g.subgraph(`${name}_body`)
    const iter = body.input('loop/iter', 'int64', [])
    const cond = body.input('loop/cond', 'bool', [])
    const bParams = io.params.map((p) => body.input(`loop/${p.input}`, dtype, p.shape))
    const bState = io.state.map((s) => body.input(`loop/${s.input}`, dtype, s.shape))
    const bCarry = io.carry.map((c) => body.input(`loop/${c.input}`, c.type, c.shape))
    // Outer-scope batch, lr and step are read per iteration: Gather(·, iter) drops the K axis.
    const bBatch = batchIn.map((b) => body.node('Gather', [b, iter], { axis: 0 }))
    const bLr = body.node('Gather', [lr, iter], { axis: 0 })
    const bStep = body.node('Add', [step, iter])
    const r = emitStep(body, bParams, bState, bBatch, bCarry, bLr, bStep)
    body.output('loop/cond_out', 'bool', [], { from: cond })
    r.params.forEach((p, i) => body.output(`loop/${io.params[i]!.output}`, dtype, io.params[i]!.shape, { from: p }))
    r.state.forEach((s, i) => body.output(`loop/${io.state[i]!.output}`, dtype, io.state[i]!.shape, { from: s }))
    r.carry.forEach((c, i) => body.output(`loop/${io.carry[i]!.output}`, io.carry[i]!.type, io.carry[i]!.shape, { from: c }))
    body.output('loop/loss', dtype, [], { from: r.loss })
    if (r.gradNorm) body.output('loop/grad_norm', dtype, [], { from: r.gradNorm })
    const nCarried = paramIn.length + stateIn.length + carryIn.length
    const nOut = nCarried + 1 + (r.gradNorm ? 1 : 0)
    const outs = g.node('Loop', [g.constant(tensor.int64([K], []), 'trip_count'), g.constBool(true, 'keep_going'), ...paramIn, ...stateIn, ...carryIn], { body }, nOut)
    io.params.forEach((p, i) => g.output(p.output, dtype, p.shape, { from: outs[i]! }))
    io.state.forEach((s, i) => g.output(s.output, dtype, s.shape, { from: outs[paramIn.length + i]! }))
    io.carry.forEach((c, i) => g.output(c.output, c.type, c.shape, { from: outs[paramIn.length + stateIn.length + i]! }))
    g.output(io.loss, dtype, [K], { from: outs[nCarried]! })
    if (r.gradNorm) io.gradNorm = g.output('grad_norm', dtype, [K], { from: outs[nOut - 1]! })
  }

  const metadata: Record<string, string> = {
    ...opts.metadata,
    program: 'train_step',
    optimiser: JSON.stringify(opts.optimiser),
    steps_per_run: String(K ?? 1),
    dtype
  }
  return { model: buildModel({ graph: g, metadata }), io, dtype, optimiser: opts.optimiser }
}

// ---------------------------------------------------------------------------------------------
// Runner

export type FloatArray = Float32Array | Float64Array
export type BatchArray = Float32Array | Float64Array | BigInt64Array | Int32Array

export interface TrainStepInit {
  /** Initial parameter values by name (copied). */
  params: Readonly<Record<string, FloatArray | readonly number[]>>
  /** Optimiser state by `name.slot` (copied); missing slots start at zero. */
  state?: Readonly<Record<string, FloatArray | readonly number[]>>
  /** Steps already taken (for resuming: Adam's bias correction depends on it). Default 0. */
  stepsTaken?: number
  /** Initial carried values by name (copied); missing ones start at zero. */
  carry?: Readonly<Record<string, FloatArray | readonly number[]>>
}

export interface TrainStepRunResult {
  /** The loss of each step in this run (before that step's update). */
  loss: number[]
  /** Global gradient norm before clipping per step, when clipping is on. */
  gradNorm: number[] | null
}

function toFloat(dtype: FloatType, data: FloatArray | readonly number[]): FloatArray {
  return dtype === 'float64' ? Float64Array.from(data as ArrayLike<number>) : Float32Array.from(data as ArrayLike<number>)
}

function floatTensor(dtype: FloatType, data: FloatArray, dims: readonly number[]): EngineTensor {
  return dtype === 'float64' ? { type: 'float64', data: data as Float64Array, dims } : { type: 'float32', data: data as Float32Array, dims }
}

const BATCH_ARRAYS: Partial<Record<ElemType, new (n: number) => BatchArray>> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array
}

/**
 * Holds parameters and optimiser state across runs of a train-step program and feeds each run's
 * outputs into the next. It owns its session (not the shared cache, whose eviction could release
 * a session a long training job still uses).
 *
 * EngineSession.run has no pre-allocated outputs (fetches), so ping-pong output buffers are not
 * used: each run returns fresh arrays that become the next run's feeds without a copy.
 */
export class TrainStepRunner {
  private params: Map<string, FloatArray>
  private state: Map<string, FloatArray>
  private carry: Map<string, FloatArray>
  private taken: number

  private constructor(
    readonly program: TrainStepProgram,
    private readonly session: EngineSession,
    readonly provider: string,
    init: TrainStepInit
  ) {
    const { io, dtype } = program
    this.params = new Map(
      io.params.map((p) => {
        const v = init.params[p.name]
        if (!v) throw new RangeError(`runner: no initial value for parameter '${p.name}'`)
        if (v.length !== numel(p.shape)) {
          throw new RangeError(`runner: parameter '${p.name}' has ${v.length} values, shape [${p.shape.join(',')}] needs ${numel(p.shape)}`)
        }
        return [p.name, toFloat(dtype, v)]
      })
    )
    this.state = new Map(
      io.state.map((s) => {
        const v = init.state?.[s.input]
        if (v && v.length !== numel(s.shape)) throw new RangeError(`runner: state '${s.input}' has ${v.length} values, needs ${numel(s.shape)}`)
        return [s.input, v ? toFloat(dtype, v) : toFloat(dtype, new Float64Array(numel(s.shape)))]
      })
    )
    for (const c of io.carry) if (c.type !== dtype) throw new RangeError(`runner: carried '${c.name}' must be ${dtype}`)
    this.carry = new Map()
    this.setCarry(init.carry ?? {})
    const taken = init.stepsTaken ?? 0
    if (!Number.isInteger(taken) || taken < 0) throw new RangeError(`runner: stepsTaken must be a non-negative integer, got ${taken}`)
    this.taken = taken
  }

  static async create(program: TrainStepProgram, init: TrainStepInit, opts: CreateSessionOptions = {}): Promise<TrainStepRunner> {
    const created = await createSession(program.model, opts)
    try {
      return new TrainStepRunner(program, created.session, created.provider, init)
    } catch (err) {
      await created.session.release()
      throw err
    }
  }

  /** Steps taken so far (the next run starts at step stepsTaken + 1). */
  get stepsTaken(): number {
    return this.taken
  }

  /**
   * Runs one step (single-step program) or K steps (Loop program). `batch` holds each batch input
   * ([K, …] for a Loop program); `lr` is one rate, or K rates for a Loop program.
   */
  async run(batch: Readonly<Record<string, BatchArray>>, lr: number | readonly number[]): Promise<TrainStepRunResult> {
    const { io, dtype } = this.program
    const K = io.steps ?? 1
    const rates = typeof lr === 'number' ? new Array<number>(K).fill(lr) : [...lr]
    if (rates.length !== K || !rates.every((r) => Number.isFinite(r) && r >= 0)) {
      throw new RangeError(`runner: lr must be ${K === 1 ? 'a non-negative number' : `a number or ${K} non-negative numbers`}`)
    }
    const feeds: Record<string, EngineTensor> = {
      [io.lr]: floatTensor(dtype, toFloat(dtype, rates), io.steps === null ? [] : [K]),
      [io.step]: { type: 'int64', data: BigInt64Array.of(BigInt(this.taken + 1)), dims: [] }
    }
    for (const p of io.params) feeds[p.input] = floatTensor(dtype, this.params.get(p.name)!, p.shape)
    for (const s of io.state) feeds[s.input] = floatTensor(dtype, this.state.get(s.input)!, s.shape)
    for (const c of io.carry) feeds[c.input] = floatTensor(dtype, this.carry.get(c.name)!, c.shape)
    for (const b of io.batch) {
      const v = batch[b.name]
      const ctor = BATCH_ARRAYS[b.type]
      if (!v) throw new RangeError(`runner: missing batch input '${b.name}'`)
      if (!ctor || !(v instanceof ctor)) throw new TypeError(`runner: batch input '${b.name}' must be a ${b.type} array`)
      if (v.length !== numel(b.shape)) {
        throw new RangeError(`runner: batch input '${b.name}' has ${v.length} values, shape [${b.shape.join(',')}] needs ${numel(b.shape)}`)
      }
      feeds[b.input] = { type: b.type, data: v, dims: b.shape } as EngineTensor
    }
    const out = await this.session.run(feeds)
    for (const p of io.params) this.params.set(p.name, out[p.output]!.data as FloatArray)
    for (const s of io.state) this.state.set(s.input, out[s.output]!.data as FloatArray)
    for (const c of io.carry) this.carry.set(c.name, out[c.output]!.data as FloatArray)
    this.taken += K
    return {
      loss: Array.from(out[io.loss]!.data as FloatArray),
      gradNorm: io.gradNorm ? Array.from(out[io.gradNorm]!.data as FloatArray) : null
    }
  }

  /** The carried values after the last run (copies). */
  getCarry(): Record<string, FloatArray> {
    return Object.fromEntries([...this.carry].map(([k, v]) => [k, v.slice()]))
  }

  /** Sets carried values by name (copied); the ones not named are zeroed (a reset). */
  setCarry(values: Readonly<Record<string, FloatArray | readonly number[]>>): void {
    const { io, dtype } = this.program
    for (const name of Object.keys(values)) if (!io.carry.some((c) => c.name === name)) throw new RangeError(`runner: no carried input '${name}'`)
    for (const c of io.carry) {
      const v = values[c.name]
      if (v && v.length !== numel(c.shape)) throw new RangeError(`runner: carried '${c.name}' has ${v.length} values, shape [${c.shape.join(',')}] needs ${numel(c.shape)}`)
      this.carry.set(c.name, toFloat(dtype, v ?? new Float64Array(numel(c.shape))))
    }
  }

  /** Current parameter values (copies). */
  getParams(): Record<string, FloatArray> {
    return Object.fromEntries([...this.params].map(([k, v]) => [k, v.slice()]))
  }

  /** Flat state dict: parameters by name, optimiser state by `name.slot`, and `step` (steps taken). */
  stateDict(): Record<string, { dims: readonly number[]; data: FloatArray | Float64Array }> {
    const out: Record<string, { dims: readonly number[]; data: FloatArray | Float64Array }> = {}
    for (const p of this.program.io.params) out[p.name] = { dims: p.shape, data: this.params.get(p.name)!.slice() }
    for (const s of this.program.io.state) out[s.input] = { dims: s.shape, data: this.state.get(s.input)!.slice() }
    out.step = { dims: [], data: Float64Array.of(this.taken) }
    return out
  }

  release(): Promise<void> {
    return this.session.release()
  }
}

// ---------------------------------------------------------------------------------------------
// Export

export interface ExportForwardOptions {
  forward: ForwardFn
  /** Trained parameters, embedded as initialisers. */
  params: readonly (ParamSpec & { value: FloatArray | readonly number[] })[]
  /** Model inputs; symbolic dims (e.g. 'batch') make them dynamic. Inputs only the loss reads (targets) are dropped. */
  inputs: readonly BatchSpec[]
  /** Which of the forward's named outputs to expose (default: all of them). */
  outputs?: readonly string[]
  dtype?: FloatType
  name?: string
  metadata?: Record<string, string>
  docString?: string
}

/** Names a subgraph reads (a superset of its outer-scope references: names are unique model-wide). */
function subgraphReads(graph: OnnxProto.IGraphProto, into: Set<string>): void {
  for (const node of graph.node ?? []) {
    for (const i of node.input ?? []) if (i) into.add(i)
    for (const a of node.attribute ?? []) {
      if (a.g) subgraphReads(a.g, into)
      for (const sg of a.graphs ?? []) subgraphReads(sg, into)
    }
  }
}

/** Drops nodes, inputs and initialisers that no graph output depends on (the loss branch of an export). */
export function pruneGraph(graph: OnnxProto.IGraphProto): OnnxProto.IGraphProto {
  const needed = new Set((graph.output ?? []).map((o) => o.name ?? ''))
  const kept: OnnxProto.INodeProto[] = []
  const nodes = graph.node ?? []
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!
    if (!(node.output ?? []).some((o) => needed.has(o))) continue
    kept.push(node)
    for (const i of node.input ?? []) if (i) needed.add(i)
    for (const a of node.attribute ?? []) {
      if (a.g) subgraphReads(a.g, needed)
      for (const sg of a.graphs ?? []) subgraphReads(sg, needed)
    }
  }
  return {
    ...graph,
    node: kept.reverse(),
    input: (graph.input ?? []).filter((i) => needed.has(i.name ?? '')),
    initializer: (graph.initializer ?? []).filter((i) => needed.has(i.name ?? ''))
  }
}

/**
 * A standalone forward-only model from the training forward function: parameters embedded as
 * initialisers, the chosen named outputs as graph outputs, the loss branch pruned away.
 */
export function exportForwardModel(opts: ExportForwardOptions): Uint8Array {
  const dtype = opts.dtype ?? 'float32'
  checkNames(opts.params, opts.inputs)
  const g = new GraphBuilder(opts.name ?? 'forward')
  const t = new Tape(g, { dtype })
  const params = Object.fromEntries(
    opts.params.map((p) => {
      if (p.value.length !== numel(p.shape)) throw new RangeError(`export: parameter '${p.name}' has ${p.value.length} values, needs ${numel(p.shape)}`)
      const data = p.value as ArrayLike<number>
      const value = dtype === 'float64' ? tensor.float64(Float64Array.from(data), p.shape) : tensor.float32(Float32Array.from(data), p.shape)
      return [p.name, t.initializer(p.name, value)]
    })
  )
  const inputs = Object.fromEntries(opts.inputs.map((b) => [b.name, t.input(b.name, b.shape, b.type ?? dtype)]))
  const result = normaliseForward(opts.forward(t, params, inputs))
  const available = result.outputs ?? {}
  const chosen = opts.outputs ?? Object.keys(available)
  if (chosen.length === 0) throw new RangeError('export: the forward function names no outputs (return { loss, outputs })')
  for (const key of chosen) {
    const value = available[key]
    if (!value) throw new RangeError(`export: the forward function has no output '${key}'`)
    // Dims the tape could not name get their own symbolic names.
    const shape = t.shape(value).map((d, i) => (d === UNKNOWN_DIM ? `${key}_dim${i}` : d))
    g.output(key, t.type(value), shape, { from: value })
  }
  const graph = pruneGraph(g.build())
  const kept = (graph.input ?? []).map((i) => i.name ?? '')
  const facts: Record<string, string> = {
    inputs: kept.join(','),
    outputs: chosen.join(','),
    parameters: opts.params.map((p) => p.name).join(','),
    weights_embedded: 'true',
    dtype
  }
  const docString = opts.docString ?? `Forward pass; inputs ${kept.join(', ')}; outputs ${chosen.join(', ')}.`
  graph.docString = docString
  return buildModel({ graph, metadata: { ...opts.metadata, ...facts }, docString })
}
