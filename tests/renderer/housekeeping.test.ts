// Renaming and deleting from the workbench (the fake API checks every call and answer against the contract):
// New over unsaved work asks save / discard / cancel, deletes ask first, the open session deleted leaves none open.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import type { SessionState } from '../../src/shared/session'
import { setApi } from '../../src/renderer/src/api'
import { deleteDataset, deleteExperiment, deleteModel, deleteSession, renameModel, renameSession, startNewSession } from '../../src/renderer/src/housekeeping'
import { useConfirmStore } from '../../src/renderer/src/stores/confirm'
import { useDatasetsStore } from '../../src/renderer/src/stores/datasets'
import { useSessionStore } from '../../src/renderer/src/stores/session'
import { FakeApi, TOY, emptySession, scriptToyDatasets } from './fake-api'

let api: FakeApi

/** A session with work in it (the store is set directly; the API answers are what the contract checks). */
function withWork(id = 's1', name = 'Work'): SessionState {
  return { ...emptySession(id, name), models: [{ id: 'm1', kind: 'hopfield', name: 'net' } as never] }
}

async function answerWhenAsked(choice: string): Promise<string> {
  const confirm = useConfirmStore()
  for (let i = 0; i < 50 && !confirm.question; i++) await nextTick()
  const title = confirm.question?.title ?? '(not asked)'
  confirm.answer(choice)
  return title
}

beforeEach(() => {
  api = scriptToyDatasets(new FakeApi())
    .handle('sessions.list', () => [])
    .handle('sessions.create', (p) => emptySession('s2', p.name))
    .handle('sessions.update', (p) => ({ ...emptySession('s2'), ui: p.patch.ui ?? {} }))
    .handle('sessions.save', (p) => ({ id: p.id, name: 'Work', createdAt: 'a', updatedAt: 'b', models: 1, dirty: false }))
    .handle('sessions.close', () => ({ closed: true }))
    .handle('sessions.delete', () => ({ deleted: true }))
  setApi(api)
  setActivePinia(createPinia())
})

describe('New with unsaved work', () => {
  it('asks, and Cancel keeps the session open and creates nothing', async () => {
    const session = useSessionStore()
    session.state = withWork()
    session.dirty = true
    const started = startNewSession()
    expect(await answerWhenAsked('cancel')).toBe('Unsaved changes')
    expect(await started).toBe(false)
    expect(session.id).toBe('s1')
    expect(api.callsOf('sessions.create')).toHaveLength(0)
  })

  it('Save saves first, then starts the new session', async () => {
    const session = useSessionStore()
    session.state = withWork()
    session.dirty = true
    const started = startNewSession()
    await answerWhenAsked('save')
    expect(await started).toBe(true)
    const order = api.calls.map((c) => c.method).filter((m) => m === 'sessions.save' || m === 'sessions.create')
    expect(order).toEqual(['sessions.save', 'sessions.create'])
    expect(session.id).toBe('s2')
  })

  it('Discard closes the open copy (the saved one stays) and starts the new session', async () => {
    const session = useSessionStore()
    session.state = withWork()
    session.dirty = true
    const started = startNewSession()
    await answerWhenAsked('discard')
    expect(await started).toBe(true)
    expect(api.callsOf('sessions.close')).toEqual([{ id: 's1' }])
    expect(api.callsOf('sessions.save')).toHaveLength(0)
    expect(session.id).toBe('s2')
  })

  it('does not ask for a saved session or an empty one; an empty unsaved one is dropped', async () => {
    const session = useSessionStore()
    session.state = emptySession('s1', 'empty')
    session.dirty = true
    expect(await startNewSession()).toBe(true)
    expect(useConfirmStore().question).toBeNull()
    expect(api.callsOf('sessions.close')).toEqual([{ id: 's1' }])
    session.state = withWork('s3')
    session.dirty = false
    expect(await startNewSession()).toBe(true)
    expect(useConfirmStore().question).toBeNull()
  })
})

describe('sessions', () => {
  it('renames in the list and the open session', async () => {
    api.handle('sessions.rename', (p) => ({ id: p.id, name: p.name, createdAt: 'a', updatedAt: 'b', models: 1, dirty: false }))
    const session = useSessionStore()
    session.state = withWork()
    session.list = [{ id: 's1', name: 'Work', createdAt: 'a', updatedAt: 'b', models: 1, dirty: false }]
    await renameSession('s1', 'Renamed')
    expect(session.name).toBe('Renamed')
    expect(session.list[0]?.name).toBe('Renamed')
  })

  it('deletes only after Delete; deleting the open session leaves none open', async () => {
    const session = useSessionStore()
    session.state = withWork()
    session.dirty = true
    const kept = deleteSession('s1')
    expect(await answerWhenAsked('cancel')).toBe('Delete session “Work”?')
    expect(await kept).toBe(false)
    expect(api.callsOf('sessions.delete')).toHaveLength(0)
    const gone = deleteSession('s1')
    await answerWhenAsked('delete')
    expect(await gone).toBe(true)
    expect(api.callsOf('sessions.delete')).toEqual([{ id: 's1' }])
    expect(session.state).toBeNull()
    expect(session.dirty).toBe(false)
  })
})

describe('models, experiments, datasets', () => {
  it('renames and deletes a model of the open session', async () => {
    api.handle('models.rename', (p) => ({ ...emptySession(p.sessionId, 'Work') })).handle('models.delete', (p) => ({ ...emptySession(p.sessionId, 'Work') }))
    const session = useSessionStore()
    session.state = withWork()
    await renameModel('m1', 'better name')
    expect(api.callsOf('models.rename')).toEqual([{ sessionId: 's1', modelId: 'm1', name: 'better name' }])
    session.state = withWork()
    const deleted = deleteModel('m1')
    expect(await answerWhenAsked('delete')).toBe('Delete model “net”?')
    expect(await deleted).toBe(true)
    expect(api.callsOf('models.delete')).toEqual([{ sessionId: 's1', modelId: 'm1' }])
    expect(session.allModels).toHaveLength(0)
    expect(session.dirty).toBe(true)
  })

  it('deletes an experiment after asking', async () => {
    api.handle('experiments.delete', (p) => emptySession(p.sessionId, 'Work'))
    const session = useSessionStore()
    session.state = { ...emptySession('s1', 'Work'), experiments: [{ id: 'e1', name: 'capacity run' } as never] }
    const deleted = deleteExperiment('e1')
    expect(await answerWhenAsked('delete')).toBe('Delete experiment “capacity run”?')
    expect(await deleted).toBe(true)
    expect(session.state?.experiments).toEqual([])
  })

  it('deletes an imported dataset and shows another when it was the current one', async () => {
    const imported = { ...TOY.summary, id: 'user:junk', name: 'junk' }
    let listed = [TOY.summary, imported]
    api.handle('datasets.list', () => listed).handle('datasets.delete', () => {
      listed = [TOY.summary]
      return { deleted: true }
    })
    const datasets = useDatasetsStore()
    await datasets.loadList()
    datasets.currentId = 'user:junk'
    const deleted = deleteDataset('user:junk')
    await answerWhenAsked('delete')
    expect(await deleted).toBe(true)
    expect(api.callsOf('datasets.delete')).toEqual([{ id: 'user:junk' }])
    expect(datasets.list.map((d) => d.id)).toEqual([TOY.summary.id])
    expect(datasets.currentId).toBe(TOY.summary.id)
  })
})

describe('datasets imported elsewhere', () => {
  it('appear when the window comes back into focus', async () => {
    const { watchDatasets } = await import('../../src/renderer/src/workbench')
    const imported: Omit<typeof TOY.summary, 'id'> & { id: string } = { ...TOY.summary, id: 'user:from-cli', name: 'from the CLI' }
    let listed: (typeof imported)[] = [TOY.summary]
    api.handle('datasets.list', () => listed)
    const handlers: Record<string, () => void> = {}
    const source = { addEventListener: (type: string, fn: () => void) => void (handlers[type] = fn) }
    const datasets = useDatasetsStore()
    await datasets.loadList()
    const refresh = watchDatasets(source, { ...source, visibilityState: 'visible' }, 0)
    listed = [TOY.summary, imported]
    expect(datasets.list.map((d) => d.id)).toEqual([TOY.summary.id])
    handlers.focus?.()
    await refresh()
    expect(datasets.list.map((d) => d.id)).toEqual([TOY.summary.id, 'user:from-cli'])
    expect(Object.keys(handlers).sort()).toEqual(['focus', 'visibilitychange'])
  })
})
