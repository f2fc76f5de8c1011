// Hopfield learning rules side by side: Hebb, Storkey (incremental, local) and pseudo-inverse (projection).
// Reference: seeds/003 (Hebb, modified Hebb), seeds/004 (K ≤ N patterns can always be made stable);
// Storkey 1997, "Increasing the capacity of a Hopfield network without sacrificing functionality";
// Personnaz, Guyon & Dreyfus 1985 / Kanter & Sompolinsky 1987 (projection rule).
// Legend: N units; P patterns ξ^ν ∈ {−1,1}^N (binary patterns are mapped through 2s − 1); W N×N row-major
// symmetric Float32Array (w_ij = weights[i*N+j]), rounded onto a grid (hopfield.ts onGrid) so that every recall
// path decides ties alike; h_ij = Σ_{k≠i,j} w_ik ξ_k the Storkey local field;
// X N×P with the patterns as columns; G = XᵀX (P×P).

import { checkPattern, hebb, onGrid, type Encoding, type HebbOptions, type HopfieldNet } from './hopfield'
import { cholesky, choleskySolve, gram, SingularMatrixError } from './linalg'

export type LearningRule = 'hebb' | 'storkey' | 'pseudo-inverse'
export const LEARNING_RULES: readonly LearningRule[] = ['hebb', 'storkey', 'pseudo-inverse']

export interface RuleOptions {
  encoding?: Encoding
  /**
   * Hebb and Storkey: default true (003's modified rule). Pseudo-inverse: default false, the projection as
   * defined; see pseudoInverse for what zeroing its diagonal does to the guarantees.
   */
  zeroDiagonal?: boolean
  /**
   * trainRule's Hebb only: the normalisation c. Default 'none'. Sign dynamics (θ = 0) are the same for every c > 0,
   * so sweeps count the same successes whichever is picked; c only sets the units of energies and net inputs.
   */
  normalisation?: HebbOptions['normalisation']
}

function bipolarImages(patterns: ArrayLike<number>[], encoding: Encoding, what: string): { n: number; xi: Float64Array[] } {
  if (patterns.length === 0) throw new Error(`${what}: at least one pattern is needed`)
  const n = patterns[0]!.length
  if (n === 0) throw new Error(`${what}: patterns must have at least one unit`)
  patterns.forEach((p, k) => checkPattern(p, encoding, n, `pattern ${k}`))
  return { n, xi: patterns.map((p) => Float64Array.from(p, (v) => (encoding === 'binary' ? 2 * v - 1 : v))) }
}

/**
 * Storkey's rule, one pattern at a time (ν = 1..P):
 *   w_ij ← w_ij + (1/N)(ξ_i ξ_j − ξ_i h_ji − h_ij ξ_j),   h_ij = Σ_{k≠i,j} w_ik ξ_k,
 * with W the weights before pattern ν. h_ij never reads w_ii (k ≠ i), so the off-diagonal weights are the
 * same whatever happens on the diagonal; we keep the diagonal at zero unless asked, and with
 * zeroDiagonal: false apply the same formula to i = j.
 */
export function storkey(patterns: ArrayLike<number>[], opts: RuleOptions = {}): HopfieldNet {
  const encoding = opts.encoding ?? 'bipolar'
  const zeroDiagonal = opts.zeroDiagonal ?? true
  const { n, xi } = bipolarImages(patterns, encoding, 'storkey')
  const w = new Float64Array(n * n)
  const h = new Float64Array(n)
  const inv = 1 / n
  for (const s of xi) {
    // h_i = Σ_{k≠i} w_ik ξ_k; then h_ij = h_i − w_ij ξ_j (removing k = j). O(N²) per pattern.
    for (let i = 0; i < n; i++) {
      let sum = 0
      const row = i * n
      for (let k = 0; k < n; k++) if (k !== i) sum += w[row + k]! * s[k]!
      h[i] = sum
    }
    for (let i = 0; i < n; i++) {
      const row = i * n
      for (let j = i; j < n; j++) {
        if (i === j && zeroDiagonal) continue
        const wij = w[row + j]!
        const hij = i === j ? h[i]! : h[i]! - wij * s[j]!
        const hji = i === j ? h[i]! : h[j]! - wij * s[i]!
        const next = wij + inv * (s[i]! * s[j]! - s[i]! * hji - hij * s[j]!)
        w[row + j] = next
        w[j * n + i] = next
      }
    }
  }
  // Every update is a multiple of 1/N of integers and earlier weights: the grid 1/(N·2^m) keeps the first pattern's
  // (1/N) ξξᵀ exact.
  return { units: n, ...onGrid(w, n, n), thresholds: new Float32Array(n), encoding }
}

/**
 * Projection (pseudo-inverse) rule W = X (XᵀX)⁻¹ Xᵀ, solved through a float64 Cholesky factor of the
 * Gram matrix; throws naming the first pattern that is linearly dependent on those before it.
 *
 * Guarantees (tested):
 * - zeroDiagonal: false (default) — W is the orthogonal projector onto span(X), so W ξ = ξ: every stored
 *   pattern is a fixed point with net input ±1 at every unit, for any P ≤ N independent patterns. (The stored W
 *   is rounded onto the grid 1/D, which moves a net input by at most N/(2D), below 1e-4 of the margin 1.)
 * - zeroDiagonal: true — the net input becomes (1 − w_ii) ξ_i,
 *   and 0 ≤ w_ii ≤ 1, so stored patterns stay fixed points exactly when every w_ii < 1 (margin 1 − w_ii,
 *   shrinking as P → N). At P = N, W = I and zeroing gives W = 0: nothing is attracted any more and
 *   patterns are "fixed" only through the tie rule, like every other state. Keeping the diagonal, on the
 *   other hand, makes every fixed point of the zero-diagonal net a fixed point too (w_ii ≥ 0 only adds
 *   self-support), i.e. it can only add spurious fixed points and shrink basins.
 */
export function pseudoInverse(patterns: ArrayLike<number>[], opts: RuleOptions = {}): HopfieldNet {
  const encoding = opts.encoding ?? 'bipolar'
  const zeroDiagonal = opts.zeroDiagonal ?? false
  const { n, xi } = bipolarImages(patterns, encoding, 'pseudoInverse')
  const p = xi.length
  if (p > n) throw new Error(`pseudoInverse: ${p} patterns of ${n} units cannot be linearly independent (P ≤ N is needed)`)
  let l: Float64Array
  try {
    l = cholesky(gram(xi), p)
  } catch (e) {
    if (e instanceof SingularMatrixError) {
      throw new Error(`pseudoInverse: pattern ${e.pivot} is linearly dependent on patterns 0..${e.pivot - 1}; the projection rule needs independent patterns`)
    }
    throw e
  }
  // Z = G⁻¹ Xᵀ (P×N), then W = X Z.
  const xt = new Float64Array(p * n)
  for (let a = 0; a < p; a++) xt.set(xi[a]!, a * n)
  const z = choleskySolve(l, p, xt, n)
  const weights = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0
      for (let a = 0; a < p; a++) s += xi[a]![i]! * z[a * n + j]!
      weights[i * n + j] = s
      weights[j * n + i] = s
    }
  }
  if (zeroDiagonal) for (let i = 0; i < n; i++) weights[i * n + i] = 0
  return { units: n, ...onGrid(weights, n), thresholds: new Float32Array(n), encoding }
}

/** One entry point for the side-by-side comparisons: Hebb here is 003's modified rule, unnormalised unless asked. */
export function trainRule(rule: LearningRule, patterns: ArrayLike<number>[], opts: RuleOptions = {}): HopfieldNet {
  switch (rule) {
    case 'hebb':
      return hebb(patterns, { encoding: opts.encoding ?? 'bipolar', zeroDiagonal: opts.zeroDiagonal ?? true, normalisation: opts.normalisation ?? 'none' })
    case 'storkey':
      return storkey(patterns, opts)
    case 'pseudo-inverse':
      return pseudoInverse(patterns, opts)
  }
}
