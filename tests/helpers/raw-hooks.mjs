// Module hooks for test child processes run with tsx: Vite's `?raw` imports (a file's text as the default export),
// which the built app and vitest resolve themselves. Use: node --import tsx --import ./tests/helpers/raw-hooks.mjs …
import { register } from 'node:module'

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
export async function resolve(specifier, context, next) {
  if (specifier.endsWith('?raw')) return { url: new URL(specifier, context.parentURL).href, shortCircuit: true }
  return next(specifier, context)
}
export async function load(url, context, next) {
  if (url.endsWith('?raw')) {
    const text = readFileSync(fileURLToPath(url.slice(0, -4)), 'utf8')
    return { format: 'module', source: 'export default ' + JSON.stringify(text), shortCircuit: true }
  }
  return next(url, context)
}`)
)
