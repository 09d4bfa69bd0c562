// Hostile upstreams and inputs, black box: the built CLI against the emulator's faults and loopback servers.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/index.js';
import type { Emulator } from '../emulator/index.js';
import { createServerToken } from '../src/stream-api/auth.js';
import { DIST_MAIN, ensureBuilt } from '../test/helpers/build.js';
import { connectionStatus, expectNotPrinted, onlyError } from '../test/helpers/cli.js';
import { sendJson, startServer } from '../test/stream-api/loopback-server.js';
import {
  catalogOf,
  check,
  configFor,
  describeRun,
  expectCompleteRead,
  exportedCids,
  groundTruthKeys,
  read,
  SMALL_DATA_SET,
  union,
  pastTheSecond,
} from './harness.js';

describe('hostile upstreams and inputs, black box', () => {
  let emulator: Emulator;
  const messagesOnly = catalogOf(['messages']);

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator(SMALL_DATA_SET);
  }, 120_000);
  afterAll(() => emulator.close());

  it('a download closed at a line break without length or chunks is resumed, not taken as complete', async () => {
    emulator.faults.unframedDownload({ afterBytes: 2_000, count: 1 });
    const result = await read({ config: configFor(emulator), catalog: messagesOnly });
    expectCompleteRead(result, ['messages']);
    expect(emulator.faults.fired.unframedDownload).toBe(1);
    expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages'));
  });

  it('an empty export file moves no channel: they keep their state with a WARN and come next time', async () => {
    emulator.faults.emptyExports({ count: 1 });
    const config = configFor(emulator, { channels_per_export: 4, max_concurrent_exports: 1 });
    const first = await read({ config, catalog: messagesOnly });
    expect(first.exitCode, describeRun(first)).toBe(0);
    const lagging = first.states('messages').at(-1)!.stream.stream_state.lagging as Record<string, unknown>;
    expect(Object.keys(lagging)).toHaveLength(4);
    expect(first.byType('LOG').some((m) => m.log.level === 'WARN' && /held nothing of/.test(m.log.message))).toBe(true);
    const second = await read({ config, catalog: messagesOnly, state: first.nextState() });
    expectCompleteRead(second, ['messages']);
    expect(union(first.keys('messages'), second.keys('messages'))).toEqual(groundTruthKeys(emulator, 'messages'));
  });

  it('a file that leaves out one channel moves the others only', async () => {
    emulator.faults.dropChannel({ count: 1 });
    const config = configFor(emulator, { max_concurrent_exports: 1 });
    const first = await read({ config, catalog: messagesOnly });
    expect(first.exitCode, describeRun(first)).toBe(0);
    const lagging = Object.keys(first.states('messages').at(-1)!.stream.stream_state.lagging as object);
    // The fault drops the first channel of the first export request.
    const request = emulator.requests().find((candidate) => candidate.endpoint === 'ExportChannels');
    const firstAsked = (request?.body as { channels: { type: string; id: string }[] }).channels[0];
    expect(lagging).toEqual([`${firstAsked?.type}:${firstAsked?.id}`]);
    const second = await read({ config, catalog: messagesOnly, state: first.nextState() });
    expect(second.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: lagging }));
  });

  it('start_date is a floor for every window, forever: a future one lets nothing older through later', async () => {
    const config = configFor(emulator, { start_date: new Date(Date.now() + 3_600_000).toISOString() });
    const first = await read({ config, catalog: messagesOnly });
    expectCompleteRead(first, ['messages']);
    emulator.data.addMessages(exportedCids(emulator)[0] as string, 2);
    await pastTheSecond(emulator);
    const second = await read({ config, catalog: messagesOnly, state: first.nextState() });
    expectCompleteRead(second, ['messages']);
    expect(first.keys('messages')).toEqual([]);
    expect(second.keys('messages')).toEqual([]);
  });

  it('a lookback no person means is a config error, not a silent empty sync', async () => {
    const result = await read({ config: configFor(emulator, { lookback_window_hours: 1_000_000_000 }), catalog: messagesOnly });
    expect(result.exitCode).toBe(1);
    expect(onlyError(result)).toMatchObject({ failure_type: 'config_error' });
    expect(onlyError(result).message).toMatch(/lookback_window_hours must be at most 87600/);
  });

  it('base_url with user info is refused and its password never printed', async () => {
    const config = configFor(emulator, { base_url: emulator.url.replace('http://', 'http://admin:hunter2pw@') });
    const checked = await check(config);
    expect(connectionStatus(checked).message).toMatch(/base_url must not carry a user name or password/);
    expectNotPrinted(checked, 'hunter2pw');
    const result = await read({ config, catalog: messagesOnly });
    expect(onlyError(result)).toMatchObject({ failure_type: 'config_error' });
    expectNotPrinted(result, 'hunter2pw');
  });

  it('the server token is masked when an upstream echoes it', async () => {
    const echo = await startServer((request, response) => sendJson(response, 400, { code: 4, message: `bad request with ${request.headers.authorization}` }));
    try {
      const config = { api_key: 'k', api_secret: 'a-secret-of-some-length', base_url: echo.url };
      const token = await createServerToken('a-secret-of-some-length');
      const checked = await check(config);
      expect(echo.requests.length).toBeGreaterThan(0);
      expectNotPrinted(checked, token);
      const result = await read({ config, catalog: messagesOnly });
      expect(result.exitCode).toBe(1);
      expectNotPrinted(result, token);
      expect(result.stdout).toContain('****');
    } finally {
      await echo.close();
    }
  });

  it('stdout closed midway: no more exports are created, one line on stderr, a non-zero exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'epipe-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(configFor(emulator, { channels_per_export: 1, max_concurrent_exports: 1 })));
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify(messagesOnly));
    const before = emulator.stats().exportsCreated;
    const child = spawn(process.execPath, [DIST_MAIN, 'read', '--config', 'config.json', '--catalog', 'catalog.json'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.includes('"RECORD"')) break;
    }
    child.stdout.destroy();
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(exitCode).toBe(141);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/stdout was closed/);
    expect(emulator.stats().exportsCreated - before).toBeLessThan(exportedCids(emulator).length);
  }, 30_000);
});
