import { afterEach, describe, expect, it } from 'vitest';
import { SystemError } from '../../src/errors.js';
import type { ChannelSummary } from '../../src/stream-api/client.js';
import { StreamApiClient } from '../../src/stream-api/client.js';
import type { RecordedRequest } from './loopback-server.js';
import { sendJson, startServer } from './loopback-server.js';

interface Body {
  filter_conditions: { type?: { $in: string[] }; cid?: { $in: string[] }; created_at?: { $gte: string } };
  sort: { field: string; direction: number }[];
  limit: number;
  offset: number;
}

/** 1 130 channels over 3 types; runs of up to 70 share one created_at, so pages end mid-timestamp. */
function dataset(): ChannelSummary[] {
  const channels: ChannelSummary[] = [];
  const types = ['messaging', 'team', 'livestream'];
  let second = 0;
  for (let index = 0; index < 1_130; index += 1) {
    const inLongRun = (index > 500 && index < 570) || (index > 990 && index < 1_040);
    if (!inLongRun && index % 7 === 3) second += 1;
    const type = types[index % 3] as string;
    const id = `ch-${String((index * 7919) % 10_000).padStart(4, '0')}`;
    const created = new Date(Date.UTC(2024, 0, 1) + second * 1_000).toISOString();
    channels.push({ cid: `${type}:${id}`, type, id, created_at: created });
  }
  return channels;
}

function compare(a: ChannelSummary, b: ChannelSummary): number {
  return Date.parse(a.created_at) - Date.parse(b.created_at) || (a.cid < b.cid ? -1 : a.cid > b.cid ? 1 : 0);
}

/** Answers POST /channels like Stream: filters, sort, limit ≤ 30, offset ≤ 1000. */
async function queryChannelsServer(channels: ChannelSummary[]) {
  return startServer((request: RecordedRequest, response) => {
    const body = JSON.parse(request.body) as Body;
    if (body.limit > 30 || body.offset > 1_000) {
      return sendJson(response, 400, { code: 4, message: 'QueryChannels failed with error: "offset/limit too large"', StatusCode: 400 });
    }
    const { type, cid, created_at: createdAt } = body.filter_conditions;
    const page = channels
      .filter((channel) => type === undefined || type.$in.includes(channel.type))
      .filter((channel) => cid === undefined || cid.$in.includes(channel.cid))
      .filter((channel) => createdAt === undefined || Date.parse(channel.created_at) >= Date.parse(createdAt.$gte))
      .sort(compare)
      .slice(body.offset, body.offset + body.limit);
    sendJson(response, 201, {
      channels: page.map((channel) => ({ channel: { ...channel, frozen: false, disabled: false }, members: [], messages: [], pinned_messages: [] })),
      duration: '1.00ms',
    });
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function setup(channels: ChannelSummary[]) {
  const server = await queryChannelsServer(channels);
  const client = new StreamApiClient({ apiKey: 'k', apiSecret: 's', baseUrl: server.url });
  cleanups.push(
    () => client.close(),
    () => server.close(),
  );
  return { server, client };
}

async function collect(iterable: AsyncIterable<ChannelSummary>): Promise<ChannelSummary[]> {
  const items: ChannelSummary[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('listChannels', () => {
  it('lists more than 1 000 channels once each, in order, without offsets past 1 000', async () => {
    const channels = dataset();
    const runs = new Map<string, number>();
    for (const channel of channels) runs.set(channel.created_at, (runs.get(channel.created_at) ?? 0) + 1);
    expect(Math.max(...runs.values())).toBeGreaterThan(60);
    const { server, client } = await setup(channels);
    const listed = await collect(client.listChannels({}));

    expect(listed.map((channel) => channel.cid)).toEqual([...channels].sort(compare).map((channel) => channel.cid));
    const bodies = server.requests.map((request) => JSON.parse(request.body) as Body);
    expect(Math.max(...bodies.map((body) => body.offset))).toBeLessThanOrEqual(1_000);
    expect(bodies.every((body) => body.limit === 30)).toBe(true);
    expect(bodies[0]).toMatchObject({
      filter_conditions: {},
      sort: [
        { field: 'created_at', direction: 1 },
        { field: 'cid', direction: 1 },
      ],
      state: false,
      watch: false,
      presence: false,
    });
  });

  it('lists only the given types', async () => {
    const channels = dataset();
    const { server, client } = await setup(channels);
    const listed = await collect(client.listChannels({ types: ['team', 'livestream'] }));

    const expected = channels.filter((channel) => channel.type !== 'messaging').sort(compare);
    expect(listed.map((channel) => channel.cid)).toEqual(expected.map((channel) => channel.cid));
    expect((JSON.parse(server.requests[0]?.body ?? '') as Body).filter_conditions.type).toEqual({ $in: ['team', 'livestream'] });
  });

  it('lists exactly the given cids and reports those Stream does not know', async () => {
    const channels = dataset();
    const { client } = await setup(channels);
    const wanted = channels.slice(0, 45).map((channel) => channel.cid);
    const missing: string[][] = [];
    const logs: string[] = [];
    const clientWithLog = new StreamApiClient({ ...client.options, onLog: (_level, message) => void logs.push(message) });
    cleanups.push(() => clientWithLog.close());

    const listed = await collect(
      clientWithLog.listChannels({ cids: [...wanted, 'messaging:ghost', wanted[0] as string], onMissing: (cids) => missing.push(cids) }),
    );

    expect(listed.map((channel) => channel.cid).sort()).toEqual([...wanted].sort());
    expect(missing).toEqual([['messaging:ghost']]);
    expect(logs.some((line) => line.includes('messaging:ghost'))).toBe(true);
  });

  it('names the missing channels in the order given, and asks nothing for none', async () => {
    const channels = dataset();
    const { server, client } = await setup(channels);
    const known = channels[5]?.cid as string;
    expect(await client.missingChannels(['team:ghost-b', known, 'messaging:ghost-a'])).toEqual(['team:ghost-b', 'messaging:ghost-a']);
    const asked = server.requests.length;
    expect(await client.missingChannels([])).toEqual([]);
    expect(server.requests.length).toBe(asked);
  });

  it('yields the summary fields of each channel', async () => {
    const { client } = await setup([{ cid: 'messaging:a', type: 'messaging', id: 'a', created_at: '2025-01-23T13:05:35.310709Z' }]);
    expect(await collect(client.listChannels({}))).toEqual([{ cid: 'messaging:a', type: 'messaging', id: 'a', created_at: '2025-01-23T13:05:35.310709Z' }]);
  });

  it('fails rather than loops when Stream keeps answering channels already listed', async () => {
    const stuck = Array.from({ length: 30 }, (_, index) => ({
      channel: { cid: `messaging:${index}`, type: 'messaging', id: String(index), created_at: '2025-01-01T00:00:00Z' },
    }));
    const server = await startServer((_request, response) => sendJson(response, 201, { channels: stuck }));
    const client = new StreamApiClient({ apiKey: 'k', apiSecret: 's', baseUrl: server.url });
    cleanups.push(
      () => client.close(),
      () => server.close(),
    );
    await expect(collect(client.listChannels({}))).rejects.toBeInstanceOf(SystemError);
    expect(server.requests).toHaveLength(2);
  });
});
