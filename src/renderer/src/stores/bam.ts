// The BAM page (seed 003): train a BAM on dataset ↔ code pairs, edit a cue on both layers, recall
// (a bam.recall job, its last result kept in the session), replay the half-steps, export the weights.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { keptResult, modelsOf, type BamInfo, type BamRecallResult } from '../../../shared/session'
import { exportModelFile, type ModelExport } from '../lib/model-export'
import { bamFrames, buildBamTrain, cueLayer, cycleUnit, defaultBamUi, flipUnits, readBamUi, type BamForm, type BamUi, type Layer } from '../lib/bam'
import { useDatasetsStore } from './datasets'
import { useJobsStore } from './jobs'
import { useSessionStore } from './session'

export type BamExport = ModelExport

export const useBamStore = defineStore('bam', () => {
  const session = useSessionStore()
  const datasets = useDatasetsStore()
  const d = defaultBamUi()

  const form = ref<BamForm>(d.form)
  const selectedId = ref<string | null>(null)
  const first = ref<Layer>(d.first)
  const maxIterations = ref(d.maxIterations)
  const mode = ref<'bam' | 'one-shot'>(d.mode)
  const flipFraction = ref(d.flipFraction)
  const flipSeed = ref(d.flipSeed)
  const cueX = ref<number[]>([])
  const cueY = ref<number[]>([])
  const givenX = ref(true)
  const givenY = ref(false)
  /** Replay position: 0 is the cue, k the state after half-step k. */
  const position = ref(0)
  const busy = ref<null | 'train' | 'recall' | 'export'>(null)
  const lastExport = ref<BamExport | null>(null)

  const bams = computed<BamInfo[]>(() => (session.state ? modelsOf(session.state, 'bam') : []))
  const selected = computed(() => bams.value.find((b) => b.id === selectedId.value) ?? null)
  const built = computed(() => buildBamTrain(form.value, datasets.list))
  /** The last recall, when it belongs to the BAM shown. */
  const result = computed<BamRecallResult | null>(() => {
    const r = session.state ? keptResult(session.state, 'bam.recall')?.result : null
    return r && r.modelId === selectedId.value ? r : null
  })
  const frames = computed(() => (result.value && selected.value ? bamFrames(result.value, selected.value.xUnits, selected.value.yUnits) : []))
  const frame = computed(() => frames.value[Math.min(position.value, frames.value.length - 1)] ?? null)
  const encoding = computed(() => selected.value?.spec.encoding ?? 'bipolar')

  function blank(n: number): number[] {
    return new Array<number>(n).fill(0)
  }

  /** A fresh cue for the BAM shown: stored pair 0's X, Y unknown. */
  function resetCue(): void {
    const m = selected.value
    cueX.value = m ? [...(m.x[0] ?? blank(m.xUnits))] : []
    cueY.value = m ? blank(m.yUnits) : []
    givenX.value = !!m
    givenY.value = false
  }

  function select(id: string | null): void {
    if (id === selectedId.value) return
    selectedId.value = id
    position.value = 0
    resetCue()
  }

  async function train(): Promise<BamInfo> {
    const s = session.state
    if (!s) throw new Error('no session is open')
    const b = built.value
    if (b.error !== undefined) throw new Error(`${b.field}: ${b.error}`)
    busy.value = 'train'
    try {
      const trained = await session.train(b.params)
      const info = bams.value.find((m) => m.id === trained.id)
      if (!info) throw new Error('models.train: the trained BAM is not in the session')
      selectedId.value = null
      select(info.id)
      return info
    } finally {
      busy.value = null
    }
  }

  function setUnit(layer: Layer, i: number): void {
    const cue = layer === 'x' ? cueX : cueY
    const next = [...cue.value]
    next[i] = cycleUnit(next[i] ?? 0, encoding.value)
    cue.value = next
    if (layer === 'x') givenX.value = true
    else givenY.value = true
  }

  /** Loads stored pair `index`'s X or Y into that layer of the cue. */
  function loadStored(layer: Layer, index: number): void {
    const m = selected.value
    if (!m) return
    const v = layer === 'x' ? m.x[index] : m.y[index]
    if (!v) return
    if (layer === 'x') {
      cueX.value = [...v]
      givenX.value = true
    } else {
      cueY.value = [...v]
      givenY.value = true
    }
  }

  /** The layer unknown: all 0 (bipolar), and not sent. */
  function clearLayer(layer: Layer): void {
    const m = selected.value
    if (!m) return
    if (layer === 'x') {
      cueX.value = blank(m.xUnits)
      givenX.value = false
    } else {
      cueY.value = blank(m.yUnits)
      givenY.value = false
    }
  }

  function flipLayer(layer: Layer): void {
    const cue = layer === 'x' ? cueX : cueY
    cue.value = flipUnits(cue.value, flipFraction.value, flipSeed.value, encoding.value)
    if (layer === 'x') givenX.value = true
    else givenY.value = true
  }

  async function recall(): Promise<BamRecallResult> {
    const s = session.state
    const m = selected.value
    if (!s || !m) throw new Error('train a BAM first')
    const x = cueLayer(cueX.value, givenX.value, m.spec.encoding)
    const oneShot = mode.value === 'one-shot'
    const y = oneShot ? null : cueLayer(cueY.value, givenY.value, m.spec.encoding)
    if (oneShot && !x) throw new Error('the one-shot net maps X to Y: give some units of X')
    if (!x && !y) throw new Error('the cue is empty: give some units of X or Y')
    busy.value = 'recall'
    try {
      const jobs = useJobsStore()
      const jobId = await jobs.startRun(s.id, m.id, {
        kind: 'bam.recall',
        ...(x ? { x } : {}),
        ...(y ? { y } : {}),
        ...(x && y ? { first: first.value } : {}),
        maxIterations: maxIterations.value,
        mode: mode.value
      })
      const done = await jobs.wait(jobId)
      if (done.kind !== 'bam.recall') throw new Error(`bam.recall: a ${done.kind} result came back`)
      const r = done.result
      // The backend keeps the last recall in the session; mirror it.
      if (session.state?.id === s.id) session.keepResult(done)
      session.markDirty()
      position.value = r.steps.length
      return r
    } finally {
      busy.value = null
    }
  }

  function seek(t: number): void {
    position.value = Math.max(0, Math.min(t, Math.max(0, frames.value.length - 1)))
  }

  async function exportModel(format: 'safetensors' | 'npz' = 'safetensors'): Promise<BamExport> {
    busy.value = 'export'
    try {
      lastExport.value = await exportModelFile(session.state?.id, selected.value?.id, format, 'train a BAM first')
      return lastExport.value
    } finally {
      busy.value = null
    }
  }

  function snapshot(): BamUi {
    return {
      form: { ...form.value },
      selectedId: selectedId.value,
      first: first.value,
      maxIterations: maxIterations.value,
      flipFraction: flipFraction.value,
      flipSeed: flipSeed.value,
      mode: mode.value
    }
  }

  /** Puts a session's saved page state back; the BAM of the last recall (or the newest) is shown, with the cue of that recall. */
  function restore(raw: unknown): void {
    const ui = readBamUi(raw)
    form.value = ui.form
    first.value = ui.first
    maxIterations.value = ui.maxIterations
    mode.value = ui.mode
    flipFraction.value = ui.flipFraction
    flipSeed.value = ui.flipSeed
    lastExport.value = null
    const ids = new Set(bams.value.map((b) => b.id))
    const last = session.state ? (keptResult(session.state, 'bam.recall')?.result ?? null) : null
    const next = (ui.selectedId && ids.has(ui.selectedId) ? ui.selectedId : null) ?? (last && ids.has(last.modelId) ? last.modelId : null) ?? bams.value[bams.value.length - 1]?.id ?? null
    selectedId.value = next
    resetCue()
    const m = selected.value
    const r = result.value
    if (m && r) {
      cueX.value = r.cue.x ? [...r.cue.x] : blank(m.xUnits)
      cueY.value = r.cue.y ? [...r.cue.y] : blank(m.yUnits)
      givenX.value = !!r.cue.x
      givenY.value = !!r.cue.y
      position.value = r.steps.length
    } else {
      position.value = 0
    }
  }

  return {
    form,
    selectedId,
    first,
    maxIterations,
    mode,
    flipFraction,
    flipSeed,
    cueX,
    cueY,
    givenX,
    givenY,
    position,
    busy,
    lastExport,
    bams,
    selected,
    built,
    result,
    frames,
    frame,
    encoding,
    select,
    resetCue,
    train,
    setUnit,
    loadStored,
    clearLayer,
    flipLayer,
    recall,
    seek,
    exportModel,
    snapshot,
    restore
  }
})
