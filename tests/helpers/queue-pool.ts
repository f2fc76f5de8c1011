// A private queue for tests and benchmarks: Debian's redis-server on a free loopback port with no persistence, and
// `engram worker` processes from the built CLI whose JSON event lines are collected.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cli = join(root, 'out', 'main', 'cli.js')

export const haveRedis = spawnSync('redis-server', ['--version']).status === 0

export interface WorkerProc {
  proc: ChildProcess
  events: Record<string, unknown>[]
  exited: Promise<void>
}

export interface LocalRedis {
  url: string
  stop(): void
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })

const ping = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = connect(port, '127.0.0.1', () => c.write('PING\r\n'))
    c.on('data', (d) => {
      c.destroy()
      resolve(/^(\+PONG|-NOAUTH)/.test(d.toString()))
    })
    c.on('error', () => resolve(false))
  })

/** redis-server on a free loopback port, no RDB snapshots, no AOF (and a password when given); stop() kills it. */
export async function startRedis(password?: string): Promise<LocalRedis> {
  const port = await freePort()
  const auth = password ? ['--requirepass', password] : []
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...auth], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    if (await ping(port)) return { url: `redis://127.0.0.1:${port}`, stop: () => void proc.kill('SIGKILL') }
    await new Promise((r) => setTimeout(r, 50))
  }
  proc.kill('SIGKILL')
  throw new Error(`redis-server did not answer on port ${port}`)
}

/** The built CLI, rebuilt first if the sources are newer (bin/engram.mjs does that). */
export function ensureBuiltCli(): string {
  spawnSync(process.execPath, [join(root, 'bin', 'engram.mjs'), '--version'], { cwd: root, stdio: 'ignore' })
  if (!existsSync(cli)) throw new Error('build first: npm run build')
  return cli
}

let seq = 0
/** The number of the last worker event seen (in any worker): events after a mark are those with `seq` above it. */
export const eventMark = (): number => seq

/** An `engram worker` process on `url`; its stdout events are parsed into `events`, each numbered in `seq`. */
export function startWorker(url: string, args: string[] = []): WorkerProc {
  const proc = spawn(process.execPath, [cli, 'worker', '--queue', url, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const w: WorkerProc = { proc, events: [], exited: new Promise((resolve) => proc.on('close', () => resolve())) }
  let buffer = ''
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    const lines = buffer.split('\n')
    buffer = lines.pop()!
    for (const line of lines) if (line.trim()) w.events.push({ ...(JSON.parse(line) as Record<string, unknown>), seq: ++seq })
  })
  return w
}

/** Waits (polling every 20 ms) until `ok()`, or throws naming `what`. */
export async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export const isReady = (w: WorkerProc): boolean => w.events.some((e) => e.event === 'ready')
