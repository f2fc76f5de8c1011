// Step-by-step replay of a recall trace. Asynchronous: the state after update t, from the initial state and
// the (unit, value) log, with a checkpoint per sweep so any t costs at most one sweep of work. Synchronous and
// recurrent (003): the state after step t, all units at once.
import type { AsyncRecallResult } from '../../../shared/session'

export interface ReplayFrame {
  /** Updates applied (0 = the cue). */
  t: number
  state: Int8Array
  /** Unit updated by update t (the last applied), or -1 at t = 0. */
  unit: number
  /** Whether update t changed that unit's value. */
  flipped: boolean
  /** Synchronous steps: the units step t changed (empty for asynchronous updates). */
  changed: number[]
}

/** What the recall lab needs of a trace, whichever dynamics made it. */
export interface Replay {
  /** Updates per sweep: N for asynchronous traces, 1 for step traces (one step is one "sweep"). */
  readonly units: number
  readonly length: number
  clamp(t: number): number
  frame(t: number): ReplayFrame
  nextFlip(t: number): number
  previousFlip(t: number): number
}

/** Binary {0,1} states shown as the grid shows bipolar ones: 1 → +1, 0 → −1 (values already ±1 or 0 pass). */
function shown(values: readonly number[], binary: boolean): Int8Array {
  return binary ? Int8Array.from(values, (v) => (v === 1 ? 1 : -1)) : Int8Array.from(values)
}

/** The replay for a recall result: per update for async, per step for sync and recurrent. */
export function replayOf(result: AsyncRecallResult): Replay {
  const binary = result.encoding === 'binary'
  if ((result.mode ?? 'async') === 'async') {
    return new ReplayTrace({ initial: Array.from(shown(result.initial, binary)), units: result.units, values: Array.from(shown(result.values, binary)) })
  }
  return new StepReplay(shown(result.initial, binary), result.steps.map((s) => shown(s, binary)))
}

/** Synchronous / recurrent trace: frame t is the state after step t (t = 0 the cue). */
export class StepReplay implements Replay {
  readonly units = 1
  readonly length: number
  private readonly states: Int8Array[]

  constructor(initial: Int8Array, steps: Int8Array[]) {
    this.states = [initial, ...steps]
    this.length = steps.length
  }

  clamp(t: number): number {
    return Math.max(0, Math.min(this.length, Math.round(t)))
  }

  frame(t: number): ReplayFrame {
    t = this.clamp(t)
    const state = Int8Array.from(this.states[t]!)
    const changed: number[] = []
    if (t > 0) {
      const prev = this.states[t - 1]!
      for (let i = 0; i < state.length; i++) if (state[i] !== prev[i]) changed.push(i)
    }
    return { t, state, unit: -1, flipped: changed.length > 0, changed }
  }

  nextFlip(t: number): number {
    for (let k = this.clamp(t) + 1; k <= this.length; k++) if (this.frame(k).flipped) return k
    return this.length
  }

  previousFlip(t: number): number {
    for (let k = this.clamp(t) - 1; k > 0; k--) if (this.frame(k).flipped) return k
    return 0
  }
}

export class ReplayTrace implements Replay {
  readonly units: number
  readonly length: number
  private readonly initial: Int8Array
  private readonly visited: Int32Array
  private readonly values: Int8Array
  private readonly every: number
  private readonly checkpoints: Int8Array[] = []

  constructor(result: Pick<AsyncRecallResult, 'initial' | 'units' | 'values'>) {
    this.units = result.initial.length
    this.initial = Int8Array.from(result.initial)
    this.visited = Int32Array.from(result.units)
    this.values = Int8Array.from(result.values)
    this.length = Math.min(this.visited.length, this.values.length)
    this.every = Math.max(1, this.units)
    const s = Int8Array.from(this.initial)
    this.checkpoints.push(Int8Array.from(s))
    for (let k = 0; k < this.length; k++) {
      s[this.visited[k]!] = this.values[k]!
      if ((k + 1) % this.every === 0) this.checkpoints.push(Int8Array.from(s))
    }
  }

  clamp(t: number): number {
    return Math.max(0, Math.min(this.length, Math.round(t)))
  }

  frame(t: number): ReplayFrame {
    t = this.clamp(t)
    // The checkpoint at or before update t−1, so update t itself is applied here and can be inspected.
    const c = t === 0 ? 0 : Math.floor((t - 1) / this.every)
    const state = Int8Array.from(this.checkpoints[c]!)
    for (let k = c * this.every; k < t - 1; k++) state[this.visited[k]!] = this.values[k]!
    let unit = -1
    let flipped = false
    if (t > 0) {
      unit = this.visited[t - 1]!
      const before = state[unit]!
      const after = this.values[t - 1]!
      flipped = before !== after
      state[unit] = after
    }
    return { t, state, unit, flipped, changed: [] }
  }

  /** Next update after t that changes a unit, or the end. */
  nextFlip(t: number): number {
    const f = this.frame(t)
    const state = f.state
    for (let k = f.t; k < this.length; k++) {
      const u = this.visited[k]!
      if (state[u] !== this.values[k]) return k + 1
      state[u] = this.values[k]!
    }
    return this.length
  }

  /** Last update before t that changed a unit, or 0. */
  previousFlip(t: number): number {
    t = this.clamp(t)
    let last = 0
    const state = Int8Array.from(this.initial)
    for (let k = 0; k < t - 1; k++) {
      const u = this.visited[k]!
      if (state[u] !== this.values[k]) last = k + 1
      state[u] = this.values[k]!
    }
    return last
  }
}
