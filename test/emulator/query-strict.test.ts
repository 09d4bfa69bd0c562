import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { api } from './helpers.js';

let emulator: Emulator;

beforeAll(async () => {
  // Dozens of filters fired in a burst: the per-second limits are beside the point here (rate-limits.test.ts has them).
  emulator = await startEmulator({ seed: 11, channels: 30, messagesPerChannel: 2, usersCount: 40, rateLimits: { perSecond: false } });
});

afterAll(async () => {
  await emulator.close();
});

const queryChannels = (body: Record<string, unknown>) => api(emulator, 'POST', '/channels', { body: { state: false, watch: false, presence: false, ...body } });
const queryUsers = (payload: Record<string, unknown>) => api(emulator, 'GET', `/users?payload=${encodeURIComponent(JSON.stringify(payload))}`);
const cids = (response: { json: Record<string, any> }) => (response.json.channels as Record<string, any>[]).map((state) => state.channel.cid as string);
const ids = (response: { json: Record<string, any> }) => (response.json.users as Record<string, any>[]).map((user) => user.id as string);

/** Every user id matching `filter`, keyset-paged on id until an empty page. */
async function allUserIds(target: Emulator, filter: Record<string, unknown>, includeDeactivated = false): Promise<string[]> {
  const listed: string[] = [];
  for (;;) {
    const last = listed.at(-1);
    const conditions = last === undefined ? filter : { $and: [filter, { id: { $gt: last } }] };
    const payload = { filter_conditions: conditions, sort: [{ field: 'id', direction: 1 }], limit: 100, include_deactivated_users: includeDeactivated };
    const page = ids(await api(target, 'GET', `/users?payload=${encodeURIComponent(JSON.stringify(payload))}`));
    if (page.length === 0) return listed;
    listed.push(...page);
  }
}

/** Every channel matching `filter`, by offset pages of 30 until an empty one (short pages come before the end). */
async function listAll(target: Emulator, filter: Record<string, unknown>): Promise<string[]> {
  const listed: string[] = [];
  for (;;) {
    const body = { filter_conditions: filter, sort: [{ field: 'created_at', direction: 1 }], limit: 30, offset: listed.length };
    const page = cids(await api(target, 'POST', '/channels', { body }));
    if (page.length === 0) return listed;
    listed.push(...page);
  }
}
const sample: Record<string, unknown> = {
  cid: 'messaging:channel-0000',
  type: 'messaging',
  created_at: '2024-01-01T00:00:00Z',
  last_message_at: '2024-01-01T00:00:00Z',
  updated_at: '2024-01-01T00:00:00Z',
  last_updated: '2024-01-01T00:00:00Z',
  member_count: 2,
  members: 'user-0000',
  'member.user.name': 'Ada',
  frozen: false,
  disabled: false,
  hidden: false,
  muted: false,
  joined: true,
  invite: 'pending',
  team: 'blue',
  created_by_id: 'user-0000',
  has_unread: true,
};

function expectInputError(response: { status: number; json: Record<string, any> }, endpoint: string, detail: RegExp, label: string): void {
  expect(response.status, label).toBe(400);
  expect(response.json, label).toMatchObject({ code: 4, StatusCode: 400, details: [] });
  expect(response.json.message, label).toMatch(new RegExp(`^${endpoint} failed with error: "`));
  expect(response.json.message, label).toMatch(detail);
}

const escape = (text: string) => text.replace(/[$.]/g, (ch) => `\\${ch}`);

describe('query channels takes exactly the operators of Stream’s docs page', () => {
  const instant = ['$eq', '$gt', '$lt', '$gte', '$lte', '$exists'];
  const range = ['$eq', '$gt', '$lt', '$gte', '$lte'];
  const allowed: Record<string, string[]> = {
    cid: ['$in', '$eq'],
    type: ['$in', '$eq'],
    created_at: instant,
    last_message_at: instant,
    updated_at: range,
    last_updated: range,
    member_count: range,
    members: ['$in'],
    'member.user.name': ['$autocomplete', '$eq'],
    ...Object.fromEntries(
      ['frozen', 'disabled', 'hidden', 'muted', 'joined', 'invite', 'team', 'created_by_id', 'has_unread'].map((field) => [field, ['$eq']]),
    ),
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

  it('refuses every other operator on each field with code 4, cid ranges included', async () => {
    for (const [field, operators] of Object.entries(allowed)) {
      for (const operator of every.filter((candidate) => !operators.includes(candidate))) {
        const response = await queryChannels({ filter_conditions: { [field]: { [operator]: operand(field, operator) } } });
        expectInputError(
          response,
          'QueryChannels',
          new RegExp(`operator ${escape(operator)} is not supported for field ${escape(field)} `),
          `${field} ${operator}`,
        );
      }
    }
    const range = await queryChannels({ filter_conditions: { cid: { $gt: 'messaging:', $lte: 'team:' } } });
    expectInputError(range, 'QueryChannels', /operator \$gt is not supported for field cid \(supported: \$in \$eq\)/, 'cid range');
  });

  it('refuses id, message_count, $nor, unknown operators, unknown fields and badly typed values', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ id: 'channel-0000' }, /field id is not supported/],
      [{ id: { $in: ['channel-0000'] } }, /field id is not supported/],
      [{ message_count: { $gt: 0 } }, /field message_count is not supported/],
      [{ $nor: [{ type: 'messaging' }] }, /operator \$nor is not supported/],
      [{ $not: [{ type: 'team' }] }, /operator \$not is not supported/],
      [{ type: { $regex: 'mess' } }, /operator \$regex is not supported/],
      [{ color: 'red' }, /field color is not supported/],
      [{ app_banned: 'only' }, /field app_banned is not supported/],
      [{ member_count: { $gt: '2' } }, /expects a number/],
      [{ created_at: { $exists: 'yes' } }, /expects a boolean/],
      [{ type: { $in: 'messaging' } }, /expects an array/],
      [{ type: {} }, /needs an operator/],
      [{ $or: [] }, /\$or expects a non-empty array/],
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
        new RegExp(`sort field ${field} is not supported`),
        field,
      );
    }
    expectInputError(await queryChannels({ filter_conditions: {}, sort: [{ field: 'created_at', direction: 2 }] }), 'QueryChannels', /sort/, 'direction 2');
  });

  it('evaluates $exists, $in, $or, $and, bare values and member names', async () => {
    const live = emulator.data.allChannels().filter((channel) => channel.deletedAt === undefined);
    const all = await listAll(emulator, { created_at: { $exists: true } });
    expect(all).toHaveLength(live.length);
    expect(await listAll(emulator, { team: 'blue' })).toEqual([]);
    const notMessaging = await listAll(emulator, { $or: [{ type: 'team' }, { type: { $in: ['livestream'] } }] });
    expect(notMessaging.sort()).toEqual(
      live
        .filter((channel) => channel.type !== 'messaging')
        .map((channel) => channel.cid)
        .sort(),
    );
    const both = await listAll(emulator, { $and: [{ type: 'team' }, { cid: { $in: ['team:channel-0002', 'messaging:channel-0000'] } }] });
    expect(both).toEqual(['team:channel-0002']);
    expect(await listAll(emulator, { frozen: false, disabled: false, hidden: false })).toHaveLength(live.length);
    const member = live[0]!.members[0]!.userId;
    const named = emulator.data.user(member)!.name;
    const withMember = live.filter((channel) => channel.members.some((m) => emulator.data.user(m.userId)!.name === named)).map((channel) => channel.cid);
    expect((await listAll(emulator, { 'member.user.name': named })).sort()).toEqual(withMember.sort());
  });
});

describe('a channel lacking a sort value', () => {
  it('sorts after every channel that has one, ascending and descending', async () => {
    const local = await startEmulator({ seed: 4, channels: 6, messagesPerChannel: 2, shortPages: false });
    try {
      const silent = local.data.addChannel({ id: 'silent' }).cid as string;
      for (const direction of [1, -1]) {
        const listed = cids(
          await api(local, 'POST', '/channels', { body: { filter_conditions: {}, sort: [{ field: 'last_message_at', direction }], limit: 30 } }),
        );
        expect(listed.at(-1), `direction ${direction}`).toBe(silent);
      }
      const state = (await api(local, 'POST', '/channels', { body: { filter_conditions: { cid: silent } } })).json.channels[0];
      expect(state.channel).not.toHaveProperty('last_message_at');
    } finally {
      await local.close();
    }
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
        else expectInputError(response, 'QueryUsers', new RegExp(`operator ${escape(operator)} is not supported for field ${field} `), `${field} ${operator}`);
      }
    }
    expectInputError(await queryUsers({ filter_conditions: { favorite_color: 'red' } }), 'QueryUsers', /field favorite_color is not supported/, 'custom');
    expectInputError(await queryUsers({ filter_conditions: { $nor: [{ role: 'admin' }] } }), 'QueryUsers', /operator \$nor is not supported/, '$nor');
  });

  it('sorts only on id, created_at, updated_at, last_active, name and role', async () => {
    for (const field of ['id', 'created_at', 'updated_at', 'last_active', 'name', 'role']) {
      expect((await queryUsers({ filter_conditions: {}, sort: [{ field, direction: 1 }] })).status, field).toBe(200);
    }
    for (const field of ['email', 'banned', 'favorite_color']) {
      expectInputError(
        await queryUsers({ filter_conditions: {}, sort: [{ field, direction: 1 }] }),
        'QueryUsers',
        new RegExp(`sort field ${field} is not supported`),
        field,
      );
    }
  });

  it('evaluates $ne, $nin, $autocomplete, $contains, banned and include_deactivated_users', async () => {
    const everyone = emulator.data.allUsers();
    const admins = everyone.filter((user) => user.role === 'admin').map((user) => user.id);
    expect(await allUserIds(emulator, { role: { $ne: 'admin' } })).toHaveLength(everyone.length - admins.length);
    expect(await allUserIds(emulator, { id: { $nin: ['user-0001', 'user-0002'] } })).toHaveLength(everyone.length - 2);
    const target = everyone[5]!;
    const prefix = target.name.split(' ')[0]!.slice(0, 3).toUpperCase();
    const found = await allUserIds(emulator, { name: { $autocomplete: prefix } });
    expect(found).toContain(target.id);
    expect(found.length).toBeLessThanOrEqual(everyone.length);
    expect(await allUserIds(emulator, { id: { $autocomplete: 'user-000' } })).toEqual(
      everyone.map((user) => user.id).filter((id) => id.startsWith('user-000')),
    );
    expect(await allUserIds(emulator, { teams: { $contains: 'blue' } })).toEqual([]);
    expect(await allUserIds(emulator, { banned: false }, true)).toHaveLength(everyone.length);
    expect(await allUserIds(emulator, { email: { $in: ['a@example.com'] } })).toEqual([]);
  });
});

describe('strings compare by an ICU collation, not JavaScript code units', () => {
  const mixed = ['Zed', 'alpha', 'Beta_1', 'beta-2', 'beta.3', 'BETA4', 'alpha-1', 'Alpha_0'];

  it('sorts users by id and by name in collation order, and ranges on id follow it; equality stays exact', async () => {
    const local = await startEmulator({ seed: 2, channels: 1, usersCount: 2, lonelyUsers: 0, shortPages: false });
    try {
      for (const id of mixed) local.data.addUser({ id, name: id });
      const query = async (payload: Record<string, unknown>) =>
        ids(await api(local, 'GET', `/users?payload=${encodeURIComponent(JSON.stringify({ limit: 100, ...payload }))}`));
      const collated = ['alpha', 'Alpha_0', 'alpha-1', 'Beta_1', 'beta-2', 'beta.3', 'BETA4', 'Zed'];
      expect([...mixed].sort()).not.toEqual(collated);
      expect(await query({ filter_conditions: { id: { $in: mixed } }, sort: [{ field: 'id', direction: 1 }] })).toEqual(collated);
      expect(await query({ filter_conditions: { id: { $in: mixed } }, sort: [{ field: 'id', direction: -1 }] })).toEqual([...collated].reverse());
      expect(await query({ filter_conditions: { id: { $in: mixed } }, sort: [{ field: 'name', direction: 1 }] })).toEqual(collated);
      expect(await query({ filter_conditions: { id: { $in: mixed, $gt: 'b' } }, sort: [{ field: 'id', direction: 1 }] })).toEqual(collated.slice(3));
      expect(await query({ filter_conditions: { id: { $in: mixed, $lte: 'beta-2' } }, sort: [{ field: 'id', direction: 1 }] })).toEqual(collated.slice(0, 5));
      expect(await query({ filter_conditions: { id: 'beta4' } })).toEqual([]);
      expect(await query({ filter_conditions: { id: 'BETA4' } })).toEqual(['BETA4']);
    } finally {
      await local.close();
    }
  });
});

describe('ties come in a new order at every request, never by cid or id', () => {
  const CREATED = '2023-06-01T12:00:00Z';
  const firstPage = (target: Emulator, sort = [{ field: 'created_at', direction: 1 }]) =>
    api(target, 'POST', '/channels', { body: { filter_conditions: { created_at: CREATED }, sort, limit: 30 } }).then(cids);

  it('reorders channels that share one created_at from one request to the next, in no cid order', async () => {
    const local = await startEmulator({ seed: 3, channels: 0, usersCount: 5, shortPages: false });
    try {
      const created = local.data.addChannels({ count: 60, createdAt: CREATED, idPrefix: 'tie' });
      const pages = [await firstPage(local), await firstPage(local), await firstPage(local)];
      for (const page of pages) {
        expect(page).toHaveLength(30);
        expect(page.every((cid) => created.includes(cid))).toBe(true);
        expect(page).not.toEqual([...page].sort());
        expect(page).not.toEqual([...page].sort().reverse());
      }
      expect(pages[1]).not.toEqual(pages[0]);
      expect(pages[2]).not.toEqual(pages[1]);
      // Offset paging over a tie is no listing: the first page's members change too.
      expect(new Set([...pages[0]!, ...pages[1]!]).size).toBeGreaterThan(30);
      // The default sort (last_updated desc) ties them too.
      const byDefault = cids(await api(local, 'POST', '/channels', { body: { filter_conditions: {}, limit: 30 } }));
      expect(byDefault).not.toEqual([...byDefault].sort());
    } finally {
      await local.close();
    }
  });

  it('replays the same orders for the same seed and request numbers, other orders for another seed', async () => {
    const runs: string[][][] = [];
    for (const seed of [1, 1, 2]) {
      const local = await startEmulator({ seed, channels: 0, usersCount: 5 });
      try {
        local.data.addChannels({ count: 20, createdAt: CREATED, idPrefix: 'tie' });
        runs.push([await firstPage(local), await firstPage(local)]);
      } finally {
        await local.close();
      }
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).not.toEqual(runs[0]);
  });

  it('reorders users that tie on role at every request; a sort on id has no ties', async () => {
    const local = await startEmulator({ seed: 6, channels: 1, usersCount: 40, shortPages: false });
    try {
      const query = async (sort: Record<string, unknown>[]) =>
        ids(await api(local, 'GET', `/users?payload=${encodeURIComponent(JSON.stringify({ filter_conditions: { role: 'user' }, sort, limit: 100 }))}`));
      const first = await query([{ field: 'role', direction: 1 }]);
      const second = await query([{ field: 'role', direction: 1 }]);
      expect(first.length).toBeGreaterThan(10);
      expect(first).not.toEqual([...first].sort());
      expect(second).not.toEqual(first);
      expect([...second].sort()).toEqual([...first].sort());
      expect(await query([{ field: 'id', direction: 1 }])).toEqual(await query([{ field: 'id', direction: 1 }]));
    } finally {
      await local.close();
    }
  });
});
