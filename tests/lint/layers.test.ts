// The layer allow-lists of eslint.config.js (DESIGN.md "Layers and the one-way rule"), checked on probe sources.
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const eslint = new ESLint({ cwd: root })

/** The imports of `source` that the layer rule refuses when it sits at `filePath`. */
async function refused(filePath: string, imports: string[]): Promise<string[]> {
  const code = imports.map((s, i) => `import * as m${i} from '${s}'\nexport const x${i} = m${i}\n`).join('')
  const [result] = await eslint.lintText(code, { filePath })
  return result!.messages.filter((m) => m.ruleId === 'layers/allowed-imports').map((m) => /^'([^']+)'/.exec(m.message)![1]!)
}

describe('layer allow-lists', () => {
  it('core imports shared and nothing else', async () => {
    expect(await refused('src/core/probe.ts', ['./rng', '../shared/spec', 'node:fs', 'onnxruntime-node', 'electron', '../engine/recall', 'zod'])).toEqual([
      'node:fs',
      'onnxruntime-node',
      'electron',
      '../engine/recall',
      'zod'
    ])
  }, 60_000)

  it('engine: shared, core, onnx-proto; onnxruntime-node only in ort.ts', async () => {
    expect(await refused('src/engine/probe.ts', ['../core/rng', '../shared/errors', 'onnx-proto', 'onnxruntime-node', '../main/services/jobs', 'node:fs'])).toEqual([
      'onnxruntime-node',
      '../main/services/jobs',
      'node:fs'
    ])
    expect(await refused('src/engine/ort.ts', ['onnxruntime-node'])).toEqual([])
  }, 60_000)

  it('main: shared, core, engine, Node; electron only in the shell', async () => {
    expect(await refused('src/main/services/probe.ts', ['../../engine/recall', '../../core/rng', 'node:fs', 'electron', '../../renderer/src/api', '../../cli/index'])).toEqual([
      'electron',
      '../../renderer/src/api',
      '../../cli/index'
    ])
    expect(await refused('src/main/ipc/probe.ts', ['electron'])).toEqual([])
  }, 60_000)

  it('main: the job queue (bullmq, ioredis) only in src/main/queue/', async () => {
    expect(await refused('src/main/services/probe.ts', ['bullmq', 'ioredis'])).toEqual(['bullmq', 'ioredis'])
    expect(await refused('src/main/queue/probe.ts', ['bullmq', 'ioredis', '../services/experiments/shards'])).toEqual([])
    expect(await refused('src/cli/probe.ts', ['../main/queue/worker', 'bullmq'])).toEqual(['bullmq'])
  }, 60_000)

  it('cli: shared and the services, never core or engine', async () => {
    expect(await refused('src/cli/probe.ts', ['../main/services/experiments', '../shared/api', 'node:path', '../core/hopfield', '../engine/recall', 'electron'])).toEqual([
      '../core/hopfield',
      '../engine/recall',
      'electron'
    ])
  }, 60_000)

  it('renderer: shared, pure core, vue, pinia, echarts; never Node, main or engine', async () => {
    expect(await refused('src/renderer/src/probe.ts', ['vue', 'pinia', 'echarts/core', '../../core/rng', '../../shared/api', 'node:fs', '../../main/services/backend', '../../engine/recall'])).toEqual([
      'node:fs',
      '../../main/services/backend',
      '../../engine/recall'
    ])
  }, 60_000)
})
