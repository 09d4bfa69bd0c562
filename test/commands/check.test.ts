import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { ensureBuilt } from '../helpers/build.js';
import { connectionStatus, expectNotPrinted, onlyError, runCli } from '../helpers/cli.js';

const SECRET = 'TOP-SECRET-do-not-print-7f3a';
const VALID = { api_key: 'key', api_secret: SECRET };

beforeAll(ensureBuilt, 120_000);

describe.concurrent('check with a bad config: CONNECTION_STATUS FAILED naming the problem, exit 0', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['a missing file', {}, ['The config file', 'does not exist']],
    ['a file that is not JSON', { 'config.json': '{"api_key": "k",' }, ['config.json is not valid JSON']],
    ['an empty file', { 'config.json': '' }, ['config.json is empty']],
    ['missing keys', { 'config.json': {} }, ['api_key is required', 'api_secret is required']],
    ['a key of the wrong type', { 'config.json': { ...VALID, lookback_window_hours: 'a day' } }, ['lookback_window_hours must be a number, got "a day"']],
    ['a bad date', { 'config.json': { ...VALID, start_date: '2024-02-30' } }, ['start_date must be a date-time']],
    [
      'a cid that is not type:id',
      { 'config.json': { ...VALID, channel_ids: ['general'] } },
      ['channel_ids[0] must be a cid of the form type:id, got "general"'],
    ],
    ['a non-https base_url', { 'config.json': { ...VALID, base_url: 'http://chat.example.com' } }, ['base_url must use https']],
    [
      'many problems at once',
      { 'config.json': { api_secret: SECRET, start_date: 'soon', base_url: 'http://10.0.0.1', channels_per_export: 150 } },
      ['api_key is required', 'start_date must be', 'base_url must use https', 'channels_per_export must be at most 100, got 150'],
    ],
  ];
  for (const [name, files, problems] of cases) {
    it(`names ${name}`, async () => {
      const result = await runCli(['check', '--config', 'config.json'], { files });
      expect(result.exitCode).toBe(0);
      const status = connectionStatus(result);
      expect(status.status).toBe('FAILED');
      for (const problem of problems) expect(status.message).toContain(problem);
      expectNotPrinted(result, SECRET);
    });
  }

  it('never prints the secret, even when it is what is wrong', async () => {
    const result = await runCli(['check', '--config', 'config.json'], { files: { 'config.json': { api_key: SECRET, api_secret: SECRET, base_url: SECRET } } });
    expect(connectionStatus(result).message).toContain('base_url must be an absolute URL');
    expectNotPrinted(result, SECRET);
  });
});

describe.concurrent('check against a Stream app (the local emulator)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ channels: 3, messagesPerChannel: 2 });
  });
  afterAll(() => emulator.close());

  const config = (extra: Record<string, unknown> = {}) => ({
    'config.json': { api_key: emulator.apiKey, api_secret: emulator.apiSecret, base_url: emulator.url, ...extra },
  });

  it('succeeds with the right credentials', async () => {
    const result = await runCli(['check', '--config', 'config.json'], { files: config() });
    expect(result.exitCode).toBe(0);
    expect(connectionStatus(result)).toEqual({ status: 'SUCCEEDED' });
  });

  it('fails with a wrong secret, without printing it', async () => {
    const result = await runCli(['check', '--config', 'config.json'], { files: config({ api_secret: SECRET }) });
    expect(result.exitCode).toBe(0);
    const status = connectionStatus(result);
    expect(status.status).toBe('FAILED');
    expect(status.message).toContain('api_secret');
    expectNotPrinted(result, SECRET);
  });

  it('fails naming the channel_ids that do not exist', async () => {
    const [first] = emulator.data.snapshot().allChannels();
    const result = await runCli(['check', '--config', 'config.json'], { files: config({ channel_ids: [first!.cid, 'messaging:nope', 'team:gone'] }) });
    expect(result.exitCode).toBe(0);
    expect(connectionStatus(result)).toEqual({
      status: 'FAILED',
      message: 'These channel_ids do not exist in the Stream app: messaging:nope, team:gone',
    });
  });

  it('succeeds when every channel_id exists', async () => {
    const cids = emulator.data
      .snapshot()
      .allChannels()
      .map((channel) => channel.cid);
    const result = await runCli(['check', '--config', 'config.json'], { files: config({ channel_ids: cids }) });
    expect(connectionStatus(result)).toEqual({ status: 'SUCCEEDED' });
  });
});

describe('check when Stream answers nonsense', () => {
  it('prints one system_error TRACE, no CONNECTION_STATUS, and exits 1', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('<html>maintenance</html>');
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await runCli(['check', '--config', 'config.json'], {
        files: { 'config.json': { ...VALID, base_url: `http://127.0.0.1:${port}` } },
      });
      expect(result.exitCode).toBe(1);
      expect(result.byType('CONNECTION_STATUS')).toEqual([]);
      expect(onlyError(result)).toMatchObject({ failure_type: 'system_error', message: expect.stringContaining('not JSON') });
      expectNotPrinted(result, SECRET);
    } finally {
      server.close();
    }
  });
});
