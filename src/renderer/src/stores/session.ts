// The open session (a SessionState from the backend), the saved-session list, and the dirty flag.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { JobResult, Params } from '../../../shared/api'
import { KEPT_RUNS } from '../../../shared/families'
import { modelsOf, type ExperimentRecord, type ModelInfo, type RbmInfo, type RunResult, type SessionModel, type SessionState, type SessionSummary } from '../../../shared/session'
import { getApi } from '../api'
import { useJobsStore } from './jobs'

export type SessionPatch = Params<'sessions.update'>['patch']

export const useSessionStore = defineStore('session', () => {
  const state = shallowRef<SessionState | null>(null)
  const list = ref<SessionSummary[]>([])
  const dirty = ref(false)
  const lastSavedAt = ref<string | null>(null)
  const busy = ref<null | 'create' | 'open' | 'save' | 'close' | 'train'>(null)

  const id = computed(() => state.value?.id ?? null)
  const name = computed(() => state.value?.name ?? '')
  /** Every trained model of every family, oldest first. */
  const allModels = computed<SessionModel[]>(() => state.value?.models ?? [])
  /** The Hopfield networks (the recall lab's models), oldest first. */
  const models = computed<ModelInfo[]>(() => (state.value ? modelsOf(state.value, 'hopfield') : []))
  /** Trained RBMs, oldest first. */
  const rbms = computed<RbmInfo[]>(() => (state.value ? modelsOf(state.value, 'rbm') : []))
  const activeModel = computed(() => models.value.find((m) => m.id === state.value?.activeModelId) ?? null)

  async function withBusy<T>(what: NonNullable<typeof busy.value>, fn: () => Promise<T>): Promise<T> {
    busy.value = what
    try {
      return await fn()
    } finally {
      if (busy.value === what) busy.value = null
    }
  }

  async function refreshList(): Promise<SessionSummary[]> {
    const sessions = await getApi().call('sessions.list', {})
    list.value = [...sessions].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
    return list.value
  }

  async function create(sessionName: string): Promise<SessionState> {
    return withBusy('create', async () => {
      const created = await getApi().call('sessions.create', { name: sessionName })
      state.value = created
      dirty.value = true
      lastSavedAt.value = null
      return created
    })
  }

  async function open(sessionId: string): Promise<SessionState> {
    return withBusy('open', async () => {
      const opened = await getApi().call('sessions.open', { id: sessionId })
      state.value = opened
      const summary = list.value.find((s) => s.id === sessionId)
      dirty.value = summary?.dirty ?? false
      lastSavedAt.value = summary && !summary.dirty ? summary.updatedAt : null
      return opened
    })
  }

  async function save(): Promise<SessionSummary> {
    const s = requireSession()
    return withBusy('save', async () => {
      const summary = await getApi().call('sessions.save', { id: s.id })
      dirty.value = false
      lastSavedAt.value = summary.updatedAt
      const i = list.value.findIndex((x) => x.id === summary.id)
      list.value = i >= 0 ? list.value.map((x, k) => (k === i ? summary : x)) : [summary, ...list.value]
      return summary
    })
  }

  async function close(): Promise<void> {
    const s = state.value
    if (!s) return
    await withBusy('close', async () => {
      await getApi().call('sessions.close', { id: s.id })
      state.value = null
      dirty.value = false
    })
  }

  async function update(patch: SessionPatch): Promise<SessionState> {
    const s = requireSession()
    const next = await getApi().call('sessions.update', { id: s.id, patch })
    // A session switched meanwhile must not be overwritten by the old one's answer.
    if (state.value?.id === next.id) state.value = next
    dirty.value = true
    return next
  }

  /** Merges `patch` into the session's ui record (the backend stores the record as given). */
  async function updateUi(patch: Record<string, unknown>): Promise<SessionState> {
    const s = requireSession()
    return update({ ui: { ...s.ui, ...patch } })
  }

  /**
   * Trains a model of any family (models.train starts a job) and waits for it; the session is then reloaded from the
   * backend, which has landed the model (and for a Hopfield net made it the recall lab's active model).
   */
  async function train(params: Omit<Params<'models.train'>, 'sessionId'>): Promise<SessionModel> {
    const s = requireSession()
    return withBusy('train', async () => {
      const jobs = useJobsStore()
      const jobId = await jobs.startTrain(s.id, params)
      const result = await jobs.wait(jobId)
      if (!('model' in result)) throw new Error(`models.train: a ${result.kind} result came back`)
      await reload(s.id)
      return result.model
    })
  }

  /** The open session as the backend holds it now (after a job landed something in it). */
  async function reload(sessionId = state.value?.id): Promise<void> {
    if (!sessionId) return
    const next = await getApi().call('sessions.open', { id: sessionId })
    if (state.value?.id === next.id) state.value = next
    dirty.value = true
  }

  /** A finished experiment the backend has appended to the session (job.done): mirror it here. */
  function addExperiment(record: ExperimentRecord): void {
    const s = state.value
    if (!s) return
    state.value = { ...s, experiments: [...s.experiments.filter((r) => r.id !== record.id), record] }
  }

  /** A model the backend has appended to the session (job.done of a training): mirror it here. */
  function addModel(model: SessionModel): void {
    const s = state.value
    if (!s) return
    state.value = { ...s, models: [...s.models.filter((m) => m.id !== model.id), model] }
  }

  /** A kept run's result the backend has stored in the session (job.done): mirror it here. */
  function keepResult(result: JobResult): void {
    const s = state.value
    if (!s || !KEPT_RUNS.includes(result.kind) || !('result' in result)) return
    state.value = { ...s, results: { ...s.results, [result.kind]: result as RunResult } }
  }

  /** Renames a session (the saved copy at once, the open one too). */
  async function rename(sessionId: string, newName: string): Promise<SessionSummary> {
    const row = await getApi().call('sessions.rename', { id: sessionId, name: newName })
    list.value = list.value.map((x) => (x.id === row.id ? { ...x, name: row.name } : x))
    if (state.value?.id === row.id) state.value = { ...state.value, name: row.name }
    return row
  }

  /** Deletes a session, saved copy and open copy; deleting the open one leaves no session open. */
  async function remove(sessionId: string): Promise<boolean> {
    const { deleted } = await getApi().call('sessions.delete', { id: sessionId })
    list.value = list.value.filter((x) => x.id !== sessionId)
    if (state.value?.id === sessionId) {
      state.value = null
      dirty.value = false
      lastSavedAt.value = null
    }
    return deleted
  }

  /** The session as the backend answered an edit of it (a model or experiment renamed or deleted). */
  function adopt(next: SessionState): void {
    if (state.value?.id !== next.id) return
    state.value = next
    dirty.value = true
  }

  function markDirty(): void {
    if (state.value) dirty.value = true
  }

  function requireSession(): SessionState {
    if (!state.value) throw new Error('no session is open')
    return state.value
  }

  return {
    state,
    list,
    dirty,
    lastSavedAt,
    busy,
    id,
    name,
    allModels,
    models,
    rbms,
    activeModel,
    refreshList,
    create,
    open,
    save,
    close,
    update,
    updateUi,
    train,
    reload,
    addExperiment,
    addModel,
    keepResult,
    rename,
    remove,
    adopt,
    markDirty
  }
})
