// In-graph optimisers as settings of one update function (torch.optim semantics): SGD, momentum, Nesterov, Adam, AdamW, clipping.
//
// Conventions (all as in torch 1.13 / 2.x, single-tensor path):
// - `step` is an int64 graph input: the 1-based number of the step being taken (torch's
//   state['step'] after its increment). Adam's bias corrections 1 − βᵏ are computed from it.
// - `lr` is a graph input, so schedules live in JS; AdamW's decay uses the same per-step lr.
// - Weight decay is L2 (g ← g + wd·p, added to the gradient) unless `decoupledWeightDecay`, which
//   scales the parameter first (p ← p·(1 − lr·wd), AdamW). Parameters with decay: false skip it.
// - Global-norm clipping happens before weight decay and momentum, as torch.nn.utils.clip_grad_norm_
//   followed by optimizer.step(): coef = min(1, maxGradNorm / (‖g‖ + 1e-6)), ‖g‖ = ‖(‖g₁‖, ‖g₂‖, …)‖.
// - SGD momentum: torch starts the buffer at the first gradient; with the buffer fed as zeros that
//   equals β·0 + (1 − dampening)·g only when dampening is 0, so with dampening the first step
//   (step == 1) selects g explicitly.
import type { FloatType } from '../autodiff/tape'
import { tensor, type GraphBuilder } from '../onnx/builder'

export interface OptimiserConfig {
  /** 'sgd' covers plain SGD, momentum and Nesterov; 'adam' covers Adam and AdamW. */
  method: 'sgd' | 'adam'
  /** SGD momentum β (0: none). */
  momentum?: number
  /** SGD dampening (torch default 0). */
  dampening?: number
  /** Nesterov momentum (needs momentum > 0 and dampening 0, as in torch). */
  nesterov?: boolean
  /** Adam (β₁, β₂); default (0.9, 0.999). */
  betas?: readonly [number, number]
  /** Adam ε; default 1e-8. */
  eps?: number
  /** Weight decay coefficient (0: none). */
  weightDecay?: number
  /** Decoupled (AdamW-style) decay p ← p·(1 − lr·wd) instead of L2 on the gradient. */
  decoupledWeightDecay?: boolean
  /** Clip the global gradient norm to this value before the update. */
  maxGradNorm?: number
}

/** Optimiser state kept per parameter, named as in torch's optimizer.state. */
export type StateSlot = 'momentum_buffer' | 'exp_avg' | 'exp_avg_sq'

export interface ResolvedOptimiser {
  method: 'sgd' | 'adam'
  momentum: number
  dampening: number
  nesterov: boolean
  beta1: number
  beta2: number
  eps: number
  weightDecay: number
  decoupledWeightDecay: boolean
  maxGradNorm: number | null
}

export function sgd(opts: { momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number; maxGradNorm?: number } = {}): OptimiserConfig {
  return { method: 'sgd', ...opts }
}

export function adam(opts: { betas?: readonly [number, number]; eps?: number; weightDecay?: number; maxGradNorm?: number } = {}): OptimiserConfig {
  return { method: 'adam', ...opts }
}

/** Adam with decoupled weight decay; torch.optim.AdamW's default decay is 0.01. */
export function adamw(opts: { betas?: readonly [number, number]; eps?: number; weightDecay?: number; maxGradNorm?: number } = {}): OptimiserConfig {
  return { method: 'adam', weightDecay: 0.01, ...opts, decoupledWeightDecay: true }
}

function finite(name: string, v: number, lo: number, hi = Infinity, loOpen = false): number {
  if (!Number.isFinite(v) || v < lo || (loOpen && v === lo) || v > hi) {
    throw new RangeError(`optimiser: ${name} must be in ${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? '∞)' : `${hi}]`}, got ${v}`)
  }
  return v
}

/** Fills defaults and validates; throws a RangeError naming the bad field. */
export function resolveOptimiser(cfg: OptimiserConfig): ResolvedOptimiser {
  if (cfg.method !== 'sgd' && cfg.method !== 'adam') throw new RangeError(`optimiser: unknown method '${String(cfg.method)}'`)
  const r: ResolvedOptimiser = {
    method: cfg.method,
    momentum: finite('momentum', cfg.momentum ?? 0, 0),
    dampening: finite('dampening', cfg.dampening ?? 0, 0, 1),
    nesterov: cfg.nesterov ?? false,
    beta1: finite('betas[0]', cfg.betas?.[0] ?? 0.9, 0, 1),
    beta2: finite('betas[1]', cfg.betas?.[1] ?? 0.999, 0, 1),
    eps: finite('eps', cfg.eps ?? 1e-8, 0),
    weightDecay: finite('weightDecay', cfg.weightDecay ?? 0, 0),
    decoupledWeightDecay: cfg.decoupledWeightDecay ?? false,
    maxGradNorm: cfg.maxGradNorm === undefined ? null : finite('maxGradNorm', cfg.maxGradNorm, 0, Infinity, true)
  }
  if (r.method === 'adam' && (r.beta1 >= 1 || r.beta2 >= 1)) throw new RangeError('optimiser: Adam betas must be < 1')
  if (r.nesterov && (r.momentum <= 0 || r.dampening !== 0)) {
    throw new RangeError('optimiser: Nesterov momentum requires momentum > 0 and dampening 0')
  }
  return r
}

/** The state slots each parameter carries under this configuration. */
export function optimiserSlots(cfg: OptimiserConfig): StateSlot[] {
  const r = resolveOptimiser(cfg)
  if (r.method === 'adam') return ['exp_avg', 'exp_avg_sq']
  return r.momentum > 0 ? ['momentum_buffer'] : []
}

export interface UpdateItem {
  param: string
  grad: string
  /** Current state values by slot (every slot of optimiserSlots). */
  state: Readonly<Partial<Record<StateSlot, string>>>
  /** Apply weight decay to this parameter (default true; biases often opt out). */
  decay?: boolean
}

export interface UpdateResult {
  /** Updated parameter values, in item order. */
  params: string[]
  /** Updated state values per item, by slot. */
  state: Partial<Record<StateSlot, string>>[]
  /** Global gradient norm before clipping (only when maxGradNorm is set). */
  gradNorm: string | null
}

/**
 * Emits one optimiser step for all items into `g`. `lr` is a float scalar of `dtype`, `step` an
 * int64 scalar (1-based). Every variant is this one function with different settings.
 */
export function emitOptimiserStep(
  g: GraphBuilder,
  cfg: OptimiserConfig,
  dtype: FloatType,
  items: readonly UpdateItem[],
  lr: string,
  step: string
): UpdateResult {
  const o = resolveOptimiser(cfg)
  const slots = optimiserSlots(cfg)
  const consts = new Map<number, string>()
  const c = (v: number): string => {
    let name = consts.get(v)
    if (!name) {
      name = g.constant(dtype === 'float64' ? tensor.float64([v], []) : tensor.float32([v], []), 'opt_c')
      consts.set(v, name)
    }
    return name
  }
  for (const it of items) {
    for (const s of slots) if (!it.state[s]) throw new Error(`optimiser: '${it.param}' has no '${s}' state`)
  }

  let grads = items.map((it) => it.grad)
  let gradNorm: string | null = null
  if (o.maxGradNorm !== null) {
    // torch: total = ‖stack(‖gᵢ‖)‖; coef = max_norm / (total + 1e-6) clamped to ≤ 1, always multiplied.
    const squares = grads.map((gr) => {
      const n = g.node('Sqrt', [g.node('ReduceSum', [g.node('Mul', [gr, gr])], { keepdims: 0 })])
      return g.node('Mul', [n, n])
    })
    gradNorm = g.node('Sqrt', [squares.length === 1 ? squares[0]! : g.node('Sum', squares)])
    const coef = g.node('Min', [g.node('Div', [c(o.maxGradNorm), g.node('Add', [gradNorm, c(1e-6)])]), c(1)])
    grads = grads.map((gr) => g.node('Mul', [gr, coef]))
  }

  const stepF = g.node('Cast', [step], { to: dtype === 'float64' ? 11 : 1 })
  const firstStep = o.method === 'sgd' && o.momentum > 0 && o.dampening !== 0 ? g.node('Equal', [step, g.constant(tensor.int64([1], []), 'one_i')]) : null
  let adamScalars: { stepSize: string; bc2Sqrt: string } | null = null
  if (o.method === 'adam') {
    const bc1 = g.node('Sub', [c(1), g.node('Pow', [c(o.beta1), stepF])])
    const bc2 = g.node('Sub', [c(1), g.node('Pow', [c(o.beta2), stepF])])
    adamScalars = { stepSize: g.node('Div', [lr, bc1]), bc2Sqrt: g.node('Sqrt', [bc2]) }
  }
  const decoupledScale = o.weightDecay > 0 && o.decoupledWeightDecay ? g.node('Sub', [c(1), g.node('Mul', [lr, c(o.weightDecay)])]) : null

  const params: string[] = []
  const state: Partial<Record<StateSlot, string>>[] = []
  items.forEach((it, i) => {
    let p = it.param
    let gr = grads[i]!
    const decay = o.weightDecay > 0 && (it.decay ?? true)
    if (decay) {
      if (decoupledScale) p = g.node('Mul', [p, decoupledScale])
      else gr = g.node('Add', [gr, g.node('Mul', [p, c(o.weightDecay)])])
    }
    const next: Partial<Record<StateSlot, string>> = {}
    if (o.method === 'sgd') {
      let update = gr
      if (o.momentum > 0) {
        const fresh = o.dampening === 0 ? gr : g.node('Mul', [gr, c(1 - o.dampening)])
        let buf = g.node('Add', [g.node('Mul', [it.state.momentum_buffer!, c(o.momentum)]), fresh])
        if (firstStep) buf = g.node('Where', [firstStep, gr, buf])
        next.momentum_buffer = buf
        update = o.nesterov ? g.node('Add', [gr, g.node('Mul', [buf, c(o.momentum)])]) : buf
      }
      params.push(g.node('Sub', [p, g.node('Mul', [update, lr])]))
    } else {
      const m = g.node('Add', [g.node('Mul', [it.state.exp_avg!, c(o.beta1)]), g.node('Mul', [gr, c(1 - o.beta1)])])
      // torch's addcmul computes (value·g)·g, in that order.
      const v = g.node('Add', [g.node('Mul', [it.state.exp_avg_sq!, c(o.beta2)]), g.node('Mul', [g.node('Mul', [c(1 - o.beta2), gr]), gr])])
      next.exp_avg = m
      next.exp_avg_sq = v
      const { stepSize, bc2Sqrt } = adamScalars!
      const denom = g.node('Add', [g.node('Div', [g.node('Sqrt', [v]), bc2Sqrt]), c(o.eps)])
      // torch's addcdiv computes (value·m)/denom, in that order.
      params.push(g.node('Sub', [p, g.node('Div', [g.node('Mul', [stepSize, m]), denom])]))
    }
    state.push(next)
  })
  return { params, state, gradNorm }
}
