// Writes tests/fixtures/sessions-v3.sqlite with the code of schema v3 (commit 8c14325): one session holding a
// Hopfield net (Hebb 1/N), an RBM, a BAM, a recall, a batch recall, an experiment and a BAM recall. Kept for the
// record of how the fixture was made; it only runs against a v3 checkout.
import { copyFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeBackend, jobOutcome } from '../tests/helpers/backend'

const dir = mkdtempSync(join(tmpdir(), 'engram-v3-'))
const b = makeBackend(dir)
const s = await b.call('sessions.create', { name: 'v3 fixture' })
const st = await b.call('models.train', { sessionId: s.id, dataset: { builtin: 'letters', select: [0, 4, 8, 14, 20, 23] }, model: { kind: 'hopfield', rule: 'hebb', normalisation: '1/N' } })
const model = st.models[0]!
await b.call('models.train', { sessionId: s.id, dataset: { builtin: 'seeds-003-discrete' }, model: { kind: 'hopfield', rule: 'hebb', encoding: 'binary' } } as never).catch(() => null)
const cue = Array.from({ length: model.units }, (_, i) => (i % 7 === 0 ? 1 : -1))
await b.call('sessions.update', { id: s.id, patch: { cue: { source: -1, corruption: { type: 'none' }, seed: 1, state: cue }, ui: { workbench: { rule: 'hebb' } } } } as never)
let r = await b.call('jobs.start', { sessionId: s.id, spec: { kind: 'recall.async', modelId: model.id, cue, seed: 3 } })
await jobOutcome(b, r.jobId)
r = await b.call('jobs.start', { sessionId: s.id, spec: { kind: 'recall.batch', modelId: model.id, corruption: { type: 'flip', fraction: 0.1 }, cuesPerPattern: 3, seed: 4 } })
await jobOutcome(b, r.jobId)
r = await b.call('jobs.start', { sessionId: s.id, spec: { kind: 'rbm.train', dataset: { builtin: 'letters', count: 26 }, model: { kind: 'rbm', hidden: 8, epochs: 2, batchSize: 13 }, seed: 5 } })
await jobOutcome(b, r.jobId)
const bs = await b.call('bam.train', { sessionId: s.id, dataset: { builtin: 'seeds-003-bam' }, model: { kind: 'bam', codes: 'dataset' } })
await b.call('bam.recall', { sessionId: s.id, modelId: bs.bams[0]!.id, y: [0, 1] })
r = await b.call('jobs.start', { sessionId: s.id, spec: { kind: 'experiment', spec: { name: 'cap', seed: 2, dataset: { builtin: 'letters', select: [0, 2, 8] }, model: { kind: 'hopfield' }, sweep: { type: 'noise', fractions: [0, 0.1], cuesPerPattern: 3 } } } as never })
await jobOutcome(b, r.jobId).catch((e) => console.error('experiment', e))
await b.call('sessions.save', { id: s.id })
await b.close()
copyFileSync(join(dir, 'sessions.sqlite'), join(import.meta.dirname, '..', 'tests', 'fixtures', 'sessions-v3.sqlite'))
console.log('written', s.id)
