// Small dense float64 linear algebra for the classical memories: Gram matrices and a Cholesky solve.
// Reference: Golub & Van Loan, Matrix Computations, §4.2 (Cholesky); seeds/004 (storing K ≤ N patterns exactly).
// Legend: matrices row-major Float64Array; A n×n symmetric positive definite; L lower triangular (A = L Lᵀ);
// B n×k right-hand sides; X N×P with the P patterns as columns (x_ip = pattern p, unit i).

export class SingularMatrixError extends Error {
  /** Index of the pivot (row/column) that vanished: for a Gram matrix, the first linearly dependent pattern. */
  readonly pivot: number
  constructor(pivot: number, message: string) {
    super(message)
    this.name = 'SingularMatrixError'
    this.pivot = pivot
  }
}

/**
 * Cholesky factor of a symmetric positive definite matrix. A pivot below `relTol`·(its original diagonal)
 * means the matrix is (numerically) singular: for a Gram matrix XᵀX, column `pivot` of X lies in the span
 * of the columns before it, so we throw rather than return a factor whose solve is garbage.
 */
export function cholesky(a: Float64Array, n: number, relTol = 1e-10): Float64Array {
  if (a.length !== n * n) throw new Error(`cholesky: matrix has ${a.length} entries, expected ${n}×${n}`)
  const l = new Float64Array(n * n)
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!
    for (let k = 0; k < j; k++) d -= l[j * n + k]! * l[j * n + k]!
    const scale = Math.abs(a[j * n + j]!)
    if (!(d > relTol * scale) || scale === 0) {
      throw new SingularMatrixError(j, `cholesky: pivot ${j} is ${d.toExponential(3)}; the matrix is singular (column ${j} depends on the columns before it)`)
    }
    const ljj = Math.sqrt(d)
    l[j * n + j] = ljj
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!
      l[i * n + j] = s / ljj
    }
  }
  return l
}

/** Solves A Z = B for Z (n×k) given A's Cholesky factor L: forward then back substitution, column by column. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, k: number): Float64Array {
  if (b.length !== n * k) throw new Error(`choleskySolve: right-hand side has ${b.length} entries, expected ${n}×${k}`)
  const z = Float64Array.from(b)
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let s = z[i * k + c]!
      for (let m = 0; m < i; m++) s -= l[i * n + m]! * z[m * k + c]!
      z[i * k + c] = s / l[i * n + i]!
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = z[i * k + c]!
      for (let m = i + 1; m < n; m++) s -= l[m * n + i]! * z[m * k + c]!
      z[i * k + c] = s / l[i * n + i]!
    }
  }
  return z
}

/** G = XᵀX for patterns as columns: g_pq = s(p)·s(q). */
export function gram(patterns: ArrayLike<number>[]): Float64Array {
  const p = patterns.length
  const g = new Float64Array(p * p)
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) {
      const sa = patterns[a]!
      const sb = patterns[b]!
      let s = 0
      for (let i = 0; i < sa.length; i++) s += sa[i]! * sb[i]!
      g[a * p + b] = s
      g[b * p + a] = s
    }
  }
  return g
}
