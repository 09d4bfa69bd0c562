// A guest in the customer's app (stream-export-api.md §8.3–8.4): the limits a sync spends are the app's.
// Query channels draws on an API budget the app's own users share; every endpoint has a per-second limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import {
  catalogOf,
  type Config,
  configFor,
  describeRun,
  expectCompleteRead,
  exportedCids,
  groundTruthKeys,
  once,
  pastTheSecond,
  read,
  type Read,
  SMALL_DATA_SET,
  union,
} from './harness.js';

const BUDGET_MS = 3_000;
const STREAMS = ['channels', 'messages'] as const;

/** What a sync cost the app: no expensive query, no 429 of any kind, the budget's use never past half. */
function expectGoodCitizen(emulator: Emulator): void {
  const stats = emulator.stats();
  const expensive = emulator.requests().filter((request) => request.cost !== undefined && !request.cost.cheap);
  expect(expensive.map((request) => `${JSON.stringify(request.body)}: ${request.cost?.reasons.join(', ')}`)).toEqual([]);
  expect(stats.budget.refused).toBe(0);
  expect(stats.rateLimited).toMatchObject({ perSecond: 0, perMinute: 0 });
}

async function sync(config: Config, state?: unknown): Promise<Read> {
  const result = await read({ config, catalog: catalogOf(STREAMS), state, timeoutMs: 150_000 });
  expectCompleteRead(result, STREAMS);
  return result;
}

describe('3,000 channels under an API budget of 3,000 ms a minute that only the sync spends', () => {
  let emulator: Emulator;
  let config: Config;

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator({ ...SMALL_DATA_SET, seed: 25, channels: 3_000, messagesPerChannel: 1, usersCount: 40, budget: { limitMs: BUDGET_MS } });
    config = configFor(emulator, { max_exports_per_minute: 60 });
  }, 60_000);
  afterAll(() => emulator.close());

  const first = once(() => sync(config));
  const incremental = once(async () => {
    const state = (await first()).nextState();
    const cids = [...emulator.data.channels()].map((channel) => String(channel.cid));
    emulator.data.addMessages(cids[7] as string, 2);
    await pastTheSecond(emulator);
    return sync(config, state);
  });
  const sweep = once(async () => sync({ ...config, full_sweep_interval_hours: 0 }, (await incremental()).nextState()));

  it('a full sync asks only cheap queries, keeps the budget under half, trips no limit, and is exact', async () => {
    const result = await first();
    expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages'));
    expect(result.keys('channels')).toEqual(groundTruthKeys(emulator, 'channels'));
    expectGoodCitizen(emulator);
    expect(emulator.stats().budget.usedPeakMs).toBeLessThanOrEqual(BUDGET_MS / 2);
  }, 180_000);

  it('so do an incremental sync and a sweep after it', async () => {
    const next = await incremental();
    expect(next.keys('messages'), describeRun(next)).toHaveLength(2);
    const swept = await sweep();
    // A sweep exports every channel, from the last sweep: nothing new since, so no message.
    const plan = String(swept.byType('LOG').find((message) => String(message.log.message).startsWith('Planned'))?.log.message);
    expect(plan).toContain(`for ${exportedCids(emulator).length} channel(s), listed in full (full sweep due)`);
    expect(union((await first()).keys('messages'), next.keys('messages'), swept.keys('messages'))).toEqual(groundTruthKeys(emulator, 'messages'));
    expectGoodCitizen(emulator);
    expect(emulator.stats().budget.usedPeakMs).toBeLessThanOrEqual(BUDGET_MS / 2);
  }, 300_000);
});

describe("the app's own users spend half of the budget meanwhile", () => {
  it('the sync goes on at a trickle, says so once, gets no budget 429 and completes exactly', async () => {
    await ensureBuilt();
    const emulator = await startEmulator({
      ...SMALL_DATA_SET,
      seed: 26,
      channels: 600,
      messagesPerChannel: 1,
      budget: { limitMs: BUDGET_MS, ownUsersShare: 0.5 },
    });
    try {
      const result = await sync(configFor(emulator, { max_exports_per_minute: 60 }));
      expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages'));
      const trickle = result.byType('LOG').filter((message) => String(message.log.message).includes('goes on at one query a second'));
      expect(trickle, describeRun(result)).toHaveLength(1);
      expect(trickle[0]?.log.level).toBe('WARN');
      expectGoodCitizen(emulator);
    } finally {
      await emulator.close();
    }
  }, 180_000);
});
