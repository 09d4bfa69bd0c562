import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/index.js';
import { api, download, jsonLines, manualClock, waitForTask } from './helpers.js';

type Json = Record<string, any>;

let emulator: Emulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: EmulatorOptions = {}): Promise<{ emulator: Emulator; clock: ReturnType<typeof manualClock> }> {
  const clock = manualClock();
  emulator = await startEmulator({ seed: 9, channels: 10, messagesPerChannel: 20, taskLatencyMs: 10, now: clock.now, ...options });
  return { emulator, clock };
}

async function queryUsers(target: Emulator, payload: Json): Promise<Json[]> {
  const response = await api(target, 'GET', `/users?payload=${encodeURIComponent(JSON.stringify(payload))}`);
  if (response.status !== 200) throw new Error(`query users answered ${response.status}: ${response.text}`);
  return response.json.users as Json[];
}

/** Every user matching `filter`, keyset-paged on id; only an empty page ends it (a short one may come before the end). */
async function allPages(target: Emulator, filter: Json, includeDeactivated = true): Promise<Json[]> {
  const users: Json[] = [];
  for (;;) {
    const last = users[users.length - 1]?.id as string | undefined;
    const conditions = last === undefined ? filter : { ...filter, id: { $gt: last } };
    const page = await queryUsers(target, {
      filter_conditions: conditions,
      sort: [{ field: 'id', direction: 1 }],
      limit: 100,
      include_deactivated_users: includeDeactivated,
    });
    if (page.length === 0) return users;
    users.push(...page);
  }
}

const ids = (users: Iterable<Json>) => [...users].map((user) => user.id as string);

/** The user copies a v2 export embeds, by where they sit: user lines, members, messages, reactions. */
function embedded(lines: Json[], userId: string): Json[] {
  const copies: Json[] = [];
  for (const { type, data } of lines) {
    if (type === 'user' && data.id === userId) copies.push(data);
    if ((type === 'member' || type === 'message' || type === 'reaction') && data.user?.id === userId) copies.push(data.user as Json);
  }
  return copies;
}

/** Exports every channel; tasks follow the emulator's (manual) clock, so it moves it past their latency. */
async function exportAll(target: Emulator, clock: ReturnType<typeof manualClock>): Promise<Json[]> {
  const channels = target.data.allChannels().map((channel) => ({ cid: channel.cid }));
  const body = { version: 'v2', channels, include_soft_deleted_channels: true, include_truncated_messages: true };
  const created = await api(target, 'POST', '/export_channels', { body });
  clock.advance(1000);
  const task = await waitForTask(target, created.json.task_id as string);
  return jsonLines((await download(task.result.url as string)).text);
}

/** A member of a live channel who wrote at least one message there. */
function author(target: Emulator): string {
  const message = target.data.messages().next().value as Json;
  return message.user.id as string;
}

describe('users in no channel', () => {
  it('come with the defaults, and query users lists them though no export shows them', async () => {
    const { emulator, clock } = await start();
    const members = new Set(emulator.data.allChannels().flatMap((channel) => channel.members.map((member) => member.userId)));
    const lonely = ids(emulator.data.allUsers()).filter((id) => !members.has(id));
    // The lonely ones follow the members' pool; a few of the pool may join no channel by chance too.
    expect(lonely).toEqual(expect.arrayContaining(['user-0025', 'user-0026', 'user-0027', 'user-0028', 'user-0029']));
    expect(ids(await allPages(emulator, {}))).toEqual(ids(emulator.data.allUsers()));
    expect(ids(await allPages(emulator, {}))).toEqual(expect.arrayContaining(lonely));
    const exported = new Set(ids(emulator.data.users({ includeSoftDeleted: true })));
    for (const id of lonely) expect(exported.has(id), id).toBe(false);
    const lines = await exportAll(emulator, clock);
    for (const id of lonely) expect(embedded(lines, id), id).toEqual([]);
  });

  it('number lonelyUsers (0 leaves only the members’ pool)', async () => {
    const none = await start({ usersCount: 8, lonelyUsers: 0 });
    expect(none.emulator.data.allUsers()).toHaveLength(8);
    await none.emulator.close();
    emulator = undefined;
    const many = await start({ usersCount: 8, lonelyUsers: 12 });
    expect(ids(await allPages(many.emulator, {}))).toHaveLength(20);
  });
});

describe('user mutations', () => {
  it('updateUser changes the profile, moves updated_at to now and shows the new name in later exports only', async () => {
    const { emulator, clock } = await start();
    const id = author(emulator);
    const before = emulator.data.queryableUsers().find((user) => user.id === id) as Json;
    const earlier = await api(emulator, 'POST', '/export_channels', { body: { version: 'v2', channels: [{ cid: 'messaging:channel-0000' }] } });
    const since = new Date(clock.now()).toISOString();
    clock.advance(1000);
    const updated = emulator.data.updateUser(id, { name: 'Renamed Person', favorite_color: 'black', nickname: 'rp' });
    expect(updated).toMatchObject({ id, name: 'Renamed Person', favorite_color: 'black', nickname: 'rp', created_at: before.created_at });
    expect(Date.parse(updated.updated_at as string)).toBe(clock.now().getTime());

    const changed = await allPages(emulator, { updated_at: { $gt: since } });
    expect(changed).toEqual([updated]);
    expect(await queryUsers(emulator, { filter_conditions: { name: { $autocomplete: 'renam' } } })).toEqual([updated]);

    const lines = await exportAll(emulator, clock);
    const copies = embedded(lines, id);
    expect(copies.length).toBeGreaterThan(2);
    for (const copy of copies) expect(copy).toMatchObject({ name: 'Renamed Person', nickname: 'rp', updated_at: updated.updated_at });
    expect([...emulator.data.users()].find((user) => user.id === id)).toMatchObject({ name: 'Renamed Person' });

    // An export requested before the change is a snapshot of the data then.
    const task = await waitForTask(emulator, earlier.json.task_id as string);
    const old = embedded(jsonLines(await (await fetch(task.result.url as string)).text()), id);
    expect(old.length).toBeGreaterThan(0);
    for (const copy of old) expect(copy.name).toBe(before.name);

    expect(() => emulator.data.updateUser(id, { updated_at: '2020-01-01T00:00:00Z' })).toThrow(/cannot set updated_at/);
  });

  it('addUser signs a user up in no channel, created_at = updated_at = now', async () => {
    const { emulator, clock } = await start();
    const since = new Date(clock.now()).toISOString();
    clock.advance(5000);
    const added = emulator.data.addUser({ name: 'Zoë Newcomer', fields: { plan: 'pro' } });
    const named = emulator.data.addUser({ id: 'zz-late', role: 'admin' });
    expect(added).toMatchObject({ id: 'added-user-0000', name: 'Zoë Newcomer', role: 'user', plan: 'pro', banned: false });
    expect(added.created_at).toBe(added.updated_at);
    expect(Date.parse(added.created_at as string)).toBe(clock.now().getTime());
    expect(added).not.toHaveProperty('last_active');
    expect(named).toMatchObject({ id: 'zz-late', role: 'admin' });

    const listed = await allPages(emulator, {});
    expect(ids(listed)[0]).toBe('added-user-0000');
    expect(ids(listed)[listed.length - 1]).toBe('zz-late');
    expect(ids(await allPages(emulator, { updated_at: { $gt: since } }))).toEqual(['added-user-0000', 'zz-late']);
    expect(ids(emulator.data.queryableUsers())).toEqual(ids(listed));
    expect(ids(emulator.data.users())).not.toContain('added-user-0000');
    expect(() => emulator.data.addUser({ id: 'zz-late' })).toThrow(/already exists/);

    emulator.data.addMessages('messaging:channel-0000', 1, { userId: 'zz-late', text: 'hi' });
    expect(ids(emulator.data.users())).toContain('zz-late');
  });

  it('deactivateUser hides the user unless include_deactivated_users, and does not move updated_at', async () => {
    const { emulator, clock } = await start();
    const id = author(emulator);
    const before = emulator.data.queryableUsers().find((user) => user.id === id) as Json;
    const since = new Date(clock.now()).toISOString();
    clock.advance(1000);
    const deactivated = emulator.data.deactivateUser(id);
    expect(deactivated).toMatchObject({ id, updated_at: before.updated_at });
    expect(Date.parse(deactivated.deactivated_at as string)).toBe(clock.now().getTime());

    expect(ids(await allPages(emulator, {}, false))).not.toContain(id);
    expect(await queryUsers(emulator, { filter_conditions: { id } })).toEqual([]);
    expect(await queryUsers(emulator, { filter_conditions: { id }, include_deactivated_users: false })).toEqual([]);
    expect(await queryUsers(emulator, { filter_conditions: { id }, include_deactivated_users: true })).toEqual([deactivated]);
    expect(await allPages(emulator, { updated_at: { $gt: since } })).toEqual([]);

    expect(ids(emulator.data.queryableUsers({ includeDeactivated: false }))).not.toContain(id);
    expect(ids(emulator.data.queryableUsers())).toContain(id);
    expect(ids(emulator.data.allUsers())).toContain(id);
    for (const copy of embedded(await exportAll(emulator, clock), id)) expect(copy.deactivated_at).toBe(deactivated.deactivated_at);
    expect(() => emulator.data.addMessages('messaging:channel-0000', 1, { userId: id })).toThrow(/deactivated/);
  });

  it('banUser sets banned and does not move updated_at', async () => {
    const { emulator, clock } = await start();
    const id = author(emulator);
    const before = emulator.data.queryableUsers().find((user) => user.id === id) as Json;
    const banned = emulator.data.banUser(id);
    expect(banned).toEqual({ ...before, banned: true });
    expect(ids(await queryUsers(emulator, { filter_conditions: { banned: true } }))).toEqual([id]);
    expect(ids(await allPages(emulator, { banned: { $ne: true } }))).not.toContain(id);
    for (const copy of embedded(await exportAll(emulator, clock), id)) expect(copy.banned).toBe(true);
  });

  it('a soft delete hides the user from query users; exports keep embedding the copy with deleted_at', async () => {
    const { emulator, clock } = await start();
    const id = author(emulator);
    const countsBefore = emulator.data.counts();
    clock.advance(1000);
    const deleted = emulator.data.deleteUser(id) as Json;
    expect(Date.parse(deleted.deleted_at as string)).toBe(clock.now().getTime());
    expect(await queryUsers(emulator, { filter_conditions: { id }, include_deactivated_users: true })).toEqual([]);
    expect(ids(await allPages(emulator, {}))).not.toContain(id);
    expect(ids(emulator.data.allUsers())).not.toContain(id);
    expect(ids(emulator.data.queryableUsers())).not.toContain(id);
    expect(emulator.data.deletedUsers()).toEqual([deleted]);

    expect(emulator.data.counts()).toEqual(countsBefore);
    const lines = await exportAll(emulator, clock);
    const copies = embedded(lines, id);
    expect(copies.length).toBeGreaterThan(2);
    for (const copy of copies) expect(copy).toEqual(deleted);
    expect(ids(emulator.data.users())).toContain(id);

    // Stream keeps a soft-deleted user's data: the personal-data export still finds them.
    expect((await api(emulator, 'GET', `/users/${id}/export`)).json.user).toEqual(deleted);
    expect(() => emulator.data.updateUser(id, { name: 'x' })).toThrow(/deleted/);
  });

  it('a hard delete removes the user from query users and user exports; channel exports embed the user as they were', async () => {
    const { emulator, clock } = await start();
    const id = author(emulator);
    // Exports embed the user without the per-user state query users adds (FullUserResponse).
    const { devices, mutes, channel_mutes, unread_count, total_unread_count, unread_channels, unread_threads, ...before } = emulator.data
      .queryableUsers()
      .find((user) => user.id === id) as Json;
    expect([devices, mutes, channel_mutes, unread_count, total_unread_count, unread_channels, unread_threads]).toEqual([[], [], [], 0, 0, 0, 0]);
    const member = [...emulator.data.members()].find((entity) => entity.user_id === id) as Json;
    expect(emulator.data.deleteUser(id, { hard: true })).toBeUndefined();

    expect(await queryUsers(emulator, { filter_conditions: { id: { $in: [id] } }, include_deactivated_users: true })).toEqual([]);
    expect(ids(await allPages(emulator, {}))).not.toContain(id);
    expect(emulator.data.deletedUsers()).toEqual([before]);
    expect(emulator.data.deletedUsers({ cids: [member.cid as string] })).toEqual([before]);

    const lines = await exportAll(emulator, clock);
    const copies = embedded(lines, id);
    expect(copies.length).toBeGreaterThan(2);
    for (const copy of copies) expect(copy).toEqual(before);
    expect([...emulator.data.members()].filter((entity) => entity.user_id === id).length).toBeGreaterThan(0);

    expect((await api(emulator, 'GET', `/users/${id}/export`)).status).toBe(404);
    expect((await api(emulator, 'POST', '/export/users', { body: { user_ids: [id] } })).json.code).toBe(4);
    expect(() => emulator.data.deleteUser(id)).toThrow(/deleted/);
    const message = emulator.data.messages().next().value as Json;
    expect(() => emulator.data.addReaction(message.id as string, id, 'like')).toThrow(/deleted/);
    expect(() => emulator.data.addUser({ id })).toThrow(/already exists/);
  });

  it('deletedUsers lists only deleted users that some export still embeds', async () => {
    const { emulator } = await start();
    emulator.data.deleteUser('user-0026');
    emulator.data.deleteUser('user-0027', { hard: true });
    const id = author(emulator);
    emulator.data.deleteUser(id);
    expect(ids(emulator.data.deletedUsers())).toEqual([id]);
    const listed = ids(emulator.data.allUsers());
    for (const gone of ['user-0026', 'user-0027', id]) expect(listed).not.toContain(gone);
  });
});

describe('activity after user mutations', () => {
  it('leaves deactivated and deleted users out of default authors and default members', async () => {
    const { emulator } = await start();
    emulator.data.addUser({ id: 'aaa-first' });
    emulator.data.deactivateUser('user-0000');
    emulator.data.deleteUser('user-0001', { hard: true });
    const channel = emulator.data.addChannel({ id: 'after' });
    expect((channel.created_by as Json).id).toBe('user-0002');
    expect(emulator.data.channelModel(channel.cid as string)?.members.map((member) => member.userId)).toEqual(['user-0002', 'user-0003']);
    const cid = 'messaging:channel-0000';
    const active = new Set(ids(emulator.data.queryableUsers({ includeDeactivated: false })));
    for (const message of emulator.data.addMessages(cid, 6)) expect(active.has((message.user as Json).id as string)).toBe(true);
  });
});

describe('incremental listing by updated_at', () => {
  it('keyset-pages past 1,000 users, with updated_at windows and $in lookups', async () => {
    // Whole pages: the lookups below check one answer each.
    const { emulator, clock } = await start({ channels: 3, messagesPerChannel: 1, usersCount: 1200, shortPages: false });
    const everyone = await allPages(emulator, {});
    expect(everyone).toHaveLength(1205);
    expect(everyone).toEqual(emulator.data.queryableUsers());
    expect(new Set(ids(everyone)).size).toBe(1205);

    const t0 = new Date(clock.now()).toISOString();
    clock.advance(1000);
    const firstBatch = ids(everyone.filter((_, k) => k % 7 === 3));
    for (const id of firstBatch) emulator.data.updateUser(id, { name: `First ${id}` });
    const t1 = new Date(clock.now().getTime() + 1).toISOString();
    clock.advance(1000);
    const secondBatch = ids(everyone.filter((_, k) => k % 11 === 5));
    for (const id of secondBatch) emulator.data.updateUser(id, { name: `Second ${id}` });
    emulator.data.deactivateUser('user-0001');

    const sinceT0 = ids(await allPages(emulator, { updated_at: { $gt: t0 } }));
    expect(sinceT0).toEqual([...new Set([...firstBatch, ...secondBatch])].sort());
    expect(sinceT0.length).toBeGreaterThan(200);
    const window = await allPages(emulator, { updated_at: { $gt: t0, $lte: t1 } });
    expect(ids(window)).toEqual(firstBatch.filter((id) => !secondBatch.includes(id)));
    for (const user of window) expect(user.name).toBe(`First ${String(user.id)}`);
    expect(ids(await allPages(emulator, { updated_at: { $gt: t1 } }))).toEqual([...secondBatch].sort());

    // Lookups of 100 ids: deactivated ones only with the flag, unknown ids simply absent.
    const wanted = [...firstBatch.slice(0, 98), 'user-0001', 'nobody'];
    const sort = [{ field: 'id', direction: 1 }];
    const found = await queryUsers(emulator, { filter_conditions: { id: { $in: wanted } }, sort, limit: 100, include_deactivated_users: true });
    expect(ids(found)).toEqual([...wanted.filter((id) => id !== 'nobody')].sort());
    const active = await queryUsers(emulator, { filter_conditions: { id: { $in: wanted } }, sort, limit: 100 });
    expect(ids(active)).toEqual(ids(found).filter((id) => id !== 'user-0001'));

    const combined = await queryUsers(emulator, {
      filter_conditions: { $and: [{ id: { $in: wanted } }, { updated_at: { $gt: t0, $lte: t1 } }] },
      sort,
      limit: 100,
      include_deactivated_users: true,
    });
    expect(ids(combined)).toEqual(firstBatch.slice(0, 98).filter((id) => !secondBatch.includes(id)));
  });
});

describe('counting query users calls', () => {
  it('stats().queryUsers counts GET /users, faulted requests included; requests() names them QueryUsers', async () => {
    const { emulator } = await start({ channels: 1 });
    await queryUsers(emulator, { filter_conditions: {} });
    emulator.faults.rateLimit({ count: 1, endpoints: ['QueryUsers'] });
    expect((await api(emulator, 'GET', `/users?payload=${encodeURIComponent('{"filter_conditions":{}}')}`)).status).toBe(429);
    await api(emulator, 'POST', '/channels', { body: { filter_conditions: {} } });
    expect(emulator.stats().queryUsers).toBe(2);
    expect(emulator.requests().filter((record) => record.endpoint === 'QueryUsers')).toHaveLength(2);
  });
});
