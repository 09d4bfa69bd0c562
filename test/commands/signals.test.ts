import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { ensureBuilt } from '../helpers/build.js';
import { onlyError, spawnCli } from '../helpers/cli.js';

const CATALOG = {
  streams: ['channels', 'messages'].map((name) => ({
    stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
    sync_mode: 'incremental',
    destination_sync_mode: 'append',
  })),
};

describe.concurrent('read stopped by a signal', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    await ensureBuilt();
    // Export tasks that take a minute: the signal always lands while the sync waits on one.
    emulator = await startEmulator({ channels: 2, messagesPerChannel: 3, taskLatencyMs: 60_000 });
  }, 120_000);
  afterAll(() => emulator.close());

  for (const [signal, exitCode] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`exits ${exitCode} on ${signal} with one transient_error TRACE and no state after the signal`, async () => {
      const config = { api_key: emulator.apiKey, api_secret: emulator.apiSecret, base_url: emulator.url, poll_interval_seconds: 0.1 };
      const run = spawnCli(['read', '--config', 'config.json', '--catalog', 'catalog.json'], {
        files: { 'config.json': config, 'catalog.json': CATALOG },
      });
      await run.waitForMessage((message) => message.type === 'LOG' && /Export task \S+ created/.test(message.log.message));
      const signalledAt = Date.now();
      run.child.kill(signal);
      const result = await run.result;

      expect(Date.now() - signalledAt).toBeLessThan(7000);
      expect(result.exitCode).toBe(exitCode);
      const error = onlyError(result);
      expect(error.failure_type).toBe('transient_error');
      expect(error.message).toContain(`interrupted by ${signal}`);
      expect(result.byType('STATE')).toEqual([]);
      expect(result.messages.at(-1)).toMatchObject({ type: 'TRACE', trace: { type: 'ERROR' } });
    });
  }
});
