// Float64 plain-JS reference of the optimiser step, written from torch.optim's formulas (not from the graph) to check the graph against.
import { optimiserSlots, resolveOptimiser, type OptimiserConfig, type StateSlot } from './optimiser'

export type SlotState = Partial<Record<StateSlot, Float64Array>>

export interface ReferenceStepResult {
  params: Float64Array[]
  state: SlotState[]
  /** Global gradient norm before clipping, when clipping is on. */
  gradNorm: number | null
}

/** Zero state for each parameter size (torch creates it lazily; zeros give the same first step). */
export function zeroOptimiserState(cfg: OptimiserConfig, sizes: readonly number[]): SlotState[] {
  const slots = optimiserSlots(cfg)
  return sizes.map((n) => Object.fromEntries(slots.map((s) => [s, new Float64Array(n)])) as SlotState)
}

/**
 * One step of the configured optimiser on copies of `params` and `state`. `step` is 1-based
 * (torch's state['step'] after its increment); `decay[i]` false exempts parameter i from weight decay.
 */
export function referenceOptimiserStep(
  cfg: OptimiserConfig,
  params: readonly Float64Array[],
  grads: readonly Float64Array[],
  state: readonly SlotState[],
  lr: number,
  step: number,
  decay?: readonly boolean[]
): ReferenceStepResult {
  const o = resolveOptimiser(cfg)
  let gs = grads.map((g) => Float64Array.from(g))
  let gradNorm: number | null = null
  if (o.maxGradNorm !== null) {
    // torch.nn.utils.clip_grad_norm_: norm of the per-tensor norms.
    let sq = 0
    for (const g of gs) {
      let s = 0
      for (const v of g) s += v * v
      const n = Math.sqrt(s)
      sq += n * n
    }
    gradNorm = Math.sqrt(sq)
    const coef = Math.min(o.maxGradNorm / (gradNorm + 1e-6), 1)
    gs = gs.map((g) => g.map((v) => v * coef))
  }
  const outParams: Float64Array[] = []
  const outState: SlotState[] = []
  params.forEach((p0, i) => {
    const p = Float64Array.from(p0)
    const g = gs[i]!
    const st = state[i] ?? {}
    const decays = o.weightDecay > 0 && (decay?.[i] ?? true)
    const next: SlotState = {}
    if (decays && o.decoupledWeightDecay) {
      const scale = 1 - lr * o.weightDecay
      for (let j = 0; j < p.length; j++) p[j] = p[j]! * scale
    }
    if (decays && !o.decoupledWeightDecay) for (let j = 0; j < p.length; j++) g[j] = g[j]! + o.weightDecay * p[j]!
    if (o.method === 'sgd') {
      let d = g
      if (o.momentum > 0) {
        const prev = st.momentum_buffer ?? new Float64Array(p.length)
        // torch: the buffer starts as a clone of the first gradient, then buf·β + (1 − dampening)·g.
        const buf = step === 1 ? Float64Array.from(g) : prev.map((b, j) => b * o.momentum + (1 - o.dampening) * g[j]!)
        next.momentum_buffer = buf
        d = o.nesterov ? g.map((v, j) => v + o.momentum * buf[j]!) : buf
      }
      for (let j = 0; j < p.length; j++) p[j] = p[j]! - lr * d[j]!
    } else {
      const m = Float64Array.from(st.exp_avg ?? new Float64Array(p.length))
      const v = Float64Array.from(st.exp_avg_sq ?? new Float64Array(p.length))
      const bc1 = 1 - Math.pow(o.beta1, step)
      const bc2 = 1 - Math.pow(o.beta2, step)
      const stepSize = lr / bc1
      const bc2Sqrt = Math.sqrt(bc2)
      for (let j = 0; j < p.length; j++) {
        m[j] = m[j]! * o.beta1 + (1 - o.beta1) * g[j]!
        v[j] = v[j]! * o.beta2 + (1 - o.beta2) * g[j]! * g[j]!
        const denom = Math.sqrt(v[j]!) / bc2Sqrt + o.eps
        p[j] = p[j]! - (stepSize * m[j]!) / denom
      }
      next.exp_avg = m
      next.exp_avg_sq = v
    }
    outParams.push(p)
    outState.push(next)
  })
  return { params: outParams, state: outState, gradNorm }
}
