// Continuous modern Hopfield network: softmax retrieval, its energy, iteration to a fixed point, the three kinds of
// fixed point, each pattern's separation and the retrieval-error bound.
// Reference: Ramsauer et al. (2020), "Hopfield Networks is All You Need" (seeds/004; arXiv:2008.02217): energy eq. (2),
// update eq. (3), separation Δ_i and the well-separation condition (§2, 'pattern retrieval with one update'), the theorem
// 'exponentially small retrieval error'. Theorems are named, not numbered: the numbering differs between versions.
// Legend: N stored patterns x_i ∈ ℝ^d; storedPatterns [N, d] row-major (row i is x_i, so the paper's X (d × N) is its
// transpose); ξ state [d]; β > 0 inverse temperature; z = Xᵀξ [N] the scores; p = softmax(βz) [N] the retrieval
// weights; lse(β, z) = β⁻¹ ln Σ_i exp(β z_i); M = max_i ‖x_i‖; Δ_i = x_iᵀx_i − max_{j≠i} x_iᵀx_j.
//
// The energy E(ξ) = −lse(β, Xᵀξ) + ½ ξᵀξ + β⁻¹ ln N + ½ M² (issue 10 writes the first term as −β⁻¹ ln Σ exp(β x_iᵀξ),
// the same thing) lies in [0, 2M²] on the patterns' convex hull (every state after one update) and does not increase
// under the update ξ ← X p (the paper's CCCP argument).
// Softmax and lse shift by the largest score, so β·z of any size stays finite.

export interface ModernHopfieldMemory {
  /** N, the number of stored patterns. */
  count: number
  /** d, the dimension of a pattern (and of the state). */
  dim: number
  /** [N, d] row-major, row i = x_i. */
  storedPatterns: Float64Array
  /** β > 0. */
  beta: number
}

function checkBeta(beta: number, field = 'beta'): void {
  if (typeof beta !== 'number' || !Number.isFinite(beta) || !(beta > 0)) throw new RangeError(`${field} must be a finite number > 0, got ${beta}`)
}

/** A memory from N patterns of equal length d (arrays) or from an [N, d] row-major matrix. Values must be finite. */
export function modernHopfield(patterns: ArrayLike<number>[] | { data: ArrayLike<number>; count: number; dim: number }, beta: number): ModernHopfieldMemory {
  checkBeta(beta)
  let count: number
  let dim: number
  const storedPatterns = (() => {
    if (Array.isArray(patterns)) {
      count = patterns.length
      if (count === 0) throw new RangeError('storedPatterns: at least one pattern is needed')
      dim = patterns[0]!.length
      const out = new Float64Array(count * dim)
      patterns.forEach((p, i) => {
        if (p.length !== dim) throw new RangeError(`storedPatterns: pattern ${i} has length ${p.length}, expected ${dim}`)
        for (let k = 0; k < dim; k++) out[i * dim + k] = p[k]!
      })
      return out
    }
    const m = patterns as { data: ArrayLike<number>; count: number; dim: number }
    count = m.count
    dim = m.dim
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`)
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`)
    if (m.data.length !== count * dim) throw new RangeError(`storedPatterns has ${m.data.length} values, expected count·dim = ${count * dim}`)
    return Float64Array.from(m.data)
  })()
  if (dim! < 1) throw new RangeError('storedPatterns: patterns must have at least one component')
  for (let k = 0; k < storedPatterns.length; k++) {
    if (!Number.isFinite(storedPatterns[k]!)) throw new RangeError(`storedPatterns: pattern ${Math.floor(k / dim!)}, component ${k % dim!} is not finite (${storedPatterns[k]})`)
  }
  return { count: count!, dim: dim!, storedPatterns, beta }
}

/** ln Σ exp(z_i), shifted by max z so that no term overflows. */
export function logSumExp(z: ArrayLike<number>): number {
  let max = -Infinity
  for (let i = 0; i < z.length; i++) if (z[i]! > max) max = z[i]!
  if (max === -Infinity || max === Infinity) return max
  let s = 0
  for (let i = 0; i < z.length; i++) s += Math.exp(z[i]! - max)
  return max + Math.log(s)
}

/** The paper's lse(β, z) = β⁻¹ ln Σ exp(β z_i). */
export function lse(beta: number, z: ArrayLike<number>): number {
  checkBeta(beta)
  const bz = new Float64Array(z.length)
  for (let i = 0; i < z.length; i++) bz[i] = beta * z[i]!
  return logSumExp(bz) / beta
}

/** softmax(β z), shifted by max z. */
export function softmax(z: ArrayLike<number>, beta = 1, out = new Float64Array(z.length)): Float64Array {
  let max = -Infinity
  for (let i = 0; i < z.length; i++) if (z[i]! > max) max = z[i]!
  let s = 0
  for (let i = 0; i < z.length; i++) {
    const e = Math.exp(beta * (z[i]! - max))
    out[i] = e
    s += e
  }
  for (let i = 0; i < z.length; i++) out[i] = out[i]! / s
  return out
}

function checkState(mem: ModernHopfieldMemory, state: ArrayLike<number>, field = 'state'): void {
  if (state.length !== mem.dim) throw new RangeError(`${field} has length ${state.length}, expected ${mem.dim}`)
}

/** z = Xᵀξ: the scores of the state against every stored pattern. */
export function scores(mem: ModernHopfieldMemory, state: ArrayLike<number>): Float64Array {
  checkState(mem, state)
  const { count: n, dim: d, storedPatterns: x } = mem
  const z = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let k = 0; k < d; k++) s += x[i * d + k]! * state[k]!
    z[i] = s
  }
  return z
}

/** p = softmax(β Xᵀξ): the retrieval weights over the stored patterns. */
export function retrievalWeights(mem: ModernHopfieldMemory, state: ArrayLike<number>): Float64Array {
  return softmax(scores(mem, state), mem.beta)
}

/** One update ξ_new = X softmax(β Xᵀξ) (eq. 3), with the weights it used. */
export function update(mem: ModernHopfieldMemory, state: ArrayLike<number>): { state: Float64Array; weights: Float64Array } {
  const p = retrievalWeights(mem, state)
  const { count: n, dim: d, storedPatterns: x } = mem
  const next = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    const pi = p[i]!
    for (let k = 0; k < d; k++) next[k]! += pi * x[i * d + k]!
  }
  return { state: next, weights: p }
}

/** M = max_i ‖x_i‖. */
export function largestNorm(mem: ModernHopfieldMemory): number {
  let m = 0
  for (let i = 0; i < mem.count; i++) m = Math.max(m, Math.sqrt(dot(mem, i, i)))
  return m
}

/** E(ξ) = −lse(β, Xᵀξ) + ½ ξᵀξ + β⁻¹ ln N + ½ M² (eq. 2); 0 ≤ E ≤ 2M² on the patterns' convex hull. */
export function energy(mem: ModernHopfieldMemory, state: ArrayLike<number>): number {
  const z = scores(mem, state)
  let sq = 0
  for (let k = 0; k < mem.dim; k++) sq += state[k]! * state[k]!
  const m = largestNorm(mem)
  return -lse(mem.beta, z) + 0.5 * sq + Math.log(mem.count) / mem.beta + 0.5 * m * m
}

export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`distance: lengths differ (${a.length} and ${b.length})`)
  let s = 0
  for (let k = 0; k < a.length; k++) {
    const t = a[k]! - b[k]!
    s += t * t
  }
  return Math.sqrt(s)
}

export interface RetrieveOptions {
  /** Stop once an update moves the state by less than ε (Euclidean norm). ε ≥ 0; default 1e-4 (hopfield-layers' default). */
  epsilon?: number
  /** At most this many updates (integer ≥ 1); default 100. */
  maxSteps?: number
  /** Record the energy and move after every update (default true). */
  trace?: boolean
}

export interface RetrieveResult {
  state: Float64Array
  /** The retrieval weights of the last update. */
  weights: Float64Array
  /** Updates applied (the last one is the update that moved less than ε when converged). */
  steps: number
  converged: boolean
  /** energies[0] is the cue's energy, energies[t] the energy after update t. */
  energies: number[]
  /** moves[t−1] = ‖ξ_t − ξ_{t−1}‖. */
  moves: number[]
}

export function checkRetrieveOptions(opts: RetrieveOptions): { epsilon: number; maxSteps: number } {
  const epsilon = opts.epsilon ?? 1e-4
  const maxSteps = opts.maxSteps ?? 100
  if (typeof epsilon !== 'number' || Number.isNaN(epsilon) || epsilon < 0) throw new RangeError(`epsilon must be a number ≥ 0, got ${epsilon}`)
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`maxSteps must be an integer ≥ 1, got ${maxSteps}`)
  return { epsilon, maxSteps }
}

/**
 * Iterates ξ ← X softmax(β Xᵀξ) from the cue until an update moves the state by less than ε or maxSteps updates are
 * done (the paper's and hopfield-layers' rule). The returned state is the one after the last update.
 */
export function retrieve(mem: ModernHopfieldMemory, cue: ArrayLike<number>, opts: RetrieveOptions = {}): RetrieveResult {
  const { epsilon, maxSteps } = checkRetrieveOptions(opts)
  checkState(mem, cue, 'cue')
  const trace = opts.trace ?? true
  let state: Float64Array = Float64Array.from(cue)
  const energies = trace ? [energy(mem, state)] : []
  const moves: number[] = []
  let weights: Float64Array = new Float64Array(mem.count)
  let steps = 0
  let converged = false
  while (steps < maxSteps) {
    const u = update(mem, state)
    const move = distance(u.state, state)
    state = u.state
    weights = u.weights
    steps++
    if (trace) {
      energies.push(energy(mem, state))
      moves.push(move)
    }
    if (move < epsilon) {
      converged = true
      break
    }
  }
  return { state, weights, steps, converged, energies, moves }
}

export type FixedPointKind = 'global' | 'metastable' | 'single'

export interface ClassifyOptions {
  /**
   * τ in (0, 1): the share of the softmax mass allowed outside the patterns a fixed point is said to hold. Default 0.05.
   */
  massTolerance?: number
  /** ρ in (0, 1]: a global average needs every pattern to carry at least ρ/N of the mass. Default 0.5. */
  globalShare?: number
}

export interface FixedPointClass {
  kind: FixedPointKind
  /** The patterns the fixed point averages over, by decreasing weight: the fewest holding ≥ 1 − τ of the mass. */
  patterns: number[]
  weights: Float64Array
  /** exp(entropy of p): 1 for one pattern, N for the uniform average. */
  effectiveCount: number
}

/**
 * The kind of fixed point from its retrieval weights p = softmax(β Xᵀξ*) (Ramsauer et al. §2: "global fixed point
 * averaging over all patterns", "metastable states averaging over a subset", "fixed points which store a single
 * pattern"). Criterion: the subset S is the fewest patterns, by decreasing p_i, whose weights sum to ≥ 1 − τ.
 * single: |S| = 1 (one pattern holds all but τ of the mass); global: |S| > 1 and every pattern has p_i ≥ ρ/N (all of
 * them take part, none is negligible); metastable: otherwise (|S| > 1, some pattern all but left out).
 * With N = 1 the only fixed point is the pattern itself: single.
 */
export function classifyFixedPoint(mem: ModernHopfieldMemory, state: ArrayLike<number>, opts: ClassifyOptions = {}): FixedPointClass {
  const tau = opts.massTolerance ?? 0.05
  const rho = opts.globalShare ?? 0.5
  if (!(tau > 0 && tau < 1)) throw new RangeError(`massTolerance must be in (0, 1), got ${tau}`)
  if (!(rho > 0 && rho <= 1)) throw new RangeError(`globalShare must be in (0, 1], got ${rho}`)
  const p = retrievalWeights(mem, state)
  const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b)
  const patterns: number[] = []
  let mass = 0
  for (const i of order) {
    patterns.push(i)
    mass += p[i]!
    if (mass >= 1 - tau) break
  }
  let h = 0
  for (const v of p) if (v > 0) h -= v * Math.log(v)
  const n = mem.count
  let kind: FixedPointKind
  if (patterns.length === 1) kind = 'single'
  else if (p.every((v) => v >= rho / n)) kind = 'global'
  else kind = 'metastable'
  return { kind, patterns, weights: p, effectiveCount: Math.exp(h) }
}

function dot(mem: ModernHopfieldMemory, i: number, j: number): number {
  const { dim: d, storedPatterns: x } = mem
  let s = 0
  for (let k = 0; k < d; k++) s += x[i * d + k]! * x[j * d + k]!
  return s
}

/** Δ_i = x_iᵀx_i − max_{j≠i} x_iᵀx_j for every pattern (Def. 1); +∞ when N = 1. */
export function separations(mem: ModernHopfieldMemory): Float64Array {
  const n = mem.count
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let max = -Infinity
    for (let j = 0; j < n; j++) if (j !== i) max = Math.max(max, dot(mem, i, j))
    out[i] = dot(mem, i, i) - max
  }
  return out
}

/**
 * The paper's well-separation threshold (one-update retrieval theorem): pattern i is well separated when Δ_i ≥ 2/(βN) + β⁻¹ ln(2(N−1)NβM²); then
 * the update maps the sphere S_i = {ξ : ‖ξ − x_i‖ ≤ 1/(βNM)} into itself and converges there to one fixed point x_i*.
 */
export function wellSeparatedThreshold(beta: number, count: number, largest: number): number {
  checkBeta(beta)
  if (!Number.isInteger(count) || count < 2) throw new RangeError(`count must be an integer ≥ 2, got ${count}`)
  return 2 / (beta * count) + Math.log(2 * (count - 1) * count * beta * largest * largest) / beta
}

/** Radius 1/(βNM) of the sphere S_i around each pattern (one-update retrieval theorem). */
export function sphereRadius(mem: ModernHopfieldMemory): number {
  return 1 / (mem.beta * mem.count * largestNorm(mem))
}

/**
 * The bound of the paper's 'exponentially small retrieval error' theorem on the retrieval error ‖f(ξ) − x_i‖ of one update f from state ξ:
 *   2 (N−1) exp(−β (Δ_i − 2 max{‖ξ − x_i‖, ‖x_i* − x_i‖} M)) M,
 * with x_i* the fixed point near x_i when given (omit it to take only ‖ξ − x_i‖: the bound stays valid, since
 * 1 − p_i ≤ (N−1) exp(−β min_{j≠i}(x_i − x_j)ᵀξ) and (x_i − x_j)ᵀξ ≥ Δ_i − 2M‖ξ − x_i‖).
 */
export function retrievalErrorBound(mem: ModernHopfieldMemory, i: number, state: ArrayLike<number>, fixedPoint?: ArrayLike<number>): number {
  if (!Number.isInteger(i) || i < 0 || i >= mem.count) throw new RangeError(`pattern index must be an integer in 0..${mem.count - 1}, got ${i}`)
  checkState(mem, state)
  if (mem.count === 1) return 0
  const xi = mem.storedPatterns.subarray(i * mem.dim, (i + 1) * mem.dim)
  let r = distance(state, xi)
  if (fixedPoint) {
    checkState(mem, fixedPoint, 'fixedPoint')
    r = Math.max(r, distance(fixedPoint, xi))
  }
  const m = largestNorm(mem)
  const delta = separations(mem)[i]!
  return 2 * (mem.count - 1) * Math.exp(-mem.beta * (delta - 2 * r * m)) * m
}

/** The same theorem's second form, for ‖ξ − x_i‖ and ‖x_i* − x_i‖ ≤ 1/(2βM): 2e(N−1) M exp(−βΔ_i). */
export function retrievalErrorBoundNear(mem: ModernHopfieldMemory, i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= mem.count) throw new RangeError(`pattern index must be an integer in 0..${mem.count - 1}, got ${i}`)
  if (mem.count === 1) return 0
  return 2 * Math.E * (mem.count - 1) * largestNorm(mem) * Math.exp(-mem.beta * separations(mem)[i]!)
}

export interface BetaSweepOptions extends RetrieveOptions, ClassifyOptions {
  betas: readonly number[]
  /** Cues [C][d]. */
  cues: ArrayLike<number>[]
  /** The stored pattern each cue comes from (index), for the retrieval error. */
  targets: readonly number[]
  /** A one-step retrieval is an error after one update ≤ this (default 1e-3·M). */
  oneStepTolerance?: number
}

export interface BetaSweepPoint {
  beta: number
  /** Mean ‖ξ* − x_target‖ at the fixed point. */
  meanError: number
  /** Share of cues whose fixed point is nearest (softmax-heaviest) to their own pattern. */
  retrieved: number
  /** Share of cues within oneStepTolerance of their pattern after one update. */
  oneStep: number
  meanSteps: number
  kinds: Record<FixedPointKind, number>
}

/** Retrieval error and fixed-point type as β changes (issue 10's β sweep); same patterns, a memory per β. */
export function betaSweep(patterns: ModernHopfieldMemory, opts: BetaSweepOptions): BetaSweepPoint[] {
  if (opts.cues.length !== opts.targets.length) throw new RangeError(`targets has ${opts.targets.length} entries, expected one per cue (${opts.cues.length})`)
  if (opts.cues.length === 0) throw new RangeError('cues: at least one cue is needed')
  opts.betas.forEach((b, k) => checkBeta(b, `betas[${k}]`))
  const m = largestNorm(patterns)
  const tol = opts.oneStepTolerance ?? 1e-3 * m
  if (!(tol >= 0)) throw new RangeError(`oneStepTolerance must be ≥ 0, got ${tol}`)
  return opts.betas.map((beta) => {
    const mem = { ...patterns, beta }
    const kinds: Record<FixedPointKind, number> = { global: 0, metastable: 0, single: 0 }
    let err = 0
    let retrieved = 0
    let oneStep = 0
    let steps = 0
    opts.cues.forEach((cue, c) => {
      const t = opts.targets[c]!
      if (!Number.isInteger(t) || t < 0 || t >= mem.count) throw new RangeError(`targets[${c}] must be a pattern index in 0..${mem.count - 1}, got ${t}`)
      const x = mem.storedPatterns.subarray(t * mem.dim, (t + 1) * mem.dim)
      const r = retrieve(mem, cue, { ...opts, trace: false })
      const cls = classifyFixedPoint(mem, r.state, opts)
      kinds[cls.kind]++
      err += distance(r.state, x)
      if (cls.patterns[0] === t) retrieved++
      if (distance(update(mem, cue).state, x) <= tol) oneStep++
      steps += r.steps
    })
    const c = opts.cues.length
    return { beta, meanError: err / c, retrieved: retrieved / c, oneStep: oneStep / c, meanSteps: steps / c, kinds }
  })
}
