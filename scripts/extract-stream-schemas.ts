// Extracts from Stream's OpenAPI spec the response schemas the emulator's answers are checked against
// (test/emulator/openapi-responses.test.ts), with every schema they reference, unchanged.
// Usage: tsx scripts/extract-stream-schemas.ts <chat-openapi.json> > test/fixtures/stream-openapi/chat-openapi-responses.json
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

interface Spec {
  info: { title: string; version: string };
  components: { schemas: Record<string, unknown> };
}

function referenced(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) referenced(item, into);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith(REF)) into.add(inner.slice(REF.length));
      else referenced(inner, into);
    }
  }
}

const path = process.argv[2];
if (path === undefined) throw new Error('usage: tsx scripts/extract-stream-schemas.ts <chat-openapi.json>');
const spec = JSON.parse(readFileSync(path, 'utf8')) as Spec;
const names = new Set<string>();
const todo = [...ROOTS];
for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
  if (names.has(name)) continue;
  if (!Object.hasOwn(spec.components.schemas, name)) throw new Error(`the spec has no schema ${name}`);
  names.add(name);
  const refs = new Set<string>();
  referenced(spec.components.schemas[name], refs);
  todo.push(...refs);
}
const schemas = Object.fromEntries([...names].sort().map((name) => [name, spec.components.schemas[name]]));
process.stdout.write(
  `${JSON.stringify({ $id: 'https://getstream.io/openapi/chat-openapi-responses.json', info: spec.info, roots: ROOTS, components: { schemas } }, null, 1)}\n`,
);
