import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { api } from './helpers.js';

let emulator: Emulator;

beforeAll(async () => {
  // Whole pages: these tests check exact paging figures.
  emulator = await startEmulator({ seed: 5, channels: 40, messagesPerChannel: 2, usersCount: 150, shortPages: false });
});

afterAll(async () => {
  await emulator.close();
});

const queryChannels = (body: Record<string, unknown>) => api(emulator, 'POST', '/channels', { body: { state: false, watch: false, presence: false, ...body } });
const queryUsers = (payload: Record<string, unknown>) => api(emulator, 'GET', `/users?payload=${encodeURIComponent(JSON.stringify(payload))}`);
const cids = (response: { json: Record<string, any> }) => (response.json.channels as Record<string, any>[]).map((state) => state.channel.cid as string);

describe('POST /channels (query channels)', () => {
  it('answers 201 with channel states that carry empty messages, members, pinned_messages and read', async () => {
    const response = await queryChannels({ filter_conditions: {}, limit: 1 });
    expect(response.status).toBe(201);
    expect(response.json.channels[0]).toMatchObject({ members: [], messages: [], pinned_messages: [], read: [] });
    expect(response.json.channels[0].channel.config).toBeDefined();
  });

  it('filters on type and cid with $eq and $in', async () => {
    const messaging = cids(await queryChannels({ filter_conditions: { type: 'messaging' }, limit: 30 }));
    expect(messaging.length).toBeGreaterThan(0);
    expect(messaging.every((cid) => cid.startsWith('messaging:'))).toBe(true);
    const two = cids(await queryChannels({ filter_conditions: { type: { $in: ['team', 'livestream'] } }, limit: 30 }));
    expect(two.every((cid) => !cid.startsWith('messaging:'))).toBe(true);
    expect(cids(await queryChannels({ filter_conditions: { cid: { $eq: 'team:channel-0002' } } }))).toEqual(['team:channel-0002']);
    expect(cids(await queryChannels({ filter_conditions: { cid: { $in: ['livestream:channel-0001', 'messaging:channel-0003'] } } })).sort()).toEqual([
      'livestream:channel-0001',
      'messaging:channel-0003',
    ]);
  });

  it('leaves out soft-deleted channels', async () => {
    expect(cids(await queryChannels({ filter_conditions: { cid: 'livestream:channel-0007' } }))).toEqual([]);
  });

  it('filters created_at ranges and sorts by created_at', async () => {
    const all = emulator.data.allChannels().filter((channel) => channel.deletedAt === undefined);
    const sorted = [...all].sort((a, b) => a.createdAt - b.createdAt);
    expect(new Set(sorted.map((channel) => channel.createdAt)).size).toBe(sorted.length);
    const pivot = emulator.data.channelEntity(sorted[10] as (typeof sorted)[number]).created_at as string;
    const response = await queryChannels({ filter_conditions: { created_at: { $gte: pivot } }, sort: [{ field: 'created_at', direction: 1 }], limit: 30 });
    expect(cids(response)).toEqual(sorted.slice(10, 40).map((channel) => channel.cid));
    const before = cids(await queryChannels({ filter_conditions: { created_at: { $lt: pivot } }, sort: [{ field: 'created_at', direction: -1 }], limit: 30 }));
    expect(before).toEqual(
      sorted
        .slice(0, 10)
        .reverse()
        .map((channel) => channel.cid),
    );
  });

  it('pages with limit and offset, default limit 10', async () => {
    const sort = [{ field: 'created_at', direction: 1 }];
    const first = cids(await queryChannels({ filter_conditions: {}, sort }));
    const second = cids(await queryChannels({ filter_conditions: {}, sort, offset: 10 }));
    const both = cids(await queryChannels({ filter_conditions: {}, sort, limit: 20 }));
    expect(first).toHaveLength(10);
    expect([...first, ...second]).toEqual(both);
  });

  it('rejects limit over 30, offset over 1000 and unknown filter fields with code 4', async () => {
    for (const body of [{ limit: 31 }, { offset: 1001 }, { filter_conditions: { color: 'red' } }, { filter_conditions: { created_at: { $gt: 'soon' } } }]) {
      const response = await queryChannels({ filter_conditions: {}, ...body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json.code).toBe(4);
      expect(response.json.message).toMatch(/^QueryChannels failed with error: /);
    }
  });
});

describe('GET /users (query users)', () => {
  it('pages by id with $gt keyset filters', async () => {
    const sort = [{ field: 'id', direction: 1 }];
    const first = await queryUsers({ filter_conditions: {}, sort, limit: 100 });
    expect(first.status).toBe(200);
    const ids = (first.json.users as Record<string, any>[]).map((user) => user.id as string);
    expect(ids).toHaveLength(100);
    const rest = await queryUsers({ filter_conditions: { id: { $gt: ids[99] } }, sort, limit: 100 });
    // 150 members' users and the 5 lonely ones, who are in no channel.
    expect(rest.json.users).toHaveLength(55);
    expect(rest.json.users[0].id > (ids[99] as string)).toBe(true);
  });

  it('filters with $eq and $in and returns users with custom fields', async () => {
    const one = await queryUsers({ filter_conditions: { id: { $eq: 'user-0002' } } });
    expect(one.json.users).toEqual([expect.objectContaining({ id: 'user-0002', name: expect.any(String), favorite_color: expect.any(String) })]);
    const two = await queryUsers({ filter_conditions: { id: { $in: ['user-0001', 'user-0003'] } }, sort: [{ field: 'id', direction: 1 }] });
    expect(two.json.users.map((user: Record<string, any>) => user.id)).toEqual(['user-0001', 'user-0003']);
  });

  it('rejects limit over 100, offset over 1000, and a missing payload with code 4', async () => {
    expect((await queryUsers({ filter_conditions: {}, limit: 101 })).json.code).toBe(4);
    expect((await queryUsers({ filter_conditions: {}, offset: 1001 })).json.code).toBe(4);
    expect((await api(emulator, 'GET', '/users')).json.code).toBe(4);
  });
});
