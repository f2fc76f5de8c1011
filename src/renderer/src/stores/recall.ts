// Asynchronous recall of one cue: run it as a job, then replay the trace update by update.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { AsyncRecallResult } from '../../../shared/session'
import { ReplayTrace, type ReplayFrame } from '../lib/replay'
import { useCueStore } from './cue'
import { useJobsStore } from './jobs'
import { useModelStore } from './model'
import { useSessionStore } from './session'

/** Replay speeds, in updates per second. */
export const SPEEDS = [1, 5, 20, 100, 500, 2000, 10000] as const

export const useRecallStore = defineStore('recall', () => {
  const session = useSessionStore()
  const model = useModelStore()
  const cue = useCueStore()
  const jobs = useJobsStore()

  const seed = ref(1)
  const order = ref<'random' | 'sequential'>('random')
  const maxSweeps = ref(20)
  const jobId = ref<string | null>(null)

  const result = shallowRef<AsyncRecallResult | null>(null)
  const trace = shallowRef<ReplayTrace | null>(null)
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
    trace.value = r ? new ReplayTrace(r) : null
    t.value = at === 'end' ? (trace.value?.length ?? 0) : 0
  }

  /** A replay speed that plays the whole trace in about ten seconds. */
  function pickSpeed(): void {
    const want = length.value / 10
    speed.value = SPEEDS.find((s) => s >= want) ?? SPEEDS[SPEEDS.length - 1]
  }

  async function run(): Promise<string> {
    const s = session.state
    const m = model.active
    if (!s || !m) throw new Error('train a model first')
    const c = cue.state
    if (!c || c.length !== m.units) throw new Error(`cue: needs ${m.units} units; pick a source`)
    // The cue is persisted first so the saved session shows what the recall started from.
    await cue.persist()
    const id = await jobs.start(s.id, {
      kind: 'recall.async',
      modelId: m.id,
      cue: Array.from(c),
      seed: seed.value,
      order: order.value,
      maxSweeps: maxSweeps.value
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
    maxSweeps,
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
