import { describe, expect, it } from 'vitest'
import type { ModelInfo } from '../../src/shared/session'
import { experimentSpecSchema } from '../../src/shared/spec'
import { autoName, buildExperimentSpec, defaultForm, parseList, readForm, resultModelLine, specJson, SWEEP_TYPES, type ExperimentForm } from '../../src/renderer/src/lib/experiment-spec'

const model: ModelInfo = {
  kind: 'hopfield',
  id: 'm1',
  name: 'Hopfield (energy) · letters · 5 patterns',
  spec: { kind: 'hopfield', rule: 'energy', normalisation: 'none', energy: { valleys: 'few-steps', mode: 'sgd', epochs: 30, eta: 0.05, evolutionSteps: 2, cueNoise: 0 } },
  dataset: { builtin: 'letters', select: [0, 1, 2, 3, 4], threshold: 0.5 },
  units: 100,
  patterns: 5,
  patternIndices: [0, 1, 2, 3, 4],
  width: 10,
  height: 10,
  storedFixedPoints: 5,
  seed: 42,
  createdAt: '2026-01-01T00:00:00.000Z'
}

function form(patch: (f: ExperimentForm) => void = () => {}): ExperimentForm {
  const f = defaultForm()
  patch(f)
  return f
}

describe('list fields', () => {
  it('reads lists and a..b:step ranges, sorted and unique', () => {
    expect(parseList('4, 8, 16, 32', { integer: true })).toEqual({ values: [4, 8, 16, 32] })
    expect(parseList('32 8;4,8')).toEqual({ values: [4, 8, 32] })
    expect(parseList('2..40:2', { integer: true }).values).toEqual(Array.from({ length: 20 }, (_, k) => 2 * (k + 1)))
    expect(parseList('1..4', { integer: true })).toEqual({ values: [1, 2, 3, 4] })
    // Steps from the index: 0.1 steps give 0.3, not 0.30000000000000004.
    expect(parseList('0..0.5:0.1').values).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    expect(parseList('0..0.5:0.05').values).toHaveLength(11)
    expect(parseList('0.5, 0..0.2:0.1').values).toEqual([0, 0.1, 0.2, 0.5])
  })

  it('names what is wrong', () => {
    expect(parseList('').error).toMatch(/at least one/)
    expect(parseList('4, x').error).toMatch(/'x' is not a number/)
    expect(parseList('2.5', { integer: true }).error).toMatch(/whole number/)
    expect(parseList('0..0.5').error).toMatch(/step/)
    expect(parseList('1.5', { min: 0, max: 1 }).error).toMatch(/outside 0…1/)
    expect(parseList('10..2:1').error).toMatch(/backwards/)
    expect(parseList('1..1000', { integer: true, maxCount: 200 }).error).toMatch(/1000 values/)
  })
})

describe('experiment spec from the form', () => {
  it('defaults to the capacity sweep of the brief: N = 100, P = 2…40, three rules, 5 trials, 10 % noise, synchronous', () => {
    const built = buildExperimentSpec(defaultForm(), { model: null })
    expect(built.error).toBeUndefined()
    expect(built.spec).toEqual({
      name: 'capacity · N=100 · P 2…40 · hebb/storkey/pseudo-inverse · sync',
      seed: 1,
      sweep: {
        type: 'capacity',
        units: 100,
        patternCounts: Array.from({ length: 20 }, (_, k) => 2 * (k + 1)),
        rules: ['hebb', 'storkey', 'pseudo-inverse'],
        trials: 5,
        noise: 0.1,
        cuesPerPattern: 5,
        recall: { mode: 'sync', maxSweeps: 50 }
      }
    })
    // No dataset and no model: a capacity sweep draws its own patterns and trains its own rules; the contract accepts it as is.
    expect(experimentSpecSchema.safeParse(built.spec).success).toBe(true)
  })

  it('keeps the rules in a fixed order and asks for at least one', () => {
    const built = buildExperimentSpec(form((f) => (f.capacity.rules = ['pseudo-inverse', 'hebb'])), { model: null })
    expect(built.spec?.sweep).toMatchObject({ rules: ['hebb', 'pseudo-inverse'] })
    expect(built.spec).not.toHaveProperty('model')
    expect(buildExperimentSpec(form((f) => (f.capacity.rules = [])), { model: null })).toMatchObject({ field: 'capacity.rules' })
  })

  it('builds a dataset sweep from the active model: its dataset ref, its spec and its seed', () => {
    const built = buildExperimentSpec(form((f) => (f.type = 'noise')), { model })
    expect(built.spec).toEqual({
      name: 'noise · energy · letters 5',
      seed: 42,
      dataset: { builtin: 'letters', select: [0, 1, 2, 3, 4], threshold: 0.5 },
      model: model.spec,
      sweep: { type: 'noise', fractions: [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5], cuesPerPattern: 20, recall: { mode: 'sync', maxSweeps: 50 } }
    })
    // A copy: editing the spec never edits the session's model.
    expect(built.spec?.model).not.toBe(model.spec)
  })

  it('needs a model for a dataset sweep on the active model, and names the source', () => {
    const built = buildExperimentSpec(form((f) => (f.type = 'basins')), { model: null })
    expect(built).toMatchObject({ field: 'source' })
    expect(built.error).toMatch(/no active model/)
  })

  it('builds a dataset sweep from a dataset and rule picked on the page', () => {
    const f = form((x) => {
      x.type = 'partial'
      x.source = 'custom'
      x.custom = { datasetId: 'digits', count: 20, threshold: 0.3, rule: 'pseudo-inverse' }
      x.seed = 9
      x.partial.fill = 0
      x.partial.fractions = '0.1, 0.3'
    })
    expect(buildExperimentSpec(f, { model }).spec).toEqual({
      name: 'partial · pseudo-inverse · digits 20',
      seed: 9,
      dataset: { builtin: 'digits', count: 20, threshold: 0.3 },
      model: { kind: 'hopfield', rule: 'pseudo-inverse', normalisation: 'none' },
      sweep: { type: 'partial', fractions: [0.1, 0.3], fill: 0, cuesPerPattern: 20, recall: { mode: 'sync', maxSweeps: 50 } }
    })
    f.custom.datasetId = 'letters'
    expect(buildExperimentSpec(f, { model }).spec?.dataset).toEqual({ builtin: 'letters', count: 20 })
  })

  it('builds basins and census sweeps (max radius only when given)', () => {
    const basins = buildExperimentSpec(form((f) => (f.type = 'basins')), { model }).spec
    expect(basins?.sweep).toEqual({ type: 'basins', trialsPerRadius: 20, threshold: 0.95, recall: { mode: 'async', maxSweeps: 50 } })
    const radius = buildExperimentSpec(
      form((f) => {
        f.type = 'basins'
        f.basins.maxRadius = 12
      }),
      { model }
    ).spec
    expect(radius?.sweep).toMatchObject({ maxRadius: 12 })
    const census = buildExperimentSpec(form((f) => (f.type = 'census')), { model }).spec
    expect(census?.sweep).toEqual({ type: 'census', method: 'auto', samples: 2000, dynamics: 'async-sequential', maxSweeps: 100 })
    expect(experimentSpecSchema.safeParse(census).success).toBe(true)
  })

  it('reports list errors and the contract’s own checks by field', () => {
    expect(buildExperimentSpec(form((f) => (f.capacity.patterns = '2..x')), { model: null })).toMatchObject({ field: 'capacity.patterns' })
    const fr = buildExperimentSpec(form((f) => ((f.type = 'noise'), (f.noise.fractions = '0..0.5'))), { model })
    expect(fr).toMatchObject({ field: 'noise.fractions' })
    expect(fr.error).toMatch(/^fractions: .*step/)
    const units = buildExperimentSpec(form((f) => (f.capacity.units = 1)), { model: null })
    expect(units.field).toBe('sweep.units')
    expect(units.error).toMatch(/sweep\.units/)
    expect(buildExperimentSpec(form((f) => (f.seed = -1)), { model: null }).field).toBe('seed')
  })

  it('uses the name given, else one made from the settings', () => {
    expect(buildExperimentSpec(form((f) => (f.name = '  mine ')), { model: null }).spec?.name).toBe('mine')
    expect(autoName(form((f) => (f.capacity.patterns = '4, 8, 16, 32')), { model: null })).toBe('capacity · N=100 · P 4…32 · hebb/storkey/pseudo-inverse · sync')
    expect(autoName(form((f) => (f.type = 'census')), { model: null })).toBe('census · no model')
  })

  it('writes the spec as a JSON file', () => {
    expect(specJson({ a: 1 })).toBe('{\n  "a": 1\n}\n')
  })

  it('leaves the Hopfield model and recall settings out of the file of a sweep that runs nets of its own, and it still runs', () => {
    // The delay, dense-capacity and capacity sweeps from the form carry no model; the parsed spec (what a result holds,
    // and what older sessions saved) has the defaults, which the file drops again.
    for (const type of ['delay', 'dense-capacity', 'capacity'] as const) {
      const built = buildExperimentSpec(form((f) => (f.type = type)), { model: null })
      expect(built.error).toBeUndefined()
      expect(built.spec).not.toHaveProperty('model')
      const parsed = experimentSpecSchema.parse(built.spec)
      expect(parsed.model).toEqual({ kind: 'hopfield', rule: 'hebb', normalisation: 'none' })
      const file = JSON.parse(specJson(parsed)) as Record<string, unknown>
      expect(Object.keys(file)).toEqual(['version', 'name', 'seed', 'sweep', 'engine'])
      expect(experimentSpecSchema.parse(file)).toEqual(parsed)
    }
    // An experiment that trains the spec's model keeps it, and its recall settings, in the file.
    const noise = experimentSpecSchema.parse({ seed: 1, dataset: { builtin: 'letters', count: 3 }, model: { kind: 'hopfield', rule: 'storkey' }, sweep: { type: 'noise', fractions: [0.1] } })
    expect(JSON.parse(specJson(noise))).toMatchObject({ model: { rule: 'storkey' }, recall: { mode: 'sync' } })
  })
})

describe('the form saved in a session', () => {
  it('round-trips', () => {
    const f = form((x) => {
      x.type = 'partial'
      x.source = 'custom'
      x.custom.rule = 'storkey'
      x.capacity.units = 64
      x.capacity.rules = ['storkey']
      x.partial.fill = -1
      x.basins.maxRadius = 7
      x.census.dynamics = 'sync'
    })
    expect(readForm(JSON.parse(JSON.stringify(f)))).toEqual(f)
  })

  it('keeps defaults for anything unknown, mistyped or out of its choices', () => {
    expect(readForm(null)).toEqual(defaultForm())
    const got = readForm({
      type: 'bogus',
      source: 'custom',
      seed: 'x',
      custom: { datasetId: 'nope', rule: 'energy', count: Infinity },
      capacity: { units: 64, rules: ['hebb', 'magic'], mode: 'fast', patterns: 7 },
      partial: { fill: 2 },
      extra: 1
    })
    expect(got.type).toBe('capacity')
    expect(got.source).toBe('custom')
    expect(got.seed).toBe(1)
    expect(got.custom).toEqual({ ...defaultForm().custom, rule: 'energy' })
    expect(got.capacity).toEqual({ ...defaultForm().capacity, units: 64, rules: ['hebb'] })
    expect(got.partial.fill).toBe('random')
    expect(got).not.toHaveProperty('extra')
  })
})

describe('checks before running', () => {
  const datasets = [{ id: 'letters', count: 26, width: 10, height: 10 }]
  it('a dataset picked on the page has that many patterns; an exhaustive census needs N ≤ 20', () => {
    const custom = (patch: (f: ExperimentForm) => void) =>
      form((f) => {
        f.type = 'census'
        f.source = 'custom'
        patch(f)
      })
    expect(buildExperimentSpec(custom((f) => (f.custom.count = 30)), { model: null, datasets })).toMatchObject({ field: 'custom.count' })
    expect(buildExperimentSpec(custom((f) => (f.census.method = 'exhaustive')), { model: null, datasets })).toMatchObject({ field: 'census.method' })
    expect(buildExperimentSpec(custom((f) => (f.census.method = 'sampled')), { model: null, datasets }).error).toBeUndefined()
    const small = { ...model, units: 9 }
    expect(buildExperimentSpec(form((f) => ((f.type = 'census'), (f.census.method = 'exhaustive'))), { model: small }).error).toBeUndefined()
    expect(buildExperimentSpec(form((f) => ((f.type = 'census'), (f.census.method = 'exhaustive'))), { model })).toMatchObject({ field: 'census.method' })
  })
})

describe('the model shown beside a result', () => {
  it('names the Hopfield rule only where the experiment trained it, never beside a sweep that ran a net of its own', () => {
    const trains = new Set(['noise', 'partial', 'basins', 'census', 'anneal'])
    const checked: string[] = []
    for (const { id } of SWEEP_TYPES) {
      // The rule set on the form is pseudo-inverse: a BAM or Boltzmann result must not claim it.
      const built = buildExperimentSpec(form((f) => ((f.type = id), (f.source = 'custom'), (f.custom.rule = 'pseudo-inverse'))), { model })
      if (!built.spec) continue
      const spec = experimentSpecSchema.parse(built.spec)
      const line = resultModelLine(spec)
      if (trains.has(id)) expect(line, id).toMatch(/^pseudo-inverse/)
      else expect(line, id).toBeNull()
      // Only what the experiment reads goes into the spec and its file: no model (nor recall) beside a net of its own.
      const file = JSON.parse(specJson(spec)) as Record<string, unknown>
      expect('model' in built.spec, id).toBe(trains.has(id))
      expect('model' in file && 'recall' in file, id).toBe(trains.has(id))
      expect(experimentSpecSchema.parse(file), id).toEqual(spec)
      checked.push(id)
    }
    // A recall experiment (no sweep) trains its model too.
    expect(resultModelLine({ model: { kind: 'hopfield', rule: 'storkey' } as never, sweep: undefined })).toMatch(/^storkey/)
    expect(checked).toEqual(expect.arrayContaining(['noise', 'bam', 'hetero', 'recurrent', 'boltzmann', 'beta', 'dense-capacity', 'delay', 'capacity']))
  })
})
