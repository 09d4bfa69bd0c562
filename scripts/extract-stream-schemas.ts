// Builds the facts table the emulator's answers are checked against (test/emulator/openapi-responses.test.ts)
// from Stream's OpenAPI spec: for each response schema in ROOTS and every schema it references, only
// what validation uses (type, required, properties, items, $ref, additionalProperties, enum, nullable,
// allOf/oneOf/anyOf), keys sorted. Everything else in the spec (descriptions, titles, examples,
// formats, defaults, x-stream-* annotations) is left behind: the table holds no text of the spec.
// Usage: tsx scripts/extract-stream-schemas.ts <chat-openapi.json> > test/fixtures/stream-openapi/stream-response-facts.json
import { readFileSync } from 'node:fs';

const ROOTS = [
  'QueryChannelsResponse',
  'QueryUsersResponse',
  'ExportChannelsResponse',
  'ExportUsersResponse',
  'GetTaskResponse',
  'GetRateLimitsResponse',
  'APIError',
];
const REF = '#/components/schemas/';
const ID = 'https://source-stream-chat.invalid/test/fixtures/stream-openapi/stream-response-facts.json';

type Schema = Record<string, unknown>;

interface Spec {
  info: { version: string };
  components: { schemas: Record<string, Schema> };
}

/** Keywords left behind, counted, so a spec that starts using a new validation keyword is noticed. */
const dropped = new Map<string, number>();

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The validation facts of one schema (or sub-schema), recursively; `refs` collects the schemas it points to. */
function facts(schema: Schema, refs: Set<string>): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case 'type':
      case 'nullable':
        out[key] = value;
        break;
      case 'required':
        out[key] = [...(value as string[])].sort();
        break;
      case 'enum':
        out[key] = [...(value as unknown[])].sort();
        break;
      case '$ref':
        if (typeof value !== 'string' || !value.startsWith(REF)) throw new Error(`unexpected $ref ${String(value)}`);
        refs.add(value.slice(REF.length));
        out[key] = value;
        break;
      case 'items':
        out[key] = facts(value as Schema, refs);
        break;
      case 'additionalProperties':
        out[key] = isSchema(value) ? facts(value, refs) : value;
        break;
      case 'properties':
        out[key] = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([name, inner]) => [name, facts(inner, refs)]));
        break;
      case 'allOf':
      case 'oneOf':
      case 'anyOf':
        out[key] = (value as Schema[]).map((inner) => facts(inner, refs));
        break;
      default:
        dropped.set(key, (dropped.get(key) ?? 0) + 1);
    }
  }
  return out;
}

/** `value` with every object's keys in sorted order, so the output is deterministic. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!isSchema(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys(value[key])]),
  );
}

const path = process.argv[2];
if (path === undefined) throw new Error('usage: tsx scripts/extract-stream-schemas.ts <chat-openapi.json>');
const spec = JSON.parse(readFileSync(path, 'utf8')) as Spec;
const table: Record<string, Schema> = {};
const todo = [...ROOTS];
for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
  if (Object.hasOwn(table, name)) continue;
  const schema = spec.components.schemas[name];
  if (schema === undefined || !Object.hasOwn(spec.components.schemas, name)) throw new Error(`the spec has no schema ${name}`);
  const refs = new Set<string>();
  table[name] = facts(schema, refs);
  todo.push(...refs);
}
process.stderr.write(
  `${Object.keys(table).length} schemas; keywords left behind: ${[...dropped]
    .sort()
    .map(([key, count]) => `${key} ×${count}`)
    .join(', ')}\n`,
);
process.stdout.write(
  `${JSON.stringify(sortedKeys({ $id: ID, specVersion: spec.info.version, roots: [...ROOTS].sort(), components: { schemas: table } }), null, 1)}\n`,
);
