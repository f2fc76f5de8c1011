// Test-only preload: gives a forked Node child the `process.parentPort` of an Electron utility process (messages in as
// `{ data }` events, out with postMessage), so the job worker's utility path runs without the Electron binary
// (tests/main/jobs-utility.test.ts).
import { EventEmitter } from 'node:events'

const port = new EventEmitter()
port.postMessage = (message) => process.send(message)
process.on('message', (data) => port.emit('message', { data }))
process.parentPort = port
