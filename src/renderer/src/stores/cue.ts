// The recall cue: a stored pattern (or a drawing), corrupted locally with the seeded core
// corruption, hand-editable, and persisted in the session.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { Cue } from '../../../shared/session'
import type { Corruption } from '../../../shared/spec'
import { DEFAULT_CORRUPTION, makeCue, randomSeed } from '../lib/cue'
import { useModelStore } from './model'
import { useSessionStore } from './session'

export const DRAWN = -1

export const useCueStore = defineStore('cue', () => {
  const session = useSessionStore()
  const model = useModelStore()

  /** Stored-pattern index (into the model's stored patterns) or DRAWN. */
  const source = ref(0)
  const corruption = ref<Corruption>({ ...DEFAULT_CORRUPTION })
  const seed = ref(1)
  /** The clean pattern the cue starts from: the stored pattern or the drawing. */
  const base = shallowRef<Int8Array | null>(null)
  /** The cue itself (what recall starts from). */
  const state = shallowRef<Int8Array | null>(null)
  /** Whether `state` was edited by hand after the corruption was applied. */
  const edited = ref(false)
  /**
   * The corruption and seed that made `state` (none for a clean source or a drawing). The editor's `corruption` and
   * `seed` are what the next Apply would use: the cue's header and the saved cue say what was applied, not those.
   */
  const applied = ref<{ corruption: Corruption; seed: number }>({ corruption: { type: 'none' }, seed: 1 })
  const saving = ref(false)

  const width = computed(() => model.active?.width ?? 0)
  const height = computed(() => model.active?.height ?? 0)
  const units = computed(() => model.active?.units ?? 0)
  const valid = computed(() => !!state.value && state.value.length === units.value && units.value > 0)

  function storedBase(k: number): Int8Array | null {
    const p = model.storedPatterns[k]
    return p ? Int8Array.from(p) : null
  }

  /** Starts a cue from stored pattern k (uncorrupted) or from a blank drawing. */
  function setSource(k: number): void {
    source.value = k
    edited.value = false
    applied.value = { corruption: { type: 'none' }, seed: seed.value }
    if (k === DRAWN) {
      base.value = new Int8Array(units.value).fill(-1)
    } else {
      base.value = storedBase(k)
    }
    state.value = base.value ? Int8Array.from(base.value) : null
  }

  function apply(): Int8Array {
    if (!base.value) throw new Error('pick a cue source first')
    state.value = makeCue(base.value, corruption.value, width.value, height.value, seed.value)
    edited.value = false
    applied.value = { corruption: { ...corruption.value }, seed: seed.value }
    return state.value
  }

  function rollSeed(): number {
    seed.value = randomSeed()
    return seed.value
  }

  /** Sets one unit of the cue; a drawing also changes its clean base. */
  function paint(index: number, value: -1 | 0 | 1): void {
    if (!state.value || index < 0 || index >= state.value.length) return
    if (state.value[index] === value) return
    const next = Int8Array.from(state.value)
    next[index] = value
    state.value = next
    if (source.value === DRAWN && base.value) {
      const b = Int8Array.from(base.value)
      b[index] = value
      base.value = b
    } else {
      edited.value = true
    }
  }

  function fillDrawing(value: -1 | 1): void {
    if (source.value !== DRAWN) setSource(DRAWN)
    base.value = new Int8Array(units.value).fill(value)
    state.value = Int8Array.from(base.value)
    applied.value = { corruption: { type: 'none' }, seed: seed.value }
  }

  function invert(): void {
    if (!state.value) return
    state.value = state.value.map((v) => -v)
    if (source.value === DRAWN && base.value) base.value = base.value.map((v) => -v)
    else edited.value = true
  }

  function toCue(): Cue | null {
    if (!state.value) return null
    return { source: source.value, corruption: applied.value.corruption, seed: applied.value.seed, state: Array.from(state.value) }
  }

  /** Sends the cue to the session (and the drawing's base to ui, since Cue has no field for it). */
  async function persist(): Promise<void> {
    const cue = toCue()
    if (!cue || !session.state) return
    saving.value = true
    try {
      if (source.value === DRAWN && base.value) {
        await session.update({ cue, ui: { ...session.state.ui, cueDrawing: Array.from(base.value), cueEdited: edited.value } })
      } else {
        await session.update({ cue, ui: { ...session.state.ui, cueEdited: edited.value } })
      }
    } finally {
      saving.value = false
    }
  }

  /**
   * Restores from a session's saved cue, or starts a clean cue from stored pattern 0 when there is
   * none or it does not fit the active model.
   */
  function restore(cue: Cue | null, ui: Record<string, unknown>): void {
    const n = units.value
    if (cue && n > 0 && cue.state.length === n && (cue.source === DRAWN || cue.source < model.storedPatterns.length || model.storedPatterns.length === 0)) {
      source.value = cue.source
      corruption.value = cue.corruption
      seed.value = cue.seed
      applied.value = { corruption: cue.corruption, seed: cue.seed }
      state.value = Int8Array.from(cue.state)
      edited.value = ui.cueEdited === true
      if (cue.source === DRAWN) {
        const drawing = Array.isArray(ui.cueDrawing) && ui.cueDrawing.length === n ? (ui.cueDrawing as number[]) : cue.state
        base.value = Int8Array.from(drawing)
      } else {
        base.value = storedBase(cue.source)
      }
      return
    }
    if (n > 0) setSource(model.storedPatterns.length > 0 ? 0 : DRAWN)
    else {
      base.value = null
      state.value = null
    }
  }

  return {
    source,
    corruption,
    seed,
    base,
    state,
    edited,
    applied,
    saving,
    width,
    height,
    units,
    valid,
    setSource,
    apply,
    rollSeed,
    paint,
    fillDrawing,
    invert,
    toCue,
    persist,
    restore
  }
})
