// Seeded pseudo-random generator: every random draw in Engram comes from one of these, passed in explicitly.
// Reference: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (xoshiro128** 1.1,
// https://prng.di.unimi.it/xoshiro128starstar.c); SplitMix32 seeding as in bryc/code PRNGs (splitmix32).
// Legend: s0..s3 — the 128-bit state as four uint32 words; all outputs are uint32 unless noted.

export const RNG_ALGORITHM = 'xoshiro128** 1.1 seeded by SplitMix32'

const TWO_POW_32 = 4294967296

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** SplitMix32 step: returns [next state, output]. Used only to expand seeds into xoshiro state. */
function splitMix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0
  let z = next
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad)
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97)
  z = z ^ (z >>> 15)
  return [next, z >>> 0]
}

function expandSeed(seed: number): [number, number, number, number] {
  let st = seed >>> 0
  const out: number[] = []
  for (let k = 0; k < 4; k++) {
    const [n, z] = splitMix32(st)
    st = n
    out.push(z)
  }
  // xoshiro's all-zero state is a fixed point; SplitMix32 can't produce four zeros in a row, but be safe.
  if ((out[0]! | out[1]! | out[2]! | out[3]!) === 0) out[0] = 1
  return [out[0]!, out[1]!, out[2]!, out[3]!]
}

export class Rng {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  /** `seed` is taken as a uint32 (seed >>> 0); SplitMix32 expands it into the 128-bit state. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng seed must be a finite number, got ${seed}`)
    const [a, b, c, d] = expandSeed(seed)
    this.s0 = a
    this.s1 = b
    this.s2 = c
    this.s3 = d
  }

  static fromState(s: readonly [number, number, number, number] | readonly number[]): Rng {
    if (s.length !== 4 || s.some((v) => !Number.isInteger(v) || v < 0 || v >= TWO_POW_32)) {
      throw new Error('Rng state must be four uint32 words')
    }
    if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) throw new Error('Rng state must not be all zero')
    const r = new Rng(0)
    r.s0 = s[0]! | 0
    r.s1 = s[1]! | 0
    r.s2 = s[2]! | 0
    r.s3 = s[3]! | 0
    return r
  }

  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0]
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0
    const t = this.s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    return result
  }

  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextU32() / TWO_POW_32
  }

  /** Unbiased uniform integer in 0..n-1 (1 ≤ n ≤ 2^32): rejection avoids the modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new Error(`Rng.int: n must be an integer in 1..2^32, got ${n}`)
    const limit = TWO_POW_32 - (TWO_POW_32 % n)
    let u = this.nextU32()
    while (u >= limit) u = this.nextU32()
    return u % n
  }

  /** Uniform random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n)
    for (let i = 0; i < n; i++) p[i] = i
    this.shuffleInPlace(p)
    return p
  }

  shuffleInPlace<T>(a: T[] | Uint32Array | Int32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = a[i]!
      a[i] = a[j]!
      a[j] = t as never
    }
  }

  /** Standard normal via Box–Muller. No cached spare, so getState() captures the whole generator. */
  normal(): number {
    const u1 = 1 - this.next() // (0, 1]: log is finite
    const u2 = this.next()
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
  }

  /**
   * Independent generator for sub-stream `stream` (uint32). Derived from the current state and the
   * stream number through SplitMix32; does not advance this generator, so forks are reproducible.
   */
  fork(stream: number): Rng {
    let h = (stream >>> 0) ^ 0x6a09e667
    const words: number[] = []
    const st = [this.s0, this.s1, this.s2, this.s3]
    for (let k = 0; k < 4; k++) {
      let [n, z] = splitMix32(h ^ st[k]!)
      ;[n, z] = splitMix32(n ^ z ^ Math.imul(k + 1, 0x85ebca6b))
      h = n
      words.push(z)
    }
    if ((words[0]! | words[1]! | words[2]! | words[3]!) === 0) words[0] = 1
    return Rng.fromState([words[0]! >>> 0, words[1]! >>> 0, words[2]! >>> 0, words[3]! >>> 0])
  }
}
