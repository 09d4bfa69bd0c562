import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../test/helpers/build.js';
import { catalogOf, configFor, describeRun, emulatorPerTest, expectCompleteRead, read } from './harness.js';

const TASK_LATENCY_S = 10;
const PER_MINUTE = 60;

describe('a first sync at the export quota', () => {
  const emulatorWith = emulatorPerTest();
  beforeAll(ensureBuilt, 120_000);

  it('30 exports of 10-second tasks at 60 a minute take at most 1.25× the quota-bound time', { timeout: 120_000 }, async () => {
    // 66 channels, one in ten soft-deleted and never listed: 60 listed, 2 to an export.
    const emulator = await emulatorWith({ channels: 66, messagesPerChannel: 2, taskLatencyMs: TASK_LATENCY_S * 1000 });
    const config = configFor(emulator, { channels_per_export: 2, max_exports_per_minute: PER_MINUTE, poll_interval_seconds: 0.2 });
    const started = performance.now();
    const result = await read({ config, catalog: catalogOf(['channels', 'messages']) });
    const seconds = (performance.now() - started) / 1000;

    expectCompleteRead(result, ['channels', 'messages']);
    const exports = emulator.stats().exportsCreated;
    expect(exports, describeRun(result)).toBe(30);
    const quotaBound = (exports * 60) / PER_MINUTE + TASK_LATENCY_S;
    expect(quotaBound / seconds).toBeGreaterThanOrEqual(0.8);
  });
});
