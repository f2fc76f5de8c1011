// `engram`: run experiments from a JSON spec, serve the workbench to a browser, export trained models.
import { parseArgs } from 'node:util'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ApiError } from '../shared/api'
import { Backend, writeFileAtomic } from '../main/services/backend'
import { DatasetCatalog } from '../main/services/datasets'
import { readFileSync } from 'node:fs'
import { exportResultFile, exportSessionModel } from '../main/services/model-export'
import { readRunSpecFile, SpecError, type RunSpec } from '../main/services/spec-file'
import { runRbmCli } from './rbm'
import { runRecurrentCli } from './recurrent'
import { runHopfieldLayerCli } from './hopfield-layer'
import { runExperimentCli } from './experiment'
import { runBatchCli } from './batch'
import type { RunOptions, SpecRunner, SpecRunners } from './run'
import { SqliteSessionStore } from '../main/services/store'
import { startServer } from '../main/server/server'
import { defaultDataDir, SESSIONS_DB } from '../main/paths'
import { ENGRAM_VERSION } from '../main/version'
import { connectionFromUrl, QueueConnectError, QueueUrlError } from '../main/queue/connection'
import { DEFAULT_TRIALS_PER_SHARD, notShardable } from '../main/services/experiments/shards'

const here = dirname(fileURLToPath(import.meta.url))

const HELP: Record<string, string> = {
  main: `engram ${ENGRAM_VERSION} — associative memories and recurrent networks workbench

Usage: engram <command> [options]

Commands:
  run <spec.json>     run an experiment from a JSON spec and write a result JSON
  serve               serve the workbench to a browser (browser mode)
  export <source>     export a trained model to ONNX or safetensors
  import <images>     import an IDX image file (MNIST style, .gz or not) as a dataset
  worker              run sweep shards and training runs from a job queue (BullMQ on Redis), for runs given --queue

Options:
  -h, --help          show help (also: engram <command> --help)
  -v, --version       print the version
  --debug             with any command: print an error's stack trace after its one-line message

Data directory (sessions, exports): ${defaultDataDir()} (override: --data-dir or ENGRAM_DATA_DIR)`,
  run: `Usage: engram run <spec.json> [--out result.json] [--quiet] [--export FILE.onnx|FILE.safetensors] [--queue URL]

Runs the experiment described by the spec (schema: resources/schema/experiment-spec.schema.json,
docs: docs/spec.md) and writes the result (schema: resources/schema/experiment-result.schema.json).
A spec whose model has "kind": "rbm" trains an RBM instead (schemas rbm-spec / rbm-result): progress
and metrics per epoch (accuracy too with "labels": true), then the result with the trained weights.
A spec whose model has "kind": "recurrent" trains the RNN page's char-level LSTM/GRU/RNN language model
on a shipped corpus, an imported text or a UTF-8 file ("text": {"path": …}, relative to the spec) and draws
the spec's samples (schemas recurrent-spec / recurrent-result): step, loss, perplexity, rate and ETA on
stderr; with "task" in the model it trains a sequence classifier, tagger or forecaster instead, prints its
held-out score against the baseline and runs its "predict" inputs. Ctrl-C stops it and keeps the steps done
as a partial model. A spec whose model has "kind": "hopfield-layer" trains the Hopfield layer page's layer
(learned stored patterns and projections) on its synthetic task beside a linear baseline, or with
"mode": "pooling" its Hopfield pooling (a learned query over bags of instances) beside mean pooling (schemas
hopfield-layer-spec / hopfield-layer-result). The same spec and seed give the same numbers.
A spec with a "batch" section ({"seeds": [...], "grid": {"field": [values]}}) trains its model (any family)
once per grid point and seed and writes every run's model and state dict (docs/queue.md).

Options:
  -o, --out FILE      result file (default: <spec name>.result.json in the current directory)
  -q, --quiet         no progress on stderr
  --export FILE       RBM, recurrent and Hopfield layer specs: also write the trained model as ONNX or safetensors
                      (RBMs also .npz; by the file's extension); may be given more than once
  --data-dir DIR      where imported datasets live (default ${defaultDataDir()})
  --queue URL         split the sweep into shards and run them on the workers of this queue
                      (redis://HOST:PORT, rediss://:PASSWORD@HOST:PORT for TLS; see engram worker --help);
                      capacity, dense-capacity and delay sweeps, and batches (one training run per shard);
                      the result is the same, number for number, as without --queue
  --shard-trials K    trials per shard with --queue (default ${Object.entries(DEFAULT_TRIALS_PER_SHARD).map(([type, k]) => `${k} for ${type}`).join(', ')})
  -h, --help          this help`,
  serve: `Usage: engram serve [--host 127.0.0.1] [--port 0] [--data-dir DIR] [--provider auto] [--print-json]

Serves the workbench UI and its API (HTTP + WebSocket). Binds 127.0.0.1 by default; every API
request needs the random token printed in the URL. Ctrl-C stops it.

Options:
  --host HOST         address to bind (default 127.0.0.1; anything else exposes it to the network)
  --port N            port (default 0: a free port)
  --data-dir DIR      where sessions and exports live (default ${defaultDataDir()})
  --provider P        engine provider: auto, cpu, cuda, dml, coreml (default auto)
  --token TOKEN       use this token instead of a random one (or ENGRAM_TOKEN, which other users
                      of the machine cannot read in the process list)
  --allow-origin O    also accept WebSocket connections from this page origin while bound to loopback
                      (repeatable; e.g. another local \`engram serve\` page that uses this one as its
                      remote backend through an SSH tunnel); the token is still required
  --print-json        print one JSON line {"url","port","token"} when ready (for scripts)
  --queue URL         run shardable experiment jobs (capacity, dense-capacity and delay sweeps) and
                      batches of training runs (models.trainBatch) on the workers of this queue
                      (redis://HOST:PORT or rediss://:PASSWORD@HOST:PORT); other jobs still run here.
                      Without it, the data directory's setting (the app's "jobs" control) decides;
                      by default this machine
  -h, --help          this help`,
  worker: `Usage: engram worker --queue redis://HOST:PORT [--concurrency 1] [--lock-ms 60000] [--stalled-ms 30000]

Runs sweep shards and training runs (one run of a batch each, on built-in datasets and shipped corpora)
from the queue until stopped (Ctrl-C or SIGTERM: finishes the running shard first). Start
one per machine (or per core group) on as many machines as you like; 'engram run --queue' and
'engram serve --queue' enqueue the shards. Every job payload is validated; a bad one is refused with the
field at fault. A worker killed mid-shard: its shard reruns on another worker after about lock-ms +
stalled-ms, and is counted once. One JSON line per event on stdout.

URL: redis://[:PASSWORD@]HOST[:PORT][/DB], or rediss://… for TLS. Redis should listen on loopback or a
private network with a password (requirepass); never expose it unprotected.

Options:
  --queue URL         the queue (required)
  --concurrency N     shards run at once in this process (default 1)
  --lock-ms MS        a job's lock time without renewal (default 60000)
  --stalled-ms MS     how often stalled jobs are looked for (default 30000)
  -h, --help          this help`,
  export: `Usage: engram export <result.json | session> --format onnx|safetensors|npz --out FILE [--model ID] [--data-dir DIR]

Exports a trained Hopfield network, RBM or char-LM: from a result file written by 'engram run', or from a saved
session (given by id or name; the session's active model unless --model names another, e.g. an RBM's id).

Options:
  -f, --format F      onnx (recall as a Loop of MatMul + sign, opset 17), safetensors, or npz
                      (NumPy: np.load(FILE)['weights']; metadata as a JSON string in ['metadata'])
  -o, --out FILE      output file
  --model ID          model id inside the session
  --data-dir DIR      where sessions live (default ${defaultDataDir()})
  -h, --help          this help`,
  import: `Usage: engram import <images-idx[.gz]> --name NAME [--labels <labels-idx[.gz]>] [--data-dir DIR]

Imports IDX images ([N, rows, cols] uint8, e.g. MNIST or Fashion-MNIST files) as the dataset
'user:<name>', usable in specs ("dataset": {"builtin": "user:<name>"}) and in the app. Everything is
validated first; a bad file is refused with the reason and nothing is written.

Options:
  --name NAME         dataset name (letters, digits, . _ -)
  --labels FILE       the matching IDX labels file ([N] uint8)
  --data-dir DIR      where datasets live (default ${defaultDataDir()})
  -h, --help          this help`
}

class UsageError extends Error {}

function fail(message: string, code = 1): never {
  process.stderr.write(`engram: ${message}\n`)
  process.exit(code)
}

async function cmdRun(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      quiet: { type: 'boolean', short: 'q' },
      'data-dir': { type: 'string' },
      export: { type: 'string', multiple: true },
      queue: { type: 'string' },
      'shard-trials': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) return void console.log(HELP.run)
  if (positionals.length !== 1) throw new UsageError('run: expected exactly one spec file (engram run <spec.json>)')
  const specPath = positionals[0]!
  const run = readRunSpecFile(specPath)
  if (values['shard-trials'] !== undefined && !values.queue) throw new UsageError('--shard-trials: only with --queue')
  const queue = values.queue ? { url: checkQueueUrl(values.queue), ...(values['shard-trials'] !== undefined ? { trialsPerShard: positiveInt(values['shard-trials'], '--shard-trials') } : {}) } : undefined
  if (queue && run.kind !== 'experiment' && run.kind !== 'batch') throw new UsageError(`--queue: ${run.kind} specs do not run on the queue (capacity, dense-capacity and delay sweeps and batches do: add a "batch" section)`)
  const unshardable = queue && run.kind === 'experiment' ? notShardable(run.spec) : null
  if (unshardable) throw new UsageError(`--queue: ${unshardable}`)
  const opts = { specPath, out: values.out, quiet: values.quiet === true, dataDir: resolve(values['data-dir'] ?? defaultDataDir()), exports: values.export ?? [], ...(queue ? { queue } : {}) }
  return runSpec(run, opts)
}

/** The runner of each kind of spec `engram run` takes (spec-file.ts says which kinds there are). */
const SPEC_RUNNERS: SpecRunners = {
  experiment: runExperimentCli,
  batch: runBatchCli,
  rbm: runRbmCli,
  recurrent: runRecurrentCli,
  'hopfield-layer': runHopfieldLayerCli
}

function runSpec(run: RunSpec, opts: RunOptions): Promise<void> {
  return (SPEC_RUNNERS[run.kind] as SpecRunner<RunSpec['spec']>)(run.spec, opts)
}

function positiveInt(text: string, field: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${field}: '${text}' is not a positive integer`)
  return n
}

/** A queue URL, checked before any work (a bad one names --queue). */
function checkQueueUrl(url: string): string {
  try {
    connectionFromUrl(url, '--queue')
  } catch (error) {
    if (error instanceof QueueUrlError) throw new UsageError(error.message)
    throw error
  }
  return url
}

async function cmdWorker(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      queue: { type: 'string' },
      concurrency: { type: 'string', default: '1' },
      'lock-ms': { type: 'string', default: '60000' },
      'stalled-ms': { type: 'string', default: '30000' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) return void console.log(HELP.worker)
  if (!values.queue) throw new UsageError('--queue: the queue URL is required (engram worker --queue redis://HOST:PORT)')
  const { startQueueWorker } = await import('../main/queue/worker') // bullmq loads only for the commands that use it
  const worker = await startQueueWorker({
    url: checkQueueUrl(values.queue),
    concurrency: positiveInt(values.concurrency, '--concurrency'),
    lockMs: positiveInt(values['lock-ms'], '--lock-ms'),
    stalledMs: positiveInt(values['stalled-ms'], '--stalled-ms'),
    log: (event) => console.log(JSON.stringify({ ...event, at: new Date().toISOString() }))
  })
  const stop = async (): Promise<void> => {
    await worker.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
}

function rendererDir(): string | undefined {
  const candidate = resolve(here, '../renderer')
  return existsSync(join(candidate, 'index.html')) ? candidate : undefined
}

/** Each job in a child process running the built entry (out/main/job-worker.js). */
export function workerEntry(): { url: URL; isolation: 'process' } {
  return { url: new URL('./job-worker.js', import.meta.url), isolation: 'process' }
}

async function cmdServe(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'data-dir': { type: 'string' },
      provider: { type: 'string', default: 'auto' },
      token: { type: 'string' },
      'print-json': { type: 'boolean' },
      queue: { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) return void console.log(HELP.serve)
  const allowOrigins = (values['allow-origin'] ?? []).map((o) => {
    let origin: string | null = null
    try {
      origin = new URL(o).origin
    } catch {
      // reported below
    }
    if (!origin || origin === 'null' || origin !== o.replace(/\/$/, '')) throw new UsageError(`--allow-origin: '${o}' is not an origin (http(s)://HOST[:PORT], no path)`)
    return origin
  })
  const token = values.token ?? (process.env.ENGRAM_TOKEN || undefined)
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: '${values.port}' is not a port number (0-65535)`)
  const provider = values.provider
  if (!['auto', 'cpu', 'cuda', 'dml', 'coreml'].includes(provider)) throw new UsageError(`--provider: '${provider}' is not one of auto, cpu, cuda, dml, coreml`)
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
  const queue = values.queue ? checkQueueUrl(values.queue) : undefined
  const backend = new Backend({ dataDir, transport: 'websocket', worker: workerEntry(), provider: provider as 'auto', ...(queue ? { queue } : {}) })
  const staticDir = rendererDir()
  const server = await startServer({ backend, host: values.host, port, staticDir, token, allowOrigins, log: (l) => process.stderr.write(`${l}\n`) })
  if (values['print-json']) console.log(JSON.stringify({ url: server.url, port: server.port, token: server.token, dataDir }))
  else {
    console.log(`Engram ${ENGRAM_VERSION} in browser mode — open ${server.url}`)
    console.log(`data: ${dataDir}${staticDir ? '' : '  (renderer not built: run npm run build; API only)'}`)
    if (values.host !== '127.0.0.1' && values.host !== 'localhost') console.log(`warning: bound to ${values.host}; anyone with the token on that network can use it, and plain http carries the token and data in clear: put a TLS reverse proxy in front or use an SSH tunnel beyond a trusted network (docs/queue.md)`)
  }
  const stop = async (): Promise<void> => {
    await server.close()
    await backend.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
}

function cmdExport(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', short: 'f' },
      out: { type: 'string', short: 'o' },
      model: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) return void console.log(HELP.export)
  if (positionals.length !== 1) throw new UsageError('export: expected one source (a result .json file, or a saved session id or name)')
  if (values.format !== 'onnx' && values.format !== 'safetensors' && values.format !== 'npz') {
    throw new UsageError(`--format: expected onnx, safetensors or npz, got '${values.format ?? ''}'`)
  }
  if (!values.out) throw new UsageError('--out: the output file is required')
  const source = positionals[0]!
  const format = values.format
  let exported
  if (source.endsWith('.json') && existsSync(source)) exported = exportResultFile(source, format)
  else {
    const store = new SqliteSessionStore(join(resolve(values['data-dir'] ?? defaultDataDir()), SESSIONS_DB))
    try {
      exported = exportSessionModel(store, new DatasetCatalog(resolve(values['data-dir'] ?? defaultDataDir())), source, values.model, format)
    } finally {
      store.close()
    }
  }
  const out = resolve(values.out)
  mkdirSync(dirname(out), { recursive: true })
  writeFileAtomic(out, exported.bytes)
  console.log(`${out} (${exported.bytes.byteLength} bytes, ${exported.description})`)
}

function cmdImport(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, labels: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }
  })
  if (values.help) return void console.log(HELP.import)
  if (positionals.length !== 1) throw new UsageError('import: expected one IDX images file')
  if (!values.name) throw new UsageError('--name: the dataset name is required')
  const read = (path: string, what: string): Uint8Array => {
    try {
      return new Uint8Array(readFileSync(path))
    } catch (error) {
      throw new SpecError(`${what} ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }
  }
  const catalog = new DatasetCatalog(resolve(values['data-dir'] ?? defaultDataDir()))
  const summary = catalog.import(values.name, read(positionals[0]!, 'images'), values.labels ? read(values.labels, 'labels') : null, positionals[0]!)
  console.log(`${summary.id}: ${summary.count} images of ${summary.height}×${summary.width}`)
}

export async function main(argv: string[]): Promise<void> {
  // --debug, anywhere on the line: an error's stack trace is printed after its one-line message.
  const debug = argv.includes('--debug')
  const [command, ...rest] = argv.filter((a) => a !== '--debug')
  const stack = (error: unknown) => (debug && error instanceof Error && error.stack ? `\n${error.stack}` : '')
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(HELP.main)
        return
      case '-v':
      case '--version':
        console.log(ENGRAM_VERSION)
        return
      case 'run':
        return await cmdRun(rest)
      case 'serve':
        return await cmdServe(rest)
      case 'export':
        return cmdExport(rest)
      case 'import':
        return cmdImport(rest)
      case 'worker':
        return await cmdWorker(rest)
      default:
        throw new UsageError(`unknown command '${command}' (commands: run, serve, export, import, worker; see engram --help)`)
    }
  } catch (error) {
    if (error instanceof UsageError) fail(error.message + stack(error), 2)
    if (error instanceof SpecError || error instanceof ApiError || error instanceof QueueConnectError) fail(error.message + stack(error), 1)
    if (error instanceof Error && 'code' in error && (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') fail(error.message + stack(error), 2)
    // Not a user error: a bug. One line (exit 70, EX_SOFTWARE); the stack with --debug.
    const message = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)
    fail(`internal error: ${message}${debug ? stack(error) : ' (a bug: run again with --debug for the stack trace, and please report it)'}`, 70)
  }
}

// Run when executed as the CLI entry (out/main/cli.js), not when imported by tests.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2))
}
