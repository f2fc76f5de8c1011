// `npm start`: launch the Electron app; where the Electron binary is missing, start browser mode instead.
import { existsSync, readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const electronDir = join(root, 'node_modules', 'electron')
const pathFile = join(electronDir, 'path.txt')
const binary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null

function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' })
  child.on('exit', (code) => process.exit(code ?? 0))
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
}

if (binary && existsSync(binary)) {
  run(binary, [root, ...process.argv.slice(2)])
} else {
  console.log('Electron binary not installed (node_modules/electron/dist is missing): starting browser mode (engram serve) instead.')
  run(process.execPath, [join(root, 'out', 'main', 'cli.js'), 'serve', ...process.argv.slice(2)])
}
