// Sharded capacity sweeps without a queue: shards run in any order and any size, repeated or not, merge into the
// result a local run gives, number for number (JSON-equal but for createdAt); a missing shard is an error; the job
// payload schema names the bad field.
import { describe, expect, it } from 'vitest'
import { runExperiment } from '../../src/main/services/experiments'
import { mergeShards, planShards, runShard, runShardedHere } from '../../src/main/services/experiments/shards'
import { shardJobSchema, type ShardResult } from '../../src/shared/shards'
import { experimentSpecSchema, type ExperimentResult } from '../../src/shared/spec'
import { Rng } from '../../src/core/rng'

const spec = (mode: 'sync' | 'async', units = 32) =>
  experimentSpecSchema.parse({
    name: 'shards',
    seed: 11,
    model: { kind: 'hopfield' },
    engine: { provider: 'cpu' },
    sweep: { type: 'capacity', units, patternCounts: [2, 5, 9, 40], rules: ['hebb', 'storkey', 'pseudo-inverse'], trials: 5, noise: 0.15, cuesPerPattern: 2, recall: { mode, maxSweeps: 20 } }
  })
const untimed = (r: ExperimentResult) => JSON.stringify({ ...r, createdAt: null })
const shuffle = <T>(xs: T[], seed: number): T[] => {
  const p = new Rng(seed).permutation(xs.length)
  return Array.from(p, (i) => xs[i]!)
}

describe('sharded capacity sweep', () => {
  for (const mode of ['async', 'sync'] as const) {
    it(`merges to the local result for ${mode} recall, whatever the shard size and order`, async () => {
      const s = spec(mode)
      const local = untimed(await runExperiment(s, null))
      for (const [size, seed] of [[1, 1], [2, 2], [3, 3], [5, 4]] as const) {
        expect(untimed(await runShardedHere(s, size, (shards) => shuffle(shards, seed)))).toBe(local)
      }
    })
  }

  it('counts a shard that came back twice once, and refuses a merge with a shard missing', async () => {
    const s = spec('async')
    const shards = planShards(s, 2)
    expect(shards.map((x) => x.id).slice(0, 3)).toEqual(['capacity-p0-t0-2', 'capacity-p0-t2-4', 'capacity-p0-t4-5'])
    const results: ShardResult[] = []
    for (const shard of shards) results.push(await runShard(s, shard))
    const local = untimed(await runExperiment(s, null))
    expect(untimed(mergeShards(s, [...results, results[1]!, results[0]!]))).toBe(local)
    expect(() => mergeShards(s, results.slice(1))).toThrow(/no result for trial 0 at pattern count 2 \(a shard is missing\)/)
  })

  it('refuses a shard outside the spec, and other sweeps, naming the field', async () => {
    const s = spec('async')
    await expect(runShard(s, { type: 'capacity', id: 'capacity-p9-t0-1', pi: 9, t0: 0, t1: 1 })).rejects.toThrow(/shard.pi/)
    await expect(runShard(s, { type: 'capacity', id: 'capacity-p0-t0-9', pi: 0, t0: 0, t1: 9 })).rejects.toThrow(/shard.t1/)
    const noise = experimentSpecSchema.parse({ name: 'n', seed: 1, dataset: { builtin: 'letters' }, model: { kind: 'hopfield' }, sweep: { type: 'noise', fractions: [0.1] } })
    expect(() => planShards(noise)).toThrow(/spec.sweep: a noise sweep does not split into shards yet/)
  })

  it('validates a job payload with a message naming the field', () => {
    const good = { v: 1, runId: 'r1', engram: '0.1.0', spec: spec('async'), shard: planShards(spec('async'))[0] }
    expect(shardJobSchema.safeParse(good).success).toBe(true)
    const bad = shardJobSchema.safeParse({ ...good, shard: { ...good.shard, t1: -1 } })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.path).toEqual(['shard', 't1'])
  })
})
