// Sharded capacity, dense-capacity and delay sweeps without a queue: shards run in any order and any size, repeated
// or not, merge into the result a local run gives, number for number (JSON-equal but for createdAt); a missing shard
// is an error; the job payload schema names the bad field.
import { describe, expect, it, vi } from 'vitest'
import * as trainStep from '../../src/engine/programs/train-step'
import { runExperiment } from '../../src/main/services/experiments'
import { mergeShards, planShards, runShard, runShardedHere, shardWeight } from '../../src/main/services/experiments/shards'
import { CancelledError } from '../../src/shared/errors'
import { shardJobSchema, shardResultSchema, type ShardResult } from '../../src/shared/shards'
import { experimentSpecSchema, type ExperimentResult } from '../../src/shared/spec'
import { Rng } from '../../src/core/rng'

vi.mock('../../src/engine/programs/train-step', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/programs/train-step')>()
  const create = vi.fn(real.TrainStepRunner.create.bind(real.TrainStepRunner))
  return { ...real, TrainStepRunner: Object.assign(real.TrainStepRunner, { create }) }
})

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

const sweepSpec = (sweep: object) => experimentSpecSchema.parse({ name: 'shards', seed: 29, model: { kind: 'hopfield' }, engine: { provider: 'cpu', threads: 1 }, sweep })
const runAll = async (s: ReturnType<typeof sweepSpec>, shards = planShards(s)) => {
  const results: ShardResult[] = []
  for (const shard of shards) results.push(await runShard(s, shard))
  return results
}

describe('sharded dense-capacity sweep', () => {
  const dense = sweepSpec({ type: 'dense-capacity', units: 24, patternCounts: [2, 5, 9], interactions: [{ kind: 'polynomial', degree: 2 }, { kind: 'polynomial', degree: 3 }, { kind: 'exp' }], trials: 3, noise: 0.15 })

  it('merges to the local result whatever the shard size and order', async () => {
    const local = untimed(await runExperiment(dense, null))
    for (const [size, seed] of [[1, 5], [2, 6]] as const) expect(untimed(await runShardedHere(dense, size, (shards) => shuffle(shards, seed)))).toBe(local)
  })

  it('plans runs of trials per (interaction, pattern count), 2 by default; weighs them by trials × patterns; counts a repeat once', async () => {
    const shards = planShards(dense)
    expect(shards).toHaveLength(18)
    expect(shards.slice(0, 3).map((x) => x.id)).toEqual(['dense-capacity-i0-p0-t0-2', 'dense-capacity-i0-p0-t2-3', 'dense-capacity-i0-p1-t0-2'])
    expect(shards.map((x) => shardWeight(dense, x)).slice(0, 3)).toEqual([4, 2, 10])
    const results = await runAll(dense, shards)
    expect(untimed(mergeShards(dense, [...results].reverse().concat(results.slice(0, 4))))).toBe(untimed(await runExperiment(dense, null)))
    expect(() => mergeShards(dense, results.filter((r) => r.id !== 'dense-capacity-i2-p1-t2-3'))).toThrow(/no result for trial 2 at pattern count 5 of interaction exp \(a shard is missing\)/)
  })

  it('refuses a shard outside the spec naming the field, and stops on cancel', async () => {
    await expect(runShard(dense, { type: 'dense-capacity', id: 'dense-capacity-i3-p0-t0-1', ii: 3, pi: 0, t0: 0, t1: 1 })).rejects.toThrow(/^shard\.ii: 3 is past the spec's 3 interactions/)
    await expect(runShard(dense, { type: 'dense-capacity', id: 'dense-capacity-i0-p0-t0-4', ii: 0, pi: 0, t0: 0, t1: 4 })).rejects.toThrow(/^shard\.t1: /)
    await expect(runShard(dense, planShards(dense)[0]!, { shouldCancel: () => true })).rejects.toBeInstanceOf(CancelledError)
  })
})

describe('sharded delay sweep', () => {
  const delay = sweepSpec({ type: 'delay', task: 'first-bit', cells: ['rnn', 'lstm', 'gru'], delays: [2, 3], hiddenSize: 4, trainingSteps: 40, batch: 8, trials: 2, evalRows: 40 })

  it('merges to the local result (trained on the engine) whatever the shard size and order', async () => {
    const local = await runExperiment(delay, null)
    expect(local.compute.path).toBe('engine')
    for (const [size, seed] of [[1, 7], [2, 8]] as const) expect(untimed(await runShardedHere(delay, size, (shards) => shuffle(shards, seed)))).toBe(untimed(local))
  })

  it('plans one config per shard by default; profiles come from trial 0 at profileDelay only; a result survives JSON', async () => {
    const shards = planShards(delay)
    expect(shards).toHaveLength(12)
    expect(shards.slice(0, 3).map((x) => x.id)).toEqual(['delay-c0-d0-t0-1', 'delay-c0-d0-t1-2', 'delay-c0-d1-t0-1'])
    expect(shards.slice(0, 3).map((x) => shardWeight(delay, x))).toEqual([3, 3, 4])
    const results = await runAll(delay, shards)
    const profiled = results.flatMap((r) => (r.type === 'delay' ? r.trials : [])).filter((c) => c.profile)
    expect(profiled.map((c) => [c.ci, c.di, c.t])).toEqual([[0, 1, 0], [1, 1, 0], [2, 1, 0]])
    // What a worker sends back goes through JSON and the coordinator's schema: the same numbers come out.
    const wired = results.map((r) => shardResultSchema.parse(JSON.parse(JSON.stringify(r))))
    expect(untimed(mergeShards(delay, wired))).toBe(untimed(mergeShards(delay, results)))
    expect(() => mergeShards(delay, results.slice(0, -1))).toThrow(/no result for trial 1 at gru at delay 3 \(a shard is missing\)/)
  })

  it('a shard whose engine failed trained on the core: the merged result says core and why', async () => {
    const shards = planShards(delay, 2)
    vi.mocked(trainStep.TrainStepRunner.create).mockRejectedValueOnce(new Error('no engine on that worker'))
    const results = await runAll(delay, shards.slice(2).concat(shards.slice(0, 2)))
    const merged = mergeShards(delay, results)
    expect(merged.compute).toEqual({ path: 'core', provider: 'core', fallbackReason: 'engine failed (no engine on that worker); ran on the core' })
    expect(results.filter((r) => r.compute.path === 'core').map((r) => r.id)).toEqual(['delay-c1-d0-t0-2'])
    const allOnEngine = results.map((r) => ({ ...r, compute: { path: 'engine' as const, provider: 'engine (cpu)' } }))
    expect(mergeShards(delay, allOnEngine).compute).toEqual({ path: 'engine', provider: 'engine (cpu)' })
  })

  it('refuses a shard outside the spec naming the field, and stops on cancel', async () => {
    await expect(runShard(delay, { type: 'delay', id: 'delay-c0-d2-t0-1', ci: 0, di: 2, t0: 0, t1: 1 })).rejects.toThrow(/^shard\.di: 2 is past the spec's 2 delays/)
    await expect(runShard(delay, { type: 'capacity', id: 'capacity-p0-t0-1', pi: 0, t0: 0, t1: 1 })).rejects.toThrow(/^shard\.type: a capacity shard of a delay sweep/)
    let calls = 0
    await expect(runShard(delay, planShards(delay)[0]!, { shouldCancel: () => ++calls > 2 })).rejects.toBeInstanceOf(CancelledError)
  })

  it('validates dense-capacity and delay job payloads with a message naming the field', () => {
    const dense = sweepSpec({ type: 'dense-capacity', patternCounts: [4] })
    const job = (spec: object, shard: object) => shardJobSchema.safeParse({ v: 1, runId: 'r2', engram: '0.1.0', spec, shard })
    const path = (spec: object, shard: object) => job(spec, shard).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    const d = planShards(delay)[0]!
    const c = planShards(dense)[0]!
    expect(job(delay, d).success).toBe(true)
    expect(job(dense, c).success).toBe(true)
    expect(path(delay, { ...d, di: -1 })?.[0]).toMatch(/^shard\.di: /)
    expect(path(delay, { ...d, ci: undefined })?.[0]).toMatch(/^shard\.ci: .*expected number/)
    expect(path(delay, { ...d, t1: 0 })?.[0]).toMatch(/^shard\.t1: /)
    expect(path(delay, { ...d, id: 'delay-0' })).toEqual(["shard.id: expected 'delay-c<ci>-d<di>-t<t0>-<t1>'"])
    expect(path(dense, { ...c, ii: 'one' })?.[0]).toMatch(/^shard\.ii: .*expected number/)
    expect(path(dense, { ...c, pi: 0.5 })?.[0]).toMatch(/^shard\.pi: /)
    expect(path(dense, { ...c, extra: 1 })?.[0]).toMatch(/^shard: .*extra/)
    expect(path(dense, { ...c, type: 'noise' })?.[0]).toMatch(/^shard\.type: /)
    expect(path(dense, d)).toEqual(["shard.type: must be the spec's sweep type"])
  })
})
