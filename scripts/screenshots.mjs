// `npm run screenshots`: refreshes the README's screenshots (docs/screenshots/*.png) on purpose. The end-to-end specs
// that reach each pictured state write them only with ENGRAM_SCREENSHOTS=1, so `npm test` never rewrites them.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const specs = ['recall-lab', 'experiments', 'rbm', 'bam', 'modern', 'modern-images', 'hopfield-layer', 'recurrent', 'recurrent-tasks'].map((s) => `tests/e2e/${s}.spec.ts`)
const child = spawn('npx', ['playwright', 'test', ...specs, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32',
  env: { ...process.env, ENGRAM_SCREENSHOTS: '1' }
})
child.on('exit', (code) => process.exit(code ?? 1))
