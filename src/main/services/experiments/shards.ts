// Sharded runs: a spec split into shards whose numbers depend only on the spec, the seed and the shard's coordinates;
// shards run anywhere (a queue worker on another machine, or here), in any order, and a merge by shard id gives the
// local result number for number. No queue here: the queue (src/main/queue) only carries shards and their results.
// Legend: a sweep's grid points are capacity pi, dense-capacity (ii, pi), delay (ci, di) (src/shared/shards.ts); a
// cell is trial t at one grid point, a shard trials [t0, t1) at one grid point. Each type runs its cells with the
// code its local run uses (runCapacityCells, runDenseCapacityCells, runDelayConfigs) and folds them the same way.
import { Rng } from '../../../core/rng'
import { CapacityFold, type CapacityTrial } from '../../../core/sweeps'
import { SHARD_COORDS, type Shard, type ShardableType, type ShardResult } from '../../../shared/shards'
import type { ExperimentResult, ExperimentSpec, SweepResult, SweepSpec } from '../../../shared/spec'
import type { FractionHooks } from '../hooks'
import { capacitySweepResult, runCapacityCells } from './capacity'
import { CORE_PATH, resultHeader, type ComputePath } from './common'
import { delaySweepResult, runDelayConfigs } from './delay'
import { denseCapacityResult, runDenseCapacityCells } from './modern'

/**
 * Default trials per shard, by sweep type: a capacity trial at N = 1024 takes about a second and the queue a few
 * milliseconds per shard (docs/benchmarks.md); a dense-capacity trial at N = 100 takes 0.1–1 s; a delay trial is a
 * whole training run (seconds to minutes).
 */
export const DEFAULT_TRIALS_PER_SHARD: Readonly<Record<ShardableType, number>> = { capacity: 4, 'dense-capacity': 2, delay: 1 }

type SweepOf<T extends ShardableType> = Extract<SweepSpec, { type: T }>
type ResultOf<T extends ShardableType> = Extract<ShardResult, { type: T }>
type CellOf<T extends ShardableType> = ResultOf<T>['trials'][number]
type Coords = Readonly<Record<string, number>>

/** A grid point: its coordinates, its name in errors, and what one trial there costs (for weighted progress). */
interface GridPoint {
  coords: Coords
  name: string
  cost: number
}

interface Sharding<T extends ShardableType> {
  /** The sweep's grid points in local order (the cells of a local run are these points × trials 0…trials−1). */
  grid(sweep: SweepOf<T>): GridPoint[]
  /** Some cells, by the code of a local run: on this machine's engine choice, returning to the event loop between pieces. */
  run(spec: ExperimentSpec, sweep: SweepOf<T>, cells: (Coords & { t: number })[], hooks: FractionHooks): Promise<{ compute: ComputePath; trials: CellOf<T>[] }>
  /** The result section from every cell, in local order. */
  result(sweep: SweepOf<T>, cells: CellOf<T>[]): SweepResult
}

const engineOf = (spec: ExperimentSpec) => ({ provider: spec.engine.provider, threads: spec.engine.threads })
const interactionName = (f: SweepOf<'dense-capacity'>['interactions'][number]): string => (f.kind === 'polynomial' ? `x^${f.degree}` : f.kind)

const SHARDINGS: { [T in ShardableType]: Sharding<T> } = {
  capacity: {
    grid: (sweep) => sweep.patternCounts.map((P, pi) => ({ coords: { pi }, name: `pattern count ${P}`, cost: P })),
    run: (spec, sweep, cells, hooks) => runCapacityCells(spec, sweep, cells as { pi: number; t: number }[], hooks, engineOf(spec)),
    result: (sweep, cells) => {
      const fold = new CapacityFold(sweep)
      for (const cell of cells) fold.add(cell as CapacityTrial)
      return capacitySweepResult(sweep.units, fold.points())
    }
  },
  'dense-capacity': {
    grid: (sweep) => sweep.interactions.flatMap((f, ii) => sweep.patternCounts.map((P, pi) => ({ coords: { ii, pi }, name: `pattern count ${P} of interaction ${interactionName(f)}`, cost: P }))),
    run: async (spec, sweep, cells, hooks) => ({ compute: CORE_PATH, trials: await runDenseCapacityCells(sweep, new Rng(spec.seed), cells as { ii: number; pi: number; t: number }[], hooks) }),
    result: denseCapacityResult
  },
  delay: {
    grid: (sweep) => sweep.cells.flatMap((cell, ci) => sweep.delays.map((delay, di) => ({ coords: { ci, di }, name: `${cell} at delay ${delay}`, cost: delay + 1 }))),
    run: async (spec, sweep, cells, hooks) => {
      const { scores, compute } = await runDelayConfigs(sweep, new Rng(spec.seed), cells as { ci: number; di: number; t: number }[], engineOf(spec), hooks)
      return { compute, trials: scores }
    },
    result: delaySweepResult
  }
}

/** What each grid coordinate indexes, for errors. */
const AXES: Readonly<Record<string, string>> = { pi: 'pattern counts', ii: 'interactions', ci: 'cells', di: 'delays' }

const isShardable = (type: string): type is ShardableType => type in SHARDINGS

/** Why a spec cannot be split into shards, or null when it can. */
export function notShardable(spec: ExperimentSpec): string | null {
  if (spec.sweep && isShardable(spec.sweep.type)) return null
  return `${spec.sweep ? `a ${spec.sweep.type} sweep` : 'a recall experiment'} does not split into shards yet (capacity, dense-capacity and delay sweeps do); run it on this machine`
}

/** The spec's sweep and its sharding (one type: TypeScript cannot follow the pairing through the union, hence the cast). */
function shardingOf(spec: ExperimentSpec): { sweep: SweepOf<ShardableType>; sharding: Sharding<ShardableType> } {
  if (!spec.sweep || !isShardable(spec.sweep.type)) throw new Error(`spec.sweep: ${notShardable(spec)}`)
  return { sweep: spec.sweep as SweepOf<ShardableType>, sharding: SHARDINGS[spec.sweep.type] as unknown as Sharding<ShardableType> }
}

const coordKeys = (type: ShardableType): string[] => Object.keys(SHARD_COORDS[type])
const coordsOf = (type: ShardableType, x: object): Coords => Object.fromEntries(coordKeys(type).map((k) => [k, (x as Record<string, number>)[k]!]))
const cellKey = (type: ShardableType, cell: object): string => `${Object.values(coordsOf(type, cell)).join(':')}:${(cell as { t: number }).t}`
const sameCoords = (a: Coords, b: Coords): boolean => Object.keys(a).every((k) => a[k] === b[k])

/** The shards of a spec: per grid point, consecutive runs of `trialsPerShard` trials (the type's default when absent). */
export function planShards(spec: ExperimentSpec, trialsPerShard?: number): Shard[] {
  const { sweep, sharding } = shardingOf(spec)
  const size = trialsPerShard ?? DEFAULT_TRIALS_PER_SHARD[sweep.type]
  if (!Number.isInteger(size) || size < 1) throw new Error(`trialsPerShard: expected a positive integer, got ${size}`)
  const letters = SHARD_COORDS[sweep.type] as Readonly<Record<string, string>>
  const shards: Shard[] = []
  for (const { coords } of sharding.grid(sweep)) {
    const at = coordKeys(sweep.type).map((k) => `${letters[k]}${coords[k]}`).join('-')
    for (let t0 = 0; t0 < sweep.trials; t0 += size) {
      const t1 = Math.min(sweep.trials, t0 + size)
      shards.push({ type: sweep.type, id: `${sweep.type}-${at}-t${t0}-${t1}`, ...coords, t0, t1 } as Shard)
    }
  }
  return shards
}

/** The grid point of a shard, checked against the spec: a coordinate or trial outside it names the field. */
function pointOf(spec: ExperimentSpec, shard: Shard): GridPoint {
  const { sweep, sharding } = shardingOf(spec)
  if (shard.type !== sweep.type) throw new Error(`shard.type: a ${shard.type} shard of a ${sweep.type} sweep`)
  const grid = sharding.grid(sweep)
  const coords = coordsOf(sweep.type, shard)
  for (const [k, v] of Object.entries(coords)) {
    const size = new Set(grid.map((p) => p.coords[k])).size
    if (v >= size) throw new Error(`shard.${k}: ${v} is past the spec's ${size} ${AXES[k]}`)
  }
  if (shard.t1 > sweep.trials) throw new Error(`shard.t1: ${shard.t1} is past the spec's ${sweep.trials} trials`)
  return grid.find((p) => sameCoords(p.coords, coords))!
}

/** How much work a shard is (its trials × what a trial at its grid point costs), for progress weighted across shards. */
export const shardWeight = (spec: ExperimentSpec, shard: Shard): number => (shard.t1 - shard.t0) * pointOf(spec, shard).cost

/** Runs one shard here, on the spec's engine choice (the numbers do not depend on the machine). */
export async function runShard(spec: ExperimentSpec, shard: Shard, hooks: FractionHooks = {}): Promise<ShardResult> {
  const { sweep, sharding } = shardingOf(spec)
  const { coords } = pointOf(spec, shard)
  const cells: (Coords & { t: number })[] = []
  for (let t = shard.t0; t < shard.t1; t++) cells.push({ ...coords, t })
  const { compute, trials } = await sharding.run(spec, sweep, cells, hooks)
  return { type: sweep.type, id: shard.id, compute, trials } as ShardResult
}

/**
 * The experiment result from the results of every shard of `planShards(spec, …)`, in any order and with repeats (a
 * shard rerun after its worker died): results are keyed by shard id and cells by (grid point, t), so nothing counts
 * twice; the cells are then folded in local order, so the numbers equal a local run's. A missing cell is an error.
 */
export function mergeShards(spec: ExperimentSpec, results: Iterable<ShardResult>): ExperimentResult {
  const { sweep, sharding } = shardingOf(spec)
  const byId = new Map<string, ShardResult>()
  for (const r of results) {
    if (r.type !== sweep.type) throw new Error(`mergeShards: shard ${r.id} is a ${r.type} shard of a ${sweep.type} sweep`)
    byId.set(r.id, r)
  }
  const ids = [...byId.keys()].sort()
  const cells = new Map<string, CellOf<ShardableType>>()
  for (const id of ids) for (const cell of byId.get(id)!.trials) if (!cells.has(cellKey(sweep.type, cell))) cells.set(cellKey(sweep.type, cell), cell)
  const ordered: CellOf<ShardableType>[] = []
  for (const { coords, name } of sharding.grid(sweep)) {
    for (let t = 0; t < sweep.trials; t++) {
      const cell = cells.get(cellKey(sweep.type, { ...coords, t }))
      if (!cell) throw new Error(`mergeShards: no result for trial ${t} at ${name} (a shard is missing)`)
      ordered.push(cell)
    }
  }
  return { ...resultHeader(spec, mergedCompute(ids.map((id) => byId.get(id)!.compute))), sweep: sharding.result(sweep, ordered) }
}

/**
 * One compute path for the merged result: the engine only if every shard ran on it, else the core; the first (by
 * shard id) of those that says why it fell back, else the first.
 */
function mergedCompute(computes: ComputePath[]): ComputePath {
  const core = computes.filter((c) => c.path === 'core')
  const pool = core.length ? core : computes
  const first = pool.find((c) => c.fallbackReason) ?? pool[0]
  if (!first) throw new Error('mergeShards: no shard results')
  return first
}

/** A sharded run in this process (shards in the given order): the reference the queue's result must equal. */
export async function runShardedHere(spec: ExperimentSpec, trialsPerShard?: number, order: (shards: Shard[]) => Shard[] = (s) => s): Promise<ExperimentResult> {
  const results: ShardResult[] = []
  for (const shard of order(planShards(spec, trialsPerShard))) results.push(await runShard(spec, shard))
  return mergeShards(spec, results)
}
