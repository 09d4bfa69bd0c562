import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { api } from './helpers.js';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 11, channels: 30, messagesPerChannel: 2, usersCount: 40 });
});

afterAll(async () => {
  await emulator.close();
});

const queryChannels = (body: Record<string, unknown>) => api(emulator, 'POST', '/channels', { body: { state: false, watch: false, presence: false, ...body } });
const queryUsers = (payload: Record<string, unknown>) => api(emulator, 'GET', `/users?payload=${encodeURIComponent(JSON.stringify(payload))}`);
const cids = (response: { json: Record<string, any> }) => (response.json.channels as Record<string, any>[]).map((state) => state.channel.cid as string);
const ids = (response: { json: Record<string, any> }) => (response.json.users as Record<string, any>[]).map((user) => user.id as string);
const sample: Record<string, unknown> = {
  cid: 'messaging:channel-0000',
  id: 'channel-0000',
  type: 'messaging',
  created_at: '2024-01-01T00:00:00Z',
  updated_at: '2024-01-01T00:00:00Z',
  last_message_at: '2024-01-01T00:00:00Z',
  last_updated: '2024-01-01T00:00:00Z',
  created_by_id: 'user-0000',
  member_count: 2,
  message_count: 2,
  team: 'blue',
  frozen: false,
  members: 'user-0000',
  disabled: false,
  hidden: false,
  muted: false,
  joined: true,
  has_unread: false,
};

function expectInputError(response: { status: number; json: Record<string, any> }, endpoint: string, detail: RegExp, label: string): void {
  expect(response.status, label).toBe(400);
  expect(response.json, label).toMatchObject({ code: 4, StatusCode: 400, details: [] });
  expect(response.json.message, label).toMatch(new RegExp(`^${endpoint} failed with error: "`));
  expect(response.json.message, label).toMatch(detail);
}

describe('query channels refuses what Stream does not document', () => {
  const scalar = [
    'cid',
    'id',
    'type',
    'created_at',
    'updated_at',
    'last_message_at',
    'last_updated',
    'created_by_id',
    'member_count',
    'message_count',
    'team',
    'frozen',
  ];
  const allowed: Record<string, string[]> = {
    ...Object.fromEntries(scalar.map((field) => [field, ['$eq', '$exists', '$gt', '$gte', '$in', '$lt', '$lte']])),
    members: ['$eq', '$in'],
    disabled: ['$eq'],
    hidden: ['$eq'],
    muted: ['$eq'],
    joined: ['$eq'],
    has_unread: ['$eq'],
  };
  const every = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$autocomplete', '$contains'];
  const operand = (field: string, operator: string) =>
    operator === '$exists' ? true : operator === '$in' || operator === '$nin' ? [sample[field]] : sample[field];

  it('answers every documented field with each of its operators', async () => {
    for (const [field, operators] of Object.entries(allowed)) {
      for (const operator of operators) {
        const response = await queryChannels({ filter_conditions: { [field]: { [operator]: operand(field, operator) } } });
        expect(response.status, `${field} ${operator}: ${response.text}`).toBe(201);
      }
    }
  });

  it('refuses every other operator on each field with code 4', async () => {
    for (const [field, operators] of Object.entries(allowed)) {
      for (const operator of every.filter((candidate) => !operators.includes(candidate))) {
        const response = await queryChannels({ filter_conditions: { [field]: { [operator]: operand(field, operator) } } });
        expectInputError(response, 'QueryChannels', new RegExp(`operator "\\${operator}" is not supported for field "${field}"`), `${field} ${operator}`);
      }
    }
  });

  it('refuses $ne and $nin on cid, unknown operators, unknown fields and badly typed values', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ cid: { $nin: ['messaging:channel-0000'] } }, /operator "\$nin" is not supported for field "cid"/],
      [{ type: { $ne: 'messaging' } }, /operator "\$ne" is not supported for field "type"/],
      [{ members: { $nin: ['user-0001'] } }, /operator "\$nin"/],
      [{ type: { $regex: 'mess' } }, /operator "\$regex" is not supported/],
      [{ color: 'red' }, /field "color" is not supported/],
      [{ 'member.user.name': 'x' }, /field "member.user.name" is not supported/],
      [{ member_count: { $gt: '2' } }, /expects a number/],
      [{ created_at: { $exists: 'yes' } }, /expects a boolean/],
      [{ type: { $in: 'messaging' } }, /expects an array/],
      [{ type: {} }, /needs an operator/],
      [{ $or: [] }, /\$or expects a non-empty array/],
      [{ $not: [{ type: 'team' }] }, /field "\$not" is not supported/],
    ];
    for (const [filter, detail] of cases) expectInputError(await queryChannels({ filter_conditions: filter }), 'QueryChannels', detail, JSON.stringify(filter));
  });

  it('accepts only the seven documented sort fields', async () => {
    for (const field of ['last_updated', 'last_message_at', 'updated_at', 'created_at', 'member_count', 'unread_count', 'has_unread']) {
      expect((await queryChannels({ filter_conditions: {}, sort: [{ field, direction: -1 }] })).status, field).toBe(201);
    }
    for (const field of ['cid', 'id', 'type', 'name', 'message_count']) {
      expectInputError(
        await queryChannels({ filter_conditions: {}, sort: [{ field, direction: 1 }] }),
        'QueryChannels',
        new RegExp(`sort field "${field}" is not supported`),
        field,
      );
    }
    expectInputError(await queryChannels({ filter_conditions: {}, sort: [{ field: 'created_at', direction: 2 }] }), 'QueryChannels', /sort/, 'direction 2');
  });

  it('evaluates $exists, $nor, bare values and cid ranges', async () => {
    const live = emulator.data.allChannels().filter((channel) => channel.deletedAt === undefined);
    const all = cids(await queryChannels({ filter_conditions: { created_at: { $exists: true } }, limit: 30 }));
    expect(all).toHaveLength(live.length);
    expect(cids(await queryChannels({ filter_conditions: { team: { $exists: true } } }))).toEqual([]);
    expect(cids(await queryChannels({ filter_conditions: { team: { $exists: false } }, limit: 30 }))).toHaveLength(live.length);
    const notMessaging = cids(await queryChannels({ filter_conditions: { $nor: [{ type: 'messaging' }] }, limit: 30 }));
    expect(notMessaging.length).toBeGreaterThan(0);
    expect(notMessaging.every((cid) => !cid.startsWith('messaging:'))).toBe(true);
    const range = cids(await queryChannels({ filter_conditions: { cid: { $gte: 'team:', $lt: 'team:channel-0010' } }, limit: 30 }));
    const expected = live.map((channel) => channel.cid).filter((cid) => cid >= 'team:' && cid < 'team:channel-0010');
    expect(range.sort()).toEqual(expected.sort());
    expect(cids(await queryChannels({ filter_conditions: { frozen: false, disabled: false, hidden: false }, limit: 30 }))).toHaveLength(live.length);
  });
});

describe('query users refuses what Stream does not document', () => {
  const time = ['$eq', '$exists', '$gt', '$gte', '$in', '$lt', '$lte'];
  const allowed: Record<string, string[]> = {
    id: [...time, '$ne', '$nin', '$autocomplete'],
    created_at: time,
    updated_at: time,
    last_active: time,
    role: [...time, '$ne', '$nin'],
    name: [...time, '$ne', '$nin', '$autocomplete'],
    banned: ['$eq', '$ne'],
    shadow_banned: ['$eq', '$ne'],
    teams: ['$contains', '$eq', '$in'],
    email: ['$eq', '$in'],
  };
  const values: Record<string, unknown> = {
    id: 'user-0001',
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    last_active: '2024-01-01T00:00:00Z',
    role: 'user',
    name: 'a',
    banned: false,
    shadow_banned: false,
    teams: 'blue',
    email: 'a@example.com',
  };
  const every = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$autocomplete', '$contains'];
  const operand = (field: string, operator: string) =>
    operator === '$exists' ? true : operator === '$in' || operator === '$nin' ? [values[field]] : values[field];

  it('answers each documented operator and refuses the others with code 4', async () => {
    for (const [field, operators] of Object.entries(allowed)) {
      for (const operator of every) {
        const response = await queryUsers({ filter_conditions: { [field]: { [operator]: operand(field, operator) } } });
        if (operators.includes(operator)) expect(response.status, `${field} ${operator}: ${response.text}`).toBe(200);
        else expectInputError(response, 'QueryUsers', new RegExp(`operator "\\${operator}" is not supported for field "${field}"`), `${field} ${operator}`);
      }
    }
    expectInputError(await queryUsers({ filter_conditions: { favorite_color: 'red' } }), 'QueryUsers', /field "favorite_color" is not supported/, 'custom');
  });

  it('sorts only on id, created_at, updated_at, last_active, name and role', async () => {
    for (const field of ['id', 'created_at', 'updated_at', 'last_active', 'name', 'role']) {
      expect((await queryUsers({ filter_conditions: {}, sort: [{ field, direction: 1 }] })).status, field).toBe(200);
    }
    for (const field of ['email', 'banned', 'favorite_color']) {
      expectInputError(await queryUsers({ filter_conditions: {}, sort: [{ field, direction: 1 }] }), 'QueryUsers', new RegExp(`sort field "${field}"`), field);
    }
  });

  it('evaluates $ne, $nin, $autocomplete, $contains, banned and include_deactivated_users', async () => {
    const everyone = emulator.data.allUsers();
    const admins = everyone.filter((user) => user.role === 'admin').map((user) => user.id);
    expect(ids(await queryUsers({ filter_conditions: { role: { $ne: 'admin' } }, limit: 100 }))).toHaveLength(everyone.length - admins.length);
    expect(ids(await queryUsers({ filter_conditions: { id: { $nin: ['user-0001', 'user-0002'] } }, limit: 100 }))).toHaveLength(everyone.length - 2);
    const target = everyone[5]!;
    const prefix = target.name.split(' ')[0]!.slice(0, 3).toUpperCase();
    const found = ids(await queryUsers({ filter_conditions: { name: { $autocomplete: prefix } }, limit: 100 }));
    expect(found).toContain(target.id);
    expect(found.length).toBeLessThanOrEqual(everyone.length);
    expect(ids(await queryUsers({ filter_conditions: { id: { $autocomplete: 'user-000' } }, limit: 100 })).sort()).toEqual(
      everyone.map((user) => user.id).filter((id) => id.startsWith('user-000')),
    );
    expect(ids(await queryUsers({ filter_conditions: { teams: { $contains: 'blue' } } }))).toEqual([]);
    expect(ids(await queryUsers({ filter_conditions: { banned: false }, include_deactivated_users: true, limit: 100 }))).toHaveLength(everyone.length);
    expect(ids(await queryUsers({ filter_conditions: { email: { $in: ['a@example.com'] } } }))).toEqual([]);
  });
});

describe('ties come in their own order, never by cid or id', () => {
  it('lists channels that share one created_at in a seeded order that is not cid order, the same at every call', async () => {
    const local = await startEmulator({ seed: 3, channels: 0, usersCount: 5 });
    try {
      const created = local.data.addChannels({ count: 60, createdAt: '2023-06-01T12:00:00Z', idPrefix: 'tie' });
      const query = (offset: number) =>
        api(local, 'POST', '/channels', {
          body: { filter_conditions: { created_at: '2023-06-01T12:00:00Z' }, sort: [{ field: 'created_at', direction: 1 }], limit: 30, offset },
        });
      const listed = [...cids(await query(0)), ...cids(await query(30))];
      expect([...listed].sort()).toEqual([...created].sort());
      expect(listed).not.toEqual([...listed].sort());
      expect(listed).not.toEqual([...listed].sort().reverse());
      expect([...cids(await query(0)), ...cids(await query(30))]).toEqual(listed);
      // The default sort (last_updated desc) ties them too.
      const byDefault = cids(await api(local, 'POST', '/channels', { body: { filter_conditions: {}, limit: 30 } }));
      expect(byDefault).not.toEqual([...byDefault].sort());
    } finally {
      await local.close();
    }
  });

  it('orders the ties of another seed differently', async () => {
    const orders: string[][] = [];
    for (const seed of [1, 2]) {
      const local = await startEmulator({ seed, channels: 0, usersCount: 5 });
      try {
        local.data.addChannels({ count: 20, createdAt: '2023-06-01T12:00:00Z', idPrefix: 'tie' });
        orders.push(cids(await api(local, 'POST', '/channels', { body: { filter_conditions: {}, sort: [{ field: 'created_at', direction: 1 }], limit: 20 } })));
      } finally {
        await local.close();
      }
    }
    expect(orders[0]).not.toEqual(orders[1]);
  });

  it('orders users that tie on role by a hash of their id, not by id', async () => {
    const users = ids(await queryUsers({ filter_conditions: { role: 'user' }, sort: [{ field: 'role', direction: 1 }], limit: 100 }));
    expect(users.length).toBeGreaterThan(10);
    expect(users).not.toEqual([...users].sort());
    expect(ids(await queryUsers({ filter_conditions: { role: 'user' }, sort: [{ field: 'role', direction: 1 }], limit: 100 }))).toEqual(users);
    const byId = ids(await queryUsers({ filter_conditions: { role: 'user' }, sort: [{ field: 'id', direction: 1 }], limit: 100 }));
    expect(byId).toEqual([...users].sort());
  });
});
