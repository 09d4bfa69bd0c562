import { afterEach, describe, expect, it } from 'vitest';
import { SystemError } from '../../src/errors.js';
import type { ChannelSummary } from '../../src/stream-api/client.js';
import { StreamApiClient } from '../../src/stream-api/client.js';
import type { RecordedRequest } from './loopback-server.js';
import { sendJson, startServer } from './loopback-server.js';

type Condition = Record<string, unknown>;

interface Body {
  filter_conditions: { type?: { $in: string[] }; cid?: { $in?: string[]; $gt?: string; $lte?: string } } & Condition;
  sort: { field: string; direction: number }[];
  limit: number;
  offset: number;
}

const DOCUMENTED_SORT = ['last_updated', 'last_message_at', 'updated_at', 'created_at', 'member_count', 'unread_count', 'has_unread'];
const CID_OPERATORS = ['$eq', '$exists', '$gt', '$gte', '$in', '$lt', '$lte'];

/** `count` channels over 3 types, ids in no order; every `tie` of them share one created_at. */
function dataset(count: number, tie: number): ChannelSummary[] {
  const types = ['messaging', 'team', 'livestream'];
  return Array.from({ length: count }, (_, index) => {
    const type = types[index % 3] as string;
    const id = `ch-${String((index * 7919) % 100_000).padStart(5, '0')}`;
    const created = new Date(Date.UTC(2024, 0, 1) + Math.floor(index / tie) * 1_000).toISOString();
    return { cid: `${type}:${id}`, type, id, created_at: created };
  });
}

function hash(text: string, salt: number): number {
  let value = salt;
  for (const char of text) value = Math.imul(value ^ char.charCodeAt(0), 2_654_435_761) >>> 0;
  return value;
}

/**
 * Answers POST /channels as strictly as Stream documents it: documented sort fields and cid operators
 * only, limit ≤ 30, offset ≤ 1000, ties in its own order — the same on every request, or (`shuffle`)
 * another one each time.
 */
async function queryChannelsServer(channels: ChannelSummary[], { shuffle = false } = {}) {
  return startServer((request: RecordedRequest, response, index) => {
    const body = JSON.parse(request.body) as Body;
    const refuse = (detail: string) => sendJson(response, 400, { code: 4, message: `QueryChannels failed with error: "${detail}"`, StatusCode: 400 });
    if (body.limit > 30 || body.offset > 1_000) return refuse('offset/limit too large');
    const unsorted = body.sort.find((sort) => !DOCUMENTED_SORT.includes(sort.field));
    if (unsorted !== undefined) return refuse(`sort field ${unsorted.field} is not supported`);
    const { type, cid } = body.filter_conditions;
    const operator = Object.keys(cid ?? {}).find((key) => !CID_OPERATORS.includes(key));
    if (operator !== undefined) return refuse(`operator ${operator} is not supported for field cid`);
    const salt = shuffle ? index : 0;
    const page = channels
      .filter((channel) => type === undefined || type.$in.includes(channel.type))
      .filter((channel) => cid?.$in === undefined || cid.$in.includes(channel.cid))
      .filter((channel) => cid?.$gt === undefined || channel.cid > cid.$gt)
      .filter((channel) => cid?.$lte === undefined || channel.cid <= cid.$lte)
      .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || hash(a.cid, salt) - hash(b.cid, salt))
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

async function setup(channels: ChannelSummary[], options: { shuffle?: boolean } = {}) {
  const server = await queryChannelsServer(channels, options);
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

const cidsOf = (channels: readonly ChannelSummary[]) => channels.map((channel) => channel.cid);

describe('listChannels', () => {
  it('lists 1,600 channels sharing one created_at once each, in ascending cid order, by documented sort and filters only', async () => {
    const channels = dataset(1_600, 1_600);
    const { server, client } = await setup(channels);
    const listed = await collect(client.listChannels({}));

    expect(cidsOf(listed)).toEqual(cidsOf(channels).sort());
    const bodies = server.requests.map((request) => JSON.parse(request.body) as Body);
    expect(Math.max(...bodies.map((body) => body.offset))).toBeLessThanOrEqual(1_000);
    expect(bodies.every((body) => body.limit === 30)).toBe(true);
    expect(bodies[0]).toMatchObject({ filter_conditions: {}, sort: [{ field: 'created_at', direction: 1 }], state: false, watch: false, presence: false });
    // Ideal paging would take 54 pages; splitting ranges costs about twice that.
    expect(bodies.length).toBeLessThan(54 * 3);
  });

  it('lists every channel once when ties come in another order on every request', async () => {
    const channels = dataset(700, 100);
    const { client } = await setup(channels, { shuffle: true });
    expect(cidsOf(await collect(client.listChannels({})))).toEqual(cidsOf(channels).sort());
  });

  it('lists more than 1,000 channels created one by one, in cid order', async () => {
    const channels = dataset(1_130, 1);
    const { client } = await setup(channels);
    expect(cidsOf(await collect(client.listChannels({})))).toEqual(cidsOf(channels).sort());
  });

  it('lists only the given types', async () => {
    const channels = dataset(1_130, 70);
    const { server, client } = await setup(channels);
    const listed = await collect(client.listChannels({ types: ['team', 'livestream'] }));

    expect(cidsOf(listed)).toEqual(cidsOf(channels.filter((channel) => channel.type !== 'messaging')).sort());
    expect((JSON.parse(server.requests[0]?.body ?? '') as Body).filter_conditions.type).toEqual({ $in: ['team', 'livestream'] });
  });

  it('ANDs more conditions to every page', async () => {
    const { server, client } = await setup(dataset(50, 1));
    await collect(client.listChannels({ types: ['team'], where: { $or: [{ last_message_at: { $gt: '2024-01-01T00:00:00Z' } }] } }));
    for (const request of server.requests) {
      expect((JSON.parse(request.body) as Body).filter_conditions).toMatchObject({
        type: { $in: ['team'] },
        $or: [{ last_message_at: { $gt: '2024-01-01T00:00:00Z' } }],
      });
    }
  });

  it('lists exactly the given cids, in cid order, one request a 30, and reports those Stream does not know', async () => {
    const channels = dataset(200, 200);
    const { server, client } = await setup(channels);
    const wanted = cidsOf(channels.slice(0, 45));
    const missing: string[][] = [];
    const logs: string[] = [];
    const clientWithLog = new StreamApiClient({ ...client.options, onLog: (_level, message) => void logs.push(message) });
    cleanups.push(() => clientWithLog.close());

    const listed = await collect(
      clientWithLog.listChannels({ cids: [...wanted, 'messaging:ghost', wanted[0] as string], onMissing: (cids) => missing.push(cids) }),
    );

    expect(cidsOf(listed)).toEqual([...wanted].sort());
    expect(missing).toEqual([['messaging:ghost']]);
    expect(logs.some((line) => line.includes('messaging:ghost'))).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it('names the missing channels in the order given, and asks nothing for none', async () => {
    const channels = dataset(20, 1);
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

  it('fails rather than loops when Stream answers the same channels whatever the filter', async () => {
    const stuck = Array.from({ length: 30 }, (_, index) => ({
      channel: { cid: `messaging:${String(index).padStart(2, '0')}`, type: 'messaging', id: String(index), created_at: '2025-01-01T00:00:00Z' },
    }));
    const server = await startServer((_request, response) => sendJson(response, 201, { channels: stuck }));
    const client = new StreamApiClient({ apiKey: 'k', apiSecret: 's', baseUrl: server.url });
    cleanups.push(
      () => client.close(),
      () => server.close(),
    );
    const error = await collect(client.listChannels({})).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SystemError);
    expect(String(error)).toMatch(/ignored the filter/);
    expect(server.requests).toHaveLength(3);
  });
});
