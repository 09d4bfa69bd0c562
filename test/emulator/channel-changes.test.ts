import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { api } from './helpers.js';

let emulator: Emulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(): Promise<Emulator> {
  // Whole pages, so that what moves between two pages is the channel change alone.
  emulator = await startEmulator({ seed: 12, channels: 12, messagesPerChannel: 3, taskLatencyMs: 0, shortPages: false });
  return emulator;
}

const byCreatedAt = [{ field: 'created_at', direction: 1 }];

async function page(target: Emulator, offset: number, limit: number): Promise<string[]> {
  const response = await api(target, 'POST', '/channels', { body: { filter_conditions: {}, sort: byCreatedAt, limit, offset } });
  expect(response.status, response.text).toBe(201);
  return (response.json.channels as Record<string, any>[]).map((state) => state.channel.cid as string);
}

describe('a channel hard-deleted between pages of query channels', () => {
  it('is listed until the Nth query-channels request has been answered, then gone; its export fails "Can\'t find channel"', async () => {
    const target = await start();
    const cid = 'messaging:channel-0000';
    target.faults.deleteChannelAfterQueries({ cid, after: 2 });
    expect(await page(target, 0, 30)).toContain(cid);
    expect(await page(target, 0, 30)).toContain(cid);
    expect(target.stats().faultsFired.deleteChannelAfterQueries).toBe(1);
    expect(await page(target, 0, 30)).not.toContain(cid);
    const exported = await api(target, 'POST', '/export_channels', { body: { channels: [{ cid }], version: 'v2' } });
    expect(exported.status).toBe(400);
    expect(exported.json.message).toContain(`Can't find channel with cid "${cid}"`);
    expect([...target.data.channels({ includeSoftDeleted: true })].map((channel) => channel.cid)).not.toContain(cid);
    expect(target.data.message('msg-0-0')).toBeUndefined();
  });

  it('makes offset paging skip the channel that moves into the gap', async () => {
    const target = await start();
    const everyone = await page(target, 0, 30);
    const first = await page(target, 0, 4);
    target.faults.deleteChannelAfterQueries({ cid: first[1]!, after: 0 });
    const second = await page(target, 4, 4);
    expect(second[0]).toBe(everyone[5]);
    const skipped = everyone[4]!;
    expect([...first, ...second]).not.toContain(skipped);
    expect(target.data.channelModel(skipped)).toBeDefined();
  });

  it('data.deleteChannel refuses an unknown cid, and the cid may be used again', async () => {
    const target = await start();
    expect(() => target.data.deleteChannel('messaging:nope')).toThrow(/no channel/);
    target.data.deleteChannel('messaging:channel-0003');
    expect(target.data.channelModel('messaging:channel-0003')).toBeUndefined();
    target.data.addChannel({ type: 'messaging', id: 'channel-0003' });
    expect(target.data.channelModel('messaging:channel-0003')?.generatedMessages).toBe(0);
    expect(await page(target, 0, 30)).toContain('messaging:channel-0003');
  });
});

describe('a channel created between pages of query channels', () => {
  it('appears after the Nth request, where its created_at puts it, shifting later pages', async () => {
    const target = await start();
    const everyone = await page(target, 0, 30);
    const oldest = target.data.channelEntity(target.data.channelModel(everyone[0]!)!).created_at as string;
    const before = new Date(Date.parse(oldest) - 1000).toISOString();
    target.faults.createChannelAfterQueries({ cid: 'team:late', after: 1, createdAt: before, memberIds: ['user-0001'] });
    const first = await page(target, 0, 4);
    expect(first).toEqual(everyone.slice(0, 4));
    expect(target.stats().faultsFired.createChannelAfterQueries).toBe(1);
    const second = await page(target, 4, 4);
    expect(second[0]).toBe(everyone[3]);
    expect((await page(target, 0, 1))[0]).toBe('team:late');
  });

  it('defaults to a channel created now with the first type; refuses a taken cid, a bad cid and a bad count; reset() disarms', async () => {
    const target = await start();
    expect(() => target.faults.createChannelAfterQueries({ cid: 'livestream:channel-0001', after: 1 })).toThrow(/already exists/);
    expect(() => target.faults.createChannelAfterQueries({ cid: 'nocolon', after: 1 })).toThrow(/not a cid/);
    expect(() => target.faults.deleteChannelAfterQueries({ cid: 'messaging:nope', after: 1 })).toThrow(/no channel/);
    expect(() => target.faults.deleteChannelAfterQueries({ cid: 'messaging:channel-0000', after: -1 })).toThrow(/after/);
    target.faults.createChannelAfterQueries({ after: 0 });
    expect(target.data.channelModel('messaging:added-12')).toBeDefined();
    target.faults.deleteChannelAfterQueries({ cid: 'messaging:channel-0000', after: 1 });
    target.faults.reset();
    await page(target, 0, 30);
    expect(await page(target, 0, 30)).toContain('messaging:channel-0000');
  });
});
