// Source-mode job worker for tests: registers tsx so the TypeScript worker entry runs without a build.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
