// Renaming and deleting what a session holds (sessions, models, experiments, imported datasets) and starting a new
// session without losing unsaved work: every delete asks first, "New" over unsaved work asks save / discard / cancel.
import { isEmptySession } from '../../shared/session'
import { getApi } from './api'
import { confirmDelete, useConfirmStore } from './stores/confirm'
import { useDatasetsStore } from './stores/datasets'
import { useSessionStore } from './stores/session'
import { forgetSession, newSession, restore, saveSession } from './workbench'

/**
 * "New": with unsaved work in the open session, asks first: save it, discard the unsaved changes (the saved copy, if
 * any, stays), or cancel. An empty session nobody used is simply dropped. Returns whether a new session was started.
 */
export async function startNewSession(): Promise<boolean> {
  const session = useSessionStore()
  const s = session.state
  if (s && session.dirty) {
    if (isEmptySession(s)) await session.close()
    else {
      const choice = await useConfirmStore().ask({
        title: 'Unsaved changes',
        message: `“${s.name}” has changes that are not saved.`,
        choices: [
          { id: 'save', label: 'Save, then new', kind: 'primary' },
          { id: 'discard', label: 'Discard changes', kind: 'danger' },
          { id: 'cancel', label: 'Cancel' }
        ]
      })
      if (choice === 'cancel') return false
      if (choice === 'save') await saveSession()
      else await session.close()
    }
  }
  await newSession()
  return true
}

export async function renameSession(id: string, name: string): Promise<void> {
  await useSessionStore().rename(id, name)
}

/** Deletes a session after asking; the open one is closed and its panels cleared. */
export async function deleteSession(id: string): Promise<boolean> {
  const session = useSessionStore()
  const row = session.list.find((x) => x.id === id)
  const name = row?.name ?? (session.state?.id === id ? session.name : id)
  const open = session.state?.id === id
  const ok = await confirmDelete(
    `session “${name}”`,
    `Its saved copy, models, results and experiments are removed for good.${open ? ' It is the open session: the workbench is left without one.' : ''}`
  )
  if (!ok) return false
  await session.remove(id)
  if (open) forgetSession()
  void session.refreshList().catch(() => {})
  return true
}

export async function renameModel(modelId: string, name: string): Promise<void> {
  const session = useSessionStore()
  if (!session.state) return
  session.adopt(await getApi().call('models.rename', { sessionId: session.state.id, modelId, name }))
}

/** Deletes a trained model after asking; its results go with it and the panels show what is left. */
export async function deleteModel(modelId: string): Promise<boolean> {
  const session = useSessionStore()
  const s = session.state
  const m = s?.models.find((x) => x.id === modelId)
  if (!s || !m) return false
  if (!(await confirmDelete(`model “${m.name}”`, 'Its weights and the results computed with it leave the session (the saved copy changes when you save).'))) return false
  const next = await getApi().call('models.delete', { sessionId: s.id, modelId })
  session.adopt(next)
  await restore(next)
  return true
}

export async function renameExperiment(experimentId: string, name: string): Promise<void> {
  const session = useSessionStore()
  if (!session.state) return
  session.adopt(await getApi().call('experiments.rename', { sessionId: session.state.id, experimentId, name }))
}

export async function deleteExperiment(experimentId: string): Promise<boolean> {
  const session = useSessionStore()
  const s = session.state
  const e = s?.experiments.find((x) => x.id === experimentId)
  if (!s || !e) return false
  if (!(await confirmDelete(`experiment “${e.name}”`, 'Its result leaves the history (the saved copy changes when you save).'))) return false
  session.adopt(await getApi().call('experiments.delete', { sessionId: s.id, experimentId }))
  return true
}

/** Deletes an imported dataset after asking; the picker falls back to the letters when it was shown. */
export async function deleteDataset(id: string): Promise<boolean> {
  const datasets = useDatasetsStore()
  const d = datasets.list.find((x) => x.id === id)
  if (!d) return false
  const ok = await confirmDelete(`dataset “${d.name}”`, `The imported files of ${d.id} are removed from the data directory. Models trained on it keep their weights.`)
  if (!ok) return false
  await getApi().call('datasets.delete', { id: d.id })
  const list = await datasets.loadList()
  if (datasets.currentId === id) {
    const next = list.find((x) => x.id === 'letters') ?? list[0]
    if (next) await datasets.select(next.id)
  }
  return true
}
