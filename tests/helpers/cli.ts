// The CLI run in-process as a user would see it: process.exit turned into a thrown code, stderr and stdout captured.
import { afterAll, beforeAll, vi } from 'vitest'
import { main } from '../../src/cli/index'

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`)
  }
}

/** Registers the spies for the calling test file; `run(argv)` answers the exit code and what went to stderr; `writes()` the last run's stderr writes. */
export function inProcessCli(): { run: (argv: string[]) => Promise<{ code: number; text: string }>; writes: () => string[] } {
  let stderr: string[] = []
  beforeAll(() => {
    vi.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Exit(code)
    }) as never)
    vi.spyOn(process.stderr, 'write').mockImplementation(((s: string) => {
      stderr.push(String(s))
      return true
    }) as never)
    vi.spyOn(console, 'log').mockImplementation(() => {})
  })
  afterAll(() => vi.restoreAllMocks())
  return {
    async run(argv) {
      stderr = []
      const code = await main(argv).then(
        () => 0,
        (e: unknown) => (e instanceof Exit ? e.code : -1)
      )
      return { code, text: stderr.join('') }
    },
    writes: () => stderr
  }
}
