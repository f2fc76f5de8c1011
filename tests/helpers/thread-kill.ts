// The control of tests/main/jobs-kill.test.ts: one trial of its kill with the job in a worker thread instead of a
// child process. It starts an RBM training on the engine, waits for its 3rd epoch report, has the next onnxruntime run
// stretched (tests/helpers/ort-trace.mjs, preloaded in the worker thread) and terminates the worker inside it, as
// JobManager does to a job that ignores a cancel. It says each step on stdout; the test reads how the process ended.
// Usage: node --import tsx --import ./tests/helpers/raw-hooks.mjs tests/helpers/thread-kill.ts DIR
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Backend } from '../../src/main/services/backend'
import { KILL_RBM } from './kill-fixtures'
import { sourceWorker } from './worker-entry'

const dir = process.argv[2]!
const source = sourceWorker('thread')
const preload = `${pathToFileURL(join(import.meta.dirname, 'ort-trace.mjs')).href}?dir=${encodeURIComponent(dir)}`
const backend = new Backend({ dataDir: join(dir, 'data'), transport: 'websocket', worker: { ...source, workerData: { ...source.workerData, preload } }, provider: 'cpu' })
const s = await backend.call('sessions.create', { name: 'thread kill' })
const { jobId } = await backend.call('models.train', { sessionId: s.id, ...KILL_RBM, model: { ...KILL_RBM.model, epochs: 300 } })
const outcome = new Promise<string>((resolve) => {
  backend.on('job.failed', (p) => p.jobId === jobId && resolve(p.error))
  backend.on('job.done', (p) => p.jobId === jobId && resolve('done'))
})
await new Promise<void>((resolve) => {
  let reports = 0
  const off = backend.on('job.progress', (p) => {
    if (p.jobId !== jobId || !p.metrics || ++reports < 3) return
    off()
    resolve()
  })
})
// The worker thread shares this process's id, and so its trace and arm files.
const trace = join(dir, `trace-${process.pid}.log`)
writeFileSync(join(dir, `arm-${process.pid}`), '')
// Wait for the first `enter` after the `stretch` line: terminating on `stretch` alone could land before the native run
// began (the same race as in the child-process trials).
const begun = (): boolean => {
  const lines = existsSync(trace) ? readFileSync(trace, 'utf8').trim().split('\n') : []
  const st = lines.findIndex((x) => x.startsWith('stretch'))
  return st >= 0 && lines.slice(st + 1).some((x) => x.startsWith('enter'))
}
while (!begun()) await new Promise((r) => setTimeout(r, 2))
console.log('terminating inside the stretched run')
const local = (backend as unknown as { jobs: { local: { jobs: Map<string, { worker: { kill(): Promise<void> } }> } } }).jobs.local
await local.jobs.get(jobId)!.worker.kill()
console.log(`survived: ${await outcome}`)
await backend.close()
process.exit(0)
