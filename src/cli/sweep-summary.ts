// `engram run` of a sweep: what it found, as a few plain-text lines on stderr (the whole result is in the result file).
// One table per sweep type, the same figures the Experiments page draws: rows are the sweep's points, columns its series.
import { interactionLabel, type SweepResult } from '../shared/spec'
import { percent } from './run'

const fix = (x: number | null, digits = 3): string => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits))
const sci = (x: number): string => (x === 0 || (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4) ? fix(x, 4) : x.toExponential(3))

/** Columns padded to their widest cell; the first left-aligned, the rest right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const width = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)))
  const line = (cells: readonly string[]) => cells.map((v, c) => (c === 0 ? v.padEnd(width[c]!) : v.padStart(width[c]!))).join('  ')
  return [line(head), ...rows.map(line)].map((l) => `  ${l.trimEnd()}`)
}


/** A grid of one measure: rows by `row`, one column per distinct `col` (in first-seen order). */
function grid<P>(points: readonly P[], row: (p: P) => string, col: (p: P) => string, cell: (p: P) => string, rowHead: string): string[] {
  const rows: string[] = []
  const cols: string[] = []
  const at = new Map<string, string>()
  for (const p of points) {
    const r = row(p)
    const c = col(p)
    if (!rows.includes(r)) rows.push(r)
    if (!cols.includes(c)) cols.push(c)
    at.set(`${r}\u0000${c}`, cell(p))
  }
  return table(
    [rowHead, ...cols],
    rows.map((r) => [r, ...cols.map((c) => at.get(`${r}\u0000${c}`) ?? '')])
  )
}

/** The lines that summarise a sweep's result (no trailing newlines). */
export function sweepSummary(s: SweepResult): string[] {
  switch (s.type) {
    case 'capacity': {
      const t = s.theory
      return [
        `recall success from noisy cues, N = ${s.units} (P/N in brackets):`,
        ...grid(s.points, (p) => `P ${p.patterns} (${p.load.toFixed(3)})`, (p) => p.rule, (p) => percent(p.recallSuccess), 'patterns'),
        `theory: Hebb 0.138N = ${fix(t.hebbCritical, 1)}, N/(2 ln N) = ${fix(t.hebbPerPattern, 1)}, N/(4 ln N) = ${fix(t.hebbAllPatterns, 1)}; Storkey N/√(2 ln N) = ${fix(t.storkey, 1)}; pseudo-inverse N = ${fix(t.pseudoInverse, 0)}`
      ]
    }
    case 'noise':
    case 'partial':
      return table(
        [s.type === 'noise' ? 'flipped' : 'masked', 'success', 'mean overlap', 'cues'],
        s.points.map((p) => [percent(p.fraction), percent(p.success), fix(p.meanOverlap), String(p.cues)])
      )
    case 'basins':
      // −1: not recalled at that rate even from the pattern itself (radius 0).
      return [
        `largest Hamming radius with recall ≥ ${percent(s.threshold)} (none: not even the pattern itself):`,
        ...table(['pattern', 'radius'], s.basins.map((b) => [b.label, b.radius < 0 ? 'none' : String(b.radius)]))
      ]
    case 'bam':
      return [
        `cue on the ${s.cue} layer (${s.xUnits} × ${s.yUnits} units):`,
        ...table(
          ['noise', 'pair', 'other layer', 'spurious', 'half-steps'],
          s.points.map((p) => [percent(p.fraction), percent(p.pairSuccess), percent(p.recallSuccess), percent(p.spurious), fix(p.meanHalfSteps, 1)])
        )
      ]
    case 'hetero': {
      const c = s.conditions
      return [
        `${s.inputs} → ${s.outputs} units; inputs ${c.allOrthogonal ? 'all orthogonal' : `not all orthogonal (${c.violations.length} pair${c.violations.length === 1 ? '' : 's'})`}, condition 2 ${c.condition2 ? 'holds' : 'fails'}`,
        ...table(['noise', 'success', 'cues'], s.points.map((p) => [percent(p.fraction), percent(p.success), String(p.cues)]))
      ]
    }
    case 'recurrent':
      return table(
        ['noise', 'recovered', 'stored match', 'repeat', 'step limit', 'steps'],
        s.points.map((p) => [percent(p.fraction), percent(p.recovered), percent(p.storedMatch), percent(p.repeat), percent(p.maxIterations), fix(p.meanIterations, 1)])
      )
    case 'boltzmann': {
      const last = s.history[s.history.length - 1]
      return [
        `${s.visible} visible + ${s.hidden} hidden units (${s.mode}), ${s.history.length} epochs` +
          (last ? `: log-likelihood ${fix(last.logLikelihood, 4)}, gradient norm ${sci(last.gradientNorm)}` : ''),
        `completion of unseen units: ${percent(s.completion.success)} of ${s.completion.cues} cues`
      ]
    }
    case 'anneal':
      return [
        `${s.completion} completion, temperatures ${s.temperatures[0]} → ${s.temperatures[s.temperatures.length - 1]}:`,
        ...table(
          ['noise', 'annealed', 'deterministic', 'E annealed', 'E deterministic'],
          s.points.map((p) => [percent(p.fraction), percent(p.annealed), percent(p.deterministic), fix(p.meanEnergyAnnealed), fix(p.meanEnergyDeterministic)])
        )
      ]
    case 'census':
      return [
        `${s.starts} starts (${s.method}), attractors by kind: ${Object.entries(s.countsByKind)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}`
      ]
    case 'dense-capacity': {
      const kh = s.theory.krotovHopfield.map((k) => `n = ${k.degree}: ${fix(k.capacity, 1)}`).join(', ')
      return [
        `stored patterns recalled exactly from ${percent(s.noise)} noise, N = ${s.units}:`,
        ...grid(s.points, (p) => `P ${p.patterns}`, (p) => `F = ${interactionLabel(p.interaction)}`, (p) => percent(p.recalled), 'patterns'),
        `theory: Hebb 0.138N = ${fix(s.theory.hebbCritical, 1)}${kh ? `; Krotov–Hopfield N^(n−1) / (2 (2n−3)!! ln N): ${kh}` : ''}`
      ]
    }
    case 'beta':
      return [
        `${s.patterns} patterns of d = ${s.units}, M = ${fix(s.largestNorm)}, Δ_min = ${fix(s.minSeparation)}, ${s.cues} cues:`,
        ...table(
          ['β', 'retrieved', 'one step', 'mean error', 'steps', 'global / metastable / single', 'well separated'],
          s.points.map((p) => [sci(p.beta), percent(p.retrieved), percent(p.oneStep), sci(p.meanError), fix(p.meanSteps, 1), `${p.kinds.global} / ${p.kinds.metastable} / ${p.kinds.single}`, `${p.wellSeparated} of ${s.patterns}`])
        ),
        ...(s.classical ? [`classical (Hebb) on the same cues: own pattern ${percent(s.classical.retrieved)}, another ${percent(s.classical.otherPattern)}, spurious ${percent(s.classical.spurious)}`] : [])
      ]
    case 'images':
      return [
        `${s.patterns} images of ${s.width} × ${s.height}, cue: ${s.cue === 'half' ? 'half masked' : 'noised'}:`,
        ...table(
          ['β', 'right image', 'RMS error', 'to the mean', 'exp(H)', 'own weight'],
          s.modern.map((m) => [sci(m.beta), percent(m.retrieved), fix(m.meanError, 4), fix(m.meanToMean, 4), fix(m.meanEffective, 2), fix(m.meanOwnWeight)])
        ),
        `classical (Hebb, binarised; P = ${s.patterns} against 0.138N = ${fix(s.hebbCritical, 1)}): exact ${percent(s.classical.exact)}, another image ${percent(s.classical.otherPattern)}, mixture or spurious ${percent(s.classical.spurious)}`
      ]
    case 'delay':
      return [
        `${s.task === 'adding' ? 'adding problem' : 'first bit'}: rows solved after ${s.trainingSteps} steps (H = ${s.hiddenSize}, ${s.evalRows} fresh rows; no memory: ${percent(s.baseline.accuracy)}):`,
        ...grid(
          s.points,
          (p) => p.cell.toUpperCase(),
          (p) => `delay ${p.delay}`,
          (p) => `${percent(p.accuracy)}${p.stopReason ? ' (stopped)' : ''}`,
          'cell'
        )
      ]
    case 'gradient-flow': {
      const n = s.norms
      const mid = Math.floor(s.steps / 2)
      return [`‖∂h_T/∂h_t‖ over T = ${s.steps} steps (${s.units} unit${s.units === 1 ? '' : 's'}): t = 0: ${sci(n[0]!)}, t = ${mid}: ${sci(n[mid]!)}, t = ${n.length - 1}: ${sci(n[n.length - 1]!)}`]
    }
  }
}
