#!/usr/bin/env node
// The `engram` command. Runs the built CLI (out/main/cli.js); builds it first on a fresh checkout.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'out', 'main', 'cli.js')
const [major] = process.versions.node.split('.').map(Number)
if (major < 24) {
  process.stderr.write(`engram: needs Node 24 or newer (this is ${process.version}); run it through npx or npm so the project's Node is used\n`)
  process.exit(1)
}
/** In a source checkout, a build older than any file under src/ is stale. */
function stale() {
  if (!existsSync(cli)) return true
  const src = join(root, 'src')
  if (!existsSync(src)) return false
  const builtAt = statSync(cli).mtimeMs
  const newer = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = join(dir, e.name)
      return e.isDirectory() ? newer(p) : statSync(p).mtimeMs > builtAt
    })
  return newer(src)
}

if (stale()) {
  process.stderr.write(existsSync(cli) ? 'engram: sources changed, rebuilding (npm run build)…\n' : 'engram: first run, building (npm run build)…\n')
  const built = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  if (built.status !== 0 || !existsSync(cli)) {
    process.stderr.write('engram: build failed; run `npm run build` to see why\n')
    process.exit(1)
  }
}
const { main } = await import(pathToFileURL(cli).href)
await main(process.argv.slice(2))
