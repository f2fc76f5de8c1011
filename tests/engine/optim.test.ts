// In-graph optimisers: a few steps match a float64 JS reference (≤1e-12) and torch.optim (fixture, and live when torch is installed).
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { buildModel, GraphBuilder } from '../../src/engine/onnx/builder'
import { adam, adamw, emitOptimiserStep, optimiserSlots, resolveOptimiser, sgd, type OptimiserConfig } from '../../src/engine/optim/optimiser'
import { referenceOptimiserStep, zeroOptimiserState, type SlotState } from '../../src/engine/optim/reference'
import { createSession, type EngineTensor } from '../../src/engine/ort'

// Two parameters, W (6 values, decayed) and b (2 values, exempt from weight decay), with exact
// dyadic data so Python and JS start from identical numbers; lr changes every step (a schedule).
const LRS = [0.1, 0.05, 0.08, 0.02]
const SIZES = [6, 2]
const DECAY = [true, false]
const p0 = (i: number, j: number): number => (((j * 37 + i * 11) % 19) - 9) / 8
const grad = (k: number, i: number, j: number): number => (((j * 29 + i * 13 + k * 7) % 23) - 11) / 8

const CONFIGS: Record<string, OptimiserConfig> = {
  sgd: sgd(),
  sgd_wd: sgd({ weightDecay: 0.1 }),
  momentum: sgd({ momentum: 0.9 }),
  momentum_dampening: sgd({ momentum: 0.9, dampening: 0.3, weightDecay: 0.05 }),
  nesterov: sgd({ momentum: 0.8, nesterov: true, weightDecay: 0.1 }),
  momentum_clip: sgd({ momentum: 0.9, maxGradNorm: 1 }),
  adam: adam(),
  adam_l2: adam({ weightDecay: 0.1, betas: [0.8, 0.99], eps: 1e-6 }),
  adamw: adamw({ weightDecay: 0.1 }),
  adam_clip: adam({ maxGradNorm: 0.5 })
}

/** torch 1.13.1 (Debian python3-torch, float64, foreach=False) running TORCH_SCRIPT: parameters [W, b] after each step. */
const TORCH_FIXTURE: Record<string, number[][]> = {
  sgd: [
    [-1.075, 1.1, 0.9, 0.9875, 0.7875, 0.5875, 0.13749999999999998, 0.225],
    [-1.09375, 1.0437500000000002, 0.9500000000000001, 1.0, 0.7625, 0.525, 0.18125, 0.23125],
    [-1.19375, 1.1137500000000002, 0.9600000000000001, 0.95, 0.6525, 0.5850000000000001, 0.18125, 0.17125],
    [-1.1787500000000002, 1.1137500000000002, 0.9450000000000001, 0.9774999999999999, 0.6649999999999999, 0.5825000000000001, 0.16375, 0.19625]
  ],
  sgd_wd: [
    [-1.06375, 1.08875, 0.89, 0.97875, 0.78, 0.58125, 0.13749999999999998, 0.225],
    [-1.07718125, 1.02705625, 0.93555, 0.98635625, 0.7511, 0.51584375, 0.18125, 0.23125],
    [-1.1685638, 1.0888398, 0.9380655999999999, 0.9284654, 0.6350912, 0.571717, 0.18125, 0.17125],
    [-1.1512266724, 1.0866621204, 0.9211894688, 0.9541084692, 0.6463210175999999, 0.568073566, 0.16375, 0.19625]
  ],
  momentum: [
    [-1.075, 1.1, 0.9, 0.9875, 0.7875, 0.5875, 0.13749999999999998, 0.225],
    [-1.07125, 1.0325, 0.905, 1.0506250000000001, 0.7793749999999999, 0.508125, 0.130625, 0.27625],
    [-1.16585, 1.0052999999999999, 0.9222, 1.091525, 0.6576749999999999, 0.45382500000000003, 0.120725, 0.29005],
    [-1.1721350000000001, 0.9991799999999998, 0.91107, 1.1282275000000002, 0.6427924999999999, 0.43910750000000004, 0.1009975, 0.31815499999999997]
  ],
  momentum_dampening: [
    [-1.069375, 1.094375, 0.895, 0.983125, 0.7837500000000001, 0.584375, 0.13749999999999998, 0.225],
    [-1.05559734375, 1.0393035937500001, 0.88118375, 1.03881078125, 0.7800659375000001, 0.52132109375, 0.11749999999999998, 0.27437500000000004],
    [-1.1028018461875, 1.0060907186875, 0.8658210355, 1.0810896360625, 0.6955767028750001, 0.4710637696875, 0.08869999999999997, 0.30347500000000005],
    [-1.1021508979436063, 0.9979135582953563, 0.85125835001265, 1.1090956156500686, 0.6848297213923625, 0.4576761271346563, 0.06996999999999998, 0.32752250000000005]
  ],
  nesterov: [
    [-1.01475, 1.05975, 0.8019999999999999, 1.06175, 0.804, 0.54625, 0.0475, 0.305],
    [-1.0197672500000001, 0.93736225, 0.849582, 1.10789425, 0.761364, 0.41483375, 0.09025, 0.34825],
    [-1.1739990816, 0.9719903136, 0.8573857791999999, 1.0518004128, 0.5349718784, 0.432143344, 0.08897, 0.28761000000000003],
    [-1.15525067882624, 0.9629165407910399, 0.8282192774348799, 1.0980677946739201, 0.5334857377177601, 0.41821328076159997, 0.057213999999999994, 0.33248200000000006]
  ],
  momentum_clip: [
    [-1.102913704541124, 1.113956852270562, 0.9558274090822478, 0.9246941647824711, 0.766564721594157, 0.608435278405843, 0.20030583521752887, 0.1691725909177521],
    [-1.101308201214261, 1.0839874469034212, 0.9581719555149428, 0.9526120920210039, 0.762907740138686, 0.5732033882563681, 0.19738789686788985, 0.191828033373951],
    [-1.1406991418436963, 1.0700235089688208, 0.9657183889200354, 0.9719624745344323, 0.711768534880678, 0.5474911856931949, 0.19318606564440965, 0.19943015125880664],
    [-1.1433066736723014, 1.0668816229335356, 0.9611609066231634, 0.9877845985904861, 0.705475071875141, 0.540663368480978, 0.184942652170606, 0.21156634413792863]
  ],
  adam: [
    [-1.025000002, 1.0250000039999998, 0.900000001, 0.9749999991111111, 0.8499999973333334, 0.5250000026666666, 0.15000000088888887, 0.224999999],
    [-1.0205337517308013, 0.9814139746786841, 0.9026315799210526, 1.0157794837755982, 0.8403244770954255, 0.4797382676169587, 0.1464093006818462, 0.2628611558957813],
    [-1.063782293897747, 0.969401709643286, 0.9103765733791144, 1.0357237876274255, 0.7888456259193386, 0.4566837130928809, 0.1419683060245438, 0.2698831412534911],
    [-1.0660862718928374, 0.9669417804994912, 0.9063444132608331, 1.0469571839932246, 0.7835518137086733, 0.45101595904586295, 0.13510677073172875, 0.27910452351191184]
  ],
  adam_l2: [
    [-1.0250001632650396, 1.025000275861308, 0.9000000909090082, 0.9749999036145507, 0.8499996666677778, 0.5250002285709061, 0.15000008888880986, 0.2249999000001],
    [-1.012233419758086, 0.9785222125545749, 0.9008259862408732, 1.0118944627966708, 0.8294151884966369, 0.47784885004816013, 0.1493105811375237, 0.261144808404024],
    [-1.0537406612301101, 0.961971772529041, 0.9031759405884726, 1.0145617924260535, 0.768091560029265, 0.4550534247997188, 0.14851116464589478, 0.2606921279024774],
    [-1.053094783317995, 0.957941198325969, 0.8966755877161522, 1.0244787838476501, 0.7613816406272703, 0.4492271154734392, 0.14127738931570943, 0.2701713976460127]
  ],
  adamw: [
    [-1.013750002, 1.0137500039999998, 0.890000001, 0.9662499991111111, 0.8424999973333334, 0.5187500026666666, 0.15000000088888887, 0.224999999],
    [-1.0042150017208014, 0.9650952246586841, 0.8881815799160526, 1.0021982337800428, 0.8286119771087588, 0.47089451760362544, 0.1464093006818462, 0.2628611558957813],
    [-1.0394298238739808, 0.9453621978260166, 0.888821120734786, 1.0141249517616298, 0.7705042301158018, 0.44407280693871864, 0.1419683060245438, 0.2698831412534911],
    [-1.0396549422213233, 0.9410115442865697, 0.8830113183750352, 1.0233300982239055, 0.7636694094449049, 0.4375169072778232, 0.13510677073172875, 0.27910452351191184]
  ],
  adam_clip: [
    [-1.0250000090553884, 1.025000018110775, 0.9000000045276944, 0.9749999959753828, 0.8499999879261493, 0.5250000120738507, 0.15000000402461722, 0.22499999547230562],
    [-1.0206807772327318, 0.9814459338003935, 0.9027849415816117, 1.0158173060628486, 0.8401799943111834, 0.47977437842907644, 0.14655792435617584, 0.26288596309298834],
    [-1.063326322873025, 0.967253933947068, 0.910457444265105, 1.0374431087220337, 0.788879546659225, 0.45482859115702307, 0.14230074430324235, 0.2718175030447056],
    [-1.0655962132389227, 0.9643476282909951, 0.9066824153995658, 1.0488023410553686, 0.7835620420171973, 0.4488182816662883, 0.13572234338384745, 0.28118299717053397]
  ]
}

/** Generates TORCH_FIXTURE (python3 -c TORCH_SCRIPT); the live test below re-runs it when torch is installed. */
const TORCH_SCRIPT = `import json, torch
torch.set_default_dtype(torch.float64)
LRS = [0.1, 0.05, 0.08, 0.02]
SIZES = [6, 2]
def p0(i, j): return ((j * 37 + i * 11) % 19 - 9) / 8
def grad(k, i, j): return ((j * 29 + i * 13 + k * 7) % 23 - 11) / 8
CONFIGS = {
  'sgd': ('SGD', {}, None),
  'sgd_wd': ('SGD', {'weight_decay': 0.1}, None),
  'momentum': ('SGD', {'momentum': 0.9}, None),
  'momentum_dampening': ('SGD', {'momentum': 0.9, 'dampening': 0.3, 'weight_decay': 0.05}, None),
  'nesterov': ('SGD', {'momentum': 0.8, 'nesterov': True, 'weight_decay': 0.1}, None),
  'momentum_clip': ('SGD', {'momentum': 0.9}, 1.0),
  'adam': ('Adam', {}, None),
  'adam_l2': ('Adam', {'weight_decay': 0.1, 'betas': (0.8, 0.99), 'eps': 1e-6}, None),
  'adamw': ('AdamW', {'weight_decay': 0.1}, None),
  'adam_clip': ('Adam', {}, 0.5),
}
out = {}
for name, (cls, kw, clip) in CONFIGS.items():
  ps = [torch.tensor([p0(i, j) for j in range(n)], requires_grad=True) for i, n in enumerate(SIZES)]
  kw = dict(kw)
  wd = kw.pop('weight_decay', 0.0 if cls != 'AdamW' else 0.01)
  groups = [{'params': [ps[0]], 'weight_decay': wd}, {'params': [ps[1]], 'weight_decay': 0.0}]
  opt = getattr(torch.optim, cls)(groups, lr=LRS[0], foreach=False, **kw)
  steps = []
  for k in range(1, 5):
    for g in opt.param_groups: g['lr'] = LRS[k - 1]
    for i, p in enumerate(ps): p.grad = torch.tensor([grad(k, i, j) for j in range(SIZES[i])])
    if clip is not None: torch.nn.utils.clip_grad_norm_(ps, clip)
    opt.step()
    steps.append([v for p in ps for v in p.detach().tolist()])
  out[name] = steps
print(json.dumps(out))
`

/** Graph: parameters, gradients (as inputs, so only the optimiser is tested), state, lr and step in; updated values out. */
function optimiserModel(cfg: OptimiserConfig): Uint8Array {
  const g = new GraphBuilder('opt')
  const slots = optimiserSlots(cfg)
  const lr = g.input('lr', 'float64', [])
  const step = g.input('step', 'int64', [])
  const items = SIZES.map((n, i) => ({
    param: g.input(`p${i}`, 'float64', [n]),
    grad: g.input(`g${i}`, 'float64', [n]),
    state: Object.fromEntries(slots.map((s) => [s, g.input(`p${i}.${s}`, 'float64', [n])])),
    decay: DECAY[i]!
  }))
  const r = emitOptimiserStep(g, cfg, 'float64', items, lr, step)
  r.params.forEach((p, i) => g.output(`p${i}_out`, 'float64', [SIZES[i]!], { from: p }))
  r.state.forEach((st, i) => slots.forEach((s) => g.output(`p${i}.${s}_out`, 'float64', [SIZES[i]!], { from: st[s]! })))
  if (r.gradNorm) g.output('grad_norm', 'float64', [], { from: r.gradNorm })
  return buildModel({ graph: g })
}

interface Trace {
  params: Float64Array[][]
  norms: number[]
}

async function runGraph(cfg: OptimiserConfig): Promise<Trace> {
  const { session } = await createSession(optimiserModel(cfg), { provider: 'cpu', threads: 1 })
  const slots = optimiserSlots(cfg)
  let params: Float64Array[] = SIZES.map((n, i) => Float64Array.from({ length: n }, (_, j) => p0(i, j)))
  let state: SlotState[] = zeroOptimiserState(cfg, SIZES)
  const trace: Trace = { params: [], norms: [] }
  for (let k = 1; k <= LRS.length; k++) {
    const feeds: Record<string, EngineTensor> = {
      lr: { type: 'float64', data: Float64Array.of(LRS[k - 1]!), dims: [] },
      step: { type: 'int64', data: BigInt64Array.of(BigInt(k)), dims: [] }
    }
    SIZES.forEach((n, i) => {
      feeds[`p${i}`] = { type: 'float64', data: params[i]!, dims: [n] }
      feeds[`g${i}`] = { type: 'float64', data: Float64Array.from({ length: n }, (_, j) => grad(k, i, j)), dims: [n] }
      for (const s of slots) feeds[`p${i}.${s}`] = { type: 'float64', data: state[i]![s]!, dims: [n] }
    })
    const out = await session.run(feeds)
    params = SIZES.map((_, i) => out[`p${i}_out`]!.data as Float64Array)
    state = SIZES.map((_, i) => Object.fromEntries(slots.map((s) => [s, out[`p${i}.${s}_out`]!.data as Float64Array])) as SlotState)
    trace.params.push(params)
    if (out.grad_norm) trace.norms.push((out.grad_norm.data as Float64Array)[0]!)
  }
  await session.release()
  return trace
}

function runReference(cfg: OptimiserConfig): Trace {
  let params: Float64Array[] = SIZES.map((n, i) => Float64Array.from({ length: n }, (_, j) => p0(i, j)))
  let state = zeroOptimiserState(cfg, SIZES)
  const trace: Trace = { params: [], norms: [] }
  for (let k = 1; k <= LRS.length; k++) {
    const grads = SIZES.map((n, i) => Float64Array.from({ length: n }, (_, j) => grad(k, i, j)))
    const r = referenceOptimiserStep(cfg, params, grads, state, LRS[k - 1]!, k, DECAY)
    params = r.params
    state = r.state
    trace.params.push(params)
    if (r.gradNorm !== null) trace.norms.push(r.gradNorm)
  }
  return trace
}

function maxRelDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length)
  return Math.max(0, ...a.map((v, i) => Math.abs(v - b[i]!) / Math.max(1, Math.abs(b[i]!))))
}

const flat = (step: Float64Array[]): number[] => step.flatMap((p) => Array.from(p))

describe('in-graph optimisers', () => {
  const graphs = new Map<string, Trace>()
  for (const [name, cfg] of Object.entries(CONFIGS)) {
    it(`${name}: 4 steps with a changing lr equal the float64 reference (≤1e-12) and torch.optim`, async () => {
      const got = await runGraph(cfg)
      graphs.set(name, got)
      const ref = runReference(cfg)
      for (let k = 0; k < LRS.length; k++) {
        expect(maxRelDiff(flat(got.params[k]!), flat(ref.params[k]!))).toBeLessThanOrEqual(1e-12)
        expect(maxRelDiff(flat(got.params[k]!), TORCH_FIXTURE[name]![k]!)).toBeLessThanOrEqual(1e-12)
      }
      expect(got.norms.length).toBe(cfg.maxGradNorm === undefined ? 0 : LRS.length)
      expect(maxRelDiff(got.norms, ref.norms)).toBeLessThanOrEqual(1e-12)
      // The parameters moved, and differently from plain SGD unless this is plain SGD.
      expect(maxRelDiff(flat(got.params[3]!), SIZES.flatMap((n, i) => Array.from({ length: n }, (_, j) => p0(i, j))))).toBeGreaterThan(1e-3)
    })
  }

  it('clipping engaged: the raw gradient norm exceeds the limit on every step', () => {
    const ref = runReference(CONFIGS.adam_clip!)
    expect(ref.norms.every((n) => n > 0.5)).toBe(true)
  })

  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' })
  it.skipIf(probe.status !== 0)('live torch.optim run reproduces the fixture', () => {
    const r = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } })
    expect(r.stderr).toBe('')
    const live = JSON.parse(r.stdout) as Record<string, number[][]>
    for (const name of Object.keys(CONFIGS)) {
      for (let k = 0; k < LRS.length; k++) expect(maxRelDiff(live[name]![k]!, TORCH_FIXTURE[name]![k]!)).toBeLessThanOrEqual(1e-15)
    }
  })

  it('float32 graphs run the same update within float32 rounding', async () => {
    const cfg = CONFIGS.adam_clip!
    const g = new GraphBuilder('opt32')
    const slots = optimiserSlots(cfg)
    const lr = g.input('lr', 'float32', [])
    const step = g.input('step', 'int64', [])
    const p = g.input('p', 'float32', [6])
    const gr = g.input('g', 'float32', [6])
    const st = Object.fromEntries(slots.map((s) => [s, g.input(`p.${s}`, 'float32', [6])]))
    const r = emitOptimiserStep(g, cfg, 'float32', [{ param: p, grad: gr, state: st }], lr, step)
    g.output('p_out', 'float32', [6], { from: r.params[0]! })
    const { session } = await createSession(buildModel({ graph: g }), { provider: 'cpu', threads: 1 })
    const pv = Float32Array.from({ length: 6 }, (_, j) => p0(0, j))
    const gv = Float32Array.from({ length: 6 }, (_, j) => grad(1, 0, j))
    const out = await session.run({
      lr: { type: 'float32', data: Float32Array.of(0.1), dims: [] },
      step: { type: 'int64', data: BigInt64Array.of(1n), dims: [] },
      p: { type: 'float32', data: pv, dims: [6] },
      g: { type: 'float32', data: gv, dims: [6] },
      'p.exp_avg': { type: 'float32', data: new Float32Array(6), dims: [6] },
      'p.exp_avg_sq': { type: 'float32', data: new Float32Array(6), dims: [6] }
    })
    const ref = referenceOptimiserStep(cfg, [Float64Array.from(pv)], [Float64Array.from(gv)], zeroOptimiserState(cfg, [6]), 0.1, 1)
    expect(maxRelDiff(Array.from(out.p_out!.data as Float32Array), Array.from(ref.params[0]!))).toBeLessThan(1e-6)
    await session.release()
  })

  it('validates settings and names the bad field', () => {
    expect(() => resolveOptimiser(sgd({ nesterov: true }))).toThrow(/Nesterov/)
    expect(() => resolveOptimiser(sgd({ momentum: 0.9, nesterov: true, dampening: 0.1 }))).toThrow(/Nesterov/)
    expect(() => resolveOptimiser(adam({ betas: [0.9, 1] }))).toThrow(/betas/)
    expect(() => resolveOptimiser(adam({ eps: -1 }))).toThrow(/eps/)
    expect(() => resolveOptimiser(sgd({ maxGradNorm: 0 }))).toThrow(/maxGradNorm/)
    expect(() => resolveOptimiser({ method: 'rmsprop' } as unknown as OptimiserConfig)).toThrow(/rmsprop/)
    expect(optimiserSlots(sgd())).toEqual([])
    expect(optimiserSlots(sgd({ momentum: 0.5 }))).toEqual(['momentum_buffer'])
    expect(optimiserSlots(adamw())).toEqual(['exp_avg', 'exp_avg_sq'])
    expect(resolveOptimiser(adamw()).weightDecay).toBe(0.01)
  })
})
