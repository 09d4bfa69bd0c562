import { z } from 'zod';
import { SystemError } from '../errors.js';
import { isRecord as isObject } from '../utils/is-record.js';

type JsonSchema = Record<string, unknown>;

const NULL_SCHEMA = JSON.stringify({ type: 'null' });

/**
 * The JSON schema Airbyte wants for a record type. zod writes nullables as `anyOf [X, null]`,
 * open objects as `additionalProperties: {}` and maps as `additionalProperties: <schema>`;
 * Airbyte's acceptance tests reject `anyOf`, and any `additionalProperties` but `true`, so
 * nullables become `type: [X, "null"]` and objects simply stay open. The timestamp regex and
 * zod's safe-integer bounds are left out too: `format: date-time` and `integer` say it for Airbyte.
 */
export function airbyteJsonSchema(record: z.ZodType): JsonSchema {
  return simplify(z.toJSONSchema(record, { target: 'draft-7', io: 'output', unrepresentable: 'throw' }));
}

function simplify(schema: JsonSchema): JsonSchema {
  const nullable = nullableInner(schema);
  if (nullable) {
    const { anyOf: _anyOf, ...outer } = schema;
    const inner = simplify(nullable);
    return { ...outer, ...inner, type: [...typesOf(inner), 'null'] };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!isLeftOut(schema, key, value)) out[key] = simplifyKeyword(schema, key, value);
  }
  return out;
}

/** The keywords Airbyte does without: see airbyteJsonSchema. */
function isLeftOut(schema: JsonSchema, key: string, value: unknown): boolean {
  if (key === 'additionalProperties' || key === 'propertyNames') return true;
  if (key === 'pattern' && schema.format === 'date-time') return true;
  return (key === 'minimum' || key === 'maximum') && Math.abs(value as number) === Number.MAX_SAFE_INTEGER;
}

const INEXPRESSIBLE = new Set(['anyOf', 'oneOf', 'allOf', 'not', '$ref']);

function simplifyKeyword(schema: JsonSchema, key: string, value: unknown): unknown {
  if (INEXPRESSIBLE.has(key)) throw new SystemError(`cannot express ${key} in an Airbyte stream schema: ${JSON.stringify(schema)}`);
  if (key === 'properties' && isObject(value)) return mapValues(value, simplify);
  if (key === 'items' && isObject(value)) return simplify(value);
  return value;
}

function nullableInner(schema: JsonSchema): JsonSchema | undefined {
  const { anyOf } = schema;
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return undefined;
  const [first, second] = anyOf as unknown[];
  if (isObject(first) && JSON.stringify(second) === NULL_SCHEMA) return first;
  if (isObject(second) && JSON.stringify(first) === NULL_SCHEMA) return second;
  return undefined;
}

function typesOf(schema: JsonSchema): string[] {
  const { type } = schema;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string' && t !== 'null');
  throw new SystemError(`a nullable schema needs a type: ${JSON.stringify(schema)}`);
}

function mapValues(object: JsonSchema, map: (value: JsonSchema) => JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(object)) out[key] = isObject(value) ? map(value) : value;
  return out;
}

/** The text of a committed schemas/<stream>.json file. */
export function schemaFileText(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
