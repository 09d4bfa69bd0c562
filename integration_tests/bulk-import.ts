// A bulk import listed by a full sync and by a sync by activity, against the docs-strict emulator: the
// listing issue's black-box case, at a size for the suite (listing.test.ts) and at its own (listing.slow.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import { catalogOf, configFor, describeRun, expectCompleteRead, exportedCids, groundTruthKeys, read, type Read, SMALL_DATA_SET } from './harness.js';

const CREATED = '2025-01-01T00:00:00Z';

/** No request Stream's docs page does not promise: the emulator refuses every other one (400, code 4). */
export function expectOnlyDocumentedRequests(emulator: Emulator): void {
  const refused = emulator.requests().filter((request) => request.status === 400);
  expect(refused.map((request) => `${request.endpoint} ${JSON.stringify(request.body ?? request.query)}`)).toEqual([]);
}

/** Each of the expected cids (or user ids) exactly once among the stream's records. */
export function expectEachOnce(result: Read, stream: 'channels' | 'users', expected: readonly string[]): void {
  const ids = result.records(stream).map((record) => String(stream === 'channels' ? record.cid : record.id));
  expect(ids.length, describeRun(result)).toBe(new Set(ids).size);
  expect([...ids].sort()).toEqual([...expected].sort());
}

export interface BulkImport {
  withMessage: number;
  withoutMessage: number;
  users: number;
}

/**
 * A bulk import: channels of one created_at, some with one message each, the others without, of one
 * updated_at, with 3–6 members drawn from the users — listed exactly once by a full sync and by a sync by
 * activity. (The 2,500 channels of the listing issue run in listing.slow.test.ts.)
 */
export function describeBulkImport(size: BulkImport): void {
  const total = size.withMessage + size.withoutMessage;
  describe(`a bulk import: ${total} channels of one created_at, ${size.withoutMessage} of them without a message and of one updated_at`, () => {
    let emulator: Emulator;

    beforeAll(async () => {
      await ensureBuilt();
      emulator = await startEmulator({
        ...SMALL_DATA_SET,
        seed: 23,
        channels: 0,
        usersCount: size.users,
        lonelyUsers: 0,
        userIdStyle: 'mixed',
        importedChannels: { withMessage: size.withMessage, withoutMessage: size.withoutMessage, createdAt: CREATED },
      });
    }, 60_000);
    afterAll(() => emulator.close());

    it('a full sync lists and exports every channel exactly once, asking only what the docs page promises', async () => {
      const config = configFor(emulator, { max_exports_per_minute: 60 });
      const result = await read({ config, catalog: catalogOf(['channels', 'messages']), timeoutMs: 600_000 });
      expectCompleteRead(result, ['channels', 'messages']);
      expectEachOnce(result, 'channels', exportedCids(emulator));
      expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages'));
      expectOnlyDocumentedRequests(emulator);
    }, 600_000);

    it('a sync by activity lists every channel created after its state exactly once', async () => {
      const config = configFor(emulator, { max_exports_per_minute: 60 });
      const selection = { channel_types: [], channel_ids: [], exclude_channel_ids: [] };
      const before = '2024-12-01T00:00:00.000Z';
      const state = { cover: before, swept: new Date().toISOString(), lagging: {}, selection };
      const states = (['channels', 'messages'] as const).map((name) => ({
        type: 'STREAM',
        stream: { stream_descriptor: { name }, stream_state: name === 'channels' ? { ...state, updated_at: before } : state },
      }));
      const result = await read({ config, catalog: catalogOf(['channels', 'messages']), state: states, timeoutMs: 600_000 });
      expectCompleteRead(result, ['channels', 'messages']);
      const plan = result.byType('LOG').find((message) => String(message.log.message).startsWith('Planned'));
      expect(String(plan?.log.message)).toContain('listed by activity');
      expectEachOnce(result, 'channels', exportedCids(emulator));
      expectOnlyDocumentedRequests(emulator);
    }, 600_000);
  });
}
