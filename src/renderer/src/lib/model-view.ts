// A family's quick view (models.view) of the model a panel shows: fetched on request, kept with the model it came
// from, and dropped when another model is shown (e.g. the modern page's attention view).
import { computed, ref, shallowRef, watch } from 'vue'
import type { ViewRequestInput, ViewResult } from '../../../shared/families'
import { getApi } from '../api'

export type ViewOf<K extends ViewResult['kind']> = Extract<ViewResult, { kind: K }> & { modelId: string }

export function useModelView<K extends ViewResult['kind']>(kind: K, shownModelId: () => string | null | undefined) {
  const result = shallowRef<ViewOf<K> | null>(null)
  const loading = ref(false)
  const shown = computed(() => (result.value && result.value.modelId === shownModelId() ? result.value : null))

  /** Asks for the view; throws when the answer is another view's. */
  async function load(sessionId: string, modelId: string, view: ViewRequestInput & { kind: K }): Promise<ViewOf<K>> {
    loading.value = true
    try {
      const got = await getApi().call('models.view', { sessionId, modelId, view })
      if (got.kind !== kind) throw new Error(`models.view: a ${got.kind} view came back, not ${kind}`)
      result.value = { ...(got as Extract<ViewResult, { kind: K }>), modelId }
      return result.value
    } finally {
      loading.value = false
    }
  }

  watch(shownModelId, (id) => {
    if (result.value && result.value.modelId !== id) result.value = null
  })
  return { result, loading, shown, load }
}
