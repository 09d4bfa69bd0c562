import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseCatalog, parseState, readCatalogFile, readStateFile } from '../../src/protocol/inputs.js';
import { readJsonFile } from '../../src/protocol/json-file.js';
import { STREAM_NAMES } from '../../src/records/index.js';
import { protocolValidator } from '../helpers/protocol-validator.js';
import { thrown } from '../helpers/thrown.js';

function configuredStream(name: string, syncMode: unknown = 'incremental', extra: Record<string, unknown> = {}) {
  return {
    stream: { name, json_schema: { type: 'object' }, supported_sync_modes: ['full_refresh', 'incremental'] },
    sync_mode: syncMode,
    destination_sync_mode: 'append',
    ...extra,
  };
}

function streamState(name: string, streamState: unknown, extra: Record<string, unknown> = {}) {
  return { type: 'STREAM', stream: { stream_descriptor: { name, ...extra }, stream_state: streamState } };
}

const configError = (action: () => unknown) => thrown(action, ConfigError);

function tempFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'inputs-')), 'file.json');
  writeFileSync(path, content);
  return path;
}

describe('readJsonFile', () => {
  it('names the file when it does not exist', async () => {
    await expect(readJsonFile('/nonexistent/config.json', 'config')).rejects.toThrow('The config file /nonexistent/config.json does not exist');
    await expect(readJsonFile('/nonexistent/config.json', 'config')).rejects.toBeInstanceOf(ConfigError);
  });

  it('names the file and where the JSON breaks when it can', async () => {
    const path = tempFile('{\n  "api_key": "k",\n}');
    await expect(readJsonFile(path, 'catalog')).rejects.toThrow(`The catalog file ${path} is not valid JSON at line 3, column 1`);
  });

  it('never quotes the file around the fault, which may be the secret', async () => {
    const path = tempFile('{"api_secret": TOPSECRET-abc}');
    const error = (await readJsonFile(path, 'config').catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe(`The config file ${path} is not valid JSON`);
    expect(error.cause).toBeUndefined();
  });

  it('reads an empty or blank file as undefined', async () => {
    expect(await readJsonFile(tempFile(''), 'state')).toBeUndefined();
    expect(await readJsonFile(tempFile(' \n\t'), 'state')).toBeUndefined();
  });
});

describe('parseCatalog', () => {
  it('keeps the configured streams in catalog order with their sync modes', () => {
    const catalog = { streams: [configuredStream('messages', 'incremental'), configuredStream('users', 'full_refresh')] };
    expect(protocolValidator('ConfiguredAirbyteCatalog')(catalog)).toBe(true);
    expect(parseCatalog(catalog, 'catalog.json')).toEqual([
      { name: 'messages', syncMode: 'incremental' },
      { name: 'users', syncMode: 'full_refresh' },
    ]);
  });

  it('ignores destination_sync_mode, whatever its value, and unknown fields', () => {
    const catalog = {
      streams: [
        configuredStream('channels', 'full_refresh', { destination_sync_mode: 'overwrite_dedup', generation_id: 3, is_resumable: true }),
        { stream: { name: 'members' }, sync_mode: 'incremental' },
      ],
      extra: true,
    };
    expect(parseCatalog(catalog, 'c.json').map((s) => s.name)).toEqual(['channels', 'members']);
  });

  it("names the unknown stream and the bad sync mode of Airbyte's invalid catalog test, in one error", () => {
    const catalog = { streams: [configuredStream('__AIRBYTE__stream_that_does_not_exist', 'INVALID')] };
    const error = configError(() => parseCatalog(catalog, '/data/catalog.json'));
    expect(error.message).toContain('The catalog file /data/catalog.json');
    expect(error.message).toContain('streams[0].stream.name names no stream of this source ("__AIRBYTE__stream_that_does_not_exist")');
    expect(error.message).toContain('streams[0].sync_mode must be one of "full_refresh", "incremental", got "INVALID"');
  });

  it('rejects an empty streams list', () => {
    expect(configError(() => parseCatalog({ streams: [] }, 'c.json')).message).toContain('streams must have at least 1 item(s)');
  });

  it('rejects a stream listed twice', () => {
    const error = configError(() => parseCatalog({ streams: [configuredStream('users'), configuredStream('users')] }, 'c.json'));
    expect(error.message).toContain('streams[1].stream.name repeats the stream "users"');
  });

  it('rejects garbage with the file name', () => {
    for (const garbage of [[], 'streams', 42, { streams: 'all' }, { streams: [{ sync_mode: 'incremental' }] }]) {
      expect(configError(() => parseCatalog(garbage, 'weird.json')).message).toMatch(/^The catalog file weird\.json is not a valid configured catalog: .+/);
    }
  });

  it('reads a catalog file, and names an empty one', async () => {
    const streams = await readCatalogFile(tempFile(JSON.stringify({ streams: [configuredStream('reactions')] })));
    expect(streams).toEqual([{ name: 'reactions', syncMode: 'incremental' }]);
    const empty = tempFile('');
    await expect(readCatalogFile(empty)).rejects.toThrow(`The catalog file ${empty} is empty`);
  });
});

describe('parseState', () => {
  it('maps each stream to its stream_state, namespace or not, ignoring stats', () => {
    const states = parseState(
      [
        { ...streamState('messages', { cursors: { 'messaging:a': '2024-01-01T00:00:00Z' } }), sourceStats: { recordCount: 3.0 } },
        streamState('users', { updated_at: '2024-02-01T00:00:00Z' }, { namespace: 'anything' }),
      ],
      'state.json',
    );
    expect(protocolValidator('AirbyteStateMessage')(streamState('users', {}))).toBe(true);
    expect([...states]).toEqual([
      ['messages', { cursors: { 'messaging:a': '2024-01-01T00:00:00Z' } }],
      ['users', { updated_at: '2024-02-01T00:00:00Z' }],
    ]);
  });

  it('reads no state from undefined (empty file), null and []', () => {
    expect(parseState(undefined, 's.json').size).toBe(0);
    expect(parseState(null, 's.json').size).toBe(0);
    expect(parseState([], 's.json').size).toBe(0);
  });

  it('treats a null or missing stream_state as no state for that stream', () => {
    const states = parseState(
      [streamState('users', { updated_at: 'x' }), streamState('users', null), { type: 'STREAM', stream: { stream_descriptor: { name: 'channels' } } }],
      's.json',
    );
    expect(states.size).toBe(0);
  });

  it('ignores streams this source does not have', () => {
    expect([...parseState([streamState('nope', { a: 1 }), streamState('users', { b: 2 })], 's.json').keys()]).toEqual(['users']);
  });

  it('keeps the last state of a stream listed twice', () => {
    expect(parseState([streamState('users', { n: 1 }), streamState('users', { n: 2 })], 's.json').get('users')).toEqual({ n: 2 });
  });

  it("reads a GLOBAL message's stream states, and a lone message not wrapped in an array", () => {
    const global = {
      type: 'GLOBAL',
      global: { shared_state: {}, stream_states: [{ stream_descriptor: { name: 'members' }, stream_state: { updated_at: 'x' } }] },
    };
    expect(parseState([global], 's.json').get('members')).toEqual({ updated_at: 'x' });
    expect(parseState(streamState('users', { n: 1 }), 's.json').get('users')).toEqual({ n: 1 });
  });

  it('accepts a legacy state object keyed by stream name, bare or in a LEGACY message', () => {
    expect(parseState({ users: { updated_at: 'x' }, unknown: 5 }, 's.json').get('users')).toEqual({ updated_at: 'x' });
    expect(parseState([{ type: 'LEGACY', data: { messages: { cursors: {} } } }], 's.json').get('messages')).toEqual({ cursors: {} });
  });

  it('rejects garbage naming the file and the problem', () => {
    const cases: Array<[unknown, string]> = [
      [42, 'must be an array, got 42'],
      ['state', 'must be an array, got "state"'],
      [[1], '[0] must be an object, got 1'],
      [[{ type: 'STREAM' }], '[0] is a STREAM state message without its "stream" field'],
      [[{ type: 'STREAM', stream: { stream_state: {} } }], '[0].stream.stream_descriptor is required'],
      [[streamState('users', 'yesterday')], '[0].stream.stream_state must be an object, got "yesterday"'],
      [[{ type: 'SOMETHING', stream: {} }], '[0].type must be one of "GLOBAL", "STREAM", "LEGACY", got "SOMETHING"'],
      [{ users: 'yesterday' }, 'the state of "users" must be an object, got "yesterday"'],
    ];
    for (const [garbage, problem] of cases) {
      const error = configError(() => parseState(garbage, '/source/inputState.json'));
      expect(error.message).toContain('The state file /source/inputState.json is not a valid state: ');
      expect(error.message).toContain(problem);
    }
  });

  it('reads no state when there is no --state and when the file is empty', async () => {
    expect((await readStateFile(undefined)).size).toBe(0);
    expect((await readStateFile(tempFile(''))).size).toBe(0);
    expect((await readStateFile(tempFile('[]'))).size).toBe(0);
  });

  it('finds every stream state of any well-formed array of STREAM messages (property)', () => {
    const blob = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxKeys: 4 });
    const entry = fc.record({
      name: fc.oneof(fc.constantFrom(...STREAM_NAMES), fc.string({ maxLength: 10 })),
      state: fc.oneof(blob, fc.constant(null)),
      namespace: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), (entries) => {
        const messages = entries.map(({ name, state, namespace }) => streamState(name, state, namespace === undefined ? {} : { namespace }));
        const expected = new Map<string, unknown>();
        for (const { name, state } of entries) {
          if (!(STREAM_NAMES as readonly string[]).includes(name)) continue;
          if (state === null) expected.delete(name);
          else expected.set(name, state);
        }
        expect(parseState(JSON.parse(JSON.stringify(messages)), 's.json')).toEqual(expected);
      }),
    );
  });

  it('answers any JSON value with a map or a ConfigError, never anything else (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          expect(parseState(value, 's.json')).toBeInstanceOf(Map);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
    );
  });
});
