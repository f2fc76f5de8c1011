// Test helpers for the engine: a seeded PRNG, Hebb nets with exact integer weights, a float64 recall reference.
import { spawnSync } from 'node:child_process'

/** mulberry32: tiny and deterministic; independent of src/core so the two paths check each other. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface RefNet {
  units: number
  weights: Float32Array
  thresholds: Float32Array
  encoding: 'bipolar' | 'binary'
}

export function randomStates(rand: () => number, count: number, n: number, encoding: 'bipolar' | 'binary'): Int8Array {
  const lo = encoding === 'bipolar' ? -1 : 0
  return Int8Array.from({ length: count * n }, () => (rand() < 0.5 ? lo : 1))
}

/** W = Σ_p ξ_p ξ_pᵀ with zero diagonal: integer weights, so float32 sums are exact. */
export function hebbNet(patterns: Int8Array, count: number, n: number, encoding: 'bipolar' | 'binary' = 'bipolar'): RefNet {
  const w = new Float32Array(n * n)
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < n; i++) {
      const xi = encoding === 'binary' ? 2 * patterns[p * n + i]! - 1 : patterns[p * n + i]!
      for (let j = 0; j < n; j++) {
        const xj = encoding === 'binary' ? 2 * patterns[p * n + j]! - 1 : patterns[p * n + j]!
        if (i !== j) w[i * n + j]! += xi * xj
      }
    }
  }
  return { units: n, weights: w, thresholds: new Float32Array(n), encoding }
}

/** Float64 synchronous recall: h_i = Σ_j s_j w_ji; tie (h == θ) keeps s_i; counts changing updates. */
export function referenceRecall(net: RefNet, cues: Int8Array, batch: number, maxIterations: number): { final: Int8Array; iterations: Int32Array } {
  const n = net.units
  const lo = net.encoding === 'bipolar' ? -1 : 0
  const final = new Int8Array(batch * n)
  const iterations = new Int32Array(batch)
  for (let b = 0; b < batch; b++) {
    let s = Array.from(cues.subarray(b * n, (b + 1) * n))
    let it = 0
    while (it < maxIterations) {
      const next = s.map((si, i) => {
        let h = 0
        for (let j = 0; j < n; j++) h += s[j]! * net.weights[j * n + i]!
        const theta = net.thresholds[i]!
        return h > theta ? 1 : h < theta ? lo : si
      })
      if (next.every((v, i) => v === s[i])) break
      s = next
      it++
    }
    final.set(s, b * n)
    iterations[b] = it
  }
  return { final, iterations }
}

let onnxProbe: boolean | undefined

/**
 * True when /usr/bin/python3 can import onnx. Checker tests are `it.skipIf(!hasOnnx())`, so a machine without the
 * module reports them as skipped instead of passing them vacuously.
 */
export function hasOnnx(): boolean {
  onnxProbe ??= spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0
  return onnxProbe
}

/** The same probe as a constant (it.skipIf(!HAS_ONNX)). */
export const HAS_ONNX = hasOnnx()

/** Runs the onnx 1.12 checker at full_check; null when /usr/bin/python3 has no onnx module. */
export function onnxCheck(file: string): { ok: boolean; output: string } | null {
  if (!hasOnnx()) return null
  const r = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)', file],
    { encoding: 'utf8' }
  )
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` }
}
