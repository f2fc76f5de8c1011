// Writes the JSON Schemas of the experiment spec and result (resources/schema/) from the zod contract.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { schemaFiles } from '../src/shared/json-schema'

const dir = join(import.meta.dirname, '..', 'resources', 'schema')
for (const [name, schema] of Object.entries(schemaFiles())) {
  writeFileSync(join(dir, name), `${JSON.stringify(schema, null, 2)}\n`)
  console.log(`wrote resources/schema/${name}`)
}
