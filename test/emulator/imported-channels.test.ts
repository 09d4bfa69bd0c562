import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { api, exportChannels, jsonLines } from './helpers.js';

type Json = Record<string, any>;

const IMPORTED_AT = '2024-05-05T05:05:05Z';
const UPDATED_AT = '2024-05-06T00:00:00Z';
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    seed: 31,
    channels: 0,
    usersCount: 60,
    lonelyUsers: 0,
    userIdStyle: 'mixed',
    taskLatencyMs: 0,
    importedChannels: { withMessage: 1400, withoutMessage: 1100, createdAt: IMPORTED_AT, updatedAt: UPDATED_AT },
  });
});

afterAll(async () => {
  await emulator.close();
});

const queryChannels = async (body: Json): Promise<Json[]> => {
  const response = await api(emulator, 'POST', '/channels', { body: { limit: 30, ...body } });
  if (response.status !== 201) throw new Error(`query channels answered ${response.status}: ${response.text}`);
  return (response.json.channels as Json[]).map((state) => state.channel as Json);
};

describe('channels as a bulk import leaves them', () => {
  it('2,500 channels share one created_at: 1,400 with one message each, 1,100 with none', () => {
    const channels = [...emulator.data.channels()];
    expect(channels).toHaveLength(2500);
    expect(new Set(channels.map((channel) => channel.created_at))).toEqual(new Set([IMPORTED_AT]));
    const withMessage = channels.filter((channel) => channel.last_message_at !== undefined);
    expect(withMessage).toHaveLength(1400);
    expect(new Set(withMessage.map((channel) => channel.last_message_at)).size).toBe(1400);
    expect(new Set(withMessage.map((channel) => channel.updated_at))).toEqual(new Set([IMPORTED_AT]));
    expect([...emulator.data.messages()]).toHaveLength(1400);
    const silent = channels.filter((channel) => channel.last_message_at === undefined);
    expect(new Set(silent.map((channel) => channel.updated_at))).toEqual(new Set([UPDATED_AT]));
    const pool = new Set(emulator.data.allUsers().map((user) => user.id));
    expect(pool.size).toBe(60);
    for (const channel of silent) {
      expect(channel.member_count).toBeGreaterThanOrEqual(3);
      expect(channel.member_count).toBeLessThanOrEqual(6);
      for (const member of emulator.data.channelModel(channel.cid as string)!.members) expect(pool.has(member.userId)).toBe(true);
    }
    // The instants of the messages follow no id order.
    const byId = withMessage.map((channel) => channel.last_message_at as string);
    expect(byId).not.toEqual([...byId].sort());
  });

  it('query channels answers the silent ones without last_message_at, and the others walk by a last_message_at keyset', async () => {
    const silent = await queryChannels({ filter_conditions: { created_at: IMPORTED_AT, last_message_at: { $exists: false } } });
    expect(silent.length).toBeGreaterThan(0);
    for (const channel of silent) {
      expect(channel).not.toHaveProperty('last_message_at');
      expect(channel).toMatchObject({ created_at: IMPORTED_AT, updated_at: UPDATED_AT, message_count: 0 });
    }
    const seen: string[] = [];
    let last: string | undefined;
    for (;;) {
      const range = last === undefined ? { $exists: true } : { $gt: last };
      const page = await queryChannels({
        filter_conditions: { created_at: IMPORTED_AT, last_message_at: range },
        sort: [{ field: 'last_message_at', direction: 1 }],
      });
      if (page.length === 0) break;
      seen.push(...page.map((channel) => channel.cid as string));
      last = page.at(-1)!.last_message_at as string;
    }
    expect(seen).toHaveLength(1400);
    expect(new Set(seen).size).toBe(1400);
  });

  it('exports a silent channel without last_message_at or messages, and the others with exactly one message', async () => {
    const [silent] = await queryChannels({ filter_conditions: { last_message_at: { $exists: false } }, limit: 1 });
    const [spoken] = await queryChannels({ filter_conditions: { last_message_at: { $exists: true } }, limit: 1 });
    const lines = jsonLines((await exportChannels(emulator, { channels: [{ cid: silent!.cid }, { cid: spoken!.cid }] })).text);
    const channels = lines.filter((line) => line.type === 'channel').map((line) => line.data as Json);
    expect(channels[0]).not.toHaveProperty('last_message_at');
    expect(channels[1]!.last_message_at).toBe(spoken!.last_message_at);
    const messages = lines.filter((line) => line.type === 'message').map((line) => line.data as Json);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ cid: spoken!.cid, created_at: spoken!.last_message_at });
  });

  it('refuses a member pool under 3 or over usersCount', async () => {
    const imported = { withMessage: 1, withoutMessage: 1 };
    await expect(startEmulator({ usersCount: 5, importedChannels: { ...imported, memberPool: 2 } })).rejects.toThrow(/memberPool/);
    await expect(startEmulator({ usersCount: 5, importedChannels: { ...imported, memberPool: 6 } })).rejects.toThrow(/memberPool/);
  });
});

describe('user ids in mixed case with -, _ and .', () => {
  it('60 distinct ids whose collation order is not JavaScript’s, listed whole by an id keyset in collation order', async () => {
    const ids = emulator.data.allUsers().map((user) => user.id);
    expect(new Set(ids).size).toBe(60);
    expect(ids.some((id) => /[A-Z]/.test(id)) && ids.some((id) => /^[a-z]/.test(id))).toBe(true);
    for (const separator of ['-', '_', '.'])
      expect(
        ids.some((id) => id.includes(separator)),
        separator,
      ).toBe(true);
    expect(ids).toContain('User-000-a');
    expect(ids).toContain('Ada.Lovelace-2');
    const collated = [...ids].sort(new Intl.Collator('en').compare);
    expect(collated).not.toEqual([...ids].sort());

    const listed: string[] = [];
    for (;;) {
      const last = listed.at(-1);
      const payload = { filter_conditions: last === undefined ? {} : { id: { $gt: last } }, sort: [{ field: 'id', direction: 1 }], limit: 7 };
      const response = await api(emulator, 'GET', `/users?payload=${encodeURIComponent(JSON.stringify(payload))}`);
      const page = (response.json.users as Json[]).map((user) => user.id as string);
      if (page.length === 0) break;
      listed.push(...page);
    }
    expect(listed).toEqual(collated);
  });
});
