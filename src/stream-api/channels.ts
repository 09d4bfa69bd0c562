import { z } from 'zod';
import { SystemError } from '../errors.js';
import { chunk } from '../utils/chunk.js';
import { Instant } from '../utils/instant.js';
import type { Log } from './api-transport.js';
import { CHANNELS_PAGE_SIZE, CHEAP_IN, partitionedChannels, queryBody } from './channel-partitions.js';

export { CHANNELS_PAGE_SIZE, CHEAP_IN } from './channel-partitions.js';

/** A channel as query channels lists it: enough to place it in the plan. */
export interface ChannelSummary {
  cid: string;
  type: string;
  id: string;
  /** Absent only for a channel taken as named, without asking Stream. */
  created_at?: string;
  updated_at?: string;
  last_message_at?: string;
  member_count?: number;
  /** Given by Stream only where the app counts messages. */
  message_count?: number;
}

/** Channels that share one `created_at` and that no documented field tells apart: not listed. */
export interface UnlistedGroup {
  createdAt: string;
  /** At least this many channels share it. */
  atLeast: number;
  filter: Record<string, unknown>;
}

export interface ChannelFilter {
  /** Every channel of these types; all types when absent or empty. */
  types?: string[];
  /** Exactly these channels (wins over types). */
  cids?: string[];
  /** More conditions, ANDed to the above (e.g. an `$or` on activity). Unknown cids are then not reported. */
  where?: Record<string, unknown>;
  /** Called once, after the listing, with the cids Stream does not know (also logged as a WARN). */
  onMissing?: (cids: string[]) => void;
  /** Past this many channels' worth of pages one listing fails (default MAX_LISTED_CHANNELS). */
  maxListed?: number;
  /** Called for each group of channels the listing could not separate (also logged as a WARN); the listing goes on. */
  onUnlisted?: (group: UnlistedGroup) => unknown;
}

export interface QueryChannelsBody {
  filter_conditions: Record<string, unknown>;
  sort: { field: string; direction: 1 | -1 }[];
  limit: number;
  offset: number;
  state: false;
  watch: false;
  presence: false;
  /** No embedded messages nor members: the listing reads none, and the API budget pays for them. */
  message_limit: 0;
  member_limit: 0;
}

export type QueryChannelsPage = (body: QueryChannelsBody, signal?: AbortSignal) => Promise<ChannelSummary[]>;

/** What a listing asks Stream: pages of query channels, and every user id (a group split by membership walks them). */
export interface ListingSources {
  query: QueryChannelsPage;
  userIds: (after: string | undefined, signal?: AbortSignal) => AsyncIterable<readonly string[]>;
  log?: Log | undefined;
}

export const queryChannelsResponseSchema = z.looseObject({
  channels: z.array(
    z.looseObject({
      channel: z.looseObject({
        cid: z.string(),
        type: z.string(),
        id: z.string(),
        created_at: z.string(),
        updated_at: z.string().nullish(),
        last_message_at: z.string().nullish(),
        member_count: z.number().nullish(),
        message_count: z.number().nullish(),
      }),
    }),
  ),
});

/**
 * More channels than one listing may return: far past the apps Stream serves (10⁷ channels), and a
 * bound on a query channels that would page forever.
 */
export const MAX_LISTED_CHANNELS = 10_000_000;

/** The query, failing once it has answered more pages than `maxListed` channels and their splits could need. */
function bounded(query: QueryChannelsPage, maxListed: number): QueryChannelsPage {
  const maxPages = Math.ceil(maxListed / CHANNELS_PAGE_SIZE) * 4 + 100;
  let pages = 0;
  return (body, signal) => {
    pages += 1;
    if (pages > maxPages) {
      throw new SystemError(`QueryChannels answered ${maxPages} pages and the listing still has more, past the ${maxListed} channels any app holds: stopped`, {
        context: { endpoint: 'QueryChannels', pages: maxPages },
      });
    }
    return query(body, signal);
  };
}

/** A channel's created_at; undefined for one named and not asked of Stream (or unreadable), which comes first. */
export function createdOf(channel: ChannelSummary): Instant | undefined {
  return channel.created_at === undefined ? undefined : Instant.parse(channel.created_at);
}

/** The listing's order: by created_at, channels without one first. */
export function compareCreated(a: Instant | undefined, b: Instant | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 0 : 1) - (b === undefined ? 0 : 1);
  return a.compare(b);
}

/** What to say of groups the listing could not separate. */
export function unlistedMessage(groups: readonly UnlistedGroup[]): string {
  const counts = new Map<string, number>();
  for (const group of groups) counts.set(group.createdAt, (counts.get(group.createdAt) ?? 0) + group.atLeast);
  const each = [...counts].map(([createdAt, atLeast]) => `at least ${atLeast} channels share created_at ${createdAt}`);
  return `Query channels cannot list every channel: ${each.join('; ')}, and no filter Stream documents tells them apart (they have no message, one updated_at and the same members); every other channel was listed`;
}

/**
 * Named channels: `cid $in` three at a time (a cheap query's most); those an answer leaves out are asked again until
 * an answer is empty (a short answer proves nothing). Held whole — there are no more of them than the
 * config or the state names — and given in `created_at` order.
 */
async function namedChannels(query: QueryChannelsPage, where: Record<string, unknown>, cids: readonly string[], signal?: AbortSignal) {
  const found: ChannelSummary[] = [];
  const missing = new Set(cids);
  for (const asked of chunk([...missing], CHEAP_IN)) {
    let open = asked;
    while (open.length > 0) {
      const filter_conditions = { ...where, cid: { $in: open } };
      const page = await query(queryBody(filter_conditions), signal);
      if (page.length === 0) break;
      for (const channel of page) {
        if (!open.includes(channel.cid)) {
          throw new SystemError(`QueryChannels answered channel ${channel.cid} to a query for ${open.join(', ')}: it ignored the filter`, {
            context: { endpoint: 'QueryChannels' },
          });
        }
        missing.delete(channel.cid);
        found.push(channel);
      }
      open = open.filter((cid) => missing.has(cid));
    }
  }
  const keyed = found.map((channel) => ({ channel, key: createdOf(channel) }));
  keyed.sort((a, b) => compareCreated(a.key, b.key));
  return { channels: keyed.map(({ channel }) => channel), missing: [...missing] };
}

/**
 * The channels the filter names, each once, in ascending `created_at`. Cids Stream does not know are
 * not an error here: they are reported (log + onMissing) and the caller decides. Groups the listing
 * cannot separate go to onUnlisted as they come and the rest is listed; without it, the listing throws
 * once it has given every other channel.
 */
export async function* channelListing(sources: ListingSources, filter: ChannelFilter, signal?: AbortSignal): AsyncGenerator<ChannelSummary> {
  const where = filter.where ?? {};
  if (filter.cids === undefined || filter.cids.length === 0) {
    const base = filter.types !== undefined && filter.types.length > 0 ? { type: { $in: filter.types } } : {};
    const unlisted: UnlistedGroup[] = [];
    const onUnlisted = filter.onUnlisted ?? ((group: UnlistedGroup) => unlisted.push(group));
    const query = bounded(sources.query, filter.maxListed ?? MAX_LISTED_CHANNELS);
    yield* partitionedChannels({ query, userIds: (after) => sources.userIds(after, signal), unlisted: onUnlisted, signal }, { ...where, ...base });
    if (unlisted.length > 0) throw new SystemError(unlistedMessage(unlisted), { context: { endpoint: 'QueryChannels' } });
    return;
  }
  const { channels, missing } = await namedChannels(sources.query, where, filter.cids, signal);
  yield* channels;
  if (missing.length > 0 && filter.where === undefined) {
    await sources.log?.('WARN', `Stream does not know these configured channels: ${missing.join(', ')}`);
    filter.onMissing?.(missing);
  }
}
