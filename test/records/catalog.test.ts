import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { STREAM_NAMES, airbyteStreams, streamJsonSchemas } from '../../src/records/index.js';
import { schemaFileText } from '../../src/records/json-schema.js';

type Schema = Record<string, unknown>;

const schemasDirectory = new URL('../../schemas/', import.meta.url);

/** Every [path, value] in a JSON tree, keys included, for keyword checks anywhere in a schema. */
function* entries(node: unknown, path: string[] = []): Generator<[string[], unknown]> {
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    yield [[...path, key], value];
    yield* entries(value, [...path, key]);
  }
}

function propertyAt(schema: Schema, path: string[]): Schema | undefined {
  let node: Schema | undefined = schema;
  for (const key of path) node = (node?.properties as Record<string, Schema> | undefined)?.[key];
  return node;
}

function typesOf(schema: Schema): unknown[] {
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

describe('committed schemas', () => {
  it('equal what the zod record types generate (run `npm run generate` after changing a stream)', () => {
    const generated = streamJsonSchemas();
    for (const name of STREAM_NAMES) {
      expect(readFileSync(new URL(`${name}.json`, schemasDirectory), 'utf8'), `schemas/${name}.json`).toBe(schemaFileText(generated[name]));
    }
  });

  it('are exactly one file per stream', () => {
    expect(readdirSync(schemasDirectory).sort()).toEqual(STREAM_NAMES.map((name) => `${name}.json`).sort());
  });
});

describe('airbyteStreams (Airbyte discovery checks)', () => {
  const streams = airbyteStreams();

  it('lists the five streams once each', () => {
    expect(streams.map((stream) => stream.name)).toEqual([...STREAM_NAMES]);
  });

  it('matches the AirbyteStream definition of the Airbyte protocol', () => {
    const protocol = parseYaml(readFileSync(new URL('../fixtures/airbyte-protocol/airbyte_protocol.yaml', import.meta.url), 'utf8')) as {
      definitions: Record<string, unknown>;
    };
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile({ ...(protocol.definitions.AirbyteStream as object), definitions: protocol.definitions });
    for (const stream of streams) expect(validate(stream), JSON.stringify(validate.errors)).toBe(true);
  });

  it('declares both sync modes, full_refresh first, with the source-defined cursor updated_at', () => {
    for (const stream of streams) {
      expect(stream.supported_sync_modes).toEqual(['full_refresh', 'incremental']);
      expect(stream.source_defined_cursor).toBe(true);
      expect(stream.default_cursor_field).toEqual(['updated_at']);
      expect(stream.is_resumable).toBe(true);
    }
  });

  it('has the primary keys of the design', () => {
    expect(Object.fromEntries(streams.map((stream) => [stream.name, stream.source_defined_primary_key]))).toEqual({
      channels: [['cid']],
      members: [['cid'], ['user_id']],
      messages: [['id']],
      reactions: [['message_id'], ['user_id'], ['type']],
      users: [['id']],
    });
  });

  it('has Draft-7 valid schemas of type object with top-level properties', () => {
    const ajv = new Ajv({ strict: false });
    for (const stream of streams) {
      expect(ajv.validateSchema(stream.json_schema), `${stream.name}: ${JSON.stringify(ajv.errors)}`).toBe(true);
      expect(stream.json_schema.type).toBe('object');
      expect(typeof stream.json_schema.properties).toBe('object');
    }
  });

  it('has cursor and primary-key paths that exist, with primary keys neither object nor array nor nullable', () => {
    for (const stream of streams) {
      expect(propertyAt(stream.json_schema, stream.default_cursor_field), stream.name).toBeDefined();
      for (const path of stream.source_defined_primary_key) {
        const property = propertyAt(stream.json_schema, path);
        expect(property, `${stream.name}.${path.join('.')}`).toBeDefined();
        expect(typesOf(property as Schema)).toEqual(['string']);
        expect(stream.json_schema.required).toContain(path[0]);
      }
    }
  });

  it('uses no $ref, allOf, anyOf, oneOf or not, and no additionalProperties but true', () => {
    for (const stream of streams) {
      for (const [path, value] of entries(stream.json_schema)) {
        const key = path.at(-1) as string;
        // Field names are data, not keywords: only look at keys outside `properties` maps.
        if (path.at(-2) === 'properties') continue;
        expect(['$ref', 'allOf', 'anyOf', 'oneOf', 'not'], `${stream.name}: ${path.join('.')}`).not.toContain(key);
        if (key === 'additionalProperties') expect(value, `${stream.name}: ${path.join('.')}`).toBe(true);
      }
    }
  });

  it('types timestamps as date-time with time zone, and counts as integers', () => {
    const schemas = Object.fromEntries(streams.map((stream) => [stream.name, stream.json_schema]));
    const timestamps: [string, string][] = [
      ['channels', 'updated_at'],
      ['channels', 'last_message_at'],
      ['members', 'archived_at'],
      ['messages', 'created_at'],
      ['messages', 'pinned_at'],
      ['reactions', 'updated_at'],
      ['users', 'last_active'],
    ];
    for (const [stream, field] of timestamps) {
      expect(propertyAt(schemas[stream] as Schema, [field]), `${stream}.${field}`).toEqual({
        type: ['string', 'null'],
        format: 'date-time',
        airbyte_type: 'timestamp_with_timezone',
      });
    }
    for (const [stream, field] of [
      ['channels', 'member_count'],
      ['messages', 'reply_count'],
      ['reactions', 'score'],
    ] as const) {
      expect(propertyAt(schemas[stream] as Schema, [field])).toEqual({ type: ['integer', 'null'] });
    }
    expect(typesOf(propertyAt(schemas.messages as Schema, ['user']) as Schema)).toEqual(['object', 'null']);
    expect(propertyAt(schemas.messages as Schema, ['user', 'created_at'])?.format).toBe('date-time');
  });

  it('gives a fresh copy on each call, so callers cannot alter the catalog', () => {
    const first = airbyteStreams();
    (first[0]?.json_schema as Schema).type = 'changed';
    expect(airbyteStreams()[0]?.json_schema.type).toBe('object');
  });
});
