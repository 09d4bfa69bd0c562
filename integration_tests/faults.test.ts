import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/index.js';
import type { Emulator, FaultName } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import { onlyError } from '../test/helpers/cli.js';
import {
  catalogOf,
  type Config,
  configFor,
  describeRun,
  expectCompleteRead,
  expectStateAccounting,
  expectStatuses,
  exportedCids,
  groundTruthKeys,
  read,
  type Read,
  SMALL_DATA_SET,
  type StateMessage,
  type StreamName,
  union,
} from './harness.js';

const STREAMS_READ: readonly StreamName[] = ['messages', 'reactions'];

describe('faults of the emulator: every read still ends with exactly the ground-truth messages', () => {
  let emulator: Emulator;
  let config: Config;
  const readMessages = (state?: StateMessage[]) => read({ config, catalog: catalogOf(STREAMS_READ), state });

  /** Runs `action` and checks the armed fault fired exactly `count` times meanwhile (or it proved nothing). */
  async function whileFiring<T>(fault: FaultName, count: number, action: () => Promise<T>): Promise<T> {
    const before = emulator.stats().faultsFired[fault];
    const result = await action();
    expect(emulator.stats().faultsFired[fault] - before, `${fault} fired`).toBe(count);
    return result;
  }

  function expectGroundTruth(result: Read): void {
    expectCompleteRead(result, STREAMS_READ);
    for (const stream of STREAMS_READ) expect(result.keys(stream), stream).toEqual(groundTruthKeys(emulator, stream));
  }

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator(SMALL_DATA_SET);
    config = configFor(emulator, { channels_per_export: 4 });
  }, 120_000);
  beforeEach(() => emulator.faults.reset());
  afterAll(() => emulator.close());

  it('rate limited (429, plain-text body): waits for the reset, says so in a LOG and a RUNNING status with reason RATE_LIMITED', async () => {
    emulator.faults.rateLimit({ count: 2, resetInSeconds: 1, endpoints: ['ExportChannels', 'GetTask'] });
    const result = await whileFiring('rateLimit', 2, readMessages);
    expectGroundTruth(result);
    const warnings = result.byType('LOG').filter((message) => message.log.level === 'WARN' && /rate.?limit/i.test(message.log.message));
    expect(warnings.length, describeRun(result)).toBeGreaterThan(0);
    const limited = result
      .byType('TRACE')
      .filter((message) => message.trace.type === 'STREAM_STATUS' && message.trace.stream_status.reasons?.[0]?.type === 'RATE_LIMITED');
    expect(limited.length, describeRun(result)).toBeGreaterThan(0);
    for (const message of limited) {
      expect(message.trace.stream_status.status).toBe('RUNNING');
      expect(Number.isInteger(message.trace.stream_status.reasons[0].rate_limited.quota_reset)).toBe(true);
    }
  });

  for (const status of [500, 503]) {
    it(`a burst of HTTP ${status} answers is retried`, async () => {
      emulator.faults.serverErrors({ count: 2, status });
      expectGroundTruth(await whileFiring('serverErrors', 2, readMessages));
    });
  }

  it('downloads cut mid-body are resumed', async () => {
    emulator.faults.cutDownload({ afterBytes: 1500, count: 2 });
    expectGroundTruth(await whileFiring('cutDownload', 2, readMessages));
  });

  it('expired download URLs are replaced by fresh ones', async () => {
    emulator.faults.expireUrls({ count: 2 });
    expectGroundTruth(await whileFiring('expireUrls', 2, readMessages));
  });

  it('a failed export task fails the run after saving the other batches; the run resumed from its last states completes the set', async () => {
    // One task at a time, so the first export requested is the one that fails.
    const sequential = configFor(emulator, { channels_per_export: 4, max_concurrent_exports: 1 });
    const requestsBefore = emulator.requests().length;
    emulator.faults.failTasks({ count: 1 });
    const failed = await whileFiring('failTasks', 1, () => read({ config: sequential, catalog: catalogOf(STREAMS_READ) }));

    const firstExport = emulator
      .requests()
      .slice(requestsBefore)
      .find((request) => request.endpoint === 'ExportChannels');
    const failedCids = (firstExport!.body as { channels: Array<{ type: string; id: string }> }).channels.map((channel) => `${channel.type}:${channel.id}`);
    expect(failed.exitCode, describeRun(failed)).not.toBe(0);
    expectStatuses(failed, STREAMS_READ, 'INCOMPLETE');
    const error = onlyError(failed);
    for (const cid of failedCids) expect(error.message).toContain(cid);
    expectStateAccounting(failed, STREAMS_READ, { complete: true });
    const lagging = failed.states('messages').at(-1)!.stream.stream_state.lagging as Record<string, string | null>;
    expect(Object.keys(lagging).sort()).toEqual([...failedCids].sort());
    expect(
      Object.values(lagging).every((at) => at === null),
      'a first sync: the failed channels are read whole next time',
    ).toBe(true);
    const savedCids = exportedCids(emulator)
      .filter((cid) => !failedCids.includes(cid))
      .sort();
    expect(failed.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: savedCids }));

    const resumed = await read({ config: sequential, catalog: catalogOf(STREAMS_READ), state: failed.nextState() });
    expectCompleteRead(resumed, STREAMS_READ);
    expect(resumed.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: failedCids }));
    for (const stream of STREAMS_READ) {
      expect(union(failed.keys(stream), resumed.keys(stream)), stream).toEqual(groundTruthKeys(emulator, stream));
    }
  });
});
