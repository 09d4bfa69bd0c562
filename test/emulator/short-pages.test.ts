import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { api } from './helpers.js';

let short: Emulator;
let whole: Emulator;

// These tests walk many pages in a burst; the per-second limits are beside the point (rate-limits.test.ts has them).
const noPerSecond = { rateLimits: { perSecond: false } };

beforeAll(async () => {
  [short, whole] = await Promise.all([
    startEmulator({ seed: 21, channels: 40, messagesPerChannel: 1, usersCount: 60, ...noPerSecond }),
    startEmulator({ seed: 21, channels: 40, messagesPerChannel: 1, usersCount: 60, shortPages: false, ...noPerSecond }),
  ]);
});

afterAll(async () => {
  await Promise.all([short.close(), whole.close()]);
});

// Sorts without ties, so that both emulators order the rows alike and only the cut differs.
const channelsAt = async (target: Emulator, offset: number) =>
  (
    await api(target, 'POST', '/channels', { body: { filter_conditions: {}, sort: [{ field: 'created_at', direction: 1 }], limit: 10, offset } })
  ).json.channels.map((state: Record<string, any>) => state.channel.cid as string) as string[];
const usersAt = async (target: Emulator, offset: number) => {
  const payload = { filter_conditions: {}, sort: [{ field: 'id', direction: 1 }], limit: 20, offset };
  return (await api(target, 'GET', `/users?payload=${encodeURIComponent(JSON.stringify(payload))}`)).json.users.map(
    (user: Record<string, any>) => user.id as string,
  ) as string[];
};

describe('short pages before the end', () => {
  for (const [name, at, limit] of [
    ['query channels', channelsAt, 10],
    ['query users', usersAt, 20],
  ] as const) {
    it(`${name}: about one answer in five is a non-empty prefix of its page though more rows follow`, async () => {
      let shortened = 0;
      for (let request = 0; request < 40; request++) {
        const offset = request % 2 === 0 ? 0 : 10;
        const [got, full] = [await at(short, offset), await at(whole, offset)];
        expect(full).toHaveLength(limit);
        expect(got.length, `request ${request}`).toBeGreaterThan(0);
        expect(full.slice(0, got.length)).toEqual(got);
        if (got.length < full.length) shortened++;
      }
      expect(shortened).toBeGreaterThanOrEqual(3);
      expect(shortened).toBeLessThanOrEqual(16);
    });
  }

  it('never answers empty while rows remain at the offset, and a page of one row stays whole', async () => {
    for (let request = 0; request < 30; request++) {
      expect(await channelsAt(short, 35)).toHaveLength(1);
      expect((await channelsAt(short, 30)).length).toBeGreaterThan(0);
    }
  });

  it('shortPages: false answers whole pages every time', async () => {
    for (let request = 0; request < 30; request++) expect(await channelsAt(whole, 0)).toHaveLength(10);
  });
});
