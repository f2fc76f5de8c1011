// Sharded runs: a spec split into shards whose numbers depend only on the spec, the seed and the shard's coordinates;
// shards run anywhere (a queue worker on another machine, or here), in any order, and a merge by shard id gives the
// local result number for number. No queue here: the queue (src/main/queue) only carries shards and their results.
// Legend: a capacity cell is (pi, t), trial t at the pi-th pattern count; a shard is trials [t0, t1) of one pi.
import { CapacityFold, type CapacityCell, type CapacityTrial } from '../../../core/sweeps'
import type { Shard, ShardResult } from '../../../shared/shards'
import type { ExperimentResult, ExperimentSpec } from '../../../shared/spec'
import type { FractionHooks } from '../hooks'
import { capacitySweepResult, runCapacityCells } from './capacity'
import { resultHeader, type ComputePath } from './common'

/** Default trials per capacity shard: a few seconds of work at N = 1024 (docs/benchmarks.md, queue overhead). */
export const DEFAULT_TRIALS_PER_SHARD = 4

/** Why a spec cannot be split into shards, or null when it can (today: capacity sweeps). */
export function notShardable(spec: ExperimentSpec): string | null {
  if (spec.sweep?.type === 'capacity') return null
  return `${spec.sweep ? `a ${spec.sweep.type} sweep` : 'a recall experiment'} does not split into shards yet (capacity sweeps do); run it on this machine`
}

function capacityOf(spec: ExperimentSpec) {
  if (spec.sweep?.type !== 'capacity') throw new Error(`spec.sweep: ${notShardable(spec)}`)
  return spec.sweep
}

/** The shards of a spec: per pattern count, consecutive runs of `trialsPerShard` trials. */
export function planShards(spec: ExperimentSpec, trialsPerShard = DEFAULT_TRIALS_PER_SHARD): Shard[] {
  if (!Number.isInteger(trialsPerShard) || trialsPerShard < 1) throw new Error(`trialsPerShard: expected a positive integer, got ${trialsPerShard}`)
  const sweep = capacityOf(spec)
  const shards: Shard[] = []
  sweep.patternCounts.forEach((_, pi) => {
    for (let t0 = 0; t0 < sweep.trials; t0 += trialsPerShard) {
      const t1 = Math.min(sweep.trials, t0 + trialsPerShard)
      shards.push({ type: 'capacity', id: `capacity-p${pi}-t${t0}-${t1}`, pi, t0, t1 })
    }
  })
  return shards
}

/** How much work a shard is (cells), for progress weighted across shards. */
export const shardWeight = (shard: Shard): number => shard.t1 - shard.t0

/** Runs one shard here; `provider`/`threads` are this machine's engine choice (the numbers do not depend on them). */
export async function runShard(spec: ExperimentSpec, shard: Shard, hooks: FractionHooks = {}): Promise<ShardResult> {
  const sweep = capacityOf(spec)
  if (shard.pi >= sweep.patternCounts.length) throw new Error(`shard.pi: ${shard.pi} is past the spec's ${sweep.patternCounts.length} pattern counts`)
  if (shard.t1 > sweep.trials) throw new Error(`shard.t1: ${shard.t1} is past the spec's ${sweep.trials} trials`)
  const cells: CapacityCell[] = []
  for (let t = shard.t0; t < shard.t1; t++) cells.push({ pi: shard.pi, t })
  const { trials, compute } = await runCapacityCells(spec, sweep, cells, hooks, { provider: spec.engine.provider, threads: spec.engine.threads })
  return { type: 'capacity', id: shard.id, compute, trials }
}

/**
 * The experiment result from the results of every shard of `planShards(spec, …)`, in any order and with repeats (a
 * shard rerun after its worker died): results are keyed by shard id and cells by (pi, t), so nothing counts twice;
 * the cells are then folded in local order, so the numbers equal a local run's. A missing cell is an error.
 */
export function mergeShards(spec: ExperimentSpec, results: Iterable<ShardResult>): ExperimentResult {
  const sweep = capacityOf(spec)
  const byId = new Map<string, ShardResult>()
  for (const r of results) byId.set(r.id, r)
  const cells = new Map<string, CapacityTrial>()
  const ids = [...byId.keys()].sort()
  for (const id of ids) for (const trial of byId.get(id)!.trials) if (!cells.has(`${trial.pi}:${trial.t}`)) cells.set(`${trial.pi}:${trial.t}`, trial)
  sweep.patternCounts.forEach((P, pi) => {
    for (let t = 0; t < sweep.trials; t++) if (!cells.has(`${pi}:${t}`)) throw new Error(`mergeShards: no result for trial ${t} at pattern count ${P} (a shard is missing)`)
  })
  const fold = new CapacityFold(sweep)
  const sorted = [...cells.values()].sort((a, b) => a.pi - b.pi || a.t - b.t)
  for (const trial of sorted) fold.add(trial)
  return { ...resultHeader(spec, mergedCompute(ids.map((id) => byId.get(id)!.compute))), sweep: capacitySweepResult(sweep.units, fold.points()) }
}

/** One compute path for the merged result: the first (by shard id) that says why it fell back, else the first. */
function mergedCompute(computes: ComputePath[]): ComputePath {
  const first = computes.find((c) => c.fallbackReason) ?? computes[0]
  if (!first) throw new Error('mergeShards: no shard results')
  return first
}

/** A sharded run in this process (shards in the given order): the reference the queue's result must equal. */
export async function runShardedHere(spec: ExperimentSpec, trialsPerShard?: number, order: (shards: Shard[]) => Shard[] = (s) => s): Promise<ExperimentResult> {
  const results: ShardResult[] = []
  for (const shard of order(planShards(spec, trialsPerShard))) results.push(await runShard(spec, shard))
  return mergeShards(spec, results)
}
