// Sampling from a token model (char-level LM): temperature, top-k, argmax; generation from a prompt (teacher forcing:
// the prompt's tokens are fed as given, then the model's own samples), seeded.
// Reference: seeds/002 (one-to-many generation, embeddings); Karpathy's char-rnn (temperature sampling).
// Legend: logits [V] for one step; temperature τ > 0 divides the logits; top-k keeps the k largest (ties at the k-th
// kept), τ = 0 or argmax picks the largest (lowest id on ties). Every draw is one rng.next().

import type { Rng } from '../rng'
import { forward } from './network'
import { RecurrentSpecError, type RecurrentNet } from './spec'

export interface SamplingOptions {
  /** τ; 0 means argmax. Default 1. */
  temperature?: number
  /** Keep only the k most likely tokens; 0 or absent keeps all. */
  topK?: number
}

export function validateSampling(o: SamplingOptions): void {
  if (o.temperature !== undefined && !(o.temperature >= 0 && Number.isFinite(o.temperature))) {
    throw new RecurrentSpecError('sampling.temperature', `must be a finite number ≥ 0, got ${o.temperature}`)
  }
  if (o.topK !== undefined && !(Number.isSafeInteger(o.topK) && o.topK >= 0)) throw new RecurrentSpecError('sampling.topK', `must be an integer ≥ 0, got ${o.topK}`)
}

export function argmax(a: ArrayLike<number>): number {
  let best = 0
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i
  return best
}

/** The distribution sampleToken draws from (float64). */
export function samplingProbabilities(logits: ArrayLike<number>, o: SamplingOptions = {}): Float64Array {
  validateSampling(o)
  const V = logits.length
  const tau = o.temperature ?? 1
  const p = new Float64Array(V)
  if (tau === 0) {
    p[argmax(logits)] = 1
    return p
  }
  let threshold = -Infinity
  if (o.topK && o.topK < V) threshold = Array.from(logits).sort((x, y) => y - x)[o.topK - 1]!
  let m = -Infinity
  for (let i = 0; i < V; i++) if (logits[i]! >= threshold) m = Math.max(m, logits[i]! / tau)
  let sum = 0
  for (let i = 0; i < V; i++) {
    p[i] = logits[i]! >= threshold ? Math.exp(logits[i]! / tau - m) : 0
    sum += p[i]!
  }
  for (let i = 0; i < V; i++) p[i]! /= sum
  return p
}

/** One token drawn by inverse CDF with one rng.next(). */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  const p = samplingProbabilities(logits, o)
  if ((o.temperature ?? 1) === 0) return argmax(p)
  const u = rng.next()
  let acc = 0
  let last = 0
  for (let i = 0; i < p.length; i++) {
    if (p[i]! === 0) continue
    last = i
    acc += p[i]!
    if (u < acc) return i
  }
  return last
}

export interface Generation {
  /** The generated tokens (the prompt excluded). */
  tokens: number[]
  /** The argmax choice at each generated position given the same history (the "argmax line"). */
  argmax: number[]
}

/**
 * Feeds `prompt` (teacher forcing), then generates `length` tokens, each fed back as the next input. Needs a token net
 * (vocabSize) with a softmax-ce head on every step whose outputSize is the vocabulary.
 */
export function generate(net: RecurrentNet, prompt: readonly number[], length: number, o: SamplingOptions, rng: Rng): Generation {
  const { spec } = net
  if (spec.vocabSize === undefined || spec.head?.loss !== 'softmax-ce' || spec.head.on !== 'all' || spec.head.outputSize !== spec.vocabSize) {
    throw new RecurrentSpecError('head', 'generation needs a token net with a softmax-ce head on every step over its vocabulary')
  }
  if (prompt.length === 0) throw new RangeError('generate: the prompt needs at least one token')
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`generate: length must be an integer ≥ 0, got ${length}`)
  validateSampling(o)
  const V = spec.vocabSize
  let fwd = forward(net, { steps: prompt.length, batch: 1, tokens: Int32Array.from(prompt) })
  const out: Generation = { tokens: [], argmax: [] }
  for (let n = 0; n < length; n++) {
    const logits = fwd.logits!.subarray(fwd.logits!.length - V)
    out.argmax.push(argmax(logits))
    const tok = sampleToken(logits, o, rng)
    out.tokens.push(tok)
    if (n === length - 1) break
    fwd = forward(net, { steps: 1, batch: 1, tokens: Int32Array.of(tok), h0: fwd.hn, ...(fwd.cn ? { c0: fwd.cn } : {}) })
  }
  return out
}

/** Teacher-forcing inputs for a target sequence [T, B]: step 0 gets `start`, step t the target of step t − 1. */
export function teacherForcingInputs(targets: Int32Array, batch: number, start: number): Int32Array {
  const x = new Int32Array(targets.length)
  for (let b = 0; b < batch; b++) x[b] = start
  x.set(targets.subarray(0, targets.length - batch), batch)
  return x
}
