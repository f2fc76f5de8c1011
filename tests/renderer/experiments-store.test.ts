import { createPinia, setActivePinia } from 'pinia'
import { experimentSpecSchema } from '../../src/shared/spec'
import { beforeEach, describe, expect, it } from 'vitest'
import type { ExperimentRecord, ModelInfo, SessionState } from '../../src/shared/session'
import { setApi } from '../../src/renderer/src/api'
import { useDatasetsStore } from '../../src/renderer/src/stores/datasets'
import { useExperimentsStore } from '../../src/renderer/src/stores/experiments'
import { useJobsStore } from '../../src/renderer/src/stores/jobs'
import { useModelStore } from '../../src/renderer/src/stores/model'
import { useSessionStore } from '../../src/renderer/src/stores/session'
import { readUi, restore } from '../../src/renderer/src/workbench'
import { FakeApi, emptySession, scriptToyDatasets } from './fake-api'

let api: FakeApi

beforeEach(() => {
  api = scriptToyDatasets(new FakeApi())
  setApi(api)
  setActivePinia(createPinia())
})

const model: ModelInfo = {
  kind: 'hopfield',
  id: 'm1',
  name: 'hopfield-1',
  spec: { kind: 'hopfield', rule: 'pseudo-inverse', normalisation: 'none' },
  dataset: { builtin: 'seeds-000-nine', select: [1, 3], threshold: 0.5 },
  units: 4,
  patterns: 2,
  patternIndices: [1, 3],
  width: 2,
  height: 2,
  storedFixedPoints: 2,
  seed: 5,
  createdAt: '2026-01-01T00:00:00.000Z'
}

function record(id: string, type: 'capacity' | 'noise'): ExperimentRecord {
  const sweep =
    type === 'capacity'
      ? { type, units: 4, theory: { hebbCritical: 0.5, hebbPerPattern: 1, hebbAllPatterns: 0.7, storkey: 2, pseudoInverse: 4 }, points: [] }
      : { type, points: [] }
  return {
    id,
    name: id,
    createdAt: '2026-01-01T00:00:00.000Z',
    result: {
      kind: 'engram.experiment-result',
      version: 1,
      spec: experimentSpecSchema.parse({ name: id, seed: 1, ...(type === 'capacity' ? {} : { dataset: { builtin: 'letters', count: 3 } }), model: { kind: 'hopfield' }, sweep: type === 'capacity' ? { type, units: 4, patternCounts: [1, 2], rules: ['hebb'] } : { type, fractions: [0, 0.2] } }),
      createdAt: '2026-01-01T00:00:00.000Z',
      engram: 't',
      rng: 'x',
      compute: { path: 'engine', provider: 'cpu' },
      sweep
    }
  } as unknown as ExperimentRecord
}

describe('experiments store', () => {
  it('runs the form as an experiment job built from the active model, and shows the record when it is done', async () => {
    const state: SessionState = { ...emptySession(), models: [model], activeModelId: 'm1' }
    api.handle('sessions.open', () => state).handle('jobs.start', () => ({ jobId: 'j1' }))
    const session = useSessionStore()
    await session.open('s1')
    const exp = useExperimentsStore()
    exp.form.type = 'noise'
    exp.form.noise.fractions = '0, 0.2'
    await exp.run()
    expect(api.callsOf('jobs.start')).toEqual([
      {
        sessionId: 's1',
        spec: {
          kind: 'experiment',
          spec: {
            name: 'noise · pseudo-inverse · seeds-000-nine 2',
            seed: 5,
            dataset: model.dataset,
            model: model.spec,
            sweep: { type: 'noise', fractions: [0, 0.2], cuesPerPattern: 20, recall: { mode: 'sync', maxSweeps: 50 } }
          }
        }
      }
    ])
    expect(exp.running).toBe(true)

    const r = record('e1', 'noise')
    useJobsStore().onDone({ jobId: 'j1', sessionId: 's1', result: { kind: 'experiment', record: r } })
    exp.onDone('j1', r)
    expect(session.state?.experiments.map((x) => x.id)).toEqual(['e1'])
    expect(exp.selected?.id).toBe('e1')
    expect(exp.running).toBe(false)
    // The same record twice (a reload raced the event) is kept once.
    exp.onDone('j1', r)
    expect(session.state?.experiments).toHaveLength(1)
  })

  it('refuses to run a form the contract would refuse', async () => {
    api.handle('sessions.open', () => emptySession())
    await useSessionStore().open('s1')
    const exp = useExperimentsStore()
    exp.form.type = 'census'
    await expect(exp.run()).rejects.toThrow(/source: no active model/)
    expect(api.callsOf('jobs.start')).toEqual([])
  })

  it('overlays only other runs of the same sweep', async () => {
    const state: SessionState = { ...emptySession(), experiments: [record('a', 'capacity'), record('b', 'noise'), record('c', 'capacity')] }
    api.handle('sessions.open', () => state)
    await useSessionStore().open('s1')
    const exp = useExperimentsStore()
    exp.restore({})
    expect(exp.selected?.id).toBe('c')
    exp.toggleOverlay('a')
    exp.toggleOverlay('b')
    expect(exp.overlaid.map((r) => r.id)).toEqual(['a'])
    exp.select('a')
    expect(exp.overlay).toEqual(['b'])
    expect(exp.overlaid).toEqual([])
  })
})

describe('workbench with experiments and training options', () => {
  it('restores the experiments page and the training options from the session ui', async () => {
    const experiments = [record('a', 'capacity'), record('b', 'capacity')]
    const ui = {
      workbench: {
        rule: 'energy',
        energy: { valleys: 'random', mode: 'batch', epochs: 9, eta: 0.2, evolutionSteps: 3, cueNoise: 0.1 },
        trainSeed: 77,
        experiments: { form: { type: 'basins', capacity: { units: 64 } }, selectedId: 'a', overlay: ['b', 'gone'] }
      }
    }
    const state: SessionState = { ...emptySession(), models: [model], activeModelId: 'm1', dataset: model.dataset, experiments, ui }
    api.handle('sessions.open', () => state)
    await useDatasetsStore().loadList()
    const session = useSessionStore()
    await session.open('s1')
    await restore(session.state!)
    const m = useModelStore()
    expect(m.rule).toBe('energy')
    expect(m.energy).toEqual({ valleys: 'random', mode: 'batch', epochs: 9, eta: 0.2, evolutionSteps: 3, cueNoise: 0.1 })
    expect(m.seed).toBe(77)
    const exp = useExperimentsStore()
    expect(exp.form.type).toBe('basins')
    expect(exp.form.capacity.units).toBe(64)
    expect(exp.selectedId).toBe('a')
    expect(exp.overlay).toEqual(['b'])
  })

  it('without saved options, shows the active model’s rule, diagonal and seed', async () => {
    const state: SessionState = { ...emptySession(), models: [model], activeModelId: 'm1', dataset: model.dataset }
    api.handle('sessions.open', () => state)
    await useDatasetsStore().loadList()
    const session = useSessionStore()
    await session.open('s1')
    await restore(session.state!)
    const m = useModelStore()
    expect(m.rule).toBe('pseudo-inverse')
    expect(m.zeroDiagonal).toBe(false)
    expect(m.seed).toBe(5)
    expect(m.capacity?.alpha).toBe(1)
  })

  it('trains with the chosen rule, its options and the training seed', async () => {
    let state: SessionState = emptySession()
    api.handle('sessions.open', () => state).handle('models.train', (p) => {
      const trained: ModelInfo = { ...model, spec: p.model as ModelInfo['spec'], seed: p.seed ?? 0 }
      state = { ...state, models: [trained], activeModelId: 'm1' }
      // Training is a job: its result arrives as job.done after models.train answers.
      setTimeout(() => useJobsStore().onDone({ jobId: 'jt', sessionId: 's1', result: { kind: 'hopfield.train', model: trained } }), 0)
      return { jobId: 'jt' }
    })
    await useDatasetsStore().loadList()
    await useDatasetsStore().select('seeds-000-nine', { selection: [1, 3] })
    await useSessionStore().open('s1')
    const m = useModelStore()
    m.setRule('pseudo-inverse')
    expect(m.zeroDiagonal).toBe(false)
    m.setRule('energy')
    expect(m.zeroDiagonal).toBe(true)
    m.energy = { ...m.energy, epochs: 12 }
    m.seed = 99
    await m.train()
    expect(api.callsOf('models.train')).toEqual([
      {
        sessionId: 's1',
        dataset: { builtin: 'seeds-000-nine', select: [1, 3], threshold: 0.5 },
        model: { kind: 'hopfield', rule: 'energy', normalisation: 'none', energy: { valleys: 'few-steps', mode: 'sgd', epochs: 12, eta: 0.01, evolutionSteps: 2, cueNoise: 0 } },
        seed: 99
      }
    ])
  })

  it('reads only valid training options from the ui record', () => {
    const ui = readUi({ ...emptySession(), ui: { workbench: { rule: 'magic', trainSeed: -3, energy: { mode: 'fast', epochs: 'x', eta: 0.5 } } } })
    expect(ui.rule).toBeUndefined()
    expect(ui.trainSeed).toBeUndefined()
    expect(ui.energy).toEqual({ valleys: 'few-steps', mode: 'sgd', epochs: 50, eta: 0.5, evolutionSteps: 2, cueNoise: 0 })
  })
})
