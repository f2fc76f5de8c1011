// The active Hopfield model: training options (rule and its settings, training seed), Train, the
// stored patterns (for cues and chart labels), and export.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { Result } from '../../../shared/api'
import type { ModelInfo } from '../../../shared/session'
import type { HopfieldModelSpec, LearningRuleName } from '../../../shared/spec'
import { getApi } from '../api'
import { buildModelSpec, DEFAULT_ENERGY, defaultZeroDiagonal, HEBB_CAPACITY, modelOptionsOf, ruleCapacity, type EnergyOptions } from '../lib/model-spec'
import { useDatasetsStore } from './datasets'
import { useSessionStore } from './session'

export { zeroDiagonalOf } from '../lib/model-spec'

/** Hopfield's capacity estimate for random patterns (Amit, Gutfreund & Sompolinsky): P/N ≈ 0.138. */
export const CAPACITY = HEBB_CAPACITY

export type ExportFormat = 'onnx' | 'safetensors' | 'npz'
export type ExportResult = Result<'models.export'>

export const useModelStore = defineStore('model', () => {
  const session = useSessionStore()
  const datasets = useDatasetsStore()

  const rule = ref<LearningRuleName>('hebb')
  const normalisation = ref<HopfieldModelSpec['normalisation']>('none')
  const zeroDiagonal = ref(true)
  const energy = ref<EnergyOptions>({ ...DEFAULT_ENERGY })
  const encoding = ref<'bipolar' | 'binary'>('bipolar')
  const threshold = ref(0)
  /** Seed of models.train (drives energy training's random draws). */
  const seed = ref(0)
  const storedPatterns = shallowRef<Int8Array[]>([])
  const storedLabels = ref<string[]>([])
  /** Id of the model whose stored patterns are loaded. */
  const loadedFor = ref<string | null>(null)
  const lastExport = ref<(ExportResult & { format: ExportFormat }) | null>(null)
  const exporting = ref<ExportFormat | null>(null)

  const active = computed<ModelInfo | null>(() => session.activeModel)
  const load = computed(() => (active.value ? active.value.patterns / active.value.units : null))
  /** The load the active model's rule is expected to hold (null: no closed form). */
  const capacity = computed(() => (active.value ? ruleCapacity(active.value.spec.rule, active.value.units) : null))
  const overCapacity = computed(() => load.value !== null && !!capacity.value && load.value > capacity.value.alpha)
  const ready = computed(() => !!active.value && loadedFor.value === active.value.id)

  async function loadStored(model: ModelInfo | null): Promise<void> {
    if (!model) {
      storedPatterns.value = []
      storedLabels.value = []
      loadedFor.value = null
      return
    }
    const got = await datasets.fetch(model.dataset.builtin, model.patternIndices, model.dataset.threshold ?? 0.5)
    if (session.activeModel?.id !== model.id) return
    storedPatterns.value = got.patterns
    storedLabels.value = got.labels
    loadedFor.value = model.id
  }

  // The watcher keeps stored patterns in step with the active model however it changed (train, open, pick).
  watch(
    () => active.value?.id ?? null,
    () => {
      void loadStored(active.value).catch(() => {
        loadedFor.value = null
      })
    },
    { immediate: true }
  )

  function spec(): HopfieldModelSpec {
    return buildModelSpec({
      rule: rule.value,
      normalisation: normalisation.value,
      zeroDiagonal: zeroDiagonal.value,
      energy: energy.value,
      encoding: encoding.value,
      threshold: threshold.value
    })
  }

  /** Another rule: the diagonal goes back to that rule's default. */
  function setRule(next: LearningRuleName): void {
    rule.value = next
    zeroDiagonal.value = defaultZeroDiagonal(next)
  }

  async function train(): Promise<ModelInfo> {
    const id = datasets.currentId
    if (!id) throw new Error('pick a dataset first')
    if (datasets.selection.length === 0) throw new Error('select at least one pattern to store')
    const trained = await session.train({
      dataset: { builtin: id, select: [...datasets.selection], threshold: datasets.threshold },
      model: spec(),
      seed: seed.value
    })
    const model = session.models.find((m) => m.id === trained.id)
    if (!model) throw new Error('models.train: the trained Hopfield network is not in the session')
    await loadStored(model)
    return model
  }

  async function activate(modelId: string): Promise<void> {
    await session.update({ activeModelId: modelId })
  }

  /** Asks the backend for the file; returns it (the caller triggers the browser download). */
  async function exportModel(format: ExportFormat): Promise<ExportResult> {
    const s = session.state
    const m = active.value
    if (!s || !m) throw new Error('train a model first')
    exporting.value = format
    try {
      const out = await getApi().call('models.export', { sessionId: s.id, modelId: m.id, format })
      lastExport.value = { ...out, format }
      return out
    } finally {
      exporting.value = null
    }
  }

  /** Training options shown for the active model (so reopening shows what was trained). */
  function adoptSpec(model: ModelInfo | null): void {
    if (!model) return
    const o = modelOptionsOf(model.spec)
    rule.value = o.rule
    normalisation.value = o.normalisation
    zeroDiagonal.value = o.zeroDiagonal
    energy.value = o.energy
    encoding.value = o.encoding
    threshold.value = o.threshold
    seed.value = model.seed ?? 0
  }

  return {
    rule,
    normalisation,
    zeroDiagonal,
    energy,
    encoding,
    threshold,
    seed,
    storedPatterns,
    storedLabels,
    loadedFor,
    lastExport,
    exporting,
    active,
    load,
    capacity,
    overCapacity,
    ready,
    loadStored,
    spec,
    setRule,
    train,
    activate,
    exportModel,
    adoptSpec
  }
})
