import { chunk } from '../utils/chunk.js';
import { z } from 'zod';
import { SystemError } from '../errors.js';
import type { Log } from './api-transport.js';

/** A channel as query channels lists it: enough to place it in the plan. */
export interface ChannelSummary {
  cid: string;
  type: string;
  id: string;
  created_at: string;
  updated_at?: string;
  last_message_at?: string;
  /** Given by Stream only where the app counts messages. */
  message_count?: number;
}

export interface ChannelFilter {
  /** Every channel of these types; all types when absent or empty. */
  types?: string[];
  /** Exactly these channels (wins over types). */
  cids?: string[];
  /** More conditions, ANDed to the above (e.g. an `$or` on activity). Unknown cids are then not reported. */
  where?: Record<string, unknown>;
  /** Past this many channels in one listing it fails (default MAX_LISTED_CHANNELS). */
  maxListed?: number;
  /** Called once, after the listing, with the cids Stream does not know (also logged as a WARN). */
  onMissing?: (cids: string[]) => void;
}

export interface QueryChannelsBody {
  filter_conditions: Record<string, unknown>;
  sort: { field: string; direction: 1 | -1 }[];
  limit: number;
  offset: number;
  state: false;
  watch: false;
  presence: false;
}

export type QueryChannelsPage = (body: QueryChannelsBody, signal?: AbortSignal) => Promise<ChannelSummary[]>;

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
        message_count: z.number().nullish(),
      }),
    }),
  ),
});

export const CHANNELS_PAGE_SIZE = 30;
const MAX_OFFSET = 1000;
/**
 * More channels than one listing may return: far past the apps Stream serves (10⁷ channels), and a
 * bound on a query channels that would page forever.
 */
export const MAX_LISTED_CHANNELS = 10_000_000;
/** A documented sort field: it makes offset paging repeatable; ties come in Stream's own order. */
const SORT: QueryChannelsBody['sort'] = [{ field: 'created_at', direction: 1 }];
/** A range that does not come whole is split at this many of the cids it gave, plus the rest above them. */
const SPLITS = 4;

/** The cids after `after` up to `upTo`, both optional: a documented filter on `cid`. */
interface CidRange {
  after?: string;
  upTo?: string;
}

function rangeCondition(range: CidRange): Record<string, unknown> {
  const condition: Record<string, string> = {};
  if (range.after !== undefined) condition.$gt = range.after;
  if (range.upTo !== undefined) condition.$lte = range.upTo;
  return Object.keys(condition).length === 0 ? {} : { cid: condition };
}

function inRange(cid: string, range: CidRange): boolean {
  return (range.after === undefined || cid > range.after) && (range.upTo === undefined || cid <= range.upTo);
}

const byCid = (a: ChannelSummary, b: ChannelSummary) => (a.cid < b.cid ? -1 : a.cid > b.cid ? 1 : 0);

/**
 * The channels of one cid range, and whether they are all of them: the range came whole when its pages
 * ended before the offset cap with no channel twice (ties in an order that moved between pages show
 * as repeats, and then as many others may have been missed).
 */
async function takeRange(
  query: QueryChannelsPage,
  base: Record<string, unknown>,
  range: CidRange,
  signal?: AbortSignal,
): Promise<{ channels: ChannelSummary[]; whole: boolean }> {
  const filter_conditions = { ...base, ...rangeCondition(range) };
  const taken = new Map<string, ChannelSummary>();
  for (let offset = 0; offset <= MAX_OFFSET; offset += CHANNELS_PAGE_SIZE) {
    const page = await query({ filter_conditions, sort: SORT, limit: CHANNELS_PAGE_SIZE, offset, state: false, watch: false, presence: false }, signal);
    for (const channel of page) {
      if (!inRange(channel.cid, range)) {
        throw new SystemError(
          `QueryChannels answered channel ${channel.cid} to a filter on cids after ${range.after ?? 'none'} up to ${range.upTo ?? 'any'}: it ignored the filter, or orders cids otherwise than by code point, which the listing relies on`,
          { context: { endpoint: 'QueryChannels' } },
        );
      }
      taken.set(channel.cid, channel);
    }
    if (taken.size < offset + page.length) return { channels: [...taken.values()], whole: false };
    if (page.length < CHANNELS_PAGE_SIZE) return { channels: [...taken.values()].sort(byCid), whole: true };
  }
  return { channels: [...taken.values()], whole: false };
}

/**
 * A range split below at cids it gave (each part holds some of them, so fewer channels than the
 * range), and above the greatest of them (the part that holds none of them).
 */
function splitRange(range: CidRange, channels: readonly ChannelSummary[]): CidRange[] {
  const cids = channels.map((channel) => channel.cid).sort();
  if (cids.length < 2) {
    throw new SystemError(`QueryChannels gave the same channel more than once in one page (${cids.join(', ')}): the listing cannot go on`, {
      context: { endpoint: 'QueryChannels' },
    });
  }
  const bounds = new Set<string>();
  for (let part = 1; part <= SPLITS; part += 1) bounds.add(cids[Math.ceil((cids.length * part) / SPLITS) - 1] as string);
  const parts: CidRange[] = [];
  let after = range.after;
  for (const upTo of bounds) {
    parts.push({ after, upTo });
    after = upTo;
  }
  if (after !== range.upTo) parts.push({ after, upTo: range.upTo });
  return parts;
}

/**
 * Every channel the filter matches, each once, in ascending cid order, by documented filters and sort
 * only. Offsets stop at 1000 and nothing documents the order of channels that tie on a sort field, so
 * the listing pages by cid ranges: a range that does not come whole in its pages is split and its
 * parts listed in turn, lowest first.
 */
async function* cidRangePages(
  query: QueryChannelsPage,
  base: Record<string, unknown>,
  maxListed: number,
  signal?: AbortSignal,
): AsyncGenerator<ChannelSummary> {
  const ranges: CidRange[] = [{}];
  // Splitting costs about as many pages again as the listing: far past that, the listing does not end.
  const maxPages = Math.ceil(maxListed / CHANNELS_PAGE_SIZE) * 4 + 100;
  let pages = 0;
  const counted: QueryChannelsPage = (body, pageSignal) => {
    pages += 1;
    if (pages > maxPages) {
      throw new SystemError(`QueryChannels answered ${maxPages} pages and the listing still has more, past the ${maxListed} channels any app holds: stopped`, {
        context: { endpoint: 'QueryChannels', pages: maxPages },
      });
    }
    return query(body, pageSignal);
  };
  let listed = 0;
  for (let range = ranges.pop(); range !== undefined; range = ranges.pop()) {
    const { channels, whole } = await takeRange(counted, base, range, signal);
    if (!whole) {
      ranges.push(...splitRange(range, channels).reverse());
      continue;
    }
    listed += channels.length;
    if (listed > maxListed) {
      throw new SystemError(`QueryChannels listed more than ${maxListed} channels, past what any app holds: stopped, this listing does not end`, {
        context: { endpoint: 'QueryChannels', listed },
      });
    }
    yield* channels;
  }
}

/** Named channels, a page of them at a time in cid order: a page of at most 30 cids holds them all. */
async function* namedPages(
  query: QueryChannelsPage,
  base: Record<string, unknown>,
  cids: readonly string[],
  signal?: AbortSignal,
): AsyncGenerator<ChannelSummary> {
  for (const page of chunk([...cids].sort(), CHANNELS_PAGE_SIZE)) {
    const filter_conditions = { ...base, cid: { $in: page } };
    const channels = await query({ filter_conditions, sort: SORT, limit: CHANNELS_PAGE_SIZE, offset: 0, state: false, watch: false, presence: false }, signal);
    yield* channels.sort(byCid);
  }
}

/**
 * The channels the filter names, each once. Cids Stream does not know are not an error here: they are
 * reported (log + onMissing) and the caller decides; an export of one fails with a ConfigError anyway.
 */
export async function* channelListing(query: QueryChannelsPage, filter: ChannelFilter, log?: Log, signal?: AbortSignal): AsyncGenerator<ChannelSummary> {
  const where = filter.where ?? {};
  if (filter.cids === undefined || filter.cids.length === 0) {
    const base = filter.types !== undefined && filter.types.length > 0 ? { type: { $in: filter.types } } : {};
    yield* cidRangePages(query, { ...where, ...base }, filter.maxListed ?? MAX_LISTED_CHANNELS, signal);
    return;
  }
  const missing = new Set(filter.cids);
  for await (const channel of namedPages(query, where, [...missing], signal)) {
    if (!missing.delete(channel.cid)) continue;
    yield channel;
  }
  if (missing.size > 0 && filter.where === undefined) {
    await log?.('WARN', `Stream does not know these configured channels: ${[...missing].join(', ')}`);
    filter.onMissing?.([...missing]);
  }
}
