// Validates answers against response schemas of Stream's OpenAPI spec (a subset committed under
// test/fixtures/stream-openapi/, see its SOURCE.txt).
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const SUBSET_PATH = new URL('../fixtures/stream-openapi/chat-openapi-responses.json', import.meta.url);

type Schema = Record<string, unknown>;

interface Subset {
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
  if (validate === undefined) throw new Error(`the spec subset has no schema ${name}`);
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
    const subset = JSON.parse(readFileSync(SUBSET_PATH, 'utf8')) as Subset;
    for (const schema of Object.values(subset.components.schemas)) lenientToNull(schema);
    if (shape === 'flat') {
      for (const schema of Object.values(subset.components.schemas)) {
        if (Array.isArray(schema.required)) schema.required = schema.required.filter((property) => property !== 'custom');
      }
    }
    // OpenAPI's keywords (nullable, x-stream-*) and formats (int32, int64) are not JSON Schema's: not strict.
    const ajv = new Ajv({ strict: false, allErrors: true });
    // ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
    addFormats(ajv);
    ajv.addSchema(subset);
    found = { ajv, id: subset.$id };
    registries.set(shape, found);
  }
  return found;
}
