// Recall of one cue (asynchronous, synchronous or 003's recurrent auto-associator): run it as a job, then
// replay the trace update by update (async) or step by step.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { AsyncRecallResult } from '../../../shared/session'
import { replayOf, type Replay, type ReplayFrame } from '../lib/replay'
import { useCueStore } from './cue'
import { useJobsStore } from './jobs'
import { useModelStore } from './model'
import { useSessionStore } from './session'

/**
 * A visiting order typed as 003 prints it, 1-based ("1, 4, 3, 2"), as 0-based unit indices; throws naming the
 * problem when it is not a permutation of the N units.
 */
export function parseOrder(text: string, units: number): number[] {
  const parts = text.split(/[\s,;]+/).filter((x) => x !== '')
  const order = parts.map((x) => Number(x) - 1)
  const bad = parts.findIndex((x, k) => !/^\d+$/.test(x) || order[k]! < 0 || order[k]! >= units)
  if (bad >= 0) throw new Error(`order: '${parts[bad]}' is not a unit number from 1 to ${units}`)
  if (order.length !== units || new Set(order).size !== units) throw new Error(`order: list every unit 1..${units} exactly once (got ${order.length} entries)`)
  return order
}

/** Replay speeds, in updates per second. */
export const SPEEDS = [1, 5, 20, 100, 500, 2000, 10000] as const

export const useRecallStore = defineStore('recall', () => {
  const session = useSessionStore()
  const model = useModelStore()
  const cue = useCueStore()
  const jobs = useJobsStore()

  const seed = ref(1)
  const order = ref<'random' | 'sequential' | 'given'>('random')
  /** Given order, 1-based as 003 prints it: "1, 4, 3, 2". */
  const orderText = ref('')
  const maxSweeps = ref(20)
  const mode = ref<'async' | 'sync' | 'recurrent'>('async')
  /** Hold the cue on as the external input x (003: y_in_i = x_i + Σ_j y_j w_ji). */
  const external = ref(false)
  const activation = ref<'sign0' | 'keep'>('sign0')
  const jobId = ref<string | null>(null)

  const result = shallowRef<AsyncRecallResult | null>(null)
  const trace = shallowRef<Replay | null>(null)
  const t = ref(0)
  const playing = ref(false)
  const speed = ref<number>(100)

  const job = computed(() => jobs.get(jobId.value))
  const running = computed(() => job.value?.status === 'running' || job.value?.status === 'starting')
  const length = computed(() => trace.value?.length ?? 0)
  const frame = computed<ReplayFrame | null>(() => trace.value?.frame(t.value) ?? null)
  /** Sweep position of t (fractional), for the overlap chart. */
  const sweepPosition = computed(() => (trace.value && trace.value.units > 0 ? t.value / trace.value.units : 0))
  const energyNow = computed(() => result.value?.energy[Math.min(t.value, (result.value?.energy.length ?? 1) - 1)] ?? null)
  /** Whether the result belongs to the active model (a retrain makes it stale). */
  const stale = computed(() => !!result.value && result.value.modelId !== model.active?.id)

  function setResult(r: AsyncRecallResult | null, at: 'start' | 'end' = 'end'): void {
    pause()
    result.value = r
    trace.value = r ? replayOf(r) : null
    t.value = at === 'end' ? (trace.value?.length ?? 0) : 0
  }

  /** A replay speed that plays the whole trace in about ten seconds. */
  function pickSpeed(): void {
    const want = length.value / 10
    speed.value = SPEEDS.find((s) => s >= want) ?? SPEEDS[SPEEDS.length - 1]!
  }

  async function run(): Promise<string> {
    const s = session.state
    const m = model.active
    if (!s || !m) throw new Error('train a model first')
    const c = cue.state
    if (!c || c.length !== m.units) throw new Error(`cue: needs ${m.units} units; pick a source`)
    const givenOrder = order.value === 'given' ? parseOrder(orderText.value, m.units) : null
    // The lab edits bipolar cues; a binary net takes +1 → 1 and −1 (or unknown 0) → 0.
    const binary = m.spec.encoding === 'binary'
    const sent = binary ? Array.from(c, (v) => (v > 0 ? 1 : 0)) : Array.from(c)
    // The cue is persisted first so the saved session shows what the recall started from.
    await cue.persist()
    const id = await jobs.startRun(s.id, m.id, {
      kind: 'recall.async',
      cue: sent,
      seed: seed.value,
      order: givenOrder ?? (order.value === 'given' ? 'sequential' : order.value),
      maxSweeps: maxSweeps.value,
      mode: mode.value,
      external: external.value && mode.value !== 'recurrent' ? 'cue' : 'none',
      activation: activation.value
    })
    jobId.value = id
    return id
  }

  function seek(next: number): void {
    t.value = trace.value ? trace.value.clamp(next) : 0
  }
  function step(delta: number): void {
    pause()
    seek(t.value + delta)
  }
  function toStart(): void {
    pause()
    seek(0)
  }
  function toEnd(): void {
    pause()
    seek(length.value)
  }
  function nextFlip(): void {
    pause()
    if (trace.value) seek(trace.value.nextFlip(t.value))
  }
  function previousFlip(): void {
    pause()
    if (trace.value) seek(trace.value.previousFlip(t.value))
  }
  function sweepStep(delta: number): void {
    pause()
    const n = trace.value?.units ?? 1
    seek(delta > 0 ? (Math.floor(t.value / n) + 1) * n : (Math.ceil(t.value / n) - 1) * n)
  }

  let raf: number | null = null
  let lastTime = 0
  let carry = 0

  function tick(now: number): void {
    if (!playing.value) return
    const dt = Math.min(0.25, (now - lastTime) / 1000)
    lastTime = now
    carry += dt * speed.value
    const whole = Math.floor(carry)
    if (whole > 0) {
      carry -= whole
      seek(t.value + whole)
    }
    if (t.value >= length.value) {
      playing.value = false
      return
    }
    raf = requestAnimationFrame(tick)
  }

  function play(): void {
    if (!trace.value || typeof requestAnimationFrame === 'undefined') return
    if (t.value >= length.value) seek(0)
    playing.value = true
    lastTime = performance.now()
    carry = 0
    raf = requestAnimationFrame(tick)
  }

  function pause(): void {
    playing.value = false
    if (raf !== null && typeof cancelAnimationFrame !== 'undefined') cancelAnimationFrame(raf)
    raf = null
  }

  function toggle(): void {
    if (playing.value) pause()
    else play()
  }

  watch(
    () => session.id,
    () => pause()
  )

  return {
    seed,
    order,
    orderText,
    maxSweeps,
    mode,
    external,
    activation,
    jobId,
    result,
    trace,
    t,
    playing,
    speed,
    job,
    running,
    length,
    frame,
    sweepPosition,
    energyNow,
    stale,
    setResult,
    pickSpeed,
    run,
    seek,
    step,
    toStart,
    toEnd,
    nextFlip,
    previousFlip,
    sweepStep,
    play,
    pause,
    toggle
  }
})
