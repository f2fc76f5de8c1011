// Shared parts of the tests against committed Python fixtures and of the Hopfield pooling tests: relative closeness,
// re-running a generator script into a scratch directory, and random padded bags.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { BagBatch } from '../../src/core/hopfield-pooling'
import type { Rng } from '../../src/core/rng'

/** Whether /usr/bin/python3 has numpy and torch (the fixture generators' needs). */
export const TORCH_AVAILABLE = spawnSync('/usr/bin/python3', ['-c', 'import numpy, torch'], { encoding: 'utf8' }).status === 0

/** Every entry within tol·(1 + |want|). */
export function expectClose(got: ArrayLike<number>, want: readonly number[], tol: number, what: string): void {
  expect(got.length, what).toBe(want.length)
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]`).toBeLessThan(tol * (1 + Math.abs(want[i]!)))
}

/** Runs a fixture generator into a scratch directory and returns its reference.json. */
export function rerunFixture<T>(script: string, prefix: string): T {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  try {
    const r = spawnSync('/usr/bin/python3', [script, dir], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } })
    expect(r.status, r.stderr).toBe(0)
    return JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as T
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Bags of 1..length instances of size d, padded with rows of `fill` (so that any leak of padding shows). */
export function randomBags(rng: Rng, bags: number, length: number, d: number, fill = 9, round: (v: number) => number = (v) => v): BagBatch {
  const x = Float64Array.from({ length: bags * length * d }, () => round(rng.normal()))
  const mask = new Uint8Array(bags * length)
  for (let b = 0; b < bags; b++) {
    const n = 1 + rng.int(length)
    for (let i = 0; i < length; i++) {
      mask[b * length + i] = i < n ? 1 : 0
      if (i >= n) x.fill(fill, (b * length + i) * d, (b * length + i + 1) * d)
    }
  }
  return { x, mask, bags, length }
}
