// Typed ONNX graph builder over onnx-proto: values, constants, nodes, subgraphs, model encoding.
import { onnx, type OnnxProto } from './proto'
import { DTYPES, ELEM_TYPES, type ElemType } from '../../shared/dtypes'

/** Element types the engine emits (the shared dtype table). Names follow ORT's tensor type strings. */
export type { ElemType }

/** A dimension: a fixed size, or a symbolic name such as 'batch' (dynamic). */
export type Dim = number | string

/** `null` declares a value of unknown rank; the onnx 1.12 checker rejects that on main-graph inputs and outputs. */
export type Shape = readonly Dim[] | null

export type TensorData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array
  | readonly number[]
  | readonly bigint[]
  | readonly boolean[]

/** A constant tensor; `dims` [] is a scalar. */
export interface TensorValue {
  type: ElemType
  dims: readonly number[]
  data: TensorData
}

/** ONNX TensorProto.DataType of each element type (for value infos, initialisers, Cast's `to`, `dtype` attributes). */
export const DATA_TYPE = Object.fromEntries(ELEM_TYPES.map((t) => [t, onnx.TensorProto.DataType[DTYPES[t].onnx]])) as Record<ElemType, number>

/** Constructors for constant tensors; `dims` defaults to a 1-D tensor of the data's length. */
export const tensor = {
  float32: (data: Float32Array | readonly number[], dims?: readonly number[]): TensorValue => ({
    type: 'float32',
    dims: dims ?? [data.length],
    data
  }),
  float64: (data: Float64Array | readonly number[], dims?: readonly number[]): TensorValue => ({
    type: 'float64',
    dims: dims ?? [data.length],
    data
  }),
  int64: (data: BigInt64Array | readonly (number | bigint)[], dims?: readonly number[]): TensorValue => ({
    type: 'int64',
    dims: dims ?? [data.length],
    data: data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v))
  }),
  int32: (data: Int32Array | readonly number[], dims?: readonly number[]): TensorValue => ({
    type: 'int32',
    dims: dims ?? [data.length],
    data
  }),
  bool: (data: readonly boolean[] | Uint8Array, dims?: readonly number[]): TensorValue => ({
    type: 'bool',
    dims: dims ?? [data.length],
    data
  })
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1)
}

/** Encode a constant as a TensorProto. Numeric data goes in raw_data (compact for large weights). */
export function tensorProto(name: string, value: TensorValue): OnnxProto.ITensorProto {
  const count = elementCount(value.dims)
  if (value.data.length !== count) {
    throw new RangeError(`tensor '${name}': ${value.data.length} values for dims [${value.dims.join(',')}]`)
  }
  const proto: OnnxProto.ITensorProto = { name, dims: [...value.dims], dataType: DATA_TYPE[value.type] }
  if (value.type === 'bool') {
    // ORT and the onnx checker both accept bool in int32_data; this avoids byte-layout doubts.
    proto.int32Data = Array.from(value.data as ArrayLike<unknown>, (v) => (v ? 1 : 0))
    return proto
  }
  proto.rawData = rawBytes(value)
  return proto
}

function rawBytes(value: TensorValue): Uint8Array {
  if (value.type === 'bool') throw new TypeError('no raw encoding for bool')
  const d = value.data
  const { array } = DTYPES[value.type]
  // Typed arrays of the right kind go as they are; plain arrays are converted (BigInt for int64).
  const typed: ArrayBufferView =
    d instanceof array
      ? d
      : value.type === 'int64'
        ? BigInt64Array.from(d as readonly (number | bigint)[], (v) => BigInt(v))
        : (array as { from(values: ArrayLike<number>): ArrayBufferView }).from(d as readonly number[])
  // ONNX raw_data is little-endian; so is every platform Engram ships on. Copy so the proto
  // does not alias (and later see mutations of) the caller's buffer.
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength).slice()
}

// ---------------------------------------------------------------------------------------------
// Attributes

const FLOAT_ATTR = Symbol('float-attr')

/** Marks a number (or numbers) as a FLOAT attribute even when it is integer-valued. */
export interface FloatAttr {
  readonly [FLOAT_ATTR]: true
  readonly value: number | readonly number[]
}

export function f32(value: number | readonly number[]): FloatAttr {
  return { [FLOAT_ATTR]: true, value }
}

export type AttrValue =
  | number
  | bigint
  | string
  | boolean
  | FloatAttr
  | readonly number[]
  | readonly string[]
  | TensorValue
  | GraphBuilder
  | OnnxProto.IGraphProto

/**
 * Attributes that the ONNX schemas type as FLOAT/FLOATS. A JS number like 1 or 0 would otherwise
 * be encoded as INT, which ORT rejects (or, worse, reads as a missing attribute with a default).
 */
const FLOAT_ATTRS: Record<string, readonly string[]> = {
  Gemm: ['alpha', 'beta'],
  LeakyRelu: ['alpha'],
  Elu: ['alpha'],
  Celu: ['alpha'],
  Selu: ['alpha', 'gamma'],
  ThresholdedRelu: ['alpha'],
  HardSigmoid: ['alpha', 'beta'],
  Shrink: ['bias', 'lambd'],
  LRN: ['alpha', 'beta', 'bias'],
  BatchNormalization: ['epsilon', 'momentum'],
  InstanceNormalization: ['epsilon'],
  LayerNormalization: ['epsilon'],
  RandomUniform: ['low', 'high', 'seed'],
  RandomUniformLike: ['low', 'high', 'seed'],
  RandomNormal: ['mean', 'scale', 'seed'],
  RandomNormalLike: ['mean', 'scale', 'seed'],
  Bernoulli: ['seed'],
  Multinomial: ['seed'],
  LSTM: ['activation_alpha', 'activation_beta', 'clip'],
  GRU: ['activation_alpha', 'activation_beta', 'clip'],
  RNN: ['activation_alpha', 'activation_beta', 'clip'],
  Constant: ['value_float', 'value_floats']
}

const AT = onnx.AttributeProto.AttributeType
const textEncoder = new TextEncoder()

function isTensorValue(v: unknown): v is TensorValue {
  return typeof v === 'object' && v !== null && 'type' in v && 'dims' in v && 'data' in v
}

function isFloatAttr(v: unknown): v is FloatAttr {
  return typeof v === 'object' && v !== null && FLOAT_ATTR in v
}

function attributeProto(opType: string, name: string, value: AttrValue): OnnxProto.IAttributeProto {
  const forceFloat = FLOAT_ATTRS[opType]?.includes(name) ?? false
  if (isFloatAttr(value)) {
    return Array.isArray(value.value)
      ? { name, type: AT.FLOATS, floats: [...(value.value as number[])] }
      : { name, type: AT.FLOAT, f: value.value as number }
  }
  if (typeof value === 'number') {
    return forceFloat || !Number.isInteger(value) ? { name, type: AT.FLOAT, f: value } : { name, type: AT.INT, i: value }
  }
  if (typeof value === 'bigint') return { name, type: AT.INT, i: Number(value) }
  if (typeof value === 'boolean') return { name, type: AT.INT, i: value ? 1 : 0 }
  if (typeof value === 'string') return { name, type: AT.STRING, s: textEncoder.encode(value) }
  if (value instanceof GraphBuilder) return { name, type: AT.GRAPH, g: value.build() }
  if (isTensorValue(value)) return { name, type: AT.TENSOR, t: tensorProto(name, value) }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      return { name, type: AT.STRINGS, strings: (value as string[]).map((s) => textEncoder.encode(s)) }
    }
    const nums = value as number[]
    return forceFloat || nums.some((v) => !Number.isInteger(v))
      ? { name, type: AT.FLOATS, floats: [...nums] }
      : { name, type: AT.INTS, ints: [...nums] }
  }
  // Anything left is an already-built GraphProto.
  return { name, type: AT.GRAPH, g: value as OnnxProto.IGraphProto }
}

// ---------------------------------------------------------------------------------------------
// Graphs

export interface NodeOptions {
  /** Node name; defaults to `<scope>/<OpType>_<k>`. */
  name?: string
  /** Names for the outputs (else generated from the op type). */
  outputs?: readonly string[]
  domain?: string
  docString?: string
}

/** Names are shared by a graph and all its subgraphs: ONNX forbids a subgraph shadowing an outer name. */
class NameAllocator {
  private readonly used = new Set<string>()
  private readonly counters = new Map<string, number>()

  claim(name: string): string {
    if (this.used.has(name)) throw new Error(`duplicate ONNX name '${name}'`)
    this.used.add(name)
    return name
  }

  fresh(hint: string): string {
    let k = this.counters.get(hint) ?? 0
    let name: string
    do name = `${hint}_${k++}`
    while (this.used.has(name))
    this.counters.set(hint, k)
    this.used.add(name)
    return name
  }
}

function valueInfo(name: string, elemType: ElemType, shape: Shape, docString?: string): OnnxProto.IValueInfoProto {
  const tensorType: OnnxProto.TypeProto.ITensor = { elemType: DATA_TYPE[elemType] }
  if (shape !== null) {
    tensorType.shape = { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }
  }
  const info: OnnxProto.IValueInfoProto = { name, type: { tensorType } }
  if (docString) info.docString = docString
  return info
}

export class GraphBuilder {
  private readonly inputs: OnnxProto.IValueInfoProto[] = []
  private readonly outputs: OnnxProto.IValueInfoProto[] = []
  private readonly initializers: OnnxProto.ITensorProto[] = []
  private readonly nodes: OnnxProto.INodeProto[] = []
  private readonly names: NameAllocator
  docString = ''

  /** `parent` makes this a subgraph (Loop/If/Scan body) sharing the parent's namespace. */
  constructor(
    readonly name: string,
    parent?: GraphBuilder
  ) {
    this.names = parent?.names ?? new NameAllocator()
  }

  /** A subgraph (Loop/If/Scan body) that may read this graph's values by name. */
  subgraph(name: string): GraphBuilder {
    return new GraphBuilder(name, this)
  }

  /** Declares a graph input and returns its value name. */
  input(name: string, elemType: ElemType, shape: Shape, docString?: string): string {
    this.inputs.push(valueInfo(this.names.claim(name), elemType, shape, docString))
    return name
  }

  /**
   * Declares a graph output. `from` is the value to expose; an Identity is inserted because a
   * graph output needs its own name (it may not reuse an input's name, and a Loop body output
   * may not be a body input passed straight through on every runtime).
   */
  output(name: string, elemType: ElemType, shape: Shape, opts: { from?: string; docString?: string } = {}): string {
    if (opts.from !== undefined && opts.from !== name) {
      this.node('Identity', [opts.from], {}, { outputs: [name], name: `${this.name}/output_${name}` })
    }
    this.outputs.push(valueInfo(name, elemType, shape, opts.docString))
    return name
  }

  /** A graph initializer (a named constant; for an exported model's weights). */
  initializer(name: string, value: TensorValue): string {
    this.initializers.push(tensorProto(this.names.claim(name), value))
    return name
  }

  /** A Constant node; `hint` names the value. */
  constant(value: TensorValue, hint = 'const'): string {
    const out = this.names.fresh(hint)
    this.nodes.push({
      opType: 'Constant',
      name: this.names.fresh(`${this.name}/Constant`),
      input: [],
      output: [out],
      attribute: [attributeProto('Constant', 'value', value)]
    })
    return out
  }

  /** Scalar and 1-D constant shorthands. */
  constFloat(values: number | readonly number[], hint = 'c'): string {
    return typeof values === 'number'
      ? this.constant(tensor.float32([values], []), hint)
      : this.constant(tensor.float32(values), hint)
  }

  constInt64(values: number | readonly number[], hint = 'i'): string {
    return typeof values === 'number'
      ? this.constant(tensor.int64([values], []), hint)
      : this.constant(tensor.int64(values), hint)
  }

  constBool(value: boolean, hint = 'b'): string {
    return this.constant(tensor.bool([value], []), hint)
  }

  /** Adds a node and returns its single output's name, or all `nOutputs` names. Use '' to skip an optional input. */
  node(opType: string, inputs: readonly string[], attrs?: Record<string, AttrValue>, opts?: NodeOptions): string
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> | undefined,
    nOutputs: number,
    opts?: NodeOptions
  ): string[]
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    nOrOpts?: number | NodeOptions,
    maybeOpts?: NodeOptions
  ): string | string[] {
    const many = typeof nOrOpts === 'number'
    const opts = (many ? maybeOpts : nOrOpts) ?? {}
    const count = many ? nOrOpts : (opts.outputs?.length ?? 1)
    const hint = opType.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
    const outputs =
      opts.outputs?.map((n) => this.names.claim(n)) ?? Array.from({ length: count }, () => this.names.fresh(hint))
    const node: OnnxProto.INodeProto = {
      opType,
      name: opts.name !== undefined ? this.names.claim(opts.name) : this.names.fresh(`${this.name}/${opType}`),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attributeProto(opType, k, v))
    }
    if (opts.domain) node.domain = opts.domain
    if (opts.docString) node.docString = opts.docString
    this.nodes.push(node)
    return many ? outputs : outputs[0]!
  }

  build(): OnnxProto.IGraphProto {
    const graph: OnnxProto.IGraphProto = {
      name: this.name,
      node: [...this.nodes],
      input: [...this.inputs],
      output: [...this.outputs],
      initializer: [...this.initializers]
    }
    if (this.docString) graph.docString = this.docString
    return graph
  }
}

// ---------------------------------------------------------------------------------------------
// Models

/** opset 17 / IR 8: the newest pair the onnx 1.12 checker validates fully (ENGINE-NOTES.md). */
export const DEFAULT_OPSET = 17
export const DEFAULT_IR_VERSION = 8

export interface BuildModelOptions {
  graph: GraphBuilder | OnnxProto.IGraphProto
  opset?: number
  irVersion?: number
  producer?: string
  producerVersion?: string
  domain?: string
  modelVersion?: number
  metadata?: Record<string, string>
  docString?: string
}

/** Encodes a ModelProto. */
export function buildModel(opts: BuildModelOptions): Uint8Array {
  const graph = opts.graph instanceof GraphBuilder ? opts.graph.build() : opts.graph
  const model: OnnxProto.IModelProto = {
    irVersion: opts.irVersion ?? DEFAULT_IR_VERSION,
    opsetImport: [{ domain: '', version: opts.opset ?? DEFAULT_OPSET }],
    producerName: opts.producer ?? 'engram',
    graph,
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => {
      if (typeof value !== 'string') throw new TypeError(`metadata '${key}' must be a string`)
      return { key, value }
    })
  }
  if (opts.producerVersion) model.producerVersion = opts.producerVersion
  if (opts.domain) model.domain = opts.domain
  if (opts.modelVersion !== undefined) model.modelVersion = opts.modelVersion
  if (opts.docString) model.docString = opts.docString
  return onnx.ModelProto.encode(model).finish()
}

/** Decodes a ModelProto (for inspection and tests). */
export function decodeModel(bytes: Uint8Array): OnnxProto.ModelProto {
  return onnx.ModelProto.decode(bytes)
}

/** The model's metadata_props as a plain record. */
export function readModelMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {}
  for (const { key, value } of decodeModel(bytes).metadataProps) out[key ?? ''] = value ?? ''
  return out
}
