import { afterEach, describe, expect, it } from 'vitest';
import { SystemError } from '../../src/errors.js';
import type { ChannelSummary } from '../../src/stream-api/client.js';
import { StreamApiClient } from '../../src/stream-api/client.js';
import type { RecordedRequest } from './loopback-server.js';
import { sendJson, startServer } from './loopback-server.js';

type Condition = Record<string, unknown>;
type Channel = ChannelSummary & { members: string[] };

interface Body {
  filter_conditions: Condition;
  sort: { field: string; direction: number }[];
  limit: number;
  offset: number;
}

/** Stream's query-channels docs page (stream-export-api.md §7.1): the operators each field takes, no others. */
const OPERATORS: Record<string, string[]> = {
  cid: ['$in', '$eq'],
  type: ['$in', '$eq'],
  created_at: ['$eq', '$gt', '$lt', '$gte', '$lte', '$exists'],
  last_message_at: ['$eq', '$gt', '$lt', '$gte', '$lte', '$exists'],
  updated_at: ['$eq', '$gt', '$lt', '$gte', '$lte'],
  member_count: ['$eq', '$gt', '$lt', '$gte', '$lte'],
  members: ['$in'],
};
const SORTS = ['last_updated', 'last_message_at', 'updated_at', 'created_at', 'member_count'];

class Refused extends Error {}

function valueOf(channel: Channel, field: string): string | number | string[] | undefined {
  if (field === 'members') return channel.members;
  if (field === 'member_count') return channel.members.length;
  return channel[field as keyof ChannelSummary];
}

const parsed = new Map<string, number>();
function comparable(value: unknown): string | number {
  if (typeof value !== 'string' || !/^\d{4}-/.test(value)) return value as string | number;
  const known = parsed.get(value) ?? Date.parse(value);
  parsed.set(value, known);
  return known;
}

function test(operator: string, got: string | number | string[] | undefined, wanted: unknown): boolean {
  if (operator === '$exists') return (got !== undefined) === wanted;
  if (got === undefined) return false;
  if (operator === '$in') return Array.isArray(got) ? got.some((value) => (wanted as unknown[]).includes(value)) : (wanted as unknown[]).includes(got);
  const [a, b] = [comparable(got), comparable(wanted)];
  if (operator === '$eq') return a === b;
  if (operator === '$gt') return a > b;
  if (operator === '$gte') return a >= b;
  if (operator === '$lt') return a < b;
  return a <= b;
}

function matches(channel: Channel, filter: Condition): boolean {
  return Object.entries(filter).every(([field, condition]) => {
    if (field === '$or') return (condition as Condition[]).some((branch) => matches(channel, branch));
    if (field === '$and') return (condition as Condition[]).every((branch) => matches(channel, branch));
    const allowed = OPERATORS[field];
    if (allowed === undefined) throw new Refused(`field ${field} is not supported`);
    return Object.entries(condition as Condition).every(([operator, wanted]) => {
      if (!allowed.includes(operator)) throw new Refused(`operator ${operator} is not supported for field ${field}`);
      return test(operator, valueOf(channel, field), wanted);
    });
  });
}

function hash(text: string, salt: number): number {
  let value = salt + 1;
  for (const char of text) value = Math.imul(value ^ char.charCodeAt(0), 2_654_435_761) >>> 0;
  return value;
}

interface Unknowns {
  /** Ties in another order on every request. */
  shuffle?: boolean;
  /** About one answer in that many (at random) is cut to a prefix of half the page. */
  shortEvery?: number;
  /** Called before each answer, with the request's index: a fault may change the channels. */
  before?: (index: number, channels: Channel[]) => void;
}

/**
 * Answers POST /channels as strictly as Stream's docs page: its operators field by field, its sort
 * fields, limit ≤ 30, offset ≤ 1000; ties in its own order, short pages now and then. GET /users lists
 * the members' ids by id keyset.
 */
async function streamServer(channels: Channel[], unknowns: Unknowns = {}) {
  let queries = 0;
  return startServer((request: RecordedRequest, response) => {
    const refuse = (detail: string) => sendJson(response, 400, { code: 4, message: `QueryChannels failed with error: "${detail}"`, StatusCode: 400 });
    if (request.method === 'GET') return sendJson(response, 200, { users: usersPage(channels, request) });
    const index = queries++;
    unknowns.before?.(index, channels);
    const body = JSON.parse(request.body) as Body;
    if (body.limit > 30 || body.offset > 1_000) return refuse('offset/limit too large');
    const sort = body.sort[0]?.field ?? 'last_updated';
    if (!SORTS.includes(sort)) return refuse(`sort field ${sort} is not supported`);
    let found: Channel[];
    try {
      found = channels.filter((channel) => matches(channel, body.filter_conditions));
    } catch (error) {
      if (error instanceof Refused) return refuse(error.message);
      throw error;
    }
    const salt = unknowns.shuffle === true ? index : 0;
    const keyed = found.map((channel) => ({ channel, key: comparable(valueOf(channel, sort) ?? ''), tie: hash(channel.cid, salt) }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.tie - b.tie));
    let page = keyed.slice(body.offset, body.offset + body.limit).map(({ channel }) => channel);
    if (unknowns.shortEvery !== undefined && hash(String(index), 7) % unknowns.shortEvery === 0 && page.length > 1) page = page.slice(0, page.length >> 1);
    sendJson(response, 201, {
      channels: page.map(({ members, ...channel }) => ({
        channel: { ...channel, member_count: members.length, frozen: false, disabled: false },
        members: [],
        messages: [],
      })),
      duration: '1.00ms',
    });
  });
}

function usersPage(channels: Channel[], request: RecordedRequest): { id: string }[] {
  const payload = JSON.parse(request.url.searchParams.get('payload') ?? '{}') as { filter_conditions: { id?: { $gt?: string } } };
  const after = payload.filter_conditions.id?.$gt;
  const ids = [...new Set(channels.flatMap((channel) => channel.members))].sort();
  return ids
    .filter((id) => after === undefined || id > after)
    .slice(0, 100)
    .map((id) => ({ id }));
}

/** A well-spread pseudo-random number from an integer (a 32-bit finaliser), for members drawn at random. */
function mix(n: number): number {
  let x = Math.imul(n ^ (n >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

const BASE = Date.UTC(2024, 0, 1);
const at = (seconds: number) => new Date(BASE + seconds * 1000).toISOString();

/** `count` channels over 3 types; every `tie` of them share one created_at; no message, no member. */
function dataset(count: number, tie: number): Channel[] {
  const types = ['messaging', 'team', 'livestream'];
  return Array.from({ length: count }, (_, index) => {
    const type = types[index % 3] as string;
    const id = `ch-${String((index * 7919) % 100_000).padStart(5, '0')}`;
    return { cid: `${type}:${id}`, type, id, created_at: at(Math.floor(index / tie)), updated_at: at(Math.floor(index / tie)), members: [] };
  });
}

/** A bulk import: every channel shares one created_at; some have a message each, the rest none, one updated_at, members from `users`. */
function bulkImport(withMessages: number, without: number, users: number): Channel[] {
  const created = at(0);
  const posted = Array.from({ length: withMessages }, (_, index): Channel => {
    const id = `Room-${index}`;
    return { cid: `messaging:${id}`, type: 'messaging', id, created_at: created, updated_at: at(10 + index), last_message_at: at(10 + index), members: [] };
  });
  const quiet = Array.from({ length: without }, (_, index): Channel => {
    const id = `quiet_${index}`;
    const size = 3 + (index % 4);
    const members = Array.from({ length: size }, (_, k) => `user-${String(mix(index * 8 + k) % users).padStart(2, '0')}`);
    return { cid: `team:${id}`, type: 'team', id, created_at: created, updated_at: at(5), members: [...new Set(members)] };
  });
  return [...posted, ...quiet];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function setup(channels: Channel[], unknowns: Unknowns = {}) {
  const server = await streamServer(channels, unknowns);
  const logs: string[] = [];
  const client = new StreamApiClient({ apiKey: 'k', apiSecret: 's', baseUrl: server.url, onLog: (_level, message) => void logs.push(message) });
  cleanups.push(
    () => client.close(),
    () => server.close(),
  );
  const bodies = () => server.requests.filter((request) => request.method === 'POST').map((request) => JSON.parse(request.body) as Body);
  return { server, client, bodies, logs };
}

async function collect(iterable: AsyncIterable<ChannelSummary>): Promise<ChannelSummary[]> {
  const items: ChannelSummary[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const cidsOf = (channels: readonly ChannelSummary[]) => channels.map((channel) => channel.cid);
const sorted = (channels: readonly ChannelSummary[]) => cidsOf(channels).sort();

/** Each channel once, in ascending created_at. */
function expectListed(listed: readonly ChannelSummary[], expected: readonly ChannelSummary[]): void {
  expect(cidsOf(listed).sort()).toEqual(sorted(expected));
  const instants = listed.map((channel) => Date.parse(channel.created_at ?? ''));
  expect(instants).toEqual([...instants].sort((a, b) => a - b));
}

describe('listChannels', () => {
  it('lists channels created one by one by created_at ranges, no offset, about one request a 29 channels', async () => {
    const channels = dataset(2_100, 1);
    const { client, bodies } = await setup(channels);
    expectListed(await collect(client.listChannels({})), channels);
    const asked = bodies();
    expect(asked.every((body) => body.offset <= 30 && body.limit === 30)).toBe(true);
    expect(asked[0]).toMatchObject({ filter_conditions: {}, sort: [{ field: 'created_at', direction: 1 }], state: false, watch: false, presence: false });
    expect(asked.length).toBeLessThanOrEqual(Math.ceil(2_100 / 29) + 3);
  });

  it('lists every channel once when ties come in another order on every request and pages are short now and then', async () => {
    const channels = dataset(700, 20);
    const { client } = await setup(channels, { shuffle: true, shortEvery: 3 });
    expectListed(await collect(client.listChannels({})), channels);
  });

  it('lists a bulk import whose channels share one created_at: by last message, then updated_at, then membership', async () => {
    const channels = bulkImport(400, 600, 30);
    const { client, bodies } = await setup(channels, { shuffle: true, shortEvery: 4 });
    expectListed(await collect(client.listChannels({})), channels);
    for (const body of bodies()) expect(body.offset).toBeLessThanOrEqual(30);
  });

  it('lists every live channel when one is deleted between two pages', async () => {
    const channels = dataset(240, 1);
    const deleted = channels[40] as Channel;
    const { client } = await setup(channels, {
      before: (index, live) => {
        if (index === 1) live.splice(live.indexOf(deleted), 1);
      },
    });
    expectListed(
      await collect(client.listChannels({})),
      dataset(240, 1).filter((channel) => channel.cid !== deleted.cid),
    );
  });

  it('reports a group no documented field separates, after listing every other channel', async () => {
    const same = Array.from({ length: 40 }, (_, index): Channel => ({
      cid: `t:s${index}`,
      type: 't',
      id: `s${index}`,
      created_at: at(1),
      updated_at: at(1),
      members: ['u'],
    }));
    const others = dataset(60, 1).map((channel) => ({ ...channel, created_at: at(100 + Date.parse(channel.created_at ?? '') / 1000) }));
    const { client } = await setup([...same, ...others]);
    const unlisted: unknown[] = [];
    const listed = await collect(client.listChannels({ onUnlisted: (group) => unlisted.push(group) }));
    expect(sorted(listed)).toEqual(sorted(others));
    expect(unlisted).toEqual([expect.objectContaining({ createdAt: at(1), atLeast: 30 })]);
    const error = await collect(client.listChannels({})).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SystemError);
    expect(String(error)).toMatch(/at least 30 channels share created_at 2024-01-01T00:00:01.000Z/);
  });

  it('lists only the given types', async () => {
    const channels = dataset(130, 7);
    const { client, bodies } = await setup(channels);
    const listed = await collect(client.listChannels({ types: ['team', 'livestream'] }));
    expectListed(
      listed,
      channels.filter((channel) => channel.type !== 'messaging'),
    );
    expect(bodies()[0]?.filter_conditions.type).toEqual({ $in: ['team', 'livestream'] });
  });

  it('ANDs more conditions to every page', async () => {
    const { client, bodies } = await setup(dataset(50, 1));
    await collect(client.listChannels({ types: ['team'], where: { $or: [{ updated_at: { $gt: at(10) } }] } }));
    for (const body of bodies()) expect(body.filter_conditions).toMatchObject({ type: { $in: ['team'] }, $or: [{ updated_at: { $gt: at(10) } }] });
  });

  it('lists exactly the given cids in created_at order, asks again those a short answer left out, and reports those Stream does not know', async () => {
    const channels = dataset(200, 3);
    const { client, logs } = await setup(channels, { shortEvery: 2, shuffle: true });
    const wanted = cidsOf(channels.slice(0, 45));
    const missing: string[][] = [];
    const listed = await collect(client.listChannels({ cids: [...wanted, 'messaging:ghost', wanted[0] as string], onMissing: (cids) => missing.push(cids) }));
    expectListed(listed, channels.slice(0, 45));
    expect(missing).toEqual([['messaging:ghost']]);
    expect(logs.some((line) => line.includes('messaging:ghost'))).toBe(true);
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
    const { client } = await setup([{ cid: 'messaging:a', type: 'messaging', id: 'a', created_at: '2025-01-23T13:05:35.310709Z', members: [] }]);
    expect(await collect(client.listChannels({}))).toEqual([
      { cid: 'messaging:a', type: 'messaging', id: 'a', created_at: '2025-01-23T13:05:35.310709Z', member_count: 0 },
    ]);
  });

  it('fails rather than loops when Stream answers the same channels whatever the filter', async () => {
    const stuck = Array.from({ length: 30 }, (_, index) => ({
      channel: { cid: `messaging:${String(index).padStart(2, '0')}`, type: 'messaging', id: String(index), created_at: at(index) },
    }));
    const server = await startServer((_request, response) => sendJson(response, 201, { channels: stuck }));
    const client = new StreamApiClient({ apiKey: 'k', apiSecret: 's', baseUrl: server.url });
    cleanups.push(
      () => client.close(),
      () => server.close(),
    );
    const error = await collect(client.listChannels({})).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SystemError);
    expect(String(error)).toMatch(/not sorted by created_at or outside its filter/);
    expect(server.requests).toHaveLength(2);
  });
});
