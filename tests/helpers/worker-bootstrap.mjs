// Source-mode job worker for tests: registers tsx so the TypeScript worker entry runs without a build (after the
// module workerData.preload names, where a test gives one: tests/helpers/thread-kill.ts).
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
if (workerData.preload) await import(workerData.preload)
await import(workerData.entry)
