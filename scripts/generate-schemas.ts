// Writes schemas/<stream>.json from the streams' zod types (`npm run generate`); a test keeps them in step.
import { mkdirSync, writeFileSync } from 'node:fs';
import { STREAM_NAMES, streamJsonSchemas } from '../src/records/index.js';
import { schemaFileText } from '../src/records/json-schema.js';

const directory = new URL('../schemas/', import.meta.url);
mkdirSync(directory, { recursive: true });
const schemas = streamJsonSchemas();
for (const name of STREAM_NAMES) {
  writeFileSync(new URL(`${name}.json`, directory), schemaFileText(schemas[name]));
}
console.log(`wrote ${STREAM_NAMES.length} schemas to schemas/`);
