import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectionSpecification, parseConfig, specification, unknownConfigKeys } from '../src/config.js';
import { normalizeDateTime } from '../src/utils/timestamps.js';
import { ConfigError } from '../src/errors.js';
import { thrown } from './helpers/thrown.js';

const MINIMAL = { api_key: 'key', api_secret: 'secret' };
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const problemsOf = (raw: unknown) => thrown(() => parseConfig(raw), ConfigError).message;

describe('parseConfig', () => {
  it('applies the defaults of the config table', () => {
    expect(parseConfig(MINIMAL)).toEqual({
      api_key: 'key',
      api_secret: 'secret',
      base_url: 'https://chat.stream-io-api.com',
      channel_types: [],
      channel_ids: [],
      exclude_channel_ids: [],
      user_ids: [],
      lookback_window_hours: 0,
      include_truncated_messages: false,
      include_soft_deleted_channels: false,
      export_format: 'v2',
      channels_per_export: 100,
      max_concurrent_exports: 100,
      poll_interval_seconds: 5,
      export_timeout_minutes: 120,
      max_exports_per_minute: 30,
      full_sweep_interval_hours: 168,
      settle_margin_seconds: 60,
      api_budget_share: 0.5,
      query_users_share: 0.5,
      mark_soft_deletions: false,
    });
  });

  it('keeps every key given', () => {
    const full = {
      ...MINIMAL,
      base_url: 'https://chat-proxy-dublin.stream-io-api.com',
      channel_types: ['messaging', 'team'],
      channel_ids: ['messaging:general'],
      exclude_channel_ids: ['team:secret-room'],
      user_ids: ['alice'],
      start_date: '2024-03-01T12:30:00Z',
      lookback_window_hours: 24,
      include_truncated_messages: true,
      include_soft_deleted_channels: true,
      export_format: 'v1',
      channels_per_export: 10,
      max_concurrent_exports: 5,
      poll_interval_seconds: 0.5,
      export_timeout_minutes: 0.5,
      max_exports_per_minute: 12,
      full_sweep_interval_hours: 24,
      settle_margin_seconds: 0,
      api_budget_share: 0.25,
      query_users_share: 0.1,
      mark_soft_deletions: true,
    };
    expect(parseConfig(full)).toEqual({ ...full, start_date: '2024-03-01T12:30:00.000Z' });
  });

  it('ignores keys starting with _ and reports other unknown keys without failing', () => {
    const raw = { ...MINIMAL, _limit: 5, _page_size: 'x', colour: 'blue' };
    expect(parseConfig(raw)).not.toHaveProperty('_limit');
    expect(parseConfig(raw)).not.toHaveProperty('colour');
    expect(unknownConfigKeys(raw)).toEqual(['colour']);
    expect(unknownConfigKeys(MINIMAL)).toEqual([]);
  });

  it('names the missing keys', () => {
    expect(problemsOf({})).toBe('Invalid config: api_key is required; api_secret is required');
  });

  it('names a key of the wrong type', () => {
    expect(problemsOf({ ...MINIMAL, lookback_window_hours: '3' })).toContain('lookback_window_hours must be a number, got "3"');
    expect(problemsOf({ ...MINIMAL, lookback_window_hours: 1.5 })).toContain('lookback_window_hours must be an integer, got 1.5');
    expect(problemsOf({ ...MINIMAL, settle_margin_seconds: -1 })).toContain('settle_margin_seconds must be at least 0, got -1');
    expect(problemsOf({ ...MINIMAL, include_truncated_messages: 'yes' })).toContain('include_truncated_messages must be a boolean, got "yes"');
    expect(problemsOf({ ...MINIMAL, channel_types: 'messaging' })).toContain('channel_types must be an array, got "messaging"');
    expect(problemsOf({ ...MINIMAL, api_key: '' })).toContain('api_key must not be empty');
  });

  it('names a bad date', () => {
    for (const start_date of ['yesterday', '2024-02-30', '2024-13-01T00:00:00Z', '2024-01-01T25:00:00Z', '01/02/2024']) {
      expect(problemsOf({ ...MINIMAL, start_date })).toContain('start_date must be a date-time such as 2024-01-01T00:00:00Z');
    }
  });

  it('names channel ids that are not type:id', () => {
    const message = problemsOf({ ...MINIMAL, channel_ids: ['messaging:ok', 'general', 'a:b:c'], exclude_channel_ids: ['x y:z'] });
    expect(message).toContain('channel_ids[1] must be a cid of the form type:id, got "general"');
    expect(message).toContain('channel_ids[2] must be a cid of the form type:id, got "a:b:c"');
    expect(message).toContain('exclude_channel_ids[0] must be a cid of the form type:id, got "x y:z"');
  });

  it('accepts plain http only for loopback hosts', () => {
    for (const base_url of ['http://127.0.0.1:3030', 'http://127.8.9.10', 'http://localhost:8080/', 'http://[::1]:3000']) {
      expect(parseConfig({ ...MINIMAL, base_url }).base_url).toBe(base_url.replace(/\/$/, ''));
    }
    expect(problemsOf({ ...MINIMAL, base_url: 'http://chat.stream-io-api.com' })).toContain(
      'base_url must use https (plain http only for loopback hosts), got "http://chat.stream-io-api.com"',
    );
    expect(problemsOf({ ...MINIMAL, base_url: 'http://128.0.0.1' })).toContain('base_url must use https');
    expect(problemsOf({ ...MINIMAL, base_url: 'ftp://example.com' })).toContain('base_url must be an https URL');
    expect(problemsOf({ ...MINIMAL, base_url: 'chat.stream-io-api.com' })).toContain('base_url must be an absolute URL');
  });

  it('names numbers out of range', () => {
    expect(problemsOf({ ...MINIMAL, channels_per_export: 101 })).toContain('channels_per_export must be at most 100, got 101');
    expect(problemsOf({ ...MINIMAL, max_exports_per_minute: 0 })).toContain('max_exports_per_minute must be at least 1, got 0');
    expect(problemsOf({ ...MINIMAL, full_sweep_interval_hours: -1 })).toContain('full_sweep_interval_hours must be at least 0, got -1');
    expect(problemsOf({ ...MINIMAL, channels_per_export: 0 })).toContain('channels_per_export must be at least 1, got 0');
    expect(problemsOf({ ...MINIMAL, max_concurrent_exports: 0 })).toContain('max_concurrent_exports must be at least 1, got 0');
    expect(problemsOf({ ...MINIMAL, lookback_window_hours: -1 })).toContain('lookback_window_hours must be at least 0, got -1');
    expect(problemsOf({ ...MINIMAL, poll_interval_seconds: 0 })).toContain('poll_interval_seconds must be greater than 0, got 0');
    expect(problemsOf({ ...MINIMAL, export_timeout_minutes: 0 })).toContain('export_timeout_minutes must be greater than 0, got 0');
    expect(problemsOf({ ...MINIMAL, export_format: 'v3' })).toContain('export_format must be one of "v2", "v1", got "v3"');
  });

  it('names every problem in one message', () => {
    const message = problemsOf({ api_key: 7, start_date: 'soon', base_url: 'http://example.com', channels_per_export: 199 });
    expect(message.split('; ')).toHaveLength(5);
    for (const key of ['api_key', 'api_secret', 'start_date', 'base_url', 'channels_per_export']) expect(message).toContain(key);
  });

  it('rejects a config that is not an object', () => {
    for (const raw of [null, [], 'config', 3]) expect(problemsOf(raw)).toMatch(/^Invalid config: expected a JSON object, got /);
  });

  it('answers any JSON value with a config or a ConfigError, never anything else (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom('api_key', 'api_secret', 'start_date', 'base_url', 'channel_ids', '_x'), fc.jsonValue())),
        (raw) => {
          try {
            expect(parseConfig(raw).api_key).toEqual(expect.any(String));
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
          }
        },
      ),
    );
  });
});

describe('normalizeDateTime', () => {
  it('reads dates and offset-less date-times as UTC', () => {
    expect(normalizeDateTime('2024-01-01')).toBe('2024-01-01T00:00:00.000Z');
    expect(normalizeDateTime('2024-01-01T10:20:30')).toBe('2024-01-01T10:20:30.000Z');
  });

  it('applies offsets and keeps milliseconds', () => {
    expect(normalizeDateTime('2024-01-01T10:00:00.29+02:00')).toBe('2024-01-01T08:00:00.290Z');
    expect(normalizeDateTime('2021-02-17T08:17:49.745857Z')).toBe('2021-02-17T08:17:49.745Z');
    expect(normalizeDateTime('2024-03-01T00:30:00-01:00')).toBe('2024-03-01T01:30:00.000Z');
  });

  it('rejects impossible dates and times', () => {
    for (const value of ['2023-02-29', '2024-04-31', '2024-00-10', '2024-01-01T24:00:00Z', '2024-01-01T10:60:00Z', '2024-01-01T10:00:00+25:00', '2024-1-1']) {
      expect(normalizeDateTime(value)).toBeUndefined();
    }
    expect(normalizeDateTime('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('finds the same instant as Date for any RFC 3339 rendering of it (property)', () => {
    const instant = fc.date({ min: new Date('0002-01-01T00:00:00Z'), max: new Date('9998-12-31T23:59:59Z'), noInvalidDate: true });
    const offsetMinutes = fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 });
    fc.assert(
      fc.property(instant, offsetMinutes, (date, offset) => {
        const shifted = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 23);
        const sign = offset < 0 ? '-' : '+';
        const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
        const minutes = String(Math.abs(offset) % 60).padStart(2, '0');
        expect(normalizeDateTime(`${shifted}${sign}${hours}:${minutes}`)).toBe(date.toISOString());
        expect(normalizeDateTime(date.toISOString())).toBe(date.toISOString());
      }),
    );
  });

  it('accepts every real instant written the way the spec pattern asks (property)', () => {
    const pattern = new RegExp(connectionProperty('start_date').pattern as string);
    const instant = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(instant, fc.boolean(), (date, withMillis) => {
        const text = withMillis ? date.toISOString() : `${date.toISOString().slice(0, 19)}Z`;
        expect(pattern.test(text)).toBe(true);
        expect(parseConfig({ ...MINIMAL, start_date: text }).start_date).toBe(new Date(text).toISOString());
      }),
    );
  });
});

function connectionProperty(name: string): Record<string, unknown> {
  const properties = connectionSpecification().properties as Record<string, Record<string, unknown>>;
  return properties[name]!;
}

function walk(node: unknown, visit: (value: Record<string, unknown>, path: string) => void, path = ''): void {
  if (Array.isArray(node)) node.forEach((item, index) => walk(item, visit, `${path}[${index}]`));
  else if (typeof node === 'object' && node !== null) {
    visit(node as Record<string, unknown>, path);
    for (const [key, value] of Object.entries(node)) walk(value, visit, `${path}.${key}`);
  }
}

describe('connectionSpecification', () => {
  const schema = connectionSpecification();
  const properties = schema.properties as Record<string, Record<string, unknown>>;

  it('has every key of the config table, with api_key and api_secret required', () => {
    expect(Object.keys(properties).sort()).toEqual([...Object.keys(parseConfig(MINIMAL)), 'start_date'].sort());
    expect(schema.required).toEqual(['api_key', 'api_secret']);
    expect(schema.type).toBe('object');
  });

  it('marks api_secret, and only it, as airbyte_secret', () => {
    const secrets = Object.entries(properties)
      .filter(([, p]) => p.airbyte_secret === true)
      .map(([name]) => name);
    expect(secrets).toEqual(['api_secret']);
  });

  it('gives every property a title, a description and a unique order', () => {
    for (const [name, property] of Object.entries(properties)) {
      expect(property.title, name).toEqual(expect.any(String));
      expect(property.description, name).toEqual(expect.any(String));
    }
    const orders = Object.values(properties).map((p) => p.order);
    expect(new Set(orders).size).toBe(orders.length);
  });

  it('uses none of the keywords Airbyte forbids in a spec, and never additionalProperties false', () => {
    const forbidden = ['$ref', 'allOf', 'anyOf', 'not', 'patternProperties', 'prefixItems', 'if', 'then', 'else', 'dependentSchemas', 'dependentRequired'];
    walk(schema, (node, path) => {
      for (const key of forbidden) expect(node, `${path}.${key}`).not.toHaveProperty(key);
      if ('additionalProperties' in node) expect(node.additionalProperties, path).toBe(true);
      if (Array.isArray(node.type)) expect(node.type.length, path).toBeLessThanOrEqual(2);
    });
  });

  it('describes start_date as a UTC date-time whose pattern agrees with its format', () => {
    expect(properties.start_date).toMatchObject({ type: 'string', format: 'date-time' });
    const pattern = new RegExp(properties.start_date!.pattern as string);
    expect(pattern.test('2024-01-01T00:00:00Z')).toBe(true);
    expect(pattern.test('2024-01-01T00:00:00.123Z')).toBe(true);
    expect(pattern.test('2024-01-01T00:00:00')).toBe(false);
  });

  it('states the same defaults parseConfig applies', () => {
    const defaults = parseConfig(MINIMAL) as Record<string, unknown>;
    for (const [name, property] of Object.entries(properties)) {
      if ('default' in property) expect(property.default, name).toEqual(defaults[name]);
    }
  });

  it('is a valid draft-07 schema that its own examples, and the parsed configs, satisfy', () => {
    const ajv = addFormats(new Ajv({ strict: false }));
    const validate = ajv.compile(schema);
    expect(validate({ ...MINIMAL, start_date: '2024-01-01T00:00:00.000Z', channel_ids: ['messaging:general'] })).toBe(true);
    expect(validate({ api_key: 'k' })).toBe(false);
    for (const [name, property] of Object.entries(properties)) {
      for (const example of (property.examples as unknown[] | undefined) ?? []) {
        expect(validate({ ...MINIMAL, [name]: example }), `${name} example ${JSON.stringify(example)}`).toBe(true);
        expect(() => parseConfig({ ...MINIMAL, [name]: example })).not.toThrow();
      }
    }
  });

  it('is wrapped in a ConnectorSpecification with a documentation URL and protocol 0.2.0', () => {
    expect(specification()).toEqual({ documentationUrl: expect.stringMatching(/^https:\/\//), connectionSpecification: schema, protocol_version: '0.2.0' });
  });
});
