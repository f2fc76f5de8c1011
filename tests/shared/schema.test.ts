// The JSON Schemas in resources/schema/ are the ones the zod contract generates (run `npm run schema`).
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { schemaFiles } from '../../src/shared/json-schema'
import { experimentSpecSchema } from '../../src/shared/spec'
import { parseParams } from '../../src/shared/api'

describe('contract', () => {
  it('checked-in JSON Schemas match the contract', () => {
    for (const [name, schema] of Object.entries(schemaFiles())) {
      const onDisk = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'resources', 'schema', name), 'utf8'))
      expect(onDisk, `${name} is stale: run npm run schema`).toEqual(JSON.parse(JSON.stringify(schema)))
    }
  })

  it('every example spec is valid', () => {
    const spec = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'hopfield-letters.json'), 'utf8'))
    expect(experimentSpecSchema.parse(spec).recall.mode).toBe('sync')
  })

  it('names the field of a bad parameter', () => {
    expect(() => parseParams('models.run', { sessionId: 's', modelId: 'm', run: { kind: 'recall.batch', corruption: { type: 'flip', fraction: 2 }, cuesPerPattern: 1, seed: 1 } })).toThrow(
      /models\.run: params\.run\.corruption\.fraction: /
    )
    expect(() => parseParams('models.run', { sessionId: 's', modelId: 'm', run: { kind: 'nope' } })).toThrow(/params\.run\.kind/)
    expect(() => parseParams('sessions.create', { name: 'x', extra: 1 })).toThrow(/params: Unrecognized key/)
  })
})
