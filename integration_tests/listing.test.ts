// The listing against a Stream that holds to its docs page (stream-export-api.md §7.1): no cid range, ties
// in another order on every request, short pages now and then, channels deleted while we page, user ids
// in an order that is not JavaScript's. Every channel and every user exactly once.
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../test/helpers/build.js';
import { describeBulkImport, expectEachOnce, expectOnlyDocumentedRequests } from './bulk-import.js';
import { catalogOf, configFor, describeRun, emulatorPerTest, expectCompleteRead, exportedCids, read, usersTruth } from './harness.js';

const emulatorFor = emulatorPerTest();

describeBulkImport({ withMessage: 200, withoutMessage: 200, users: 60 });

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
