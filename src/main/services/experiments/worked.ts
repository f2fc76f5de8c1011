// Explicit cues (spec.cues), run one by one on the core with every update kept: the seeds' worked examples as specs.
// Units and stored patterns are counted from 1 in what this writes, as the seeds count them.
import { recallRecurrent, type RecurrentActivation } from '../../../core/auto-associative'
import { bamRecall, type BamNet } from '../../../core/bam'
import { runHopfield } from '../../../core/dynamics'
import { heteroRecall, type HeteroNet } from '../../../core/hetero'
import { energy, matchStored, netInputs, recallAsync, type HopfieldNet } from '../../../core/hopfield'
import { Rng } from '../../../core/rng'
import { RECALL_ORDER_STREAM } from '../../../core/rng-streams'
import type { ExperimentSpec, Worked, WorkedCase } from '../../../shared/spec'
import type { ResolvedCue } from './data'

/** A row-major matrix as rows of numbers. */
export function matrixRows(values: ArrayLike<number>, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => values[i * cols + j]!))
}

const counted = (index: number): number | null => (index >= 0 ? index + 1 : null)
const changesBetween = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let c = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) c++
  return c
}
const label = (cue: ResolvedCue): { label?: string } => (cue.label !== undefined ? { label: cue.label } : {})

/** The recall experiment's dynamics on explicit cues: async (given/sequential/random order), sync, or 003's recurrent rule. */
export function workedHopfield(spec: ExperimentSpec, net: HopfieldNet, stored: Int8Array[], cues: ResolvedCue[]): Worked {
  const r = spec.recall
  const n = net.units
  const order = r.order === 'random' ? 'random' : r.order === 'sequential' ? Array.from({ length: n }, (_, i) => i + 1) : r.order
  const orderRng = new Rng(spec.seed).fork(RECALL_ORDER_STREAM)
  const external = r.mode !== 'recurrent' && r.external === 'cue'
  const activation: RecurrentActivation = r.activation ?? 'sign0'
  const cases = cues.map((cue): WorkedCase => {
    const x = cue.x!
    const ext = external ? Float64Array.from(x) : undefined
    const base = { ...label(cue), x: Array.from(x) }
    if (r.mode === 'async') {
      const t = recallAsync(net, x, { order: order === 'random' ? 'random' : order.map((u) => u - 1), rng: orderRng, maxSweeps: r.maxSweeps, ...(ext ? { external: ext } : {}) })
      const state = Int8Array.from(x)
      const updates = Array.from(t.units, (unit, k) => {
        const changed = state[unit] !== t.values[k]
        state[unit] = t.values[k]!
        return { sweep: Math.floor(k / n) + 1, unit: unit + 1, netInput: t.netInputs[k]!, value: t.values[k]!, changed, state: Array.from(state), energy: t.energy[k + 1]! }
      })
      return {
        ...base,
        updates,
        initialEnergy: t.energy[0]!,
        final: Array.from(t.final),
        changes: updates.filter((u) => u.changed).length,
        iterations: t.sweeps,
        outcome: t.outcome,
        match: counted(matchStored(t.final, stored))
      }
    }
    if (r.mode === 'sync') {
      const run = runHopfield(net, x, { mode: 'sync', maxSteps: r.maxSweeps, stored, ...(ext ? { external: ext } : {}) })
      const steps = run.states.slice(1).map((state, k) => ({ netInput: Array.from(netInputs(net, run.states[k]!, ext)), state: Array.from(state), energy: run.energy[k + 1]! }))
      return {
        ...base,
        steps,
        initialEnergy: run.energy[0]!,
        final: Array.from(run.final),
        changes: changesBetween(x, run.final),
        iterations: run.steps,
        outcome: run.outcome,
        match: counted(run.match)
      }
    }
    return recurrentCase(net, cue, stored, activation, r.maxSweeps)
  })
  return {
    net: 'hopfield',
    encoding: net.encoding,
    weights: matrixRows(net.weights, n, n),
    thresholds: Array.from(net.thresholds),
    dynamics: {
      mode: r.mode,
      ...(r.mode === 'async' ? { order } : {}),
      ...(r.mode !== 'recurrent' ? { external: r.external } : { activation }),
      stop:
        r.mode === 'async'
          ? 'a sweep that changes no unit (fixed point), or the sweep limit'
          : r.mode === 'sync'
            ? 'a step that changes no unit (fixed point), a 2-cycle, or the step limit'
            : 'the vector matches a stored one, repeats an earlier one, or the step limit (003)',
      limit: r.maxSweeps
    },
    cases
  }
}

function recurrentCase(net: HopfieldNet, cue: ResolvedCue, stored: Int8Array[], activation: RecurrentActivation, maxIterations: number): WorkedCase {
  const x = cue.x!
  const run = recallRecurrent(net, x, { stored, maxIterations, activation })
  return {
    ...label(cue),
    x: Array.from(x),
    steps: run.steps.map((st) => ({ netInput: Array.from(st.netInput), state: Array.from(st.output), energy: energy(net, st.output) })),
    initialEnergy: energy(net, x),
    final: Array.from(run.final),
    changes: changesBetween(x, run.final),
    iterations: run.steps.length,
    outcome: run.outcome,
    match: counted(run.storedIndex >= 0 ? run.storedIndex : matchStored(run.final, stored)),
    ...(run.outcome === 'repeat' ? { repeatOf: run.repeatOf } : {})
  }
}

/** 003's recurrent auto-associator on explicit cues. */
export function workedRecurrent(net: HopfieldNet, stored: Int8Array[], cues: ResolvedCue[], activation: RecurrentActivation, maxIterations: number): Worked {
  return {
    net: 'recurrent',
    encoding: net.encoding,
    weights: matrixRows(net.weights, net.units, net.units),
    dynamics: { mode: 'recurrent', activation, stop: 'the vector matches a stored one, repeats an earlier one, or the step limit (003)', limit: maxIterations },
    cases: cues.map((cue) => recurrentCase(net, cue, stored, activation, maxIterations))
  }
}

/** 003's one-layer hetero-associative net, one pass y = f(xW) per cue. */
export function workedHetero(net: HeteroNet, targets: ArrayLike<number>[], cues: ResolvedCue[]): Worked {
  return {
    net: 'hetero',
    encoding: net.encoding,
    weights: matrixRows(net.weights, net.inputs, net.outputs),
    dynamics: { mode: 'one-shot', activation: net.encoding === 'binary' ? 'step' : 'sign', stop: 'one pass, y = f(xᵀW)' },
    cases: cues.map((cue): WorkedCase => {
      const x = cue.x!
      const r = heteroRecall(net, x)
      const output = Array.from(r.output)
      const equals = (t: ArrayLike<number>): boolean => output.every((v, j) => v === t[j])
      return {
        ...label(cue),
        x: Array.from(x),
        steps: [{ netInput: Array.from(r.netInput), state: output }],
        final: output,
        changes: 0,
        iterations: 1,
        outcome: 'one-shot',
        // Several inputs may share a target (003 Example (1)): the cue's own pair first, else the first equal target.
        match: cue.from !== undefined && equals(targets[cue.from - 1]!) ? cue.from : counted(targets.findIndex(equals))
      }
    })
  }
}

/** 003's BAM ping-pong on explicit cues (x, y or both; a side not given is the zero vector). */
export function workedBam(net: BamNet, stored: { inputs: Int8Array[]; targets: Int8Array[] }, cues: ResolvedCue[], first: 'auto' | 'x' | 'y', maxIterations: number): Worked {
  return {
    net: 'bam',
    encoding: net.encoding,
    weights: matrixRows(net.weights, net.xUnits, net.yUnits),
    dynamics: { mode: 'bam', first, stop: 'a full round (one update of each layer) that changes nothing, or the round limit', limit: maxIterations },
    cases: cues.map((cue): WorkedCase => {
      const x0 = cue.x ?? new Int8Array(net.xUnits)
      const y0 = cue.y ?? new Int8Array(net.yUnits)
      const r = bamRecall(net, { ...(cue.x ? { x: cue.x } : {}), ...(cue.y ? { y: cue.y } : {}) }, { maxIterations, stored, ...(first !== 'auto' ? { first } : {}) })
      return {
        ...label(cue),
        x: Array.from(x0),
        y: Array.from(y0),
        steps: r.steps.map((s) => ({ layer: s.layer, netInput: Array.from(s.netInput), state: Array.from(s.state), energy: s.energy })),
        final: Array.from(r.x),
        finalY: Array.from(r.y),
        changes: changesBetween(x0, r.x) + changesBetween(y0, r.y),
        iterations: r.halfSteps,
        outcome: r.outcome,
        match: counted(r.match),
        spurious: r.spurious
      }
    })
  }
}
