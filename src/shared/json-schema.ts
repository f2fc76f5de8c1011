// JSON Schemas of the file formats (spec, result), generated from the zod contract so they cannot drift.
import { z } from 'zod'
import { experimentResultSchema, experimentSpecSchema } from './spec'
import { rbmRunResultSchema, rbmRunSpecSchema } from './rbm-run'

export function schemaFiles(): Record<string, unknown> {
  const spec = z.toJSONSchema(experimentSpecSchema, { io: 'input', target: 'draft-2020-12' })
  const result = z.toJSONSchema(experimentResultSchema, { io: 'output', target: 'draft-2020-12' })
  return {
    'experiment-spec.schema.json': { $id: 'https://engram.invalid/schema/experiment-spec.schema.json', title: 'Engram experiment spec', ...spec },
    'experiment-result.schema.json': { $id: 'https://engram.invalid/schema/experiment-result.schema.json', title: 'Engram experiment result', ...result },
    'rbm-spec.schema.json': {
      $id: 'https://engram.invalid/schema/rbm-spec.schema.json',
      title: 'Engram RBM training spec',
      ...z.toJSONSchema(rbmRunSpecSchema, { io: 'input', target: 'draft-2020-12' })
    },
    'rbm-result.schema.json': {
      $id: 'https://engram.invalid/schema/rbm-result.schema.json',
      title: 'Engram RBM training result',
      ...z.toJSONSchema(rbmRunResultSchema, { io: 'output', target: 'draft-2020-12' })
    }
  }
}
