// Sequence tasks for the recurrent family beyond the char-LM (issue 9): many-to-one classification that needs memory
// (parity, the Reber grammar and its embedded form, the adding problem through delay-task.ts, a CSV of text,label) and
// time-series forecasting (a CSV column or a built-in series: a seeded noisy sine, the Mackey-Glass series).
// References: parity (Minsky & Papert 1969; Hochreiter & Schmidhuber 1997 §5.3 use it as a long-lag task); the Reber
// grammar (Reber 1967; Fahlman 1991; embedded form in Hochreiter & Schmidhuber 1997 §5.1); Mackey & Glass 1977
// (dx/dt = β·x(t−τ)/(1 + x(t−τ)ⁿ) − γ·x(t), β 0.2, γ 0.1, n 10, τ 17); RFC 4180 (CSV).
// Legend: T steps (the spec's sequence length), B rows, V vocabulary (token 0 is the pad for left-padded tasks),
// W window (= T) and h horizon for forecasting; token batches are time-major [T, B].
import type { Rng } from '../rng'

/** The Reber grammar's automaton: state → (symbol → next state); state 6 reads E and ends. */
const REBER: ReadonlyArray<Readonly<Record<string, number>>> = [{ B: 1 }, { T: 2, P: 3 }, { S: 2, X: 4 }, { T: 3, V: 5 }, { X: 3, S: 6 }, { P: 4, V: 6 }, { E: 7 }]
/** The grammar's symbols. */
export const REBER_SYMBOLS = ['B', 'T', 'S', 'X', 'P', 'V', 'E'] as const
/** The pad token of left-padded token tasks (Reber, CSV text): id 0, shown as this character. */
export const PAD = '\u00b7'

/** A string of the Reber grammar, each branch taken with probability ½. */
export function reberString(rng: Rng): string {
  let state = 0
  let s = ''
  while (state !== 7) {
    const choices = Object.keys(REBER[state]!)
    const c = choices.length === 1 ? choices[0]! : choices[rng.next() < 0.5 ? 0 : 1]!
    s += c
    state = REBER[state]![c]!
  }
  return s
}

/** The embedded Reber grammar: B, then T or P, a Reber string, the same T or P again, E. */
export function embeddedReberString(rng: Rng): string {
  const c = rng.next() < 0.5 ? 'T' : 'P'
  return `B${c}${reberString(rng)}${c}E`
}

/** Whether `s` is a string of the Reber grammar (the automaton accepts it). */
export function isReber(s: string): boolean {
  let state = 0
  for (const c of s) {
    const next = REBER[state]?.[c]
    if (next === undefined) return false
    state = next
  }
  return state === 7
}

export function isEmbeddedReber(s: string): boolean {
  return s.length >= 7 && s[0] === 'B' && s.at(-1) === 'E' && (s[1] === 'T' || s[1] === 'P') && s.at(-2) === s[1] && isReber(s.slice(2, -2))
}

export type SyntheticClassify = 'parity' | 'reber' | 'embedded-reber'

/** Class names of the synthetic classification tasks (class id = index). */
export const SYNTHETIC_CLASSES: Record<SyntheticClassify, string[]> = {
  parity: ['even', 'odd'],
  reber: ['not grammatical', 'grammatical'],
  'embedded-reber': ['not grammatical', 'grammatical']
}

/** The token vocabulary of a synthetic task (id → character). */
export function syntheticVocab(task: SyntheticClassify): string[] {
  return task === 'parity' ? ['0', '1'] : [PAD, ...REBER_SYMBOLS]
}

/** The shortest T a synthetic task can be drawn at (the shortest grammatical string; parity needs two bits). */
export function minSyntheticLength(task: SyntheticClassify): number {
  return task === 'parity' ? 2 : task === 'reber' ? 5 : 9
}

export interface TokenClassBatch {
  steps: number
  batch: number
  /** [T, B] token ids. */
  tokens: Int32Array
  /** [B] class ids. */
  classes: Int32Array
}

/** The target of a padded step: the losses leave a negative class id out (torch's ignore_index). */
export const IGNORED = -1

/** Token ids left-padded with PAD (id 0; or `pad`) to T, or the last T of them when there are more. */
export function leftPad(ids: readonly number[], T: number, pad = 0): number[] {
  return ids.length >= T ? ids.slice(ids.length - T) : [...new Array<number>(T - ids.length).fill(pad), ...ids]
}

/** Lays B rows of T token ids out time-major. */
export function timeMajor(rows: readonly (readonly number[])[], T: number): Int32Array {
  const B = rows.length
  const out = new Int32Array(T * B)
  rows.forEach((r, b) => r.forEach((v, t) => (out[t * B + b] = v)))
  return out
}

/** A string that is not in the language: one symbol of a grammatical string replaced (the embedded form: half of them with the closing T/P swapped, the long-range case). */
function reberNegative(embedded: boolean, T: number, rng: Rng): string {
  for (;;) {
    const s = grammatical(embedded, T, rng)
    if (embedded && rng.next() < 0.5) {
      const swapped = `${s.slice(0, -2)}${s.at(-2) === 'T' ? 'P' : 'T'}E`
      return swapped
    }
    const at = rng.int(s.length)
    const others = REBER_SYMBOLS.filter((c) => c !== s[at])
    const bad = s.slice(0, at) + others[rng.int(others.length)]! + s.slice(at + 1)
    if (!(embedded ? isEmbeddedReber(bad) : isReber(bad))) return bad
  }
}

/** A grammatical string of at most T symbols (drawn again while longer: the grammar's strings are short on average). */
function grammatical(embedded: boolean, T: number, rng: Rng): string {
  for (;;) {
    const s = embedded ? embeddedReberString(rng) : reberString(rng)
    if (s.length <= T) return s
  }
}

/**
 * B rows of a synthetic classification task at T steps, drawn row by row from rng:
 * - parity: T random bits (tokens 0/1), class = their XOR (1 when the count of ones is odd);
 * - reber / embedded-reber: half grammatical strings, half one-symbol corruptions (see reberNegative), at most T
 *   symbols, left-padded with PAD; class 1 = grammatical.
 */
export function syntheticClassBatch(task: SyntheticClassify, T: number, B: number, rng: Rng): TokenClassBatch & { strings: string[] } {
  if (!Number.isSafeInteger(T) || T < minSyntheticLength(task)) throw new RangeError(`T must be an integer ≥ ${minSyntheticLength(task)} for ${task}, got ${T}`)
  if (!Number.isSafeInteger(B) || B < 1) throw new RangeError(`B must be a positive integer, got ${B}`)
  const rows: number[][] = []
  const strings: string[] = []
  const classes = new Int32Array(B)
  for (let b = 0; b < B; b++) {
    if (task === 'parity') {
      const bits: number[] = Array.from({ length: T }, () => (rng.next() < 0.5 ? 0 : 1))
      rows.push(bits)
      strings.push(bits.join(''))
      classes[b] = bits.reduce((a, v) => a ^ v, 0)
      continue
    }
    const embedded = task === 'embedded-reber'
    const positive = rng.next() < 0.5
    const s = positive ? grammatical(embedded, T, rng) : reberNegative(embedded, T, rng)
    classes[b] = positive ? 1 : 0
    strings.push(s)
    rows.push(leftPad([...s].map((c) => 1 + REBER_SYMBOLS.indexOf(c as (typeof REBER_SYMBOLS)[number])), T))
  }
  return { steps: T, batch: B, tokens: timeMajor(rows, T), classes, strings }
}

/** Per-step targets of parity tagging: at step t, the parity of the bits 0 … t of the row (time-major [T, B]). */
export function runningParity(tokens: Int32Array, T: number, B: number): Int32Array {
  const out = new Int32Array(T * B)
  for (let b = 0; b < B; b++) {
    let p = 0
    for (let t = 0; t < T; t++) {
      p ^= tokens[t * B + b]!
      out[t * B + b] = p
    }
  }
  return out
}

/** RFC 4180 CSV: fields split on commas, quoted fields may hold commas, newlines and "" (a quote); CRLF or LF rows. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  const endRow = () => {
    row.push(field)
    field = ''
    if (!(row.length === 1 && row[0] === '')) rows.push(row)
    row = []
  }
  while (i < text.length) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i += 2
        continue
      }
      if (c === '"') quoted = false
      else field += c
      i++
      continue
    }
    if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      endRow()
      if (c === '\r' && text[i + 1] === '\n') i++
    } else field += c
    i++
  }
  if (quoted) throw new RangeError('an unterminated quoted field at the end of the file')
  if (field !== '' || row.length > 0) endRow()
  return rows
}

/**
 * A noisy sine: x_t = sin(2π t / period) + noise·ε_t, ε_t standard normal from rng, t = 0 … n − 1.
 */
export function sineSeries(n: number, period: number, noise: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: n }, (_, t) => Math.sin((2 * Math.PI * t) / period) + (noise > 0 ? noise * rng.normal() : 0))
}

/** Integration sub-steps per unit of time in mackeyGlass (Euler, dt = 1/MG_SUBSTEPS). */
export const MG_SUBSTEPS = 10

/**
 * The Mackey-Glass series sampled at t = 0, 1, …, n − 1: dx/dt = 0.2·x(t−τ)/(1 + x(t−τ)¹⁰) − 0.1·x(t), x = 1.2 for
 * t ≤ 0, integrated by Euler's method with dt = 1/MG_SUBSTEPS (chaotic for τ = 17). Deterministic.
 */
export function mackeyGlass(n: number, tau: number): Float64Array {
  const S = MG_SUBSTEPS
  const dt = 1 / S
  const lag = Math.round(tau * S)
  const steps = (n - 1) * S
  const x = new Float64Array(steps + 1)
  x[0] = 1.2
  const past = (i: number) => (i < 0 ? 1.2 : x[i]!)
  for (let i = 0; i < steps; i++) {
    const d = past(i - lag)
    x[i + 1] = x[i]! + dt * ((0.2 * d) / (1 + d ** 10) - 0.1 * x[i]!)
  }
  return Float64Array.from({ length: n }, (_, t) => x[t * S]!)
}

export type Normalise = 'zscore' | 'minmax' | 'none'

/** x' = (x − offset) / scale. */
export interface Normalisation {
  method: Normalise
  offset: number
  scale: number
}

/** The normalisation of `values` (the training split only): z-score (mean, population std), min-max to [0, 1], or none. */
export function fitNormalisation(values: ArrayLike<number>, method: Normalise): Normalisation {
  const n = values.length
  if (method === 'none' || n === 0) return { method, offset: 0, scale: 1 }
  if (method === 'minmax') {
    let lo = Infinity
    let hi = -Infinity
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, values[i]!)
      hi = Math.max(hi, values[i]!)
    }
    return { method, offset: lo, scale: hi > lo ? hi - lo : 1 }
  }
  let mean = 0
  for (let i = 0; i < n; i++) mean += values[i]!
  mean /= n
  let v = 0
  for (let i = 0; i < n; i++) v += (values[i]! - mean) ** 2
  const std = Math.sqrt(v / n)
  return { method, offset: mean, scale: std > 0 ? std : 1 }
}

export interface ForecastSplit {
  /** Index of the first validation point: the training split is [0, trainEnd). */
  trainEnd: number
  /** Window starts whose target (start + W − 1 + h) lies in the training split. */
  trainStarts: number[]
  /** Window starts whose target lies in the validation split, in time order. */
  validationStarts: number[]
}

/**
 * Windows over a series of n points split by time: a window starting at s reads x[s … s + W) and its target is
 * x[s + W − 1 + h]; a window is a training window when its target lies before trainEnd = n − round(n·validationFraction),
 * else a validation one (its inputs may come from the training split: they are the past).
 */
export function forecastSplit(n: number, W: number, h: number, validationFraction: number): ForecastSplit {
  const trainEnd = n - Math.round(n * validationFraction)
  const trainStarts: number[] = []
  const validationStarts: number[] = []
  for (let s = 0; s + W - 1 + h < n; s++) (s + W - 1 + h < trainEnd ? trainStarts : validationStarts).push(s)
  return { trainEnd, trainStarts, validationStarts }
}

/** The windows at `starts` as a [W, B, 1] time-major input and their [B] targets, normalised. */
export function forecastBatch(series: Float64Array, norm: Normalisation, W: number, h: number, starts: readonly number[]): { input: Float64Array; values: Float64Array } {
  const B = starts.length
  const input = new Float64Array(W * B)
  const values = new Float64Array(B)
  const z = (v: number) => (v - norm.offset) / norm.scale
  starts.forEach((s, b) => {
    for (let t = 0; t < W; t++) input[t * B + b] = z(series[s + t]!)
    values[b] = z(series[s + W - 1 + h]!)
  })
  return { input, values }
}

/** Root mean squared and mean absolute error of predictions against the truth. */
export function errorStats(predicted: ArrayLike<number>, truth: ArrayLike<number>): { rmse: number; mae: number } {
  let se = 0
  let ae = 0
  for (let i = 0; i < truth.length; i++) {
    const e = predicted[i]! - truth[i]!
    se += e * e
    ae += Math.abs(e)
  }
  return { rmse: Math.sqrt(se / truth.length), mae: ae / truth.length }
}

/** Confusion counts: row = true class, column = predicted class. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  for (let i = 0; i < truth.length; i++) m[truth[i]!]![predicted[i]!]!++
  return m
}

/** The argmax class of each row of [N, O] logits (the first on a tie). */
export function argmaxRows(logits: Float64Array, O: number): Int32Array {
  const N = logits.length / O
  const out = new Int32Array(N)
  for (let n = 0; n < N; n++) {
    let best = 0
    for (let o = 1; o < O; o++) if (logits[n * O + o]! > logits[n * O + best]!) best = o
    out[n] = best
  }
  return out
}
