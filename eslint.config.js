// Lint: TypeScript + Vue rules and the layer rule of DESIGN.md (each layer imports only what its allow-list names).
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'
import nodePath from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = nodePath.dirname(fileURLToPath(import.meta.url))

// The layer rule of DESIGN.md as an allow-list: each layer names what it may import, everything else is an error.
// `layers` are folders or files under the repository root that a relative import may reach (its own layer is
// always allowed); `packages` are bare specifiers ('node:*' any Node builtin, 'echarts/*' any subpath);
// `onlyIn` allows a package in the listed files only (onnxruntime-node in src/engine/ort.ts, electron in the shell).
const LAYERS = {
  'src/shared': { layers: [], packages: ['zod'], why: 'src/shared is the contract: only zod, no other layer, no Node, no Electron.' },
  'src/core': { layers: ['src/shared'], packages: [], why: 'src/core is pure TypeScript maths: it imports src/shared and nothing else (no Node, Electron or ONNX Runtime).' },
  'src/engine': {
    layers: ['src/shared', 'src/core'],
    packages: ['onnx-proto', 'node:os', 'node:crypto'],
    onlyIn: { 'onnxruntime-node': ['src/engine/ort.ts'] },
    why: 'src/engine imports src/shared, src/core, onnx-proto, node:os and node:crypto; onnxruntime-node only in src/engine/ort.ts.'
  },
  'src/main': {
    // resources/corpora and resources/datasets: the shipped text corpora and image subset, bundled as strings (`?raw`).
    layers: ['src/shared', 'src/core', 'src/engine', 'resources/corpora', 'resources/datasets'],
    packages: ['node:*', 'better-sqlite3', 'ws', 'zod'],
    onlyIn: { electron: ['src/main/index.ts', 'src/main/ipc/'], bullmq: ['src/main/queue/'], ioredis: ['src/main/queue/'] },
    why: 'src/main imports shared, core, engine, the shipped corpora and image data and Node; electron only in the shell (src/main/index.ts, src/main/ipc/); bullmq and ioredis only in src/main/queue/.'
  },
  'src/preload': { layers: ['src/shared'], packages: ['electron'], why: 'The sandboxed preload may only use electron and the contract types.' },
  'src/renderer': {
    // DESIGN.md: core is pure and runs in the renderer too (cue corruption, seeded draws, Hamming distances).
    layers: ['src/shared', 'src/core'],
    packages: ['vue', 'pinia', 'echarts', 'echarts/*', 'vue-echarts', 'zod'],
    why: 'The renderer talks only to the API interface: shared (and pure core), vue, pinia, echarts; never Electron, Node, engine or main.'
  },
  'src/cli': {
    layers: ['src/shared', 'src/main/services', 'src/main/server', 'src/main/queue', 'src/main/paths.ts', 'src/main/version.ts'],
    packages: ['node:*'],
    why: 'The CLI goes through the services (the server for `engram serve`, the queue for `engram worker` and --queue), never core, engine, the renderer or Electron.'
  }
}

const within = (path, prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)
const packageMatches = (spec, pattern) =>
  pattern.endsWith('*') ? spec.startsWith(pattern.slice(0, -1)) : spec === pattern
const stripExt = (path) => path.replace(/\.(ts|vue|js|mjs)$/, '')

const layersPlugin = {
  rules: {
    'allowed-imports': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const file = nodePath.relative(ROOT, context.filename).split(nodePath.sep).join('/')
        const layer = Object.keys(LAYERS).find((l) => within(file, l))
        if (!layer) return {}
        const rule = LAYERS[layer]
        const check = (node, source) => {
          if (typeof source !== 'string') return
          let allowed
          if (source.startsWith('.')) {
            const target = nodePath.relative(ROOT, nodePath.resolve(nodePath.dirname(context.filename), source)).split(nodePath.sep).join('/')
            allowed = within(target, layer) || rule.layers.some((l) => within(target, stripExt(l)) || within(target, l))
          } else {
            const only = Object.entries(rule.onlyIn ?? {}).find(([pkg]) => packageMatches(source, pkg))
            allowed = only ? only[1].some((f) => within(file, f)) : rule.packages.some((p) => packageMatches(source, p))
          }
          if (!allowed) context.report({ node, message: `'${source}' is not allowed here. ${rule.why}` })
        }
        return {
          ImportDeclaration: (node) => check(node, node.source.value),
          ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
          ExportAllDeclaration: (node) => check(node, node.source.value),
          ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value)
        }
      }
    }
  }
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'tmp/**', 'bench/tmp-*/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  ...vue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off'
    }
  },
  {
    files: ['src/**/*.ts', 'src/**/*.vue'],
    plugins: { layers: layersPlugin },
    rules: { 'layers/allowed-imports': 'error' }
  }
)
