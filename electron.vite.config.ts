import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

const root = import.meta.dirname
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string }
const define = { __ENGRAM_VERSION__: JSON.stringify(pkg.version) }

export default defineConfig({
  main: {
    define,
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          index: resolve(root, 'src/main/index.ts'),
          cli: resolve(root, 'src/cli/index.ts'),
          'job-worker': resolve(root, 'src/main/worker/job-worker.ts')
        },
        output: { format: 'es', entryFileNames: '[name].js' }
      }
    }
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    define,
    root: resolve(root, 'src/renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      minify: true,
      // ECharts (tree-shaken to the charts in use) is ~570 kB minified on its own; the app loads it from disk.
      chunkSizeWarningLimit: 700,
      rolldownOptions: {
        input: { index: resolve(root, 'src/renderer/index.html') },
        // The charting library in a chunk of its own: the app's code stays small, and the bundler stops warning.
        output: { codeSplitting: { groups: [{ name: 'echarts', test: /node_modules[\\/](echarts|zrender)[\\/]/ }] } }
      }
    }
  }
})
