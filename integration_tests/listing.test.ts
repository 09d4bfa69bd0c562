// The listing against a Stream that holds to its docs page (stream-export-api.md §7.1): no cid range, ties
// in another order on every request, short pages now and then, channels deleted while we page, user ids
// in an order that is not JavaScript's. Every channel and every user exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import {
  catalogOf,
  configFor,
  describeRun,
  emulatorPerTest,
  expectCompleteRead,
  exportedCids,
  groundTruthKeys,
  read,
  type Read,
  SMALL_DATA_SET,
  usersTruth,
} from './harness.js';

const emulatorFor = emulatorPerTest();
const CREATED = '2025-01-01T00:00:00Z';

/** No request Stream's docs page does not promise: the emulator refuses every other one (400, code 4). */
function expectOnlyDocumentedRequests(emulator: Emulator): void {
  const refused = emulator.requests().filter((request) => request.status === 400);
  expect(refused.map((request) => `${request.endpoint} ${JSON.stringify(request.body ?? request.query)}`)).toEqual([]);
}

/** Each of the expected cids (or user ids) exactly once among the stream's records. */
function expectEachOnce(result: Read, stream: 'channels' | 'users', expected: readonly string[]): void {
  const ids = result.records(stream).map((record) => String(stream === 'channels' ? record.cid : record.id));
  expect(ids.length, describeRun(result)).toBe(new Set(ids).size);
  expect([...ids].sort()).toEqual([...expected].sort());
}

describe('a bulk import: 2,500 channels of one created_at, 1,100 of them without a message and of one updated_at', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator({
      ...SMALL_DATA_SET,
      seed: 23,
      channels: 0,
      usersCount: 60,
      lonelyUsers: 0,
      userIdStyle: 'mixed',
      importedChannels: { withMessage: 1_400, withoutMessage: 1_100, createdAt: CREATED },
    });
  }, 60_000);
  afterAll(() => emulator.close());

  it('a full sync lists and exports every channel exactly once, asking only what the docs page promises', async () => {
    const config = configFor(emulator, { max_exports_per_minute: 60 });
    const result = await read({ config, catalog: catalogOf(['channels', 'messages']), timeoutMs: 110_000 });
    expectCompleteRead(result, ['channels', 'messages']);
    expectEachOnce(result, 'channels', exportedCids(emulator));
    expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages'));
    expectOnlyDocumentedRequests(emulator);
  }, 120_000);

  it('a sync by activity lists every channel created after its state exactly once', async () => {
    const config = configFor(emulator, { max_exports_per_minute: 60 });
    const selection = { channel_types: [], channel_ids: [], exclude_channel_ids: [] };
    const before = '2024-12-01T00:00:00.000Z';
    const state = { cover: before, swept: new Date().toISOString(), lagging: {}, selection };
    const states = (['channels', 'messages'] as const).map((name) => ({
      type: 'STREAM',
      stream: { stream_descriptor: { name }, stream_state: name === 'channels' ? { ...state, updated_at: before } : state },
    }));
    const result = await read({ config, catalog: catalogOf(['channels', 'messages']), state: states, timeoutMs: 110_000 });
    expectCompleteRead(result, ['channels', 'messages']);
    const plan = result.byType('LOG').find((message) => String(message.log.message).startsWith('Planned'));
    expect(String(plan?.log.message)).toContain('listed by activity');
    expectEachOnce(result, 'channels', exportedCids(emulator));
    expectOnlyDocumentedRequests(emulator);
  }, 120_000);
});

describe('channels deleted and users ordered by the service while a first sync lists them', () => {
  it('exports every live channel when one is deleted between two pages of the listing', async () => {
    await ensureBuilt();
    const emulator = await emulatorFor({ seed: 24, channels: 240, messagesPerChannel: 1 });
    const [, deleted] = [...emulator.data.channels()].map((channel) => String(channel.cid));
    emulator.faults.deleteChannelAfterQueries({ cid: deleted as string, after: 1 });
    const result = await read({ config: configFor(emulator, { max_exports_per_minute: 60 }), catalog: catalogOf(['channels']) });
    expect(result.exitCode, describeRun(result)).toBe(0);
    expectEachOnce(result, 'channels', exportedCids(emulator));
    expectOnlyDocumentedRequests(emulator);
  }, 60_000);

  it('names channels no documented field separates, exports every other channel, then fails with no state claiming them', async () => {
    await ensureBuilt();
    const emulator = await emulatorFor({ seed: 26, channels: 20, messagesPerChannel: 1 });
    const tied = '2024-06-01T00:00:00Z';
    emulator.data.addChannels({ count: 40, createdAt: tied, memberIds: ['user-0001'] });
    const result = await read({ config: configFor(emulator), catalog: catalogOf(['channels']) });
    expect(result.exitCode).toBe(1);
    expect(result.errors()).toEqual([expect.objectContaining({ failure_type: 'system_error', message: expect.stringContaining(`share created_at ${tied}`) })]);
    expect(result.records('channels').map((record) => String(record.cid))).toEqual(
      expect.arrayContaining(exportedCids(emulator).filter((cid) => cid.includes('channel-'))),
    );
    const last = result.states('channels').at(-1)?.stream.stream_state as { cover?: string; progress?: { created_before?: string } };
    expect(last.cover).toBeUndefined();
    expect(Date.parse(last.progress?.created_before ?? '')).toBeLessThanOrEqual(Date.parse(tied));
    expectOnlyDocumentedRequests(emulator);
  }, 60_000);

  it('lists 60 users with mixed-case ids, `-`, `_` and `.` under the service collation, each exactly once', async () => {
    await ensureBuilt();
    const emulator = await emulatorFor({ seed: 25, channels: 3, usersCount: 60, userIdStyle: 'mixed' });
    const result = await read({ config: configFor(emulator), catalog: catalogOf(['users']) });
    expectCompleteRead(result, ['users']);
    expectEachOnce(
      result,
      'users',
      usersTruth(emulator).map((user) => String(user.id)),
    );
    expectOnlyDocumentedRequests(emulator);
  }, 60_000);
});
