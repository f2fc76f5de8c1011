// Test-only preload for job worker processes (`--import .../ort-trace.mjs?dir=DIR`, tests/main/jobs-kill.test.ts): it
// traces every onnxruntime native `run` of the process, so a test can tell where a SIGKILL landed, and stretches one
// run when the test asks, so that the kill it sends lands inside that run rather than between two.
//  - DIR/trace-<pid>.log gets `enter N` just before the N-th native run and `exit N` just after it returns (written
//    synchronously: a process killed inside run N has `enter N` as its last line, and only then).
//  - When DIR/arm-<pid> exists at the start of a run, that run is stretched: the same native run (the same feeds) is
//    repeated for up to STRETCH_MS, each repeat traced as above, after a line `stretch N`, and its last outputs are
//    returned. The test kills the process once it reads `stretch`, so the kill lands inside one of these runs.
// onnxruntime-node's binding class has read-only methods, so `run` is defined on each new instance (a Proxy over the
// class); the session objects are otherwise the real ones.
import { appendFileSync, existsSync, openSync, unlinkSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const STRETCH_MS = 5000
const dir = new URL(import.meta.url).searchParams.get('dir')
if (!dir) throw new Error('ort-trace: no ?dir= in the preload URL')
const trace = openSync(join(dir, `trace-${process.pid}.log`), 'a')
const arm = join(dir, `arm-${process.pid}`)
const line = (text) => writeSync(trace, `${text}\n`)
let runs = 0

const require = createRequire(import.meta.url)
const native = require('onnxruntime-node/dist/binding.js').binding
const Session = native.InferenceSession

native.InferenceSession = new Proxy(Session, {
  construct(target, args, newTarget) {
    const session = Reflect.construct(target, args, newTarget)
    const run = Session.prototype.run
    const traced = (...runArgs) => {
      const n = ++runs
      line(`enter ${n}`)
      const out = run.apply(session, runArgs)
      line(`exit ${n}`)
      return out
    }
    Object.defineProperty(session, 'run', {
      value: (...runArgs) => {
        if (!existsSync(arm)) return traced(...runArgs)
        unlinkSync(arm)
        line(`stretch ${runs + 1}`)
        const until = performance.now() + STRETCH_MS
        let out = traced(...runArgs)
        while (performance.now() < until) out = traced(...runArgs)
        return out
      }
    })
    return session
  }
})
appendFileSync(join(dir, 'loaded.log'), `${process.pid}\n`)
