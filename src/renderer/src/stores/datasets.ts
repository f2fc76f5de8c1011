// Datasets (built-in and imported 'user:…' ones): the list, importing an IDX file, the browsed dataset's pages of patterns (cached, paged for the
// 10k digits), and the selection of patterns to store.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { DatasetSummary } from '../../../shared/api'
import type { DatasetId } from '../../../shared/spec'
import { getApi } from '../api'

export const PAGE_SIZE = 120
/** The backend's datasets.get limit. */
const MAX_LIMIT = 2000

interface CacheEntry {
  pattern: Int8Array
  label: string
}

function key(id: DatasetId, threshold: number, index: number): string {
  return `${id}|${threshold}|${index}`
}

export const useDatasetsStore = defineStore('datasets', () => {
  const list = shallowRef<DatasetSummary[]>([])
  const currentId = ref<DatasetId | null>(null)
  const threshold = ref(0.5)
  const page = ref(0)
  const selection = ref<number[]>([])
  const loading = ref(false)
  /** Bumped whenever the cache grows, so computeds that read patterns recompute. */
  const revision = ref(0)
  const cache = new Map<string, CacheEntry>()

  const summary = computed(() => list.value.find((d) => d.id === currentId.value) ?? null)
  const pageCount = computed(() => (summary.value ? Math.max(1, Math.ceil(summary.value.count / PAGE_SIZE)) : 0))
  const pageIndices = computed(() => {
    const s = summary.value
    if (!s) return []
    const start = page.value * PAGE_SIZE
    const end = Math.min(s.count, start + PAGE_SIZE)
    return Array.from({ length: Math.max(0, end - start) }, (_, k) => start + k)
  })
  const selectedSet = computed(() => new Set(selection.value))

  /**
   * Imports an IDX images file (and optional labels) as 'user:<name>' (base64 strings, made outside
   * the store), refreshes the list and browses the new dataset.
   */
  async function importIdx(params: { name: string; images: string; labels?: string }): Promise<DatasetSummary> {
    const summary = await getApi().call('datasets.import', params)
    await loadList()
    await select(summary.id as DatasetId)
    return summary
  }

  async function loadList(): Promise<DatasetSummary[]> {
    list.value = await getApi().call('datasets.list', {})
    return list.value
  }

  /** Fetches the given indices of a dataset (contiguous runs in one call each) into the cache. */
  async function ensure(id: DatasetId, indices: readonly number[], thr = threshold.value): Promise<void> {
    const missing = [...new Set(indices)].filter((i) => !cache.has(key(id, thr, i))).sort((a, b) => a - b)
    if (missing.length === 0) return
    const runs: [number, number][] = []
    for (const i of missing) {
      const last = runs[runs.length - 1]
      if (last && i === last[0] + last[1] && last[1] < MAX_LIMIT) last[1]++
      else runs.push([i, 1])
    }
    await Promise.all(
      runs.map(async ([offset, limit]) => {
        const got = await getApi().call('datasets.get', { id, offset, limit, threshold: thr })
        got.patterns.forEach((p, k) => {
          cache.set(key(id, thr, got.offset + k), { pattern: Int8Array.from(p), label: got.labels[k] ?? String(got.offset + k) })
        })
      })
    )
    revision.value++
  }

  function pattern(id: DatasetId, index: number, thr = threshold.value): Int8Array | undefined {
    void revision.value
    return cache.get(key(id, thr, index))?.pattern
  }

  function label(id: DatasetId, index: number, thr = threshold.value): string | undefined {
    void revision.value
    return cache.get(key(id, thr, index))?.label
  }

  /** Patterns and labels of `indices`, fetching what is missing. */
  async function fetch(id: DatasetId, indices: readonly number[], thr = threshold.value): Promise<{ patterns: Int8Array[]; labels: string[] }> {
    await ensure(id, indices, thr)
    const entries = indices.map((i) => cache.get(key(id, thr, i)))
    if (entries.some((e) => !e)) throw new Error(`dataset ${id}: some patterns were not returned`)
    return { patterns: entries.map((e) => e!.pattern), labels: entries.map((e) => e!.label) }
  }

  async function loadPage(n: number): Promise<void> {
    if (!currentId.value) return
    const clamped = Math.max(0, Math.min(pageCount.value - 1, n))
    page.value = clamped
    loading.value = true
    try {
      await ensure(currentId.value, pageIndices.value)
    } finally {
      loading.value = false
    }
  }

  /** Browse another dataset; the selection is cleared unless one is given. */
  async function select(id: DatasetId, opts: { selection?: number[]; page?: number; threshold?: number } = {}): Promise<void> {
    currentId.value = id
    if (opts.threshold !== undefined) threshold.value = opts.threshold
    selection.value = normalise(opts.selection ?? [])
    const firstSelected = selection.value[0]
    const p = opts.page ?? (firstSelected !== undefined ? Math.floor(firstSelected / PAGE_SIZE) : 0)
    page.value = 0
    await loadPage(p)
  }

  async function setThreshold(value: number): Promise<void> {
    threshold.value = Math.max(0, Math.min(1, value))
    await loadPage(page.value)
  }

  function normalise(indices: readonly number[]): number[] {
    const count = summary.value?.count ?? Infinity
    return [...new Set(indices)].filter((i) => Number.isInteger(i) && i >= 0 && i < count).sort((a, b) => a - b)
  }

  function toggle(index: number): void {
    const set = new Set(selection.value)
    if (set.has(index)) set.delete(index)
    else set.add(index)
    selection.value = normalise([...set])
  }

  function setSelection(indices: readonly number[]): void {
    selection.value = normalise(indices)
  }

  function selectFirst(k: number): void {
    const count = summary.value?.count ?? 0
    selection.value = Array.from({ length: Math.max(0, Math.min(k, count)) }, (_, i) => i)
  }

  function selectPage(): void {
    selection.value = normalise([...selection.value, ...pageIndices.value])
  }

  function clearSelection(): void {
    selection.value = []
  }

  return {
    list,
    currentId,
    threshold,
    page,
    selection,
    loading,
    revision,
    summary,
    pageCount,
    pageIndices,
    selectedSet,
    loadList,
    importIdx,
    ensure,
    pattern,
    label,
    fetch,
    loadPage,
    select,
    setThreshold,
    toggle,
    setSelection,
    selectFirst,
    selectPage,
    clearSelection
  }
})
