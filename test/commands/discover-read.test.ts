import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { expectNotPrinted, onlyError, runCli } from '../helpers/cli.js';

const SECRET = 'TOP-SECRET-do-not-print-7f3a';
const VALID = { api_key: 'key', api_secret: SECRET };
const CATALOG = {
  streams: [
    {
      stream: { name: 'messages', json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
      sync_mode: 'incremental',
      destination_sync_mode: 'append',
    },
  ],
};

beforeAll(ensureBuilt, 120_000);

describe.concurrent('discover and read with bad input: one config_error TRACE naming the problem, exit 1', () => {
  it('discover names a bad config', async () => {
    const result = await runCli(['discover', '--config', 'config.json'], { files: { 'config.json': { ...VALID, export_format: 'csv' } } });
    expect(result.exitCode).toBe(1);
    expect(result.byType('CATALOG')).toEqual([]);
    const error = onlyError(result);
    expect(error.failure_type).toBe('config_error');
    expect(error.message).toContain('export_format must be one of "v2", "v1", got "csv"');
    expectNotPrinted(result, SECRET);
  });

  it('discover names a config that is not JSON', async () => {
    const result = await runCli(['discover', '--config', 'config.json'], { files: { 'config.json': 'api_key=1' } });
    expect(result.exitCode).toBe(1);
    expect(onlyError(result)).toMatchObject({ failure_type: 'config_error', message: expect.stringContaining('config.json is not valid JSON') });
  });

  it('discover prints one CATALOG of the five streams, warning about unknown keys but not _ keys', async () => {
    const result = await runCli(['discover', '--config', 'config.json'], { files: { 'config.json': { ...VALID, colour: 'blue', _platform: 1 } } });
    expect(result.exitCode).toBe(0);
    const catalogs = result.byType('CATALOG');
    expect(catalogs).toHaveLength(1);
    expect(catalogs[0]!.catalog.streams.map((s: { name: string }) => s.name).sort()).toEqual(['channels', 'members', 'messages', 'reactions', 'users']);
    const warnings = result
      .byType('LOG')
      .filter((m) => m.log.level === 'WARN')
      .map((m) => m.log.message);
    expect(warnings).toEqual(['The config has keys this source does not know; they are ignored: colour']);
  });

  const readCases: Array<[string, Record<string, unknown>, string[], string[]]> = [
    ['a bad config', { 'config.json': { api_key: 'k' }, 'catalog.json': CATALOG }, [], ['api_secret is required']],
    ['a missing catalog file', { 'config.json': VALID }, [], ['The catalog file catalog.json does not exist']],
    ['a catalog that is not JSON', { 'config.json': VALID, 'catalog.json': '{"streams": [' }, [], ['catalog.json is not valid JSON']],
    [
      "Airbyte's catalog of an unknown stream with sync_mode INVALID",
      {
        'config.json': VALID,
        'catalog.json': {
          streams: [
            {
              stream: { name: '__AIRBYTE__stream_that_does_not_exist', json_schema: {}, supported_sync_modes: ['full_refresh'] },
              sync_mode: 'INVALID',
              destination_sync_mode: 'append',
            },
          ],
        },
      },
      [],
      ['__AIRBYTE__stream_that_does_not_exist', 'sync_mode must be one of "full_refresh", "incremental", got "INVALID"'],
    ],
    ['an empty catalog', { 'config.json': VALID, 'catalog.json': { streams: [] } }, [], ['streams must have at least 1 item(s)']],
    [
      'a state that is not JSON',
      { 'config.json': VALID, 'catalog.json': CATALOG, 'state.json': '[{' },
      ['--state', 'state.json'],
      ['state.json is not valid JSON'],
    ],
    [
      'a state of the wrong shape',
      {
        'config.json': VALID,
        'catalog.json': CATALOG,
        'state.json': [{ type: 'STREAM', stream: { stream_descriptor: { name: 'messages' }, stream_state: 'now' } }],
      },
      ['--state', 'state.json'],
      ['The state file state.json is not a valid state', '[0].stream.stream_state must be an object, got "now"'],
    ],
    ['a missing state file', { 'config.json': VALID, 'catalog.json': CATALOG }, ['--state', 'state.json'], ['The state file state.json does not exist']],
  ];
  for (const [name, files, extraArgs, problems] of readCases) {
    it(`read names ${name}`, async () => {
      const result = await runCli(['read', '--config', 'config.json', '--catalog', 'catalog.json', ...extraArgs], { files });
      expect(result.exitCode).toBe(1);
      expect(result.byType('RECORD')).toEqual([]);
      expect(result.byType('STATE')).toEqual([]);
      const error = onlyError(result);
      expect(error.failure_type).toBe('config_error');
      for (const problem of problems) expect(error.message).toContain(problem);
      expectNotPrinted(result, SECRET);
    });
  }
});
