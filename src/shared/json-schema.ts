// JSON Schemas of the file formats (spec, result), generated from the zod contract so they cannot drift.
import { z } from 'zod'
import { experimentResultSchema, experimentSpecSchema } from './spec'
import { rbmRunResultSchema, rbmRunSpecSchema } from './rbm-run'
import { recurrentRunResultSchema, recurrentRunSpecSchema } from './recurrent-run'
import { hopfieldLayerRunResultSchema, hopfieldLayerRunSpecSchema } from './hopfield-layer-run'
import { batchResultFileSchema, batchSpecSchema } from './batch'

/** The JSON Schemas of one kind of spec file and its result: `<file>-spec.schema.json`, `<file>-result.schema.json`. */
function specAndResult(file: string, title: string, spec: z.ZodType, result: z.ZodType): Record<string, unknown> {
  const entry = (part: 'spec' | 'result', schema: z.ZodType) => ({
    $id: `https://engram.invalid/schema/${file}-${part}.schema.json`,
    title: `Engram ${title} ${part}`,
    ...z.toJSONSchema(schema, { io: part === 'spec' ? 'input' : 'output', target: 'draft-2020-12' })
  })
  return { [`${file}-spec.schema.json`]: entry('spec', spec), [`${file}-result.schema.json`]: entry('result', result) }
}

export function schemaFiles(): Record<string, unknown> {
  return {
    ...specAndResult('experiment', 'experiment', experimentSpecSchema, experimentResultSchema),
    ...specAndResult('rbm', 'RBM training', rbmRunSpecSchema, rbmRunResultSchema),
    ...specAndResult('recurrent', 'recurrent (char-LM or sequence task) training', recurrentRunSpecSchema, recurrentRunResultSchema),
    ...specAndResult('hopfield-layer', 'Hopfield layer training', hopfieldLayerRunSpecSchema, hopfieldLayerRunResultSchema),
    ...specAndResult('batch', 'batch of training runs', batchSpecSchema, batchResultFileSchema)
  }
}
