// Lint: TypeScript + Vue rules and the one-way import rule of DESIGN.md (a layer never imports upward).
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'

const layerRule = (forbidden, message) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: forbidden.map((group) => ({ group: [group], message }))
    }
  ]
})

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'http', 'crypto', 'url']

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
    files: ['src/shared/**'],
    rules: layerRule(
      ['**/core/**', '**/engine/**', '**/main/**', '**/preload/**', '**/renderer/**', '**/cli/**', 'electron', 'onnxruntime-node', ...NODE_BUILTINS],
      'src/shared is the contract: it imports no other layer, no Node, no Electron.'
    )
  },
  {
    files: ['src/core/**'],
    rules: layerRule(
      ['**/engine/**', '**/main/**', '**/preload/**', '**/renderer/**', '**/cli/**', 'electron', 'onnxruntime-node', ...NODE_BUILTINS],
      'src/core is pure TypeScript maths: only src/shared above it; no Node, Electron or ONNX Runtime.'
    )
  },
  {
    files: ['src/engine/**'],
    ignores: ['src/engine/ort.ts'],
    rules: layerRule(
      ['**/main/**', '**/preload/**', '**/renderer/**', '**/cli/**', 'electron', 'onnxruntime-node', 'onnxruntime-common'],
      'src/engine imports only core/shared; onnxruntime-node only in src/engine/ort.ts.'
    )
  },
  {
    files: ['src/engine/ort.ts'],
    rules: layerRule(['**/main/**', '**/preload/**', '**/renderer/**', '**/cli/**', 'electron'], 'src/engine imports only core/shared.')
  },
  {
    files: ['src/main/**'],
    ignores: ['src/main/index.ts', 'src/main/ipc/**'],
    rules: layerRule(
      ['**/renderer/**', '**/cli/**', '**/preload/**', 'electron', 'onnxruntime-node'],
      'src/main services never import the renderer or CLI; electron only in the shell (src/main/index.ts, src/main/ipc/).'
    )
  },
  {
    files: ['src/main/index.ts', 'src/main/ipc/**'],
    rules: layerRule(['**/renderer/**', '**/cli/**', 'onnxruntime-node'], 'The Electron shell talks to services, never to the renderer or CLI.')
  },
  {
    files: ['src/preload/**'],
    rules: layerRule(
      ['**/core/**', '**/engine/**', '**/main/**', '**/renderer/**', '**/cli/**', 'onnxruntime-node', ...NODE_BUILTINS],
      'The sandboxed preload may only use electron and the contract types.'
    )
  },
  {
    files: ['src/renderer/**'],
    rules: layerRule(
      ['**/engine/**', '**/main/**', '**/preload/**', '**/cli/**', 'electron', 'onnxruntime-node', ...NODE_BUILTINS],
      'The renderer talks only to the API interface: shared and core, never Electron, Node, engine or main.'
    )
  },
  {
    files: ['src/cli/**'],
    rules: layerRule(['**/renderer/**', '**/preload/**', 'electron', 'onnxruntime-node'], 'The CLI uses the services, never the renderer or Electron.')
  }
)
