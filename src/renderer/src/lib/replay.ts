// Step-by-step replay of an asynchronous recall trace: the state after update t, from the initial
// state and the (unit, value) log, with a checkpoint per sweep so any t costs at most one sweep of work.
import type { AsyncRecallResult } from '../../../shared/session'

export interface ReplayFrame {
  /** Updates applied (0 = the cue). */
  t: number
  state: Int8Array
  /** Unit updated by update t (the last applied), or -1 at t = 0. */
  unit: number
  /** Whether update t changed that unit's value. */
  flipped: boolean
}

export class ReplayTrace {
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
    return { t, state, unit, flipped }
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
