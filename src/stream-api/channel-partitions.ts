import { SystemError } from '../errors.js';
import { instantKey } from '../utils/timestamps.js';
import type { ChannelSummary, QueryChannelsBody, QueryChannelsPage, UnlistedGroup } from './channels.js';

// Every channel a filter matches, each once, by what Stream's docs page promises only (stream-export-api.md
// §7.1): filters on instants and `members`, sorts on instants, offsets we never page through. The order
// of ties, short pages and channels deleted between two pages are Stream's own: nothing here leans on them.

export const CHANNELS_PAGE_SIZE = 30;
/** A cheap query names at most this many values in one `$in` (stream-export-api.md §8.4). */
export const CHEAP_IN = 3;

/** What listing one filter needs: its pages, the users a membership split walks, where a group no field separates goes. */
export interface PartitionContext {
  query: QueryChannelsPage;
  /** Every user id of the app (after `after`, when given), a page at a time, in the service's order. */
  userIds: (after?: string) => AsyncIterable<readonly string[]>;
  unlisted: (group: UnlistedGroup) => unknown;
  signal?: AbortSignal | undefined;
}

type Filter = Record<string, unknown>;
/** Lists one group of channels that tie on every field split so far; `next` splits it further. */
type Splitter = (context: PartitionContext, filter: Filter, next: (filter: Filter) => AsyncGenerator<ChannelSummary>) => AsyncGenerator<ChannelSummary>;
type Sortable = 'created_at' | 'last_message_at' | 'updated_at';

/** A keyset field: the value to filter on, and a key that orders as the value does (instants compared as instants). */
interface KeyField {
  name: Sortable;
  value: (channel: ChannelSummary) => string | number | undefined;
  key: (value: string | number) => string | number | undefined;
}

const instant = (value: string | number) => (typeof value === 'string' ? instantKey(value) : undefined);
const CREATED_AT: KeyField = { name: 'created_at', value: (c) => c.created_at, key: instant };
const LAST_MESSAGE_AT: KeyField = { name: 'last_message_at', value: (c) => c.last_message_at, key: instant };
const UPDATED_AT: KeyField = { name: 'updated_at', value: (c) => c.updated_at, key: instant };

/** A query channels request as every listing asks it: ascending on one field, no embedded messages nor members. */
export function queryBody(filter_conditions: Filter, field: Sortable = 'created_at', offset = 0, limit = CHANNELS_PAGE_SIZE): QueryChannelsBody {
  return { filter_conditions, sort: [{ field, direction: 1 }], limit, offset, state: false, watch: false, presence: false, message_limit: 0, member_limit: 0 };
}

/** The filter with one more condition on `field`, beside those it has. */
function narrowed(filter: Filter, field: string, condition: Filter): Filter {
  if (Object.keys(condition).length === 0) return filter;
  const existing = filter[field];
  const merged = existing !== null && typeof existing === 'object' && !Array.isArray(existing) ? { ...existing, ...condition } : condition;
  return { ...filter, [field]: merged };
}

function keyOf(field: KeyField, channel: ChannelSummary): { value: string | number; key: string | number } {
  const value = field.value(channel);
  const key = value === undefined ? undefined : field.key(value);
  if (value === undefined || key === undefined) {
    throw new SystemError(`QueryChannels answered channel ${channel.cid} without a readable ${field.name}, in a listing sorted and filtered on it`, {
      context: { endpoint: 'QueryChannels', cid: channel.cid },
    });
  }
  return { value, key };
}

/**
 * Keyset paging on one field, ascending, never an offset: each page asks for the values from the last
 * one seen (`$gte`). Every group of equal values but the page's last is whole (the page is a prefix of
 * the sorted answer, short or not); the last is asked again with what follows it. A page that is one
 * group only is a group past a page, or the end: `whole` tells which.
 */
function keyset(field: KeyField, first: Filter = {}): Splitter {
  return async function* (context, filter, next) {
    let lower: Filter = first;
    let floor: { key: string | number; strict: boolean } | undefined;
    for (;;) {
      const page = await context.query(queryBody(narrowed(filter, field.name, lower), field.name, 0), context.signal);
      if (page.length === 0) return;
      const keys = page.map((channel) => keyOf(field, channel));
      checkOrder(field, keys, floor);
      const last = keys.at(-1) as { value: string | number; key: string | number };
      const cut = keys.findIndex((key) => key.key === last.key);
      if (cut > 0) {
        yield* page.slice(0, cut);
        lower = { $gte: last.value };
        floor = { key: last.key, strict: false };
        continue;
      }
      yield* whole(context, narrowed(filter, field.name, { $eq: last.value }), field.name, page, next);
      // A filter that pins the field to one value has nothing after that value.
      if ((filter[field.name] as Filter | undefined)?.$eq !== undefined) return;
      lower = { $gt: last.value };
      floor = { key: last.key, strict: true };
    }
  };
}

/** A page must come sorted ascending and within the bound asked: else the listing could loop or skip. */
function checkOrder(field: KeyField, keys: ReadonlyArray<{ key: string | number }>, floor: { key: string | number; strict: boolean } | undefined): void {
  let previous = floor;
  for (const { key } of keys) {
    if (previous !== undefined && (key < previous.key || (previous.strict && key === previous.key))) {
      throw new SystemError(`QueryChannels answered a page not sorted by ${field.name} or outside its filter on ${field.name}: the listing cannot go on`, {
        context: { endpoint: 'QueryChannels' },
      });
    }
    previous = { key, strict: false };
  }
}

/**
 * How many times a group's rows are asked past those seen before it is split as too large to prove whole:
 * with about one answer in five short, a bulk import's thousands of small parts each fail 8 tries in a row
 * about once in 400,000.
 */
const GROUP_ATTEMPTS = 8;

/**
 * One group of channels equal on a field, whose first page is `page`. A page shorter than asked may be
 * all of it or merely short: an empty answer past the rows seen so far proves them whole (however the
 * service orders its ties, no more rows than that offset exist). Otherwise the group is asked again
 * from its start (a short page now and then is the service's way) and its rows added. A group not
 * proved whole within a page's worth of rows and a few tries is split by the next field.
 */
async function* whole(
  context: PartitionContext,
  group: Filter,
  field: Sortable,
  page: ChannelSummary[],
  next: (filter: Filter) => AsyncGenerator<ChannelSummary>,
) {
  const seen = new Map(page.map((channel) => [channel.cid, channel]));
  for (let attempt = 0; seen.size < CHANNELS_PAGE_SIZE && attempt < GROUP_ATTEMPTS; attempt += 1) {
    const beyond = await context.query(queryBody(group, field, seen.size), context.signal);
    if (beyond.length === 0) {
      yield* seen.values();
      return;
    }
    for (const channel of [...beyond, ...(await context.query(queryBody(group, field, 0), context.signal))]) seen.set(channel.cid, channel);
  }
  yield* next(group);
}

/**
 * The channels of one `created_at` instant are split by fields that move while we list (a post moves
 * last_message_at to Stream's now, an edit updated_at): a channel that moves is found again where it
 * moved to, later in the same group. So the group's channels are remembered while it is listed (a group
 * of ties, not the app), and each is given once.
 */
const onceEach: Splitter = async function* (_context, filter, next) {
  const given = new Set<string>();
  for await (const channel of next(filter)) {
    if (given.has(channel.cid)) continue;
    given.add(channel.cid);
    yield channel;
  }
};

/**
 * Channels without a last message first, as one group for the next field; then those with one, by its
 * instant (a channel's first message moves it from the first part to the end of the second).
 */
const byLastMessage: Splitter = async function* (context, filter, next) {
  yield* next(narrowed(filter, 'last_message_at', { $exists: false }));
  yield* keyset(LAST_MESSAGE_AT, { $exists: true })(context, filter, next);
};

/** The end of the splits: channels no documented field tells apart, reported, never skipped silently. */
const unseparated: Splitter = async function* (context, filter) {
  const created = (filter.created_at as { $eq?: unknown } | undefined)?.$eq;
  const page = await context.query(queryBody(filter, 'created_at', 0), context.signal);
  await context.unlisted({ createdAt: typeof created === 'string' ? created : 'unknown', atLeast: page.length, filter });
  yield* [];
};

/**
 * A group no instant separates (a bulk import of channels without messages): one part per user of the
 * app, the channels without a message of that `created_at` the user is a member of (`updated_at` left
 * out, so the part is a cheap query of three conditions); parts overlap, and onceEach gives each
 * channel once. Then the channels of one member or none, which have no second member to split by.
 */
const byMembers: Splitter = async function* (context, filter, next) {
  const part = without(filter, 'updated_at');
  for await (const ids of context.userIds()) {
    for (const id of ids) yield* next(narrowed(part, 'members', { $in: [id] }));
  }
  yield* fewMembers(context, narrowed(filter, 'member_count', { $eq: 1 }), true);
  yield* fewMembers(context, narrowed(filter, 'member_count', { $eq: 0 }), false);
};

/**
 * A user's part past a page: split by a second member, walking the users after that one in the
 * service's order (`$and` of two memberships under the `created_at`: three conditions, a cheap query).
 * A channel of two members or more is in its first member's part, and, when that part is past a page,
 * in the pair of its first two members.
 */
const byPartner: Splitter = async function* (context, filter, next) {
  const member = (filter.members as { $in: string[] }).$in[0] as string;
  const pair = without(filter, 'members', 'last_message_at');
  for await (const ids of context.userIds(member)) {
    for (const id of ids) yield* next({ ...pair, $and: [{ members: { $in: [member] } }, { members: { $in: [id] } }] });
  }
};

/**
 * The channels of the group with one member (split by that member when past a page) or none (nothing
 * left to split by): `member_count`, the one expensive field, in two queries a group.
 */
function fewMembers(context: PartitionContext, filter: Filter, byMember: boolean): AsyncGenerator<ChannelSummary> {
  const lastly = (group: Filter) => unseparated(context, group, () => noChannels());
  if (!byMember) return keyset(CREATED_AT)(context, filter, lastly);
  return keyset(CREATED_AT)(context, filter, async function* (group) {
    for await (const ids of context.userIds()) {
      for (const id of ids) yield* keyset(CREATED_AT)(context, narrowed(group, 'members', { $in: [id] }), lastly);
    }
  });
}

async function* noChannels(): AsyncGenerator<ChannelSummary> {}

/** The filter without some of its keys: a part asked more broadly stays a cheaper query (onceEach drops what it repeats). */
function without(filter: Filter, ...keys: string[]): Filter {
  return Object.fromEntries(Object.entries(filter).filter(([key]) => !keys.includes(key)));
}

/**
 * Channels split by `created_at` (it never changes); a group sharing one instant by `last_message_at`
 * (or none), then `updated_at`, then membership: a member, then a member and one of three others. The
 * membership parts are listed on `created_at`, where all tie: one page each, proved whole.
 */
const LADDER: Splitter[] = [
  keyset(CREATED_AT),
  onceEach,
  byLastMessage,
  keyset(UPDATED_AT),
  byMembers,
  keyset(CREATED_AT),
  byPartner,
  keyset(CREATED_AT),
  unseparated,
];

function splitFrom(step: number, context: PartitionContext): (filter: Filter) => AsyncGenerator<ChannelSummary> {
  return (filter) => (LADDER[step] as Splitter)(context, filter, splitFrom(step + 1, context));
}

/** Every channel the filter matches, each once, in ascending `created_at` (ties in no particular order). */
export function partitionedChannels(context: PartitionContext, filter: Filter): AsyncGenerator<ChannelSummary> {
  return splitFrom(0, context)(filter);
}
