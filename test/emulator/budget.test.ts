import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHEAP_FILTER_FIELDS, CHEAP_SORT_FIELDS, queryCost, signToken, startEmulator, type Emulator } from '../../emulator/index.js';
import { api, manualClock } from './helpers.js';

const filter = (filter_conditions: Record<string, unknown>, sort?: unknown[]) => queryCost({ filter_conditions, sort });
const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-02-01T00:00:00Z';

describe('queryCost: the docs’ cheap-query rules (stream-export-api.md §8.4)', () => {
  it('finds an empty body, the default sort and a created_at range sorted by created_at cheap', () => {
    expect(queryCost({})).toEqual({ cheap: true, reasons: [] });
    expect(queryCost(undefined)).toEqual({ cheap: true, reasons: [] });
    expect(filter({ created_at: { $gte: T0, $lt: T1 }, type: 'messaging' }, [{ field: 'created_at', direction: 1 }])).toEqual({ cheap: true, reasons: [] });
  });

  it('takes only the efficient filter fields', () => {
    for (const field of CHEAP_FILTER_FIELDS) expect(filter({ [field]: { $eq: 'x' } }).cheap).toBe(true);
    for (const field of ['member_count', 'frozen', 'hidden', 'created_by_id', 'member.user.name', 'disabled', 'color']) {
      expect(filter({ [field]: { $eq: 'x' } })).toEqual({ cheap: false, reasons: [`filter field ${field} is not efficient`] });
    }
  });

  it('takes only the efficient sort fields', () => {
    for (const field of CHEAP_SORT_FIELDS) expect(filter({}, [{ field, direction: -1 }]).cheap).toBe(true);
    for (const field of ['member_count', 'unread_count', 'has_unread']) {
      expect(
        filter({}, [
          { field: 'created_at', direction: 1 },
          { field, direction: 1 },
        ]).reasons,
      ).toEqual([`sort field ${field} is not efficient`]);
    }
  });

  it('takes $in with at most 3 values', () => {
    expect(filter({ members: { $in: ['a', 'b', 'c'] } }).cheap).toBe(true);
    expect(filter({ members: { $in: ['a', 'b', 'c', 'd'] } }).reasons).toEqual(['$in on members with 4 values (at most 3)']);
  });

  it('takes at most 3 $and conditions: top-level keys and the entries of an explicit $and', () => {
    expect(filter({ type: 'messaging', created_at: { $gte: T0 }, updated_at: { $gte: T0 } }).cheap).toBe(true);
    expect(filter({ type: 'messaging', created_at: { $gte: T0 }, updated_at: { $gte: T0 }, last_message_at: { $gte: T0 } }).reasons).toEqual([
      '4 $and conditions (at most 3)',
    ]);
    expect(filter({ $and: [{ type: 'a' }, { cid: 'a:b' }, { team: 't' }] }).cheap).toBe(true);
    expect(filter({ $and: [{ type: 'a' }, { cid: 'a:b' }, { team: 't' }, { has_unread: true }] }).reasons).toEqual(['4 $and conditions (at most 3)']);
    expect(filter({ type: 'a', $and: [{ cid: 'a:b' }, { team: 't' }, { has_unread: true }] }).reasons).toEqual(['4 $and conditions (at most 3)']);
  });

  it('takes at most 2 $or branches', () => {
    expect(filter({ $or: [{ type: 'a' }, { type: 'b' }] }).cheap).toBe(true);
    expect(filter({ $or: [{ type: 'a' }, { type: 'b' }, { type: 'c' }] }).reasons).toEqual(['$or with 3 branches (at most 2)']);
  });

  it('takes one logical operator at most, none inside another', () => {
    expect(filter({ $or: [{ $and: [{ type: 'a' }, { team: 't' }] }, { type: 'b' }] }).reasons).toEqual([
      '$and inside $or',
      '2 logical operators (at most one)',
    ]);
    expect(filter({ $or: [{ type: 'a', team: 't' }, { type: 'b' }] }).reasons).toEqual(['$and inside $or (a branch with several conditions)']);
    expect(filter({ $and: [{ type: 'a' }], $or: [{ type: 'b' }, { team: 't' }] }).reasons).toEqual(['2 logical operators (at most one)']);
  });

  it('never takes $nin $ne $nor $autocomplete $contains $q', () => {
    for (const operator of ['$nin', '$ne', '$autocomplete', '$contains', '$q']) {
      expect(filter({ type: { [operator]: 'x' } }).reasons).toEqual([`operator ${operator} on type is never efficient`]);
    }
    expect(filter({ $nor: [{ type: 'a' }] }).reasons).toEqual(['operator $nor is never efficient']);
    expect(filter({ $q: 'text' }).reasons).toEqual(['operator $q is never efficient']);
  });

  it('finds any filter of up to 3 efficient fields compared by $eq, $in ≤ 3 or a range cheap', () => {
    const condition = fc.oneof(
      fc.string(),
      fc.record({ $eq: fc.string() }),
      fc.record({ $in: fc.array(fc.string(), { maxLength: 3 }) }),
      fc.record({ $gte: fc.constant(T0), $lt: fc.constant(T1) }, { requiredKeys: [] }),
    );
    const cheapFilter = fc.dictionary(fc.constantFrom(...CHEAP_FILTER_FIELDS), condition, { maxKeys: 3 });
    const sort = fc.array(fc.record({ field: fc.constantFrom(...CHEAP_SORT_FIELDS), direction: fc.constantFrom(1, -1) }), { maxLength: 5 });
    fc.assert(fc.property(cheapFilter, sort, (conditions, order) => filter(conditions, order).cheap));
  });
});

async function withEmulator(options: Parameters<typeof startEmulator>[0], run: (emulator: Emulator, clock: ReturnType<typeof manualClock>) => Promise<void>) {
  const clock = manualClock(Date.UTC(2026, 4, 4, 10, 0, 15));
  // The clock stands still unless a test moves it: the per-second limits are beside the point here.
  const emulator = await startEmulator({ channels: 3, messagesPerChannel: 1, now: clock.now, rateLimits: { perSecond: false }, ...options });
  try {
    await run(emulator, clock);
  } finally {
    await emulator.close();
  }
}

const CHEAP = { filter_conditions: { type: 'messaging' } };
const EXPENSIVE = { filter_conditions: { member_count: { $gte: 2 } } };
const budgetOf = (response: { headers: Headers }) =>
  ['x-budget-used-ms', 'x-budget-limit-ms', 'x-budget-remaining-ms'].map((name) => response.headers.get(name));

describe('the API budget of query channels', () => {
  it('carries X-Budget-* on every answer, with a generous default limit', async () => {
    await withEmulator({}, async (emulator) => {
      const first = await api(emulator, 'POST', '/channels', { body: CHEAP });
      expect(first.status).toBe(201);
      expect(budgetOf(first)).toEqual(['10', '60000', '59990']);
      expect(budgetOf(await api(emulator, 'POST', '/channels', { body: EXPENSIVE }))).toEqual(['310', '60000', '59690']);
      // Refused as bad input or unauthenticated: no cost, the headers all the same.
      const invalid = await api(emulator, 'POST', '/channels', { body: { filter_conditions: { cid: { $gt: 'a' } } } });
      expect(invalid.status).toBe(400);
      expect(budgetOf(invalid)).toEqual(['310', '60000', '59690']);
      const unauthenticated = await api(emulator, 'POST', '/channels', { body: CHEAP, token: signToken('wrong') });
      expect(unauthenticated.status).toBe(401);
      expect(budgetOf(unauthenticated)).toEqual(['310', '60000', '59690']);
      expect((await api(emulator, 'GET', '/users?payload={"filter_conditions":{}}')).headers.has('x-budget-used-ms')).toBe(false);
    });
  });

  it('refuses a query past the limit with 429 code 9, Retry-After until enough of the minute frees, and costs it nothing', async () => {
    await withEmulator({ budget: { limitMs: 1_000, cheapMs: 10, expensiveMs: 300 } }, async (emulator, clock) => {
      for (let i = 0; i < 3; i++) {
        expect((await api(emulator, 'POST', '/channels', { body: EXPENSIVE })).status).toBe(201);
        clock.advance(10_000);
      }
      clock.advance(-5_000); // 25 s after the first query
      const refused = await api(emulator, 'POST', '/channels', { body: EXPENSIVE });
      expect(refused.status).toBe(429);
      expect(refused.json).toMatchObject({
        code: 9,
        StatusCode: 429,
        message: expect.stringMatching(/^QueryChannels failed with error: "API budget exceeded/),
      });
      expect(refused.headers.get('retry-after')).toBe('35');
      expect(budgetOf(refused)).toEqual(['900', '1000', '100']);
      expect(budgetOf(await api(emulator, 'POST', '/channels', { body: CHEAP }))).toEqual(['910', '1000', '90']);
      clock.advance(35_000);
      const again = await api(emulator, 'POST', '/channels', { body: EXPENSIVE });
      expect(again.status).toBe(201);
      expect(budgetOf(again)).toEqual(['910', '1000', '90']);
      expect(emulator.stats().budget).toEqual({ usedPeakMs: 910, expensiveQueries: 5, refused: 1 });
      const costs = emulator
        .requests()
        .filter((record) => record.cost && !record.cost.cheap)
        .map((record) => [record.status, record.cost?.charged, record.cost?.ms, record.cost?.reasons]);
      expect(costs).toHaveLength(5);
      expect(costs[3]).toEqual([429, false, 300, ['filter field member_count is not efficient']]);
      expect(costs[4]).toEqual([201, true, 300, ['filter field member_count is not efficient']]);
    });
  });

  it('counts the own users’ share of the limit in every minute, and changes it at runtime', async () => {
    await withEmulator({ budget: { limitMs: 1_000, ownUsersShare: 0.5 } }, async (emulator, clock) => {
      expect(budgetOf(await api(emulator, 'POST', '/channels', { body: CHEAP }))).toEqual(['510', '1000', '490']);
      clock.advance(120_000);
      expect(emulator.budget.usage()).toEqual({ usedMs: 500, limitMs: 1_000, remainingMs: 500 });
      emulator.budget.setOwnUsersShare(1);
      const refused = await api(emulator, 'POST', '/channels', { body: CHEAP });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('60');
      expect(budgetOf(refused)).toEqual(['1000', '1000', '0']);
      emulator.budget.setOwnUsersShare(0);
      expect((await api(emulator, 'POST', '/channels', { body: CHEAP })).status).toBe(201);
      expect(() => emulator.budget.setOwnUsersShare(1.5)).toThrow(/ownUsersShare/);
    });
    await expect(startEmulator({ budget: { ownUsersShare: -0.1 } })).rejects.toThrow(/ownUsersShare/);
  });

  it('leaves X-Budget-Used-Ms off a rate limit’s 429, so a client can tell the two apart', async () => {
    await withEmulator({}, async (emulator) => {
      emulator.faults.rateLimit({ count: 1, endpoints: ['QueryChannels'], retryAfterSeconds: 1 });
      const limited = await api(emulator, 'POST', '/channels', { body: CHEAP });
      expect(limited.status).toBe(429);
      expect(limited.headers.has('x-budget-used-ms')).toBe(false);
      emulator.faults.serverErrors({ count: 1, endpoints: ['QueryChannels'] });
      expect(budgetOf(await api(emulator, 'POST', '/channels', { body: CHEAP }))).toEqual(['0', '60000', '60000']);
    });
  });
});
