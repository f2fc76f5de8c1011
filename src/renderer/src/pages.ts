// The workbench's pages, registered in one list: tab, component, the model family it shows, what it keeps in the
// session's ui record, and the jobs it follows (adopted after a reload, results routed to it). App.vue, the top bar
// and workbench.ts iterate over this list; a new family's page is one entry here.
import { defineAsyncComponent, type Component } from 'vue'
import type { Events, JobResult, RunningJob } from '../../shared/api'
import type { FamilyKind } from '../../shared/families'
import { useBamStore } from './stores/bam'
import { useBatchStore } from './stores/batch'
import { useExperimentsStore } from './stores/experiments'
import { useHopfieldLayerStore } from './stores/hopfield-layer'
import { useModernStore } from './stores/modern'
import { useRbmStore } from './stores/rbm'
import { useRecallStore } from './stores/recall'
import { useRecurrentStore } from './stores/recurrent'
import { useSessionStore } from './stores/session'

export interface JobRoute {
  /** A job of this kind found running after a reload or reconnect (jobs.list). */
  adopt?(job: RunningJob): void
  /** Its progress events, in the open session (live charts). */
  progress?(event: Events['job.progress']): void
  /** Its result, in the open session. */
  done?(jobId: string, result: JobResult): void
}

export interface PageEntry {
  /** In the URL fragment (page=…) and the session's ui record; the tab's test id is `<tab>-tab`. */
  id: string
  tab: string
  label: string
  /** The model family the page trains and runs (none for the experiments page). */
  family?: FamilyKind
  component: Component
  /** A running job of the page (a busy mark on its tab) and what the tab counts. */
  busy(): boolean
  count(): number
  /** Page settings kept in the session's ui record under the page's id (read back by restore, which checks every field). */
  ui?: { snapshot(): unknown; restore(raw: unknown): void; reset(): void }
  jobs: Record<string, JobRoute>
}

const reloadSession = (): void => void useSessionStore().reload()

export const PAGES = [
  {
    id: 'recall',
    tab: 'recall',
    label: 'Recall lab',
    family: 'hopfield',
    component: defineAsyncComponent(() => import('./components/RecallLabPage.vue')),
    busy: () => false,
    count: () => 0,
    jobs: {
      // A training that ended while nobody waited for it (a reloaded page): the session holds the new net.
      'hopfield.train': { done: reloadSession },
      'recall.async': {
        adopt: (j) => (useRecallStore().jobId = j.jobId),
        done: (jobId, r) => {
          if (r.kind !== 'recall.async') return
          const recall = useRecallStore()
          recall.setResult(r.result, 'end')
          recall.pickSpeed()
          if (!recall.jobId) recall.jobId = jobId
        }
      },
      'recall.batch': {
        adopt: (j) => (useBatchStore().jobId = j.jobId),
        done: (jobId, r) => {
          if (r.kind !== 'recall.batch') return
          const batch = useBatchStore()
          batch.setResult(r.result)
          if (!batch.jobId) batch.jobId = jobId
        }
      }
    }
  },
  {
    id: 'experiments',
    tab: 'exp',
    label: 'Experiments',
    component: defineAsyncComponent(() => import('./components/ExperimentsPage.vue')),
    busy: () => useExperimentsStore().running,
    count: () => useExperimentsStore().records.length,
    ui: {
      snapshot: () => useExperimentsStore().snapshot(),
      restore: (raw) => useExperimentsStore().restore(raw),
      reset: () => useExperimentsStore().restore({ form: useExperimentsStore().form })
    },
    jobs: {
      experiment: {
        adopt: (j) => (useExperimentsStore().jobId = j.jobId),
        done: (jobId, r) => {
          if (r.kind === 'experiment') useExperimentsStore().onDone(jobId, r.record)
        }
      }
    }
  },
  {
    id: 'rbm',
    tab: 'rbm',
    label: 'RBM',
    family: 'rbm',
    component: defineAsyncComponent(() => import('./components/RbmPage.vue')),
    busy: () => useRbmStore().training || useRbmStore().sampling,
    count: () => useRbmStore().rbms.length,
    ui: {
      snapshot: () => useRbmStore().snapshot(),
      restore: (raw) => useRbmStore().restore(raw),
      reset: () => useRbmStore().restore({ form: useRbmStore().form, sample: useRbmStore().sampleForm })
    },
    jobs: {
      'rbm.train': {
        adopt: (j) => useRbmStore().adoptTraining(j),
        progress: (e) => useRbmStore().onProgress(e),
        done: (jobId, r) => {
          if (r.kind === 'rbm.train') useRbmStore().onTrainDone(jobId, r.model)
        }
      },
      'rbm.sample': {
        done: (_jobId, r) => {
          if (r.kind === 'rbm.sample') useRbmStore().onSampleDone(r)
        }
      }
    }
  },
  {
    id: 'bam',
    tab: 'bam',
    label: 'BAM',
    family: 'bam',
    component: defineAsyncComponent(() => import('./components/BamPage.vue')),
    busy: () => useBamStore().busy === 'train' || useBamStore().busy === 'recall',
    count: () => useBamStore().bams.length,
    ui: {
      snapshot: () => useBamStore().snapshot(),
      restore: (raw) => useBamStore().restore(raw),
      reset: () => useBamStore().restore({ ...useBamStore().snapshot(), selectedId: null })
    },
    jobs: {
      'bam.train': { done: reloadSession },
      // The page awaits its own recalls; one that ended while nobody waited (a reloaded page) is shown too.
      'bam.recall': { done: (_jobId, r) => useSessionStore().keepResult(r) }
    }
  },
  {
    id: 'modern',
    tab: 'modern',
    label: 'Modern',
    family: 'modern',
    component: defineAsyncComponent(() => import('./components/ModernPage.vue')),
    busy: () => useModernStore().busy === 'train' || useModernStore().busy === 'retrieve',
    count: () => useModernStore().models.length,
    ui: {
      snapshot: () => useModernStore().snapshot(),
      restore: (raw) => useModernStore().restore(raw),
      reset: () => useModernStore().restore({ ...useModernStore().snapshot(), selectedId: null })
    },
    jobs: {
      'modern.train': { done: reloadSession },
      'modern.retrieve': { done: (_jobId, r) => useSessionStore().keepResult(r) }
    }
  },
  {
    id: 'recurrent',
    tab: 'rnn',
    label: 'RNN',
    family: 'recurrent',
    component: defineAsyncComponent(() => import('./components/RecurrentPage.vue')),
    busy: () => useRecurrentStore().training || useRecurrentStore().busy === 'generate' || useRecurrentStore().busy === 'predict',
    count: () => useRecurrentStore().models.length,
    ui: {
      snapshot: () => useRecurrentStore().snapshot(),
      restore: (raw) => useRecurrentStore().restore(raw),
      reset: () => useRecurrentStore().restore({ ...useRecurrentStore().snapshot(), selectedId: null })
    },
    jobs: {
      'recurrent.train': {
        adopt: (j) => useRecurrentStore().adoptTraining(j),
        progress: (e) => useRecurrentStore().onProgress(e),
        done: (jobId, r) => {
          if (r.kind === 'recurrent.train') useRecurrentStore().onTrainDone(jobId, r.model)
        }
      },
      'recurrent.generate': { done: (_jobId, r) => useSessionStore().keepResult(r) },
      'recurrent.predict': { done: (_jobId, r) => useSessionStore().keepResult(r) }
    }
  },
  {
    id: 'hopfield-layer',
    tab: 'hlayer',
    label: 'Hopfield layer',
    family: 'hopfield-layer',
    component: defineAsyncComponent(() => import('./components/HopfieldLayerPage.vue')),
    busy: () => useHopfieldLayerStore().training,
    count: () => useHopfieldLayerStore().models.length,
    ui: {
      snapshot: () => useHopfieldLayerStore().snapshot(),
      restore: (raw) => useHopfieldLayerStore().restore(raw),
      reset: () => useHopfieldLayerStore().restore({ ...useHopfieldLayerStore().snapshot(), selectedId: null })
    },
    jobs: {
      'hopfield-layer.train': {
        adopt: (j) => useHopfieldLayerStore().adoptTraining(j),
        progress: (e) => useHopfieldLayerStore().onProgress(e),
        done: (jobId, r) => {
          if (r.kind === 'hopfield-layer.train') useHopfieldLayerStore().onTrainDone(jobId, r.model)
        }
      }
    }
  }
] as const satisfies readonly PageEntry[]

export type Page = (typeof PAGES)[number]['id']

export function isPage(id: unknown): id is Page {
  return PAGES.some((p) => p.id === id)
}

/** The route of a job kind, from whichever page follows it. */
export function jobRoute(kind: string): JobRoute | undefined {
  for (const page of PAGES as readonly PageEntry[]) {
    const route = page.jobs[kind]
    if (route) return route
  }
  return undefined
}
