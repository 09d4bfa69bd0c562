// Validates answers against the response schemas of Stream's OpenAPI spec, as recorded in our facts
// table test/fixtures/stream-openapi/stream-response-facts.json (see its SOURCE.txt).
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

const FACTS_PATH = new URL('../fixtures/stream-openapi/stream-response-facts.json', import.meta.url);

type Schema = Record<string, unknown>;

interface FactsTable {
  $id: string;
  components: { schemas: Record<string, Schema> };
}

/**
 * Where the answer carries custom data: 'nested' checks the spec as it is; 'flat' checks it with
 * `custom` no longer required, the one property that shape moves to the top level.
 */
export type CustomShape = 'flat' | 'nested';

const registries = new Map<CustomShape, { ajv: Ajv; id: string }>();

/** The problems of `answer` against the spec's schema `name` (e.g. 'QueryChannelsResponse'); none when it validates. */
export function openApiProblems(name: string, answer: unknown, shape: CustomShape = 'nested'): string[] {
  const { ajv, id } = registry(shape);
  const validate = ajv.getSchema(`${id}#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`the facts table has no schema ${name}`);
  if (validate(answer)) return [];
  return (validate.errors ?? []).map((error) => `${name}${error.instancePath} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}

/**
 * Optional properties may be null. Stream sends some as explicit nulls (`pinned_at`, `pinned_by`,
 * `archived_at`, `reaction_groups`: stream-export-api.md §5.2, §6) where the spec marks no `nullable`;
 * required properties stay as strict as the spec says.
 */
function lenientToNull(schema: Schema): void {
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (properties === undefined) return;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  for (const [name, property] of Object.entries(properties)) {
    if (!required.has(name)) properties[name] = { anyOf: [{ type: 'null' }, property] };
  }
}

function registry(shape: CustomShape): { ajv: Ajv; id: string } {
  let found = registries.get(shape);
  if (found === undefined) {
    const table = JSON.parse(readFileSync(FACTS_PATH, 'utf8')) as FactsTable;
    for (const schema of Object.values(table.components.schemas)) lenientToNull(schema);
    if (shape === 'flat') {
      for (const schema of Object.values(table.components.schemas)) {
        if (Array.isArray(schema.required)) schema.required = schema.required.filter((property) => property !== 'custom');
      }
    }
    // The table's own top-level keys (specVersion, roots) are no JSON Schema keywords: not strict.
    // `nullable` is OpenAPI's, which ajv knows.
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addSchema(table);
    found = { ajv, id: table.$id };
    registries.set(shape, found);
  }
  return found;
}
