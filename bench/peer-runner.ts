// Peer commands run by a helper process (bench/peers/spawner.py) spawned once, so the bench's own process is not forked
// between its timed engine runs: a fork makes every writable page copy-on-write, and the next ONNX Runtime run then
// pays a page fault per page of its arena (measured: 0.6–0.7 s instead of 0.26 s for one modern Hopfield update of
// 1,000 × 10,000 × 784 right after spawning even `true`). Start it before the first timed run.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { PYTHON, ROOT } from './common'

export interface PeerResult {
  status: number
  stdout: string
  stderr: string
}

export class PeerRunner {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly waiting: ((r: PeerResult) => void)[] = []
  private failure: Error | null = null

  constructor() {
    this.child = spawn(PYTHON, [join(ROOT, 'bench/peers/spawner.py')], { stdio: ['pipe', 'pipe', 'pipe'] })
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as PeerResult))
    let stderr = ''
    this.child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    this.child.on('exit', (code) => {
      this.failure = new Error(`peer spawner exited (${code}): ${stderr.slice(-2000)}`)
      for (const w of this.waiting.splice(0)) w({ status: -1, stdout: '', stderr: this.failure.message })
    })
  }

  /** Runs argv with env in the helper and waits for it (one command at a time). */
  run(argv: string[], env: NodeJS.ProcessEnv): Promise<PeerResult> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      this.child.stdin.write(JSON.stringify({ argv, env }) + '\n')
    })
  }

  close(): void {
    this.child.stdin.end()
  }
}
